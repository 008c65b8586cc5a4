// ExpiryHistogram: when the keys written for one node expire, so that
// `check` can tell how many keys a node should hold at any later moment
// (DBSIZE = keys written - keys expired since; recover's report carries it).
//
// Keys are counted in buckets of their absolute expiry time: one second
// wide for expiries within kFineSpanMs of the anchor (the plan's recovery
// time), one hour wide beyond, so the histogram stays small (at most ~86k
// fine buckets plus one per hour) whatever the key count, and a count taken
// within a day of recovery is exact to the second.
// A value type; no threading concerns (one per writer thread).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace shardkit::loader {

struct ExpiryBucket {
  int64_t start_ms = 0;  // keys expiring in [start_ms, end_ms)
  int64_t end_ms = 0;
  uint64_t keys = 0;
};

// Of the keys in `buckets`, how many are surely expired at `now_ms` (their
// whole bucket lies before it) and how many may be (their bucket starts at
// or before it).
struct DueKeys {
  uint64_t surely = 0;
  uint64_t possibly = 0;
};
DueKeys DueAt(const std::vector<ExpiryBucket>& buckets, int64_t now_ms);

class ExpiryHistogram {
 public:
  static constexpr int64_t kFineSpanMs = 24LL * 3600 * 1000;
  static constexpr int64_t kFineWidthMs = 1000;
  static constexpr int64_t kCoarseWidthMs = 3600LL * 1000;

  explicit ExpiryHistogram(int64_t anchor_ms = 0) : anchor_ms_(anchor_ms) {}
  void Add(int64_t expire_ms);
  // Merges a bucket of another histogram with the same anchor (recover's
  // fragments carry each node's buckets): the result equals one histogram
  // to which both sets of keys were added.
  void AddBucket(const ExpiryBucket& bucket);
  uint64_t keys() const { return keys_; }
  // Buckets in time order.
  std::vector<ExpiryBucket> Buckets() const;

 private:
  int64_t anchor_ms_;
  uint64_t keys_ = 0;
  std::map<int64_t, std::pair<int64_t, uint64_t>> buckets_;  // start -> {end, keys}
};

}  // namespace shardkit::loader
