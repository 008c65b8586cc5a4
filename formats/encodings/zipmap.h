// Zipmap reader (formats-reference.md §5.4), RDB type 9 (Redis 2.4 hashes).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/chunk_io.h"
#include "base/status.h"

namespace shardkit::formats {

class ZipmapIterator {
 public:
  static Result<ZipmapIterator> Open(ByteSpan blob);
  // Header count byte: the pair count when < 254, else unknown (254).
  uint8_t header_count() const { return header_count_; }
  // Next field/value pair (views into the blob); false at the 0xFF end.
  // At the end, a header count below 254 must equal the pairs read.
  Result<bool> Next(std::string_view* field, std::string_view* value);

 private:
  ZipmapIterator(ByteSpan blob, uint8_t count) : blob_(blob), header_count_(count) {}
  ByteSpan blob_;
  uint8_t header_count_;
  size_t pos_ = 1;
  uint32_t pairs_ = 0;
  bool done_ = false;
};

}  // namespace shardkit::formats
