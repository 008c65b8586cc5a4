// BatchQueue<T>: a bounded blocking queue between the source workers and a
// node's writer thread. Push blocks while `capacity` items are queued (this
// backpressure is what bounds recover's memory); Pop blocks while the queue is
// empty and producers remain. Cancel() wakes everyone and makes Push/Pop fail.
// Threading: any number of producers, one consumer.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

namespace shardkit::loader {

template <typename T>
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

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
    return true;
  }
  void ProducerDone() {
    std::lock_guard<std::mutex> lock(mu_);
    --producers_;
    not_empty_.notify_all();
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
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    items_.clear();
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  size_t capacity_;
  int producers_ = 0;
  bool cancelled_ = false;
};

}  // namespace shardkit::loader
