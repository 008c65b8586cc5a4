#include "formats/encodings/hash_slot.h"

#include <gtest/gtest.h>

namespace shardkit::formats {
namespace {

TEST(Crc16, CheckValue) { EXPECT_EQ(Crc16(AsBytes("123456789")), 0x31C3); }

TEST(Crc16, Empty) { EXPECT_EQ(Crc16({}), 0); }

TEST(KeyHashSlot, ReferenceVectors) {
  EXPECT_EQ(KeyHashSlot("foo"), 12182);
  EXPECT_EQ(KeyHashSlot("bar"), 5061);
  EXPECT_EQ(KeyHashSlot("hello"), 866);
  EXPECT_EQ(KeyHashSlot("user1000"), 3443);
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), 3443);
  EXPECT_EQ(KeyHashSlot("{user1000}.followers"), 3443);
  EXPECT_EQ(KeyHashSlot("foo{bar}{zap}"), 5061);
  EXPECT_EQ(KeyHashSlot("foo{{bar}}zap"), 4015);
  EXPECT_EQ(KeyHashSlot("foo{}{bar}"), 8363);
  EXPECT_EQ(KeyHashSlot("{}foo"), 9500);
  EXPECT_EQ(KeyHashSlot(""), 0);
}

TEST(HashTag, Rules) {
  EXPECT_EQ(HashTag("foo"), "foo");
  EXPECT_EQ(HashTag("foo{bar}{zap}"), "bar");
  EXPECT_EQ(HashTag("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(HashTag("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(HashTag("{}foo"), "{}foo");
  EXPECT_EQ(HashTag("foo{bar"), "foo{bar");
  EXPECT_EQ(HashTag("foo}bar{"), "foo}bar{");
  EXPECT_EQ(HashTag("a{b}"), "b");
}

TEST(KeyHashSlot, BinaryKeyWithHighBytes) {
  std::string key("\xff\x00\x80{\xfe}", 6);
  EXPECT_EQ(KeyHashSlot(key), Crc16(AsBytes(std::string_view("\xfe", 1))) & 0x3fff);
}

TEST(KeyHashSlot, AlwaysBelowSlotCount) {
  for (int i = 0; i < 100000; ++i) {
    ASSERT_LT(KeyHashSlot("key:" + std::to_string(i)), kSlotCount);
  }
}

}  // namespace
}  // namespace shardkit::formats
