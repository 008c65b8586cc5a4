// CRC-64 as Redis computes it over RDB files and DUMP payloads:
// CRC-64/Jones, polynomial 0xad93d23594c935a9, reflected in and out, initial
// value 0, no final xor (formats-reference.md §1.5). Check value for
// "123456789": 0xe9c6d914c4b8d9ca.
//
// Crc64 runs over every byte read and written, so it is a hot path: the
// implementation is chosen by measurement (bench/encodings_bench.cc) and the choice
// is explained in crc64.cc. Thread-safe (pure functions).
#pragma once

#include <cstdint>

#include "base/byte_reader.h"
#include "base/chunk_io.h"

namespace shardkit::formats {

// Extends `crc` (0 to start) over `bytes`.
uint64_t Crc64(uint64_t crc, ByteSpan bytes);
// Portable table-driven implementation (slicing-by-8); kept for benchmarks
// and as the reference the fast path is tested against.
uint64_t Crc64Table(uint64_t crc, ByteSpan bytes);

// The CRC-64 of A followed by B, from crc_a = Crc64(0, A), crc_b = Crc64(0, B)
// and B's length, without reading either (recover's fragment assembly joins
// record bytes whose CRC is known; verify checksums the pieces of one file
// read on several threads). O(log len_b): the register is advanced
// over len_b zero bytes by 64x64 GF(2) matrices for each set bit of len_b
// (precomputed once for every power of two), as zlib's crc32_combine does.
uint64_t Crc64Combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b);

// A ByteObserver that keeps a running Crc64 of what passes through it.
class Crc64Observer final : public ByteObserver {
 public:
  void Observe(ByteSpan bytes) override { crc_ = Crc64(crc_, bytes); }
  uint64_t value() const { return crc_; }
  void Reset() { crc_ = 0; }
  // Extends the CRC over `length` bytes whose own CRC is `crc` (not observed).
  void Combine(uint64_t crc, uint64_t length) { crc_ = Crc64Combine(crc_, crc, length); }

 private:
  uint64_t crc_ = 0;
};

}  // namespace shardkit::formats
