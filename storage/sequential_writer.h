// SequentialWriter writes one file front to back: appends are staged in an
// aligned region carved into queue_depth slots of block_bytes, each full
// slot becomes one write (O_DIRECT where the file system accepts it) and up
// to queue_depth writes are in flight. Finish() writes the unaligned tail
// (padded with zeros to the alignment, then the file is truncated to the
// exact size), waits for every write and fdatasyncs. With a size hint the
// file is preallocated first (io_uring only; see IoOptions::size_hint_bytes).
//
// The writer opens the file with O_CREAT|O_TRUNC; making the name durable
// (directory fsync) is the caller's job: AtomicFileWriter does it on Publish.
//
// Threading: one thread (the io_uring ring is created at the first write,
// on the calling thread). Not copyable.
// Lifetime: Append copies; `bytes` need only live for the call. A span
// from Lend() is valid until the next Commit().
// Errors: naming path, operation (open, write, ftruncate, fdatasync, close)
// and offset; ENOSPC is kResourceExhausted. Sticky: after the first error
// every call returns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "storage/aligned_buffer.h"
#include "storage/io_engine.h"
#include "storage/io_environment.h"
#include "storage/io_options.h"

namespace shardkit::storage {

class SequentialWriter final : public ChunkSink {
 public:
  // Creates or truncates `path` (mode 0644).
  static Result<std::unique_ptr<SequentialWriter>> Create(const std::string& path,
                                                          const IoOptions& options);
  ~SequentialWriter() override;
  SequentialWriter(const SequentialWriter&) = delete;
  SequentialWriter& operator=(const SequentialWriter&) = delete;

  Status Append(ByteSpan bytes) override;
  // Lends the rest of the slot being filled (waiting for it to come back
  // from its previous write first); Commit(n) counts n bytes of it as
  // appended and sends the slot when it is full.
  Result<MutableByteSpan> Lend() override;
  Status Commit(size_t n) override;
  // Writes everything, truncates to the exact size, fdatasyncs. Idempotent.
  Status Finish() override;
  // Finish() if not done, then closes the file. Idempotent.
  Status Close();
  const std::string& name() const override { return path_; }

  uint64_t bytes_appended() const { return bytes_appended_; }
  bool direct() const { return direct_; }
  bool buffers_registered() const { return registered_; }
  IoBackendKind backend() const { return engine_->kind(); }

 private:
  enum class SlotState : uint8_t { kFree, kInFlight, kAwaitingReopen };
  struct Slot {
    IoRequest request;
    std::byte* buffer = nullptr;
    uint64_t file_offset = 0;
    uint32_t write_bytes = 0;
    uint32_t done_bytes = 0;
    int zero_writes = 0;
    int retries = 0;
    SlotState state = SlotState::kFree;
  };

  SequentialWriter() = default;
  Status Fail(Status s);
  Status SubmitFill();
  Status SubmitRest(Slot& slot);
  Status ReapSome();
  Status HandleCompletion(Slot& slot);
  Status ReopenBuffered();
  Status DrainAll();

  IoEnvironment* environment_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::string path_;
  int fd_ = -1;
  bool direct_ = false;
  bool registered_ = false;
  bool want_register_ = true;
  bool started_ = false;
  bool finished_ = false;
  bool closed_ = false;
  bool size_needs_fix_ = false;  // padded tail or preallocation: truncate at Finish
  uint32_t alignment_ = 1;
  uint32_t block_bytes_ = 0;
  uint64_t bytes_appended_ = 0;
  uint64_t next_write_offset_ = 0;
  size_t fill_slot_ = 0;       // slot being filled by Append
  uint32_t fill_bytes_ = 0;    // bytes staged in it
  Status status_;
  AlignedRegion region_;       // before engine_: the engine must die first
  std::vector<Slot> slots_;
  std::unique_ptr<IoEngine> engine_;
};

}  // namespace shardkit::storage
