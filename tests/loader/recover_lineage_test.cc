// Volumes without nodes.conf are grouped by replication lineage (the RDB's
// `repl-id` AUX field), against real redis-server 7.0 processes:
//   * a standalone master and its replica, with a delete, an overwrite and a
//     new key on the master after the replica's last save: whatever order the
//     volumes are named in, the master's copy is the one recovered (the
//     deleted key stays deleted, the overwritten key keeps its new value);
//   * an unrelated standalone database whose keys share slots with the
//     master's: refused (exit 2, naming both volumes and a shared slot)
//     unless --merge-standalone, where the fresher database's copy of a key
//     wins and keys only the older holds are kept, in either order;
//   * a 3-master cluster whose master 0 has a replica, every nodes.conf
//     removed: the shards (disjoint slot sets) still merge with no flag, and
//     master 0's shard comes from its fresher copy; with only master 0's
//     nodes.conf removed, its volume joins its shard by replication id.
// Every recovered dataset is compared key by key (DEBUG DIGEST-VALUE and
// PEXPIRETIME) with what the old servers held.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/keyspace_snapshot.h"
#include "tests/loader/recover_test_util.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// Strings with TTLs, hashes, lists and sets under `prefix`, on `s`.
void Fill(RedisServer& s, const std::string& prefix, int count) {
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    RunOk(s, {"SET", prefix + "str:" + n, prefix + "value-" + n});
    if (i % 3 == 0) RunOk(s, {"PEXPIREAT", prefix + "str:" + n, std::to_string(far + i)});
    if (i % 10 == 0) {
      RunOk(s, {"HSET", prefix + "hash:" + n, "f1", n, "f2", prefix});
      RunOk(s, {"RPUSH", prefix + "list:" + n, "a", n, "c"});
      RunOk(s, {"SADD", prefix + "set:" + n, "x", n});
    }
  }
}

// Recovers `volumes` onto one node with no endpoints (a standalone target),
// starts a redis-server on its dump.rdb and returns what it holds.
// `plan_json` receives the plan's text.
void RecoverStandalone(const std::vector<std::string>& volumes,
                       const std::vector<std::string>& extra_plan_args, TempDir& work,
                       KeyspaceSnapshot* out, std::string* plan_json) {
  std::vector<std::string> args = {"plan", "--nodes", "1", "--out", work.File("plan.json")};
  args.insert(args.end(), extra_plan_args.begin(), extra_plan_args.end());
  args.insert(args.end(), volumes.begin(), volumes.end());
  auto plan = Shardkit(args);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  *plan_json = ReadFileOrDie(work.File("plan.json"));
  auto rec =
      Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"), "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  RedisServerOptions opt;
  opt.dir = work.File("live");
  fs::create_directories(opt.dir);
  fs::copy_file(work.File("out/node-0/dump.rdb"), opt.dir + "/dump.rdb");
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto snap = KeyspaceSnapshot::Capture((*server)->client(), 1);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  *out = std::move(*snap);
}

// The plan's sources without the fields that name when the plan was made.
nlohmann::json PlanSources(const std::string& plan_json) {
  auto j = nlohmann::json::parse(plan_json);
  return j["sources"];
}

class StandaloneLineageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    dirs_ = new TempDir("shardkit-lineage");
    auto master = RedisServer::Start(InDir("master"));
    ASSERT_TRUE(master.ok()) << master.status().ToString();
    RedisServer& m = **master;
    RedisServerOptions ropt = InDir("replica");
    ropt.config = {{"replicaof", "127.0.0.1 " + std::to_string(m.port())}};
    auto replica = RedisServer::Start(ropt);
    ASSERT_TRUE(replica.ok()) << replica.status().ToString();
    RedisServer& r = **replica;
    ASSERT_TRUE(r.WaitInfoField("replication", "master_link_status", "up").ok());
    Fill(m, "", 2000);
    RunOk(m, {"SET", "k1", "will-be-deleted"});
    RunOk(m, {"SET", "k2", "old"});
    auto acked = m.CommandOk({"WAIT", "1", "10000"});
    ASSERT_TRUE(acked.ok() && acked->integer == 1) << "replica did not acknowledge";
    ASSERT_TRUE(r.Save().ok());
    // After the replica's last save: only the master's volume has these.
    RunOk(m, {"DEL", "k1"});
    RunOk(m, {"SET", "k2", "new"});
    RunOk(m, {"SET", "k3", "only-after-the-replica-saved"});
    RunOk(m, {"DEL", "str:5"});
    ASSERT_TRUE(m.Save().ok());
    auto snap = KeyspaceSnapshot::Capture(m.client(), 1);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    master_view_ = new KeyspaceSnapshot(std::move(*snap));
    r.Kill9();
    m.Kill9();

    // An unrelated database (no replica, so no replication id) saved later,
    // whose keys share slots with the master's: its "k2" differs.
    auto other = RedisServer::Start(InDir("other"));
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    RedisServer& o = **other;
    Fill(o, "other:", 500);
    RunOk(o, {"SET", "k2", "from-the-other-database"});
    ASSERT_TRUE(o.Save().ok());
    auto osnap = KeyspaceSnapshot::Capture(o.client(), 1);
    ASSERT_TRUE(osnap.ok()) << osnap.status().ToString();
    o.Kill9();
    // --merge-standalone: the fresher (the other database) wins, keys only the
    // master holds are kept.
    merged_view_ = new KeyspaceSnapshot(*master_view_);
    for (const auto& [key, state] : osnap->dbs[0]) merged_view_->dbs[0][key] = state;
    merged_view_->dbsize[0] = static_cast<int64_t>(merged_view_->dbs[0].size());
  }
  static void TearDownTestSuite() {
    delete master_view_;
    delete merged_view_;
    delete dirs_;
    master_view_ = merged_view_ = nullptr;
    dirs_ = nullptr;
  }
  static RedisServerOptions InDir(const std::string& name) {
    RedisServerOptions opt;
    opt.dir = Dir(name);
    return opt;
  }
  static std::string Dir(const std::string& name) {
    fs::create_directories(dirs_->File(name));
    return dirs_->File(name);
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(master_view_, nullptr);
  }

  static TempDir* dirs_;
  static KeyspaceSnapshot* master_view_;
  static KeyspaceSnapshot* merged_view_;
};

TempDir* StandaloneLineageTest::dirs_ = nullptr;
KeyspaceSnapshot* StandaloneLineageTest::master_view_ = nullptr;
KeyspaceSnapshot* StandaloneLineageTest::merged_view_ = nullptr;

TEST_F(StandaloneLineageTest, MasterAndReplicaAreOneDatabaseWhateverTheOrder) {
  const std::string master = Dir("master"), replica = Dir("replica");
  std::string plans[2];
  for (int order = 0; order < 2; ++order) {
    SCOPED_TRACE(order == 0 ? "master first" : "replica first");
    TempDir work("shardkit-lineage-recover");
    KeyspaceSnapshot got;
    std::vector<std::string> volumes = order == 0 ? std::vector<std::string>{master, replica}
                                                  : std::vector<std::string>{replica, master};
    RecoverStandalone(volumes, {}, work, &got, &plans[order]);
    EXPECT_EQ(master_view_->Diff(got), "");
    EXPECT_EQ(got.dbs[0].count("k1"), 0u) << "a deleted key came back";
    EXPECT_EQ(got.dbs[0].count("str:5"), 0u) << "a deleted key came back";
    EXPECT_EQ(got.dbs[0].count("k3"), 1u);
  }
  EXPECT_EQ(PlanSources(plans[0]), PlanSources(plans[1]));
  // One shard of two volumes, the master chosen by replication offset.
  auto disc = Shardkit({"discover", "--json", replica, master});
  ASSERT_TRUE(disc.ok());
  ASSERT_EQ(disc->exit_code, 0) << disc->output;
  auto report = nlohmann::json::parse(disc->output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << disc->output;
  ASSERT_EQ(report["shards"].size(), 1u) << disc->output;
  const auto& shard = report["shards"][0];
  EXPECT_EQ(shard["source"]["volume"], master) << disc->output;
  EXPECT_EQ(shard["lineage"].get<std::string>().size(), 40u) << disc->output;
  EXPECT_EQ(shard["volumes"].size(), 2u) << disc->output;
  EXPECT_NE(shard["reason"].get<std::string>().find("same replication id, offset"),
            std::string::npos)
      << disc->output;
  EXPECT_TRUE(report["ambiguous"].empty()) << disc->output;

  // One database and its replica: the headers' replication positions choose
  // the same copy, and nothing else is read.
  auto quick = Shardkit({"discover", "--json", "--estimate", replica, master});
  ASSERT_TRUE(quick.ok());
  ASSERT_EQ(quick->exit_code, 0) << quick->output;
  auto estimated = nlohmann::json::parse(quick->output, nullptr, false);
  ASSERT_FALSE(estimated.is_discarded()) << quick->output;
  ASSERT_EQ(estimated["shards"].size(), 1u) << quick->output;
  EXPECT_EQ(estimated["shards"][0]["source"], shard["source"]) << quick->output;
  EXPECT_EQ(estimated["shards"][0]["reason"], shard["reason"]) << quick->output;
  for (const auto& v : estimated["volumes"]) {
    ASSERT_FALSE(v["sources"].empty()) << quick->output;
    for (const auto& c : v["sources"]) EXPECT_EQ(c["scan"], "header") << quick->output;
  }
  // (These files are smaller than the header read's 64 KiB block, so it may
  // read all of them: tests/loader/source_scan_test.cc shows the bound.)
  EXPECT_LE(estimated["scan_bytes_read"].get<uint64_t>(),
            report["scan_bytes_read"].get<uint64_t>());
}

TEST_F(StandaloneLineageTest, UnrelatedDatabasesSharingSlotsAreRefused) {
  const std::string master = Dir("master"), other = Dir("other");
  TempDir work("shardkit-lineage-refused");
  // plan --estimate reads these standalone volumes in full all the same: only
  // their keys' slots show that they share slots.
  auto estimated = Shardkit(
      {"plan", "--estimate", "--nodes", "1", "--out", work.File("plan.json"), master, other});
  ASSERT_TRUE(estimated.ok());
  EXPECT_EQ(estimated->exit_code, 2) << estimated->output;
  EXPECT_NE(estimated->output.find("refusing to merge"), std::string::npos) << estimated->output;
  auto plan = Shardkit({"plan", "--nodes", "1", "--out", work.File("plan.json"), master, other});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->exit_code, 2) << plan->output;
  EXPECT_NE(plan->output.find("refusing to merge"), std::string::npos) << plan->output;
  EXPECT_NE(plan->output.find(master), std::string::npos) << plan->output;
  EXPECT_NE(plan->output.find(other), std::string::npos) << plan->output;
  EXPECT_NE(plan->output.find("in slot "), std::string::npos) << plan->output;
  EXPECT_NE(plan->output.find("--merge-standalone"), std::string::npos) << plan->output;
  EXPECT_FALSE(fs::exists(work.File("plan.json")));
  // discover reports the pair too.
  auto disc = Shardkit({"discover", "--json", other, master});
  ASSERT_TRUE(disc.ok());
  auto report = nlohmann::json::parse(disc->output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << disc->output;
  ASSERT_EQ(report["ambiguous"].size(), 1u) << disc->output;
  EXPECT_GE(report["ambiguous"][0]["slot"].get<int>(), 0);
}

TEST_F(StandaloneLineageTest, MergeStandaloneLetsTheFresherWinInEitherOrder) {
  const std::string master = Dir("master"), replica = Dir("replica"), other = Dir("other");
  std::string plans[2];
  for (int order = 0; order < 2; ++order) {
    SCOPED_TRACE(order == 0 ? "master first" : "other first");
    TempDir work("shardkit-lineage-merge");
    KeyspaceSnapshot got;
    std::vector<std::string> volumes = order == 0
                                           ? std::vector<std::string>{master, replica, other}
                                           : std::vector<std::string>{other, replica, master};
    RecoverStandalone(volumes, {"--merge-standalone"}, work, &got, &plans[order]);
    EXPECT_EQ(merged_view_->Diff(got), "");
    ASSERT_EQ(got.dbs[0].count("k1"), 0u) << "a deleted key came back";
  }
  EXPECT_EQ(PlanSources(plans[0]), PlanSources(plans[1]));
}

class ClusterWithoutNodesConfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    RedisClusterOptions opt;
    opt.masters = 3;
    auto cluster = RedisCluster::Start(opt);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    RedisCluster& c = **cluster;
    ASSERT_TRUE(c.AddReplica(0).ok());
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "key:" + std::to_string(i);
      auto r = c.CommandForKey(key, {"SET", key, "v" + std::to_string(i)});
      ASSERT_TRUE(r.ok() && !r->is_error());
    }
    RedisServer& m0 = c.node(0);
    const std::string tag = KeyOwnedBy(m0, "m0-");
    RunOk(m0, {"SET", tag + "deleted", "1"});
    RunOk(m0, {"SET", tag + "changed", "old"});
    ASSERT_TRUE(c.WaitReplicas().ok());
    ASSERT_TRUE(c.node(3).Save().ok());
    // Only master 0's volume has these.
    RunOk(m0, {"DEL", tag + "deleted"});
    RunOk(m0, {"SET", tag + "changed", "new"});
    for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(c.node(i).Save().ok());
    auto snap = c.Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    old_ = new KeyspaceSnapshot(std::move(*snap));
    deleted_key_ = new std::string(tag + "deleted");
    c.KillAll();
    dirs_ = new TempDir("shardkit-lost-nodes-conf");
    for (size_t i = 0; i < c.size(); ++i) {
      fs::copy(c.node(i).dir(), dirs_->File("node-" + std::to_string(i)),
               fs::copy_options::recursive);
    }
  }
  static void TearDownTestSuite() {
    delete old_;
    delete deleted_key_;
    delete dirs_;
    old_ = nullptr;
    deleted_key_ = nullptr;
    dirs_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(old_, nullptr);
  }

  // Copies of the four volumes with nodes.conf removed from `strip`.
  std::vector<std::string> Volumes(TempDir& work, const std::vector<int>& strip) {
    std::vector<std::string> out;
    for (int i = 0; i < 4; ++i) {
      const std::string dir = work.File("volume-" + std::to_string(i));
      fs::copy(dirs_->File("node-" + std::to_string(i)), dir, fs::copy_options::recursive);
      if (std::find(strip.begin(), strip.end(), i) != strip.end()) fs::remove(dir + "/nodes.conf");
      out.push_back(dir);
    }
    return out;
  }

  void RecoverOntoTwoAndCompare(const std::vector<std::string>& volumes, TempDir& work) {
    auto ports = PickClusterPorts(2);
    ASSERT_TRUE(ports.ok());
    const std::string endpoints =
        "127.0.0.1:" + std::to_string((*ports)[0]) + ",127.0.0.1:" + std::to_string((*ports)[1]);
    std::vector<std::string> args = {
        "plan", "--nodes", "2", "--endpoints", endpoints, "--out", work.File("plan.json")};
    args.insert(args.end(), volumes.begin(), volumes.end());
    auto plan = Shardkit(args);
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
    auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(rec->exit_code, 0) << rec->output;
    auto cluster =
        RedisCluster::StartFromDirs({work.File("out/node-0"), work.File("out/node-1")}, *ports);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    auto got = (*cluster)->Snapshot();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(old_->Diff(*got), "");
    EXPECT_EQ(got->dbs[0].count(*deleted_key_), 0u) << "a deleted key came back";
  }

  static KeyspaceSnapshot* old_;
  static std::string* deleted_key_;
  static TempDir* dirs_;
};

KeyspaceSnapshot* ClusterWithoutNodesConfTest::old_ = nullptr;
std::string* ClusterWithoutNodesConfTest::deleted_key_ = nullptr;
TempDir* ClusterWithoutNodesConfTest::dirs_ = nullptr;

TEST_F(ClusterWithoutNodesConfTest, EveryNodesConfLostStillMergesWithNoFlag) {
  TempDir work("shardkit-no-nodes-conf");
  // Replica first: the order must not matter.
  auto volumes = Volumes(work, {0, 1, 2, 3});
  std::reverse(volumes.begin(), volumes.end());
  std::vector<std::string> dargs = {"discover", "--json"};
  dargs.insert(dargs.end(), volumes.begin(), volumes.end());
  auto disc = Shardkit(dargs);
  ASSERT_TRUE(disc.ok());
  ASSERT_EQ(disc->exit_code, 0) << disc->output;
  auto report = nlohmann::json::parse(disc->output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << disc->output;
  EXPECT_EQ(report["shards"].size(), 3u) << "master 0 and its replica are one shard";
  EXPECT_TRUE(report["ambiguous"].empty()) << disc->output;
  RecoverOntoTwoAndCompare(volumes, work);
}

TEST_F(ClusterWithoutNodesConfTest, AVolumeThatLostItsNodesConfJoinsItsShard) {
  TempDir work("shardkit-one-nodes-conf-lost");
  auto volumes = Volumes(work, {0});
  std::vector<std::string> dargs = {"discover", "--json"};
  dargs.insert(dargs.end(), volumes.begin(), volumes.end());
  auto disc = Shardkit(dargs);
  ASSERT_TRUE(disc.ok());
  ASSERT_EQ(disc->exit_code, 0) << disc->output;
  auto report = nlohmann::json::parse(disc->output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << disc->output;
  ASSERT_EQ(report["shards"].size(), 3u) << disc->output;
  bool found = false;
  for (const auto& s : report["shards"]) {
    if (s["volumes"].size() == 2u) {
      found = true;
      EXPECT_EQ(s["source"]["volume"], volumes[0]) << "the master's copy is the fresher";
    }
  }
  EXPECT_TRUE(found) << disc->output;
  RecoverOntoTwoAndCompare(volumes, work);
}

}  // namespace
}  // namespace shardkit::testing
