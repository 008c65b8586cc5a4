// ByteWriter: buffered appends to a ChunkSink with an optional observer (a
// running CRC) that sees every byte exactly once, in order.
//
// Ownership: the sink and the observer are borrowed and must outlive the
// writer. Threading: one thread. Errors: the first sink error is sticky and
// returned by every later call.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/chunk_io.h"

namespace shardkit {

class ByteWriter {
 public:
  explicit ByteWriter(ChunkSink* sink, size_t buffer_bytes = 256 << 10)
      : sink_(sink), buffer_(buffer_bytes) {}
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  // Bytes appended so far (the offset of the next byte).
  uint64_t offset() const { return flushed_ + used_; }
  const std::string& name() const { return sink_->name(); }

  // REQUIRES: no bytes appended yet, or FlushObserver() just called.
  void SetObserver(ByteObserver* observer) {
    FeedObserver();
    observer_ = observer;
  }
  // Feeds buffered bytes to the observer (call before reading its state).
  void FlushObserver() { FeedObserver(); }

  Status Append(ByteSpan bytes) {
    if (!error_.ok()) return error_;
    if (bytes.size() <= buffer_.size() - used_) {
      std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
      used_ += bytes.size();
      return Status();
    }
    SK_RETURN_IF_ERROR(FlushBuffer());
    if (bytes.size() >= buffer_.size()) {
      if (observer_ != nullptr) observer_->Observe(bytes);
      flushed_ += bytes.size();
      return Keep(sink_->Append(bytes));
    }
    std::memcpy(buffer_.data(), bytes.data(), bytes.size());
    used_ = bytes.size();
    return Status();
  }
  Status Append(std::string_view s) { return Append(AsBytes(s)); }
  Status AppendByte(uint8_t b) {
    std::byte v{b};
    return Append(ByteSpan(&v, 1));
  }

  // Hands buffered bytes to the sink (not durable).
  Status Flush() {
    if (!error_.ok()) return error_;
    return FlushBuffer();
  }
  // Flush + sink->Finish() (durable for files).
  Status Finish() {
    SK_RETURN_IF_ERROR(Flush());
    return Keep(sink_->Finish());
  }

 private:
  void FeedObserver() {
    if (observer_ != nullptr && used_ > observed_) {
      observer_->Observe(ByteSpan(buffer_.data() + observed_, used_ - observed_));
    }
    observed_ = used_;
  }
  Status FlushBuffer() {
    FeedObserver();
    if (used_ == 0) return Status();
    Status s = sink_->Append(ByteSpan(buffer_.data(), used_));
    flushed_ += used_;
    used_ = observed_ = 0;
    return Keep(std::move(s));
  }
  Status Keep(Status s) {
    if (!s.ok() && error_.ok()) error_ = s;
    return s;
  }

  ChunkSink* sink_;
  std::vector<std::byte> buffer_;
  size_t used_ = 0;
  size_t observed_ = 0;
  uint64_t flushed_ = 0;
  ByteObserver* observer_ = nullptr;
  Status error_;
};

}  // namespace shardkit
