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

IoBackendKind ChooseIoBackend(IoBackendKind requested, const char* env_value, UringProbeFn probe,
                              std::string* why) {
  std::string reason;
  if (requested == IoBackendKind::kAuto && env_value != nullptr && *env_value != '\0') {
    // SHARDKIT_IO_BACKEND overrides only kAuto: an explicit choice wins.
    Result<IoBackendKind> parsed = ParseIoBackendKind(env_value);
    if (parsed.ok()) {
      requested = *parsed;
    } else {
      reason = "ignoring SHARDKIT_IO_BACKEND: " + std::string(parsed.status().message());
    }
  }
  IoBackendKind chosen = requested;
  if (chosen == IoBackendKind::kAuto) {
    const UringProbeResult& result = probe();
    chosen = result.available ? IoBackendKind::kUring : IoBackendKind::kPread;
    if (!result.available) reason += (reason.empty() ? "" : "; ") + result.why;
  }
  if (why != nullptr && !reason.empty()) *why = std::move(reason);
  return chosen;
}

IoBackendKind ResolveIoBackend(IoBackendKind requested, std::string* why) {
  return ChooseIoBackend(requested, std::getenv("SHARDKIT_IO_BACKEND"), &CachedUringProbe, why);
}

}  // namespace shardkit::storage
