#include "formats/encodings/intset.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/formats/encodings/blob_mutations.h"

namespace shardkit::formats {
namespace {

using testing::ExpectError;
using testing::PutLe;

std::string MakeIntset(uint32_t width, const std::vector<int64_t>& values) {
  std::string s(8 + values.size() * width, '\0');
  PutLe(&s, 0, width, 4);
  PutLe(&s, 4, values.size(), 4);
  for (size_t i = 0; i < values.size(); ++i) {
    PutLe(&s, 8 + i * width, static_cast<uint64_t>(values[i]), static_cast<int>(width));
  }
  return s;
}

TEST(Intset, EveryWidth) {
  const std::vector<std::pair<uint32_t, std::vector<int64_t>>> cases = {
      {2, {-32768, -1, 0, 7, 32767}},
      {4,
       {std::numeric_limits<int32_t>::min(), -40000, 40000, std::numeric_limits<int32_t>::max()}},
      {8,
       {std::numeric_limits<int64_t>::min(), -1, int64_t{1} << 40,
        std::numeric_limits<int64_t>::max()}},
  };
  for (const auto& [width, values] : cases) {
    const std::string blob = MakeIntset(width, values);
    auto view = IntsetView::Open(AsBytes(blob), /*deep=*/true);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    ASSERT_EQ(view->size(), values.size());
    for (uint32_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(view->Get(i), values[i]) << "width " << width << " index " << i;
    }
  }
}

TEST(Intset, OrderViolationsAreDeepErrors) {
  for (uint32_t width : {2u, 4u, 8u}) {
    const std::string dup = MakeIntset(width, {1, 5, 5, 9});
    ExpectError(IntsetView::Open(AsBytes(dup), true).status(),
                "intset +" + std::to_string(8 + 2 * width) +
                    ": element 2 = 5 is not greater than the previous 5");
    EXPECT_TRUE(IntsetView::Open(AsBytes(dup), false).ok());
    const std::string descending = MakeIntset(width, {3, -2});
    ExpectError(IntsetView::Open(AsBytes(descending), true).status(),
                "element 1 = -2 is not greater than the previous 3");
    EXPECT_TRUE(IntsetView::Open(AsBytes(descending), false).ok());
  }
}

TEST(Intset, HeaderErrors) {
  ExpectError(IntsetView::Open(AsBytes(std::string(7, '\0')), false).status(),
              "intset +0: blob of 7 bytes is shorter than the 8-byte header");
  std::string blob = MakeIntset(2, {1, 2});
  PutLe(&blob, 0, 3, 4);
  ExpectError(IntsetView::Open(AsBytes(blob), false).status(), "encoding 3 is not 2, 4 or 8");
  ExpectError(IntsetView::Open(AsBytes(MakeIntset(4, {})), false).status(), "empty intset");
  blob = MakeIntset(4, {1, 2});
  PutLe(&blob, 4, 3, 4);
  ExpectError(IntsetView::Open(AsBytes(blob), false).status(),
              "length 3 x 4 bytes needs a 20-byte blob, found 16");
  // A count whose byte size overflows 32 bits must not wrap.
  PutLe(&blob, 0, 8, 4);
  PutLe(&blob, 4, 0x20000001, 4);
  ExpectError(IntsetView::Open(AsBytes(blob), false).status(), "needs a 4294967312-byte blob");
}

TEST(Intset, TruncationAndByteChangesAreSafe) {
  const std::string blob = MakeIntset(4, {-7, 0, 3, 100000});
  testing::ForEachTruncation(blob, [](const std::string& cut) {
    EXPECT_FALSE(IntsetView::Open(AsBytes(cut), true).ok()) << cut.size();
  });
  testing::ForEachByteChange(blob, [](const std::string& bad) {
    auto view = IntsetView::Open(AsBytes(bad), true);
    if (view.ok()) {
      for (uint32_t i = 1; i < view->size(); ++i) {
        EXPECT_LT(view->Get(i - 1), view->Get(i));
      }
    }
  });
}

}  // namespace
}  // namespace shardkit::formats
