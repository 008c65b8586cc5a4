#include "formats/encodings/lzf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/formats/encodings/blob_mutations.h"
#include "tests/formats/encodings/test_seed.h"

namespace shardkit::formats {
namespace {

using testing::Bytes;

Status Decompress(const std::string& in, std::string* out, size_t out_len) {
  out->assign(out_len, '\0');
  return LzfDecompress(AsBytes(in),
                       MutableByteSpan(reinterpret_cast<std::byte*>(out->data()), out->size()));
}

std::string Compress(const std::string& in) {
  std::string out(in.size() + in.size() / 16 + 64, '\0');
  size_t n = LzfCompress(AsBytes(in),
                         MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), out.size()));
  out.resize(n);
  return out;
}

void ExpectCorruption(const std::string& in, size_t out_len, const std::string& what) {
  std::string out;
  Status s = Decompress(in, &out, out_len);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(what), std::string_view::npos) << s.ToString();
}

TEST(LzfDecompress, LiteralRun) {
  std::string out;
  ASSERT_TRUE(Decompress(Bytes({2, 'a', 'b', 'c'}), &out, 3).ok());
  EXPECT_EQ(out, "abc");
}

// "abcabcabcabc": literal "abc", then a 9-byte match 3 back (overlapping).
TEST(LzfDecompress, OverlappingBackReference) {
  std::string out;
  // len code 7 -> extra byte: 9 = 7 + 0 + 2; offset 3 -> code 2.
  ASSERT_TRUE(Decompress(Bytes({2, 'a', 'b', 'c', 0xe0, 0, 2}), &out, 12).ok());
  EXPECT_EQ(out, "abcabcabcabc");
  // Short form: len 5 (code 3), offset 1 (run of one byte).
  ASSERT_TRUE(Decompress(Bytes({0, 'x', 0x60, 0}), &out, 6).ok());
  EXPECT_EQ(out, "xxxxxx");
}

TEST(LzfDecompress, LongestMatchAndFarthestOffset) {
  // 8192 literal bytes then a 264-byte match 8192 back.
  std::string plain;
  std::mt19937 rng(1);
  for (int i = 0; i < 8192; ++i) {
    plain.push_back(static_cast<char>(rng()));
  }
  std::string in;
  for (size_t i = 0; i < plain.size(); i += 32) {
    in.push_back(31);
    in += plain.substr(i, 32);
  }
  in += Bytes({0xff, 255, 0xff});  // len 7+255+2 = 264, offset 0x1fff+1 = 8192
  std::string out;
  ASSERT_TRUE(Decompress(in, &out, 8192 + 264).ok());
  EXPECT_EQ(out.substr(0, 8192), plain);
  EXPECT_EQ(out.substr(8192), plain.substr(0, 264));
}

TEST(LzfDecompress, EmptyInputEmptyOutput) {
  std::string out;
  EXPECT_TRUE(Decompress("", &out, 0).ok());
  ExpectCorruption("", 1, "decompressed to 0 bytes, expected 1");
}

TEST(LzfDecompress, BackReferenceBeforeOutputStart) {
  ExpectCorruption(Bytes({0, 'a', 0x20, 1}), 4,
                   "lzf +2: back-reference 2 bytes back points before");
  ExpectCorruption(Bytes({0x20, 0}), 3, "lzf +0: back-reference 1 bytes back");
}

TEST(LzfDecompress, OutputOverrun) {
  ExpectCorruption(Bytes({2, 'a', 'b', 'c'}), 2,
                   "lzf +0: literal run of 3 bytes overruns the output");
  ExpectCorruption(Bytes({0, 'a', 0x20, 0}), 3,
                   "lzf +2: back-reference of 3 bytes overruns the output");
}

TEST(LzfDecompress, InputOverrun) {
  ExpectCorruption(Bytes({5, 'a', 'b'}), 6,
                   "lzf +0: literal run of 6 bytes overruns the input (2 bytes left)");
  ExpectCorruption(Bytes({0, 'a', 0x20}), 4, "lzf +2: back-reference offset byte missing");
  ExpectCorruption(Bytes({0, 'a', 0xe0}), 20, "lzf +2: back-reference length byte missing");
  ExpectCorruption(Bytes({0, 'a', 0xe0, 3}), 20, "lzf +2: back-reference offset byte missing");
}

TEST(LzfDecompress, ShortOutput) {
  ExpectCorruption(Bytes({2, 'a', 'b', 'c'}), 4, "lzf +4: decompressed to 3 bytes, expected 4");
}

std::vector<std::string> RoundTripInputs() {
  std::vector<std::string> inputs;
  inputs.push_back("a");
  inputs.push_back("abc");
  inputs.push_back(std::string(100000, 'z'));
  std::string json;
  for (int i = 0; i < 3000; ++i) {
    json += "{\"id\":" + std::to_string(i) + ",\"name\":\"user" + std::to_string(i % 97) +
            "\",\"active\":true,\"tags\":[\"a\",\"b\"]},";
  }
  inputs.push_back(json);
  std::mt19937 rng(42);
  std::string random(70000, '\0');
  for (auto& c : random) {
    c = static_cast<char>(rng());
  }
  inputs.push_back(random);
  std::string mixed;
  for (int i = 0; i < 2000; ++i) {
    mixed += random.substr(rng() % 60000, rng() % 40);
    mixed += json.substr(rng() % 60000, rng() % 300);
  }
  inputs.push_back(mixed);
  return inputs;
}

TEST(LzfCompress, RoundTrips) {
  for (const std::string& in : RoundTripInputs()) {
    std::string packed = Compress(in);
    ASSERT_GT(packed.size(), 0u) << "size " << in.size();
    std::string out;
    Status s = Decompress(packed, &out, in.size());
    ASSERT_TRUE(s.ok()) << s.ToString() << " size " << in.size();
    ASSERT_EQ(out, in);
  }
}

TEST(LzfCompress, CompressesRepetitiveData) {
  std::string in(100000, 'z');
  EXPECT_LT(Compress(in).size(), 1200u);  // 264 bytes per 3-byte item
}

TEST(LzfCompress, ReturnsZeroWhenOutputTooSmall) {
  std::string in = RoundTripInputs()[4];  // random: incompressible
  std::string out(in.size() - 1, '\0');
  EXPECT_EQ(LzfCompress(AsBytes(in),
                        MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), out.size())),
            0u);
  for (size_t cap = 0; cap < 40; ++cap) {
    std::string small(cap, '\0');
    size_t n = LzfCompress(AsBytes(in.substr(0, 30)),
                           MutableByteSpan(reinterpret_cast<std::byte*>(small.data()), cap));
    EXPECT_EQ(n, cap >= 31 ? 31u : 0u) << "cap " << cap;
  }
}

TEST(LzfCompress, RandomRoundTripsAtManySizes) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  for (size_t len = 1; len < 2000; len += 1 + len / 8) {
    std::string in(len, '\0');
    int alphabet = 1 + static_cast<int>(rng() % 6);
    for (auto& c : in) {
      c = static_cast<char>('a' + rng() % alphabet);
    }
    std::string packed = Compress(in);
    std::string out;
    Status s = Decompress(packed, &out, len);
    ASSERT_TRUE(s.ok()) << s.ToString() << " len " << len << " seed " << seed;
    ASSERT_EQ(out, in) << "len " << len << " seed " << seed;
  }
}

// Every truncation and every single-byte change of a valid stream must give
// an error or some output, never a crash or out-of-bounds access (ASan).
TEST(LzfDecompress, TruncationAndCorruptionNeverCrash) {
  std::string in = RoundTripInputs()[5].substr(0, 3000);
  std::string packed = Compress(in);
  std::string out;
  for (size_t len = 0; len < packed.size(); ++len) {
    EXPECT_FALSE(Decompress(packed.substr(0, len), &out, in.size()).ok()) << "len " << len;
  }
  for (size_t pos = 0; pos < packed.size(); ++pos) {
    for (int delta : {1, 0x20, 0x80, 0xff}) {
      std::string bad = packed;
      bad[pos] = static_cast<char>(bad[pos] + delta);
      (void)Decompress(bad, &out, in.size()).ok();
    }
  }
}

}  // namespace
}  // namespace shardkit::formats
