#include "storage/uring_engine.h"

#include <liburing.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "storage/io_error.h"
#include "storage/uring_probe.h"

namespace shardkit::storage {
namespace {

// Bound on consecutive EINTR/EAGAIN from io_uring_enter before giving up.
constexpr int kEnterRetriesMax = 1000;

class UringEngine final : public IoEngine {
 public:
  UringEngine(const IoEngineOptions& options, bool defer_taskrun)
      : options_(options), defer_taskrun_(defer_taskrun && options.single_issuer) {}
  ~UringEngine() override;
  UringEngine(const UringEngine&) = delete;
  UringEngine& operator=(const UringEngine&) = delete;

  IoBackendKind kind() const override { return IoBackendKind::kUring; }
  bool RegisterBuffers(MutableByteSpan region) override;
  void UnregisterBuffers() override;
  Status Submit(IoRequest* request) override;
  Status Flush() override;
  Result<size_t> Reap(std::span<IoRequest*> out, bool wait) override;
  int in_flight() const override { return in_flight_; }

 private:
  Status EnsureRing();
  Status Enter(bool wait);

  IoEngineOptions options_;
  bool defer_taskrun_;
  bool ring_ready_ = false;
  bool buffers_registered_ = false;
  io_uring ring_;
  int in_flight_ = 0;
  int queued_ = 0;  // prepared SQEs not yet handed to the kernel
};

UringEngine::~UringEngine() {
  if (!ring_ready_) return;
  // Buffers belong to the caller and may be freed right after us: wait out
  // every request still in flight before the ring goes away.
  IoRequest* done[16];
  for (int guard = 0; in_flight_ > 0 && guard < 1 << 20; ++guard) {
    Result<size_t> n = Reap(done, /*wait=*/true);
    if (!n.ok()) break;
  }
  io_uring_queue_exit(&ring_);
}

Status UringEngine::EnsureRing() {
  if (ring_ready_) return Status();
  io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  if (defer_taskrun_) params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  unsigned entries = static_cast<unsigned>(options_.queue_depth < 1 ? 1 : options_.queue_depth);
  int rc = io_uring_queue_init_params(entries, &ring_, &params);
  if (rc == -EINVAL && defer_taskrun_) {
    defer_taskrun_ = false;
    std::memset(&params, 0, sizeof(params));
    rc = io_uring_queue_init_params(entries, &ring_, &params);
  }
  if (rc < 0) return IoErrorStatus(-rc, "io_uring_queue_init", "<ring>");
  ring_ready_ = true;
  return Status();
}

bool UringEngine::RegisterBuffers(MutableByteSpan region) {
  if (!EnsureRing().ok() || buffers_registered_ || in_flight_ > 0) return false;
  iovec iov{region.data(), region.size()};
  // Fails with ENOMEM/EPERM under a low RLIMIT_MEMLOCK or EINVAL past 1 GiB;
  // the caller then continues with unregistered buffers.
  buffers_registered_ = io_uring_register_buffers(&ring_, &iov, 1) == 0;
  return buffers_registered_;
}

void UringEngine::UnregisterBuffers() {
  if (!buffers_registered_) return;
  io_uring_unregister_buffers(&ring_);
  buffers_registered_ = false;
}

Status UringEngine::Submit(IoRequest* request) {
  SK_RETURN_IF_ERROR(EnsureRing());
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    // The SQ is full of prepared entries: hand them over and try again.
    SK_RETURN_IF_ERROR(Flush());
    sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return Status::IoError("io_uring: no submission entry after submit");
  }
  bool fixed = request->buffer_index >= 0 && buffers_registered_;
  if (request->op == IoOp::kRead) {
    if (fixed) {
      io_uring_prep_read_fixed(sqe, request->fd, request->buffer, request->length,
                               request->offset, request->buffer_index);
    } else {
      io_uring_prep_read(sqe, request->fd, request->buffer, request->length, request->offset);
    }
  } else {
    if (fixed) {
      io_uring_prep_write_fixed(sqe, request->fd, request->buffer, request->length,
                                request->offset, request->buffer_index);
    } else {
      io_uring_prep_write(sqe, request->fd, request->buffer, request->length, request->offset);
    }
  }
  io_uring_sqe_set_data(sqe, request);
  ++in_flight_;
  ++queued_;
  return Status();
}

// Submits queued SQEs; with wait, also blocks for one completion.
Status UringEngine::Enter(bool wait) {
  for (int attempt = 0; attempt < kEnterRetriesMax; ++attempt) {
    int rc = wait ? io_uring_submit_and_wait(&ring_, 1) : io_uring_submit(&ring_);
    if (rc >= 0) {
      queued_ = 0;
      return Status();
    }
    if (rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      return IoErrorStatus(-rc, "io_uring_enter", "<ring>");
    }
  }
  return Status::IoError("io_uring_enter <ring>: still interrupted after 1000 retries");
}

Status UringEngine::Flush() {
  if (!ring_ready_ || queued_ == 0) return Status();
  return Enter(/*wait=*/false);
}

Result<size_t> UringEngine::Reap(std::span<IoRequest*> out, bool wait) {
  if (!ring_ready_ || out.empty()) return size_t{0};
  if (wait && in_flight_ > 0) {
    SK_RETURN_IF_ERROR(Enter(/*wait=*/true));
  } else if (queued_ > 0) {
    SK_RETURN_IF_ERROR(Enter(/*wait=*/false));
  }
  io_uring_cqe* cqes[64];
  unsigned want = static_cast<unsigned>(out.size() < 64 ? out.size() : 64);
  unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, want);
  for (unsigned i = 0; i < n; ++i) {
    auto* request = static_cast<IoRequest*>(io_uring_cqe_get_data(cqes[i]));
    int32_t result = cqes[i]->res;
#ifdef SHARDKIT_FAULT_HOOKS
    result = RunCompletionHook(*request, result);
#endif
    request->result = result;
    out[i] = request;
  }
  io_uring_cq_advance(&ring_, n);
  in_flight_ -= static_cast<int>(n);
  return static_cast<size_t>(n);
}

}  // namespace

Result<std::unique_ptr<IoEngine>> NewUringEngine(const IoEngineOptions& options) {
  const UringProbeResult& probe = CachedUringProbe();
  if (!probe.available) return Status::NotSupported(probe.why);
  return std::unique_ptr<IoEngine>(new UringEngine(options, probe.defer_taskrun));
}

}  // namespace shardkit::storage
