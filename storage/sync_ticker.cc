// Tickers for the everysec flusher of AppendWriter.
#include <chrono>

#include "storage/append_writer.h"

namespace shardkit::storage {
namespace {

class PeriodicSyncTicker final : public SyncTicker {
 public:
  explicit PeriodicSyncTicker(std::chrono::milliseconds period)
      : period_(period), next_(std::chrono::steady_clock::now() + period) {}
  bool WaitForTick() override {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, next_, [&] { return stopped_; });
    if (stopped_) return false;
    next_ = std::chrono::steady_clock::now() + period_;
    return true;
  }
  void Stop() override {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point next_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<SyncTicker> NewPeriodicSyncTicker(std::chrono::milliseconds period) {
  return std::make_unique<PeriodicSyncTicker>(period);
}

bool ManualSyncTicker::Tick(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (stopped_) return false;
  uint64_t want = ++ticks_requested_;
  cv_.notify_all();
  return cv_.wait_for(lock, timeout, [&] { return ticks_done_ >= want || stopped_; }) &&
         ticks_done_ >= want;
}

bool ManualSyncTicker::WaitForTick() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopped_ || ticks_taken_ < ticks_requested_; });
  if (stopped_) return false;
  ++ticks_taken_;
  return true;
}

void ManualSyncTicker::TickDone() {
  std::lock_guard lock(mu_);
  ++ticks_done_;
  cv_.notify_all();
}

void ManualSyncTicker::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

}  // namespace shardkit::storage
