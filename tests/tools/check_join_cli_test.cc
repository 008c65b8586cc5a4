// End to end, `shardkit check` and `shardkit join` against real redis-server
// 7.0 clusters started on what `shardkit recover` wrote.
//
// The suite fills a 3-master cluster (TTLs far in the future, so key counts
// are exact), saves and kills it, then plans and recovers it onto 2 masters
// + 1 replica each on 127.0.0.1 ports for the check tests; the join test
// recovers 3 masters + 3 replicas for 127.0.0.1 ports and starts them on
// 127.0.0.2-7, the host-name test recovers for localhost (each planning its
// ports just before starting). Each check test starts its own copy of the
// recovered nodes, damages it in one way (a deleted, changed, re-expired or
// extra key, a moved slot, a replica of the wrong master, a loading node, a
// password), and expects check to name that damage.
// Every wait is bounded; no assertion depends on wall-clock time.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

std::string Endpoints(const std::vector<std::string>& hosts, const std::vector<int>& ports) {
  std::string out;
  for (size_t i = 0; i < ports.size(); ++i) {
    out += (out.empty() ? "" : ",") + hosts[i % hosts.size()] + ":" + std::to_string(ports[i]);
  }
  return out;
}

// The JSON document a command printed on stdout (its first line that is
// "{"; stderr lines come before it in the combined output).
nlohmann::json JsonOf(const std::string& output) {
  size_t at = output.rfind("\n{\n");
  at = output.compare(0, 2, "{\n") == 0 ? 0 : (at == std::string::npos ? at : at + 1);
  if (at == std::string::npos) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(output.substr(at), nullptr, false);
}

bool HasFinding(const nlohmann::json& report, int node, const std::string& check,
                const std::string& subject_part = "") {
  if (!report.contains("findings")) return false;
  for (const auto& f : report["findings"]) {
    if (f["node"] == node && f["check"] == check &&
        f["subject"].get<std::string>().find(subject_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// A small mixed dataset, TTLs far in the future (2100).
void FillCluster(RedisCluster& c) {
  auto run = [&](const std::string& key, std::vector<std::string> args) {
    auto r = c.CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  const int64_t far = 4102444800000;
  for (int i = 0; i < 600; ++i) {
    const std::string k = "str:" + std::to_string(i);
    run(k, {"SET", k, "value-" + std::to_string(i * 7919)});
    if (i % 4 == 0) run(k, {"PEXPIREAT", k, std::to_string(far + i)});
  }
  for (int i = 0; i < 60; ++i) {
    const std::string n = std::to_string(i);
    run("hash:" + n, {"HSET", "hash:" + n, "f1", "v1", "f2", n});
    run("zset:" + n, {"ZADD", "zset:" + n, "1.5", "a", n, "b"});
  }
  run("stream:0", {"XADD", "stream:0", "*", "n", "1"});
}

// One source cluster, killed and recovered, shared by the tests of a suite;
// every test starts its own servers on copies of the recovered files. The
// tests are four suites so that CTest runs them side by side, each process
// with its own source cluster and ports: as one suite they were the ASan
// suite's longest process (222 s of its 445 s on 2026-12-07).
class CheckJoinFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    work_ = new TempDir("shardkit-check-join");
    RedisClusterOptions opt;
    opt.masters = 3;
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    FillCluster(**c);
    ASSERT_TRUE((*c)->SaveAll().ok());
    std::vector<std::string> volumes;
    for (RedisServer* s : (*c)->nodes()) volumes.push_back(s->dir());
    (*c)->KillAll();
    // The servers' directories stay with the cluster object: keep it.
    source_ = c->release();

    auto ports = PickClusterPorts(4);
    ASSERT_TRUE(ports.ok());
    ports_ = *ports;
    PlanAndRecover(volumes, "2", "1", Endpoints({"127.0.0.1"}, ports_), "check");
    // The same plan recovered again with --digest: work/digest.out/,
    // work/digest.recover.json.
    auto rec = Shardkit({"recover", "--plan", work_->File("check.plan.json"), "--out",
                         work_->File("digest.out"), "--digest", "--json"});
    ASSERT_TRUE(rec.ok() && rec->exit_code == 0) << (rec.ok() ? rec->output : "");
    const nlohmann::json report = JsonOf(rec->output);
    ASSERT_FALSE(report.is_discarded()) << rec->output;
    WriteFileOrDie(work_->File("digest.recover.json"), report.dump(2));
    volumes_ = volumes;
  }
  static void TearDownTestSuite() {
    delete source_;
    delete work_;
    source_ = nullptr;
    work_ = nullptr;
    ports_.clear();
    join_ports_.clear();
    name_ports_.clear();
    volumes_.clear();
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(work_, nullptr);
    ASSERT_TRUE(fs::exists(work_->File("check.recover.json")));
  }

  // work/<name>.plan.json, work/<name>.out/, work/<name>.recover.json.
  static void PlanAndRecover(const std::vector<std::string>& volumes, const std::string& nodes,
                             const std::string& replicas, const std::string& endpoints,
                             const std::string& name) {
    fs::remove_all(work_->File(name + ".out"));  // a plan of other ports (--gtest_repeat)
    std::vector<std::string> args = {"plan",        "--nodes", nodes, "--replicas", replicas,
                                     "--endpoints", endpoints, "--out",
                                     work_->File(name + ".plan.json")};
    args.insert(args.end(), volumes.begin(), volumes.end());
    auto plan = Shardkit(args);
    ASSERT_TRUE(plan.ok() && plan->exit_code == 0) << (plan.ok() ? plan->output : "");
    auto rec = Shardkit({"recover", "--plan", work_->File(name + ".plan.json"), "--out",
                         work_->File(name + ".out"), "--json"});
    ASSERT_TRUE(rec.ok() && rec->exit_code == 0) << (rec.ok() ? rec->output : "");
    const nlohmann::json report = JsonOf(rec->output);
    ASSERT_FALSE(report.is_discarded()) << rec->output;
    WriteFileOrDie(work_->File(name + ".recover.json"), report.dump(2));
  }

  // Copies of `name`'s recovered node directories, for one test to start.
  static std::vector<std::string> CopyNodes(const TempDir& run, const std::string& name,
                                            size_t count) {
    std::vector<std::string> dirs;
    for (size_t k = 0; k < count; ++k) {
      const std::string from = work_->File(name + ".out/node-" + std::to_string(k));
      const std::string to = run.File("node-" + std::to_string(k));
      fs::copy(from, to, fs::copy_options::recursive);
      dirs.push_back(to);
    }
    return dirs;
  }

  // The check cluster (2 masters, then their replicas), started on copies.
  std::unique_ptr<RedisCluster> StartCheckCluster(const TempDir& run) {
    auto c = RedisCluster::StartFromDirs(CopyNodes(run, "check", 4), ports_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The digest cluster: the check plan's nodes as recover --digest wrote them.
  std::unique_ptr<RedisCluster> StartDigestCluster(
      const TempDir& run, const std::vector<std::pair<std::string, std::string>>& config = {}) {
    auto c = RedisCluster::StartFromDirs(CopyNodes(run, "digest", 4), ports_, config);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  static Result<ProcessResult> CheckDigest(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"check", "--plan", work_->File("check.plan.json"),
                                     "--report", work_->File("digest.recover.json"), "--json",
                                     "--wait", "60"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Shardkit(args);
  }

  static Result<ProcessResult> Check(std::vector<std::string> extra = {},
                                     const std::string& wait = "60") {
    std::vector<std::string> args = {"check", "--plan", work_->File("check.plan.json"),
                                     "--report", work_->File("check.recover.json"), "--json",
                                     "--wait", wait};
    args.insert(args.end(), extra.begin(), extra.end());
    return Shardkit(args);
  }

  static std::string MyId(RedisServer& s) {
    auto r = s.CommandOk({"CLUSTER", "MYID"});
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->str : "";
  }

  static TempDir* work_;
  static RedisCluster* source_;
  static std::vector<int> ports_;
  static std::vector<int> join_ports_;
  static std::vector<int> name_ports_;
  static std::vector<std::string> volumes_;
};

TempDir* CheckJoinFixture::work_ = nullptr;
RedisCluster* CheckJoinFixture::source_ = nullptr;
std::vector<int> CheckJoinFixture::ports_;
std::vector<int> CheckJoinFixture::join_ports_;
std::vector<int> CheckJoinFixture::name_ports_;
std::vector<std::string> CheckJoinFixture::volumes_;

class CheckJoinTest : public CheckJoinFixture {};       // check names what is wrong
class CheckDigestTest : public CheckJoinFixture {};     // DEBUG DIGEST against recover's
class CheckReadinessTest : public CheckJoinFixture {};  // loading, unreachable, credentials
class JoinTest : public CheckJoinFixture {};            // nodes at new addresses

TEST_F(CheckJoinTest, CorrectRecoveryPasses) {
  TempDir run("shardkit-check-ok");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  EXPECT_EQ(j["ok"], true);
  EXPECT_FALSE(j.contains("values_not_checked")) << j.dump(2);  // every key sampled and equal
  ASSERT_EQ(j["nodes"].size(), 4u);
  for (int k = 0; k < 4; ++k) {
    const auto& n = j["nodes"][k];
    EXPECT_EQ(n["dbsize"], n["keys_written"]) << n.dump();
    if (k >= 2) {
      EXPECT_EQ(n["role"], "replica");
      EXPECT_EQ(n["master_link_status"], "up");
      EXPECT_EQ(n["resync"], "partial") << n.dump();
    }
  }
}

TEST_F(CheckJoinTest, DeletedKeyIsNamedByNodeAndCount) {
  TempDir run("shardkit-check-del");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto key = cluster->node(0).CommandOk({"RANDOMKEY"});
  ASSERT_TRUE(key.ok() && !key->is_nil());
  ASSERT_TRUE(cluster->node(0).CommandOk({"DEL", key->str}).ok());
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  EXPECT_TRUE(HasFinding(j, 0, "keys", "DBSIZE")) << r->output;
  EXPECT_TRUE(HasFinding(j, 0, "key", "key \"" + key->str + "\"")) << r->output;
  EXPECT_NE(r->output.find("node 0 ("), std::string::npos) << r->output;
}

// A changed value and a changed expiry keep the key count: the sampled
// value check (every key here: --sample all) names both keys.
TEST_F(CheckJoinTest, ChangedValueAndChangedTtlAreNamedByKey) {
  TempDir run("shardkit-check-values");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto v = cluster->CommandForKey("hash:1", {"HSET", "hash:1", "f1", "changed"});
  ASSERT_TRUE(v.ok() && !v->is_error());
  auto t = cluster->CommandForKey("str:4", {"PEXPIREAT", "str:4", "4102444899999"});
  ASSERT_TRUE(t.ok() && !t->is_error());
  auto r = Check({"--sample", "all"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  bool value = false, ttl = false;
  for (const auto& f : j["findings"]) {
    if (f["check"] == "value" && f["subject"] == "key \"hash:1\"") value = true;
    if (f["check"] == "ttl" && f["subject"] == "key \"str:4\"") {
      ttl = true;
      EXPECT_EQ(f["found"], "expiry at 4102444899999 ms") << f.dump();
    }
    EXPECT_NE(f["check"], "keys") << f.dump();  // the counts still match
  }
  EXPECT_TRUE(value) << r->output;
  EXPECT_TRUE(ttl) << r->output;
}

// recover --digest puts each node's DEBUG DIGEST in the report (a replica
// gets its master's); check compares it on every node and, all equal, does
// not sample.
TEST_F(CheckDigestTest, DigestMatchesOnEveryNode) {
  const nlohmann::json report =
      nlohmann::json::parse(ReadFileOrDie(work_->File("digest.recover.json")));
  ASSERT_EQ(report["nodes"].size(), 4u);
  for (const auto& n : report["nodes"]) {
    ASSERT_TRUE(n.contains("digest")) << n.dump();
    EXPECT_EQ(n["digest"].get<std::string>().size(), 40u);
  }
  for (const auto& n : report["nodes"]) {
    if (n.contains("master_index")) {  // a replica has its master's files
      EXPECT_EQ(n["digest"], report["nodes"][n["master_index"].get<int>()]["digest"]);
    }
  }
  EXPECT_NE(report["nodes"][0]["digest"], report["nodes"][1]["digest"]);
  TempDir run("shardkit-check-digest");
  auto cluster = StartDigestCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto r = CheckDigest();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(j["nodes"][k]["digest"], report["nodes"][k]["digest"]) << j["nodes"][k].dump();
    EXPECT_FALSE(j["nodes"][k].contains("digest_not_checked")) << j["nodes"][k].dump();
  }
  EXPECT_FALSE(j.contains("values_not_checked")) << j.dump(2);
}

// A changed value keeps every count: the digest names the node (master and
// its replica), and sampling, run because a digest differs, names the key.
TEST_F(CheckDigestTest, DigestNamesTheNodeOfAChangedValue) {
  TempDir run("shardkit-check-digest-changed");
  auto cluster = StartDigestCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto v = cluster->CommandForKey("str:1", {"SET", "str:1", "changed"});
  ASSERT_TRUE(v.ok() && !v->is_error());
  const std::string owner = cluster->CommandForKey("str:1", {"CLUSTER", "MYID"})->str;
  const int owner_index = MyId(cluster->node(0)) == owner ? 0 : 1;
  auto r = CheckDigest();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  EXPECT_TRUE(HasFinding(j, owner_index, "digest")) << r->output;
  EXPECT_FALSE(HasFinding(j, 1 - owner_index, "digest")) << r->output;
  EXPECT_TRUE(HasFinding(j, owner_index, "value", "key \"str:1\"")) << r->output;
  for (const auto& f : j["findings"]) {
    if (f["check"] == "digest") {
      EXPECT_EQ(f["expected"], j["nodes"][owner_index].value("digest", f["expected"])) << f.dump();
      EXPECT_NE(f["expected"], f["found"]) << f.dump();
    }
  }
}

// Nodes that refuse DEBUG: the digest is not compared (the reason is given
// per node) and values are sampled instead, which still names a change.
TEST_F(CheckDigestTest, WithoutDebugCheckFallsBackToSampling) {
  TempDir run("shardkit-check-nodebug");
  auto cluster = StartDigestCluster(run, {{"enable-debug-command", "no"}});
  ASSERT_NE(cluster, nullptr);
  auto ok = CheckDigest();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 0) << ok->output;
  const nlohmann::json j = JsonOf(ok->output);
  ASSERT_FALSE(j.is_discarded()) << ok->output;
  for (const auto& n : j["nodes"]) {
    EXPECT_NE(n.value("digest_not_checked", std::string()).find("DEBUG DIGEST refused"),
              std::string::npos)
        << n.dump();
  }
  auto v = cluster->CommandForKey("hash:1", {"HSET", "hash:1", "f1", "changed"});
  ASSERT_TRUE(v.ok() && !v->is_error());
  auto r = CheckDigest({"--sample", "all"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json changed = JsonOf(r->output);
  bool value = false;
  for (const auto& f : changed["findings"]) {
    if (f["check"] == "value" && f["subject"] == "key \"hash:1\"") value = true;
    EXPECT_NE(f["check"], "digest") << f.dump();
  }
  EXPECT_TRUE(value) << r->output;
}

TEST_F(CheckJoinTest, ExtraKeyIsNamedByNodeAndCount) {
  TempDir run("shardkit-check-extra");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto r0 = cluster->CommandForKey("extra:key", {"SET", "extra:key", "x"});
  ASSERT_TRUE(r0.ok() && !r0->is_error());
  auto slot = cluster->node(0).CommandOk({"CLUSTER", "KEYSLOT", "extra:key"});
  ASSERT_TRUE(slot.ok());
  auto owner = cluster->node(0).CommandOk({"CLUSTER", "COUNTKEYSINSLOT",
                                           std::to_string(slot->integer)});
  ASSERT_TRUE(owner.ok());
  const int master = owner->integer > 0 ? 0 : 1;  // node 0 answers 0 for a slot it does not own
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  EXPECT_TRUE(HasFinding(JsonOf(r->output), master, "keys")) << r->output;
}

TEST_F(CheckJoinTest, SlotMovedToAnotherNodeIsNamed) {
  TempDir run("shardkit-check-slot");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  // An empty slot of master 0 (a contiguous plan gives master 0 the lowest
  // slots), given to master 1 with the higher epoch, so the cluster accepts
  // its claim.
  const nlohmann::json plan = nlohmann::json::parse(ReadFileOrDie(work_->File("check.plan.json")));
  ASSERT_EQ(plan["nodes"][0]["slots"][0][0], 0) << plan["nodes"][0].dump();
  int slot = -1;
  for (int s = 0; s < 100 && slot < 0; ++s) {
    auto keys = cluster->node(0).CommandOk({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(s)});
    ASSERT_TRUE(keys.ok());
    if (keys->integer == 0) slot = s;
  }
  ASSERT_GE(slot, 0);
  const std::string slot_text = std::to_string(slot);
  ASSERT_TRUE(cluster->node(1).CommandOk({"CLUSTER", "BUMPEPOCH"}).ok());
  ASSERT_TRUE(
      cluster->node(1).CommandOk({"CLUSTER", "SETSLOT", slot_text, "NODE", MyId(cluster->node(1))}).ok());
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  EXPECT_TRUE(HasFinding(j, 1, "slots", "slots " + slot_text)) << r->output;
}

TEST_F(CheckJoinTest, ReplicaOfTheWrongMasterIsNamed) {
  TempDir run("shardkit-check-replica");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  // Node 2 is master 0's replica: point it at master 1.
  ASSERT_TRUE(cluster->node(2).CommandOk({"CLUSTER", "REPLICATE", MyId(cluster->node(1))}).ok());
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = JsonOf(r->output);
  EXPECT_TRUE(HasFinding(j, 2, "master")) << r->output;
}

// A replica still loading its data (key-load-delay) is waited for, then
// checked; with --wait 0 the check gives up with exit 5 naming it.
TEST_F(CheckReadinessTest, NodeStillLoadingIsWaitedFor) {
  TempDir run("shardkit-check-loading");
  std::vector<std::string> dirs = CopyNodes(run, "check", 4);
  auto masters_and_one = RedisCluster::StartFromDirs({dirs[0], dirs[1], dirs[2]},
                                                     {ports_[0], ports_[1], ports_[2]});
  ASSERT_TRUE(masters_and_one.ok()) << masters_and_one.status().ToString();
  // Node 3 by hand, daemonized, so that nothing waits for its loading.
  const std::string conf = dirs[3] + "/redis.conf";
  WriteFileOrDie(conf, "bind 127.0.0.1\nport " + std::to_string(ports_[3]) +
                           "\ndir " + dirs[3] + "\ndaemonize yes\npidfile " + dirs[3] +
                           "/redis.pid\nlogfile " + dirs[3] +
                           "/redis.log\nsave \"\"\ncluster-enabled yes\n"
                           "cluster-config-file nodes.conf\ncluster-node-timeout 3000\n"
                           "key-load-delay 20000\n"
                           // Answer clients (LOADING) every KiB loaded, not every 2 MiB.
                           "loading-process-events-interval-bytes 1024\n");
  auto started = RunProcess({FindRedisBinary("redis-server"), conf});
  ASSERT_TRUE(started.ok() && started->exit_code == 0) << (started.ok() ? started->output : "");
  struct KillOnExit {
    std::string pidfile;
    ~KillOnExit() {
      for (int i = 0; i < 500; ++i) {
        std::error_code ec;
        if (fs::exists(pidfile, ec)) break;
        usleep(10'000);
      }
      const std::string pid = ReadFileOrDie(pidfile);
      if (std::atoi(pid.c_str()) > 0) kill(std::atoi(pid.c_str()), SIGKILL);
    }
  } killer{dirs[3] + "/redis.pid"};
  // The daemon's parent exits before the child listens: wait (bounded) until
  // the port takes connections, so that check meets a loading node rather
  // than a refused connection.
  bool listening = false;
  for (int i = 0; i < 400 && !listening; ++i) {
    listening = RedisClient::Connect("127.0.0.1", ports_[3], 50).ok();
    if (!listening) usleep(50'000);
  }
  ASSERT_TRUE(listening) << ReadFileOrDie(dirs[3] + "/redis.log");
  auto impatient = Check({}, "0");
  ASSERT_TRUE(impatient.ok());
  EXPECT_EQ(impatient->exit_code, 5) << impatient->output;
  EXPECT_NE(impatient->output.find("node 3 (127.0.0.1:" + std::to_string(ports_[3]) +
                                   ") loading"),
            std::string::npos)
      << impatient->output;
  auto r = Check();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_NE(r->output.find("check: waiting"), std::string::npos) << r->output;
}

TEST_F(CheckReadinessTest, UnreachableNodeIsAClearError) {
  TempDir run("shardkit-check-down");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  auto spare = PickClusterPorts(1);
  ASSERT_TRUE(spare.ok());
  std::vector<int> ports = ports_;
  ports[1] = (*spare)[0];
  auto r = Check({"--endpoints", Endpoints({"127.0.0.1"}, ports), "--connect-timeout-ms", "2000"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 2) << r->output;
  EXPECT_NE(r->output.find("node 1 (127.0.0.1:" + std::to_string(ports[1]) +
                           "): cannot connect"),
            std::string::npos)
      << r->output;
}

TEST_F(CheckReadinessTest, WrongPasswordIsAClearError) {
  TempDir run("shardkit-check-auth");
  auto cluster = StartCheckCluster(run);
  ASSERT_NE(cluster, nullptr);
  // Every node asks for a password from now on (the harness's connections
  // and the replication links stay authenticated).
  for (RedisServer* s : cluster->nodes()) {
    ASSERT_TRUE(s->CommandOk({"CONFIG", "SET", "masterauth", "s3cret"}).ok());
    ASSERT_TRUE(s->CommandOk({"CONFIG", "SET", "requirepass", "s3cret"}).ok());
  }
  auto none = Check();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->exit_code, 2) << none->output;
  EXPECT_NE(none->output.find("node 0 (127.0.0.1:" + std::to_string(ports_[0]) +
                              "): the node requires a password"),
            std::string::npos)
      << none->output;
  auto wrong = Check({"--password", "wrong"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 2) << wrong->output;
  EXPECT_NE(wrong->output.find("authentication failed"), std::string::npos) << wrong->output;
  auto right = RunProcess({"/usr/bin/env", "REDISCLI_AUTH=s3cret", ShardkitBinary(), "check",
                           "--plan", work_->File("check.plan.json"), "--report",
                           work_->File("check.recover.json"), "--wait", "60"});
  ASSERT_TRUE(right.ok());
  EXPECT_EQ(right->exit_code, 0) << right->output;
}

// 3 masters and their replicas recovered for 127.0.0.1, started on
// 127.0.0.2-7 (the same ports): the nodes cannot reach each other at the
// addresses their nodes.conf holds. join tells each node where its peers
// are; then the cluster is ok with the plan's ids, roles (no replica took
// over while the nodes found each other), slots and key counts, and a second
// join changes nothing.
TEST_F(JoinTest, JoinBringsNodesAtNewAddressesTogether) {
  // Ports picked now, just before the servers take them.
  auto join_ports = PickClusterPorts(6);
  ASSERT_TRUE(join_ports.ok());
  join_ports_ = *join_ports;
  ASSERT_NO_FATAL_FAILURE(
      PlanAndRecover(volumes_, "3", "1", Endpoints({"127.0.0.1"}, join_ports_), "join"));
  TempDir run("shardkit-join");
  std::vector<std::string> dirs = CopyNodes(run, "join", 6);
  const std::vector<std::string> hosts = {"127.0.0.2", "127.0.0.3", "127.0.0.4",
                                          "127.0.0.5", "127.0.0.6", "127.0.0.7"};
  std::vector<std::unique_ptr<RedisServer>> servers;
  for (size_t k = 0; k < dirs.size(); ++k) {
    RedisServerOptions so;
    so.dir = dirs[k];
    so.port = join_ports_[k];
    so.host = hosts[k];
    // Outgoing bus connections leave from the node's own address, as in a
    // pod with one IP (the loopback default would be 127.0.0.1).
    so.config = {{"cluster-enabled", "yes"},         {"cluster-config-file", "nodes.conf"},
                 {"cluster-node-timeout", "3000"},   {"bind-source-addr", hosts[k]}};
    auto s = RedisServer::Start(so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    servers.push_back(std::move(*s));
  }
  const std::string endpoints = Endpoints(hosts, join_ports_);
  const std::vector<std::string> common = {"--plan", work_->File("join.plan.json"), "--endpoints",
                                           endpoints, "--json"};
  auto before = Shardkit({"check", "--plan", work_->File("join.plan.json"), "--endpoints",
                          endpoints, "--json", "--wait", "3"});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->exit_code, 1) << before->output;
  const nlohmann::json jb = JsonOf(before->output);
  EXPECT_TRUE(HasFinding(jb, 0, "peer", "address")) << before->output;
  EXPECT_TRUE(HasFinding(jb, 0, "cluster-state")) << before->output;

  std::vector<std::string> join = {"join"};
  join.insert(join.end(), common.begin(), common.end());
  auto first = Shardkit(join);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->exit_code, 0) << first->output;
  const nlohmann::json j1 = JsonOf(first->output);
  ASSERT_FALSE(j1.is_discarded()) << first->output;
  EXPECT_EQ(j1["meets"].size(), 30u) << j1.dump(2);  // every node, about each of its 5 peers

  auto after = Shardkit({"check", "--plan", work_->File("join.plan.json"), "--report",
                         work_->File("join.recover.json"), "--endpoints", endpoints, "--json"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->exit_code, 0) << after->output;
  const nlohmann::json plan = nlohmann::json::parse(ReadFileOrDie(work_->File("join.plan.json")));
  for (size_t k = 0; k < servers.size(); ++k) {
    EXPECT_EQ(MyId(*servers[k]), plan["nodes"][k]["node_id"].get<std::string>());
  }

  auto second = Shardkit(join);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->exit_code, 0) << second->output;
  const nlohmann::json j2 = JsonOf(second->output);
  ASSERT_FALSE(j2.is_discarded()) << second->output;
  EXPECT_TRUE(j2["meets"].empty()) << j2.dump(2);
}

// plan --endpoints with host names: nodes.conf records each name and no
// address; the nodes start, and join resolves the names and meets them.
TEST_F(JoinTest, HostNameEndpointsAreJoinedByName) {
  auto name_ports = PickClusterPorts(3);
  ASSERT_TRUE(name_ports.ok());
  name_ports_ = *name_ports;
  ASSERT_NO_FATAL_FAILURE(
      PlanAndRecover(volumes_, "3", "0", Endpoints({"localhost"}, name_ports_), "names"));
  const std::string conf = ReadFileOrDie(work_->File("names.out/node-0/nodes.conf"));
  const std::string p0 = std::to_string(name_ports_[0]);
  EXPECT_NE(conf.find(" :" + p0 + "@" + std::to_string(name_ports_[0] + 10000) +
                      ",localhost myself,master "),
            std::string::npos)
      << conf;
  TempDir run("shardkit-join-names");
  std::vector<std::string> dirs = CopyNodes(run, "names", 3);
  std::vector<std::unique_ptr<RedisServer>> servers;
  for (size_t k = 0; k < dirs.size(); ++k) {
    RedisServerOptions so;
    so.dir = dirs[k];
    so.port = name_ports_[k];
    so.config = {{"cluster-enabled", "yes"},
                 {"cluster-config-file", "nodes.conf"},
                 {"cluster-node-timeout", "3000"}};
    auto s = RedisServer::Start(so);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    servers.push_back(std::move(*s));
  }
  auto r = Shardkit({"join", "--plan", work_->File("names.plan.json"), "--json"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  auto c = Shardkit({"check", "--plan", work_->File("names.plan.json"), "--report",
                     work_->File("names.recover.json")});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->exit_code, 0) << c->output;
}

}  // namespace
}  // namespace shardkit::testing
