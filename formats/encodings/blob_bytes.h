// Byte access shared by the parsers of Redis's compact encodings (listpack,
// ziplist, zipmap). Callers check bounds first: these functions do not.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/chunk_io.h"

namespace shardkit::formats::blob {

inline uint8_t At(ByteSpan b, size_t i) { return static_cast<uint8_t>(b[i]); }

// `bytes` (1..8) little-endian bytes at `pos`.
inline uint64_t LoadLe(ByteSpan b, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | At(b, pos + static_cast<size_t>(i));
  }
  return v;
}

// The low `bits` bits of `v` as a two's-complement integer.
inline int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

}  // namespace shardkit::formats::blob
