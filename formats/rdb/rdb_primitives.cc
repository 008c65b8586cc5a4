#include "formats/rdb/rdb_primitives.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "formats/encodings/lzf.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::formats::rdb {

namespace {

// liblzf's densest item is a long back-reference: 3 input bytes produce at
// most 264 output bytes. A declared uncompressed length above that ratio is
// impossible and is refused before allocating.
constexpr uint64_t kLzfMaxRatio = 88;

uint64_t LoadBigEndian(ByteSpan bytes) {
  uint64_t v = 0;
  for (std::byte b : bytes) v = (v << 8) | static_cast<uint8_t>(b);
  return v;
}

uint64_t LoadLittleEndian(ByteSpan bytes) {
  uint64_t v = 0;
  for (size_t i = bytes.size(); i > 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[i - 1]);
  return v;
}

}  // namespace

Status CheckRemaining(ByteReader& in, uint64_t need, std::string_view what) {
  std::optional<uint64_t> remaining = in.remaining();
  if (!remaining.has_value()) return Status();
  const uint64_t left = *remaining;
  if (need <= left) return Status();
  return in.CorruptionAt(in.offset(), std::string(what) + " claims " + std::to_string(need) +
                                          " bytes but only " + std::to_string(left) +
                                          " remain in the file");
}

Result<LengthOrEncoding> ReadLengthOrEncoding(ByteReader& in) {
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(uint8_t first, in.ReadByte());
  switch (first >> 6) {
    case 0:
      return LengthOrEncoding{first & 0x3fu, false};
    case 1: {
      SK_ASSIGN_OR_RETURN(uint8_t second, in.ReadByte());
      return LengthOrEncoding{(uint64_t{first & 0x3fu} << 8) | second, false};
    }
    case 3:
      return LengthOrEncoding{first & 0x3fu, true};
    default:
      break;
  }
  if (first == 0x80) {
    SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(4));
    return LengthOrEncoding{LoadBigEndian(b), false};
  }
  if (first == 0x81) {
    SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(8));
    return LengthOrEncoding{LoadBigEndian(b), false};
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "unknown length encoding 0x%02x", first);
  return in.CorruptionAt(at, buf);
}

Result<uint64_t> ReadLength(ByteReader& in, std::string_view what) {
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(LengthOrEncoding len, ReadLengthOrEncoding(in));
  if (len.encoded) {
    return in.CorruptionAt(at, "expected a length for " + std::string(what) +
                                   ", found string encoding " + std::to_string(len.value));
  }
  return len.value;
}

Result<uint64_t> ReadCount(ByteReader& in, std::string_view what, uint64_t min_bytes_each) {
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(uint64_t count, ReadLength(in, what));
  std::optional<uint64_t> remaining = in.remaining();
  if (remaining.has_value() && min_bytes_each > 0) {
    const uint64_t left = *remaining;
    if (count > left / min_bytes_each) {
      return in.CorruptionAt(at, std::string(what) + " " + std::to_string(count) +
                                     " exceeds what the " + std::to_string(left) +
                                     " remaining bytes can hold");
    }
  }
  return count;
}

// Decodes (skip = false) or consumes (skip = true) one string.
static Status ReadStringImpl(ByteReader& in, const RdbLimits& limits, std::string* out,
                             bool skip) {
  // Fast path: a plain string with a 6- or 14-bit length whose bytes are
  // all in the buffered window (so within the file: the checks below pass)
  // is taken in one step. The general path's calls per string (ReadByte,
  // ReadLengthOrEncoding, CheckRemaining, ReadAppend) were ~35% of a
  // verify of 5M small keys. Same bytes consumed, same result.
  const ByteSpan buffered = in.Buffered();
  if (!buffered.empty()) {
    const uint8_t first = static_cast<uint8_t>(buffered[0]);
    size_t header = 0;
    uint64_t length = 0;
    if ((first >> 6) == 0) {
      header = 1;
      length = first & 0x3fu;
    } else if ((first >> 6) == 1 && buffered.size() >= 2) {
      header = 2;
      length = (uint64_t{first & 0x3fu} << 8) | static_cast<uint8_t>(buffered[1]);
    }
    if (header != 0 && buffered.size() - header >= length && length <= limits.max_string_bytes) {
      if (!skip) out->assign(reinterpret_cast<const char*>(buffered.data()) + header, length);
      in.Consume(header + length);
      return Status();
    }
  }
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(LengthOrEncoding len, ReadLengthOrEncoding(in));
  if (!len.encoded) {
    if (len.value > limits.max_string_bytes) {
      return in.CorruptionAt(at, "string length " + std::to_string(len.value) +
                                     " exceeds the limit of " +
                                     std::to_string(limits.max_string_bytes) + " bytes");
    }
    SK_RETURN_IF_ERROR(CheckRemaining(in, len.value, "string length"));
    if (skip) return in.Skip(len.value);
    out->clear();
    return in.ReadAppend(out, len.value);
  }
  if (len.value <= kEncInt32) {
    const size_t width = size_t{1} << len.value;
    SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(width));
    if (skip) return Status();
    uint64_t raw = LoadLittleEndian(b);
    int64_t v = width == 1   ? static_cast<int8_t>(raw)
                : width == 2 ? static_cast<int16_t>(raw)
                             : static_cast<int32_t>(raw);
    *out = std::to_string(v);
    return Status();
  }
  if (len.value != kEncLzf) {
    return in.CorruptionAt(at, "unknown string encoding " + std::to_string(len.value));
  }
  SK_ASSIGN_OR_RETURN(uint64_t clen, ReadLength(in, "LZF compressed length"));
  SK_ASSIGN_OR_RETURN(uint64_t ulen, ReadLength(in, "LZF uncompressed length"));
  if (clen == 0 || ulen == 0) {
    return in.CorruptionAt(at, "LZF string with zero length (compressed " + std::to_string(clen) +
                                   ", uncompressed " + std::to_string(ulen) + ")");
  }
  if (ulen > limits.max_string_bytes || ulen > clen * kLzfMaxRatio) {
    return in.CorruptionAt(at, "LZF uncompressed length " + std::to_string(ulen) +
                                   " is impossible for " + std::to_string(clen) +
                                   " compressed bytes (or above the string limit)");
  }
  SK_RETURN_IF_ERROR(CheckRemaining(in, clen, "LZF compressed length"));
  if (skip) return in.Skip(clen);
  std::string compressed;
  SK_RETURN_IF_ERROR(in.ReadAppend(&compressed, clen));
  out->resize(ulen);
  Status s = LzfDecompress(AsBytes(compressed),
                           MutableByteSpan(reinterpret_cast<std::byte*>(out->data()), ulen));
  if (!s.ok()) return in.CorruptionAt(at, "invalid LZF string: " + std::string(s.message()));
  return Status();
}

Status ReadString(ByteReader& in, const RdbLimits& limits, std::string* out) {
  return ReadStringImpl(in, limits, out, false);
}

Status SkipString(ByteReader& in, const RdbLimits& limits) {
  return ReadStringImpl(in, limits, nullptr, true);
}

Result<double> ReadTextDouble(ByteReader& in) {
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(uint8_t len, in.ReadByte());
  if (len == 253) return std::nan("");
  if (len == 254) return HUGE_VAL;
  if (len == 255) return -HUGE_VAL;
  SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(len));
  char buf[256];
  std::memcpy(buf, b.data(), len);
  buf[len] = '\0';
  char* end = nullptr;
  double v = std::strtod(buf, &end);
  if (len == 0 || end != buf + len) {
    return in.CorruptionAt(at, "bad text double \"" + std::string(buf) + "\"");
  }
  return v;
}

Status SkipTextDouble(ByteReader& in) {
  SK_ASSIGN_OR_RETURN(uint8_t len, in.ReadByte());
  if (len >= 253) return Status();
  return in.Skip(len);
}

Result<double> ReadBinaryDouble(ByteReader& in) {
  SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(8));
  uint64_t bits = LoadLittleEndian(b);
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

Result<uint64_t> ReadU64Le(ByteReader& in) {
  SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(8));
  return LoadLittleEndian(b);
}

Result<int64_t> ReadI64Le(ByteReader& in) {
  SK_ASSIGN_OR_RETURN(uint64_t v, ReadU64Le(in));
  return static_cast<int64_t>(v);
}

Result<uint32_t> ReadU32Le(ByteReader& in) {
  SK_ASSIGN_OR_RETURN(ByteSpan b, in.Read(4));
  return static_cast<uint32_t>(LoadLittleEndian(b));
}

Status SkipModuleStream(ByteReader& in, const RdbLimits& limits) {
  // Each opcode takes at least one byte, so the loop is bounded by the file.
  for (;;) {
    const uint64_t at = in.offset();
    SK_ASSIGN_OR_RETURN(uint64_t opcode, ReadLength(in, "module opcode"));
    switch (opcode) {
      case kModuleOpEof:
        return Status();
      case kModuleOpSint:
      case kModuleOpUint:
        SK_RETURN_IF_ERROR(ReadLength(in, "module integer"));
        break;
      case kModuleOpFloat:
        SK_RETURN_IF_ERROR(in.Skip(4));
        break;
      case kModuleOpDouble:
        SK_RETURN_IF_ERROR(in.Skip(8));
        break;
      case kModuleOpString:
        SK_RETURN_IF_ERROR(SkipString(in, limits));
        break;
      default:
        return in.CorruptionAt(at, "unknown module opcode " + std::to_string(opcode) +
                                       " (expected 0-5)");
    }
  }
}

void AppendLength(std::string* out, uint64_t value) {
  if (value < (1u << 6)) {
    out->push_back(static_cast<char>(value));
  } else if (value < (1u << 14)) {
    out->push_back(static_cast<char>(0x40 | (value >> 8)));
    out->push_back(static_cast<char>(value & 0xff));
  } else if (value <= 0xffffffffu) {
    out->push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
  }
}

// True when `s` is the canonical decimal form of an int64 (no leading zeros,
// no '+', "-0" refused), as Redis' string2ll requires.
static bool CanonicalInt(std::string_view s, int64_t* value) {
  if (s.empty() || s.size() > 11) return false;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0' && (s.size() > i + 1 || negative)) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *value = negative ? -v : v;
  return true;
}

void AppendString(std::string* out, std::string_view value) {
  int64_t v;
  if (CanonicalInt(value, &v) && v >= INT32_MIN && v <= INT32_MAX) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>(0xc0));
      out->push_back(static_cast<char>(v));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xc1));
      for (int i = 0; i < 2; ++i) {
        out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
      }
    } else {
      out->push_back(static_cast<char>(0xc2));
      for (int i = 0; i < 4; ++i) {
        out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
      }
    }
    return;
  }
  AppendLength(out, value.size());
  out->append(value);
}

void AppendU64Le(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void AppendBinaryDouble(std::string* out, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  AppendU64Le(out, bits);
}

}  // namespace shardkit::formats::rdb
