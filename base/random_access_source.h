// RandomAccessSource: a read-only byte store of known size read at chosen
// offsets (the native snapshot reader fetches its trailer, index and chosen
// blocks this way). The storage layer implements it over a file with pread
// (storage/positional_reader.h); MemoryRandomAccessSource serves tests.
//
// Threading: ReadAt and ReadRange are const and must be safe to call from
// several threads at once (pread is); each call fills only its own
// destination (its own ReadScratch for ReadRange).
// Errors: kIoError naming the source, the offset and the length; reading
// past size() is kCorruption ("unexpected end of file").
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "base/chunk_io.h"

namespace shardkit {

// ReadScratch: reusable memory for RandomAccessSource::ReadRange, aligned
// for O_DIRECT (kAlignment) and grown on demand, never shrunk. Owned and used
// by one thread; keeping one per reading thread makes repeated reads of
// similar sizes allocation-free (and free of fresh-page faults).
class ReadScratch {
 public:
  static constexpr size_t kAlignment = 4096;
  // Bytes at least `n` long, valid until the next Reserve or destruction.
  // kResourceExhausted when memory is short (the caller bounds `n`).
  Result<MutableByteSpan> Reserve(size_t n) {
    if (n > size_) {
      const size_t rounded = (n + kAlignment - 1) / kAlignment * kAlignment;
      void* p = std::aligned_alloc(kAlignment, rounded);
      if (p == nullptr) {
        return Status::ResourceExhausted("cannot allocate a read buffer of " +
                                         std::to_string(rounded) + " bytes");
      }
      data_.reset(static_cast<std::byte*>(p));
      size_ = rounded;
    }
    return MutableByteSpan(data_.get(), size_);
  }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t size_ = 0;
};

class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  // Fills all of `dst` with the bytes at [offset, offset + dst.size()).
  virtual Status ReadAt(uint64_t offset, MutableByteSpan dst) const = 0;
  // Reads [offset, offset + length) into `scratch` and returns a view of
  // exactly those bytes inside it, valid until `scratch` is reused. Sources
  // that read with O_DIRECT read the aligned window around the range
  // straight into the scratch (no bounce copy); the default reads with
  // ReadAt. Errors as ReadAt.
  virtual Result<ByteSpan> ReadRange(uint64_t offset, size_t length,
                                     ReadScratch* scratch) const {
    SK_ASSIGN_OR_RETURN(MutableByteSpan buf, scratch->Reserve(length));
    SK_RETURN_IF_ERROR(ReadAt(offset, buf.first(length)));
    return ByteSpan(buf.first(length));
  }
  virtual uint64_t size() const = 0;
  virtual const std::string& name() const = 0;
};

// Serves a borrowed buffer. `data` must outlive the source.
class MemoryRandomAccessSource final : public RandomAccessSource {
 public:
  explicit MemoryRandomAccessSource(ByteSpan data, std::string name = "<memory>")
      : data_(data), name_(std::move(name)) {}
  Status ReadAt(uint64_t offset, MutableByteSpan dst) const override {
    if (offset > data_.size() || dst.size() > data_.size() - offset) {
      return Status::Corruption(name_ + ": read of " + std::to_string(dst.size()) +
                                " bytes at offset " + std::to_string(offset) +
                                " runs past the end of the file (" +
                                std::to_string(data_.size()) + " bytes): unexpected end of file");
    }
    if (!dst.empty()) std::memcpy(dst.data(), data_.data() + offset, dst.size());
    return Status();
  }
  uint64_t size() const override { return data_.size(); }
  const std::string& name() const override { return name_; }

 private:
  ByteSpan data_;
  std::string name_;
};

}  // namespace shardkit
