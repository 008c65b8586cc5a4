// Listpack reader and builder (formats-reference.md §5.2).
//
// ListpackIterator walks a listpack blob front to back, checking every entry
// against the blob bounds as it goes, so iterating an untrusted blob never
// reads outside it. ValidateListpack additionally checks each backlen, the
// terminator and the header count. Errors are kCorruption with the position
// inside the blob ("listpack +<pos>: <what>"); the caller adds file, offset
// and key. The blob is borrowed and must outlive the iterator and every
// CompactEntry it returns. Threading: one thread per iterator.
#pragma once

#include <cstdint>
#include <string>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/compact_entry.h"

namespace shardkit::formats {

inline constexpr uint16_t kListpackUnknownCount = 65535;

class ListpackIterator {
 public:
  // Checks the 6-byte header (total bytes == blob size) and the final 0xFF.
  static Result<ListpackIterator> Open(ByteSpan blob);
  // Header element count (kListpackUnknownCount when unknown).
  uint16_t header_count() const { return header_count_; }
  // Reads the next entry; returns false at the terminator.
  Result<bool> Next(CompactEntry* entry);

 private:
  explicit ListpackIterator(ByteSpan blob, uint16_t count)
      : blob_(blob), header_count_(count) {}
  ByteSpan blob_;
  uint16_t header_count_;
  size_t pos_ = 6;
  bool done_ = false;
};

// Walks every entry with full checks (backlen consistency, count equals the
// header unless unknown). Returns the number of entries.
Result<uint64_t> ValidateListpack(ByteSpan blob);

// Builds a listpack the way Redis does (strings that are canonical int64
// decimals become integer entries).
class ListpackBuilder {
 public:
  void Append(std::string_view element);
  void AppendInteger(int64_t value);
  // Returns the finished blob; the builder is reset.
  std::string Finish();
  uint64_t count() const { return count_; }

 private:
  std::string body_;
  uint64_t count_ = 0;
};

}  // namespace shardkit::formats
