// SequentialReader streams one file front to back with up to `queue_depth`
// reads in flight and hands the consumer contiguous spans in file order.
// It is the ChunkSource behind OpenSequentialReader (storage/file_reader.h).
//
// How: one aligned region carved into queue_depth slots of block_bytes,
// registered with io_uring when possible. Block i always lives in slot
// i % queue_depth, so completions (which arrive in any order) are put back
// in order by slot. Next() hands out the next block once its read completed
// and resubmits the slot of the block handed out before (the consumer is
// done with it). Short reads are continued, -EAGAIN/-EINTR resubmitted, a
// zero-byte read before the end is retried once and a second one in a row
// is reported; the unaligned tail is read as a whole aligned block and
// trimmed, so nothing past the size seen at open reaches the consumer.
// O_DIRECT falls back to buffered reads when the file system rejects it
// (EINVAL at open or at the first read: tmpfs, some overlay file systems).
//
// Open with start_offset > 0 streams the file from that offset on (another
// thread reading a later piece of one file); the stream's size() is then
// what follows the offset. REQUIRES: start_offset is a multiple of the
// file's direct I/O alignment (any multiple of 1 MiB is) and <= its size.
//
// Threading: owned and used by one thread; the io_uring ring is created at
// the first Next(), on the thread that calls it. Not copyable.
// Lifetime: a span is valid until the next Next() or destruction.
// Errors: kNotFound/kIoError naming path, operation, offset and errno.
// After the first error the reader stays failed and returns it again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "storage/aligned_buffer.h"
#include "storage/io_engine.h"
#include "storage/io_environment.h"
#include "storage/io_options.h"

namespace shardkit::storage {

class SequentialReader final : public ChunkSource {
 public:
  static Result<std::unique_ptr<SequentialReader>> Open(const std::string& path,
                                                        const IoOptions& options,
                                                        uint64_t start_offset = 0);
  ~SequentialReader() override;
  SequentialReader(const SequentialReader&) = delete;
  SequentialReader& operator=(const SequentialReader&) = delete;

  Result<ByteSpan> Next() override;
  const std::string& name() const override { return path_; }
  std::optional<uint64_t> size() const override { return file_size_ - start_offset_; }

  // For tests, io-probe and benchmarks.
  bool direct() const { return direct_; }
  bool buffers_registered() const { return registered_; }
  IoBackendKind backend() const { return engine_->kind(); }
  uint32_t alignment() const { return alignment_; }

 private:
  enum class SlotState : uint8_t { kIdle, kInFlight, kReady, kAwaitingReopen };
  struct Slot {
    IoRequest request;
    std::byte* buffer = nullptr;
    uint64_t block_offset = 0;
    uint32_t want_bytes = 0;  // file bytes this block must deliver
    uint32_t read_bytes = 0;  // request size (want rounded up for O_DIRECT)
    uint32_t done_bytes = 0;
    int zero_reads = 0;
    int retries = 0;
    SlotState state = SlotState::kIdle;
  };

  SequentialReader() = default;
  Status Start();
  Status SubmitNextBlock(Slot& slot);
  Status SubmitRest(Slot& slot);
  Status WaitForSlot(Slot& slot);
  Status HandleCompletion(Slot& slot);
  Status ReopenBuffered();

  IoEnvironment* environment_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::string path_;
  int fd_ = -1;
  bool direct_ = false;
  bool registered_ = false;
  bool want_register_ = true;
  bool started_ = false;
  uint32_t alignment_ = 1;
  uint32_t block_bytes_ = 0;
  uint64_t file_size_ = 0;
  uint64_t start_offset_ = 0;
  uint64_t next_submit_offset_ = 0;
  uint64_t next_deliver_offset_ = 0;
  uint64_t next_deliver_block_ = 0;
  int held_slot_ = -1;  // slot the consumer holds; resubmitted at the next Next()
  Status status_;
  // Declared before engine_: the engine (which waits out in-flight reads
  // when destroyed) must go first.
  AlignedRegion region_;
  std::vector<Slot> slots_;
  std::unique_ptr<IoEngine> engine_;
};

}  // namespace shardkit::storage
