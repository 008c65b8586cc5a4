// SlotSet: a set of Redis Cluster hash slots (0..16383) and its rendering as
// sorted, merged inclusive ranges ("0-5460 5461 10923-16383").
// A value type; no threading concerns.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit::loader {

inline constexpr int kSlotCount = 16384;

struct SlotRange {
  uint16_t first = 0;  // inclusive
  uint16_t last = 0;   // inclusive
  bool operator==(const SlotRange&) const = default;
};

class SlotSet {
 public:
  void Add(uint16_t slot) { bits_.set(slot); }
  void AddRange(SlotRange r);
  bool Contains(uint16_t slot) const { return slot < kSlotCount && bits_.test(slot); }
  size_t count() const { return bits_.count(); }
  bool empty() const { return bits_.none(); }
  // The smallest slot in both this set and `other`, or -1 when they are disjoint.
  int FirstShared(const SlotSet& other) const;
  SlotSet& operator|=(const SlotSet& other) {
    bits_ |= other.bits_;
    return *this;
  }
  std::vector<SlotRange> Ranges() const;
  // "0-5460 5462" (space separated; "" when empty).
  std::string ToString() const;
  bool operator==(const SlotSet&) const = default;

 private:
  std::bitset<kSlotCount> bits_;
};

// Parses "N" or "A-B" (0 <= A <= B < 16384). kInvalidArgument otherwise.
Result<SlotRange> ParseSlotRange(std::string_view text);

}  // namespace shardkit::loader
