// Ziplist (formats-reference.md §5.1).
//
// Integer encodings: C0/D0/E0 exist in every RDB version; F0 (int24), FE
// (int8) and F1..FD (immediate 0..12) appeared with RDB 6. A blob does not
// carry the RDB version, so all of them are accepted everywhere.
// String lengths are big-endian (unlike the rest of the ziplist).
#include "formats/encodings/ziplist.h"

#include <string>

#include "formats/encodings/blob_bytes.h"

namespace shardkit::formats {
namespace {

constexpr size_t kZiplistHeaderBytes = 10;
constexpr uint16_t kUnknownCount = 65535;

Status ZiplistError(size_t pos, const std::string& what) {
  return Status::Corruption("ziplist +" + std::to_string(pos) + ": " + what);
}

using blob::At;
using blob::LoadLe;
using blob::SignExtend;

std::string Hex(uint8_t b) {
  static const char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[b >> 4] + kHex[b & 0xf];
}

struct ZiplistEntry {
  uint64_t prevlen;
  uint64_t size;  // prevlen field + encoding + data
};

// Decodes the entry at `pos` (REQUIRES: pos < end, blob[pos] != 0xFF). `end`
// is the index of the terminator; no part of the entry may reach it.
Result<ZiplistEntry> DecodeZiplistEntry(ByteSpan blob, size_t pos, size_t end,
                                        CompactEntry* entry) {
  const size_t left = end - pos;
  auto need = [&](uint64_t n, const char* what) -> Status {
    if (n > left) {
      return ZiplistError(pos, std::string(what) + " needs " + std::to_string(n) + " bytes but " +
                                   std::to_string(left) + " remain before the terminator");
    }
    return Status::Ok();
  };
  uint64_t prevlen = At(blob, pos);
  uint64_t prevlen_bytes = 1;
  if (prevlen == 0xfe) {
    prevlen_bytes = 5;
    SK_RETURN_IF_ERROR(need(prevlen_bytes, "prevlen"));
    prevlen = LoadLe(blob, pos + 1, 4);
  }
  SK_RETURN_IF_ERROR(need(prevlen_bytes + 1, "entry encoding"));
  const size_t enc_pos = pos + prevlen_bytes;
  const uint8_t b = At(blob, enc_pos);
  uint64_t header = 1;
  uint64_t data = 0;
  entry->is_integer = true;
  entry->str = {};
  switch (b >> 6) {
    case 0:
      data = b & 0x3f;
      break;
    case 1:
      header = 2;
      SK_RETURN_IF_ERROR(need(prevlen_bytes + header, "14-bit string length"));
      data = (uint64_t{b & 0x3fu} << 8) | At(blob, enc_pos + 1);
      break;
    case 2:
      // Redis masks the low 6 bits of a 32-bit string header away.
      header = 5;
      SK_RETURN_IF_ERROR(need(prevlen_bytes + header, "32-bit string length"));
      data = (uint64_t{At(blob, enc_pos + 1)} << 24) | (uint64_t{At(blob, enc_pos + 2)} << 16) |
             (uint64_t{At(blob, enc_pos + 3)} << 8) | At(blob, enc_pos + 4);
      break;
    default: {
      int bytes = 0;
      switch (b) {
        case 0xc0:
          bytes = 2;
          break;
        case 0xd0:
          bytes = 4;
          break;
        case 0xe0:
          bytes = 8;
          break;
        case 0xf0:
          bytes = 3;
          break;
        case 0xfe:
          bytes = 1;
          break;
        default:
          if (b >= 0xf1 && b <= 0xfd) {
            entry->integer = (b & 0x0f) - 1;
            return ZiplistEntry{prevlen, prevlen_bytes + 1};
          }
          return ZiplistError(enc_pos, "invalid entry encoding " + Hex(b));
      }
      SK_RETURN_IF_ERROR(need(prevlen_bytes + 1 + static_cast<uint64_t>(bytes), "integer"));
      entry->integer = SignExtend(LoadLe(blob, enc_pos + 1, bytes), bytes * 8);
      return ZiplistEntry{prevlen, prevlen_bytes + 1 + static_cast<uint64_t>(bytes)};
    }
  }
  const uint64_t size = prevlen_bytes + header + data;
  SK_RETURN_IF_ERROR(need(size, "string entry"));
  entry->is_integer = false;
  entry->integer = 0;
  entry->str = AsChars(blob.subspan(enc_pos + header, data));
  return ZiplistEntry{prevlen, size};
}

struct ZiplistHeader {
  uint32_t tail;
  uint16_t count;
};

Result<ZiplistHeader> CheckZiplistHeader(ByteSpan blob) {
  if (blob.size() < kZiplistHeaderBytes + 1) {
    return ZiplistError(
        0, "blob of " + std::to_string(blob.size()) + " bytes is shorter than the 11-byte minimum");
  }
  const uint64_t bytes = LoadLe(blob, 0, 4);
  if (bytes != blob.size()) {
    return ZiplistError(0, "header zlbytes " + std::to_string(bytes) +
                               " differs from the blob size " + std::to_string(blob.size()));
  }
  const uint32_t tail = static_cast<uint32_t>(LoadLe(blob, 4, 4));
  if (tail < kZiplistHeaderBytes || tail >= blob.size()) {
    return ZiplistError(4, "zltail " + std::to_string(tail) + " outside the entries [10, " +
                               std::to_string(blob.size() - 1) + "]");
  }
  if (At(blob, blob.size() - 1) != 0xff) {
    return ZiplistError(blob.size() - 1, "last byte is not the 0xFF terminator");
  }
  return ZiplistHeader{tail, static_cast<uint16_t>(LoadLe(blob, 8, 2))};
}

Status EarlyTerminator(size_t pos, size_t end) {
  return ZiplistError(
      pos, "0xFF terminator " + std::to_string(end - pos) + " bytes before the end of the blob");
}

}  // namespace

Result<ZiplistIterator> ZiplistIterator::Open(ByteSpan blob) {
  SK_ASSIGN_OR_RETURN(ZiplistHeader header, CheckZiplistHeader(blob));
  return ZiplistIterator(blob, header.count);
}

Result<bool> ZiplistIterator::Next(CompactEntry* entry) {
  if (done_) {
    return false;
  }
  const size_t end = blob_.size() - 1;
  if (At(blob_, pos_) == 0xff) {
    if (pos_ != end) {
      return EarlyTerminator(pos_, end);
    }
    done_ = true;
    return false;
  }
  SK_ASSIGN_OR_RETURN(ZiplistEntry decoded, DecodeZiplistEntry(blob_, pos_, end, entry));
  prev_entry_size_ = decoded.size;
  pos_ += decoded.size;
  return true;
}

Result<uint64_t> ValidateZiplist(ByteSpan blob) {
  SK_ASSIGN_OR_RETURN(ZiplistHeader header, CheckZiplistHeader(blob));
  const size_t end = blob.size() - 1;
  size_t pos = kZiplistHeaderBytes;
  size_t last_pos = kZiplistHeaderBytes;
  uint64_t prev_size = 0;
  uint64_t count = 0;
  CompactEntry entry;
  // Every entry is at least 2 bytes, so the loop runs at most size/2 times.
  while (At(blob, pos) != 0xff) {
    SK_ASSIGN_OR_RETURN(ZiplistEntry decoded, DecodeZiplistEntry(blob, pos, end, &entry));
    if (decoded.prevlen != prev_size) {
      return ZiplistError(pos, "prevlen " + std::to_string(decoded.prevlen) +
                                   " but the previous entry is " + std::to_string(prev_size) +
                                   " bytes");
    }
    last_pos = pos;
    prev_size = decoded.size;
    pos += decoded.size;
    ++count;
  }
  if (pos != end) {
    return EarlyTerminator(pos, end);
  }
  const size_t expected_tail = count == 0 ? end : last_pos;
  if (header.tail != expected_tail) {
    return ZiplistError(4, "zltail " + std::to_string(header.tail) + " but the last entry is at " +
                               std::to_string(expected_tail));
  }
  if (header.count != kUnknownCount && header.count != count) {
    return ZiplistError(8, "header zllen " + std::to_string(header.count) + " but " +
                               std::to_string(count) + " entries");
  }
  return count;
}

}  // namespace shardkit::formats
