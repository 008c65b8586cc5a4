#include "loader/volume_scan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace shardkit::loader {
namespace {

TEST(VolumeScanTest, FindsEverythingOnARealClusterVolume) {
  std::string dir = testing::CorpusDir() + "/Albert0i__RU301/Ex-4.1/7000";
  auto v = ScanVolume(dir);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->nodes_conf.has_value());
  EXPECT_EQ(v->nodes_conf->substr(v->nodes_conf->size() - 10), "nodes.conf");
  ASSERT_TRUE(v->rdb.has_value());
  ASSERT_TRUE(v->aof_dir.has_value());
  ASSERT_TRUE(v->aof_manifest.has_value());
  EXPECT_NE(v->aof_manifest->find("appendonlydir/appendonly.aof.manifest"), std::string::npos);
  EXPECT_FALSE(v->legacy_aof.has_value());
  EXPECT_FALSE(v->redis_conf.has_value());
}

TEST(VolumeScanTest, RedisConfRedirectsNames) {
  testing::TempDir t;
  testing::WriteFileOrDie(t.File("redis.conf"),
                          "# comment\nport 7000\ndbfilename \"snap shot.rdb\"\nappendonly yes\n"
                          "appenddirname aofs\nappendfilename log.aof\n");
  testing::WriteFileOrDie(t.File("snap shot.rdb"), "REDIS0009");
  ASSERT_EQ(mkdir(t.File("aofs").c_str(), 0755), 0);
  testing::WriteFileOrDie(t.File("aofs/log.aof.manifest"), "file log.aof.1.incr.aof seq 1 type i\n");
  auto v = ScanVolume(t.path());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->rdb.has_value());
  EXPECT_NE(v->rdb->find("snap shot.rdb"), std::string::npos);
  ASSERT_TRUE(v->aof_manifest.has_value());
  EXPECT_NE(v->aof_manifest->find("aofs/log.aof.manifest"), std::string::npos);
  EXPECT_EQ(v->conf.appendonly, true);
  EXPECT_FALSE(v->nodes_conf.has_value());
}

TEST(VolumeScanTest, RefusesSymlinkLeadingOutOfTheVolume) {
  testing::TempDir outside;
  testing::WriteFileOrDie(outside.File("secret.rdb"), "REDIS0009");
  testing::TempDir t;
  ASSERT_EQ(symlink(outside.File("secret.rdb").c_str(), t.File("dump.rdb").c_str()), 0);
  auto v = ScanVolume(t.path());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("outside the volume"), std::string::npos)
      << v.status().ToString();
}

TEST(VolumeScanTest, SymlinkInsideTheVolumeIsFine) {
  testing::TempDir t;
  testing::WriteFileOrDie(t.File("real.rdb"), "REDIS0009");
  ASSERT_EQ(symlink("real.rdb", t.File("dump.rdb").c_str()), 0);
  auto v = ScanVolume(t.path());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->rdb.has_value());
  EXPECT_NE(v->rdb->find("real.rdb"), std::string::npos);
}

TEST(VolumeScanTest, RefusesDotDotAndAbsoluteNamesFromRedisConf) {
  for (const char* conf : {"dbfilename ../../etc/passwd\n", "dbfilename /etc/passwd\n",
                           "appenddirname ..\n"}) {
    testing::TempDir t;
    testing::WriteFileOrDie(t.File("redis.conf"), conf);
    auto v = ScanVolume(t.path());
    ASSERT_FALSE(v.ok()) << conf;
    EXPECT_NE(v.status().message().find("refusing"), std::string::npos) << v.status().ToString();
  }
}

TEST(VolumeScanTest, MissingVolumeIsNotFound) {
  auto v = ScanVolume("/nonexistent/volume");
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.status().IsNotFound());
}

TEST(RedisConfTest, UnterminatedQuoteIsCorruption) {
  auto s = ParseRedisConf("dbfilename \"abc\n", "r.conf");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("r.conf line 1"), std::string::npos);
}

}  // namespace
}  // namespace shardkit::loader
