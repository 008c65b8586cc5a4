// LZF decompressor and compressor (formats-reference.md §2.3).
//
// Stream grammar, one item at a time:
//   ctrl < 32   literal run of ctrl + 1 bytes that follow
//   ctrl >= 32  back-reference: length code L = ctrl >> 5 (7 means "add the
//               next byte"), copy L + 2 bytes from (((ctrl & 31) << 8) |
//               next byte) + 1 bytes back in the output.
// So literal runs hold 1..32 bytes, matches 3..264 bytes, offsets 1..8192.
#include "formats/encodings/lzf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace shardkit::formats {
namespace {

constexpr size_t kMaxLiteral = 32;
constexpr size_t kMaxMatch = 264;  // (7 + 255) + 2
constexpr size_t kMinMatch = 3;
constexpr size_t kMaxOffset = 8192;
// Fixed-size copies let the compiler emit two vector moves instead of a call.
constexpr size_t kWildCopy = 32;

Status LzfError(size_t in_pos, const std::string& what) {
  return Status::Corruption("lzf +" + std::to_string(in_pos) + ": " + what);
}

// Copies `len` bytes from `ref` (already produced output, `off` bytes back)
// to `op`, where `slack` bytes of `out` lie beyond op.
inline void CopyMatch(uint8_t* op, const uint8_t* ref, size_t len, size_t off, size_t slack) {
  if (off >= 16 && slack >= len + 16) {
    // Each 16-byte block reads only bytes written before it (off >= 16), and
    // the final block may spill past op + len into space we own and will
    // overwrite later (or that the final length check rejects).
    for (size_t i = 0; i < len; i += 16) {
      std::memcpy(op + i, ref + i, 16);
    }
  } else if (off >= len) {
    std::memcpy(op, ref, len);
  } else if (off == 1) {
    std::memset(op, *ref, len);
  } else {
    // Overlapping copy: the pattern repeats every `off` bytes.
    for (size_t i = 0; i < len; ++i) {
      op[i] = ref[i];
    }
  }
}

}  // namespace

Status LzfDecompress(ByteSpan in, MutableByteSpan out) {
  const uint8_t* const in_begin = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t* const in_end = in_begin + in.size();
  uint8_t* const out_begin = reinterpret_cast<uint8_t*>(out.data());
  uint8_t* const out_end = out_begin + out.size();
  const uint8_t* ip = in_begin;
  uint8_t* op = out_begin;

  // Each iteration consumes at least one input byte, so the loop is bounded
  // by in.size().
  while (ip < in_end) {
    const size_t item_pos = static_cast<size_t>(ip - in_begin);
    const size_t ctrl = *ip++;
    if (ctrl < kMaxLiteral) {
      const size_t len = ctrl + 1;
      const size_t out_left = static_cast<size_t>(out_end - op);
      const size_t in_left = static_cast<size_t>(in_end - ip);
      if (len > out_left) {
        return LzfError(item_pos, "literal run of " + std::to_string(len) +
                                      " bytes overruns the output (" + std::to_string(out_left) +
                                      " bytes left of " + std::to_string(out.size()) + ")");
      }
      if (len > in_left) {
        return LzfError(item_pos, "literal run of " + std::to_string(len) +
                                      " bytes overruns the input (" + std::to_string(in_left) +
                                      " bytes left)");
      }
      if (in_left >= kWildCopy && out_left >= kWildCopy) {
        std::memcpy(op, ip, kWildCopy);
      } else {
        std::memcpy(op, ip, len);
      }
      op += len;
      ip += len;
      continue;
    }
    size_t len = ctrl >> 5;
    if (len == 7) {
      if (ip >= in_end) {
        return LzfError(item_pos, "back-reference length byte missing at end of input");
      }
      len += *ip++;
    }
    if (ip >= in_end) {
      return LzfError(item_pos, "back-reference offset byte missing at end of input");
    }
    const size_t off = ((ctrl & 0x1f) << 8) + *ip++ + 1;
    len += 2;
    const size_t produced = static_cast<size_t>(op - out_begin);
    if (off > produced) {
      return LzfError(item_pos, "back-reference " + std::to_string(off) +
                                    " bytes back points before the output start (" +
                                    std::to_string(produced) + " bytes produced)");
    }
    const size_t out_left = static_cast<size_t>(out_end - op);
    if (len > out_left) {
      return LzfError(item_pos, "back-reference of " + std::to_string(len) +
                                    " bytes overruns the output (" + std::to_string(out_left) +
                                    " bytes left of " + std::to_string(out.size()) + ")");
    }
    CopyMatch(op, op - off, len, off, out_left);
    op += len;
  }
  if (op != out_end) {
    return LzfError(in.size(), "decompressed to " + std::to_string(op - out_begin) +
                                   " bytes, expected " + std::to_string(out.size()));
  }
  return Status::Ok();
}

// Compressor: greedy, one hash-table probe per position.
//  1. Hash the next 3 bytes; the table remembers the last position (+1, so 0
//     means empty) that had this hash.
//  2. If that position is within 8192 bytes and really matches 3 bytes,
//     extend the match up to 264 bytes, close the pending literal run, emit
//     the back-reference and index the positions inside the match.
//  3. Otherwise append the byte to the current literal run (a run closes at
//     32 bytes).
// Every write is checked against out.size(); running out returns 0.
namespace {

class LzfWriter {
 public:
  explicit LzfWriter(MutableByteSpan out)
      : out_(reinterpret_cast<uint8_t*>(out.data())), cap_(out.size()) {}

  bool Literal(uint8_t b) {
    if (lit_ == 0) {
      if (op_ >= cap_) {
        return false;
      }
      lit_ctrl_ = op_++;
    }
    if (op_ >= cap_) {
      return false;
    }
    out_[op_++] = b;
    if (++lit_ == kMaxLiteral) {
      CloseLiteral();
    }
    return true;
  }

  bool Match(size_t len, size_t off) {
    CloseLiteral();
    const size_t code = len - 2;
    const size_t need = code >= 7 ? 3 : 2;
    if (cap_ - op_ < need) {
      return false;
    }
    const size_t off_code = off - 1;
    if (code < 7) {
      out_[op_++] = static_cast<uint8_t>((code << 5) | (off_code >> 8));
    } else {
      out_[op_++] = static_cast<uint8_t>((7 << 5) | (off_code >> 8));
      out_[op_++] = static_cast<uint8_t>(code - 7);
    }
    out_[op_++] = static_cast<uint8_t>(off_code & 0xff);
    return true;
  }

  size_t Finish() {
    CloseLiteral();
    return op_;
  }

 private:
  void CloseLiteral() {
    if (lit_ > 0) {
      out_[lit_ctrl_] = static_cast<uint8_t>(lit_ - 1);
      lit_ = 0;
    }
  }

  uint8_t* out_;
  size_t cap_;
  size_t op_ = 0;
  size_t lit_ = 0;
  size_t lit_ctrl_ = 0;
};

inline uint32_t Read3(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16);
}

}  // namespace

size_t LzfCompress(ByteSpan in, MutableByteSpan out) {
  const uint8_t* src = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  if (n == 0) {
    return 0;
  }
  // Table size scales with the input (up to 2^14 slots) so that compressing
  // short strings does not pay for clearing a large table.
  int hash_bits = 8;
  while (hash_bits < 14 && (size_t{1} << hash_bits) < n) {
    ++hash_bits;
  }
  auto table = std::make_unique<uint32_t[]>(size_t{1} << hash_bits);  // zeroed
  auto slot = [&](size_t pos) { return (Read3(src + pos) * 2654435761u) >> (32 - hash_bits); };

  LzfWriter writer(out);
  size_t ip = 0;
  while (ip + kMinMatch <= n) {
    const uint32_t h = slot(ip);
    const size_t cand = table[h];
    table[h] = static_cast<uint32_t>(ip + 1);
    if (cand != 0 && cand - 1 < ip) {
      const size_t ref = cand - 1;
      const size_t off = ip - ref;
      if (off <= kMaxOffset && std::memcmp(src + ref, src + ip, kMinMatch) == 0) {
        const size_t max_len = std::min(kMaxMatch, n - ip);
        size_t len = kMinMatch;
        while (len < max_len && src[ref + len] == src[ip + len]) {
          ++len;
        }
        if (!writer.Match(len, off)) {
          return 0;
        }
        const size_t end = ip + len;
        for (size_t p = ip + 1; p < end && p + kMinMatch <= n; ++p) {
          table[slot(p)] = static_cast<uint32_t>(p + 1);
        }
        ip = end;
        continue;
      }
    }
    if (!writer.Literal(src[ip++])) {
      return 0;
    }
  }
  while (ip < n) {
    if (!writer.Literal(src[ip++])) {
      return 0;
    }
  }
  return writer.Finish();
}

}  // namespace shardkit::formats
