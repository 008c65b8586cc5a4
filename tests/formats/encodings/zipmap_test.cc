#include "formats/encodings/zipmap.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/formats/encodings/blob_mutations.h"

namespace shardkit::formats {
namespace {

using testing::Bytes;
using testing::ExpectError;
using testing::PutLe;

std::string Len(size_t n) {
  if (n < 254) {
    return std::string(1, static_cast<char>(n));
  }
  std::string s = Bytes({0xfe, 0, 0, 0, 0});
  PutLe(&s, 1, n, 4);
  return s;
}

// zmlen, then pairs `len field len free value padding`, then 0xFF.
std::string MakeZipmap(int zmlen, const std::vector<std::pair<std::string, std::string>>& pairs,
                       int free_bytes = 0) {
  std::string s(1, static_cast<char>(zmlen));
  for (const auto& [field, value] : pairs) {
    s += Len(field.size()) + field + Len(value.size());
    s.push_back(static_cast<char>(free_bytes));
    s += value + std::string(static_cast<size_t>(free_bytes), '\0');
  }
  s.push_back(static_cast<char>(0xff));
  return s;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Result<Pairs> ReadZipmap(const std::string& blob) {
  SK_ASSIGN_OR_RETURN(ZipmapIterator it, ZipmapIterator::Open(AsBytes(blob)));
  Pairs out;
  std::string_view field, value;
  for (size_t i = 0; i <= blob.size(); ++i) {
    SK_ASSIGN_OR_RETURN(bool more, it.Next(&field, &value));
    if (!more) {
      return out;
    }
    out.emplace_back(field, value);
  }
  return Status::Corruption("iterator did not stop");
}

TEST(Zipmap, KnownBytes) {
  // From the zipmap.c layout description: "foo" => "bar", "hello" => "world".
  const std::string blob =
      Bytes({0x02, 0x03, 'f', 'o', 'o',  0x03, 0x00, 'b', 'a', 'r', 0x05, 'h',
             'e',  'l',  'l', 'o', 0x05, 0x00, 'w',  'o', 'r', 'l', 'd',  0xff});
  auto pairs = ReadZipmap(blob);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  EXPECT_EQ(*pairs, (Pairs{{"foo", "bar"}, {"hello", "world"}}));
}

TEST(Zipmap, EmptyAndFreePadding) {
  EXPECT_TRUE(ReadZipmap(MakeZipmap(0, {}))->empty());
  const Pairs p = {{"a", "1"}, {"", ""}, {"key", "value"}};
  auto pairs = ReadZipmap(MakeZipmap(3, p, /*free_bytes=*/4));
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  EXPECT_EQ(*pairs, p);
}

TEST(Zipmap, BigLengthsAndUnknownCount) {
  Pairs p;
  for (int i = 0; i < 300; ++i) {
    p.emplace_back("f" + std::to_string(i), std::to_string(i));
  }
  p.emplace_back(std::string(254, 'k'), std::string(70000, 'v'));
  const std::string blob = MakeZipmap(254, p);
  auto it = ZipmapIterator::Open(AsBytes(blob));
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->header_count(), 254);
  auto pairs = ReadZipmap(blob);
  ASSERT_TRUE(pairs.ok()) << pairs.status().ToString();
  EXPECT_EQ(*pairs, p);
}

TEST(Zipmap, CountMismatch) {
  ExpectError(ReadZipmap(MakeZipmap(3, {{"a", "b"}})).status(),
              "zipmap +0: header count 3 but 1 pairs");
}

TEST(Zipmap, Errors) {
  ExpectError(ZipmapIterator::Open(AsBytes(Bytes({0xff}))).status(), "shorter than the 2-byte");
  ExpectError(ReadZipmap(Bytes({1, 1, 'a', 1, 0, 'b', 0})).status(), "last byte is not the 0xFF");
  ExpectError(ReadZipmap(Bytes({1, 5, 'a', 0xff})).status(),
              "zipmap +1: field of 5 bytes (+0 free) exceeds the 1 bytes left");
  ExpectError(ReadZipmap(Bytes({1, 1, 'a', 0xff})).status(), "value missing after the last field");
  ExpectError(ReadZipmap(Bytes({1, 1, 'a', 1, 9, 'b', 0xff})).status(),
              "zipmap +3: value of 1 bytes (+9 free) exceeds");
  ExpectError(ReadZipmap(Bytes({1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff})).status(),
              "zipmap +1: field of 4294967295 bytes");
  ExpectError(ReadZipmap(Bytes({1, 0xfe, 1, 0, 0xff})).status(), "32-bit length runs past the end");
  ExpectError(ReadZipmap(Bytes({1, 1, 'a', 1, 0, 'b', 0xff, 0xff})).status(),
              "zipmap +6: 0xFF terminator 1 bytes before the end");
}

TEST(Zipmap, TruncationAndByteChangesAreSafe) {
  const std::string blob =
      MakeZipmap(3, {{"field", "value"}, {std::string(300, 'f'), "x"}, {"k", ""}}, 2);
  ASSERT_TRUE(ReadZipmap(blob).ok());
  testing::ForEachTruncation(
      blob, [](const std::string& cut) { EXPECT_FALSE(ReadZipmap(cut).ok()) << cut.size(); });
  // With the terminator re-added, truncated bodies reach the length checks.
  for (size_t len = 1; len + 1 < blob.size(); ++len) {
    auto r = ReadZipmap(blob.substr(0, len) + '\xff');
    if (r.ok()) {
      EXPECT_LT(r->size(), 3u);
    }
  }
  testing::ForEachByteChange(blob, [](const std::string& bad) { (void)ReadZipmap(bad).ok(); });
}

}  // namespace
}  // namespace shardkit::formats
