#include "formats/rdb/rdb_duplicates.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace shardkit::formats::rdb {

namespace {
constexpr uint64_t kMaxInitialSlots = uint64_t{1} << 16;
}  // namespace

void DuplicateFinder::Reset(uint64_t expected) {
  arena_.clear();
  used_ = 0;
  const uint64_t want = std::bit_ceil(std::clamp<uint64_t>(expected * 2, 16, kMaxInitialSlots));
  if (slots_.size() != want) {
    slots_.assign(static_cast<size_t>(want), Slot());
  } else {
    std::fill(slots_.begin(), slots_.end(), Slot());
  }
}

std::string_view DuplicateFinder::MemberAt(const Slot& slot) const {
  if (copies_) return std::string_view(arena_).substr(slot.position, slot.length);
  return std::string_view(reinterpret_cast<const char*>(slot.position), slot.length);
}

// Doubles the table and re-places every slot by its stored hash.
void DuplicateFinder::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot());
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.position == kEmpty) continue;
    size_t i = static_cast<size_t>(s.hash) & mask;
    while (slots_[i].position != kEmpty) i = (i + 1) & mask;  // bounded: table half empty
    slots_[i] = s;
  }
}

bool DuplicateFinder::Insert(std::string_view member, bool copy) {
  if (slots_.empty()) Reset(0);
  if (used_ == 0) copies_ = copy;
  if ((used_ + 1) * 2 > slots_.size()) Grow();
  const uint64_t hash = std::hash<std::string_view>{}(member);
  const size_t mask = slots_.size() - 1;
  // Linear probing; bounded because the table is never more than half full.
  for (size_t i = static_cast<size_t>(hash) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.position == kEmpty) {
      slot.hash = hash;
      slot.length = member.size();
      if (copies_) {
        slot.position = arena_.size();
        arena_.append(member);
      } else {
        slot.position = reinterpret_cast<uint64_t>(member.data());
      }
      ++used_;
      return true;
    }
    if (slot.hash == hash && slot.length == member.size() && MemberAt(slot) == member) {
      return false;
    }
  }
}

}  // namespace shardkit::formats::rdb
