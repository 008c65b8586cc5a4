#include "storage/append_writer.h"

#include <fcntl.h>

#include <cerrno>
#include <chrono>

#include "storage/io_error.h"
#include "storage/io_limits.h"

namespace shardkit::storage {

// One caller of Append waiting in the group-commit queue.
struct AppendWriter::Waiter {
  ByteSpan bytes;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

Result<FsyncPolicy> ParseFsyncPolicy(std::string_view name) {
  if (name == "always") return FsyncPolicy::kAlways;
  if (name == "everysec") return FsyncPolicy::kEverySec;
  if (name == "no") return FsyncPolicy::kNo;
  return Status::InvalidArgument("unknown fsync policy \"" + std::string(name) +
                                 "\" (expected always, everysec or no)");
}

std::string_view FsyncPolicyName(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kEverySec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "unknown";
}

Result<std::unique_ptr<AppendWriter>> AppendWriter::Open(const std::string& path,
                                                         const AppendWriterOptions& options) {
  std::unique_ptr<AppendWriter> w(new AppendWriter());
  w->environment_ = EnvironmentOf(options.io);
  w->fs_ = w->environment_->file_system();
  w->path_ = path;
  w->policy_ = options.policy;
  w->batch_bytes_max_ = options.batch_bytes_max == 0 ? 1 : options.batch_bytes_max;
  IoEngineOptions engine_options;
  engine_options.queue_depth = 1;
  engine_options.single_issuer = false;  // the leader can be any calling thread
  SK_ASSIGN_OR_RETURN(w->engine_, NewEngineFor(options.io, engine_options));
  // O_EXCL first tells whether we create the file (then its name must be
  // made durable by fsyncing the directory).
  Result<int> fd = w->fs_->Open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  bool created = fd.ok();
  if (!fd.ok() && fd.status().errno_value() == EEXIST) fd = w->fs_->Open(path, O_WRONLY, 0644);
  SK_ASSIGN_OR_RETURN(w->fd_, std::move(fd));
  Result<uint64_t> size = w->fs_->FileSize(w->fd_, path);
  Status s = size.ok() ? Status() : size.status();
  if (s.ok() && created) s = w->fs_->SyncDir(DirName(path));
  if (!s.ok()) {
    (void)w->fs_->Close(w->fd_, path);
    w->fd_ = -1;
    return s;
  }
  w->end_ = *size;
  w->durable_ = *size;  // what was there before counts as durable
  if (w->policy_ == FsyncPolicy::kEverySec) {
    w->ticker_ = options.ticker;
    if (w->ticker_ == nullptr) {
      w->own_ticker_ = NewPeriodicSyncTicker(std::chrono::seconds(1));
      w->ticker_ = w->own_ticker_.get();
    }
    w->flusher_ = std::thread([raw = w.get()] { raw->FlusherLoop(); });
  }
  return w;
}

AppendWriter::~AppendWriter() { (void)Close(); }

Status AppendWriter::Append(ByteSpan bytes) {
  Waiter self;
  self.bytes = bytes;
  std::unique_lock lock(mu_);
  if (closed_) return Status::InvalidArgument("append " + path_ + ": writer is closed");
  queue_.push_back(&self);
  // Wait until a leader has done our work or we are at the front.
  self.cv.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (self.done) return self.status;
  return LeadBatch(&self, lock);
}

// Group commit, run by the caller at the front of the queue:
//   1. Take the queued waiters (up to batch_bytes_max) and copy their bytes
//      into one buffer, under the lock.
//   2. Unlock; write the buffer at the end of the file; for `always`
//      fdatasync it. New callers queue meanwhile (they form the next batch).
//   3. Lock; record the result (sticky on error), pop the batch, wake each
//      of its waiters with the shared status, and wake the next leader.
Status AppendWriter::LeadBatch(Waiter* self, std::unique_lock<std::mutex>& lock) {
  size_t count = 0;
  batch_.clear();
  for (Waiter* w : queue_) {
    if (count > 0 && batch_.size() + w->bytes.size() > batch_bytes_max_) break;
    batch_.append(AsChars(w->bytes));
    ++count;
  }
  Status status = error_;
  uint64_t offset = end_;
  if (status.ok()) {
    lock.unlock();
    status = WriteAll(batch_, offset);
    if (status.ok() && policy_ == FsyncPolicy::kAlways) status = SyncUpTo(offset + batch_.size());
    lock.lock();
    if (status.ok()) {
      end_ = offset + batch_.size();
    } else if (error_.ok()) {
      error_ = status;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    Waiter* w = queue_.front();
    queue_.pop_front();
    if (w != self) {
      w->status = status;
      w->done = true;
      w->cv.notify_one();
    }
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return status;
}

// Writes all of `bytes` at `offset`, continuing short writes.
Status AppendWriter::WriteAll(std::string_view bytes, uint64_t offset) {
  size_t done = 0;
  int retries = 0;
  while (done < bytes.size()) {
    IoRequest req;
    req.op = IoOp::kWrite;
    req.fd = fd_;
    req.buffer = reinterpret_cast<std::byte*>(const_cast<char*>(bytes.data())) + done;
    req.length = static_cast<uint32_t>(std::min<size_t>(bytes.size() - done, 1u << 30));
    req.offset = offset + done;
    SK_RETURN_IF_ERROR(engine_->Submit(&req));
    IoRequest* out[1];
    size_t n = 0;
    for (int guard = 0; n == 0 && guard < kIoRetriesMax; ++guard) {
      SK_ASSIGN_OR_RETURN(n, engine_->Reap(out, /*wait=*/true));
    }
    if (n == 0) return Status::IoError("write " + path_ + ": completion never arrived");
    int32_t res = req.result;
    if (res < 0 && (res == -EAGAIN || res == -EINTR) && ++retries <= kIoRetriesMax) continue;
    if (res < 0) return IoErrorStatus(-res, "write", path_, static_cast<int64_t>(req.offset));
    if (res == 0 && ++retries > 1) {
      return Status::IoError("write " + path_ + " at offset " + std::to_string(req.offset) +
                             ": wrote 0 bytes twice");
    }
    done += static_cast<size_t>(res);
  }
  return Status();
}

// fdatasyncs and, on success, marks [0, end) durable. A failure is sticky.
Status AppendWriter::SyncUpTo(uint64_t end) {
  std::lock_guard sync_lock(sync_mu_);
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    if (durable_ >= end) return Status();
  }
  Status s = fs_->Fdatasync(fd_, path_);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    if (error_.ok()) error_ = s;
    return s;
  }
  if (end > durable_) durable_ = end;
  ++syncs_;
  return Status();
}

Status AppendWriter::Sync() {
  uint64_t end;
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
    end = end_;
  }
  return SyncUpTo(end);
}

void AppendWriter::FlusherLoop() {
  while (ticker_->WaitForTick()) {
    uint64_t end;
    bool failed;
    {
      std::lock_guard lock(mu_);
      end = end_;
      failed = !error_.ok();
    }
    if (!failed && end > durable_bytes()) (void)SyncUpTo(end);
    ticker_->TickDone();
  }
}

Status AppendWriter::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return error_;
    closed_ = true;
  }
  if (flusher_.joinable()) {
    ticker_->Stop();
    flusher_.join();
  }
  Status s;
  if (policy_ != FsyncPolicy::kNo) s = Sync();
  engine_.reset();
  if (fd_ >= 0) {
    Status c = fs_->Close(fd_, path_);
    if (s.ok()) s = c;
    fd_ = -1;
  }
  return s;
}

uint64_t AppendWriter::size_bytes() const {
  std::lock_guard lock(mu_);
  return end_;
}

uint64_t AppendWriter::durable_bytes() const {
  std::lock_guard lock(mu_);
  return durable_;
}

size_t AppendWriter::queued_appends() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

uint64_t AppendWriter::sync_count() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

}  // namespace shardkit::storage
