#include "storage/uring_probe.h"

#include <liburing.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace shardkit::storage {
namespace {

std::string ReasonFor(int error, const char* step) {
  std::string why = std::string("io_uring unavailable (") + step + ": " + std::strerror(error) + ")";
  switch (error) {
    case EPERM:
      why += ": blocked by seccomp or kernel.io_uring_disabled; allow io_uring_setup in the "
             "container's seccomp profile or set sysctl kernel.io_uring_disabled=0";
      break;
    case ENOSYS:
      why += ": kernel without io_uring; use Linux >= 5.10 built with CONFIG_IO_URING";
      break;
    case ENOMEM:
      why += ": RLIMIT_MEMLOCK too low for the ring; raise it (ulimit -l / LimitMEMLOCK=)";
      break;
    default:
      why += ": unexpected error from io_uring setup";
      break;
  }
  return why + "; using pread/pwrite";
}

bool ForcedOffForTest() {
  const char* v = std::getenv("SHARDKIT_IO_URING_DISABLE_FOR_TEST");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

bool HasRequiredOps(io_uring* ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (probe == nullptr) return false;
  bool ok = io_uring_opcode_supported(probe, IORING_OP_READ) &&
            io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
            io_uring_opcode_supported(probe, IORING_OP_READ_FIXED) &&
            io_uring_opcode_supported(probe, IORING_OP_WRITE_FIXED);
  io_uring_free_probe(probe);
  return ok;
}

}  // namespace

UringProbeResult ProbeIoUring() {
  UringProbeResult out;
  if (ForcedOffForTest()) {
    out.error = EPERM;
    out.why = ReasonFor(EPERM, "io_uring_setup, forced by SHARDKIT_IO_URING_DISABLE_FOR_TEST=1");
    return out;
  }
  io_uring ring;
  io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(4, &ring, &params);
  if (rc == -EINVAL) {
    std::memset(&params, 0, sizeof(params));
    rc = io_uring_queue_init_params(4, &ring, &params);
  } else if (rc == 0) {
    out.defer_taskrun = true;
  }
  if (rc < 0) {
    out.error = -rc;
    out.why = ReasonFor(-rc, "io_uring_setup");
    return out;
  }
  bool ops = HasRequiredOps(&ring);
  io_uring_queue_exit(&ring);
  if (!ops) {
    out.error = ENOSYS;
    out.why = "io_uring unavailable: the kernel lacks READ/WRITE(_FIXED) opcodes; use Linux >= "
              "5.6; using pread/pwrite";
    return out;
  }
  out.available = true;
  return out;
}

const UringProbeResult& CachedUringProbe() {
  static const UringProbeResult result = ProbeIoUring();
  return result;
}

}  // namespace shardkit::storage
