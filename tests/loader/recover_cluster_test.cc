// End to end: a real Redis Cluster (3 masters, one with a replica) holding a
// mixed dataset is killed with SIGKILL; `shardkit plan` + `shardkit recover`
// rebuild it from the dead nodes' volumes onto a different number of new
// nodes; real redis-servers start on the outputs with no other step; the new
// cluster must pass `redis-cli --cluster check` and hold exactly the old
// keyspace (DEBUG DIGEST-VALUE and PEXPIRETIME of every key, stream groups,
// functions). The volumes' bytes must never change.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <map>
#include <random>

#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// Every file under the volumes -> XXH3 of its bytes.
std::map<std::string, uint64_t> HashTree(const std::vector<std::string>& dirs) {
  std::map<std::string, uint64_t> out;
  for (const std::string& d : dirs) {
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      if (!e.is_regular_file()) continue;
      std::string data = ReadFileOrDie(e.path().string());
      out[e.path().string()] = XXH3_64bits(data.data(), data.size());
    }
  }
  return out;
}

// A mixed dataset through the cluster: every type, small and large
// encodings, far-future TTLs, hash tags, streams with groups and PEL.
void FillDataset(RedisCluster& c, int scale) {
  auto run = [&](const std::string& key, std::vector<std::string> args) {
    auto r = c.CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  std::mt19937 rng(1234);
  for (int i = 0; i < 300 * scale; ++i) {
    std::string k = "str:" + std::to_string(i);
    run(k, {"SET", k, i % 3 ? "value-" + std::to_string(rng()) : std::to_string(i)});
    if (i % 4 == 0) run(k, {"PEXPIREAT", k, std::to_string(far + i)});
  }
  run("big:string", {"SET", "big:string", std::string(1 << 20, 'x')});
  for (int i = 0; i < 40 * scale; ++i) {
    std::string h = "hash:" + std::to_string(i);
    run(h, {"HSET", h, "f1", "v1", "f2", std::to_string(i), "f3", "text"});
    std::string l = "list:" + std::to_string(i);
    run(l, {"RPUSH", l, "a", "b", std::to_string(i)});
    std::string s = "set:" + std::to_string(i);
    run(s, {"SADD", s, "1", "2", std::to_string(i + 100)});
    std::string ss = "sset:" + std::to_string(i);
    run(ss, {"SADD", ss, "alpha", "beta", "m" + std::to_string(i)});
    std::string z = "zset:" + std::to_string(i);
    run(z, {"ZADD", z, "1.5", "a", "2", "b", std::to_string(i), "c"});
  }
  for (int i = 0; i < 3000; i += 100) {
    std::vector<std::string> args = {"RPUSH", "big:list"};
    std::vector<std::string> hargs = {"HSET", "big:hash"};
    std::vector<std::string> zargs = {"ZADD", "big:zset"};
    for (int j = i; j < i + 100; ++j) {
      args.push_back("element-" + std::to_string(j));
      hargs.push_back("field-" + std::to_string(j));
      hargs.push_back(std::to_string(j * 7));
      zargs.push_back(std::to_string(j * 0.25));
      zargs.push_back("member-" + std::to_string(j));
    }
    run("big:list", args);
    run("big:hash", hargs);
    run("big:zset", zargs);
  }
  for (const char* k : {"{user1000}.following", "{user1000}.followers", "{user1000}.name"}) {
    run(k, {"SET", k, k});
  }
  run("{user1000}.name", {"PEXPIREAT", "{user1000}.name", std::to_string(far)});
  for (int s = 0; s < 3; ++s) {
    std::string k = "stream:" + std::to_string(s);
    for (int i = 0; i < 50; ++i) {
      run(k, {"XADD", k, "*", "n", std::to_string(i), "s", std::to_string(s)});
    }
    run(k, {"XGROUP", "CREATE", k, "g1", "0"});
    run(k, {"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", k, ">"});
    run(k, {"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", k, ">"});
  }
  run("hll", {"PFADD", "hll", "a", "b", "c", "d"});
  run("bits", {"SETBIT", "bits", "1000", "1"});
  run("counter", {"INCRBY", "counter", "42"});
}

class RecoverClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    RedisClusterOptions opt;
    opt.masters = 3;
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c).release();
    ASSERT_TRUE(cluster_->AddReplica(0).ok());
    auto masters = cluster_->Masters();
    ASSERT_TRUE(masters.ok());
    for (RedisServer* m : *masters) {
      auto r = m->CommandOk({"FUNCTION", "LOAD",
                             "#!lua name=shardkitlib\nredis.register_function('sk_echo', "
                             "function(keys, args) return args[1] end)"});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
    FillDataset(*cluster_, static_cast<int>(std::max(1.0, 4 * TestScale())));
    ASSERT_TRUE(cluster_->WaitReplicas().ok());
    ASSERT_TRUE(cluster_->SaveAll().ok());
    auto snap = cluster_->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    old_ = new KeyspaceSnapshot(std::move(*snap));
    // What the replica (the last node) holds: the expectation when its
    // master's volume is lost. Redis 7.0 replicas do not carry consumer-group
    // read counters (entries-read), so this differs from the master.
    RedisServer& replica = cluster_->node(cluster_->size() - 1);
    ASSERT_TRUE(replica.CommandOk({"READONLY"}).ok());
    auto rsnap = KeyspaceSnapshot::Capture(replica.client(), 1);
    ASSERT_TRUE(rsnap.ok()) << rsnap.status().ToString();
    replica_view_ = new KeyspaceSnapshot(*old_);
    for (const auto& [key, state] : rsnap->dbs[0]) replica_view_->dbs[0][key] = state;
    for (RedisServer* s : cluster_->nodes()) volumes_.push_back(s->dir());
    master0_volume_ = cluster_->node(0).dir();
    cluster_->KillAll();
    volume_hashes_ = HashTree(volumes_);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete old_;
    delete replica_view_;
    cluster_ = nullptr;
    old_ = nullptr;
    replica_view_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(old_, nullptr);
  }

  static Result<ProcessResult> Shardkit(std::vector<std::string> args) {
    args.insert(args.begin(), ShardkitBinary());
    return RunProcess(args);
  }

  // plan + recover onto `n` nodes, start them, compare with the old cluster.
  void RecoverAndCompare(int n, const std::vector<std::string>& volumes,
                         const KeyspaceSnapshot* expected = nullptr) {
    if (expected == nullptr) expected = old_;
    TempDir work("shardkit-recover");
    auto ports = PickClusterPorts(n);
    ASSERT_TRUE(ports.ok());
    std::string endpoints;
    for (int p : *ports) endpoints += (endpoints.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
    std::vector<std::string> plan_args = {"plan", "--nodes", std::to_string(n), "--endpoints",
                                          endpoints, "--out", work.File("plan.json")};
    plan_args.insert(plan_args.end(), volumes.begin(), volumes.end());
    auto plan = Shardkit(plan_args);
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
    auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(rec->exit_code, 0) << rec->output;
    std::vector<std::string> dirs;
    for (int i = 0; i < n; ++i) {
      std::string live = work.File("live-" + std::to_string(i));
      fs::copy(work.File("out/node-" + std::to_string(i)), live, fs::copy_options::recursive);
      auto check = RunRedisCheckRdb(live + "/dump.rdb");
      ASSERT_TRUE(check.ok());
      EXPECT_EQ(check->exit_code, 0) << check->output;
      dirs.push_back(live);
    }
    auto fresh = RedisCluster::StartFromDirs(dirs, *ports);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    auto checked = (*fresh)->Check();
    ASSERT_TRUE(checked.ok());
    EXPECT_EQ(checked->exit_code, 0) << checked->output;
    EXPECT_NE(checked->output.find("[OK] All 16384 slots covered."), std::string::npos);
    auto now = (*fresh)->Snapshot();
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    EXPECT_EQ(expected->Diff(*now), "") << "recovered onto " << n << " nodes";
    EXPECT_EQ(now->KeyCount(), expected->KeyCount());
    // Every node serves the function library.
    for (RedisServer* s : (*fresh)->nodes()) {
      auto f = s->CommandOk({"FCALL", "sk_echo", "0", "hi"});
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      EXPECT_EQ(f->str, "hi");
    }
    EXPECT_EQ(HashTree(volumes_), volume_hashes_) << "a source volume changed";
  }

  static RedisCluster* cluster_;
  static KeyspaceSnapshot* old_;
  static KeyspaceSnapshot* replica_view_;
  static std::vector<std::string> volumes_;
  static std::string master0_volume_;
  static std::map<std::string, uint64_t> volume_hashes_;
};

RedisCluster* RecoverClusterTest::cluster_ = nullptr;
KeyspaceSnapshot* RecoverClusterTest::old_ = nullptr;
KeyspaceSnapshot* RecoverClusterTest::replica_view_ = nullptr;
std::vector<std::string> RecoverClusterTest::volumes_;
std::string RecoverClusterTest::master0_volume_;
std::map<std::string, uint64_t> RecoverClusterTest::volume_hashes_;

TEST_F(RecoverClusterTest, OntoFiveNodes) { RecoverAndCompare(5, volumes_); }

TEST_F(RecoverClusterTest, OntoTwoNodes) { RecoverAndCompare(2, volumes_); }

TEST_F(RecoverClusterTest, OntoThreeNodesKeepsShardsWhole) { RecoverAndCompare(3, volumes_); }

TEST_F(RecoverClusterTest, MissingMasterVolumeFallsBackToReplica) {
  std::vector<std::string> without_master;
  for (const std::string& v : volumes_) {
    if (v != master0_volume_) without_master.push_back(v);
  }
  ASSERT_EQ(without_master.size(), volumes_.size() - 1);
  std::vector<std::string> args = {"discover", "--json"};
  args.insert(args.end(), without_master.begin(), without_master.end());
  auto disc = Shardkit(args);
  ASSERT_TRUE(disc.ok());
  ASSERT_EQ(disc->exit_code, 0) << disc->output;
  EXPECT_NE(disc->output.find("rdb of replica"), std::string::npos) << disc->output;
  RecoverAndCompare(4, without_master, replica_view_);
}

TEST_F(RecoverClusterTest, NodeIndexProcessesWriteTheSameBytesAsOneRun) {
  TempDir work("shardkit-nodeindex");
  std::vector<std::string> plan_args = {"plan", "--nodes", "4", "--out", work.File("plan.json")};
  plan_args.insert(plan_args.end(), volumes_.begin(), volumes_.end());
  auto plan = Shardkit(plan_args);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto all = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("one")});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->exit_code, 0) << all->output;
  for (int k = 3; k >= 0; --k) {
    auto one = Shardkit({"recover", "--plan", work.File("plan.json"), "--out",
                         work.File("split"), "--node-index", std::to_string(k)});
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->exit_code, 0) << one->output;
  }
  for (int k = 0; k < 4; ++k) {
    const std::string node = "/node-" + std::to_string(k);
    for (const char* f : {"/dump.rdb", "/shardkit-node.txt"}) {
      EXPECT_EQ(ReadFileOrDie(work.File("one") + node + f),
                ReadFileOrDie(work.File("split") + node + f))
          << node << f;
    }
  }
}

TEST_F(RecoverClusterTest, RerunAfterACrashFinishesAndSkipsCompleteNodes) {
  TempDir work("shardkit-rerun");
  std::vector<std::string> plan_args = {"plan", "--nodes", "3", "--out", work.File("plan.json")};
  plan_args.insert(plan_args.end(), volumes_.begin(), volumes_.end());
  auto plan = Shardkit(plan_args);
  ASSERT_TRUE(plan.ok() && plan->exit_code == 0);
  // A first run that got as far as node 1, and the staging directory a
  // killed run leaves behind for node 2.
  auto first = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--node-index", "1"});
  ASSERT_TRUE(first.ok() && first->exit_code == 0) << first->output;
  fs::create_directories(work.File("out/.node-2.tmp.999999"));
  WriteFileOrDie(work.File("out/.node-2.tmp.999999/dump.rdb"), "REDIS0010 torn");
  const std::string node1 = ReadFileOrDie(work.File("out/node-1/dump.rdb"));
  auto rerun = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
  ASSERT_TRUE(rerun.ok());
  ASSERT_EQ(rerun->exit_code, 0) << rerun->output;
  EXPECT_NE(rerun->output.find("already-complete"), std::string::npos) << rerun->output;
  EXPECT_EQ(ReadFileOrDie(work.File("out/node-1/dump.rdb")), node1);
  EXPECT_FALSE(fs::exists(work.File("out/.node-2.tmp.999999")));
  for (int k = 0; k < 3; ++k) {
    EXPECT_TRUE(fs::exists(work.File("out/node-" + std::to_string(k) + "/shardkit-node.txt")));
  }
  // A node directory that a file damaged afterwards is refused, not replaced.
  WriteFileOrDie(work.File("out/node-0/dump.rdb"), "damaged");
  auto refused = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 2) << refused->output;
  EXPECT_NE(refused->output.find("no longer matches its marker"), std::string::npos)
      << refused->output;
}

}  // namespace
}  // namespace shardkit::testing
