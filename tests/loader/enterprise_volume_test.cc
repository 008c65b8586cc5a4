// Redis Enterprise layout names and ScanEnterprisePath (loader/
// enterprise_layout.h, enterprise_volume.h): which paths are Enterprise's,
// every shard copy listed, CCS listed apart, open-source volumes left alone.
#include <gtest/gtest.h>

#include <filesystem>

#include "loader/ccs_reader.h"
#include "loader/enterprise_layout.h"
#include "loader/enterprise_volume.h"
#include "tests/support/temp_dir.h"

namespace shardkit::loader {
namespace {

namespace fs = std::filesystem;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

TEST(EnterpriseLayoutTest, ShardNames) {
  struct Case {
    const char* name;
    bool ok;
    uint64_t uid;
    EnterpriseFileKind kind;
    bool prev;
  } cases[] = {
      {"redis-4.rdb", true, 4, EnterpriseFileKind::kRdb, false},
      {"redis-12.rdb.prev", true, 12, EnterpriseFileKind::kRdb, true},
      {"appendonly-7.aof", true, 7, EnterpriseFileKind::kAof, false},
      {"appendonly-7.aof.prev", true, 7, EnterpriseFileKind::kAof, true},
      {"appendonly-31.aof.dir", true, 31, EnterpriseFileKind::kAofDir, false},
      {"dump.rdb", false, 0, EnterpriseFileKind::kRdb, false},
      {"redis-.rdb", false, 0, EnterpriseFileKind::kRdb, false},
      {"redis-04.rdb", false, 0, EnterpriseFileKind::kRdb, false},
      {"redis-4a.rdb", false, 0, EnterpriseFileKind::kRdb, false},
      {"redis-4.rdb.tmp", false, 0, EnterpriseFileKind::kRdb, false},
      {"appendonly.aof", false, 0, EnterpriseFileKind::kRdb, false},
      {"ccs-redis.rdb", false, 0, EnterpriseFileKind::kRdb, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto parsed = ParseEnterpriseShardName(c.name);
    ASSERT_EQ(parsed.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(parsed->uid, c.uid);
    EXPECT_EQ(parsed->kind, c.kind);
    EXPECT_EQ(parsed->prev, c.prev);
  }
  EXPECT_TRUE(InEnterpriseLayout("/vol/redis/redis-4.rdb"));
  EXPECT_TRUE(InEnterpriseLayout("/vol/redis/appendonly-4.aof.dir/appendonly.aof.1.base.rdb"));
  EXPECT_FALSE(InEnterpriseLayout("/vol/redis-4.rdb"));
  EXPECT_FALSE(InEnterpriseLayout("/vol/redis/dump.rdb"));
  EXPECT_FALSE(InEnterpriseLayout("redis-4.rdb"));
}

TEST(EnterpriseVolumeTest, ANodeVolumeListsEveryCopyAndItsCcs) {
  TempDir dir("shardkit-ent-volume");
  const std::string root = dir.File("node");
  fs::create_directories(root + "/redis/appendonly-3.aof.dir");
  fs::create_directories(root + "/ccs");
  fs::create_directories(root + "/logs");
  WriteFileOrDie(root + "/redis/redis-2.rdb", "REDIS0011");
  WriteFileOrDie(root + "/redis/redis-2.rdb.prev", "REDIS0011");
  WriteFileOrDie(root + "/redis/appendonly-5.aof", "*1\r\n$4\r\nPING\r\n");
  WriteFileOrDie(root + "/redis/appendonly-3.aof.dir/appendonly.aof.manifest", "file x");
  WriteFileOrDie(root + "/redis/appendonly-3.aof.dir/appendonly.aof.1.base.rdb", "REDIS");
  WriteFileOrDie(root + "/redis/notes.txt", "x");
  WriteFileOrDie(root + "/ccs/ccs-redis.rdb", "REDIS0011");
  WriteFileOrDie(root + "/logs/redis-2.log", "x");
  for (const std::string& path : {root, root + "/redis"}) {
    SCOPED_TRACE(path);
    auto scanned = ScanEnterprisePath(path);
    ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
    ASSERT_TRUE(scanned->has_value());
    const EnterpriseVolume& v = **scanned;
    EXPECT_EQ(v.kind, EnterprisePathKind::kNodeVolume);
    ASSERT_EQ(v.shard_files.size(), 4u);
    EXPECT_EQ(v.shard_files[0].name.uid, 2u);
    EXPECT_FALSE(v.shard_files[0].name.prev);
    EXPECT_TRUE(v.shard_files[1].name.prev);
    EXPECT_EQ(v.shard_files[2].name.uid, 3u);
    EXPECT_TRUE(v.shard_files[2].manifest.ends_with("appendonly.aof.manifest"));
    EXPECT_EQ(v.shard_files[2].bytes, 11u);
    EXPECT_EQ(v.shard_files[3].name.kind, EnterpriseFileKind::kAof);
    ASSERT_EQ(v.ccs_files.size(), 1u);
    EXPECT_TRUE(v.ccs_files[0].ends_with("/ccs/ccs-redis.rdb"));
  }
  auto one = ScanEnterprisePath(root + "/redis/redis-2.rdb.prev");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->kind, EnterprisePathKind::kShardFile);
  ASSERT_EQ((*one)->shard_files.size(), 1u);
  EXPECT_TRUE((*one)->shard_files[0].name.prev);
}

TEST(EnterpriseVolumeTest, OpenSourceVolumesAreNotEnterprises) {
  TempDir dir("shardkit-ent-oss");
  fs::create_directories(dir.File("oss/redis"));
  WriteFileOrDie(dir.File("oss/dump.rdb"), "REDIS0011");
  WriteFileOrDie(dir.File("oss/redis/redis-2.rdb"), "REDIS0011");
  fs::create_directories(dir.File("var/lib/redis"));
  WriteFileOrDie(dir.File("var/lib/redis/redis-6379.rdb"), "REDIS0011");
  WriteFileOrDie(dir.File("var/lib/redis/redis.conf"), "dbfilename redis-6379.rdb\n");
  fs::create_directories(dir.File("empty/redis"));
  fs::create_directories(dir.File("plain"));
  WriteFileOrDie(dir.File("plain/dump.rdb"), "REDIS0011");
  for (const char* path : {"oss", "empty", "plain", "plain/dump.rdb", "var/lib/redis"}) {
    auto scanned = ScanEnterprisePath(dir.File(path));
    ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
    EXPECT_FALSE(scanned->has_value()) << path;
  }
  EXPECT_FALSE(ScanEnterprisePath(dir.File("missing")).ok());
}

// CCS copies differ between nodes: every difference is reported, unreadable
// copies are left out of the comparison.
TEST(CcsReaderTest, DisagreeingCopiesAreReported) {
  auto db = [](uint64_t uid, const std::string& name) {
    CcsDatabase out;
    out.uid = uid;
    out.name = name;
    out.fields = {"name"};
    return out;
  };
  auto copy = [](const std::string& path, Status status, std::vector<CcsDatabase> dbs) {
    CcsReport out;
    out.path = path;
    out.status = std::move(status);
    out.databases = std::move(dbs);
    return out;
  };
  const CcsReport a = copy("/n1/ccs/ccs-redis.rdb", Status(), {db(1, "orders"), db(2, "cache")});
  const CcsReport b = copy("/n2/ccs/ccs-redis.rdb", Status(), {db(1, "orders-old")});
  const CcsReport bad = copy("/n3/ccs/ccs-redis.rdb", Status::Corruption("x"), {});
  EXPECT_TRUE(CompareCcsCopies({a, a, bad}).empty());
  const std::vector<std::string> diffs = CompareCcsCopies({a, b, bad});
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_NE(diffs[0].find("disagree on bdb:1's name: \"orders\" in 1 copy (/n1/ccs/ccs-redis.rdb)"),
            std::string::npos)
      << diffs[0];
  EXPECT_EQ(diffs[1], "CCS copies disagree: bdb:2 is in 1 of 2 readable copies");
  const CcsReport missing = ReadCcs("/nonexistent/ccs-redis.rdb", storage::IoOptions());
  EXPECT_FALSE(missing.status.ok());
}

}  // namespace
}  // namespace shardkit::loader
