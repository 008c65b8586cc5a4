// Redis Enterprise shard files (issue 18, item 1; SPEC.md "Enterprise
// volumes"): opcodes 107 (RAM_LRU) and 121 (SLOT_NUM) are read in a file that
// is Enterprise's (its AUX fields named Redis Enterprise before the byte, or
// the caller found it in an Enterprise layout), and are damage anywhere else.
// Inputs: the public shard file in place, and redis-server 7.0 dumps turned
// into Enterprise-style files by tests/support/enterprise_rdb.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_salvage.h"
#include "formats/rdb/rdb_verify.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/enterprise_rdb.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace {

using shardkit::testing::EnterpriseRdbOptions;
using shardkit::testing::MakeEnterpriseRdb;
using shardkit::testing::RedisServer;
using shardkit::testing::RedisServerOptions;
using testing::ReadBytes;
using testing::RecordingVisitor;

std::string PublicShardFile() {
  return shardkit::testing::ReadFileOrDie(shardkit::testing::CorpusDir() +
                                          "/redis__librdb/redis_ent_opcode_ram_lru.rdb");
}

class EnterpriseOpcodes final : public RecordingVisitor {
 public:
  Status OnEnterpriseOpcode(uint8_t opcode, uint64_t value) override {
    seen.emplace_back(opcode, value);
    return Status();
  }
  std::vector<std::pair<uint8_t, uint64_t>> seen;
};

TEST(RdbEnterpriseTest, ThePublicShardFileReadsRawAndDeep) {
  const std::string bytes = PublicShardFile();
  for (bool deep : {false, true}) {
    RdbReadOptions options;
    options.deep = deep;
    EnterpriseOpcodes visitor;
    // Odd chunk size: the opcodes' lengths straddle chunk boundaries.
    auto summary = ReadBytes(bytes, options, &visitor, 7);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->keys, 3u);
    EXPECT_EQ(summary->crc, CrcStatus::kOk);
    EXPECT_EQ(summary->vendor, Producer::kRedisEnterprise);
    EXPECT_EQ(summary->vendor_named_by, "big-used-ram");
    EXPECT_EQ(summary->enterprise_records, 3u);
    ASSERT_EQ(visitor.seen.size(), 3u);
    for (const auto& [opcode, value] : visitor.seen) EXPECT_EQ(opcode, kOpEnterpriseRamLru);
    ASSERT_EQ(visitor.entries.size(), 3u);
    EXPECT_EQ(visitor.entries[0].key, "a");
  }
}

// The layout only adds: every corpus file that reads without it reads with
// it, with the same keys (a file that names another producer, such as
// Dragonfly's df-ver, stays that producer's).
TEST(RdbEnterpriseTest, TheLayoutNeverBreaksAFileThatReadsWithoutIt) {
  const std::string root = shardkit::testing::CorpusDir();
  int read = 0;
  for (const std::string& path : testing::CorpusRdbFiles(root)) {
    SCOPED_TRACE(path);
    const std::string bytes = shardkit::testing::ReadFileOrDie(root + "/" + path);
    RecordingVisitor plain;
    auto plain_read = ReadBytes(bytes, RdbReadOptions(), &plain);
    if (!plain_read.ok()) continue;
    RdbReadOptions options;
    options.layout = Producer::kRedisEnterprise;
    RecordingVisitor layout;
    auto layout_read = ReadBytes(bytes, options, &layout);
    ASSERT_TRUE(layout_read.ok()) << layout_read.status().ToString();
    ASSERT_EQ(layout.entries.size(), plain.entries.size());
    for (size_t i = 0; i < plain.entries.size(); ++i) {
      EXPECT_EQ(layout.entries[i].key, plain.entries[i].key);
    }
    ++read;
  }
  EXPECT_GE(read, 250);
}

// A file found in an Enterprise layout that names another producer is that
// producer's: Dragonfly numbers its files independently, so its set-listpack
// (type 20) in an RDB 10 file reads, with or without the layout.
TEST(RdbEnterpriseTest, AnotherProducersAuxFieldOverridesTheLayout) {
  std::string body;
  body.push_back(static_cast<char>(kOpAux));
  AppendString(&body, "df-ver");
  AppendString(&body, "v1.21.2");
  body.push_back(static_cast<char>(kTypeSetListpack));
  AppendString(&body, "k");
  std::string lp("\x0b\x00\x00\x00\x01\x00\x81\x61\x02\xff", 10);  // listpack {"a"}
  lp[0] = static_cast<char>(lp.size());
  AppendString(&body, lp);
  std::string file = "REDIS0010" + body;
  file.push_back(static_cast<char>(kOpEof));
  AppendU64Le(&file, Crc64(0, AsBytes(file)));
  for (Producer layout : {Producer::kRedis, Producer::kRedisEnterprise}) {
    RdbReadOptions options;
    options.layout = layout;
    auto summary = ReadBytes(file, options, nullptr);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->vendor, Producer::kDragonfly);
    EXPECT_EQ(summary->vendor_named_by, "df-ver");
  }
}

// A redis-server 7.0 dump with every kind of key, shared by the tests.
class RdbEnterpriseRedisTest : public ::testing::Test {
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
        {"XADD", "a:stream", "1-1", "f", "v"},
        {"SET", "b:expiring", "v", "PX", "100000000"},
        {"SELECT", "3"},
        {"SET", "c:in-db-3", "v"},
    };
    for (const auto& c : commands) ASSERT_TRUE(s.CommandOk(c).ok()) << c[0];
    ASSERT_TRUE(s.Save().ok());
    oss_ = new std::string(shardkit::testing::ReadFileOrDie(s.rdb_path()));
  }
  static void TearDownTestSuite() {
    delete oss_;
    oss_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(oss_, nullptr);
  }

  static std::string Make(const EnterpriseRdbOptions& options) {
    auto made = MakeEnterpriseRdb(*oss_, options);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : std::string();
  }

  static RdbVerifyReport Verify(const std::string& bytes, bool deep,
                                Producer layout = Producer::kRedis) {
    MemoryChunkSource source(AsBytes(bytes), 4096, "redis-7.rdb");
    RdbVerifyOptions options;
    options.deep = deep;
    options.layout = layout;
    return VerifyRdb(&source, options);
  }

  // Key, type, db, expiry and value bytes of every record.
  static std::vector<std::string> Keys(const std::string& bytes, Producer layout) {
    RdbReadOptions options;
    options.capture_values = true;
    options.layout = layout;
    RecordingVisitor visitor;
    auto summary = ReadBytes(bytes, options, &visitor, 13);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    std::vector<std::string> out;
    for (const RdbEntry& e : visitor.entries) {
      out.push_back(std::to_string(e.db) + "/" + e.key + "/" + std::to_string(e.type) + "/" +
                    std::to_string(e.expire_ms.value_or(-1)) + "/" + e.value);
    }
    return out;
  }

  static std::string* oss_;
};

std::string* RdbEnterpriseRedisTest::oss_ = nullptr;

TEST_F(RdbEnterpriseRedisTest, AnEnterpriseFileHoldsExactlyTheKeysOfItsSource) {
  const std::string ent = Make({});
  const std::vector<std::string> want = Keys(*oss_, Producer::kRedis);
  ASSERT_EQ(want.size(), 8u);
  EXPECT_EQ(Keys(ent, Producer::kRedis), want);
  for (bool deep : {false, true}) {
    const RdbVerifyReport report = Verify(ent, deep);
    ASSERT_TRUE(report.ok) << report.error.ToString();
    EXPECT_EQ(report.keys, 8u);
    EXPECT_EQ(report.keys_with_expiry, 1u);  // RAM_LRU between EXPIRETIME_MS and the type
    EXPECT_EQ(report.vendor, Producer::kRedisEnterprise);
    EXPECT_EQ(report.enterprise_records, 16u);
  }
}

// The rule for AUX fields that come after the first 107/121 (or never): the
// producer is what precedes the byte, so only the caller's layout makes such
// a file Enterprise's; without it the first opcode is damage at its offset.
TEST_F(RdbEnterpriseRedisTest, OpcodesBeforeAnyEnterpriseAuxNeedTheLayout) {
  EnterpriseRdbOptions late;
  late.aux_after_first_key = true;
  late.db_aux_fields = false;
  EnterpriseRdbOptions none;
  none.aux_fields = false;
  none.db_aux_fields = false;
  for (const EnterpriseRdbOptions& options : {late, none}) {
    const std::string ent = Make(options);
    for (bool deep : {false, true}) {
      const RdbVerifyReport damaged = Verify(ent, deep);
      ASSERT_FALSE(damaged.ok);
      const std::string message = damaged.error.ToString();
      EXPECT_EQ(damaged.error.code(), StatusCode::kCorruption) << message;
      EXPECT_NE(message.find("record byte 121 in RDB v10"), std::string::npos) << message;
      EXPECT_NE(message.find("did not find it in an Enterprise layout"), std::string::npos)
          << message;
      ASSERT_TRUE(damaged.error_offset.has_value());
      EXPECT_EQ(static_cast<uint8_t>(ent[*damaged.error_offset]), kOpEnterpriseSlotNum);

      const RdbVerifyReport read = Verify(ent, deep, Producer::kRedisEnterprise);
      ASSERT_TRUE(read.ok) << read.error.ToString();
      EXPECT_EQ(read.keys, 8u);
      EXPECT_EQ(read.vendor_named_by, "an Enterprise layout");
    }
    EXPECT_EQ(Keys(ent, Producer::kRedisEnterprise), Keys(*oss_, Producer::kRedis));
  }
}

// Enterprise's bytes in a file that does not say it is Enterprise's, inserted
// with a correct CRC-64: damage (exit 1), never a refusal.
TEST_F(RdbEnterpriseRedisTest, OnlyOneOpcodeKindWithoutAuxIsStillDamage) {
  for (bool ram_lru : {false, true}) {
    EnterpriseRdbOptions options;
    options.aux_fields = false;
    options.db_aux_fields = false;
    options.ram_lru = ram_lru;
    options.slot_num = !ram_lru;
    const RdbVerifyReport report = Verify(Make(options), false);
    ASSERT_FALSE(report.ok);
    EXPECT_EQ(report.error.code(), StatusCode::kCorruption) << report.error.ToString();
    EXPECT_NE(report.error.ToString().find(ram_lru ? "RAM_LRU" : "SLOT_NUM"), std::string::npos)
        << report.error.ToString();
  }
}

// A bigdb-* AUX field alone (after SELECTDB) names Enterprise too.
TEST_F(RdbEnterpriseRedisTest, ADbAuxFieldAloneNamesEnterprise) {
  EnterpriseRdbOptions options;
  options.aux_fields = false;
  const RdbVerifyReport report = Verify(Make(options), true);
  ASSERT_TRUE(report.ok) << report.error.ToString();
  EXPECT_EQ(report.vendor_named_by, "bigdb-ram-keys");
}

// Salvage copies keys, never Enterprise's opcodes; after damage its resync
// still reads 107/121 because the AUX fields before the damage named
// Enterprise.
TEST_F(RdbEnterpriseRedisTest, SalvageWritesNoEnterpriseOpcodes) {
  std::string ent = Make({});
  for (bool damaged : {false, true}) {
    std::string bytes = ent;
    if (damaged) {
      // The third key's type byte becomes 210: damage where it stands.
      RdbReadOptions options;
      RecordingVisitor visitor;
      ASSERT_TRUE(ReadBytes(ent, options, &visitor).ok());
      const RdbEntry& third = visitor.entries[2];
      bytes[third.value_offset - third.key.size() - 2] = static_cast<char>(210);
    }
    MemoryChunkSource source(AsBytes(bytes), 4096, "redis-7.rdb");
    StringSink sink("salvaged.rdb");
    auto report = SalvageRdb(&source, &sink);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->keys_kept, damaged ? 7u : 8u);
    RecordingVisitor visitor;
    auto summary = ReadBytes(sink.data(), RdbReadOptions(), &visitor);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->enterprise_records, 0u);
    EXPECT_EQ(summary->keys, damaged ? 7u : 8u);
  }
}

// Old Redis Labs ("Garantia") opcodes in an Enterprise file: refused by name.
TEST_F(RdbEnterpriseRedisTest, GarantiaOpcodesAreRefusedByName) {
  const std::string ent = Make({});
  RdbReadOptions options;
  RecordingVisitor visitor;
  ASSERT_TRUE(ReadBytes(ent, options, &visitor).ok());
  const RdbEntry& first = visitor.entries[0];
  for (uint8_t byte : {101, 102}) {
    std::string bytes = ent;
    bytes[first.value_offset - first.key.size() - 2] = static_cast<char>(byte);
    const RdbVerifyReport report = Verify(bytes, false);
    ASSERT_FALSE(report.ok);
    EXPECT_EQ(report.error.code(), StatusCode::kNotSupported) << report.error.ToString();
    EXPECT_NE(report.error.ToString().find("legacy Redis Enterprise (Garantia) opcode"),
              std::string::npos)
        << report.error.ToString();
  }
}

}  // namespace
}  // namespace shardkit::formats::rdb
