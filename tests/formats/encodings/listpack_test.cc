#include "formats/encodings/listpack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/formats/encodings/blob_mutations.h"
#include "tests/formats/encodings/test_seed.h"

namespace shardkit::formats {
namespace {

using testing::Bytes;
using testing::ExpectError;
using testing::PutLe;

Result<std::vector<CompactEntry>> ReadListpack(const std::string& blob) {
  SK_ASSIGN_OR_RETURN(ListpackIterator it, ListpackIterator::Open(AsBytes(blob)));
  std::vector<CompactEntry> out;
  CompactEntry e;
  // Bounded: every entry consumes at least two bytes.
  for (size_t i = 0; i <= blob.size(); ++i) {
    SK_ASSIGN_OR_RETURN(bool more, it.Next(&e));
    if (!more) {
      return out;
    }
    out.push_back(e);
  }
  return Status::Corruption("iterator did not stop");
}

TEST(Listpack, KnownBytes) {
  ListpackBuilder b;
  b.Append("ab");
  b.Append("1000");
  EXPECT_EQ(b.count(), 2u);
  const std::string blob = b.Finish();
  EXPECT_EQ(blob, Bytes({0x0e, 0, 0, 0, 2, 0, 0x82, 'a', 'b', 0x03, 0xc3, 0xe8, 0x02, 0xff}));
  EXPECT_EQ(b.count(), 0u);
  auto entries = ReadListpack(blob);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_FALSE((*entries)[0].is_integer);
  EXPECT_EQ((*entries)[0].str, "ab");
  EXPECT_TRUE((*entries)[1].is_integer);
  EXPECT_EQ((*entries)[1].integer, 1000);
  EXPECT_EQ((*entries)[1].ToString(), "1000");
  auto count = ValidateListpack(AsBytes(blob));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 2u);
}

TEST(Listpack, EmptyListpack) {
  const std::string blob = ListpackBuilder().Finish();
  EXPECT_EQ(blob, Bytes({7, 0, 0, 0, 0, 0, 0xff}));
  auto entries = ReadListpack(blob);
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
  EXPECT_EQ(*ValidateListpack(AsBytes(blob)), 0u);
}

struct IntCase {
  int64_t value;
  uint8_t first_byte;
  size_t entry_bytes;  // encoding + data + backlen
};

TEST(Listpack, EveryIntegerSizeClass) {
  const std::vector<IntCase> cases = {
      {0, 0x00, 2},
      {127, 0x7f, 2},
      {128, 0xc0, 3},
      {-1, 0xdf, 3},
      {4095, 0xcf, 3},
      {-4096, 0xd0, 3},
      {4096, 0xf1, 4},
      {-4097, 0xf1, 4},
      {32767, 0xf1, 4},
      {-32768, 0xf1, 4},
      {32768, 0xf2, 5},
      {8388607, 0xf2, 5},
      {-8388608, 0xf2, 5},
      {8388608, 0xf3, 6},
      {std::numeric_limits<int32_t>::max(), 0xf3, 6},
      {std::numeric_limits<int32_t>::min(), 0xf3, 6},
      {int64_t{std::numeric_limits<int32_t>::max()} + 1, 0xf4, 10},
      {std::numeric_limits<int64_t>::max(), 0xf4, 10},
      {std::numeric_limits<int64_t>::min(), 0xf4, 10},
  };
  for (const IntCase& c : cases) {
    ListpackBuilder b;
    b.Append(std::to_string(c.value));  // canonical decimals become integers
    const std::string blob = b.Finish();
    ASSERT_EQ(blob.size(), 7 + c.entry_bytes) << c.value;
    EXPECT_EQ(static_cast<uint8_t>(blob[6]), c.first_byte) << c.value;
    EXPECT_EQ(static_cast<uint8_t>(blob[blob.size() - 2]), c.entry_bytes - 1) << c.value;
    auto entries = ReadListpack(blob);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_TRUE((*entries)[0].is_integer);
    EXPECT_EQ((*entries)[0].integer, c.value);
    EXPECT_EQ((*entries)[0].ToString(), std::to_string(c.value));
    EXPECT_TRUE(ValidateListpack(AsBytes(blob)).ok()) << c.value;
  }
}

TEST(Listpack, NonCanonicalNumbersStayStrings) {
  for (std::string s : {"007", "-0", "+1", " 1", "1 ", "9223372036854775808",
                        "-9223372036854775809", "1e3", "-", "", "0x10", "123456789012345678901"}) {
    ListpackBuilder b;
    b.Append(s);
    const std::string blob = b.Finish();  // entries borrow from it
    auto entries = ReadListpack(blob);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_FALSE((*entries)[0].is_integer) << s;
    EXPECT_EQ((*entries)[0].str, s);
  }
}

TEST(Listpack, EveryStringSizeClass) {
  struct StringCase {
    size_t len;
    uint8_t first_byte;
    size_t header;
    size_t backlen;
  };
  const std::vector<StringCase> cases = {
      {0, 0x80, 1, 1},   {63, 0xbf, 1, 1},   {64, 0xe0, 2, 1},   {125, 0xe0, 2, 1},
      {126, 0xe0, 2, 2}, {4095, 0xef, 2, 2}, {4096, 0xf0, 5, 2}, {70000, 0xf0, 5, 3},
  };
  for (const StringCase& c : cases) {
    std::string s(c.len, 'x');
    for (size_t i = 0; i < s.size(); ++i) {
      s[i] = static_cast<char>('a' + i % 26);
    }
    ListpackBuilder b;
    b.Append(s);
    const std::string blob = b.Finish();
    ASSERT_EQ(blob.size(), 7 + c.header + c.len + c.backlen) << c.len;
    EXPECT_EQ(static_cast<uint8_t>(blob[6]), c.first_byte) << c.len;
    auto entries = ReadListpack(blob);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_FALSE((*entries)[0].is_integer);
    EXPECT_EQ((*entries)[0].str, s);
    EXPECT_TRUE(ValidateListpack(AsBytes(blob)).ok()) << c.len;
  }
}

// 4101 = 0b100000 0000101: written most significant group first.
TEST(Listpack, MultiByteBacklenLayout) {
  ListpackBuilder b;
  b.Append(std::string(4096, 'q'));
  const std::string blob = b.Finish();
  EXPECT_EQ(static_cast<uint8_t>(blob[blob.size() - 3]), 0x20);
  EXPECT_EQ(static_cast<uint8_t>(blob[blob.size() - 2]), 0x85);
}

TEST(Listpack, MoreThan65534EntriesHasUnknownCount) {
  ListpackBuilder b;
  for (int i = 0; i < 70000; ++i) {
    b.AppendInteger(i % 100);
  }
  const std::string blob = b.Finish();
  auto it = ListpackIterator::Open(AsBytes(blob));
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->header_count(), kListpackUnknownCount);
  auto count = ValidateListpack(AsBytes(blob));
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 70000u);
}

TEST(Listpack, ExactlyKnownLimitCount) {
  ListpackBuilder b;
  for (int i = 0; i < 65534; ++i) {
    b.AppendInteger(1);
  }
  const std::string blob = b.Finish();
  EXPECT_EQ(ListpackIterator::Open(AsBytes(blob))->header_count(), 65534);
  EXPECT_EQ(*ValidateListpack(AsBytes(blob)), 65534u);
}

std::string SampleListpack() {
  ListpackBuilder b;
  b.Append("field");
  b.AppendInteger(-5);
  b.Append(std::string(200, 'v'));
  b.AppendInteger(1'000'000);
  b.Append("");
  b.AppendInteger(std::numeric_limits<int64_t>::min());
  return b.Finish();
}

TEST(Listpack, HeaderErrors) {
  ExpectError(ListpackIterator::Open(AsBytes(Bytes({6, 0, 0, 0, 0, 0}))).status(),
              "listpack +0: blob of 6 bytes is shorter than the 7-byte minimum");
  std::string blob = SampleListpack();
  PutLe(&blob, 0, blob.size() + 1, 4);
  ExpectError(ListpackIterator::Open(AsBytes(blob)).status(), "header total_bytes");
  blob = SampleListpack();
  blob.back() = 0;
  ExpectError(ListpackIterator::Open(AsBytes(blob)).status(), "last byte is not the 0xFF");
}

TEST(Listpack, HeaderCountMismatch) {
  std::string blob = SampleListpack();
  PutLe(&blob, 4, 5, 2);
  ExpectError(ValidateListpack(AsBytes(blob)).status(),
              "listpack +4: header count 5 but 6 entries");
  EXPECT_TRUE(ReadListpack(blob).ok());  // the iterator does not count
  PutLe(&blob, 4, kListpackUnknownCount, 2);
  EXPECT_EQ(*ValidateListpack(AsBytes(blob)), 6u);
}

TEST(Listpack, InvalidEncodingByte) {
  std::string blob = Bytes({8, 0, 0, 0, 1, 0, 0xf5, 0xff});
  ExpectError(ReadListpack(blob).status(), "listpack +6: invalid encoding byte 0xf5");
}

TEST(Listpack, EntryOverrunsTerminator) {
  // String of 5 bytes claimed, 2 present.
  std::string blob = Bytes({10, 0, 0, 0, 1, 0, 0x85, 'a', 'b', 0xff});
  ExpectError(ReadListpack(blob).status(), "listpack +6: entry needs 7 bytes but 3 remain");
  // 32-bit length of 0xFFFFFFFF must not wrap.
  blob = Bytes({14, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 'a', 'b', 0xff});
  ExpectError(ReadListpack(blob).status(), "listpack +6: entry needs 4294967305 bytes");
}

TEST(Listpack, WrongBacklenIsCaughtByValidate) {
  std::string blob = SampleListpack();
  blob[9] = 0x05;  // "field" entry: 0x85 'f' 'i' 'e' 'l' 'd' backlen(6) at +12
  blob[12] = 0x07;
  ExpectError(ValidateListpack(AsBytes(blob)).status(), "listpack +12: backlen does not encode");
  EXPECT_TRUE(ReadListpack(blob).ok());
}

TEST(Listpack, EarlyTerminator) {
  std::string blob = Bytes({9, 0, 0, 0, 0, 0, 0xff, 0x00, 0xff});
  ExpectError(ReadListpack(blob).status(), "listpack +6: 0xFF terminator 2 bytes before the end");
  ExpectError(ValidateListpack(AsBytes(blob)).status(), "0xFF terminator 2 bytes before");
}

// Runs both readers on a possibly damaged blob; when Validate accepts it the
// iterator must agree on the entries.
void CheckDamagedListpack(const std::string& blob) {
  auto count = ValidateListpack(AsBytes(blob));
  auto entries = ReadListpack(blob);
  if (count.ok()) {
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    EXPECT_EQ(entries->size(), *count);
  } else {
    EXPECT_TRUE(count.status().IsCorruption());
  }
}

// Random elements of every size class, as strings (so the canonical-integer
// rule is exercised both ways), read back as the same decimal/strings; then
// random multi-byte damage to the result.
TEST(Listpack, RandomRoundTripAndDamage) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 50; ++round) {
    ListpackBuilder b;
    std::vector<std::string> expected;
    const int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      std::string element;
      switch (rng() % 4) {
        case 0:
          element = std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64));
          break;
        case 1:
          element = std::string(rng() % 5000, static_cast<char>('a' + rng() % 26));
          break;
        case 2:
          element = "0" + std::to_string(rng() % 100);  // leading zero: a string
          break;
        default:
          element = std::string(rng() % 70, static_cast<char>(rng()));
          break;
      }
      b.Append(element);
      expected.push_back(element);
    }
    const std::string blob = b.Finish();
    auto entries = ReadListpack(blob);
    ASSERT_TRUE(entries.ok()) << entries.status().ToString() << " seed " << seed;
    ASSERT_EQ(entries->size(), expected.size()) << "seed " << seed;
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ((*entries)[i].ToString(), expected[i]) << "seed " << seed << " entry " << i;
    }
    ASSERT_EQ(*ValidateListpack(AsBytes(blob)), expected.size()) << "seed " << seed;
    for (int damage = 0; damage < 20 && blob.size() > 7; ++damage) {
      std::string bad = blob;
      for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) {
        bad[6 + rng() % (bad.size() - 7)] = static_cast<char>(rng());
      }
      CheckDamagedListpack(bad);
    }
  }
}

TEST(Listpack, EveryTruncationFails) {
  const std::string blob = SampleListpack();
  testing::ForEachTruncation(blob, [](const std::string& cut) {
    EXPECT_FALSE(ValidateListpack(AsBytes(cut)).ok()) << cut.size();
    EXPECT_FALSE(ReadListpack(cut).ok()) << cut.size();
  });
}

// Truncated bodies with a repaired header reach the entry bounds checks.
TEST(Listpack, EveryTruncatedBodyWithFixedHeaderIsSafe) {
  const std::string blob = SampleListpack();
  for (size_t len = 6; len < blob.size() - 1; ++len) {
    std::string cut = blob.substr(0, len) + '\xff';
    PutLe(&cut, 0, cut.size(), 4);
    CheckDamagedListpack(cut);
  }
}

TEST(Listpack, EverySingleByteChangeIsSafe) { testing::ForEachByteChange(SampleListpack(), CheckDamagedListpack); }

}  // namespace
}  // namespace shardkit::formats
