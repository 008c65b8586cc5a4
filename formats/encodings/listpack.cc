// Listpack (formats-reference.md §5.2).
//
// Every read is preceded by a check that the bytes lie before the final 0xFF
// (index size - 1), which Open() has verified; entry sizes are computed in
// 64 bits so a 32-bit string length cannot wrap.
#include "formats/encodings/listpack.h"

#include <cassert>
#include <cstring>
#include <limits>
#include <string>

#include "formats/encodings/blob_bytes.h"

namespace shardkit::formats {
namespace {

constexpr size_t kHeaderBytes = 6;

Status ListpackError(size_t pos, const std::string& what) {
  return Status::Corruption("listpack +" + std::to_string(pos) + ": " + what);
}

using blob::At;
using blob::LoadLe;
using blob::SignExtend;

// Bytes lpEncodeBacklen uses for an entry of `size` bytes (7 bits per byte).
size_t BacklenBytes(uint64_t size) {
  if (size < 128) return 1;
  if (size < 16384) return 2;
  if (size < 2097152) return 3;
  if (size < 268435456) return 4;
  return 5;
}

// Writes the backlen of `size` as it appears in the blob: the most
// significant 7-bit group first (high bit clear), the rest with bit 7 set, so
// a backwards reader stops at the first byte without it.
size_t EncodeBacklen(uint64_t size, uint8_t* out) {
  const size_t n = BacklenBytes(size);
  for (size_t i = 0; i < n; ++i) {
    const size_t shift = 7 * (n - 1 - i);
    uint8_t group = static_cast<uint8_t>((size >> shift) & 0x7f);
    out[i] = i == 0 ? group : static_cast<uint8_t>(group | 0x80);
  }
  return n;
}

struct DecodedEntry {
  uint64_t encoded_bytes;  // encoding + data, without the backlen
  uint64_t total_bytes;    // including the backlen
};

// Decodes the entry at `pos` (REQUIRES: pos < end, blob[pos] != 0xFF).
// `end` is the index of the terminator: nothing may reach it.
Result<DecodedEntry> DecodeEntry(ByteSpan blob, size_t pos, size_t end, CompactEntry* entry) {
  const uint8_t b = At(blob, pos);
  const size_t left = end - pos;
  uint64_t header = 1;
  uint64_t str_len = 0;
  bool is_string = false;
  auto need = [&](uint64_t n) -> Status {
    if (n > left) {
      return ListpackError(pos, "entry needs " + std::to_string(n) + " bytes but " +
                                    std::to_string(left) + " remain before the terminator");
    }
    return Status::Ok();
  };
  entry->is_integer = true;
  entry->str = {};
  if (b < 0x80) {
    entry->integer = b;
  } else if ((b & 0xc0) == 0x80) {
    is_string = true;
    str_len = b & 0x3f;
  } else if ((b & 0xe0) == 0xc0) {
    header = 2;
    SK_RETURN_IF_ERROR(need(header));
    entry->integer = SignExtend((uint64_t{b & 0x1fu} << 8) | At(blob, pos + 1), 13);
  } else if ((b & 0xf0) == 0xe0) {
    header = 2;
    SK_RETURN_IF_ERROR(need(header));
    is_string = true;
    str_len = (uint64_t{b & 0x0fu} << 8) | At(blob, pos + 1);
  } else if (b == 0xf0) {
    header = 5;
    SK_RETURN_IF_ERROR(need(header));
    is_string = true;
    str_len = LoadLe(blob, pos + 1, 4);
  } else if (b >= 0xf1 && b <= 0xf4) {
    static constexpr int kIntBytes[] = {2, 3, 4, 8};
    const int bytes = kIntBytes[b - 0xf1];
    header = 1 + static_cast<uint64_t>(bytes);
    SK_RETURN_IF_ERROR(need(header));
    entry->integer = SignExtend(LoadLe(blob, pos + 1, bytes), bytes * 8);
  } else {
    return ListpackError(
        pos, "invalid encoding byte 0x" + [&] {
          static const char kHex[] = "0123456789abcdef";
          return std::string{kHex[b >> 4], kHex[b & 0xf]};
        }());
  }
  const uint64_t encoded = header + str_len;
  const uint64_t total = encoded + BacklenBytes(encoded);
  SK_RETURN_IF_ERROR(need(total));
  if (is_string) {
    entry->is_integer = false;
    entry->integer = 0;
    entry->str = AsChars(blob.subspan(pos + header, str_len));
  }
  return DecodedEntry{encoded, total};
}

Result<uint16_t> CheckHeader(ByteSpan blob) {
  if (blob.size() < kHeaderBytes + 1) {
    return ListpackError(
        0, "blob of " + std::to_string(blob.size()) + " bytes is shorter than the 7-byte minimum");
  }
  const uint64_t total = LoadLe(blob, 0, 4);
  if (total != blob.size()) {
    return ListpackError(0, "header total_bytes " + std::to_string(total) +
                                " differs from the blob size " + std::to_string(blob.size()));
  }
  if (At(blob, blob.size() - 1) != 0xff) {
    return ListpackError(blob.size() - 1, "last byte is not the 0xFF terminator");
  }
  return static_cast<uint16_t>(LoadLe(blob, 4, 2));
}

}  // namespace

Result<ListpackIterator> ListpackIterator::Open(ByteSpan blob) {
  SK_ASSIGN_OR_RETURN(uint16_t count, CheckHeader(blob));
  return ListpackIterator(blob, count);
}

Result<bool> ListpackIterator::Next(CompactEntry* entry) {
  if (done_) {
    return false;
  }
  const size_t end = blob_.size() - 1;
  if (At(blob_, pos_) == 0xff) {
    if (pos_ != end) {
      return ListpackError(pos_, "0xFF terminator " + std::to_string(end - pos_) +
                                     " bytes before the end of the blob");
    }
    done_ = true;
    return false;
  }
  SK_ASSIGN_OR_RETURN(DecodedEntry decoded, DecodeEntry(blob_, pos_, end, entry));
  pos_ += decoded.total_bytes;
  return true;
}

Result<uint64_t> ValidateListpack(ByteSpan blob) {
  SK_ASSIGN_OR_RETURN(uint16_t header_count, CheckHeader(blob));
  const size_t end = blob.size() - 1;
  size_t pos = kHeaderBytes;
  uint64_t count = 0;
  CompactEntry entry;
  // Every entry is at least 2 bytes, so the loop runs at most size/2 times.
  while (At(blob, pos) != 0xff) {
    SK_ASSIGN_OR_RETURN(DecodedEntry decoded, DecodeEntry(blob, pos, end, &entry));
    uint8_t expected[5];
    const size_t backlen_bytes = EncodeBacklen(decoded.encoded_bytes, expected);
    const size_t backlen_pos = pos + decoded.encoded_bytes;
    if (std::memcmp(expected, blob.data() + backlen_pos, backlen_bytes) != 0) {
      return ListpackError(backlen_pos, "backlen does not encode the entry size " +
                                            std::to_string(decoded.encoded_bytes));
    }
    pos += decoded.total_bytes;
    ++count;
  }
  if (pos != end) {
    return ListpackError(
        pos, "0xFF terminator " + std::to_string(end - pos) + " bytes before the end of the blob");
  }
  if (header_count != kListpackUnknownCount && header_count != count) {
    return ListpackError(4, "header count " + std::to_string(header_count) + " but " +
                                std::to_string(count) + " entries");
  }
  return count;
}

namespace {

// Redis turns an element into an integer entry only when it is the canonical
// decimal form of an int64: optional '-', no leading zeros, no '+', no
// spaces, "-0" excluded, at most 20 characters (formats-reference.md §5.2).
bool CanonicalInt64(std::string_view s, int64_t* value) {
  if (s.empty() || s.size() > 20) {
    return false;
  }
  if (s == "0") {
    *value = 0;
    return true;
  }
  const bool negative = s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || digits[0] < '1' || digits[0] > '9') {
    return false;
  }
  uint64_t magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return false;
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - d) / 10) {
      return false;
    }
    magnitude = magnitude * 10 + d;
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) {
    return false;
  }
  *value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

void AppendBacklen(std::string* body, size_t entry_start) {
  uint8_t buf[5];
  const size_t n = EncodeBacklen(body->size() - entry_start, buf);
  body->append(reinterpret_cast<const char*>(buf), n);
}

void AppendLe(std::string* body, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    body->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

}  // namespace

void ListpackBuilder::Append(std::string_view element) {
  int64_t value;
  if (CanonicalInt64(element, &value)) {
    AppendInteger(value);
    return;
  }
  const size_t start = body_.size();
  const size_t len = element.size();
  if (len < 64) {
    body_.push_back(static_cast<char>(0x80 | len));
  } else if (len < 4096) {
    body_.push_back(static_cast<char>(0xe0 | (len >> 8)));
    body_.push_back(static_cast<char>(len & 0xff));
  } else {
    assert(len <= std::numeric_limits<uint32_t>::max());
    body_.push_back(static_cast<char>(0xf0));
    AppendLe(&body_, len, 4);
  }
  body_.append(element);
  AppendBacklen(&body_, start);
  ++count_;
}

void ListpackBuilder::AppendInteger(int64_t value) {
  const size_t start = body_.size();
  const uint64_t bits = static_cast<uint64_t>(value);
  if (value >= 0 && value <= 127) {
    body_.push_back(static_cast<char>(value));
  } else if (value >= -4096 && value <= 4095) {
    const uint64_t u = bits & 0x1fff;
    body_.push_back(static_cast<char>(0xc0 | (u >> 8)));
    body_.push_back(static_cast<char>(u & 0xff));
  } else if (value >= -32768 && value <= 32767) {
    body_.push_back(static_cast<char>(0xf1));
    AppendLe(&body_, bits, 2);
  } else if (value >= -8388608 && value <= 8388607) {
    body_.push_back(static_cast<char>(0xf2));
    AppendLe(&body_, bits, 3);
  } else if (value >= std::numeric_limits<int32_t>::min() &&
             value <= std::numeric_limits<int32_t>::max()) {
    body_.push_back(static_cast<char>(0xf3));
    AppendLe(&body_, bits, 4);
  } else {
    body_.push_back(static_cast<char>(0xf4));
    AppendLe(&body_, bits, 8);
  }
  AppendBacklen(&body_, start);
  ++count_;
}

std::string ListpackBuilder::Finish() {
  const uint64_t total = kHeaderBytes + body_.size() + 1;
  assert(total <= std::numeric_limits<uint32_t>::max());
  std::string out;
  out.reserve(total);
  AppendLe(&out, total, 4);
  AppendLe(&out, count_ < kListpackUnknownCount ? count_ : kListpackUnknownCount, 2);
  out += body_;
  out.push_back(static_cast<char>(0xff));
  body_.clear();
  count_ = 0;
  return out;
}

}  // namespace shardkit::formats
