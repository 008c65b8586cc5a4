// Helpers every shardkit command uses: I/O options from the global flags,
// the clock, atomic writes of small outputs, and error printing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "storage/io_options.h"
#include "storage/small_file.h"
#include "tools/command.h"

namespace shardkit::tools {

// IoOptions for env.io_backend ("auto" | "uring" | "pread").
storage::IoOptions IoOptionsFor(const CommandEnv& env);
// Unix time in milliseconds (SHARDKIT_NOW_MS overrides it, for tests).
int64_t NowMs();
// Publishes `data` at `path` atomically (temp, fsync, rename, fsync dir).
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const storage::IoOptions& io);
// Whole small files (plan.json, manifests), size-capped.
using storage::ReadSmallFile;
// "shardkit <command>: <status>" on stderr; returns the exit code for it.
int ReportError(std::string_view command, const Status& status);

}  // namespace shardkit::tools
