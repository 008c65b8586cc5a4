// Ziplist reader (formats-reference.md §5.1), used by RDB types 10, 12, 13
// and quicklist v1 nodes. Same contract as listpack.h: bounds-checked
// iteration of a borrowed blob; kCorruption with "ziplist +<pos>: <what>".
#pragma once

#include <cstdint>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/compact_entry.h"

namespace shardkit::formats {

class ZiplistIterator {
 public:
  // Checks the 10-byte header (zlbytes == blob size, zltail in bounds) and
  // the final 0xFF.
  static Result<ZiplistIterator> Open(ByteSpan blob);
  uint16_t header_count() const { return header_count_; }  // 65535 = unknown
  Result<bool> Next(CompactEntry* entry);

 private:
  ZiplistIterator(ByteSpan blob, uint16_t count) : blob_(blob), header_count_(count) {}
  ByteSpan blob_;
  uint16_t header_count_;
  size_t pos_ = 10;
  size_t prev_entry_size_ = 0;
  bool done_ = false;
};

// Full checks: every prevlen equals the previous entry's size, zltail points
// at the last entry, count equals zllen unless 65535. Returns the count.
Result<uint64_t> ValidateZiplist(ByteSpan blob);

}  // namespace shardkit::formats
