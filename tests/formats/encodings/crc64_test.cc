#include "formats/encodings/crc64.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/formats/encodings/test_seed.h"

namespace shardkit::formats {
namespace {

// Bit-at-a-time reference straight from the definition (reflected, poly
// 0xad93d23594c935a9, init 0, no xorout), independent of both fast paths.
uint64_t Crc64Bitwise(uint64_t crc, std::string_view s) {
  constexpr uint64_t kReflected = 0x95ac9329ac4bc9b5ULL;
  for (unsigned char c : s) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ kReflected : crc >> 1;
    }
  }
  return crc;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) {
    c = static_cast<char>(rng() & 0xff);
  }
  return s;
}

TEST(Crc64, CheckValue) {
  EXPECT_EQ(Crc64(0, AsBytes("123456789")), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64Table(0, AsBytes("123456789")), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64Bitwise(0, "123456789"), 0xe9c6d914c4b8d9caULL);
}

TEST(Crc64, EmptyInputLeavesCrcUnchanged) {
  EXPECT_EQ(Crc64(0, {}), 0u);
  EXPECT_EQ(Crc64(0x1234567890abcdefULL, {}), 0x1234567890abcdefULL);
  EXPECT_EQ(Crc64Table(0x1234567890abcdefULL, {}), 0x1234567890abcdefULL);
}

// A long check value that crosses the ISA-L threshold (the 9-byte vector
// goes through the table path only).
TEST(Crc64, LongInputMatchesBitwiseReference) {
  std::string s;
  for (int i = 0; i < 1000; ++i) {
    s += "123456789";
  }
  EXPECT_EQ(Crc64(0, AsBytes(s)), Crc64Bitwise(0, s));
}

TEST(Crc64, FastAndTableAgreeOnAllLengthsAndSplits) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::string data = RandomBytes(rng, 4096);
  for (size_t len = 0; len <= data.size(); ++len) {
    std::string_view s(data.data(), len);
    uint64_t whole = Crc64Table(0, AsBytes(s));
    ASSERT_EQ(Crc64(0, AsBytes(s)), whole) << "len " << len << " seed " << seed;
    if (len <= 300) {
      ASSERT_EQ(Crc64Bitwise(0, s), whole) << "len " << len << " seed " << seed;
    }
    size_t split = len == 0 ? 0 : rng() % (len + 1);
    uint64_t part = Crc64(0, AsBytes(s.substr(0, split)));
    part = Crc64(part, AsBytes(s.substr(split)));
    ASSERT_EQ(part, whole) << "len " << len << " split " << split << " seed " << seed;
    uint64_t table_part =
        Crc64Table(Crc64Table(0, AsBytes(s.substr(0, split))), AsBytes(s.substr(split)));
    ASSERT_EQ(table_part, whole) << "len " << len << " split " << split << " seed " << seed;
  }
}

TEST(Crc64, NonZeroSeedAgrees) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    uint64_t crc = rng();
    std::string s = RandomBytes(rng, rng() % 600);
    ASSERT_EQ(Crc64(crc, AsBytes(s)), Crc64Table(crc, AsBytes(s))) << "size " << s.size();
    ASSERT_EQ(Crc64(crc, AsBytes(s)), Crc64Bitwise(crc, s)) << "size " << s.size();
  }
}

// Two halves checksummed apart and combined give the whole file's CRC, at
// every split of short inputs and at random splits of a 3 MB one.
TEST(Crc64, CombineOfHalvesIsTheWholeCrc) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  std::string data = RandomBytes(rng, 600);
  for (size_t len = 0; len <= data.size(); len += 7) {
    std::string_view s(data.data(), len);
    const uint64_t whole = Crc64(0, AsBytes(s));
    for (size_t split = 0; split <= len; ++split) {
      const uint64_t a = Crc64(0, AsBytes(s.substr(0, split)));
      const uint64_t b = Crc64(0, AsBytes(s.substr(split)));
      ASSERT_EQ(Crc64Combine(a, b, len - split), whole) << "len " << len << " split " << split;
    }
  }
  std::string big = RandomBytes(rng, 3'000'000);
  const uint64_t whole = Crc64(0, AsBytes(big));
  for (int i = 0; i < 8; ++i) {
    const size_t split = rng() % (big.size() + 1);
    std::string_view s(big);
    const uint64_t a = Crc64(0, AsBytes(s.substr(0, split)));
    const uint64_t b = Crc64(0, AsBytes(s.substr(split)));
    ASSERT_EQ(Crc64Combine(a, b, big.size() - split), whole)
        << "split " << split << " seed " << seed;
  }
}

TEST(Crc64, ObserverAccumulatesAndResets) {
  Crc64Observer observer;
  observer.Observe(AsBytes("1234"));
  observer.Observe(AsBytes("56789"));
  EXPECT_EQ(observer.value(), 0xe9c6d914c4b8d9caULL);
  observer.Reset();
  EXPECT_EQ(observer.value(), 0u);
}

TEST(Crc64, CombineEqualsTheCrcOfTheConcatenation) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 300; ++i) {
    // Lengths of 0, a few bytes, and up to 64 KiB, so that many bits of len_b are exercised.
    const size_t la = i % 7 == 0 ? 0 : rng() % (i % 3 == 0 ? 65536 : 300);
    const size_t lb = i % 5 == 0 ? 0 : rng() % (i % 2 == 0 ? 65536 : 300);
    const std::string a = RandomBytes(rng, la), b = RandomBytes(rng, lb);
    const uint64_t whole = Crc64(0, AsBytes(a + b));
    ASSERT_EQ(Crc64Combine(Crc64(0, AsBytes(a)), Crc64(0, AsBytes(b)), b.size()), whole)
        << la << " + " << lb;
  }
  // "1234" + "56789" is the check value; a 3 GiB run of zero bytes (the operator for a large
  // length) extends a CRC as repeated 1 MiB steps do.
  EXPECT_EQ(Crc64Combine(Crc64(0, AsBytes("1234")), Crc64(0, AsBytes("56789")), 5),
            0xe9c6d914c4b8d9caULL);
  const std::string mib(1 << 20, '\0');
  uint64_t stepped = Crc64(0, AsBytes("x"));
  for (int i = 0; i < 3072; ++i) stepped = Crc64(stepped, AsBytes(mib));
  EXPECT_EQ(Crc64Combine(Crc64(0, AsBytes("x")), 0, uint64_t{3} << 30), stepped);
}

TEST(Crc64, ObserverCombinesUnobservedBytes) {
  Crc64Observer observer;
  observer.Observe(AsBytes("1234"));
  observer.Combine(Crc64(0, AsBytes("56789")), 5);
  EXPECT_EQ(observer.value(), 0xe9c6d914c4b8d9caULL);
}

}  // namespace
}  // namespace shardkit::formats
