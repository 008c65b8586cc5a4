// Input detection and opening for the commands that read persistence files
// (verify, inspect, repair).
//
// DetectInputFormat looks at the first bytes only: "REDIS"/"VALKEY" -> RDB
// (also an RDB-preamble AOF), '*' -> RESP AOF, "file "/'#' -> multi-part AOF
// manifest, a directory -> a persistence directory. A native snapshot
// ("SKNATIVE") is kUnknown there (repair does not read native files);
// verify and inspect recognise it through ResolveInput / IsNativePath.
//
// ResolveInput is the dispatch `shardkit verify` uses (SPEC.md "verify"):
//   1. a directory -> multi-part AOF: its single *.manifest, else the single
//      *.manifest of its appendonlydir/ (a Redis `dir`);
//   2. a name ending in ".manifest" -> multi-part AOF in that file's directory;
//   3. a file starting with "SKNATIVE" -> a native snapshot, whatever its name
//      (SPEC-native.md; *.skn by convention);
//   4. a file starting with "REDIS"/"VALKEY" -> RDB, unless its name ends in
//      ".aof" (a legacy AOF with an RDB preamble);
//   5. a file whose first line that is not a '#' comment starts with "file"
//      -> a manifest (as redis-check-aof decides), so multi-part AOF;
//   6. an empty file -> kEmpty unless named *.aof (an empty AOF is valid);
//   7. anything else -> a legacy AOF (RESP; damage is reported by its reader).
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

enum class InputKind { kRdb, kAofFile, kAofMultiPart, kNative, kEmpty };

struct ResolvedInput {
  InputKind kind = InputKind::kRdb;
  std::string path;       // the RDB/AOF/native file, or the manifest (kAofMultiPart)
  std::string directory;  // kAofMultiPart: where the manifest's files are
};

// kNotFound / kIoError naming the path when it cannot be read;
// kInvalidArgument for a directory without exactly one manifest.
Result<ResolvedInput> ResolveInput(const std::string& path);

// The manifest of a multi-part directory (rule 1 above).
Result<std::string> FindAofManifest(const std::string& dir);

// True when `head` (the first bytes of a file) is a multi-part manifest: its
// first line that is not a '#' comment starts with "file".
bool LooksLikeManifest(std::string_view head);

// Opens `path` for one front-to-back pass on the configured backend (from
// start_offset on, a multiple of 1 MiB, when it is not 0).
Result<std::unique_ptr<ChunkSource>> OpenInput(const std::string& path,
                                               const storage::IoOptions& io,
                                               uint64_t start_offset = 0);

// Name of the backend that OpenInput will use ("uring" / "pread").
std::string BackendInUse(const storage::IoOptions& io);

}  // namespace shardkit::tools
