// RandomAccessSource: a read-only byte store of known size read at chosen
// offsets (the native snapshot reader fetches its trailer, index and chosen
// blocks this way). The storage layer implements it over a file with pread
// (storage/positional_reader.h); MemoryRandomAccessSource serves tests.
//
// Threading: ReadAt is const and must be safe to call from several threads
// at once (pread is); each call fills only its own destination.
// Errors: kIoError naming the source, the offset and the length; reading
// past size() is kCorruption ("unexpected end of file").
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "base/chunk_io.h"

namespace shardkit {

class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  // Fills all of `dst` with the bytes at [offset, offset + dst.size()).
  virtual Status ReadAt(uint64_t offset, MutableByteSpan dst) const = 0;
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
