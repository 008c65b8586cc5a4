// IoEngine: a per-thread asynchronous read/write engine. Callers submit
// requests they own and reap completions; the two implementations are
// io_uring (storage/uring_engine.h) and pread/pwrite (storage/pread_engine.h),
// and every reader and writer in storage/ is written once against this
// interface.
//
// Protocol:
//   1. Submit(request) queues a request. The request struct is the caller's
//      (it doubles as io_uring user_data): it must stay alive and untouched
//      until Reap() hands it back. No allocation happens per I/O.
//   2. Reap(out, wait) fills `out` with completed requests (any order; a
//      sequential reader reorders them) and sets each one's `result`:
//      bytes transferred (may be short) or -errno. With wait=true it first
//      submits everything queued and blocks until at least one completes
//      (unless nothing is in flight).
//   3. Before freeing a buffer, the caller reaps every request it submitted.
//
// Threading: one thread at a time (the io_uring engine is created with
// SINGLE_ISSUER when the kernel allows it, so it must stay on the thread
// that first submitted). Errors: Submit/Reap return an error only when the
// engine itself fails (io_uring_enter); per-request errors are in `result`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/chunk_io.h"
#include "storage/io_options.h"

namespace shardkit::storage {

enum class IoOp : uint8_t { kRead, kWrite };

struct IoRequest {
  IoOp op = IoOp::kRead;
  int fd = -1;
  std::byte* buffer = nullptr;
  uint32_t length = 0;
  uint64_t offset = 0;
  // Index of the registered buffer region that holds `buffer`, or -1.
  int buffer_index = -1;
  // Set by the engine at completion: bytes transferred or -errno.
  int32_t result = 0;
  // Free for the caller (slot number, owner pointer...).
  uint64_t tag = 0;
};

struct IoEngineOptions {
  // Requests that may be in flight at once; Submit beyond it is a caller bug.
  int queue_depth = 8;
  // io_uring: create the ring with SINGLE_ISSUER|DEFER_TASKRUN when the
  // kernel has them. False for engines shared by several threads in turn
  // (the append writer's group-commit leader can be any caller).
  bool single_issuer = true;
};

class IoEngine {
 public:
  virtual ~IoEngine() = default;
  virtual IoBackendKind kind() const = 0;
  // Registers `region` as buffer index 0. Returns false (and the caller
  // continues with unregistered buffers) when the backend cannot.
  // REQUIRES: nothing in flight; `region` outlives the engine or the next
  // UnregisterBuffers().
  virtual bool RegisterBuffers(MutableByteSpan region) = 0;
  virtual void UnregisterBuffers() = 0;
  // Queues a request. It reaches the kernel at the latest at the next Flush()
  // or Reap(wait=true) (io_uring batches; pread does the I/O right here).
  // REQUIRES: in_flight() < queue depth; request fields filled.
  virtual Status Submit(IoRequest* request) = 0;
  // Hands every queued request to the kernel without waiting.
  virtual Status Flush() = 0;
  // Returns how many requests were written to `out` (0 when wait=false and
  // none is ready, or when nothing is in flight).
  virtual Result<size_t> Reap(std::span<IoRequest*> out, bool wait) = 0;
  virtual int in_flight() const = 0;
};

#ifdef SHARDKIT_FAULT_HOOKS
// Test-only: called for every completion before the caller sees it; may
// rewrite `result` (force short reads, zero reads, -EAGAIN). nullptr = off.
// Compiled only into Debug/Asan builds (SHARDKIT_FAULT_HOOKS).
using CompletionHook = int32_t (*)(const IoRequest& request, int32_t result);
void SetCompletionHookForTest(CompletionHook hook);
int32_t RunCompletionHook(const IoRequest& request, int32_t result);
#endif

}  // namespace shardkit::storage
