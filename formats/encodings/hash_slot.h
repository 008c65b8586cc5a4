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

// Redis Enterprise's older "standard" hashing policy (SPEC.md "Enterprise
// volumes"; the REST API's default shard_key_regex): the first rule that
// matches gives the tag, ".*\{(?<tag>.*)\}.*", else "(?<tag>.*)". With PCRE's
// greedy matching the tag runs from after the LAST '{' that has a '}' after
// it to the LAST '}' (an empty tag stays empty), else it is the whole key.
// shardkit never routes by it; recover counts the keys where it differs.
// REQUIRES: `key` holds no '\n' ('.' does not match it; such keys are for
// StandardPolicyDiffers to decide).
std::string_view StandardPolicyTag(std::string_view key);

// True when the standard policy's tag (above) differs from HashTag(key),
// i.e. Redis Enterprise under that policy may place the key in another slot
// than open-source Redis. Cheap for keys without '{' (one memchr): false.
// A key holding both '{' and '\n' counts as differing (the rule's exact
// match semantics on several lines are not documented).
bool StandardPolicyDiffers(std::string_view key);

}  // namespace shardkit::formats
