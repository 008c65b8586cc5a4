// End to end, a recovery spec: a real Redis Cluster of 3 masters and a real
// standalone server (redis-server 7.0), filled, saved and killed with
// SIGKILL, described in one spec as two databases ("orders": cluster, 3
// masters on new endpoints; "cache": standalone). `plan --spec` writes one
// plan per database and the index; `recover --spec` rebuilds both in one
// run; redis-servers started on the outputs (the cluster with no other step)
// hold the old keyspaces key by key (type, DEBUG DIGEST-VALUE, PEXPIRETIME).
// `recover --spec --database NAME --node-index K` writes the same bytes for
// that node as the all-at-once run. Bad specs are refused (exit 2) before
// anything is written, naming the field; "endpoints": "keep" gives the old
// masters' endpoints. Every wait is bounded; no assertion depends on
// wall-clock time.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Strings (some with TTLs far in the future), every collection type, a
// stream with a consumer group, through `run(key, command)`.
template <typename Run>
void Fill(const std::string& prefix, Run run) {
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  for (int i = 0; i < 300; ++i) {
    const std::string k = prefix + "str:" + std::to_string(i);
    run(k, {"SET", k, "value-" + std::to_string(i * 7919)});
    if (i % 4 == 0) run(k, {"PEXPIREAT", k, std::to_string(far + i)});
  }
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    run(prefix + "hash:" + n, {"HSET", prefix + "hash:" + n, "f1", "v1", "f2", n});
    run(prefix + "list:" + n, {"RPUSH", prefix + "list:" + n, "a", "b", n});
    run(prefix + "set:" + n, {"SADD", prefix + "set:" + n, "1", "2", n});
    run(prefix + "zset:" + n, {"ZADD", prefix + "zset:" + n, "1.5", "a", n, "b"});
  }
  const std::string s = prefix + "stream";
  for (int i = 0; i < 20; ++i) run(s, {"XADD", s, "*", "n", std::to_string(i)});
  run(s, {"XGROUP", "CREATE", s, "g1", "0"});
  run(s, {"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", s, ">"});
}

json ParseJsonOutput(const std::string& output) {
  const size_t brace = output.find('{');
  if (brace == std::string::npos) return json();
  return json::parse(output.substr(brace), nullptr, false);
}

// Every regular file below `dir`, relative path -> bytes.
std::map<std::string, std::string> FilesBelow(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), dir).string()] = ReadFileOrDie(e.path().string());
    }
  }
  return out;
}

class SpecRecoverCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    RedisClusterOptions opt;
    opt.masters = 3;
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c).release();
    Fill("", [](const std::string& key, const std::vector<std::string>& args) {
      auto r = cluster_->CommandForKey(key, args);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
    });
    auto snap = cluster_->Snapshot();
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    old_cluster_ = new KeyspaceSnapshot(std::move(*snap));
    ASSERT_TRUE(cluster_->SaveAll().ok());
    for (RedisServer* s : cluster_->nodes()) {
      cluster_volumes_.push_back(s->dir());
      old_ports_.push_back(s->port());
    }
    cluster_->KillAll();

    auto server = RedisServer::Start(RedisServerOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    standalone_ = std::move(*server).release();
    Fill("cache:", [](const std::string& key, const std::vector<std::string>& args) {
      auto r = standalone_->CommandOk(args);
      ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    });
    auto one = KeyspaceSnapshot::Capture(standalone_->client());
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    old_standalone_ = new KeyspaceSnapshot(std::move(*one));
    ASSERT_TRUE(standalone_->Save().ok());
    standalone_->Kill9();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete standalone_;
    delete old_cluster_;
    delete old_standalone_;
    cluster_ = nullptr;
    standalone_ = nullptr;
    old_cluster_ = old_standalone_ = nullptr;
    cluster_volumes_.clear();
    old_ports_.clear();
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(old_cluster_, nullptr);
    ASSERT_NE(old_standalone_, nullptr);
  }

  // The two-database spec: "orders" onto `endpoints` (or "keep"), "cache".
  static json Spec(const json& endpoints) {
    json orders = {{"name", "orders"}, {"volumes", cluster_volumes_}, {"shape", "cluster"},
                   {"masters", 3},     {"replicas", 0},               {"endpoints", endpoints}};
    json cache = {{"name", "cache"},
                  {"volumes", json::array({standalone_->dir()})},
                  {"shape", "standalone"}};
    return {{"format", 1}, {"databases", json::array({orders, cache})}};
  }
  static std::string WriteSpec(const TempDir& work, const json& spec,
                               const std::string& name = "recovery.json") {
    WriteFileOrDie(work.File(name), spec.dump(2));
    return work.File(name);
  }

  static RedisCluster* cluster_;
  static RedisServer* standalone_;
  static KeyspaceSnapshot* old_cluster_;
  static KeyspaceSnapshot* old_standalone_;
  static std::vector<std::string> cluster_volumes_;
  static std::vector<int> old_ports_;
};

RedisCluster* SpecRecoverCliTest::cluster_ = nullptr;
RedisServer* SpecRecoverCliTest::standalone_ = nullptr;
KeyspaceSnapshot* SpecRecoverCliTest::old_cluster_ = nullptr;
KeyspaceSnapshot* SpecRecoverCliTest::old_standalone_ = nullptr;
std::vector<std::string> SpecRecoverCliTest::cluster_volumes_;
std::vector<int> SpecRecoverCliTest::old_ports_;

TEST_F(SpecRecoverCliTest, PlanAndRecoverEveryDatabaseOfASpecInOneRun) {
  TempDir work("shardkit-spec-recover");
  auto ports = PickClusterPorts(3);
  ASSERT_TRUE(ports.ok());
  json endpoints = json::array();
  for (int p : *ports) endpoints.push_back("127.0.0.1:" + std::to_string(p));
  const std::string spec = WriteSpec(work, Spec(endpoints));

  auto plan = Shardkit({"plan", "--spec", spec, "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  const json index = json::parse(ReadFileOrDie(work.File("plans/plans.json")));
  ASSERT_EQ(index["databases"].size(), 2u) << index.dump(2);
  for (const auto& d : index["databases"]) {
    const json p = json::parse(ReadFileOrDie(work.File("plans/") + d["plan"].get<std::string>()));
    EXPECT_EQ(p["fingerprint"], d["fingerprint"]);
    EXPECT_EQ(d["plan"], d["name"].get<std::string>() + ".plan.json");
  }
  EXPECT_EQ(index["databases"][0]["nodes"], 3);
  EXPECT_EQ(index["databases"][1]["nodes"], 1);
  // Plans are deterministic: the same spec at the same recovery time gives
  // the same bytes.
  auto again = Shardkit({"plan", "--spec", spec, "--out", work.File("plans-again")});
  ASSERT_TRUE(again.ok() && again->exit_code == 0);
  const json index2 = json::parse(ReadFileOrDie(work.File("plans-again/plans.json")));
  EXPECT_EQ(index2["databases"][0]["fingerprint"], index["databases"][0]["fingerprint"]);
  EXPECT_EQ(index2["databases"][1]["fingerprint"], index["databases"][1]["fingerprint"]);

  auto rec = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                       work.File("out"), "--threads", "2", "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const json report = ParseJsonOutput(rec->output);
  ASSERT_FALSE(report.is_discarded()) << rec->output;
  EXPECT_EQ(report["exit_code"], 0);
  ASSERT_EQ(report["databases"].size(), 2u);
  EXPECT_EQ(report["databases"][0]["name"], "orders");
  EXPECT_EQ(report["databases"][0]["report"]["nodes"].size(), 3u);
  EXPECT_EQ(report["databases"][0]["report"]["plan"], index["databases"][0]["fingerprint"]);
  EXPECT_EQ(report["databases"][1]["name"], "cache");
  EXPECT_EQ(report["databases"][1]["report"]["nodes"].size(), 1u);
  EXPECT_EQ(report["databases"][1]["report"]["keys_written"], old_standalone_->KeyCount());
  EXPECT_EQ(report["databases"][0]["report"]["keys_written"], old_cluster_->KeyCount());

  // One pod's share: node K of one database, byte-identical to the
  // all-at-once run's, and nothing else.
  for (const auto& [db, k] : std::vector<std::pair<std::string, int>>{{"orders", 1}, {"cache", 0}}) {
    SCOPED_TRACE(db);
    const std::string alone = work.File("alone-" + db);
    auto one = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out", alone,
                         "--database", db, "--node-index", std::to_string(k), "--threads", "1"});
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->exit_code, 0) << one->output;
    const std::string node = "/" + db + "/node-" + std::to_string(k);
    const auto files = FilesBelow(alone + node);
    EXPECT_FALSE(files.empty());
    EXPECT_EQ(files, FilesBelow(work.File("out") + node));
    size_t entries = 0;
    for (const auto& e : fs::recursive_directory_iterator(alone)) entries += e.is_directory();
    EXPECT_EQ(entries, 2u) << "only " << db << "/ and " << db << "/node-" << k;
  }

  // A rerun finds every node complete.
  auto rerun = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                         work.File("out"), "--json"});
  ASSERT_TRUE(rerun.ok() && rerun->exit_code == 0) << (rerun.ok() ? rerun->output : "");
  const nlohmann::json rerun_report = ParseJsonOutput(rerun->output);
  for (const auto& d : rerun_report["databases"]) {
    for (const auto& n : d["report"]["nodes"]) EXPECT_EQ(n["status"], "already-complete");
  }

  // The recovered cluster starts on the new endpoints with no other step
  // and holds the old keyspace; so does the standalone server.
  std::vector<std::string> dirs;
  for (int k = 0; k < 3; ++k) dirs.push_back(work.File("out/orders/node-" + std::to_string(k)));
  auto fresh = RedisCluster::StartFromDirs(dirs, *ports);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto now = (*fresh)->Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(old_cluster_->Diff(*now), "");
  EXPECT_EQ(now->KeyCount(), old_cluster_->KeyCount());

  RedisServerOptions so;
  so.dir = work.File("out/cache/node-0");
  auto cache = RedisServer::Start(so);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  auto cache_now = KeyspaceSnapshot::Capture((*cache)->client());
  ASSERT_TRUE(cache_now.ok()) << cache_now.status().ToString();
  EXPECT_EQ(old_standalone_->Diff(*cache_now), "");
  EXPECT_EQ(cache_now->KeyCount(), old_standalone_->KeyCount());
  std::printf("[ spec     ] orders: %zu keys on 3 masters, cache: %zu keys, all matched\n",
              now->KeyCount(), cache_now->KeyCount());
}

TEST_F(SpecRecoverCliTest, BadSpecsAreRefusedBeforeAnythingIsWrittenNamingTheField) {
  TempDir work("shardkit-spec-bad");
  const json good = Spec(json::array({"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}));
  struct Case {
    std::string what;
    json spec;
    std::string field;
  };
  std::vector<Case> cases;
  json shared = good;
  shared["databases"][1]["volumes"].push_back(cluster_volumes_[2] + "/.");
  cases.push_back({"a volume in two databases", shared, "databases[1].volumes[1]"});
  json unknown = good;
  unknown["databases"][0]["replica"] = 1;
  cases.push_back({"an unknown field", unknown, "databases[0].replica"});
  json count = good;
  count["databases"][0]["replicas"] = 1;
  cases.push_back({"3 endpoints for 3 x (1 + 1)", count, "databases[0].endpoints"});
  json dup = good;
  dup["databases"][1]["name"] = "orders";
  cases.push_back({"a duplicate name", dup, "databases[1].name"});
  json unsafe = good;
  unsafe["databases"][1]["name"] = "../cache";
  cases.push_back({"an unsafe name", unsafe, "databases[1].name"});
  json missing = good;
  missing["databases"][0].erase("shape");
  cases.push_back({"a missing shape", missing, "databases[0].shape"});
  json keep = good;
  keep["databases"][0]["endpoints"] = "keep";
  keep["databases"][0]["masters"] = 2;
  cases.push_back({"keep with another shard count", keep, "databases[0].endpoints"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string spec = WriteSpec(work, c.spec, "bad.json");
    auto plan = Shardkit({"plan", "--spec", spec, "--out", work.File("plans")});
    ASSERT_TRUE(plan.ok());
    EXPECT_EQ(plan->exit_code, 2) << plan->output;
    EXPECT_NE(plan->output.find(c.field), std::string::npos) << plan->output;
    EXPECT_FALSE(fs::exists(work.File("plans"))) << "nothing is written";
  }
  // Usage: --spec with per-database flags; --node-index without --database.
  const std::string spec = WriteSpec(work, good);
  auto mixed = Shardkit({"plan", "--spec", spec, "--nodes", "3", "--out", work.File("plans")});
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->exit_code, 2) << mixed->output;
  EXPECT_NE(mixed->output.find("--nodes"), std::string::npos) << mixed->output;
  auto plan = Shardkit({"plan", "--spec", spec, "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok() && plan->exit_code == 0) << (plan.ok() ? plan->output : "");
  auto no_db = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                         work.File("out"), "--node-index", "0"});
  ASSERT_TRUE(no_db.ok());
  EXPECT_EQ(no_db->exit_code, 2) << no_db->output;
  EXPECT_NE(no_db->output.find("--database"), std::string::npos) << no_db->output;
  auto unknown_db = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                              work.File("out"), "--database", "nope"});
  ASSERT_TRUE(unknown_db.ok());
  EXPECT_EQ(unknown_db->exit_code, 2) << unknown_db->output;
  // A plan file replaced since the index was written is corrupt (exit 1);
  // one the index vouches for but that reads another database's volumes is
  // refused (exit 2). Nothing is written either way.
  const std::string orders_plan = ReadFileOrDie(work.File("plans/orders.plan.json"));
  const std::string cache_plan = ReadFileOrDie(work.File("plans/cache.plan.json"));
  const std::string index_text = ReadFileOrDie(work.File("plans/plans.json"));
  WriteFileOrDie(work.File("plans/cache.plan.json"), orders_plan);
  auto replaced = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                            work.File("out")});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->exit_code, 1) << replaced->output;
  EXPECT_NE(replaced->output.find("cache.plan.json"), std::string::npos) << replaced->output;
  json index = json::parse(index_text);
  index["databases"][1]["fingerprint"] = json::parse(orders_plan)["fingerprint"];
  WriteFileOrDie(work.File("plans/plans.json"), index.dump(2));
  auto foreign = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                           work.File("out")});
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(foreign->exit_code, 2) << foreign->output;
  EXPECT_NE(foreign->output.find("does not give database \"cache\""), std::string::npos)
      << foreign->output;
  WriteFileOrDie(work.File("plans/cache.plan.json"), cache_plan);
  WriteFileOrDie(work.File("plans/plans.json"), index_text);
  EXPECT_FALSE(fs::exists(work.File("out"))) << "nothing is written";
  // A spec edited after planning is refused: the plans are not its plans.
  json edited = good;
  edited["databases"][0]["endpoints"][0] = "127.0.0.1:7999";
  WriteSpec(work, edited);
  auto stale = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                         work.File("out")});
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->exit_code, 2) << stale->output;
  EXPECT_NE(stale->output.find("another spec"), std::string::npos) << stale->output;
  EXPECT_FALSE(fs::exists(work.File("out"))) << "nothing is written";
}

// A database whose source changed since the plan fails (exit 2, as recover
// --plan refuses it); the other database is still recovered, and the run's
// exit status is the worst.
TEST_F(SpecRecoverCliTest, ADatabaseThatFailsDoesNotStopTheOthersAndTheWorstExitWins) {
  TempDir work("shardkit-spec-worst");
  const std::string cache_copy = work.File("cache-volume");
  fs::create_directories(cache_copy);
  fs::copy_file(standalone_->rdb_path(), cache_copy + "/dump.rdb");
  json spec_json = Spec(json::array({"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}));
  spec_json["databases"][1]["volumes"] = json::array({"cache-volume"});  // relative to the spec
  const std::string spec = WriteSpec(work, spec_json);
  auto plan = Shardkit({"plan", "--spec", spec, "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  const json cache_plan = json::parse(ReadFileOrDie(work.File("plans/cache.plan.json")));
  EXPECT_EQ(cache_plan["sources"][0]["volume"], fs::canonical(cache_copy).string());
  // The cache's source changes after the plan (one more byte).
  {
    std::string rdb = ReadFileOrDie(cache_copy + "/dump.rdb");
    WriteFileOrDie(cache_copy + "/dump.rdb", rdb + "x");
  }
  auto rec = Shardkit({"recover", "--spec", spec, "--plans", work.File("plans"), "--out",
                       work.File("out"), "--json"});
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->exit_code, 2) << rec->output;
  const json report = ParseJsonOutput(rec->output);
  ASSERT_FALSE(report.is_discarded()) << rec->output;
  EXPECT_EQ(report["exit_code"], 2);
  ASSERT_EQ(report["databases"].size(), 2u);
  EXPECT_EQ(report["databases"][0]["exit_code"], 0);
  EXPECT_EQ(report["databases"][0]["report"]["nodes"].size(), 3u);
  EXPECT_EQ(report["databases"][1]["exit_code"], 2);
  EXPECT_NE(report["databases"][1]["error"].get<std::string>().find("dump.rdb"),
            std::string::npos)
      << report.dump(2);
  for (int k = 0; k < 3; ++k) {
    EXPECT_TRUE(fs::exists(work.File("out/orders/node-" + std::to_string(k) + "/dump.rdb")));
  }
  EXPECT_FALSE(fs::exists(work.File("out/cache/node-0")));
}

TEST_F(SpecRecoverCliTest, KeepGivesEachNewMasterItsOldShardsEndpoint) {
  TempDir work("shardkit-spec-keep");
  const std::string spec = WriteSpec(work, Spec("keep"));
  auto plan = Shardkit({"plan", "--spec", spec, "--out", work.File("plans")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  const json p = json::parse(ReadFileOrDie(work.File("plans/orders.plan.json")));
  EXPECT_EQ(p["strategy"], "keep-shards");
  // Old master endpoint -> its slots, from each old volume's own nodes.conf
  // line ("<id> <ip>:<port>@<cport> myself,master - 0 0 <epoch> connected
  // <slots>...").
  std::map<std::string, std::string> want, got;
  for (const std::string& v : cluster_volumes_) {
    std::istringstream conf(ReadFileOrDie(v + "/nodes.conf"));
    std::string line;
    while (std::getline(conf, line)) {
      if (line.find("myself") == std::string::npos) continue;
      std::istringstream fields(line);
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      ASSERT_GE(f.size(), 9u) << line;
      std::string slots;
      for (size_t i = 8; i < f.size(); ++i) slots += (slots.empty() ? "" : " ") + f[i];
      want[f[1].substr(0, f[1].find('@'))] = slots;
    }
  }
  for (const auto& n : p["nodes"]) {
    std::string slots;
    for (const auto& r : n["slots"]) {
      const int a = r[0], b = r[1];
      slots += (slots.empty() ? "" : " ") +
               (a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b));
    }
    got[n["endpoint"].get<std::string>()] = slots;
  }
  EXPECT_EQ(got, want) << "each new master: its old master's endpoint and slots";
  EXPECT_EQ(want.size(), old_ports_.size());
}

}  // namespace
}  // namespace shardkit::testing
