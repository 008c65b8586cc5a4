// Options shared by every storage entry point, and the backend choice.
//
// Backends: kUring (io_uring, many I/Os in flight) and kPread (plain
// pread/pwrite, for hosts whose seccomp profile or kernel.io_uring_disabled
// blocks io_uring). kAuto probes io_uring once per process and falls back to
// kPread with one logged line naming the cause. SHARDKIT_IO_BACKEND
// (auto|uring|pread) overrides kAuto.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardkit::storage {

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
};

}  // namespace shardkit::storage
