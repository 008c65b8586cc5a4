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

// Redis Enterprise's "standard" policy: .*\{(?<tag>.*)\}.* (greedy), else
// the whole key.
TEST(StandardPolicyTag, GreedyRules) {
  EXPECT_EQ(StandardPolicyTag("plain"), "plain");
  EXPECT_EQ(StandardPolicyTag("plain{t}"), "t");
  EXPECT_EQ(StandardPolicyTag("{x}{y}"), "y");
  EXPECT_EQ(StandardPolicyTag("a{}b"), "");
  EXPECT_EQ(StandardPolicyTag("a{b{c}d}"), "c}d");
  EXPECT_EQ(StandardPolicyTag("a{b}c{d"), "b");  // the last '{' has no '}' after it
  EXPECT_EQ(StandardPolicyTag("a}b{c"), "a}b{c");
  EXPECT_EQ(StandardPolicyTag("}"), "}");
  EXPECT_EQ(StandardPolicyTag("{"), "{");
  EXPECT_EQ(StandardPolicyTag("{}"), "");
}

TEST(StandardPolicyDiffers, AgainstTheOpenSourceHashTag) {
  EXPECT_FALSE(StandardPolicyDiffers("plain"));
  EXPECT_FALSE(StandardPolicyDiffers("plain{t}"));
  EXPECT_FALSE(StandardPolicyDiffers("{user1000}.following"));
  EXPECT_FALSE(StandardPolicyDiffers("{a}{a}"));  // same tag bytes, same slot
  EXPECT_FALSE(StandardPolicyDiffers("a}b{c"));   // no tag under either rule
  EXPECT_FALSE(StandardPolicyDiffers("x}\n"));    // no '{': never inspected further
  EXPECT_TRUE(StandardPolicyDiffers("a{}b"));     // "" vs the whole key
  EXPECT_TRUE(StandardPolicyDiffers("{x}{y}"));   // y vs x
  EXPECT_TRUE(StandardPolicyDiffers("foo{{bar}}zap"));  // "bar}" vs "{bar"
  EXPECT_TRUE(StandardPolicyDiffers("a{b{c}d}"));
  EXPECT_TRUE(StandardPolicyDiffers("{t}\n"));    // '\n' with a brace: counted
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
