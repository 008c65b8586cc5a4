// loader/expiry_histogram.h: how many written keys are due to expire at a
// given moment, exact to the second within a day of the recovery time.
#include "loader/expiry_histogram.h"

#include <gtest/gtest.h>

namespace shardkit::loader {
namespace {

constexpr int64_t kAnchor = 1'800'000'000'000;  // recovery time, ms

TEST(ExpiryHistogramTest, WithinADayCountsAreExactToTheSecond) {
  ExpiryHistogram h(kAnchor);
  h.Add(kAnchor + 1'500);  // bucket [+1 s, +2 s)
  h.Add(kAnchor + 1'999);
  h.Add(kAnchor + 5'000);  // bucket [+5 s, +6 s)
  EXPECT_EQ(h.keys(), 3u);
  const auto b = h.Buckets();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].start_ms, kAnchor + 1'000);
  EXPECT_EQ(b[0].end_ms, kAnchor + 2'000);
  EXPECT_EQ(b[0].keys, 2u);

  DueKeys before = DueAt(b, kAnchor + 999);
  EXPECT_EQ(before.surely, 0u);
  EXPECT_EQ(before.possibly, 0u);
  DueKeys inside = DueAt(b, kAnchor + 1'700);  // the first bucket may or may not be due
  EXPECT_EQ(inside.surely, 0u);
  EXPECT_EQ(inside.possibly, 2u);
  DueKeys after = DueAt(b, kAnchor + 2'000);
  EXPECT_EQ(after.surely, 2u);
  EXPECT_EQ(after.possibly, 2u);
  EXPECT_EQ(DueAt(b, kAnchor + 10'000).surely, 3u);
}

TEST(ExpiryHistogramTest, FarExpiriesShareHourBuckets) {
  ExpiryHistogram h(kAnchor);
  const int64_t far = kAnchor + 10LL * 24 * 3600 * 1000;
  for (int i = 0; i < 1000; ++i) h.Add(far + i * 1000);  // 1000 s: one or two hour buckets
  const auto b = h.Buckets();
  EXPECT_LE(b.size(), 2u);
  for (const ExpiryBucket& x : b) EXPECT_EQ(x.end_ms - x.start_ms, ExpiryHistogram::kCoarseWidthMs);
  EXPECT_EQ(DueAt(b, kAnchor).possibly, 0u);
  EXPECT_EQ(DueAt(b, far + 2 * ExpiryHistogram::kCoarseWidthMs).surely, 1000u);
}

TEST(ExpiryHistogramTest, AlreadyPastExpiriesAreCounted) {
  // Kept with --keep-expired: before the anchor, still one-second buckets.
  ExpiryHistogram h(kAnchor);
  h.Add(kAnchor - 60'000);
  EXPECT_EQ(DueAt(h.Buckets(), kAnchor).surely, 1u);
}

}  // namespace
}  // namespace shardkit::loader
