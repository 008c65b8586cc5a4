// Damage or another producer's file (issue 16, item 3; SPEC.md "Damage or
// another producer's file"): a record byte that the file's own producer and
// RDB version never write is corruption at its offset; only a file that says
// it comes from another producer (Dragonfly's df-ver, Redis Enterprise's
// big-* AUX fields, KeyDB's mvcc-tstamp, a Redis 4.0 RC for MODULE_PRE_GA)
// gets kNotSupported for that producer's records.
//
// The bytes are planted in a file written by a real redis-server 7.0 (RDB 10,
// AUX redis-ver 7.0.x), in place of a key record's type byte; the "producer"
// variants insert the producer's AUX field right after the header.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_salvage.h"
#include "formats/rdb/rdb_verify.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace {

using shardkit::testing::RedisServer;
using shardkit::testing::RedisServerOptions;
using testing::Frame;
using testing::ReadBytes;
using testing::RecordingVisitor;

// Dragonfly's opcodes and types (formats-reference.md §1.3).
const std::vector<uint8_t> kDragonflyBytes = {200, 201, 202, 203, 210, 211, 220, 222, 223, 224,
                                              30,  31,  32,  33,  34,  35,  36,  37};
// Redis Enterprise's RAM_LRU, SLOT_NUM and the legacy Garantia opcodes.
const std::vector<uint8_t> kEnterpriseBytes = {107, 121, 101, 102};
const std::vector<uint8_t> kGarantiaBytes = {101, 102};
// Types and opcodes newer than RDB 10 (introduced in 11-14).
const std::vector<uint8_t> kNewerThan10 = {20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 243, 244};

// One file written by a real redis-server 7.0, shared by the tests.
class RdbDamageOrProducerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (shardkit::testing::FindRedisBinary("redis-server").empty()) return;
    auto server = RedisServer::Start(RedisServerOptions());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    RedisServer& s = **server;
    const std::vector<std::vector<std::string>> commands = {
        {"SET", "a:string", "value"},
        {"HSET", "a:hash", "f1", "v1", "f2", "v2"},
        {"RPUSH", "a:list", "x", "y", "z"},
        {"ZADD", "a:zset", "1", "m1", "2", "m2"},
        {"SADD", "a:intset", "1", "2", "3"},
        {"SADD", "a:set", "p", "q"},
        {"XADD", "a:stream", "1-1", "f", "v"},
        {"SET", "b:string", "another value"},
    };
    for (const auto& c : commands) ASSERT_TRUE(s.CommandOk(c).ok()) << c[0];
    ASSERT_TRUE(s.Save().ok());
    file_ = new std::string(shardkit::testing::ReadFileOrDie(s.rdb_path()));
  }
  static void TearDownTestSuite() {
    delete file_;
    file_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(file_, nullptr);
    ASSERT_EQ(file_->substr(0, 9), "REDIS0010");
    RecordingVisitor visitor;
    auto summary = ReadBytes(*file_, RdbReadOptions(), &visitor);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(summary->producer.rfind("redis 7.0.", 0), 0u) << summary->producer;
    ASSERT_EQ(visitor.entries.size(), 8u);
    for (const RdbEntry& e : visitor.entries) {
      if (e.expire_ms || e.lru_idle_s || e.lfu_freq) continue;
      if (!first_record_.has_value()) first_record_ = e.record_offset;
      if (FirstVersionWithType(e.type) == 10 && !first_v10_record_.has_value()) {
        first_v10_record_ = e.record_offset;
      }
    }
    ASSERT_TRUE(first_record_.has_value());
    ASSERT_TRUE(first_v10_record_.has_value());
  }

  // The file with `aux_key aux_value` inserted after the header (none when
  // aux_key is empty) and `byte` in place of the first key record's type
  // byte. *at receives the planted byte's offset.
  static std::string Planted(uint8_t byte, uint64_t record, const std::string& aux_key,
                             const std::string& aux_value, uint64_t* at) {
    std::string aux;
    if (!aux_key.empty()) {
      aux.push_back(static_cast<char>(kOpAux));
      AppendString(&aux, aux_key);
      AppendString(&aux, aux_value);
    }
    std::string out = file_->substr(0, 9) + aux + file_->substr(9);
    *at = record + aux.size();
    out[*at] = static_cast<char>(byte);
    return out;
  }

  static RdbVerifyReport Verify(const std::string& bytes, bool deep) {
    MemoryChunkSource source(AsBytes(bytes), 4096, "planted.rdb");
    RdbVerifyOptions options;
    options.deep = deep;
    return VerifyRdb(&source, options);
  }

  static std::string* file_;
  std::optional<uint64_t> first_record_;
  std::optional<uint64_t> first_v10_record_;
};

std::string* RdbDamageOrProducerTest::file_ = nullptr;

// Expects damage at exactly `at`, naming the byte and the version.
void ExpectDamageAt(const RdbVerifyReport& report, uint64_t at, uint8_t byte,
                    const std::string& text) {
  ASSERT_FALSE(report.ok);
  const std::string message = report.error.ToString();
  EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << message;
  ASSERT_TRUE(report.error_offset.has_value()) << message;
  EXPECT_EQ(*report.error_offset, at) << message;
  EXPECT_NE(message.find("record byte " + std::to_string(byte) + " in RDB v10"), std::string::npos)
      << message;
  EXPECT_NE(message.find("planted.rdb offset 0x"), std::string::npos) << message;
  EXPECT_NE(message.find(text), std::string::npos) << message;
}

TEST_F(RdbDamageOrProducerTest, OtherProducersBytesInARedisFileAreDamageAtTheirOffset) {
  struct Group {
    std::vector<uint8_t> bytes;
    std::string text;
  } groups[] = {
      {kDragonflyBytes, "but the file does not say it comes from Dragonfly: no df-ver AUX field"},
      {kEnterpriseBytes, "but the file does not say it comes from Redis Enterprise"},
      {{64}, "but the file does not say it comes from KeyDB"},
      {{242}, "opcode 242"},
      {{6}, "which only Redis 4.0 release candidates wrote"},
      {kNewerThan10, "which Redis writes only from RDB v1"},
  };
  for (const Group& g : groups) {
    for (uint8_t byte : g.bytes) {
      SCOPED_TRACE("byte " + std::to_string(byte));
      uint64_t at = 0;
      const std::string bytes = Planted(byte, *first_record_, "", "", &at);
      for (bool deep : {false, true}) {
        ExpectDamageAt(Verify(bytes, deep), at, byte, g.text);
      }
      // What was expected: what Redis writes in RDB 10.
      EXPECT_NE(Verify(bytes, false).error.ToString().find("Redis writes in RDB v10"),
                std::string::npos);
    }
  }
}

// 250-252 are OSS opcodes (AUX, RESIZEDB, EXPIRETIME_MS) that mean something
// else in old Redis Enterprise files: in place of a type byte they misparse,
// and the read ends in corruption (the CRC64 at the latest), never a refusal.
TEST_F(RdbDamageOrProducerTest, LegacyEnterpriseOpcodesAreReadAsTheirOssMeaningAndEndInDamage) {
  for (uint8_t byte : {250, 251, 252}) {
    uint64_t at = 0;
    const std::string bytes = Planted(byte, *first_record_, "", "", &at);
    for (bool deep : {false, true}) {
      const RdbVerifyReport report = Verify(bytes, deep);
      ASSERT_FALSE(report.ok) << int(byte);
      EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << report.error.ToString();
      EXPECT_TRUE(report.error_offset.has_value()) << report.error.ToString();
    }
  }
}

TEST_F(RdbDamageOrProducerTest, TheSameBytesInAFileThatNamesItsProducerAreRefused) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::string aux_key, aux_value, text;
  } cases[] = {
      {kDragonflyBytes, "df-ver", "v1.21.2", "a record of Dragonfly, which the file says wrote it "
                                             "(AUX df-ver)"},
      // 107/121 are read in an Enterprise file (rdb_enterprise_test.cc); the
      // legacy Garantia opcodes stay refusals, by name.
      {kGarantiaBytes, "big-used-ram", "0", "is a legacy Redis Enterprise (Garantia) opcode: a "
                                            "record of Redis Enterprise, which the file says "
                                            "wrote it (AUX big-used-ram)"},
      {kGarantiaBytes, "bigdb-disk-keys", "12", "a record of Redis Enterprise"},
      {{64}, "mvcc-tstamp", "1234", "a record of KeyDB"},
  };
  for (const Case& c : cases) {
    for (uint8_t byte : c.bytes) {
      SCOPED_TRACE(c.aux_key + ": byte " + std::to_string(byte));
      uint64_t at = 0;
      const std::string bytes = Planted(byte, *first_record_, c.aux_key, c.aux_value, &at);
      for (bool deep : {false, true}) {
        const RdbVerifyReport report = Verify(bytes, deep);
        ASSERT_FALSE(report.ok);
        const std::string message = report.error.ToString();
        EXPECT_EQ(report.error.code(), StatusCode::kNotSupported) << message;
        EXPECT_NE(message.find(c.text), std::string::npos) << message;
        EXPECT_EQ(report.error_offset, at) << message;
      }
    }
  }
}

// A producer named by the file makes only its own bytes a refusal: another
// producer's byte, or a Redis type newer than the version, is still damage.
TEST_F(RdbDamageOrProducerTest, AProducersFileDoesNotExcuseOtherProducersBytes) {
  uint64_t at = 0;
  RdbVerifyReport report = Verify(Planted(107, *first_record_, "df-ver", "v1.21.2", &at), false);
  EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << report.error.ToString();
  EXPECT_EQ(report.error_offset, at);
  EXPECT_NE(report.error.ToString().find("it says it comes from Dragonfly"), std::string::npos)
      << report.error.ToString();
  report = Verify(Planted(210, *first_record_, "big-used-ram", "0", &at), false);
  EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << report.error.ToString();
  EXPECT_EQ(report.error_offset, at);
  report = Verify(Planted(24, *first_record_, "big-used-ram", "0", &at), false);
  EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << report.error.ToString();
  EXPECT_EQ(report.error_offset, at);
}

// Redis 7.0's types in a file whose header says RDB 9: the first one is
// damage at its offset (what RDB 9 writers never write), naming the key's
// record, not a refusal.
TEST_F(RdbDamageOrProducerTest, ATypeNewerThanTheHeaderVersionIsDamage) {
  std::string bytes = *file_;
  bytes.replace(0, 9, "REDIS0009");
  for (bool deep : {false, true}) {
    const RdbVerifyReport report = Verify(bytes, deep);
    ASSERT_FALSE(report.ok);
    const std::string message = report.error.ToString();
    EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << message;
    EXPECT_EQ(report.error_offset, *first_v10_record_) << message;
    EXPECT_NE(message.find("in RDB v9 is type"), std::string::npos) << message;
    EXPECT_NE(message.find("which Redis writes only from RDB v10 on: not a type Redis writes in "
                           "RDB v9"),
              std::string::npos)
        << message;
  }
}

std::string Aux(const std::string& key, const std::string& value) {
  std::string out(1, static_cast<char>(kOpAux));
  AppendString(&out, key);
  AppendString(&out, value);
  return out;
}

TEST(RdbDamageOrProducerSyntheticTest, OpcodesNewerThanTheVersionAreDamage) {
  struct Case {
    const char* magic;
    uint8_t op;
    const char* name;
  } cases[] = {
      {"REDIS0009", kOpFunction2, "FUNCTION2"},  {"REDIS0011", kOpSlotInfo, "SLOT_INFO"},
      {"REDIS0012", kOpKeyMeta, "KEY_META"},     {"REDIS0008", kOpFreq, "FREQ"},
      {"REDIS0008", kOpModuleAux, "MODULE_AUX"}, {"REDIS0008", kOpIdle, "IDLE"},
      {"REDIS0002", kOpExpireTimeMs, "EXPIRETIME_MS"},
  };
  for (const Case& c : cases) {
    std::string body(1, static_cast<char>(c.op));
    body += std::string(16, '\0');  // whatever follows: never read
    auto summary = ReadBytes(Frame(c.magic, body), RdbReadOptions(), nullptr);
    ASSERT_FALSE(summary.ok()) << c.magic << " " << c.name;
    const std::string message = summary.status().ToString();
    EXPECT_EQ(summary.status().code(), StatusCode::kCorruption) << message;
    EXPECT_NE(message.find("offset 0x9 (9): record byte " + std::to_string(c.op)),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(std::string("is opcode ") + c.name), std::string::npos) << message;
  }
  // AUX and RESIZEDB (RDB 7) are read in any version: downgrading writers
  // carry them (corpus redis__librdb/script_legacy.rdb is REDIS0006 with AUX).
  std::string meta = Aux("redis-ver", "4.0.0");
  meta.push_back(static_cast<char>(kOpResizeDb));
  AppendLength(&meta, 0);
  AppendLength(&meta, 0);
  EXPECT_TRUE(ReadBytes(Frame("REDIS0006", meta), RdbReadOptions(), nullptr).ok());
  // KEY_META under the VALKEY magic is SLOT_IMPORT, which VALKEY080 has.
  std::string slot_import(1, static_cast<char>(243));
  AppendString(&slot_import, std::string(40, 'j'));
  AppendLength(&slot_import, 1);
  AppendLength(&slot_import, 0);
  AppendLength(&slot_import, 100);
  EXPECT_TRUE(ReadBytes(Frame("VALKEY080", slot_import), RdbReadOptions(), nullptr).ok());
}

// MODULE_PRE_GA: refused (the value cannot be skipped) where a Redis 4.0 RC
// could have written it, damage everywhere else.
TEST(RdbDamageOrProducerSyntheticTest, ModulePreGaIsRefusedOnlyInAFileA40RcCouldHaveWritten) {
  std::string record(1, static_cast<char>(kTypeModulePreGa));
  AppendString(&record, "k");
  AppendLength(&record, uint64_t{0x1234567} << 10 | 1);  // module id
  record += "opaque";
  struct Case {
    const char* magic;
    std::string aux;
    StatusCode code;
    const char* text;
  } cases[] = {
      {"REDIS0008", Aux("redis-ver", "3.9.102"), StatusCode::kNotSupported, "MODULE_PRE_GA"},
      {"REDIS0008", "", StatusCode::kNotSupported, "MODULE_PRE_GA"},
      {"REDIS0008", Aux("redis-ver", "4.0.9"), StatusCode::kCorruption,
       "which only Redis 4.0 release candidates wrote"},
      {"REDIS0009", Aux("redis-ver", "3.9.102"), StatusCode::kCorruption,
       "which only Redis 4.0 release candidates wrote"},
      {"REDIS0010", Aux("redis-ver", "7.0.15"), StatusCode::kCorruption,
       "which only Redis 4.0 release candidates wrote"},
  };
  for (const Case& c : cases) {
    auto summary = ReadBytes(Frame(c.magic, c.aux + record), RdbReadOptions(), nullptr);
    ASSERT_FALSE(summary.ok());
    const std::string message = summary.status().ToString();
    EXPECT_EQ(summary.status().code(), c.code) << c.magic << ": " << message;
    EXPECT_NE(message.find(c.text), std::string::npos) << message;
  }
}

// A header version shardkit does not read is refused, unless the file's own
// AUX redis-ver names a Redis release that writes a version it does: then
// the digits were damaged.
TEST(RdbDamageOrProducerSyntheticTest, HeaderDigitsThatContradictRedisVerAreDamage) {
  struct Case {
    const char* magic;
    std::string aux;
    StatusCode code;
    const char* text;
  } cases[] = {
      {"REDIS0019", Aux("redis-ver", "7.0.15"), StatusCode::kCorruption,
       "AUX redis-ver 7.0.15 is a Redis release that writes RDB v10: the header is damaged"},
      {"REDIS0090", Aux("redis-ver", "7.2.4"), StatusCode::kCorruption, "writes RDB v11"},
      {"REDIS0015", Aux("redis-ver", "8.10.0"), StatusCode::kNotSupported,
       "written by redis 8.10.0"},
      {"REDIS0015", Aux("redis-ver", "255.255.255"), StatusCode::kNotSupported,
       "written by redis 255.255.255"},
      {"REDIS0015", "", StatusCode::kNotSupported, "producer unknown"},
      {"REDIS0019", Aux("redis-ver", "7.0.15") + Aux("df-ver", "v1.2"), StatusCode::kNotSupported,
       "RDB version 19"},
      {"REDIS0080", Aux("redis-ver", "7.2.4") + Aux("valkey-ver", "8.0.1"),
       StatusCode::kNotSupported, "written by valkey 8.0.1"},
  };
  for (const Case& c : cases) {
    auto summary = ReadBytes(Frame(c.magic, c.aux), RdbReadOptions(), nullptr);
    ASSERT_FALSE(summary.ok());
    const std::string message = summary.status().ToString();
    EXPECT_EQ(summary.status().code(), c.code) << c.magic << ": " << message;
    EXPECT_NE(message.find(c.text), std::string::npos) << message;
    EXPECT_NE(message.find("offset 0x0 (0)"), std::string::npos) << message;
  }
}

TEST(RdbDamageOrProducerSyntheticTest, RdbVersionOfRedisRelease) {
  EXPECT_EQ(RdbVersionOfRedisRelease("7.0.15"), 10);
  EXPECT_EQ(RdbVersionOfRedisRelease("7.2.4"), 11);
  EXPECT_EQ(RdbVersionOfRedisRelease("7.4.2"), 12);
  EXPECT_EQ(RdbVersionOfRedisRelease("8.4.0"), 12);
  EXPECT_EQ(RdbVersionOfRedisRelease("6.2.12"), 9);
  EXPECT_EQ(RdbVersionOfRedisRelease("4.0.9"), 8);
  EXPECT_EQ(RdbVersionOfRedisRelease("3.2.6"), 7);
  EXPECT_EQ(RdbVersionOfRedisRelease("8.8.0"), 14);
  for (const char* none : {"3.9.102", "7.1.241", "6.9.241", "255.255.255", "999.999.999",
                           "8.10.0", "", "7.0", "7.0.x", "v7.0.15"}) {
    EXPECT_EQ(RdbVersionOfRedisRelease(none), 0) << none;
  }
}

// Salvage reads with the same reader: the planted byte is damage it drops,
// and the records after it are found again.
TEST_F(RdbDamageOrProducerTest, SalvageDropsThePlantedByteAsDamage) {
  uint64_t at = 0;
  const std::string bytes = Planted(210, *first_record_, "", "", &at);
  MemoryChunkSource source(AsBytes(bytes), 4096, "planted.rdb");
  StringSink sink("salvaged.rdb");
  auto report = SalvageRdb(&source, &sink);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->dropped.size(), 1u);
  EXPECT_EQ(report->dropped[0].begin, at);
  EXPECT_NE(report->dropped[0].reason.find("Dragonfly"), std::string::npos)
      << report->dropped[0].reason;
  EXPECT_EQ(report->keys_kept, 7u);
}

}  // namespace
}  // namespace shardkit::formats::rdb
