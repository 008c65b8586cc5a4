// ProbeIoUring: can this process use io_uring, and with which flags?
//
// Creates a small real ring with SINGLE_ISSUER|DEFER_TASKRUN, retries
// without them on EINVAL (kernels before 6.1), and checks the opcodes the
// engine needs (READ, WRITE, READ_FIXED, WRITE_FIXED). EPERM (seccomp,
// kernel.io_uring_disabled), ENOSYS (old kernel or no CONFIG_IO_URING) and
// ENOMEM (RLIMIT_MEMLOCK) make io_uring unavailable, with a one-line reason
// naming the cause and the fix. The environment variable
// SHARDKIT_IO_URING_DISABLE_FOR_TEST=1 makes the probe behave as if the
// kernel returned EPERM (tests and CI use it to run the fallback path).
//
// ResolveIoBackend (storage/io_options.h) calls this once per process and
// caches the answer; tests and `shardkit io-probe` may call it directly.
// Threading: thread-safe (no shared state).
#pragma once

#include <string>

#include "storage/io_options.h"

namespace shardkit::storage {

struct UringProbeResult {
  bool available = false;
  // The ring could be created with SINGLE_ISSUER|DEFER_TASKRUN.
  bool defer_taskrun = false;
  // -errno of the failing step when unavailable (EPERM, ENOSYS, ENOMEM...).
  int error = 0;
  // Why io_uring is unavailable: cause and fix, one line. Empty when available.
  std::string why;
};

UringProbeResult ProbeIoUring();

// The cached result of the first ProbeIoUring() in this process.
const UringProbeResult& CachedUringProbe();

// The backend choice of ResolveIoBackend (storage/io_options.h) with its
// inputs passed in, so that every branch is testable on any host:
// `env_value` is SHARDKIT_IO_BACKEND (nullptr or "" = unset) and overrides
// only kAuto; kAuto then takes io_uring when `probe()` finds it usable, else
// pread. `probe` is called only when the answer depends on it (a forced
// backend never probes). `why` (optional) receives one line: the probe's
// cause and fix when io_uring is unavailable, or why the environment
// variable was ignored.
using UringProbeFn = const UringProbeResult& (*)();
IoBackendKind ChooseIoBackend(IoBackendKind requested, const char* env_value, UringProbeFn probe,
                              std::string* why);

}  // namespace shardkit::storage
