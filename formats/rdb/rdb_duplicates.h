// DuplicateFinder (internal to formats/rdb): tells whether a member of one
// collection repeats an earlier one, for deep verification (Redis refuses
// duplicate set members, hash fields and zset members when loading).
//
// Cheaper than std::unordered_set<std::string>, which costs a node
// allocation and a string copy per member: members are copied into one
// growing arena (InsertCopy) or referenced in place (InsertView, when the
// caller keeps them alive), and looked up in a flat open-addressing table of
// (hash, position, length) that is sized for the collection up front.
//
// Memory: the arena holds every member of the current collection once (as
// the unordered_set did); the table 24 bytes per slot, at most half full.
// Threading: one thread. Reset() between collections.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardkit::formats::rdb {

class DuplicateFinder {
 public:
  // Clears the previous collection; `expected` sizes the table (capped, so a
  // corrupt count cannot make it allocate much).
  void Reset(uint64_t expected);
  // True when `member` is new; copies it into the arena.
  bool InsertCopy(std::string_view member) { return Insert(member, /*copy=*/true); }
  // True when `member` is new. REQUIRES: its bytes stay valid until Reset().
  bool InsertView(std::string_view member) { return Insert(member, /*copy=*/false); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t position = kEmpty;  // arena offset (copy) or pointer value (view)
    uint64_t length = 0;
  };
  static constexpr uint64_t kEmpty = ~uint64_t{0};

  bool Insert(std::string_view member, bool copy);
  std::string_view MemberAt(const Slot& slot) const;
  void Grow();

  std::string arena_;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  bool copies_ = true;
};

}  // namespace shardkit::formats::rdb
