// Redis Enterprise node volumes grouped into databases by the CCS (issue 18;
// SPEC.md "Enterprise volumes"). Every file is made the real way: shard
// files are redis-server 7.0 dumps made Enterprise's by
// tests/support/enterprise_rdb.h, and each CCS is a redis-server 7.0 dump of
// the hashes and sets RLTest's CcsMock.py writes (bdb:<uid> with redis_list
// and hash_slots_policy, redis:<uid> with bdb_uid, role, assigned_slots;
// bdb:all, redis:all), copied as ccs/ccs-redis.rdb into each node volume:
//
//   node-1/redis/redis-2.rdb   "orders" shard, slots 0-8191 (bdb:1, 16k)
//   node-1/redis/redis-7.rdb   "cache", one shard (bdb:2, 16k); keys a{}b,
//                              {x}{y}, plain{t} among others
//   node-2/redis/redis-4.rdb   "orders" shard, slots 8192-16383
//   node-1/ccs, node-2/ccs     the same CCS
//
// Checks: plan of the whole node volumes is refused (exit 1) quoting the
// CCS's grouping and a recovery spec; that spec, with endpoints filled in,
// plans and recovers both databases, compared key by key, and recover's
// report counts the keys whose tag Enterprise's "standard" policy reads
// otherwise; copies that disagree are reported and not used; the volumes of
// "orders" alone are planned as that database; a legacy-policy database is
// refused (exit 3).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
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

using CcsCommands = std::vector<std::vector<std::string>>;

// A CCS as CcsMock.py builds it: `commands` run on a fresh redis-server,
// then SAVE; the dump's bytes.
std::string CcsDump(const CcsCommands& commands) {
  auto s = RedisServer::Start(RedisServerOptions());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return "";
  for (const auto& c : commands) RunOk(**s, c);
  EXPECT_TRUE((*s)->Save().ok());
  const std::string bytes = ReadFileOrDie((*s)->rdb_path());
  (*s)->Kill9();
  return bytes;
}

// bdb:<uid> and its shards' redis:<uid> hashes, as CcsMock.py's create_bdb.
void CcsAddBdb(CcsCommands* c, const std::string& uid, const std::string& name,
               const std::string& policy,
               const std::vector<std::pair<std::string, std::string>>& shards) {
  std::string list;
  for (const auto& [shard, slots] : shards) {
    list += (list.empty() ? "" : ",") + shard;
    c->push_back({"HSET", "redis:" + shard, "port", "0", "node_uid", "1", "bdb_uid", uid, "role",
                  "master", "assigned_slots", slots});
    c->push_back({"SADD", "redis:all", shard});
  }
  c->push_back({"HSET", "bdb:" + uid, "name", name, "shards_count", std::to_string(shards.size()),
                "type", "redis", "replication", "disabled", "hash_slots_policy", policy});
  if (policy == "legacy") c->push_back({"HSET", "bdb:" + uid, "shard_function", "crc12"});
  c->push_back({"HSET", "bdb:" + uid, "redis_list", list});
  c->push_back({"SADD", "bdb:all", uid});
}

void CcsPut(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  WriteFileOrDie(path, bytes);
}

// Keys "<prefix>N" of every kind whose slot is in [lo, hi], plus `extra`.
void CcsFill(RedisServer& s, const std::string& prefix, int count, int lo, int hi,
             const std::vector<std::string>& extra = {}) {
  for (int i = 0; i < count; ++i) {
    const std::string key = prefix + std::to_string(i);
    const int slot = formats::KeyHashSlot(key);
    if (slot < lo || slot > hi) continue;
    if (i % 3 == 0) RunOk(s, {"SET", key, "v" + std::to_string(i)});
    if (i % 3 == 1) RunOk(s, {"HSET", key, "f", std::to_string(i)});
    if (i % 3 == 2) RunOk(s, {"RPUSH", key, "a", "b"});
  }
  for (const std::string& key : extra) RunOk(s, {"SET", key, "extra"});
}

// An Enterprise shard file of a server filled by `fill`, and its keys.
std::string CcsShardFile(const std::function<void(RedisServer&)>& fill, KeyspaceSnapshot* keys) {
  auto s = RedisServer::Start(RedisServerOptions());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return "";
  fill(**s);
  EXPECT_TRUE((*s)->Save().ok());
  auto snap = KeyspaceSnapshot::Capture((*s)->client());
  EXPECT_TRUE(snap.ok());
  if (snap.ok()) *keys = std::move(*snap);
  auto made = MakeEnterpriseRdb(ReadFileOrDie((*s)->rdb_path()), EnterpriseRdbOptions());
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  (*s)->Kill9();
  return made.ok() ? *made : "";
}

class RecoverEnterpriseCcsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    dirs_ = new TempDir("shardkit-enterprise-ccs");
    orders_ = new KeyspaceSnapshot();
    cache_ = new KeyspaceSnapshot();
    KeyspaceSnapshot low, high;
    shard_2_ = CcsShardFile([](RedisServer& s) { CcsFill(s, "o:", 600, 0, 8191); }, &low);
    shard_4_ = CcsShardFile([](RedisServer& s) { CcsFill(s, "o:", 600, 8192, 16383); }, &high);
    *orders_ = low;
    for (auto& [key, state] : high.dbs[0]) orders_->dbs[0][key] = state;
    orders_->dbsize[0] += high.dbsize[0];
    shard_7_ = CcsShardFile(
        [](RedisServer& s) {
          CcsFill(s, "c:", 200, 0, 16383, {"a{}b", "{x}{y}", "plain{t}"});
        },
        cache_);
    CcsCommands ccs = {{"HSET", "cluster", "name", "fakecluster"}};
    CcsAddBdb(&ccs, "1", "orders", "16k", {{"2", "0-8191"}, {"4", "8192-16383"}});
    CcsAddBdb(&ccs, "2", "cache", "16k", {{"7", "0-16383"}});
    ccs_ = CcsDump(ccs);
    // Another copy that places shard 4 in bdb:2.
    CcsCommands other = {{"HSET", "cluster", "name", "fakecluster"}};
    CcsAddBdb(&other, "1", "orders", "16k", {{"2", "0-8191"}});
    CcsAddBdb(&other, "2", "cache", "16k", {{"7", "0-16383"}, {"4", "8192-16383"}});
    other_ccs_ = CcsDump(other);
  }

  static void TearDownTestSuite() {
    delete orders_;
    delete cache_;
    delete dirs_;
    orders_ = cache_ = nullptr;
    dirs_ = nullptr;
  }

  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_FALSE(shard_2_.empty() || shard_4_.empty() || shard_7_.empty() || ccs_.empty() ||
                 other_ccs_.empty())
        << "suite set-up failed";
  }

  // Two node volumes under `name`: node-1 (shards 2, 7 and `ccs_1`), node-2
  // (shard 4 and `ccs_2`); `with_cache` false leaves shard 7 out.
  static std::vector<std::string> Volumes(const std::string& name, const std::string& ccs_1,
                                          const std::string& ccs_2, bool with_cache = true) {
    const std::string n1 = dirs_->File(name + "/node-1"), n2 = dirs_->File(name + "/node-2");
    CcsPut(n1 + "/redis/redis-2.rdb", shard_2_);
    if (with_cache) CcsPut(n1 + "/redis/redis-7.rdb", shard_7_);
    CcsPut(n1 + "/ccs/ccs-redis.rdb", ccs_1);
    CcsPut(n2 + "/redis/redis-4.rdb", shard_4_);
    CcsPut(n2 + "/ccs/ccs-redis.rdb", ccs_2);
    return {n1, n2};
  }

  static TempDir* dirs_;
  static KeyspaceSnapshot* orders_;
  static KeyspaceSnapshot* cache_;
  static std::string shard_2_, shard_4_, shard_7_, ccs_, other_ccs_;
};

TempDir* RecoverEnterpriseCcsTest::dirs_ = nullptr;
KeyspaceSnapshot* RecoverEnterpriseCcsTest::orders_ = nullptr;
KeyspaceSnapshot* RecoverEnterpriseCcsTest::cache_ = nullptr;
std::string RecoverEnterpriseCcsTest::shard_2_;
std::string RecoverEnterpriseCcsTest::shard_4_;
std::string RecoverEnterpriseCcsTest::shard_7_;
std::string RecoverEnterpriseCcsTest::ccs_;
std::string RecoverEnterpriseCcsTest::other_ccs_;

TEST_F(RecoverEnterpriseCcsTest, DiscoverReadsTheCcsGrouping) {
  const auto vols = Volumes("discover", ccs_, ccs_);
  auto run = Shardkit({"discover", "--json", vols[0], vols[1]});
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->exit_code, 0) << run->output;
  const nlohmann::json d = JsonOf(*run);
  ASSERT_FALSE(d.is_discarded()) << run->output;
  ASSERT_EQ(d["ccs"].size(), 2u);
  const nlohmann::json& c = d["ccs"][0];
  ASSERT_EQ(c["databases"].size(), 2u) << c.dump();
  EXPECT_EQ(c["databases"][0]["redis_list"], nlohmann::json::array({2, 4}));
  EXPECT_EQ(c["databases"][0]["hash_slots_policy"], "16k");
  ASSERT_EQ(c["shards"].size(), 3u) << c.dump();
  EXPECT_EQ(c["shards"][1]["uid"], 4);
  EXPECT_EQ(c["shards"][1]["bdb_uid"], 1);
  EXPECT_EQ(c["shards"][1]["role"], "master");
  EXPECT_EQ(c["shards"][1]["assigned_slots"], "8192-16383");
  ASSERT_EQ(d["ccs_databases"].size(), 2u) << d["ccs_databases"].dump();
  EXPECT_EQ(d["ccs_databases"][0]["name"], "orders");
  EXPECT_EQ(d["ccs_databases"][0]["shards"].size(), 2u);
  EXPECT_EQ(d["ccs_databases"][1]["shards"], nlohmann::json::array({"enterprise:7"}));
  EXPECT_TRUE(d["ccs_disagreements"].empty());
  for (const auto& s : d["shards"]) {
    EXPECT_EQ(s["ccs_bdb"], s["enterprise_uids"][0] == 7 ? 2 : 1) << s.dump();
  }
}

// The refusal quotes the grouping and a spec; the spec, endpoints filled
// in, recovers each database apart.
TEST_F(RecoverEnterpriseCcsTest, TheCcsGroupsTwoDatabasesIntoARecoverySpec) {
  const auto vols = Volumes("grouped", ccs_, ccs_);
  TempDir work("shardkit-enterprise-ccs-spec");
  auto run = Shardkit({"plan", "--nodes", "2", "--out", work.File("plan.json"), vols[0], vols[1]});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  EXPECT_FALSE(fs::exists(work.File("plan.json")));
  EXPECT_NE(run->output.find("hold shards of 2 databases; the CCS places every shard:"),
            std::string::npos)
      << run->output;
  EXPECT_NE(run->output.find("bdb:1 \"orders\" (hash_slots_policy 16k):"), std::string::npos)
      << run->output;
  const size_t at = run->output.find("{\"databases\"");
  ASSERT_NE(at, std::string::npos) << run->output;
  nlohmann::json spec = nlohmann::json::parse(run->output.substr(at), nullptr, false);
  ASSERT_FALSE(spec.is_discarded()) << run->output.substr(at);
  ASSERT_EQ(spec["databases"].size(), 2u) << spec.dump(1);
  nlohmann::json& orders = spec["databases"][0];
  nlohmann::json& cache = spec["databases"][1];
  EXPECT_EQ(orders["name"], "orders");
  EXPECT_EQ(orders["shape"], "cluster");
  EXPECT_EQ(orders["masters"], 2);
  EXPECT_EQ(orders["volumes"].size(), 2u);
  EXPECT_EQ(cache["name"], "cache");
  EXPECT_EQ(cache["shape"], "standalone");
  ASSERT_EQ(cache["volumes"].size(), 1u);
  EXPECT_TRUE(cache["volumes"][0].get<std::string>().ends_with("node-1/redis/redis-7.rdb"));
  // Unedited, the placeholders are refused.
  WriteFileOrDie(work.File("recovery.json"), spec.dump(2));
  auto unedited =
      Shardkit({"plan", "--spec", work.File("recovery.json"), "--out", work.File("plans")});
  ASSERT_TRUE(unedited.ok());
  EXPECT_EQ(unedited->exit_code, 2) << unedited->output;
  EXPECT_NE(unedited->output.find("is not host:port"), std::string::npos) << unedited->output;

  auto ports = PickClusterPorts(3);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  const std::vector<int> cluster_ports(ports->begin(), ports->begin() + 2);
  orders["endpoints"] = nlohmann::json::array();
  for (int p : cluster_ports) orders["endpoints"].push_back("127.0.0.1:" + std::to_string(p));
  WriteFileOrDie(work.File("recovery.json"), spec.dump(2));
  auto plan = Shardkit({"plan", "--spec", work.File("recovery.json"), "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--spec", work.File("recovery.json"), "--plans",
                       work.File("plans"), "--out", work.File("out"), "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const nlohmann::json report = JsonOf(*rec);
  ASSERT_FALSE(report.is_discarded()) << rec->output;
  for (const auto& db : report["databases"]) {
    // a{}b and {x}{y} have another tag under the standard policy; plain{t}
    // has the same.
    EXPECT_EQ(db["report"]["standard_policy_differs"], db["name"] == "cache" ? 2 : 0) << db.dump();
    EXPECT_EQ(db["report"]["standard_policy_note"].is_string(), db["name"] == "cache");
  }

  auto cluster = RedisCluster::StartFromDirs(
      {work.File("out/orders/node-0"), work.File("out/orders/node-1")}, cluster_ports);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto now = (*cluster)->Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(orders_->Diff(*now), "") << "orders";
  EXPECT_EQ(now->KeyCount(), orders_->KeyCount());
  RedisServerOptions opt;
  opt.dir = work.File("out/cache/node-0");
  opt.port = (*ports)[2];
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto cache_now = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(cache_now.ok());
  EXPECT_EQ(cache_->Diff(*cache_now), "") << "cache";
}

TEST_F(RecoverEnterpriseCcsTest, CopiesThatDisagreeAreReportedAndNotUsed) {
  const auto vols = Volumes("disagree", ccs_, other_ccs_);
  auto d = Shardkit({"discover", "--json", vols[0], vols[1]});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->exit_code, 0) << d->output;
  const nlohmann::json j = JsonOf(*d);
  ASSERT_EQ(j["ccs_disagreements"].size(), 1u) << d->output;
  EXPECT_NE(j["ccs_disagreements"][0].get<std::string>().find(
                "CCS copies disagree on shard redis:4's database: bdb:1 in "),
            std::string::npos)
      << j["ccs_disagreements"].dump();
  TempDir work("shardkit-enterprise-ccs-disagree");
  auto run = Shardkit({"plan", "--nodes", "2", "--out", work.File("plan.json"), vols[0], vols[1]});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  EXPECT_NE(run->output.find("refusing to merge 3 shards:"), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("(not grouped by the CCS: the CCS copies disagree on uid 4's "
                             "database)"),
            std::string::npos)
      << run->output;
  EXPECT_NE(run->output.find("(the CCS: bdb:2 \"cache\")"), std::string::npos) << run->output;
  EXPECT_EQ(run->output.find("{\"databases\""), std::string::npos) << run->output;
  EXPECT_FALSE(fs::exists(work.File("plan.json")));
}

// Whole node volumes holding only "orders": the CCS places both shards in
// it, so they are planned as that one database.
TEST_F(RecoverEnterpriseCcsTest, VolumesOfOneDatabaseArePlannedAsIt) {
  const auto vols = Volumes("one", ccs_, ccs_, /*with_cache=*/false);
  TempDir work("shardkit-enterprise-ccs-one");
  auto run = Shardkit({"plan", "--nodes", "2", "--out", work.File("plan.json"), vols[0], vols[1]});
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->exit_code, 0) << run->output;
  EXPECT_NE(run->output.find("the CCS places every one of the 2 Redis Enterprise shards in "
                             "bdb:1 \"orders\""),
            std::string::npos)
      << run->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->exit_code, 0) << rec->output;
}

TEST_F(RecoverEnterpriseCcsTest, ALegacyPolicyDatabaseIsRefused) {
  CcsCommands c;
  CcsAddBdb(&c, "3", "old", "legacy", {{"2", "1-2048"}, {"4", "2049-4096"}});
  const auto vols = Volumes("legacy", CcsDump(c), CcsDump(c), /*with_cache=*/false);
  TempDir work("shardkit-enterprise-ccs-legacy");
  auto run = Shardkit({"plan", "--nodes", "2", "--out", work.File("plan.json"), vols[0], vols[1]});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 3) << run->output;
  EXPECT_NE(run->output.find("Redis Enterprise legacy hash-slot policy (slots 1-4096, crc12) is "
                             "not supported: bdb:3 \"old\""),
            std::string::npos)
      << run->output;
  EXPECT_FALSE(fs::exists(work.File("plan.json")));
  // Beside another database, it is left out of the derived spec.
  CcsAddBdb(&c, "2", "cache", "16k", {{"7", "0-16383"}});
  const std::string both = CcsDump(c);
  const auto mixed = Volumes("legacy-mixed", both, both);
  auto grouped = Shardkit({"plan", "--nodes", "2", mixed[0], mixed[1]});
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(grouped->exit_code, 1) << grouped->output;
  EXPECT_NE(grouped->output.find("left out of the spec below: Redis Enterprise legacy hash-slot "
                                 "policy"),
            std::string::npos)
      << grouped->output;
  const size_t at = grouped->output.find("{\"databases\"");
  ASSERT_NE(at, std::string::npos) << grouped->output;
  const nlohmann::json spec = nlohmann::json::parse(grouped->output.substr(at), nullptr, false);
  ASSERT_EQ(spec["databases"].size(), 1u) << spec.dump();
  EXPECT_EQ(spec["databases"][0]["name"], "cache");
}

// The CCS places both "orders" shards in bdb:1: a cluster with a replica
// per master, whose replicas resume from their masters without a full sync.
TEST_F(RecoverEnterpriseCcsTest, OneDatabaseRecoversWithReplicas) {
  const auto vols = Volumes("replicas", ccs_, ccs_, /*with_cache=*/false);
  TempDir work("shardkit-enterprise-ccs-replicas");
  auto ports = PickClusterPorts(4);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  auto plan = Shardkit({"plan", "--nodes", "2", "--replicas", "1", "--endpoints", Endpoints(*ports),
                        "--out", work.File("plan.json"), vols[0], vols[1]});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  // --enterprise-files needs every node in one run.
  auto one = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("one"),
                       "--node-index", "0", "--enterprise-files"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->exit_code, 2) << one->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                       "--enterprise-files"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  std::vector<std::string> dirs;
  for (int k = 0; k < 4; ++k) dirs.push_back(work.File("out/node-" + std::to_string(k)));
  // Enterprise's naming: redis-<K+1>.rdb, byte for byte node K's dump.rdb,
  // and data_files.json as the REST API's recovery plan lists them.
  const nlohmann::json plan_json = nlohmann::json::parse(ReadFileOrDie(work.File("plan.json")));
  const nlohmann::json data_files =
      nlohmann::json::parse(ReadFileOrDie(work.File("out/redis/data_files.json")));
  EXPECT_EQ(data_files["status"], "ready");
  ASSERT_EQ(data_files["data_files"].size(), 4u) << data_files.dump(1);
  for (int k = 0; k < 4; ++k) {
    const nlohmann::json& f = data_files["data_files"][k];
    const std::string uid = std::to_string(k + 1);
    EXPECT_EQ(f["filename"], "redis-" + uid + ".rdb");
    EXPECT_EQ(f["shard_uid"], uid);
    EXPECT_EQ(f["node_uid"], uid);
    EXPECT_EQ(f["shard_role"], k < 2 ? "master" : "slave");
    const std::string dump = ReadFileOrDie(dirs[k] + "/dump.rdb");
    EXPECT_EQ(ReadFileOrDie(work.File("out/redis/redis-" + uid + ".rdb")), dump);
    EXPECT_EQ(f["size"], dump.size());
    EXPECT_GT(f["last_modified"].get<double>(), 1.7e9);
    // A replica lists its master's slots: "0-8191", ranges joined by ",".
    std::string slots;
    for (const auto& r : plan_json["nodes"][k % 2]["slots"]) {
      const int first = r[0], last = r[1];
      slots += (slots.empty() ? "" : ",") + std::to_string(first) +
               (first == last ? "" : "-" + std::to_string(last));
    }
    EXPECT_FALSE(slots.empty());
    EXPECT_EQ(f["shard_slots"], slots);
  }
  auto cluster = RedisCluster::StartFromDirs(dirs, *ports);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  for (int k = 2; k < 4; ++k) {
    Status up = (*cluster)->node(k).WaitInfoField("replication", "master_link_status", "up");
    ASSERT_TRUE(up.ok()) << up.ToString();
  }
  for (int m = 0; m < 2; ++m) {
    auto full = (*cluster)->node(m).InfoField("stats", "sync_full");
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(*full, "0") << "master " << m;
  }
  auto now = (*cluster)->Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(orders_->Diff(*now), "");
  EXPECT_EQ(now->KeyCount(), orders_->KeyCount());
}

// An appendonly server's files (`preamble`: aof-use-rdb-preamble), its keys
// after writes in the log, then kill -9.
struct EntAofShard {
  std::string appendonlydir;  // inside `work`
  KeyspaceSnapshot keys;
};

EntAofShard EntMakeAofShard(TempDir& work, bool preamble) {
  EntAofShard out;
  RedisServerOptions o;
  o.config = {{"appendonly", "yes"},
              {"appendfsync", "always"},
              {"aof-use-rdb-preamble", preamble ? "yes" : "no"}};
  auto s = RedisServer::Start(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return out;
  CcsFill(**s, "l:", 200, 0, 16383, {"{x}{y}"});
  RunOk(**s, {"BGREWRITEAOF"});
  EXPECT_TRUE((*s)->WaitInfoField("persistence", "aof_rewrite_in_progress", "0").ok());
  EXPECT_TRUE((*s)->WaitInfoField("persistence", "aof_rewrite_scheduled", "0").ok());
  CcsFill(**s, "m:", 100, 0, 16383);  // log commands after the base
  RunOk(**s, {"PEXPIREAT", "m:0", "4102444800000"});
  RunOk(**s, {"DEL", "l:3"});
  auto snap = KeyspaceSnapshot::Capture((*s)->client());
  EXPECT_TRUE(snap.ok());
  if (snap.ok()) out.keys = std::move(*snap);
  (*s)->Kill9();
  out.appendonlydir = work.File("appendonlydir");
  fs::copy((*s)->dir() + "/appendonlydir", out.appendonlydir, fs::copy_options::recursive);
  return out;
}

// plan --standalone of `volume`, recover, start, compare with `want`.
void EntRecoverStandaloneAndCompare(TempDir& work, const std::string& volume,
                                    const KeyspaceSnapshot& want) {
  auto ports = PickClusterPorts(1);
  ASSERT_TRUE(ports.ok());
  auto plan = Shardkit({"plan", "--standalone", "--endpoints", Endpoints(*ports), "--out",
                        work.File("plan.json"), volume});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  RedisServerOptions opt;
  opt.dir = work.File("out/node-0");
  opt.port = (*ports)[0];
  if (fs::exists(opt.dir + "/appendonlydir")) opt.config = {{"appendonly", "yes"}};
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto now = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(want.Diff(*now), "");
  EXPECT_EQ(now->KeyCount(), want.KeyCount());
}

// The kind of source discover chose for the only shard of `volume`.
std::string EntChosenKind(const std::string& volume) {
  auto run = Shardkit({"discover", "--json", volume});
  EXPECT_TRUE(run.ok() && run->exit_code == 0) << (run.ok() ? run->output : "");
  if (!run.ok()) return "";
  const nlohmann::json d = JsonOf(*run);
  if (d.is_discarded() || d["shards"].size() != 1 || d["shards"][0]["source"].is_null()) {
    return "none: " + run->output;
  }
  return d["shards"][0]["source"]["kind"].get<std::string>() + " " +
         d["shards"][0]["source"]["path"].get<std::string>();
}

// An older release's single appendonly-<uid>.aof (no RDB preamble): its
// base and log commands as one file.
TEST(RecoverEnterpriseAofTest, ALegacyAppendonlyShardFileIsRecoveredKeyByKey) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-enterprise-legacy-aof");
  const EntAofShard shard = EntMakeAofShard(work, /*preamble=*/false);
  ASSERT_FALSE(shard.appendonlydir.empty());
  std::string legacy;
  for (const char* suffix : {".base.aof", ".incr.aof"}) {
    for (const auto& e : fs::directory_iterator(shard.appendonlydir)) {
      if (e.path().string().ends_with(suffix)) legacy += ReadFileOrDie(e.path());
    }
  }
  ASSERT_FALSE(legacy.empty());
  const std::string node = work.File("node-1");
  CcsPut(node + "/redis/appendonly-9.aof", legacy);
  const std::string kind = EntChosenKind(node);
  EXPECT_TRUE(kind.starts_with("aof-legacy ") && kind.ends_with("/redis/appendonly-9.aof")) << kind;
  EntRecoverStandaloneAndCompare(work, node, shard.keys);
}

// A multi-part directory left as ".prev" by an earlier recovery, the only
// copy on its volume.
TEST(RecoverEnterpriseAofTest, APrevMultipartDirectoryThatIsTheOnlyCopyIsUsed) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-enterprise-prev-aof");
  const EntAofShard shard = EntMakeAofShard(work, /*preamble=*/true);
  ASSERT_FALSE(shard.appendonlydir.empty());
  const std::string node = work.File("node-1");
  fs::create_directories(node + "/redis");
  fs::rename(shard.appendonlydir, node + "/redis/appendonly-5.aof.dir.prev");
  const std::string kind = EntChosenKind(node);
  EXPECT_TRUE(kind.starts_with("aof-multipart ") &&
              kind.find("/redis/appendonly-5.aof.dir.prev/") != std::string::npos)
      << kind;
  EntRecoverStandaloneAndCompare(work, node, shard.keys);
  // Log commands make the output an appendonlydir: no redis-<uid>.rdb to name.
  auto named = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("named"),
                         "--enterprise-files"});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->exit_code, 2) << named->output;
  EXPECT_NE(named->output.find("has appendonlydir"), std::string::npos) << named->output;
  EXPECT_FALSE(fs::exists(work.File("named/redis/data_files.json")));
}

}  // namespace
}  // namespace shardkit::testing
