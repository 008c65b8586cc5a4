// Zipmap (formats-reference.md §5.4): zmlen, then pairs
//   len field  len free value padding[free]
// and a final 0xFF. A len is one byte 0..253, or 0xFE and a u32le.
#include "formats/encodings/zipmap.h"

#include <string>

#include "formats/encodings/blob_bytes.h"

namespace shardkit::formats {
namespace {

constexpr uint8_t kBigLen = 254;
constexpr uint8_t kEnd = 255;

Status ZipmapError(size_t pos, const std::string& what) {
  return Status::Corruption("zipmap +" + std::to_string(pos) + ": " + what);
}

using blob::At;

// Reads a length at *pos (REQUIRES: *pos < end) and the `len` bytes after it
// (for a value: its free byte first, then `free` padding bytes after it), all
// before `end`. Advances *pos past everything read.
Result<std::string_view> ReadString(ByteSpan blob, size_t* pos, size_t end, bool with_free,
                                    const char* what) {
  const size_t start = *pos;
  uint64_t len = At(blob, start);
  size_t p = start + 1;
  if (len == kEnd) {
    return ZipmapError(start, std::string(what) + " length byte is 0xFF");
  }
  if (len == kBigLen) {
    if (end - p < 4) {
      return ZipmapError(start, std::string(what) + " 32-bit length runs past the end");
    }
    len = 0;
    for (int i = 3; i >= 0; --i) {
      len = (len << 8) | At(blob, p + static_cast<size_t>(i));
    }
    p += 4;
  }
  uint64_t free_bytes = 0;
  if (with_free) {
    if (p >= end) {
      return ZipmapError(start, std::string(what) + " free byte runs past the end");
    }
    free_bytes = At(blob, p++);
  }
  if (len + free_bytes > end - p) {
    return ZipmapError(start, std::string(what) + " of " + std::to_string(len) + " bytes (+" +
                                  std::to_string(free_bytes) + " free) exceeds the " +
                                  std::to_string(end - p) + " bytes left");
  }
  std::string_view s = AsChars(blob.subspan(p, len));
  *pos = p + len + free_bytes;
  return s;
}

}  // namespace

Result<ZipmapIterator> ZipmapIterator::Open(ByteSpan blob) {
  if (blob.size() < 2) {
    return ZipmapError(
        0, "blob of " + std::to_string(blob.size()) + " bytes is shorter than the 2-byte minimum");
  }
  if (At(blob, blob.size() - 1) != kEnd) {
    return ZipmapError(blob.size() - 1, "last byte is not the 0xFF terminator");
  }
  return ZipmapIterator(blob, At(blob, 0));
}

Result<bool> ZipmapIterator::Next(std::string_view* field, std::string_view* value) {
  if (done_) {
    return false;
  }
  const size_t end = blob_.size() - 1;
  if (At(blob_, pos_) == kEnd) {
    if (pos_ != end) {
      return ZipmapError(pos_, "0xFF terminator " + std::to_string(end - pos_) +
                                   " bytes before the end of the blob");
    }
    if (header_count_ < kBigLen && header_count_ != pairs_) {
      return ZipmapError(0, "header count " + std::to_string(header_count_) + " but " +
                                std::to_string(pairs_) + " pairs");
    }
    done_ = true;
    return false;
  }
  SK_ASSIGN_OR_RETURN(*field, ReadString(blob_, &pos_, end, false, "field"));
  if (pos_ >= end) {
    return ZipmapError(pos_, "value missing after the last field");
  }
  SK_ASSIGN_OR_RETURN(*value, ReadString(blob_, &pos_, end, true, "value"));
  ++pairs_;
  return true;
}

}  // namespace shardkit::formats
