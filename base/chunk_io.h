// ChunkSource and ChunkSink: the only way formats/ sees storage.
//
// A ChunkSource hands out a byte stream front to back as consecutive spans
// (the storage layer's sequential readers implement it with reads in flight;
// MemoryChunkSource serves tests and fuzzers). A ChunkSink takes a byte stream
// in order (storage writers, atomic publish, StringSink for tests).
//
// Threading: each object is used by one thread at a time.
// Errors: sticky. After a source or sink returns an error, every later call
// returns the same error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit {

using ByteSpan = std::span<const std::byte>;
using MutableByteSpan = std::span<std::byte>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  // Returns the next non-empty span of the stream, or an empty span at end of
  // stream. Lifetime: the span stays valid until the next call to Next() or
  // the source's destruction.
  virtual Result<ByteSpan> Next() = 0;
  // Name for error messages (usually the path).
  virtual const std::string& name() const = 0;
  // Total stream size when known up front (files), else nullopt.
  virtual std::optional<uint64_t> size() const = 0;
};

class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // Appends bytes to the stream. The sink copies what it needs; `bytes` need
  // only live for the call.
  virtual Status Append(ByteSpan bytes) = 0;
  // Flushes everything appended and makes it durable where that applies
  // (fdatasync for files). After Finish() no Append is allowed.
  virtual Status Finish() = 0;
  virtual const std::string& name() const = 0;

  // Optional zero-copy appends, for sinks that stage bytes in a buffer of
  // their own (the storage writer's aligned I/O buffers). Lend() returns
  // writable space in that buffer; an empty span means the sink does not
  // lend (use Append). The caller fills a prefix of the span and then calls
  // Commit(n), n <= its size, which appends those n bytes exactly as
  // Append would have; until Commit no other call may be made on the sink,
  // and after it the span must not be touched. Errors are sticky as above.
  // (ByteWriter uses this: it saves one copy of every byte written.)
  virtual Result<MutableByteSpan> Lend() { return MutableByteSpan(); }
  virtual Status Commit(size_t n) {
    return n == 0 ? Status() : Status::InvalidArgument(name() + ": Commit without a Lend");
  }
};

// Serves a borrowed buffer in chunks of at most `chunk_size` bytes (tests use
// small sizes to exercise every boundary). `data` must outlive the source.
class MemoryChunkSource final : public ChunkSource {
 public:
  MemoryChunkSource(ByteSpan data, size_t chunk_size = 1 << 20, std::string name = "<memory>")
      : data_(data), chunk_size_(chunk_size == 0 ? 1 : chunk_size), name_(std::move(name)) {}
  Result<ByteSpan> Next() override {
    size_t n = std::min(chunk_size_, data_.size() - pos_);
    ByteSpan out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  const std::string& name() const override { return name_; }
  std::optional<uint64_t> size() const override { return data_.size(); }

 private:
  ByteSpan data_;
  size_t chunk_size_;
  size_t pos_ = 0;
  std::string name_;
};

// Appends into an owned std::string. Finish() is a no-op.
class StringSink final : public ChunkSink {
 public:
  explicit StringSink(std::string name = "<memory>") : name_(std::move(name)) {}
  Status Append(ByteSpan bytes) override {
    data_.append(AsChars(bytes));
    return Status();
  }
  Status Finish() override { return Status(); }
  const std::string& name() const override { return name_; }
  const std::string& data() const { return data_; }
  std::string& mutable_data() { return data_; }

 private:
  std::string name_;
  std::string data_;
};

}  // namespace shardkit
