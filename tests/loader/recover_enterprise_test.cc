// Redis Enterprise volumes (issue 18, items 2-4; SPEC.md "Enterprise
// volumes"), built by the test from real redis-server 7.0 dumps with
// Enterprise's opcodes 107/121 and AUX fields inserted (CRC-64 recomputed,
// tests/support/enterprise_rdb.h):
//
//   node-1/redis/redis-2.rdb           "orders" shard A (slots 0-8191), the fresh copy
//   node-1/redis/redis-7.rdb           "cache", Enterprise AUX after its first key
//   node-1/ccs/ccs-redis.rdb           a CCS: hashes bdb:1 / bdb:2 (never user data)
//   node-2/redis/redis-3.rdb           "orders" shard A, a stale copy (its replica's
//                                      earlier save: same replication id, lower offset)
//   node-2/redis/appendonly-4.aof.dir/ "orders" shard B (slots 8192-16383), multi-part
//                                      AOF; its base has 107/121 and no Enterprise AUX
//   node-2/redis/redis-7.rdb.prev      "cache", an older copy
//   node-3/redis/redis-7.rdb.prev      "cache", the only copy on that volume
//
// Checks: discover lists every copy, the CCS, and picks the fresh copy; plan
// of whole node volumes is refused (exit 1) listing the shards; a recovery
// spec naming each database's shard files recovers "orders" onto 3 masters
// and "cache" onto a standalone server, compared key by key (DEBUG
// DIGEST-VALUE, PEXPIRETIME) with the old servers; a .prev that is the only
// copy is recovered.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "formats/encodings/hash_slot.h"
#include "tests/loader/recover_test_util.h"
#include "tests/support/enterprise_rdb.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// Keys of every kind under `prefix`, on `s` when their slot is in [lo, hi].
void Fill(RedisServer& s, const std::string& prefix, int from, int to, int lo, int hi) {
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  for (int i = from; i < to; ++i) {
    const std::string n = std::to_string(i);
    const std::string key = prefix + n;
    const int slot = formats::KeyHashSlot(key);
    if (slot < lo || slot > hi) continue;
    switch (i % 4) {
      case 0: RunOk(s, {"SET", key, "v-" + n}); break;
      case 1: RunOk(s, {"HSET", key, "f", n, "g", prefix}); break;
      case 2: RunOk(s, {"RPUSH", key, "a", n}); break;
      default: RunOk(s, {"ZADD", key, n, "m"}); break;
    }
    if (i % 5 == 0) RunOk(s, {"PEXPIREAT", key, std::to_string(far + i)});
  }
}

std::string Enterprise(const std::string& oss, EnterpriseRdbOptions options = {}) {
  auto made = MakeEnterpriseRdb(oss, options);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? *made : std::string();
}

void Put(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  WriteFileOrDie(path, bytes);
}

class RecoverEnterpriseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    dirs_ = new TempDir("shardkit-enterprise");
    BuildOrders();
    if (::testing::Test::HasFatalFailure()) return;
    BuildCache();
  }

  // Shard A: a master and its replica; the replica saves, the master takes
  // more writes and saves. Shard B: an appendonly server.
  static void BuildOrders() {
    auto a = RedisServer::Start(RedisServerOptions());
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    RedisServerOptions ropt;
    ropt.config = {{"replicaof", "127.0.0.1 " + std::to_string((*a)->port())}};
    auto a_replica = RedisServer::Start(ropt);
    ASSERT_TRUE(a_replica.ok()) << a_replica.status().ToString();
    ASSERT_TRUE((*a_replica)->WaitInfoField("replication", "master_link_status", "up").ok());
    Fill(**a, "o:", 0, 1200, 0, 8191);
    auto acked = (*a)->CommandOk({"WAIT", "1", "10000"});
    ASSERT_TRUE(acked.ok() && acked->integer == 1);
    ASSERT_TRUE((*a_replica)->Save().ok());
    Fill(**a, "o:", 1200, 1600, 0, 8191);
    for (int i = 0; deleted_.empty(); ++i) {
      if (formats::KeyHashSlot("o:" + std::to_string(i)) <= 8191) deleted_ = "o:" + std::to_string(i);
    }
    RunOk(**a, {"DEL", deleted_});
    ASSERT_TRUE((*a)->Save().ok());
    RedisServerOptions bopt;
    bopt.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
    auto b = RedisServer::Start(bopt);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    Fill(**b, "o:", 0, 1000, 8192, 16383);
    RunOk(**b, {"BGREWRITEAOF"});
    ASSERT_TRUE((*b)->WaitInfoField("persistence", "aof_rewrite_in_progress", "0").ok());
    ASSERT_TRUE((*b)->WaitInfoField("persistence", "aof_rewrite_scheduled", "0").ok());
    Fill(**b, "o:", 1000, 1600, 8192, 16383);  // log commands after the base
    auto snap_a = KeyspaceSnapshot::Capture((*a)->client());
    auto snap_b = KeyspaceSnapshot::Capture((*b)->client());
    ASSERT_TRUE(snap_a.ok() && snap_b.ok());
    orders_ = new KeyspaceSnapshot(std::move(*snap_a));
    for (auto& [key, state] : snap_b->dbs[0]) orders_->dbs[0][key] = state;
    orders_->dbsize[0] += snap_b->dbsize[0];
    const std::string n1 = dirs_->File("node-1"), n2 = dirs_->File("node-2");
    Put(n1 + "/redis/redis-2.rdb", Enterprise(ReadFileOrDie((*a)->rdb_path())));
    Put(n2 + "/redis/redis-3.rdb", Enterprise(ReadFileOrDie((*a_replica)->rdb_path())));
    (*b)->Kill9();
    const std::string aof = n2 + "/redis/appendonly-4.aof.dir";
    fs::copy((*b)->dir() + "/appendonlydir", aof, fs::copy_options::recursive);
    for (const auto& e : fs::directory_iterator(aof)) {
      if (e.path().string().ends_with(".base.rdb")) {
        EnterpriseRdbOptions layout_only;  // read only because it sits in the layout
        layout_only.aux_fields = false;
        layout_only.db_aux_fields = false;
        WriteFileOrDie(e.path(), Enterprise(ReadFileOrDie(e.path()), layout_only));
        base_found_ = true;
      }
    }
    (*a_replica)->Kill9();
    (*a)->Kill9();
  }

  static void BuildCache() {
    auto c = RedisServer::Start(RedisServerOptions());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    Fill(**c, "c:", 0, 300, 0, 16383);
    ASSERT_TRUE((*c)->Save().ok());
    EnterpriseRdbOptions late;
    late.aux_after_first_key = true;  // no layout -> damage; here it sits in redis/
    const std::string older = Enterprise(ReadFileOrDie((*c)->rdb_path()), late);
    auto snap_older = KeyspaceSnapshot::Capture((*c)->client());
    ASSERT_TRUE(snap_older.ok());
    cache_prev_ = new KeyspaceSnapshot(std::move(*snap_older));
    Fill(**c, "c:", 300, 500, 0, 16383);
    ASSERT_TRUE((*c)->Save().ok());
    auto snap = KeyspaceSnapshot::Capture((*c)->client());
    ASSERT_TRUE(snap.ok());
    cache_ = new KeyspaceSnapshot(std::move(*snap));
    const std::string n1 = dirs_->File("node-1"), n2 = dirs_->File("node-2");
    Put(n1 + "/redis/redis-7.rdb", Enterprise(ReadFileOrDie((*c)->rdb_path()), late));
    Put(n2 + "/redis/redis-7.rdb.prev", older);
    Put(dirs_->File("node-3") + "/redis/redis-7.rdb.prev", older);
    // The older copies were written an hour earlier.
    const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
    fs::last_write_time(n2 + "/redis/redis-7.rdb.prev", hour_ago);
    fs::last_write_time(dirs_->File("node-3") + "/redis/redis-7.rdb.prev", hour_ago);
    // A CCS: an RDB of hashes. Listed, never read as user data.
    RunOk(**c, {"FLUSHALL"});
    RunOk(**c, {"HSET", "bdb:1", "name", "orders", "shard_list", "2,3,4"});
    RunOk(**c, {"HSET", "bdb:2", "name", "cache", "shard_list", "7"});
    ASSERT_TRUE((*c)->Save().ok());
    Put(n1 + "/ccs/ccs-redis.rdb", ReadFileOrDie((*c)->rdb_path()));
    (*c)->Kill9();
  }

  static void TearDownTestSuite() {
    delete orders_;
    delete cache_;
    delete cache_prev_;
    delete dirs_;
    orders_ = cache_ = cache_prev_ = nullptr;
    dirs_ = nullptr;
  }

  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(cache_, nullptr) << "suite set-up failed";
    ASSERT_TRUE(base_found_);
  }

  static std::string Node(int i) { return dirs_->File("node-" + std::to_string(i)); }

  static TempDir* dirs_;
  static KeyspaceSnapshot* orders_;
  static KeyspaceSnapshot* cache_;
  static KeyspaceSnapshot* cache_prev_;
  static bool base_found_;
  static std::string deleted_;  // a key of shard A deleted after its replica saved
};

TempDir* RecoverEnterpriseTest::dirs_ = nullptr;
KeyspaceSnapshot* RecoverEnterpriseTest::orders_ = nullptr;
KeyspaceSnapshot* RecoverEnterpriseTest::cache_ = nullptr;
KeyspaceSnapshot* RecoverEnterpriseTest::cache_prev_ = nullptr;
bool RecoverEnterpriseTest::base_found_ = false;
std::string RecoverEnterpriseTest::deleted_;

// The chosen source's path of the shard whose enterprise_uids contain `uid`.
std::string ChosenPath(const nlohmann::json& d, uint64_t uid) {
  for (const auto& s : d["shards"]) {
    if (!s.contains("enterprise_uids")) continue;
    for (const auto& u : s["enterprise_uids"]) {
      if (u.get<uint64_t>() != uid) continue;
      return s["source"].is_null() ? std::string() : s["source"]["path"].get<std::string>();
    }
  }
  return "none";
}

TEST_F(RecoverEnterpriseTest, DiscoverListsEveryCopyAndTheCcsAndPicksTheFreshCopy) {
  auto run = Shardkit({"discover", "--json", Node(1), Node(2)});
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->exit_code, 0) << run->output;
  const nlohmann::json d = JsonOf(*run);
  ASSERT_FALSE(d.is_discarded()) << run->output;
  ASSERT_EQ(d["enterprise_volumes"].size(), 2u);
  EXPECT_EQ(d["enterprise_volumes"][0]["kind"], "node-volume");
  ASSERT_EQ(d["enterprise_volumes"][0]["ccs"].size(), 1u);
  EXPECT_TRUE(d["enterprise_volumes"][0]["ccs"][0].get<std::string>().ends_with(
      "ccs/ccs-redis.rdb"));
  EXPECT_EQ(d["enterprise_volumes"][0]["shard_files"].size(), 2u);
  // The CCS is read for the report: its two bdb hashes and their names.
  ASSERT_EQ(d["ccs"].size(), 1u);
  EXPECT_EQ(d["ccs"][0]["ok"], true);
  ASSERT_EQ(d["ccs"][0]["databases"].size(), 2u);
  EXPECT_EQ(d["ccs"][0]["databases"][0]["uid"], 1);
  EXPECT_EQ(d["ccs"][0]["databases"][0]["name"], "orders");
  EXPECT_EQ(d["ccs"][0]["databases"][1]["name"], "cache");
  EXPECT_EQ(d["enterprise_volumes"][1]["shard_files"].size(), 3u);
  // Five copies, one volume each; the CCS is none of them.
  ASSERT_EQ(d["volumes"].size(), 5u);
  for (const auto& v : d["volumes"]) {
    EXPECT_EQ(v["dir"].get<std::string>().find("ccs"), std::string::npos);
    ASSERT_TRUE(v.contains("enterprise"));
    for (const auto& src : v["sources"]) {
      ASSERT_GE(src["files"].size(), 1u) << src.dump();
      EXPECT_GT(src["files"][0]["mtime_ms"].get<int64_t>(), 0) << src.dump();
      EXPECT_EQ(src["usable"], true) << src.dump();
    }
  }
  // Three shards: {2, 3} (one replication id), {4}, {7}.
  ASSERT_EQ(d["shards"].size(), 3u) << d["shards"].dump(1);
  EXPECT_TRUE(ChosenPath(d, 2).ends_with("node-1/redis/redis-2.rdb")) << d["shards"].dump(1);
  EXPECT_EQ(ChosenPath(d, 3), ChosenPath(d, 2));
  EXPECT_TRUE(ChosenPath(d, 4).ends_with(".manifest")) << d["shards"].dump(1);
  EXPECT_TRUE(ChosenPath(d, 7).ends_with("node-1/redis/redis-7.rdb")) << d["shards"].dump(1);
}

TEST_F(RecoverEnterpriseTest, APrevFileThatIsTheOnlyCopyIsUsed) {
  auto run = Shardkit({"discover", "--json", Node(3) + "/redis"});
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->exit_code, 0) << run->output;
  const nlohmann::json d = JsonOf(*run);
  EXPECT_TRUE(ChosenPath(d, 7).ends_with("node-3/redis/redis-7.rdb.prev")) << run->output;

  TempDir work("shardkit-enterprise-prev");
  auto ports = PickClusterPorts(1);
  ASSERT_TRUE(ports.ok());
  auto plan = Shardkit({"plan", "--standalone", "--endpoints", Endpoints(*ports), "--out",
                        work.File("plan.json"), Node(3)});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  RedisServerOptions opt;
  opt.dir = work.File("out/node-0");
  opt.port = (*ports)[0];
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto now = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(cache_prev_->Diff(*now), "");
}

TEST_F(RecoverEnterpriseTest, WholeNodeVolumesOfSeveralDatabasesAreRefused) {
  TempDir work("shardkit-enterprise-refused");
  auto run = Shardkit({"plan", "--nodes", "3", "--out", work.File("plan.json"), Node(1), Node(2)});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  EXPECT_NE(run->output.find("shards of several databases"), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("shard 2,3: "), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("slots with keys ["), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("recovery spec"), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("the CCS names databases bdb:1 \"orders\", bdb:2 \"cache\""),
            std::string::npos)
      << run->output;
  EXPECT_FALSE(fs::exists(work.File("plan.json")));
}

// Each database's shard files in a recovery spec: "orders" onto a 3-master
// cluster, "cache" onto a standalone server, key by key.
TEST_F(RecoverEnterpriseTest, ASpecRecoversEachDatabaseApartKeyByKey) {
  TempDir work("shardkit-enterprise-spec");
  auto ports = PickClusterPorts(4);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  const std::vector<int> cluster_ports(ports->begin(), ports->begin() + 3);
  nlohmann::json orders = {{"name", "orders"}, {"shape", "cluster"}, {"masters", 3}};
  orders["endpoints"] = nlohmann::json::array();
  for (int p : cluster_ports) orders["endpoints"].push_back("127.0.0.1:" + std::to_string(p));
  orders["volumes"] = {Node(1) + "/redis/redis-2.rdb", Node(2) + "/redis/redis-3.rdb",
                       Node(2) + "/redis/appendonly-4.aof.dir"};
  nlohmann::json cache = {{"name", "cache"}, {"shape", "standalone"}};
  cache["endpoints"] = nlohmann::json::array({"127.0.0.1:" + std::to_string((*ports)[3])});
  cache["volumes"] = {Node(1) + "/redis/redis-7.rdb", Node(2) + "/redis/redis-7.rdb.prev"};
  nlohmann::json spec;
  spec["databases"] = nlohmann::json::array({orders, cache});
  WriteFileOrDie(work.File("recovery.json"), spec.dump(2));
  auto plan = Shardkit({"plan", "--spec", work.File("recovery.json"), "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--spec", work.File("recovery.json"), "--plans",
                       work.File("plans"), "--out", work.File("out")});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;

  std::vector<std::string> dirs;
  for (int i = 0; i < 3; ++i) dirs.push_back(work.File("out/orders/node-" + std::to_string(i)));
  // A log source makes every output an appendonlydir (SPEC.md recover).
  const bool aof_layout = fs::exists(dirs[0] + "/appendonlydir");
  std::vector<std::pair<std::string, std::string>> config;
  if (aof_layout) config.push_back({"appendonly", "yes"});
  auto cluster = RedisCluster::StartFromDirs(dirs, cluster_ports, config);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto checked = (*cluster)->Check();
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->exit_code, 0) << checked->output;
  auto now = (*cluster)->Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(orders_->Diff(*now), "") << "orders";
  EXPECT_EQ(now->KeyCount(), orders_->KeyCount());
  EXPECT_EQ(now->dbs[0].count(deleted_), 0u) << "deleted after the stale copy was saved";

  RedisServerOptions opt;
  opt.dir = work.File("out/cache/node-0");
  opt.port = (*ports)[3];
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto cache_now = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(cache_now.ok());
  EXPECT_EQ(cache_->Diff(*cache_now), "") << "cache";
  // No Enterprise opcode in any output: a plain (no layout) read succeeds.
  std::vector<std::string> args = {"verify", "--json", work.File("out/cache/node-0/dump.rdb")};
  for (const std::string& dir : dirs) {
    args.push_back(aof_layout ? dir + "/appendonlydir" : dir + "/dump.rdb");
  }
  auto verify = Shardkit(args);
  ASSERT_TRUE(verify.ok());
  EXPECT_EQ(verify->exit_code, 0) << verify->output;
  EXPECT_EQ(verify->output.find("\"enterprise\":{"), std::string::npos) << verify->output;
}

}  // namespace
}  // namespace shardkit::testing
