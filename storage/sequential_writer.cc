#include "storage/sequential_writer.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/io_error.h"
#include "storage/io_limits.h"

namespace shardkit::storage {
Result<std::unique_ptr<SequentialWriter>> SequentialWriter::Create(const std::string& path,
                                                                   const IoOptions& options) {
  if (options.queue_depth < 1 || options.queue_depth > kIoQueueDepthMax ||
      options.block_bytes == 0 || options.block_bytes > kIoBlockBytesMax) {
    return Status::InvalidArgument("create " + path + ": queue_depth must be 1..256 and " +
                                   "block_bytes 1..64 MiB");
  }
  std::unique_ptr<SequentialWriter> w(new SequentialWriter());
  w->environment_ = EnvironmentOf(options);
  w->fs_ = w->environment_->file_system();
  w->path_ = path;
  w->direct_ = options.direct;
  w->want_register_ = options.register_buffers;
  IoEngineOptions engine_options;
  engine_options.queue_depth = options.queue_depth;
  SK_ASSIGN_OR_RETURN(w->engine_, NewEngineFor(options, engine_options));
  const int flags = O_WRONLY | O_CREAT | O_TRUNC;
  Result<int> fd = w->fs_->Open(path, flags | (w->direct_ ? O_DIRECT : 0), 0644);
  if (!fd.ok() && fd.status().errno_value() == EINVAL && w->direct_) {
    w->direct_ = false;  // no O_DIRECT on this file system (tmpfs)
    fd = w->fs_->Open(path, flags, 0644);
  }
  SK_ASSIGN_OR_RETURN(w->fd_, std::move(fd));
  w->alignment_ = w->fs_->DirectIoAlignment(w->fd_);
  w->block_bytes_ = static_cast<uint32_t>(RoundUp(options.block_bytes, w->alignment_));
  // Preallocation leaves unwritten extents that each direct write must
  // convert; many writes in flight hide that, one at a time does not
  // (ext4, bench/RESULTS.md "Storage": 1 MiB pread writes 6x slower, 64 KiB
  // 25x). So only the io_uring engine preallocates.
  if (options.size_hint_bytes > 0 && w->engine_->kind() == IoBackendKind::kUring) {
    Status s = w->fs_->Preallocate(w->fd_, path, options.size_hint_bytes);
    if (s.ok()) {
      w->size_needs_fix_ = true;
    } else if (!s.IsNotSupported()) {
      return s;
    }
  }
  SK_ASSIGN_OR_RETURN(w->region_,
                      AlignedRegion::Allocate(size_t{w->block_bytes_} * options.queue_depth,
                                              std::max<size_t>(w->alignment_, 4096)));
  w->slots_.resize(options.queue_depth);
  for (int i = 0; i < options.queue_depth; ++i) {
    w->slots_[i].buffer = w->region_.data() + size_t{w->block_bytes_} * i;
    w->slots_[i].request.tag = static_cast<uint64_t>(i);
  }
  return w;
}

SequentialWriter::~SequentialWriter() {
  engine_.reset();  // waits for writes still in flight from region_
  if (fd_ >= 0 && !closed_) (void)fs_->Close(fd_, path_);
}

Status SequentialWriter::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
  return status_;
}

Status SequentialWriter::Append(ByteSpan bytes) {
  if (!status_.ok()) return status_;
  if (finished_) return Fail(Status::InvalidArgument("append " + path_ + ": after Finish"));
  while (!bytes.empty()) {
    Slot& slot = slots_[fill_slot_];
    // The slot about to be filled may still be in flight from its last use.
    while (slot.state != SlotState::kFree) {
      Status s = ReapSome();
      if (!s.ok()) return Fail(std::move(s));
    }
    size_t n = std::min<size_t>(bytes.size(), block_bytes_ - fill_bytes_);
    std::memcpy(slot.buffer + fill_bytes_, bytes.data(), n);
    fill_bytes_ += static_cast<uint32_t>(n);
    bytes_appended_ += n;
    bytes = bytes.subspan(n);
    if (fill_bytes_ == block_bytes_) {
      Status s = SubmitFill();
      if (!s.ok()) return Fail(std::move(s));
    }
  }
  return Status();
}

Result<MutableByteSpan> SequentialWriter::Lend() {
  if (!status_.ok()) return status_;
  if (finished_) return Fail(Status::InvalidArgument("append " + path_ + ": after Finish"));
  Slot& slot = slots_[fill_slot_];
  while (slot.state != SlotState::kFree) {
    Status s = ReapSome();
    if (!s.ok()) return Fail(std::move(s));
  }
  return MutableByteSpan(slot.buffer + fill_bytes_, block_bytes_ - fill_bytes_);
}

Status SequentialWriter::Commit(size_t n) {
  if (!status_.ok()) return status_;
  if (n > block_bytes_ - fill_bytes_ || slots_[fill_slot_].state != SlotState::kFree) {
    return Fail(Status::InvalidArgument("append " + path_ + ": Commit of more than was lent"));
  }
  fill_bytes_ += static_cast<uint32_t>(n);
  bytes_appended_ += n;
  if (fill_bytes_ == block_bytes_) return Fail(SubmitFill());
  return Status();
}

// Sends the slot being filled as one write and moves to the next slot.
Status SequentialWriter::SubmitFill() {
  if (!started_) {
    started_ = true;
    if (want_register_) registered_ = engine_->RegisterBuffers(region_.span());
  }
  Slot& slot = slots_[fill_slot_];
  uint32_t length = fill_bytes_;
  if (direct_ && length % alignment_ != 0) {
    // The tail: pad with zeros to the alignment; Finish truncates.
    uint32_t padded = static_cast<uint32_t>(RoundUp(length, alignment_));
    std::memset(slot.buffer + length, 0, padded - length);
    length = padded;
    size_needs_fix_ = true;
  }
  slot.file_offset = next_write_offset_;
  slot.write_bytes = length;
  slot.done_bytes = 0;
  slot.zero_writes = 0;
  slot.retries = 0;
  next_write_offset_ += fill_bytes_;
  fill_bytes_ = 0;
  fill_slot_ = (fill_slot_ + 1) % slots_.size();
  SK_RETURN_IF_ERROR(SubmitRest(slot));
  return engine_->Flush();
}

Status SequentialWriter::SubmitRest(Slot& slot) {
  IoRequest& req = slot.request;
  req.op = IoOp::kWrite;
  req.fd = fd_;
  req.buffer = slot.buffer + slot.done_bytes;
  req.length = slot.write_bytes - slot.done_bytes;
  req.offset = slot.file_offset + slot.done_bytes;
  req.buffer_index = registered_ ? 0 : -1;
  slot.state = SlotState::kInFlight;
  return engine_->Submit(&req);
}

// Reaps at least one completion (or reopens buffered when direct I/O was
// refused and nothing is in flight any more).
Status SequentialWriter::ReapSome() {
  if (engine_->in_flight() == 0) {
    for (Slot& s : slots_) {
      if (s.state == SlotState::kAwaitingReopen) return ReopenBuffered();
    }
    return Status::IoError("write " + path_ + ": writer stalled with no write in flight");
  }
  IoRequest* done[kIoQueueDepthMax];
  SK_ASSIGN_OR_RETURN(size_t n, engine_->Reap(std::span(done, slots_.size()), /*wait=*/true));
  Status first_error;
  for (size_t i = 0; i < n; ++i) {
    Status s = HandleCompletion(slots_[done[i]->tag]);
    if (!s.ok() && first_error.ok()) first_error = std::move(s);
  }
  SK_RETURN_IF_ERROR(first_error);
  return engine_->Flush();
}

Status SequentialWriter::HandleCompletion(Slot& slot) {
  const int32_t res = slot.request.result;
  const int64_t at = static_cast<int64_t>(slot.request.offset);
  if (res < 0) {
    int err = -res;
    if ((err == EAGAIN || err == EINTR) && ++slot.retries <= kIoRetriesMax) return SubmitRest(slot);
    if (err == EINVAL && direct_) {
      slot.state = SlotState::kAwaitingReopen;
      return Status();
    }
    slot.state = SlotState::kFree;
    return IoErrorStatus(err, "write", path_, at);
  }
  if (res == 0) {
    if (++slot.zero_writes <= 1) return SubmitRest(slot);
    slot.state = SlotState::kFree;
    return Status::IoError("write " + path_ + " at offset " + std::to_string(at) +
                           ": wrote 0 bytes twice");
  }
  uint32_t before = slot.done_bytes;
  slot.done_bytes += static_cast<uint32_t>(res);
  slot.zero_writes = 0;  // only consecutive zero-byte writes are an error
  if (slot.done_bytes >= slot.write_bytes) {
    slot.state = SlotState::kFree;
    return Status();
  }
  // Short write: continue with the rest (from an aligned offset for O_DIRECT).
  if (direct_) slot.done_bytes = static_cast<uint32_t>(RoundDown(slot.done_bytes, alignment_));
  if (slot.done_bytes <= before && ++slot.retries > kIoRetriesMax) {
    slot.state = SlotState::kFree;
    return Status::IoError("write " + path_ + " at offset " + std::to_string(at) +
                           ": short writes make no progress");
  }
  return SubmitRest(slot);
}

Status SequentialWriter::ReopenBuffered() {
  assert(engine_->in_flight() == 0);
  SK_ASSIGN_OR_RETURN(int fd, fs_->Open(path_, O_WRONLY, 0644));
  (void)fs_->Close(fd_, path_);
  fd_ = fd;
  direct_ = false;
  for (Slot& s : slots_) {
    if (s.state == SlotState::kAwaitingReopen) SK_RETURN_IF_ERROR(SubmitRest(s));
  }
  return engine_->Flush();
}

Status SequentialWriter::DrainAll() {
  // Bounded: each pass reaps at least one completion or fails.
  while (true) {
    bool busy = false;
    for (const Slot& s : slots_) busy = busy || s.state != SlotState::kFree;
    if (!busy) return Status();
    SK_RETURN_IF_ERROR(ReapSome());
  }
}

Status SequentialWriter::Finish() {
  if (!status_.ok() || finished_) return status_;
  if (fill_bytes_ > 0) {
    Slot& slot = slots_[fill_slot_];
    while (slot.state != SlotState::kFree) {
      Status s = ReapSome();
      if (!s.ok()) return Fail(std::move(s));
    }
    Status s = SubmitFill();
    if (!s.ok()) return Fail(std::move(s));
  }
  Status s = DrainAll();
  if (s.ok() && size_needs_fix_) s = fs_->Truncate(fd_, path_, bytes_appended_);
  if (s.ok()) s = fs_->Fdatasync(fd_, path_);
  if (!s.ok()) return Fail(std::move(s));
  finished_ = true;
  return Status();
}

Status SequentialWriter::Close() {
  if (closed_) return status_;
  SK_RETURN_IF_ERROR(Finish());
  closed_ = true;
  Status s = fs_->Close(fd_, path_);
  if (!s.ok()) return Fail(std::move(s));
  return Status();
}

}  // namespace shardkit::storage
