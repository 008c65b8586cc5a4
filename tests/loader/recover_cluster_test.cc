// End to end: a real Redis Cluster (3 masters, one with a replica, master 1 on
// AOF with its writes only in the log, a FLUSHALL and a transaction in it)
// holding a mixed dataset is killed with SIGKILL; `shardkit plan` + `shardkit recover`
// rebuild it from the dead nodes' volumes onto a different number of new
// nodes; real redis-servers start on the outputs with no other step; the new
// cluster must pass `redis-cli --cluster check` and hold exactly the old
// keyspace (DEBUG DIGEST-VALUE and PEXPIRETIME of every key, stream groups,
// functions). The volumes' bytes must never change.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <cctype>

#include "tests/loader/recover_test_util.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// The RDB a recovered node loads: dump.rdb, or the AOF base.
std::string NodeRdb(const std::string& dir) {
  std::string base = dir + "/appendonlydir/appendonly.aof.1.base.rdb";
  return fs::exists(base) ? base : dir + "/dump.rdb";
}

// A consumer that an AOF replay creates (from the XCLAIM Redis logs for an
// XREADGROUP) gets the load time as its seen-time: mask it in XINFO dumps of
// keys that came from a log.
std::string MaskSeenTime(std::string info) {
  const std::string tag = "\"seen-time\", ";
  for (size_t at = info.find(tag); at != std::string::npos; at = info.find(tag, at)) {
    at += tag.size();
    size_t end = at;
    while (end < info.size() && std::isdigit(static_cast<unsigned char>(info[end]))) ++end;
    info.replace(at, end - at, "*");
  }
  return info;
}

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
    // Master 1 keeps an AOF (fsync always: SIGKILL loses nothing); its
    // dump.rdb is older than its log, so only the AOF holds everything.
    opt.node_config = {{},
                       {{"appendonly", "yes"}, {"appendfsync", "always"},
                        {"aof-timestamp-enabled", "yes"}},
                       {}};
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
    // In master 1's log: keys, then a FLUSHALL that must discard them (and
    // only them: the other shards' data comes later or from other nodes).
    RedisServer& aof_node = cluster_->node(1);
    const std::string doomed = KeyOwnedBy(aof_node, "doomed");
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(aof_node.CommandOk({"SET", doomed + std::to_string(i), "x"}).ok());
    }
    ASSERT_TRUE(aof_node.CommandOk({"FLUSHALL"}).ok());
    FillDataset(*cluster_, static_cast<int>(std::max(1.0, 4 * TestScale())));
    ASSERT_TRUE(cluster_->WaitReplicas().ok());
    // Replicas first: a master saved afterwards records an offset at least
    // its replica's, so discovery picks the master. (In the other order a
    // replication PING between the two saves makes the replica's offset the
    // newest, discovery rightly picks the replica, and its streams lack the
    // consumer-group read counters Redis 7.0 keeps only on masters.)
    for (size_t i = cluster_->size(); i-- > 0;) {
      ASSERT_TRUE(cluster_->node(i).Save().ok());
    }
    // After the SAVE, only master 1's log has these: a transaction, an
    // expiry, a delete and an overwrite.
    const std::string tx = KeyOwnedBy(aof_node, "tx");
    RedisClient& a = aof_node.client();
    ASSERT_TRUE(a.Command({"MULTI"}).ok());
    ASSERT_TRUE(a.Command({"SET", tx + "a", "1"}).ok());
    ASSERT_TRUE(a.Command({"INCRBY", tx + "a", "41"}).ok());
    ASSERT_TRUE(a.Command({"RPUSH", tx + "list", "x", "y", "z"}).ok());
    ASSERT_TRUE(a.Command({"PEXPIRE", tx + "list", "86400000"}).ok());
    auto exec = a.Command({"EXEC"});
    ASSERT_TRUE(exec.ok() && !exec->is_error());
    ASSERT_TRUE(aof_node.CommandOk({"SET", tx + "late", "after-save", "EX", "86400"}).ok());
    ASSERT_TRUE(aof_node.CommandOk({"SET", tx + "gone", "1"}).ok());
    ASSERT_TRUE(aof_node.CommandOk({"DEL", tx + "gone"}).ok());
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
    // What Redis itself restores from master 1's log: a standalone server on
    // a copy of that volume. Redis 7.0 replays XREADGROUP as XCLAIM, which
    // leaves a group's entries-read unknown, so this is the expectation for
    // that shard's keys. Keys and values must equal the live cluster's.
    TempDir reload_dir("shardkit-aof-reload");
    fs::copy(cluster_->node(1).dir() + "/appendonlydir", reload_dir.File("appendonlydir"));
    RedisServerOptions ropt;
    ropt.dir = reload_dir.path();
    ropt.config = {{"appendonly", "yes"}};
    auto reloaded = RedisServer::Start(ropt);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
    auto aof_snap = KeyspaceSnapshot::Capture((*reloaded)->client(), 1);
    ASSERT_TRUE(aof_snap.ok()) << aof_snap.status().ToString();
    ASSERT_GT(aof_snap->KeyCount(), 0u);
    for (const auto& [key, state] : aof_snap->dbs[0]) {
      ASSERT_TRUE(old_->dbs[0].count(key)) << "reloaded AOF has an unknown key " << key;
      const KeyState& live = old_->dbs[0][key];
      ASSERT_EQ(live.digest, state.digest) << key;
      ASSERT_EQ(live.pexpiretime_ms, state.pexpiretime_ms) << key;
      KeyState masked = state;
      masked.stream_info = MaskSeenTime(state.stream_info);
      old_->dbs[0][key] = masked;
      replica_view_->dbs[0][key] = masked;
      aof_keys_.insert(key);
    }
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

  // plan + recover onto `n` nodes, start them, compare with the old cluster.
  void RecoverAndCompare(int n, const std::vector<std::string>& volumes,
                         const KeyspaceSnapshot* expected = nullptr,
                         const std::vector<std::string>& extra_plan_args = {}) {
    if (expected == nullptr) expected = old_;
    TempDir work("shardkit-recover");
    auto ports = PickClusterPorts(n);
    ASSERT_TRUE(ports.ok());
    std::string endpoints;
    for (int p : *ports) endpoints += (endpoints.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
    std::vector<std::string> plan_args = {"plan", "--nodes", std::to_string(n), "--endpoints",
                                          endpoints, "--out", work.File("plan.json")};
    plan_args.insert(plan_args.end(), extra_plan_args.begin(), extra_plan_args.end());
    plan_args.insert(plan_args.end(), volumes.begin(), volumes.end());
    auto plan = Shardkit(plan_args);
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
    last_plan_ = nlohmann::json::parse(ReadFileOrDie(work.File("plan.json")));
    auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(rec->exit_code, 0) << rec->output;
    const bool aof_layout = fs::exists(work.File("out/node-0/appendonlydir"));
    EXPECT_EQ(aof_layout, expect_aof_) << rec->output;
    // The report names each node's RDB by its size and its own checksum
    // (the trailer's CRC-64, which redis-server checks on load).
    const auto report = nlohmann::json::parse(rec->output, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(report.is_discarded()) << rec->output;
    ASSERT_EQ(report["nodes"].size(), static_cast<size_t>(n));
    for (const auto& node : report["nodes"]) {
      const std::string rdb = ReadFileOrDie(NodeRdb(node["dir"].get<std::string>()));
      ASSERT_GE(rdb.size(), 8u);
      uint64_t trailer = 0;
      for (int b = 7; b >= 0; --b) trailer = trailer << 8 | static_cast<uint8_t>(rdb[rdb.size() - 8 + b]);
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(trailer));
      EXPECT_NE(trailer, 0u);
      EXPECT_EQ(node["rdb_crc64"].get<std::string>(), hex) << node.dump();
      EXPECT_EQ(node["rdb_bytes"].get<uint64_t>(), rdb.size()) << node.dump();
    }
    if (aof_layout) {
      EXPECT_NE(rec->output.find("\"layout\": \"appendonlydir\""), std::string::npos)
          << rec->output;
    }
    std::vector<std::string> dirs;
    for (int i = 0; i < n; ++i) {
      std::string live = work.File("live-" + std::to_string(i));
      fs::copy(work.File("out/node-" + std::to_string(i)), live, fs::copy_options::recursive);
      auto check = RunRedisCheckRdb(NodeRdb(live));
      ASSERT_TRUE(check.ok());
      EXPECT_EQ(check->exit_code, 0) << check->output;
      if (aof_layout) {
        auto aof = RunProcess({FindRedisBinary("redis-check-aof"),
                               live + "/appendonlydir/appendonly.aof.manifest"});
        ASSERT_TRUE(aof.ok());
        EXPECT_EQ(aof->exit_code, 0) << aof->output;
      }
      dirs.push_back(live);
    }
    std::vector<std::pair<std::string, std::string>> config;
    if (aof_layout) config.push_back({"appendonly", "yes"});
    auto fresh = RedisCluster::StartFromDirs(dirs, *ports, config);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    auto checked = (*fresh)->Check();
    ASSERT_TRUE(checked.ok());
    EXPECT_EQ(checked->exit_code, 0) << checked->output;
    EXPECT_NE(checked->output.find("[OK] All 16384 slots covered."), std::string::npos);
    auto now = (*fresh)->Snapshot();
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    for (const std::string& key : aof_keys_) {
      auto it = now->dbs[0].find(key);
      if (it != now->dbs[0].end()) it->second.stream_info = MaskSeenTime(it->second.stream_info);
    }
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

  bool expect_aof_ = true;  // master 1's log has commands after its base
  nlohmann::json last_plan_;  // the plan RecoverAndCompare wrote last
  static RedisCluster* cluster_;
  static KeyspaceSnapshot* old_;
  static KeyspaceSnapshot* replica_view_;
  static std::vector<std::string> volumes_;
  static std::string master0_volume_;
  static std::map<std::string, uint64_t> volume_hashes_;
  static std::set<std::string> aof_keys_;  // keys master 1's log restores
};

RedisCluster* RecoverClusterTest::cluster_ = nullptr;
KeyspaceSnapshot* RecoverClusterTest::old_ = nullptr;
KeyspaceSnapshot* RecoverClusterTest::replica_view_ = nullptr;
std::vector<std::string> RecoverClusterTest::volumes_;
std::string RecoverClusterTest::master0_volume_;
std::map<std::string, uint64_t> RecoverClusterTest::volume_hashes_;
std::set<std::string> RecoverClusterTest::aof_keys_;

TEST_F(RecoverClusterTest, OntoFiveNodes) { RecoverAndCompare(5, volumes_); }

// plan --estimate reads each RDB part only up to its first db (master 1's
// AOF base too, its incr log in full): the keys must come out exactly the
// same, every node reading every source (present slots unknown).
TEST_F(RecoverClusterTest, OntoFiveNodesFromAnEstimatedPlan) {
  RecoverAndCompare(5, volumes_, nullptr, {"--estimate"});
  ASSERT_TRUE(last_plan_.is_object());
  EXPECT_EQ(last_plan_["slot_bytes"], "estimated");
  // Master 0's and 2's dump.rdb were estimated: every node reads them. Master
  // 1's AOF base holds no key (its data is all in the log), so its header
  // read reached the end and its scan, log included, is exact.
  uint64_t source_bytes = 0;
  int every_slot = 0;
  for (const auto& s : last_plan_["sources"]) {
    if (s["kind"] == "rdb") {
      EXPECT_EQ(s["present_slots"].dump(), "[[0,16383]]") << s.dump();
      ++every_slot;
    } else {
      EXPECT_NE(s["present_slots"].dump(), "[[0,16383]]") << s.dump();
    }
    for (const auto& f : s["files"]) source_bytes += f["bytes"].get<uint64_t>();
  }
  EXPECT_EQ(every_slot, 2);
  const uint64_t estimated_read = last_plan_["scan_bytes_read"].get<uint64_t>();
  RecoverAndCompare(5, volumes_);
  EXPECT_EQ(last_plan_["slot_bytes"], "measured");
  // The full scan reads every candidate of every volume (replicas' and the
  // AOF node's older dump.rdb too); the estimate at most two 64 KiB blocks
  // of each RDB part, and the log in full (this data set's files are small:
  // tests/loader/source_scan_test.cc shows the bound on a large file).
  EXPECT_GE(last_plan_["scan_bytes_read"].get<uint64_t>(), source_bytes);
  EXPECT_LE(estimated_read, last_plan_["scan_bytes_read"].get<uint64_t>());
}

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
  // One run reading every source at once (node writers park later sources'
  // batches in spill segments), against runs reading one source at a time.
  auto all = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("one"),
                       "--threads", "4", "--json"});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->exit_code, 0) << all->output;
  auto report = nlohmann::json::parse(all->output.substr(all->output.find('{')), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << all->output;
  std::printf("[ spill    ] %llu bytes parked\n",
              static_cast<unsigned long long>(report.value("spilled_bytes", uint64_t{0})));
  for (int k = 3; k >= 0; --k) {
    auto one = Shardkit({"recover", "--plan", work.File("plan.json"), "--out",
                         work.File("split"), "--node-index", std::to_string(k), "--threads", "1"});
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->exit_code, 0) << one->output;
  }
  for (int k = 0; k < 4; ++k) {
    const std::string node = "/node-" + std::to_string(k);
    std::vector<std::string> files = FilesUnder(work.File("one") + node);
    ASSERT_EQ(files, FilesUnder(work.File("split") + node));
    EXPECT_GE(files.size(), 2u);
    for (const std::string& f : files) {
      EXPECT_EQ(ReadFileOrDie(work.File("one") + node + "/" + f),
                ReadFileOrDie(work.File("split") + node + "/" + f))
          << node << "/" << f;
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
  const std::string node1 = ReadFileOrDie(NodeRdb(work.File("out/node-1")));
  auto rerun = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--json"});
  ASSERT_TRUE(rerun.ok());
  ASSERT_EQ(rerun->exit_code, 0) << rerun->output;
  EXPECT_NE(rerun->output.find("already-complete"), std::string::npos) << rerun->output;
  EXPECT_EQ(ReadFileOrDie(NodeRdb(work.File("out/node-1"))), node1);
  EXPECT_FALSE(fs::exists(work.File("out/.node-2.tmp.999999")));
  for (int k = 0; k < 3; ++k) {
    EXPECT_TRUE(fs::exists(work.File("out/node-" + std::to_string(k) + "/shardkit-node.txt")));
  }
  // A node directory that a file damaged afterwards is refused, not replaced.
  WriteFileOrDie(NodeRdb(work.File("out/node-0")), "damaged");
  auto refused = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 2) << refused->output;
  EXPECT_NE(refused->output.find("no longer matches its marker"), std::string::npos)
      << refused->output;
}

}  // namespace
}  // namespace shardkit::testing
