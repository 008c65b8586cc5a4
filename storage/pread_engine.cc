#include "storage/pread_engine.h"

#include <unistd.h>

#include <cerrno>
#include <deque>

namespace shardkit::storage {
namespace {

class PreadEngine final : public IoEngine {
 public:
  explicit PreadEngine(const IoEngineOptions& options) : options_(options) {}

  IoBackendKind kind() const override { return IoBackendKind::kPread; }
  bool RegisterBuffers(MutableByteSpan) override { return false; }
  void UnregisterBuffers() override {}
  Status Flush() override { return Status(); }
  int in_flight() const override { return static_cast<int>(done_.size()); }

  Status Submit(IoRequest* request) override {
    ssize_t n = request->op == IoOp::kRead
                    ? ::pread(request->fd, request->buffer, request->length,
                              static_cast<off_t>(request->offset))
                    : ::pwrite(request->fd, request->buffer, request->length,
                               static_cast<off_t>(request->offset));
    // EINTR/EAGAIN surface as results and are resubmitted by the caller,
    // exactly as they would be from io_uring.
    int32_t result = n < 0 ? -errno : static_cast<int32_t>(n);
#ifdef SHARDKIT_FAULT_HOOKS
    result = RunCompletionHook(*request, result);
#endif
    request->result = result;
    done_.push_back(request);
    return Status();
  }

  Result<size_t> Reap(std::span<IoRequest*> out, bool /*wait*/) override {
    size_t n = 0;
    while (n < out.size() && !done_.empty()) {
      out[n++] = done_.front();
      done_.pop_front();
    }
    return n;
  }

 private:
  IoEngineOptions options_;
  std::deque<IoRequest*> done_;
};

}  // namespace

std::unique_ptr<IoEngine> NewPreadEngine(const IoEngineOptions& options) {
  return std::make_unique<PreadEngine>(options);
}

}  // namespace shardkit::storage
