// Input detection and opening for the commands that read persistence files
// (verify, inspect). The format is decided by the first bytes, never by the
// file name: "REDIS"/"VALKEY" -> RDB (also an RDB-preamble AOF), '*' -> RESP
// AOF, "file "/'#' -> multi-part AOF manifest, a directory -> a persistence
// directory. RDB is handled here; the other formats are the extension point
// where AOF verification plugs in (VerifyInput in cmd_verify.cc dispatches).
// Threading: pure functions; safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/chunk_io.h"
#include "base/status.h"
#include "storage/io_options.h"

namespace shardkit::tools {

enum class InputFormat { kRdb, kAof, kAofManifest, kDirectory, kEmpty, kUnknown };

std::string_view InputFormatName(InputFormat format);

// kNotFound / kIoError naming the path when it cannot be opened.
Result<InputFormat> DetectInputFormat(const std::string& path);

// Opens `path` for one front-to-back pass on the configured backend.
Result<std::unique_ptr<ChunkSource>> OpenInput(const std::string& path,
                                               const storage::IoOptions& io);

// Name of the backend that OpenInput will use ("uring" / "pread").
std::string BackendInUse(const storage::IoOptions& io);

}  // namespace shardkit::tools
