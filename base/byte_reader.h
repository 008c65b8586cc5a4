// ByteReader: the cursor every parser reads through.
//
// It pulls spans from a ChunkSource, keeps the absolute byte offset, serves
// contiguous views of any small size across chunk boundaries (copying only the
// few bytes that straddle a boundary), copies large payloads straight from the
// chunks into the caller's buffer, and feeds every consumed byte, exactly once
// and in order, to the attached observers (a running CRC, a raw-bytes capture).
// Observers are fed lazily in bulk (at chunk switches, on Flush, and each one
// on its own detach), so the per-read cost is a pointer bump; call
// FlushObservers() before reading an observer's state. Each observer keeps
// its own fed position: attaching and detaching a capture per value does not
// cut the CRC's spans into record-sized pieces (which took ISA-L's small-input
// path and cost ~10% of an RDB parse).
//
// Ownership: the source and the observers are borrowed and must outlive the
// reader (or be detached). Spans returned by Read/Peek are valid until the
// next call on the reader.
// Threading: one thread.
// Errors: a source error is sticky. Asking for bytes past the end of the
// stream returns kCorruption "<name> offset N: unexpected end of file (needed
// K more bytes)" and is sticky too; the caller adds phase/key context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/chunk_io.h"

namespace shardkit {

class ByteObserver {
 public:
  virtual ~ByteObserver() = default;
  // Called with consecutive consumed bytes of the stream.
  virtual void Observe(ByteSpan bytes) = 0;
};

// Appends observed bytes to a std::string (raw copy-through of values).
class CaptureObserver final : public ByteObserver {
 public:
  explicit CaptureObserver(std::string* out) : out_(out) {}
  void Observe(ByteSpan bytes) override {
    out_->append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  static constexpr int kMaxObservers = 4;

  // REQUIRES: source outlives the reader. start_offset is the offset of the
  // source's first byte in the file (for error messages).
  explicit ByteReader(ChunkSource* source, uint64_t start_offset = 0);
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  // Absolute offset of the next unconsumed byte.
  uint64_t offset() const { return window_base_ + pos_; }
  const std::string& name() const { return source_->name(); }
  // The source's size, read once at construction (ChunkSource::size() is
  // fixed up front): parsers ask for it per length field, and a virtual
  // call each time was ~5% of an RDB -> native conversion's parse thread.
  std::optional<uint64_t> source_size() const { return source_size_; }
  // Bytes not yet consumed, when the source knows its size.
  std::optional<uint64_t> remaining() const {
    if (!source_size_.has_value()) return std::nullopt;
    const uint64_t consumed = offset() - start_offset_;
    return *source_size_ > consumed ? *source_size_ - consumed : 0;
  }

  // Consumes exactly n bytes and returns a contiguous view of them.
  // For small n (headers, lengths); n above kMaxContiguous is refused.
  Result<ByteSpan> Read(size_t n);
  // Returns a view of the next n bytes without consuming them.
  Result<ByteSpan> Peek(size_t n);
  // The bytes already in the current window (no I/O; may be empty), for
  // parsers' fast paths. Valid until the next call that reads or fills.
  ByteSpan Buffered() const { return window_.subspan(pos_); }
  // Consumes n bytes of Buffered(). REQUIRES: n <= Buffered().size().
  void Consume(size_t n) { pos_ += n; }
  // Consumes one byte.
  Result<uint8_t> ReadByte();
  // Consumes exactly n bytes into dst (any size; no intermediate copy).
  Status ReadInto(std::byte* dst, size_t n);
  // Consumes n bytes, appending them to *out (out may be null: skip).
  Status ReadAppend(std::string* out, uint64_t n);
  Status Skip(uint64_t n) { return ReadAppend(nullptr, n); }
  // Returns up to `max` contiguous bytes (at least 1) and consumes them;
  // an empty span means end of stream.
  Result<ByteSpan> ReadSome(size_t max);
  // True when no bytes remain.
  Result<bool> AtEnd();

  // Observers. Attach feeds only bytes consumed after the call.
  void AttachObserver(ByteObserver* observer);
  // Feeds pending bytes to the observer, then detaches it.
  void DetachObserver(ByteObserver* observer);
  // Feeds every consumed byte to the observers.
  void FlushObservers();
  // Makes the reader fail with `s` (when it has no error yet) from its next
  // window switch on: for an observer that must stop the parse (it cannot
  // return a Status). Safe to call from ByteObserver::Observe. Reads within
  // the current window still succeed.
  void Abort(Status s) {
    if (error_.ok()) error_ = std::move(s);
  }

  // Builds the standard corruption Status: "<name> offset 0x<hex> (<dec>): <what>".
  Status CorruptionAt(uint64_t offset, std::string_view what) const;

  static constexpr size_t kMaxContiguous = 1 << 20;

 private:
  // Makes at least n bytes available in the window. False at end of stream.
  Result<bool> Fill(size_t n);
  // Feeds every observer its unfed bytes of the window, up to pos_.
  void FeedObservers();
  // Feeds observer i its unfed bytes of the window, up to pos_.
  void FeedObserver(int i);
  // Called when the window changes, after FeedObservers().
  void ResetObserverPositions();
  // Moves to the next chunk after the window is exhausted.
  Result<bool> NextWindow();
  Status Sticky(Status s);

  ChunkSource* source_;
  std::optional<uint64_t> source_size_;  // source_->size() at construction
  uint64_t start_offset_ = 0;  // offset of the source's first byte
  ByteSpan window_;          // current bytes: a source chunk or carry_
  size_t pos_ = 0;           // consumed within window_
  uint64_t window_base_ = 0; // absolute offset of window_[0]
  bool in_carry_ = false;
  std::vector<std::byte> carry_;  // straddling bytes
  ByteSpan pending_;              // when in_carry_: rest of the source chunk
  bool eof_ = false;
  Status error_;
  ByteObserver* observers_[kMaxObservers] = {};
  size_t observer_fed_[kMaxObservers] = {};  // fed within window_, per observer
  int observer_count_ = 0;
};

}  // namespace shardkit
