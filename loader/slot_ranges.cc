#include "loader/slot_ranges.h"

#include <charconv>

namespace shardkit::loader {

void SlotSet::AddRange(SlotRange r) {
  for (uint32_t s = r.first; s <= r.last && s < kSlotCount; ++s) bits_.set(s);
}

std::vector<SlotRange> SlotSet::Ranges() const {
  std::vector<SlotRange> out;
  int s = 0;
  while (s < kSlotCount) {
    if (!bits_.test(s)) {
      ++s;
      continue;
    }
    int e = s;
    while (e + 1 < kSlotCount && bits_.test(e + 1)) ++e;
    out.push_back({static_cast<uint16_t>(s), static_cast<uint16_t>(e)});
    s = e + 1;
  }
  return out;
}

std::string SlotSet::ToString() const {
  std::string out;
  for (const SlotRange& r : Ranges()) {
    if (!out.empty()) out.push_back(' ');
    out += std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

static bool ParseSlot(std::string_view t, uint16_t* out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty() || v >= kSlotCount) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

Result<SlotRange> ParseSlotRange(std::string_view text) {
  SlotRange r;
  size_t dash = text.find('-');
  bool ok = dash == std::string_view::npos
                ? ParseSlot(text, &r.first)
                : ParseSlot(text.substr(0, dash), &r.first) &&
                      ParseSlot(text.substr(dash + 1), &r.last);
  if (dash == std::string_view::npos) r.last = r.first;
  if (!ok || r.first > r.last) {
    return Status::InvalidArgument("bad slot range \"" + std::string(text) +
                                   "\" (expected N or A-B with 0 <= A <= B <= 16383)");
  }
  return r;
}

int SlotSet::FirstShared(const SlotSet& other) const {
  const std::bitset<kSlotCount> both = bits_ & other.bits_;
  if (both.none()) return -1;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    if (both.test(slot)) return slot;
  }
  return -1;
}

}  // namespace shardkit::loader
