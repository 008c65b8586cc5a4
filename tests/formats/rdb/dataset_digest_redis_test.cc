// DatasetDigest (formats/rdb/dataset_digest.h) against the real
// redis-server 7.0's DEBUG DIGEST:
//  * every RDB of the public corpus that redis-server loads (as dump.rdb):
//    the digest of the file equals the server's; files it refuses are
//    skipped and counted, and at least some must be compared;
//  * datasets with every type, encoding and TTLs made through a live server
//    (RdbTestConfigs, active expiry off so SAVE and DEBUG DIGEST see the
//    same keys), SAVEd and digested;
//  * a changed element, a key moved to another db, a list reordered and an
//    expiry added each change the digest, on both sides alike; a changed
//    expiry time does not (Redis mixes only whether a key expires);
//  * an empty dataset gives 40 zeros.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/rdb/dataset_digest.h"
#include "formats/rdb/rdb_reader.h"
#include "storage/file_reader.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/datasets.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace rdb = ::shardkit::formats::rdb;

int64_t DigestTestNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> DigestOfRdbFile(const std::string& path,
                                    const rdb::DatasetDigestOptions& options) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source, storage::OpenSequentialReader(path));
  return rdb::ComputeRdbDatasetDigest(source.get(), rdb::RdbReadOptions{}, options);
}

Result<std::string> ServerDigest(RedisServer& server) {
  SK_ASSIGN_OR_RETURN(RedisReply reply, server.CommandOk({"DEBUG", "DIGEST"}));
  if (reply.kind != RedisReply::Kind::kStatus && reply.kind != RedisReply::Kind::kString) {
    return Status::InvalidArgument("DEBUG DIGEST replied " + reply.ToString());
  }
  return reply.str;
}

// SAVEs the server and digests its dump.rdb as the server holds it (active
// expiry must be off: nothing is left out).
Result<std::string> DigestOfSavedServer(RedisServer& server) {
  SK_RETURN_IF_ERROR(server.Save());
  return DigestOfRdbFile(server.rdb_path(), rdb::DatasetDigestOptions{});
}

TEST(DatasetDigestTest, EmptyRdbGivesFortyZeros) {
  const std::string bytes = rdb::testing::Frame("REDIS0010", "");
  MemoryChunkSource source(AsBytes(bytes), 1 << 16, "empty.rdb");
  Result<std::string> digest =
      rdb::ComputeRdbDatasetDigest(&source, rdb::RdbReadOptions{}, rdb::DatasetDigestOptions{});
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, std::string(40, '0'));
}

TEST(DatasetDigestRedisTest, EmptyServerAgrees) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  Result<std::unique_ptr<RedisServer>> server = RedisServer::Start({});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  Result<std::string> found = ServerDigest(**server);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, std::string(40, '0'));
}

TEST(DatasetDigestRedisTest, EveryCorpusFileRedisLoads) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const std::vector<std::string> files = rdb::testing::CorpusRdbFiles(CorpusDir());
  ASSERT_FALSE(files.empty()) << "no RDB files under " << CorpusDir();
  size_t compared = 0, refused = 0, nonempty = 0;
  std::string refused_names;
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    RedisServerOptions options;
    options.files_before_start = {{"dump.rdb", ReadFileOrDie(CorpusDir() + "/" + file)}};
    options.start_timeout = std::chrono::milliseconds(10'000);
    Result<std::unique_ptr<RedisServer>> server = RedisServer::Start(std::move(options));
    if (!server.ok()) {
      ++refused;
      refused_names += " " + file;
      continue;
    }
    Result<std::string> found = ServerDigest(**server);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    // The server dropped the keys that had expired when it loaded the file:
    // leave out those expired by now (the corpus has no key expiring within
    // the few milliseconds in between).
    rdb::DatasetDigestOptions digest_options;
    digest_options.drop_expired_before_ms = DigestTestNowMs();
    Result<std::string> computed = DigestOfRdbFile(CorpusDir() + "/" + file, digest_options);
    ASSERT_TRUE(computed.ok()) << computed.status().ToString();
    EXPECT_EQ(*computed, *found);
    ++compared;
    if (*found != std::string(40, '0')) ++nonempty;
  }
  std::printf("dataset digest: %zu corpus RDB files, %zu compared (%zu with keys), %zu refused "
              "by redis-server:%s\n",
              files.size(), compared, nonempty, refused, refused_names.c_str());
  EXPECT_GE(nonempty, 10u) << "too few corpus files with keys were compared";
}

std::string DigestConfigName(const ::testing::TestParamInfo<RedisTestConfig>& param_info) {
  return param_info.param.name;
}

class DatasetDigestConfigTest : public ::testing::TestWithParam<RedisTestConfig> {};

TEST_P(DatasetDigestConfigTest, LiveDatasetAgrees) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  Result<std::unique_ptr<RedisServer>> started = StartFilledServer(GetParam());
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RedisServer& server = **started;
  ASSERT_TRUE(server.CommandOk({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).ok());

  Result<std::string> found = ServerDigest(server);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  Result<std::string> computed = DigestOfSavedServer(server);
  ASSERT_TRUE(computed.ok()) << computed.status().ToString();
  EXPECT_EQ(*computed, *found);
  EXPECT_NE(*found, std::string(40, '0'));
}

INSTANTIATE_TEST_SUITE_P(Configs, DatasetDigestConfigTest,
                         ::testing::ValuesIn(RdbTestConfigs(/*include_large=*/false)),
                         DigestConfigName);

// Each change must move the digest, the same way on both sides; a changed
// expiry time must not (Redis mixes only whether a key expires).
TEST(DatasetDigestRedisTest, ChangesMoveTheDigestAsRedisDoes) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  Result<std::unique_ptr<RedisServer>> started = RedisServer::Start({});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RedisServer& server = **started;
  const std::vector<std::vector<std::string>> fill = {
      {"SET", "s", "value"},
      {"SET", "n", "12345"},
      {"RPUSH", "l", "a", "b", "c", "7"},
      {"SADD", "set", "x", "y", "3"},
      {"ZADD", "z", "1.5", "m1", "-0", "m2", "inf", "m3", "0.1", "m4"},
      {"HSET", "h", "f1", "v1", "f2", "2"},
      {"XADD", "x", "1-1", "f", "v"},
      {"XADD", "x", "2-5", "f", "w", "g", "9"},
      {"SET", "ttl", "t", "PX", "100000000"},
  };
  for (const auto& command : fill) ASSERT_TRUE(server.CommandOk(command).ok());

  std::vector<std::string> seen;
  auto step = [&](const std::vector<std::vector<std::string>>& commands, bool expect_change) {
    for (const auto& command : commands) {
      Result<RedisReply> reply = server.CommandOk(command);
      ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    }
    Result<std::string> found = ServerDigest(server);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    Result<std::string> computed = DigestOfSavedServer(server);
    ASSERT_TRUE(computed.ok()) << computed.status().ToString();
    EXPECT_EQ(*computed, *found) << "after " << commands.size() << " commands";
    if (!seen.empty()) {
      if (expect_change) {
        EXPECT_NE(*computed, seen.back());
      } else {
        EXPECT_EQ(*computed, seen.back());
      }
    }
    seen.push_back(*computed);
  };
  step({}, true);
  step({{"SET", "s", "valuf"}}, true);                      // a string
  step({{"LSET", "l", "0", "c"}, {"LSET", "l", "2", "a"}}, true);  // list order
  step({{"ZADD", "z", "1.5000001", "m1"}}, true);           // a score
  step({{"HSET", "h", "f2", "3"}}, true);                   // a hash value
  step({{"SREM", "set", "3"}, {"SADD", "set", "4"}}, true);  // a set member
  step({{"XADD", "x", "3-0", "f", "v"}}, true);             // a stream entry
  step({{"PEXPIRE", "s", "100000000"}}, true);              // an expiry added
  step({{"PEXPIRE", "s", "200000000"}}, false);             // only its time changed
  step({{"MOVE", "n", "3"}}, true);                         // another db
}

}  // namespace
}  // namespace shardkit::testing
