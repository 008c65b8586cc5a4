// ScanRdbHeader against ScanRdbSource on files redis-server 7.0 wrote: the
// header read gives the same replication position, save time and version,
// reads at most two 64 KiB blocks of a file over 1 MiB, and is exact
// (not an estimate) for a file without keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "loader/source_scan.h"
#include "tests/loader/recover_test_util.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

TEST(ScanRdbHeaderTest, ReadsTheHeaderOfALargeFileInTwoBlocksAtMost) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = RedisServer::Start({});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RedisServer& s = **server;
  RunOk(s, {"FUNCTION", "LOAD",
            "#!lua name=scanlib\nredis.register_function('scan_echo', "
            "function(keys, args) return args[1] end)"});
  RunOk(s, {"DEBUG", "POPULATE", "40000", "scan", "100"});
  ASSERT_TRUE(s.Save().ok());
  const std::string path = s.dir() + "/dump.rdb";
  const uint64_t size = std::filesystem::file_size(path);
  ASSERT_GT(size, 1u << 20);

  auto full = loader::ScanRdbSource(path, 0, {});
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  auto header = loader::ScanRdbHeader(path, {});
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_TRUE(header->estimated);
  EXPECT_FALSE(full->estimated);
  EXPECT_EQ(header->summary.header.version, full->summary.header.version);
  EXPECT_EQ(header->repl_id, full->repl_id);
  EXPECT_EQ(header->has_repl_offset, full->has_repl_offset);
  EXPECT_EQ(header->repl_offset, full->repl_offset);
  EXPECT_EQ(header->ctime_s, full->ctime_s);
  EXPECT_EQ(header->functions, full->functions);
  EXPECT_EQ(header->functions.size(), 1u);
  EXPECT_EQ(header->keys, 0u);
  EXPECT_EQ(header->bytes, size);
  EXPECT_EQ(header->rdb_part_bytes, size);
  EXPECT_LE(header->bytes_read, 128u << 10);
  EXPECT_EQ(full->keys, 40000u);
  EXPECT_EQ(full->bytes_read, size);
}

TEST(ScanRdbHeaderTest, AFileWithoutKeysIsReadToItsEndAndIsExact) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = RedisServer::Start({});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Save().ok());
  const std::string path = (*server)->dir() + "/dump.rdb";
  auto header = loader::ScanRdbHeader(path, {});
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_FALSE(header->estimated);
  EXPECT_EQ(header->rdb_part_bytes, 0u);
  EXPECT_EQ(header->bytes_read, std::filesystem::file_size(path));
  EXPECT_EQ(header->summary.crc, formats::rdb::CrcStatus::kOk);
}

// Damage inside the header is found by the header read; damage past it is
// not (recover finds it: SPEC.md "Estimated plans").
TEST(ScanRdbHeaderTest, DamageInTheHeaderIsAnErrorNamingTheFile) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = RedisServer::Start({});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RunOk(**server, {"SET", "k", "v"});
  ASSERT_TRUE((*server)->Save().ok());
  const std::string path = (*server)->dir() + "/dump.rdb";
  std::string bytes = ReadFileOrDie(path);
  ASSERT_EQ(static_cast<uint8_t>(bytes[9]), 0xFA);  // the first AUX field, after "REDIS0010"
  bytes[9] = static_cast<char>(0xF0);              // a byte no RDB 10 writes
  const std::string damaged = (*server)->dir() + "/damaged.rdb";
  WriteFileOrDie(damaged, bytes);
  auto header = loader::ScanRdbHeader(damaged, {});
  ASSERT_FALSE(header.ok());
  EXPECT_TRUE(header.status().IsCorruption() || header.status().IsNotSupported())
      << header.status().ToString();
  EXPECT_NE(header.status().ToString().find(damaged), std::string::npos)
      << header.status().ToString();
}

}  // namespace
}  // namespace shardkit::testing
