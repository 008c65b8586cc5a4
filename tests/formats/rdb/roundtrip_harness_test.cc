// Self-test of the real-redis harness the RDB round-trip tests stand on: for
// every config in RdbTestConfigs(), a real redis-server 7.0 is filled, the
// representative keys have the encodings the config must force, the SAVEd
// dump.rdb passes redis-check-rdb, and a restart from that dump holds exactly
// the same keyspace (digest, expiry, type, stream groups, functions).
#include <gtest/gtest.h>

#include <string>

#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"

namespace shardkit::testing {
namespace {

// Returns `field` (e.g. "ql_nodes") of DEBUG OBJECT's one-line reply.
std::string DebugObjectField(RedisServer& server, const std::string& key,
                             const std::string& field) {
  auto r = server.CommandOk({"DEBUG", "OBJECT", key});
  if (!r.ok()) return "error: " + r.status().ToString();
  const std::string needle = " " + field + ":";
  size_t at = r->str.find(needle);
  if (at == std::string::npos) return "missing in: " + r->str;
  size_t from = at + needle.size();
  return r->str.substr(from, r->str.find(' ', from) - from);
}

class RoundtripHarnessTest : public ::testing::TestWithParam<RedisTestConfig> {};

TEST_P(RoundtripHarnessTest, ForcedEncodingsSaveCheckAndRestartPreserveKeyspace) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const RedisTestConfig& config = GetParam();
  auto started = StartFilledServer(config);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RedisServer& server = **started;

  for (const auto& [key, encoding] : config.expected_encodings) {
    auto r = server.CommandOk({"OBJECT", "ENCODING", key});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->str, encoding) << "OBJECT ENCODING " << key;
  }
  const std::string nodes = DebugObjectField(server, kRepListLong, "ql_nodes");
  EXPECT_GE(std::stoul(nodes), config.min_list_nodes) << "ql_nodes of " << kRepListLong;
  EXPECT_EQ(DebugObjectField(server, kRepListLong, "ql_compressed"),
            config.expect_compressed_list ? "1" : "0");
  // LFU keeps a frequency counter (OBJECT FREQ); LRU keeps idle time only.
  auto freq = server.Command({"OBJECT", "FREQ", kRepStringInt});
  ASSERT_TRUE(freq.ok()) << freq.status().ToString();
  EXPECT_EQ(freq->is_error(), !config.lfu) << freq->ToString();

  auto before = KeyspaceSnapshot::Capture(server.client());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_GE(before->KeyCount(), DatasetOptionsFor(config).keys);
  EXPECT_EQ(before->dbs.size(), 16u) << "every db holds keys";
  EXPECT_NE(before->functions.find(kFunctionLibrary), std::string::npos) << before->functions;

  ASSERT_TRUE(server.Save().ok());
  auto check = RunRedisCheckRdb(server.rdb_path());
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->exit_code, 0) << check->output;
  EXPECT_NE(check->output.find("RDB looks OK"), std::string::npos) << check->output;

  server.Kill9();
  ASSERT_TRUE(server.Restart().ok());
  auto after = KeyspaceSnapshot::Capture(server.client());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(before->Diff(*after), "");
  EXPECT_EQ(before->KeyCount(), after->KeyCount());
}

INSTANTIATE_TEST_SUITE_P(Configs, RoundtripHarnessTest, ::testing::ValuesIn(RdbTestConfigs()),
                         [](const ::testing::TestParamInfo<RedisTestConfig>& param_info) {
                           return param_info.param.name;
                         });

// Same seed, same data: two servers filled alike hold the same values (TTLs
// are offsets from each server's clock, so only their presence is compared).
TEST(DatasetTest, FillIsDeterministicForASeed) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  DatasetOptions options;
  options.keys = 500;
  std::vector<KeyspaceSnapshot> snapshots;
  for (int i = 0; i < 2; ++i) {
    auto server = RedisServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    ASSERT_TRUE(FillDataset((*server)->client(), options).ok());
    auto snap = KeyspaceSnapshot::Capture((*server)->client());
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    for (auto& [db, keys] : snap->dbs) {
      for (auto& [key, state] : keys) {
        state.pexpiretime_ms = state.pexpiretime_ms < 0 ? -1 : 1;
        state.stream_info.clear();  // holds consumer seen-times
      }
    }
    snapshots.push_back(std::move(snap).value());
  }
  EXPECT_EQ(snapshots[0].Diff(snapshots[1]), "");
  EXPECT_GE(snapshots[0].KeyCount(), 500u);

  options.seed += 1;
  auto other = RedisServer::Start({});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(FillDataset((*other)->client(), options).ok());
  auto snap = KeyspaceSnapshot::Capture((*other)->client());
  ASSERT_TRUE(snap.ok());
  EXPECT_NE(snapshots[0].Diff(*snap), "") << "a different seed must give different values";
}

// The snapshot comparison must see each kind of change, or the round-trip
// tests built on it could not fail.
TEST(KeyspaceSnapshotTest, DiffReportsMissingExtraDigestExpiryAndStreamGroupChanges) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto started = RedisServer::Start({});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  RedisServer& server = **started;
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"SET", "a", "1"},
           {"SET", "b", "2"},
           {"HSET", "h", "f", "v"},
           {"XADD", "s", "1-1", "f", "v"},
           {"XGROUP", "CREATE", "s", "g", "0"},
           {"SELECT", "3"},
           {"SET", "in-db-3", "x"},
           {"SELECT", "0"}}) {
    ASSERT_TRUE(server.CommandOk(cmd).ok());
  }
  auto base = KeyspaceSnapshot::Capture(server.client());
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->KeyCount(), 5u);
  EXPECT_EQ(base->Diff(*base), "");

  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"DEL", "a"},
           {"SET", "c", "3"},
           {"HSET", "h", "f", "changed"},
           {"PEXPIREAT", "b", "4102444800000"},
           {"XREADGROUP", "GROUP", "g", "consumer", "STREAMS", "s", ">"}}) {
    ASSERT_TRUE(server.CommandOk(cmd).ok());
  }
  auto changed = KeyspaceSnapshot::Capture(server.client());
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  const std::string diff = base->Diff(*changed);
  EXPECT_NE(diff.find("db 0 key \"a\": missing"), std::string::npos) << diff;
  EXPECT_NE(diff.find("db 0 key \"c\": extra (string)"), std::string::npos) << diff;
  EXPECT_NE(diff.find("db 0 key \"h\": digest"), std::string::npos) << diff;
  EXPECT_NE(diff.find("db 0 key \"b\": pexpiretime -1 expected, 4102444800000"),
            std::string::npos)
      << diff;
  EXPECT_NE(diff.find("db 0 key \"s\": stream groups/metadata differ"), std::string::npos) << diff;
  EXPECT_EQ(diff.find("in-db-3"), std::string::npos) << diff;
}

}  // namespace
}  // namespace shardkit::testing
