// CompactEntry: one element of a listpack or ziplist — a byte string or a
// 64-bit integer (rendered as its decimal form wherever Redis exposes it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shardkit::formats {

struct CompactEntry {
  bool is_integer = false;
  int64_t integer = 0;
  std::string_view str;  // borrowed from the container blob when !is_integer

  // The element as Redis would return it (decimal for integers).
  std::string ToString() const {
    return is_integer ? std::to_string(integer) : std::string(str);
  }
  bool operator==(const CompactEntry& o) const {
    return is_integer == o.is_integer && (is_integer ? integer == o.integer : str == o.str);
  }
};

}  // namespace shardkit::formats
