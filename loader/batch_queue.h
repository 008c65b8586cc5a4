// BatchQueue<T>: a bounded blocking queue between the source workers and a
// node's writer thread. Push blocks while `capacity` items are queued (this
// backpressure is what bounds recover's memory); Pop blocks while the queue is
// empty and producers remain. Cancel() wakes everyone and makes Push/Pop fail.
// Threading: any number of producers, one consumer.
//
// A consumer that serves several queues (a node writer, one queue per
// source) attaches one QueueSignal to all of them and waits on it: every
// Push, ProducerDone and Cancel bumps it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

namespace shardkit::loader {

// A counter of queue events with a wait for "changed since".
class QueueSignal {
 public:
  uint64_t events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    ++events_;
    cv_.notify_all();
  }
  // Returns when events() differs from `seen`.
  void WaitChange(uint64_t seen) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return events_ != seen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t events_ = 0;
};

enum class PopResult { kItem, kEmpty, kDone };

template <typename T>
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Borrowed; must outlive the queue. Set before any producer starts.
  void AttachSignal(QueueSignal* signal) { signal_ = signal; }

  // Non-blocking Pop: kItem (moved to *out), kEmpty (producers remain),
  // kDone (drained with no producers left, or cancelled).
  PopResult TryPop(T* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return PopResult::kDone;
    if (items_.empty()) return producers_ <= 0 ? PopResult::kDone : PopResult::kEmpty;
    *out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return PopResult::kItem;
  }

  void SetProducers(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    producers_ = n;
  }
  // False when cancelled (the item is dropped).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    lock.unlock();
    if (signal_ != nullptr) signal_->Notify();
    return true;
  }
  void ProducerDone() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --producers_;
      not_empty_.notify_all();
    }
    if (signal_ != nullptr) signal_->Notify();
  }
  // False when drained with no producers left, or cancelled.
  bool Pop(T* out) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return cancelled_ || !items_.empty() || producers_ <= 0; });
    if (cancelled_ || items_.empty()) return false;
    *out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Cancel() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
      items_.clear();
      not_full_.notify_all();
      not_empty_.notify_all();
    }
    if (signal_ != nullptr) signal_->Notify();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  size_t capacity_;
  int producers_ = 0;
  bool cancelled_ = false;
  QueueSignal* signal_ = nullptr;
};

}  // namespace shardkit::loader
