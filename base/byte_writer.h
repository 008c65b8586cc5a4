// ByteWriter: buffered appends to a ChunkSink with an optional observer (a
// running CRC) that sees every byte exactly once, in order.
//
// Buffering: when the sink lends its own buffer (ChunkSink::Lend, as the
// storage writers do) the bytes are written straight into it and committed
// when it is full or on Flush, so each byte is copied once; otherwise they
// are staged in a buffer of `buffer_bytes` owned here and handed over with
// Append.
//
// Ownership: the sink and the observer are borrowed and must outlive the
// writer. Threading: one thread. Errors: the first sink error is sticky and
// returned by every later call. Destroying the writer without Flush or
// Finish drops what it has staged (a lent span is simply not committed).
#pragma once

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/chunk_io.h"

namespace shardkit {

class ByteWriter {
 public:
  explicit ByteWriter(ChunkSink* sink, size_t buffer_bytes = 256 << 10)
      : sink_(sink), buffer_bytes_(std::max<size_t>(buffer_bytes, 1)) {}
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
    if (bytes.size() <= buffer_.size() - used_) {  // the common case: it fits
      // memcpy's pointers must not be null even for 0 bytes (before the
      // first buffer, or an empty string_view).
      if (bytes.empty()) return Status();
      std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
      used_ += bytes.size();
      return Status();
    }
    return AppendSlow(bytes);
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
  // Bytes that do not fit in the current buffer (or there is none yet).
  Status AppendSlow(ByteSpan bytes) {
    if (!error_.ok()) return error_;
    while (!bytes.empty()) {
      if (used_ == buffer_.size()) {
        SK_RETURN_IF_ERROR(FlushBuffer());
        SK_RETURN_IF_ERROR(NextBuffer());
        // A large piece for a sink that copies anyway: hand it over whole.
        if (!lent_ && bytes.size() >= buffer_.size()) {
          if (observer_ != nullptr) observer_->Observe(bytes);
          flushed_ += bytes.size();
          return Keep(sink_->Append(bytes));
        }
      }
      const size_t n = std::min(bytes.size(), buffer_.size() - used_);
      std::memcpy(buffer_.data() + used_, bytes.data(), n);
      used_ += n;
      bytes = bytes.subspan(n);
    }
    return Status();
  }
  // REQUIRES: nothing staged. The sink's next lent span, else our own buffer.
  Status NextBuffer() {
    if (sink_lends_) {
      Result<MutableByteSpan> lent = sink_->Lend();
      if (!lent.ok()) return Keep(lent.status());
      if (!lent->empty()) {
        buffer_ = *lent;
        lent_ = true;
        return Status();
      }
      sink_lends_ = false;
    }
    own_.resize(buffer_bytes_);
    buffer_ = MutableByteSpan(own_);
    lent_ = false;
    return Status();
  }
  void FeedObserver() {
    if (observer_ != nullptr && used_ > observed_) {
      observer_->Observe(ByteSpan(buffer_.data() + observed_, used_ - observed_));
    }
    observed_ = used_;
  }
  Status FlushBuffer() {
    FeedObserver();
    if (lent_) {
      // A lent span is given back even when empty: the sink expects Commit.
      Status s = sink_->Commit(used_);
      flushed_ += used_;
      used_ = observed_ = 0;
      buffer_ = MutableByteSpan();
      lent_ = false;
      return Keep(std::move(s));
    }
    if (used_ == 0) return Status();
    Status s = sink_->Append(ByteSpan(buffer_.data(), used_));
    flushed_ += used_;
    used_ = observed_ = 0;
    return Keep(std::move(s));
  }
  Status Keep(Status s) {
    if (!s.ok() && error_.ok()) {
      error_ = s;
      // Every later Append takes the slow path, which returns the error.
      buffer_ = MutableByteSpan();
      used_ = observed_ = 0;
      lent_ = false;
    }
    return s;
  }

  ChunkSink* sink_;
  size_t buffer_bytes_;
  bool sink_lends_ = true;       // until the sink's Lend says otherwise
  bool lent_ = false;            // buffer_ is the sink's
  std::vector<std::byte> own_;   // used when the sink does not lend
  MutableByteSpan buffer_;       // where bytes are staged: own_ or a lent span
  size_t used_ = 0;
  size_t observed_ = 0;
  uint64_t flushed_ = 0;
  ByteObserver* observer_ = nullptr;
  Status error_;
};

}  // namespace shardkit
