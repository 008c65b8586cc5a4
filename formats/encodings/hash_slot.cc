// CRC-16/XMODEM and the Redis Cluster key slot (formats-reference.md §13).
// Byte-wise table lookup: keys are short (tens of bytes), so wider slicing
// would not pay for its extra table cache footprint.
#include "formats/encodings/hash_slot.h"

#include <array>

namespace shardkit::formats {
namespace {

constexpr uint16_t kPoly = 0x1021;

constexpr std::array<uint16_t, 256> BuildTable() {
  std::array<uint16_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ kPoly)
                           : static_cast<uint16_t>(crc << 1);
    }
    t[i] = crc;
  }
  return t;
}

constexpr std::array<uint16_t, 256> kTable = BuildTable();

uint16_t Crc16Chars(std::string_view s) {
  uint16_t crc = 0;
  for (char c : s) {
    crc = static_cast<uint16_t>((crc << 8) ^ kTable[((crc >> 8) ^ static_cast<uint8_t>(c)) & 0xff]);
  }
  return crc;
}

}  // namespace

uint16_t Crc16(ByteSpan bytes) { return Crc16Chars(AsChars(bytes)); }

std::string_view HashTag(std::string_view key) {
  size_t open = key.find('{');
  if (open == std::string_view::npos) {
    return key;
  }
  size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) {
    return key;
  }
  return key.substr(open + 1, close - open - 1);
}

std::string_view StandardPolicyTag(std::string_view key) {
  const size_t close = key.rfind('}');
  if (close == std::string_view::npos || close == 0) return key;
  const size_t open = key.rfind('{', close - 1);
  if (open == std::string_view::npos) return key;
  return key.substr(open + 1, close - open - 1);
}

bool StandardPolicyDiffers(std::string_view key) {
  if (key.find('{') == std::string_view::npos) return false;
  if (key.find('\n') != std::string_view::npos) return true;
  // Equal tag bytes hash to the same slot, wherever they sit in the key.
  return StandardPolicyTag(key) != HashTag(key);
}

uint16_t KeyHashSlot(std::string_view key) {
  return static_cast<uint16_t>(Crc16Chars(HashTag(key)) & (kSlotCount - 1));
}

}  // namespace shardkit::formats
