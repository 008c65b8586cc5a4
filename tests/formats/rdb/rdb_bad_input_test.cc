// Bad input never crashes, hangs or over-allocates: truncation at every
// offset, byte flips at every offset, lengths past the end of the file,
// absurd element counts and LZF sizes, unknown type bytes, future versions.
// Run under ASan+UBSan in CI (build type Asan).
#include <gtest/gtest.h>

#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace {

using shardkit::testing::CorpusDir;
using shardkit::testing::ReadFileOrDie;
using testing::ReadBytes;
using testing::RecordingVisitor;

// header + body + EOF + CRC64 (a well-formed frame around `body`).
std::string FrameBody(const std::string& body, const std::string& magic = "REDIS0011") {
  std::string out = magic + body;
  out.push_back(static_cast<char>(kOpEof));
  uint64_t crc = Crc64(0, AsBytes(out));
  AppendU64Le(&out, crc);
  return out;
}

std::string KeyRecord(uint8_t type, const std::string& key, const std::string& value) {
  std::string out(1, static_cast<char>(type));
  AppendString(&out, key);
  return out + value;
}

Status Read(const std::string& bytes, bool deep, RdbVisitor* visitor = nullptr) {
  RdbReadOptions options;
  options.deep = deep;
  return ReadBytes(bytes, options, visitor, 64).status();
}

const char* kSmallFiles[] = {
    "dragonflydb__dragonfly/redis7_small.rdb",
    "redis__redis/encodings.rdb",
    "HDT3213__rdb/stream_listoacks_3.rdb",
    "HDT3213__rdb/hash_with_hfe.rdb",
    "HDT3213__rdb/valkey_hash2_with_hfe.rdb",
    "redis__redis/2026/array-32bit.rdb",
    "sripathikrishnan__redis-rdb-tools/redis_60_with_module_aux.rdb",
};

TEST(RdbBadInputTest, TruncationAtEveryOffsetIsCorruptionWithAnOffset) {
  for (const char* file : kSmallFiles) {
    SCOPED_TRACE(file);
    const std::string full = ReadFileOrDie(CorpusDir() + "/" + file);
    ASSERT_TRUE(Read(full, true).ok());
    for (size_t n = 0; n < full.size(); ++n) {
      for (bool deep : {false, true}) {
        Status s = Read(full.substr(0, n), deep);
        ASSERT_EQ(s.code(), StatusCode::kCorruption) << "prefix " << n << ": " << s.ToString();
        ASSERT_NE(s.message().find("offset 0x"), std::string::npos) << s.ToString();
      }
    }
  }
}

TEST(RdbBadInputTest, ByteFlipsAtEveryOffsetAreCaughtByParserOrCrc) {
  for (const char* file : kSmallFiles) {
    SCOPED_TRACE(file);
    const std::string full = ReadFileOrDie(CorpusDir() + "/" + file);
    const bool has_crc = full.substr(0, 8) != "REDIS000" || full[8] >= '5';
    for (size_t at = 0; at < full.size(); ++at) {
      for (uint8_t mask : {0x01, 0x10, 0x80, 0xff}) {
        std::string bad = full;
        bad[at] = static_cast<char>(bad[at] ^ mask);
        for (bool deep : {false, true}) {
          RdbReadOptions options;
          options.deep = deep;
          auto summary = ReadBytes(bad, options, nullptr, 64);
          // In a file with a CRC a flip never passes unnoticed. The one way
          // to read cleanly is a version digit turned below 5 (no trailer,
          // or an early EOF): the rest is then left over as trailing bytes,
          // which verify reports. Files without a CRC only must not crash.
          if (summary.ok() && has_crc) {
            ASSERT_LT(summary->header.version, 5) << "flip at " << at << " mask " << int(mask);
            ASSERT_LT(summary->end_offset, bad.size());
          }
          // Without the CRC the parser alone must still stop cleanly.
          RdbReadOptions no_crc;
          no_crc.deep = deep;
          no_crc.verify_crc = false;
          (void)ReadBytes(bad, no_crc, nullptr, 64);
        }
      }
    }
  }
}

TEST(RdbBadInputTest, StringLongerThanTheFileIsRefusedBeforeAllocating) {
  std::string value;
  value.push_back(static_cast<char>(0x81));  // 64-bit length
  AppendU64Le(&value, 0);                     // placeholder, replaced below
  value = std::string(1, static_cast<char>(0x81)) + std::string("\x00\x00\x01\x00\x00\x00\x00\x00", 8);
  Status s = Read(FrameBody(KeyRecord(kTypeString, "k", value)), false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("string length 1099511627776 exceeds the limit"), std::string::npos)
      << s.ToString();
  // Under the cap but past the end of the file.
  std::string len32 = std::string(1, static_cast<char>(0x80)) + std::string("\x00\x10\x00\x00", 4);
  s = Read(FrameBody(KeyRecord(kTypeString, "k", len32 + "abc")), false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("claims 1048576 bytes but only"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("key \"k\", type string"), std::string::npos) << s.ToString();
}

TEST(RdbBadInputTest, ElementCountOf2To32IsRefused) {
  std::string value;
  AppendLength(&value, uint64_t{1} << 32);
  AppendString(&value, "member");
  for (uint8_t type : {kTypeSet, kTypeList, kTypeHash, kTypeZset2, kTypeListQuicklist2,
                       kTypeStreamListpacks3}) {
    Status s = Read(FrameBody(KeyRecord(type, "big", value)), true);
    ASSERT_EQ(s.code(), StatusCode::kCorruption) << int(type);
    EXPECT_NE(s.message().find("4294967296 exceeds what the"), std::string::npos) << s.ToString();
  }
}

TEST(RdbBadInputTest, LzfClaimingAHugeLengthIsRefused) {
  std::string value(1, static_cast<char>(0xc3));
  AppendLength(&value, 4);                      // compressed
  AppendLength(&value, uint64_t{1} << 31);      // uncompressed: 2 GiB
  value += "abcd";
  Status s = Read(FrameBody(KeyRecord(kTypeString, "z", value)), true);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("LZF uncompressed length 2147483648 is impossible"),
            std::string::npos)
      << s.ToString();
}

TEST(RdbBadInputTest, InvalidLzfPayloadIsCorruption) {
  std::string value(1, static_cast<char>(0xc3));
  AppendLength(&value, 3);
  AppendLength(&value, 10);
  value += std::string("\xe0\xff\xff", 3);  // back-reference before the output start
  Status s = Read(FrameBody(KeyRecord(kTypeString, "z", value)), true);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("invalid LZF string"), std::string::npos) << s.ToString();
}

TEST(RdbBadInputTest, UnknownAndForeignTypeBytes) {
  Status s = Read(FrameBody(KeyRecord(8, "k", "")), false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("unknown record type or opcode byte 8"), std::string::npos)
      << s.ToString();
  // A Dragonfly type in a file that does not say it is Dragonfly's is damage
  // (rdb_damage_or_producer_test.cc has the full matrix).
  s = Read(FrameBody(KeyRecord(31, "k", "")), false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("does not say it comes from Dragonfly"), std::string::npos)
      << s.ToString();
  std::string dragonfly(1, static_cast<char>(kOpAux));
  AppendString(&dragonfly, "df-ver");
  AppendString(&dragonfly, "v1.21.0");
  s = Read(FrameBody(dragonfly + KeyRecord(31, "k", "")), false);
  ASSERT_EQ(s.code(), StatusCode::kNotSupported);
  EXPECT_NE(s.message().find("a record of Dragonfly"), std::string::npos) << s.ToString();
  // Type 22 under the VALKEY magic is HASH_2; 24 is not a Valkey type.
  s = Read(FrameBody(KeyRecord(24, "k", ""), "VALKEY080"), false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("byte 24 in Valkey RDB v80"), std::string::npos) << s.ToString();
}

TEST(RdbBadInputTest, VersionsOutsideTheTableAreNotSupported) {
  struct Case {
    const char* magic;
    StatusCode code;
    const char* text;
  } cases[] = {
      {"REDIS0015", StatusCode::kNotSupported, "RDB version 15"},
      {"REDIS0080", StatusCode::kNotSupported, "RDB version 80"},
      {"REDIS9999", StatusCode::kNotSupported, "RDB version 9999"},
      {"VALKEY081", StatusCode::kNotSupported, "RDB version 81"},
      {"VALKEY012", StatusCode::kNotSupported, "RDB version 12"},
      {"REDIS0000", StatusCode::kCorruption, "bad RDB version"},
      {"REDIX0011", StatusCode::kCorruption, "wrong signature"},
      {"REDIS00x1", StatusCode::kCorruption, "bad RDB version"},
  };
  for (const Case& c : cases) {
    std::string body;
    body.push_back(static_cast<char>(kOpAux));
    AppendString(&body, "redis-ver");
    AppendString(&body, "9.9.9");
    Status s = Read(FrameBody(body, c.magic), false);
    ASSERT_EQ(s.code(), c.code) << c.magic << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.text), std::string::npos) << s.ToString();
    if (c.code == StatusCode::kNotSupported) {
      EXPECT_NE(s.message().find("written by redis 9.9.9"), std::string::npos) << s.ToString();
    }
  }
}

TEST(RdbBadInputTest, DeepModeRejectsNanScoresDuplicatesAndBadContainers) {
  std::string nan_zset;
  AppendLength(&nan_zset, 1);
  AppendString(&nan_zset, "m");
  nan_zset.push_back(static_cast<char>(253));  // text NaN
  Status s = Read(FrameBody(KeyRecord(kTypeZset, "z", nan_zset)), true);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("NaN score"), std::string::npos) << s.ToString();
  EXPECT_TRUE(Read(FrameBody(KeyRecord(kTypeZset, "z", nan_zset)), false).ok());

  std::string dup_set;
  AppendLength(&dup_set, 2);
  AppendString(&dup_set, "x");
  AppendString(&dup_set, "x");
  s = Read(FrameBody(KeyRecord(kTypeSet, "s", dup_set)), true);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("duplicate member \"x\""), std::string::npos) << s.ToString();

  std::string quicklist;
  AppendLength(&quicklist, 1);
  AppendLength(&quicklist, 3);  // container 3 does not exist
  AppendString(&quicklist, "abc");
  s = Read(FrameBody(KeyRecord(kTypeListQuicklist2, "l", quicklist)), false);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("quicklist node container 3"), std::string::npos) << s.ToString();

  std::string listpack_blob;
  AppendString(&listpack_blob, "not a listpack at all");
  s = Read(FrameBody(KeyRecord(kTypeHashListpack, "h", listpack_blob)), true);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("listpack"), std::string::npos) << s.ToString();
  EXPECT_TRUE(Read(FrameBody(KeyRecord(kTypeHashListpack, "h", listpack_blob)), false).ok());
}

TEST(RdbBadInputTest, CrcMismatchNamesBothValues) {
  std::string file = FrameBody(KeyRecord(kTypeString, "k", std::string("\x01v", 2)));
  file[file.size() - 1] ^= 0x40;
  Status s = Read(file, false);
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("CRC64 mismatch: stored 0x"), std::string::npos) << s.ToString();
  RdbReadOptions lenient;
  lenient.fail_on_crc_mismatch = false;
  auto summary = ReadBytes(file, lenient, nullptr);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->crc, CrcStatus::kMismatch);
}

TEST(RdbBadInputTest, KeyPrefixStateAppliesToOneKeyOnly) {
  std::string body;
  body.push_back(static_cast<char>(kOpExpireTimeMs));
  AppendU64Le(&body, 1234);
  body.push_back(static_cast<char>(kOpIdle));
  AppendLength(&body, 77);
  body += KeyRecord(kTypeString, "a", std::string("\x01x", 2));
  body += KeyRecord(kTypeString, "b", std::string("\x01y", 2));
  RecordingVisitor v;
  ASSERT_TRUE(Read(FrameBody(body), false, &v).ok());
  ASSERT_EQ(v.entries.size(), 2u);
  EXPECT_EQ(v.entries[0].expire_ms, 1234);
  EXPECT_EQ(v.entries[0].lru_idle_s, 77u);
  EXPECT_EQ(v.entries[0].record_offset, 9u);
  EXPECT_FALSE(v.entries[1].expire_ms.has_value());
  EXPECT_FALSE(v.entries[1].lru_idle_s.has_value());
}

// A reader embedded in a larger stream (an AOF preamble) reports absolute
// offsets and stops right after the CRC.
TEST(RdbBadInputTest, EmbeddedRdbStopsAfterTheCrcWithAbsoluteOffsets) {
  std::string rdb = FrameBody(KeyRecord(kTypeString, "k", std::string("\x01v", 2)));
  std::string stream = rdb + "*1\r\n$4\r\nPING\r\n";
  MemoryChunkSource source(AsBytes(stream), 5);
  ByteReader in(&source, 1000);
  RdbReader reader(&in, RdbReadOptions());
  RecordingVisitor v;
  auto summary = reader.Read(&v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->end_offset, 1000 + rdb.size());
  EXPECT_EQ(in.offset(), 1000 + rdb.size());
  EXPECT_EQ(v.entries[0].record_offset, 1009u);
  auto next = in.Read(1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(AsChars(*next), "*");
}

}  // namespace
}  // namespace shardkit::formats::rdb
