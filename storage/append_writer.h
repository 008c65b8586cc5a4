// AppendWriter appends records to a log file (AOF) with the fsync policies
// Redis users know (appendfsync always | everysec | no).
//
//   always:   Append returns only after its bytes are durable (fdatasync).
//             Group commit: concurrent callers queue; the caller at the
//             front (the leader) writes the whole queued batch with one
//             write and one fdatasync, then wakes every caller of the batch
//             with the shared result (leveldb DBImpl::Write).
//   everysec: Append returns once the bytes are written to the file (page
//             cache); a background flusher fdatasyncs once per tick
//             (one second; tests inject a ManualSyncTicker).
//   no:       Append returns once written; syncing is left to the kernel.
//
// After a failed write or fdatasync the writer is failed for good: every
// later Append/Sync returns that error and nothing is reported durable
// again (a failed fdatasync may have dropped dirty pages; retrying it could
// falsely succeed).
//
// The file is opened for appending (created if missing, and then its
// directory is fsynced so the name survives a crash); existing bytes are
// kept. Writes are buffered (no O_DIRECT: records are small and unaligned)
// and go through an IoEngine like every other storage writer.
//
// Threading: Append, Sync and the accessors are thread-safe. Close() and
// destruction must not race with Append.
// Lifetime: `bytes` of Append need only live for the call.
// Errors: naming the path, the operation and the offset; sticky.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/chunk_io.h"
#include "storage/io_engine.h"
#include "storage/io_environment.h"
#include "storage/io_options.h"

namespace shardkit::storage {

enum class FsyncPolicy { kAlways, kEverySec, kNo };

// "always", "everysec", "no" (Redis' spelling) -> policy.
Result<FsyncPolicy> ParseFsyncPolicy(std::string_view name);
std::string_view FsyncPolicyName(FsyncPolicy policy);

// When the everysec flusher syncs. Threading: WaitForTick/TickDone are
// called by the flusher thread, Stop by the owner.
class SyncTicker {
 public:
  virtual ~SyncTicker() = default;
  // Blocks until the next sync is due; false once Stop() was called.
  virtual bool WaitForTick() = 0;
  // The flusher finished the sync of the last tick.
  virtual void TickDone() {}
  virtual void Stop() = 0;
};

// Fires once per `period` of the steady clock (the default ticker).
std::unique_ptr<SyncTicker> NewPeriodicSyncTicker(std::chrono::milliseconds period);

// A ticker driven by the caller: Tick() releases one sync and waits for it
// to finish (bounded by `timeout`; false on timeout or after Stop()).
class ManualSyncTicker final : public SyncTicker {
 public:
  bool Tick(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool WaitForTick() override;
  void TickDone() override;
  void Stop() override;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t ticks_requested_ = 0;
  uint64_t ticks_taken_ = 0;
  uint64_t ticks_done_ = 0;
  bool stopped_ = false;
};

struct AppendWriterOptions {
  FsyncPolicy policy = FsyncPolicy::kEverySec;
  // backend and environment are used; direct is ignored (always buffered).
  IoOptions io;
  // everysec only: nullptr = one tick per second. Lifetime: must outlive the
  // writer; the writer calls Stop() on it at Close().
  SyncTicker* ticker = nullptr;
  // Largest batch one group-commit leader writes at once.
  size_t batch_bytes_max = 4 << 20;
};

class AppendWriter {
 public:
  static Result<std::unique_ptr<AppendWriter>> Open(const std::string& path,
                                                    const AppendWriterOptions& options);
  ~AppendWriter();
  AppendWriter(const AppendWriter&) = delete;
  AppendWriter& operator=(const AppendWriter&) = delete;

  // Appends `bytes` as one unit (never interleaved with another caller's).
  // Returns per the policy above.
  Status Append(ByteSpan bytes);
  // fdatasyncs everything appended so far (any policy).
  Status Sync();
  // Stops the flusher, syncs (always/everysec) and closes. Idempotent.
  Status Close();

  const std::string& path() const { return path_; }
  uint64_t size_bytes() const;     // file size including every acknowledged append
  uint64_t durable_bytes() const;  // prefix covered by a successful fdatasync
  uint64_t sync_count() const;     // successful fdatasyncs so far
  size_t queued_appends() const;   // callers waiting in the group-commit queue (leader included)

 private:
  struct Waiter;
  AppendWriter() = default;
  Status LeadBatch(Waiter* self, std::unique_lock<std::mutex>& lock);
  Status WriteAll(std::string_view bytes, uint64_t offset);
  Status SyncUpTo(uint64_t end);
  void FlusherLoop();

  IoEnvironment* environment_ = nullptr;
  FileSystem* fs_ = nullptr;
  std::string path_;
  int fd_ = -1;
  FsyncPolicy policy_ = FsyncPolicy::kEverySec;
  size_t batch_bytes_max_ = 0;
  std::unique_ptr<IoEngine> engine_;  // used by the current leader only
  std::string batch_;                 // used by the current leader only

  mutable std::mutex mu_;
  std::deque<Waiter*> queue_;  // GUARDED_BY(mu_)
  uint64_t end_ = 0;           // GUARDED_BY(mu_)
  uint64_t durable_ = 0;       // GUARDED_BY(mu_)
  uint64_t syncs_ = 0;         // GUARDED_BY(mu_)
  Status error_;               // GUARDED_BY(mu_); sticky
  bool closed_ = false;        // GUARDED_BY(mu_)
  std::mutex sync_mu_;         // serialises fdatasync calls

  std::unique_ptr<SyncTicker> own_ticker_;
  SyncTicker* ticker_ = nullptr;
  std::thread flusher_;
};

}  // namespace shardkit::storage
