// End to end, plan --replicas: a real Redis Cluster of 3 masters with one
// replica each, filled with a mixed dataset, saved (replicas first, then
// writes only the masters' saves hold: deletes, overwrites, new keys) and
// killed with SIGKILL,
// is rebuilt by `shardkit plan --nodes 3 --replicas 1` + `shardkit recover`
// onto 6 new nodes. Real redis-servers (7.0) start on the outputs with no
// other step; every replica must link up with a partial resync (its master's
// INFO: sync_full:0, sync_partial_ok:1), masters and replicas must hold the
// old keyspace key by key, and a replica taking over from its killed master
// must serve every key. A node whose output is an AOF directory full-syncs,
// and the recover report says so.
// Every wait is bounded; no assertion depends on wall-clock time.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/loader/recover_test_util.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// The AUX fields of an RDB, by `shardkit inspect --json`.
std::map<std::string, std::string> AuxOf(const std::string& rdb) {
  std::map<std::string, std::string> out;
  auto r = Shardkit({"inspect", "--json", "--top", "0", rdb});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
  if (!r.ok()) return out;
  auto j = nlohmann::json::parse(r->output.substr(r->output.find('{')), nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  if (j.is_discarded()) return out;
  for (const auto& a : j["aux"]) out[a["key"].get<std::string>()] = a["value"].get<std::string>();
  return out;
}

// A mixed dataset through the cluster: every type, TTLs far in the future,
// hash tags, a large value, streams with consumer groups.
void FillCluster(RedisCluster& c) {
  auto run = [&](const std::string& key, std::vector<std::string> args) {
    auto r = c.CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  const int scale = static_cast<int>(std::max(1.0, 2 * TestScale()));
  for (int i = 0; i < 400 * scale; ++i) {
    std::string k = "str:" + std::to_string(i);
    run(k, {"SET", k, i % 3 ? "value-" + std::to_string(i * 7919) : std::to_string(i)});
    if (i % 5 == 0) run(k, {"PEXPIREAT", k, std::to_string(far + i)});
  }
  for (int i = 0; i < 60 * scale; ++i) {
    std::string n = std::to_string(i);
    run("hash:" + n, {"HSET", "hash:" + n, "f1", "v1", "f2", n});
    run("list:" + n, {"RPUSH", "list:" + n, "a", "b", n});
    run("set:" + n, {"SADD", "set:" + n, "1", "2", std::to_string(i + 100)});
    run("zset:" + n, {"ZADD", "zset:" + n, "1.5", "a", n, "b"});
  }
  run("big:string", {"SET", "big:string", std::string(1 << 20, 'x')});
  std::vector<std::string> hargs = {"HSET", "big:hash"};
  for (int j = 0; j < 2000; ++j) {
    hargs.push_back("field-" + std::to_string(j));
    hargs.push_back(std::to_string(j * 7));
  }
  run("big:hash", hargs);
  for (const char* k : {"{user1}.a", "{user1}.b", "{user1}.c"}) run(k, {"SET", k, k});
  for (int s = 0; s < 3; ++s) {
    std::string k = "stream:" + std::to_string(s);
    for (int i = 0; i < 30; ++i) run(k, {"XADD", k, "*", "n", std::to_string(i)});
    run(k, {"XGROUP", "CREATE", k, "g1", "0"});
    run(k, {"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", k, ">"});
  }
  run("hll", {"PFADD", "hll", "a", "b", "c"});
  run("counter", {"INCRBY", "counter", "42"});
}

class RecoverReplicasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    RedisClusterOptions opt;
    opt.masters = 3;
    opt.replicas_per_master = 1;
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c).release();
    FillCluster(*cluster_);
    ASSERT_TRUE(cluster_->WaitReplicas().ok());
    // Replicas first, then writes only the masters' volumes will hold (a
    // delete, an overwrite and a new key on every shard), then the masters:
    // a master saved last records a larger offset than its replica, so
    // discovery picks the master's volume, and the deleted keys stay deleted.
    auto masters = cluster_->Masters();
    ASSERT_TRUE(masters.ok());
    for (RedisServer* s : cluster_->nodes()) {
      if (std::find(masters->begin(), masters->end(), s) == masters->end()) {
        ASSERT_TRUE(s->Save().ok());
      }
    }
    for (int i = 0; i < 30; ++i) {
      const std::string n = std::to_string(i);
      for (const auto& args : std::vector<std::vector<std::string>>{
               {"DEL", "str:" + n}, {"SET", "hash:" + n, "overwritten"}, {"SET", "late:" + n, n}}) {
        auto r = cluster_->CommandForKey(args[1], args);
        ASSERT_TRUE(r.ok() && !r->is_error()) << args[0] << " " << args[1];
      }
    }
    auto snap = cluster_->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    old_ = new KeyspaceSnapshot(std::move(*snap));
    ASSERT_EQ(old_->dbs[0].count("str:0"), 0u);
    ASSERT_EQ(old_->dbs[0].count("late:0"), 1u);
    for (RedisServer* m : *masters) ASSERT_TRUE(m->Save().ok());
    for (RedisServer* s : cluster_->nodes()) volumes_.push_back(s->dir());
    cluster_->KillAll();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete old_;
    cluster_ = nullptr;
    old_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(old_, nullptr);
  }

  // plan --nodes 3 --replicas 1 onto `ports` (6), recover into work/out.
  // Returns the recover report.
  nlohmann::json PlanAndRecover(TempDir& work, const std::vector<int>& ports) {
    std::vector<std::string> args = {"plan",       "--nodes",     "3",
                                     "--replicas", "1",           "--endpoints",
                                     Endpoints(ports), "--out",   work.File("plan.json")};
    args.insert(args.end(), volumes_.begin(), volumes_.end());
    auto plan = Shardkit(args);
    EXPECT_TRUE(plan.ok() && plan->exit_code == 0) << (plan.ok() ? plan->output : "");
    auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
    EXPECT_TRUE(rec.ok() && rec->exit_code == 0) << (rec.ok() ? rec->output : "");
    if (!rec.ok()) return nlohmann::json();
    return nlohmann::json::parse(rec->output.substr(rec->output.find('{')), nullptr, false);
  }

  static RedisCluster* cluster_;
  static KeyspaceSnapshot* old_;
  static std::vector<std::string> volumes_;
};

RedisCluster* RecoverReplicasTest::cluster_ = nullptr;
KeyspaceSnapshot* RecoverReplicasTest::old_ = nullptr;
std::vector<std::string> RecoverReplicasTest::volumes_;

TEST_F(RecoverReplicasTest, ReplicasResumeWithoutAFullSyncAndTakeOver) {
  TempDir work("shardkit-replicas");
  auto ports = PickClusterPorts(6);
  ASSERT_TRUE(ports.ok());
  const nlohmann::json report = PlanAndRecover(work, *ports);
  ASSERT_FALSE(report.is_discarded());
  ASSERT_EQ(report["nodes"].size(), 6u) << report.dump(2);
  const nlohmann::json plan = nlohmann::json::parse(ReadFileOrDie(work.File("plan.json")));
  std::set<std::string> repl_ids;
  for (int k = 0; k < 6; ++k) {
    SCOPED_TRACE("node " + std::to_string(k));
    const auto& node = report["nodes"][k];
    const std::string dir = work.File("out/node-" + std::to_string(k));
    EXPECT_EQ(node["layout"], "dump.rdb");
    const auto aux = AuxOf(dir + "/dump.rdb");
    EXPECT_EQ(aux.at("repl-stream-db"), "0");
    EXPECT_EQ(aux.at("repl-offset"), "0");
    ASSERT_EQ(aux.at("repl-id").size(), 40u);
    repl_ids.insert(aux.at("repl-id"));
    const std::string conf = ReadFileOrDie(dir + "/nodes.conf");
    if (k < 3) {
      EXPECT_EQ(node["role"], "master");
      EXPECT_NE(conf.find(" myself,master - "), std::string::npos) << conf;
      continue;
    }
    // Node 3 + m is the replica of master m: same data file, byte for byte.
    const int m = k - 3;
    EXPECT_EQ(node["role"], "replica");
    EXPECT_EQ(node["master_index"], m);
    EXPECT_EQ(node["resync"], "partial") << node.dump();
    EXPECT_FALSE(node["resync_reason"].get<std::string>().empty());
    EXPECT_EQ(node["rdb_crc64"], report["nodes"][m]["rdb_crc64"]);
    EXPECT_EQ(ReadFileOrDie(dir + "/dump.rdb"),
              ReadFileOrDie(work.File("out/node-" + std::to_string(m) + "/dump.rdb")));
    const std::string master_id = plan["nodes"][m]["node_id"];
    EXPECT_NE(conf.find(" myself,slave " + master_id + " "), std::string::npos) << conf;
  }
  EXPECT_EQ(repl_ids.size(), 3u) << "one replication id per master";

  std::vector<std::string> dirs;
  for (int k = 0; k < 6; ++k) dirs.push_back(work.File("out/node-" + std::to_string(k)));
  auto fresh = RedisCluster::StartFromDirs(dirs, *ports);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  RedisCluster& c = **fresh;
  for (int k = 3; k < 6; ++k) {
    Status up = c.node(k).WaitInfoField("replication", "master_link_status", "up");
    ASSERT_TRUE(up.ok()) << up.ToString();
  }
  for (int m = 0; m < 3; ++m) {
    SCOPED_TRACE("master " + std::to_string(m));
    auto full = c.node(m).InfoField("stats", "sync_full");
    auto partial = c.node(m).InfoField("stats", "sync_partial_ok");
    ASSERT_TRUE(full.ok() && partial.ok());
    EXPECT_EQ(*full, "0") << c.node(m).LogTail(2000);
    EXPECT_EQ(*partial, "1") << c.node(m).LogTail(2000);
    std::printf("[ resync   ] master %d: sync_full:%s sync_partial_ok:%s\n", m, full->c_str(),
                partial->c_str());
  }
  auto now = c.Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(old_->Diff(*now), "") << "masters";
  EXPECT_EQ(now->KeyCount(), old_->KeyCount());
  KeyspaceSnapshot replicas;
  for (int k = 3; k < 6; ++k) {
    ASSERT_TRUE(c.node(k).CommandOk({"READONLY"}).ok());
    auto one = KeyspaceSnapshot::Capture(c.node(k).client(), 1);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    for (auto& [db, keys] : one->dbs) {
      replicas.dbs[db].insert(keys.begin(), keys.end());
      replicas.dbsize[db] += one->dbsize[db];
    }
    replicas.functions = one->functions;
  }
  EXPECT_EQ(old_->Diff(replicas), "") << "replicas";
  EXPECT_EQ(replicas.KeyCount(), old_->KeyCount());

  // Master 0 dies; its replica (node 3) takes over and serves every key.
  c.node(0).Kill9();
  ASSERT_TRUE(c.node(3).CommandOk({"CLUSTER", "FAILOVER", "TAKEOVER"}).ok());
  Status promoted = c.node(3).WaitInfoField("replication", "role", "master");
  ASSERT_TRUE(promoted.ok()) << promoted.ToString();
  ASSERT_TRUE(c.WaitHealthy(std::chrono::milliseconds(30'000)).ok());
  auto after = c.Snapshot();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(old_->Diff(*after), "") << "after the failover";
  EXPECT_EQ(after->KeyCount(), old_->KeyCount());
}

TEST_F(RecoverReplicasTest, ANodeIndexRunForAReplicaWritesItsMastersBytes) {
  TempDir work("shardkit-replicas-index");
  auto ports = PickClusterPorts(6);
  ASSERT_TRUE(ports.ok());
  const nlohmann::json report = PlanAndRecover(work, *ports);
  ASSERT_FALSE(report.is_discarded());
  // Node 4 (replica of master 1) alone, as one pod of an Indexed Job would.
  auto one = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("alone"),
                       "--node-index", "4", "--threads", "1"});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->exit_code, 0) << one->output;
  EXPECT_FALSE(fs::exists(work.File("alone/node-1")));
  for (const char* f : {"dump.rdb", "nodes.conf", "shardkit-node.txt"}) {
    EXPECT_EQ(ReadFileOrDie(work.File("alone/node-4/") + f), ReadFileOrDie(work.File("out/node-4/") + f))
        << f;
  }
  EXPECT_EQ(ReadFileOrDie(work.File("alone/node-4/dump.rdb")),
            ReadFileOrDie(work.File("out/node-1/dump.rdb")));
  // A rerun finds every node complete.
  auto rerun = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
  ASSERT_TRUE(rerun.ok() && rerun->exit_code == 0);
  const auto again = nlohmann::json::parse(rerun->output.substr(rerun->output.find('{')));
  ASSERT_EQ(again["nodes"].size(), 6u);
  for (const auto& n : again["nodes"]) EXPECT_EQ(n["status"], "already-complete") << n.dump();
  EXPECT_EQ(again["nodes"][5]["resync"], "partial");
}

// A volume whose writes are only in its AOF log: the outputs are
// appendonlydir layouts, from which redis-server restores no replication
// id, so the replica full-syncs. The report says so, and a real start shows it.
TEST(RecoverReplicasAofTest, AnAofOutputsReplicaFullSyncsAndTheReportSaysWhy) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-replicas-aof");
  RedisServerOptions so;
  so.dir = work.File("volume");
  fs::create_directories(so.dir);
  so.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
  {
    auto server = RedisServer::Start(so);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE((*server)->CommandOk({"SET", "k" + std::to_string(i), std::to_string(i)}).ok());
    }
    ASSERT_TRUE((*server)->CommandOk({"HSET", "h", "a", "1", "b", "2"}).ok());
    (*server)->Kill9();
  }
  auto ports = PickClusterPorts(2);
  ASSERT_TRUE(ports.ok());
  auto plan = Shardkit({"plan", "--nodes", "1", "--replicas", "1", "--endpoints",
                        Endpoints(*ports), "--out", work.File("plan.json"), so.dir});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                       "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const auto report = nlohmann::json::parse(rec->output.substr(rec->output.find('{')));
  ASSERT_EQ(report["nodes"].size(), 2u);
  const auto& replica = report["nodes"][1];
  EXPECT_EQ(replica["layout"], "appendonlydir");
  EXPECT_EQ(replica["resync"], "full") << replica.dump();
  EXPECT_NE(replica["resync_reason"].get<std::string>().find("AOF"), std::string::npos);
  for (const char* f : {"appendonlydir/appendonly.aof.1.base.rdb",
                        "appendonlydir/appendonly.aof.1.incr.aof",
                        "appendonlydir/appendonly.aof.manifest"}) {
    EXPECT_EQ(ReadFileOrDie(work.File("out/node-0/") + f), ReadFileOrDie(work.File("out/node-1/") + f))
        << f;
  }
  auto fresh = RedisCluster::StartFromDirs({work.File("out/node-0"), work.File("out/node-1")},
                                           *ports, {{"appendonly", "yes"}});
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  Status up = (*fresh)->node(1).WaitInfoField("replication", "master_link_status", "up");
  ASSERT_TRUE(up.ok()) << up.ToString();
  auto full = (*fresh)->node(0).InfoField("stats", "sync_full");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, "1") << "the forecast says full";
  std::printf("[ resync   ] AOF layout: master sync_full:%s\n", full->c_str());
  ASSERT_TRUE((*fresh)->node(1).CommandOk({"READONLY"}).ok());
  auto dbsize = (*fresh)->node(1).CommandOk({"DBSIZE"});
  ASSERT_TRUE(dbsize.ok());
  EXPECT_EQ(dbsize->integer, 301);
}

}  // namespace
}  // namespace shardkit::testing
