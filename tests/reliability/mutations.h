// Byte-level damage for the corruption matrix and the CLI sample: seeded
// mutations of four kinds (a single byte, a run of bytes, a byte set to a
// value typical of RDB/RESP length prefixes, a byte set to a type/opcode
// value) and the truncation points of a file. Header-only.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace shardkit::reliability {

enum class MutationKind { kByte, kRun, kLength, kType };

inline const char* MutationKindName(MutationKind k) {
  switch (k) {
    case MutationKind::kByte:
      return "byte";
    case MutationKind::kRun:
      return "run";
    case MutationKind::kLength:
      return "length";
    case MutationKind::kType:
      return "type";
  }
  return "?";
}

struct Mutation {
  MutationKind kind = MutationKind::kByte;
  uint64_t offset = 0;
  uint64_t length = 1;
  std::string Describe() const {
    return std::string(MutationKindName(kind)) + " mutation at " + std::to_string(offset) +
           " (+" + std::to_string(length) + ")";
  }
};

// Damages *bytes in place. REQUIRES: !bytes->empty().
inline Mutation Mutate(std::string* bytes, std::mt19937_64* rng) {
  Mutation m;
  const uint64_t size = bytes->size();
  m.kind = static_cast<MutationKind>((*rng)() % 4);
  m.offset = (*rng)() % size;
  auto set = [&](uint64_t at, uint8_t v) { (*bytes)[at] = static_cast<char>(v); };
  switch (m.kind) {
    case MutationKind::kByte: {
      const uint8_t old = static_cast<uint8_t>((*bytes)[m.offset]);
      set(m.offset, static_cast<uint8_t>(old ^ (1 + (*rng)() % 255)));
      break;
    }
    case MutationKind::kRun: {
      m.length = std::min<uint64_t>(size - m.offset, 2 + (*rng)() % 31);
      const int fill = static_cast<int>((*rng)() % 3);
      for (uint64_t i = 0; i < m.length; ++i) {
        set(m.offset + i, fill == 0 ? 0 : fill == 1 ? 0xFF : static_cast<uint8_t>((*rng)()));
      }
      break;
    }
    case MutationKind::kLength: {
      // 6-bit, 14-bit, 32-bit and 64-bit RDB lengths, LZF/int encodings,
      // huge listpack/ziplist sizes, RESP digits.
      static const uint8_t kValues[] = {0x3F, 0x40, 0x7F, 0x80, 0x81, 0xBF, 0xC0, 0xC3,
                                        0xFE, 0xFF, 0x00, '9',  '-',  '*',  '$',  0x01};
      set(m.offset, kValues[(*rng)() % sizeof(kValues)]);
      if ((*rng)() % 2 == 0) {
        m.length = std::min<uint64_t>(size - m.offset, 5);
        for (uint64_t i = 1; i < m.length; ++i) set(m.offset + i, 0xFF);
      }
      break;
    }
    case MutationKind::kType: {
      // Object types 0..28, opcodes 0xF0..0xFF, a few foreign bytes.
      const uint64_t pick = (*rng)() % 48;
      set(m.offset, pick < 29 ? static_cast<uint8_t>(pick) : static_cast<uint8_t>(0xF0 + pick % 16));
      break;
    }
  }
  return m;
}

// Every offset in [0, size) when size <= every; else `every` offsets spread
// evenly plus the first and last 64.
inline std::vector<uint64_t> TruncationPoints(uint64_t size, uint64_t every) {
  std::vector<uint64_t> out;
  if (size <= every) {
    for (uint64_t i = 0; i < size; ++i) out.push_back(i);
    return out;
  }
  for (uint64_t i = 0; i < 64; ++i) out.push_back(i);
  for (uint64_t i = 0; i < every; ++i) out.push_back(64 + i * (size - 128) / every);
  for (uint64_t i = size - 64; i < size; ++i) out.push_back(i);
  return out;
}

}  // namespace shardkit::reliability
