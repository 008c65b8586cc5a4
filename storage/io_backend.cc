// Backend names and the once-per-process choice between io_uring and pread.
#include <cstdlib>
#include <string>

#include "storage/io_options.h"
#include "storage/uring_probe.h"

namespace shardkit::storage {

Result<IoBackendKind> ParseIoBackendKind(std::string_view name) {
  if (name == "auto") return IoBackendKind::kAuto;
  if (name == "uring") return IoBackendKind::kUring;
  if (name == "pread") return IoBackendKind::kPread;
  return Status::InvalidArgument("unknown I/O backend \"" + std::string(name) +
                                 "\" (expected auto, uring or pread)");
}

std::string_view IoBackendName(IoBackendKind kind) {
  switch (kind) {
    case IoBackendKind::kAuto:
      return "auto";
    case IoBackendKind::kUring:
      return "uring";
    case IoBackendKind::kPread:
      return "pread";
  }
  return "unknown";
}

IoBackendKind ResolveIoBackend(IoBackendKind requested, std::string* why) {
  if (requested == IoBackendKind::kAuto) {
    // SHARDKIT_IO_BACKEND overrides only kAuto: an explicit choice wins.
    const char* env = std::getenv("SHARDKIT_IO_BACKEND");
    if (env != nullptr && *env != '\0') {
      Result<IoBackendKind> parsed = ParseIoBackendKind(env);
      if (parsed.ok()) {
        requested = *parsed;
      } else if (why != nullptr) {
        *why = "ignoring SHARDKIT_IO_BACKEND: " + std::string(parsed.status().message());
      }
    }
  }
  if (requested != IoBackendKind::kAuto) return requested;
  const UringProbeResult& probe = CachedUringProbe();
  if (probe.available) return IoBackendKind::kUring;
  if (why != nullptr) *why = probe.why;
  return IoBackendKind::kPread;
}

}  // namespace shardkit::storage
