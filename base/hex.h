// Hex64: a 64-bit value as 16 lowercase hex digits (ids, fingerprints and
// checksums in plans, markers and reports).
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace shardkit {

inline std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

}  // namespace shardkit
