// Options shared by every storage entry point, and the backend choice.
//
// Backends: kUring (io_uring, many I/Os in flight) and kPread (plain
// pread/pwrite, for hosts whose seccomp profile or kernel.io_uring_disabled
// blocks io_uring). kAuto probes io_uring once per process and falls back to
// kPread with one logged line naming the cause. SHARDKIT_IO_BACKEND
// (auto|uring|pread) overrides kAuto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardkit::storage {

class IoEnvironment;  // storage/io_environment.h

enum class IoBackendKind { kAuto, kUring, kPread };

// "auto", "uring", "pread" -> kind; anything else is kInvalidArgument.
Result<IoBackendKind> ParseIoBackendKind(std::string_view name);
std::string_view IoBackendName(IoBackendKind kind);

// Resolves kAuto (and the environment variable) to the backend that will
// actually be used on this host. `why` (optional) receives a one-line reason
// when io_uring was wanted but is unavailable. Thread-safe; probes once.
IoBackendKind ResolveIoBackend(IoBackendKind requested, std::string* why = nullptr);

struct IoOptions {
  IoBackendKind backend = IoBackendKind::kAuto;
  size_t block_bytes = 1 << 20;  // size of each read/write request
  int queue_depth = 8;           // requests in flight
  bool direct = true;            // O_DIRECT where the file system supports it
  // Register the buffer region with io_uring (read_fixed/write_fixed); when
  // registration fails (low RLIMIT_MEMLOCK) the I/O continues unregistered.
  bool register_buffers = true;
  // Writers: expected final size; when non-zero and the backend is io_uring
  // the file is preallocated (fallocate) so that writes do not extend it
  // block by block. The pread backend ignores it: there each direct write
  // into a preallocated (unwritten) extent waits for its conversion, which
  // measured 6-25x slower on ext4 (bench/RESULTS.md "Storage").
  uint64_t size_hint_bytes = 0;
  // The file system and I/O engines to use; nullptr = the real ones
  // (DefaultIoEnvironment()). Tests pass the fault injector here.
  // Lifetime: must outlive every reader and writer opened with these options.
  IoEnvironment* environment = nullptr;
};

}  // namespace shardkit::storage
