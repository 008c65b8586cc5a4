// Redis Cluster key -> hash slot (formats-reference.md §13): CRC-16/XMODEM
// (poly 0x1021, init 0, no reflection, no xorout; check "123456789" = 0x31C3)
// of the key, or of its hash tag: the bytes between the first '{' and the
// first '}' after it, when at least one byte lies between them.
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/chunk_io.h"

namespace shardkit::formats {

inline constexpr int kSlotCount = 16384;

uint16_t Crc16(ByteSpan bytes);
// The part of `key` that is hashed (the hash tag, or the whole key).
std::string_view HashTag(std::string_view key);
// Slot in [0, 16384).
uint16_t KeyHashSlot(std::string_view key);

}  // namespace shardkit::formats
