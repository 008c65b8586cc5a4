#include "storage/sequential_reader.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "storage/file_reader.h"
#include "storage/io_error.h"
#include "storage/io_limits.h"

namespace shardkit::storage {
namespace {

// Opens for reading: O_NOATIME is dropped on EPERM (not the file's owner),
// O_DIRECT on EINVAL (file system without direct I/O).
Result<int> OpenForRead(FileSystem* fs, const std::string& path, bool* direct) {
  int flags = O_RDONLY | O_NOATIME | (*direct ? O_DIRECT : 0);
  Result<int> fd = fs->Open(path, flags, 0);
  if (!fd.ok() && fd.status().errno_value() == EPERM) {
    flags &= ~O_NOATIME;
    fd = fs->Open(path, flags, 0);
  }
  if (!fd.ok() && fd.status().errno_value() == EINVAL && *direct) {
    *direct = false;
    fd = fs->Open(path, flags & ~O_DIRECT, 0);
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<SequentialReader>> SequentialReader::Open(const std::string& path,
                                                                 const IoOptions& options,
                                                                 uint64_t start_offset) {
  if (options.queue_depth < 1 || options.queue_depth > kIoQueueDepthMax ||
      options.block_bytes == 0 || options.block_bytes > kIoBlockBytesMax) {
    return Status::InvalidArgument("open " + path + ": queue_depth must be 1..256 and " +
                                   "block_bytes 1..64 MiB");
  }
  std::unique_ptr<SequentialReader> r(new SequentialReader());
  r->environment_ = EnvironmentOf(options);
  r->fs_ = r->environment_->file_system();
  r->path_ = path;
  r->direct_ = options.direct;
  r->want_register_ = options.register_buffers;
  IoEngineOptions engine_options;
  engine_options.queue_depth = options.queue_depth;
  SK_ASSIGN_OR_RETURN(r->engine_, NewEngineFor(options, engine_options));
  SK_ASSIGN_OR_RETURN(r->fd_, OpenForRead(r->fs_, path, &r->direct_));
  SK_ASSIGN_OR_RETURN(r->file_size_, r->fs_->FileSize(r->fd_, path));
  r->alignment_ = r->fs_->DirectIoAlignment(r->fd_);
  if (start_offset > r->file_size_ || start_offset % r->alignment_ != 0) {
    return Status::InvalidArgument("open " + path + ": start offset " +
                                   std::to_string(start_offset) + " is past the end (" +
                                   std::to_string(r->file_size_) + " bytes) or not a multiple of " +
                                   std::to_string(r->alignment_));
  }
  r->start_offset_ = start_offset;
  r->next_submit_offset_ = r->next_deliver_offset_ = start_offset;
  r->block_bytes_ = static_cast<uint32_t>(RoundUp(options.block_bytes, r->alignment_));
  uint64_t blocks = (r->file_size_ - start_offset + r->block_bytes_ - 1) / r->block_bytes_;
  int depth = static_cast<int>(std::clamp<uint64_t>(blocks, 1, options.queue_depth));
  SK_ASSIGN_OR_RETURN(r->region_, AlignedRegion::Allocate(size_t{r->block_bytes_} * depth,
                                                          std::max<size_t>(r->alignment_, 4096)));
  r->slots_.resize(depth);
  for (int i = 0; i < depth; ++i) {
    r->slots_[i].buffer = r->region_.data() + size_t{r->block_bytes_} * i;
    r->slots_[i].request.tag = static_cast<uint64_t>(i);
  }
  return r;
}

SequentialReader::~SequentialReader() {
  engine_.reset();  // waits for reads still in flight into region_
  if (fd_ >= 0) (void)fs_->Close(fd_, path_);
}

Status SequentialReader::Start() {
  started_ = true;
  if (want_register_) registered_ = engine_->RegisterBuffers(region_.span());
  for (Slot& slot : slots_) SK_RETURN_IF_ERROR(SubmitNextBlock(slot));
  return engine_->Flush();
}

Status SequentialReader::SubmitNextBlock(Slot& slot) {
  if (next_submit_offset_ >= file_size_) {
    slot.state = SlotState::kIdle;
    return Status();
  }
  slot.block_offset = next_submit_offset_;
  slot.want_bytes =
      static_cast<uint32_t>(std::min<uint64_t>(block_bytes_, file_size_ - slot.block_offset));
  // The tail is read as a whole aligned block (O_DIRECT needs it) and trimmed.
  slot.read_bytes = static_cast<uint32_t>(RoundUp(slot.want_bytes, alignment_));
  slot.done_bytes = 0;
  slot.zero_reads = 0;
  slot.retries = 0;
  next_submit_offset_ += slot.want_bytes;
  return SubmitRest(slot);
}

Status SequentialReader::SubmitRest(Slot& slot) {
  IoRequest& req = slot.request;
  req.op = IoOp::kRead;
  req.fd = fd_;
  req.buffer = slot.buffer + slot.done_bytes;
  req.length = slot.read_bytes - slot.done_bytes;
  req.offset = slot.block_offset + slot.done_bytes;
  req.buffer_index = registered_ ? 0 : -1;
  slot.state = SlotState::kInFlight;
  return engine_->Submit(&req);
}

Result<ByteSpan> SequentialReader::Next() {
  if (!status_.ok()) return status_;
  if (!started_) {
    status_ = Start();
  } else if (held_slot_ >= 0) {
    // The consumer is done with the previous span: reuse its slot.
    status_ = SubmitNextBlock(slots_[held_slot_]);
    if (status_.ok()) status_ = engine_->Flush();
  }
  held_slot_ = -1;
  if (!status_.ok()) return status_;
  if (next_deliver_offset_ >= file_size_) return ByteSpan{};
  int index = static_cast<int>(next_deliver_block_ % slots_.size());
  Slot& slot = slots_[index];
  status_ = WaitForSlot(slot);
  if (!status_.ok()) return status_;
  assert(slot.block_offset == next_deliver_offset_);
  next_deliver_offset_ += slot.want_bytes;
  ++next_deliver_block_;
  held_slot_ = index;
  return ByteSpan(slot.buffer, slot.want_bytes);
}

// Reaps completions (in any order, for any slot) until `slot` is ready.
// Every pass either reaps at least one completion or fails, so the loop is
// bounded by the retry limits of the slots.
Status SequentialReader::WaitForSlot(Slot& slot) {
  IoRequest* done[kIoQueueDepthMax];
  while (slot.state != SlotState::kReady) {
    if (engine_->in_flight() == 0) {
      if (slot.state != SlotState::kAwaitingReopen) {
        return Status::IoError("read " + path_ + ": reader stalled with no read in flight");
      }
      SK_RETURN_IF_ERROR(ReopenBuffered());
      continue;
    }
    SK_ASSIGN_OR_RETURN(size_t n, engine_->Reap(std::span(done, slots_.size()), /*wait=*/true));
    Status first_error;
    for (size_t i = 0; i < n; ++i) {
      Status s = HandleCompletion(slots_[done[i]->tag]);
      if (!s.ok() && first_error.ok()) first_error = std::move(s);
    }
    SK_RETURN_IF_ERROR(first_error);
    SK_RETURN_IF_ERROR(engine_->Flush());
  }
  return Status();
}

Status SequentialReader::HandleCompletion(Slot& slot) {
  const int32_t res = slot.request.result;
  const int64_t at = static_cast<int64_t>(slot.request.offset);
  if (res < 0) {
    int err = -res;
    if ((err == EAGAIN || err == EINTR) && ++slot.retries <= kIoRetriesMax) return SubmitRest(slot);
    if (err == EINVAL && direct_) {
      // Direct I/O refused at the first read: finish what is in flight,
      // then reopen buffered (ReopenBuffered) and resubmit this slot.
      slot.state = SlotState::kAwaitingReopen;
      return Status();
    }
    return IoErrorStatus(err, "read", path_, at);
  }
  if (res == 0) {
    if (++slot.zero_reads <= 1) return SubmitRest(slot);
    return Status::IoError("read " + path_ + " at offset " + std::to_string(at) +
                           ": unexpected end of file (file was " + std::to_string(file_size_) +
                           " bytes at open; truncated while being read?)");
  }
  uint32_t before = slot.done_bytes;
  slot.done_bytes += static_cast<uint32_t>(res);
  slot.zero_reads = 0;  // only consecutive zero-byte reads mean end of file
  if (slot.done_bytes >= slot.want_bytes) {
    slot.state = SlotState::kReady;
    return Status();
  }
  // Short read: continue from where it stopped. O_DIRECT needs an aligned
  // offset, so an unaligned partial block is read again.
  if (direct_) slot.done_bytes = static_cast<uint32_t>(RoundDown(slot.done_bytes, alignment_));
  if (slot.done_bytes <= before && ++slot.retries > kIoRetriesMax) {
    return Status::IoError("read " + path_ + " at offset " + std::to_string(at) +
                           ": short reads make no progress");
  }
  return SubmitRest(slot);
}

Status SequentialReader::ReopenBuffered() {
  assert(engine_->in_flight() == 0);
  bool direct = false;
  SK_ASSIGN_OR_RETURN(int fd, OpenForRead(fs_, path_, &direct));
  (void)fs_->Close(fd_, path_);
  fd_ = fd;
  direct_ = false;
  for (Slot& s : slots_) {
    if (s.state == SlotState::kAwaitingReopen) SK_RETURN_IF_ERROR(SubmitRest(s));
  }
  return engine_->Flush();
}

Result<std::unique_ptr<ChunkSource>> OpenSequentialReader(const std::string& path,
                                                          const IoOptions& options,
                                                          uint64_t start_offset) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SequentialReader> reader,
                      SequentialReader::Open(path, options, start_offset));
  return std::unique_ptr<ChunkSource>(std::move(reader));
}

}  // namespace shardkit::storage
