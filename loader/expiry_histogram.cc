#include "loader/expiry_histogram.h"

namespace shardkit::loader {
namespace {

// Floor division for negative times too.
int64_t FloorTo(int64_t t, int64_t width) {
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

}  // namespace

void ExpiryHistogram::Add(int64_t expire_ms) {
  const int64_t width = expire_ms - anchor_ms_ < kFineSpanMs ? kFineWidthMs : kCoarseWidthMs;
  const int64_t start = FloorTo(expire_ms, width);
  auto [it, inserted] = buckets_.try_emplace(start, start + width, 0);
  if (!inserted && it->second.first < start + width) it->second.first = start + width;
  ++it->second.second;
  ++keys_;
}

void ExpiryHistogram::AddBucket(const ExpiryBucket& bucket) {
  auto [it, inserted] = buckets_.try_emplace(bucket.start_ms, bucket.end_ms, 0);
  if (!inserted && it->second.first < bucket.end_ms) it->second.first = bucket.end_ms;
  it->second.second += bucket.keys;
  keys_ += bucket.keys;
}

std::vector<ExpiryBucket> ExpiryHistogram::Buckets() const {
  std::vector<ExpiryBucket> out;
  out.reserve(buckets_.size());
  for (const auto& [start, v] : buckets_) out.push_back({start, v.first, v.second});
  return out;
}

DueKeys DueAt(const std::vector<ExpiryBucket>& buckets, int64_t now_ms) {
  DueKeys d;
  for (const ExpiryBucket& b : buckets) {
    if (b.end_ms <= now_ms) d.surely += b.keys;
    if (b.start_ms <= now_ms) d.possibly += b.keys;
  }
  return d;
}

}  // namespace shardkit::loader
