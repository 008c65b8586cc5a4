// End to end, `shardkit check` on a recovery whose sources have log
// commands after their base (multi-part AOFs with incr files), against real
// redis-server 7.0 clusters.
//
// The suite fills a 3-master cluster running appendonly yes (appendfsync
// always), rewrites every node's AOF (BGREWRITEAOF: a base with the data),
// then writes log commands: a SET over an existing key, a DEL, a PEXPIREAT
// and a PERSIST, an HSET on an existing hash, a RENAME, a key created only
// in the log, one created and deleted in it, and a MULTI/EXEC block. It kills
// the nodes, plans and recovers them onto 2 masters + 1 replica each (every
// output an appendonlydir with base and incr). Check with --sample all must
// pass, with the touched keys compared after a replay in its own
// redis-server; then each damage test starts a copy, changes what the log
// made (a value, a deleted key brought back, a TTL), and expects a finding
// naming the key. Without a replay server the touched keys are a note, not
// a mismatch. Every node's key count is checked after replaying every key
// the logs touch (tools/log_count.h): a key deleted or added on a live node
// is a `keys` finding. Every wait is bounded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// The JSON document on stdout (stderr lines come before it).
nlohmann::json ReplayJsonOf(const std::string& output) {
  size_t at = output.rfind("\n{\n");
  at = output.compare(0, 2, "{\n") == 0 ? 0 : (at == std::string::npos ? at : at + 1);
  if (at == std::string::npos) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(output.substr(at), nullptr, false);
}

// The findings of `check` about `key` (every node: masters and replicas).
std::vector<nlohmann::json> FindingsForKey(const nlohmann::json& report, const std::string& check,
                                           const std::string& key) {
  std::vector<nlohmann::json> out;
  if (!report.contains("findings")) return out;
  for (const auto& f : report["findings"]) {
    if (f["check"] == check && f["subject"] == "key \"" + key + "\"") out.push_back(f);
  }
  return out;
}

const int64_t kFarMs = 4102444800000;  // 2100

// Every node whose output has log commands (the recover report's
// "commands") had its count checked after the replay: keys_written and
// keys_expected, no keys_not_checked. keys_expected equals its DBSIZE (no
// key expires), or is a low..high range holding it when a closure may
// expire while check runs (keys_log.uncertain > 0).
void ExpectLogNodesCounted(const nlohmann::json& recover, const nlohmann::json& check) {
  int log_nodes = 0;
  for (const auto& r : recover["nodes"]) {
    if (r.value("commands", uint64_t{0}) == 0) continue;
    ++log_nodes;
    for (const auto& n : check["nodes"]) {
      if (n["index"] != r["index"]) continue;
      EXPECT_FALSE(n.contains("keys_not_checked")) << n.dump();
      EXPECT_EQ(n.value("keys_written", uint64_t{0}), r["keys"].get<uint64_t>()) << n.dump();
      ASSERT_TRUE(n.contains("keys_expected") && n.contains("keys_log")) << n.dump();
      if (n["keys_log"]["uncertain"].get<uint64_t>() == 0) {
        EXPECT_EQ(n["keys_expected"], n["dbsize"]) << n.dump();
        continue;
      }
      const std::string range = n["keys_expected"].is_string() ? n["keys_expected"].get<std::string>()
                                                               : n["keys_expected"].dump();
      const size_t dots = range.find("..");
      ASSERT_NE(dots, std::string::npos) << n.dump();
      EXPECT_LE(std::stoull(range.substr(0, dots)), n["dbsize"].get<uint64_t>()) << n.dump();
      EXPECT_GE(std::stoull(range.substr(dots + 2)), n["dbsize"].get<uint64_t>()) << n.dump();
    }
  }
  EXPECT_GT(log_nodes, 0) << recover.dump(2);
  ASSERT_TRUE(check.contains("key_count_replay")) << check.dump(2);
  EXPECT_GT(check["key_count_replay"]["log_commands_replayed"].get<uint64_t>(), 0u)
      << check.dump(2);
}


void FillBase(RedisCluster& c) {
  auto run = [&](const std::string& key, std::vector<std::string> args) {
    auto r = c.CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  for (int i = 0; i < 300; ++i) {
    const std::string k = "str:" + std::to_string(i);
    run(k, {"SET", k, "value-" + std::to_string(i * 7919)});
    if (i % 4 == 0) run(k, {"PEXPIREAT", k, std::to_string(kFarMs + i)});
  }
  for (int i = 0; i < 30; ++i) {
    const std::string n = std::to_string(i);
    run("hash:" + n, {"HSET", "hash:" + n, "f1", "v1", "f2", n});
  }
  run("{r}from", {"SET", "{r}from", "moved-by-rename"});
  run("{t}counter", {"SET", "{t}counter", "41"});
}

// Log commands after the base (each node's incr file).
void WriteLog(RedisCluster& c) {
  auto run = [&](const std::string& key, std::vector<std::string> args) {
    auto r = c.CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  run("str:1", {"SET", "str:1", "changed-in-log"});
  run("str:2", {"DEL", "str:2"});
  run("str:3", {"PEXPIREAT", "str:3", std::to_string(kFarMs + 999)});
  run("str:4", {"PERSIST", "str:4"});  // str:4 had an expiry in the base
  run("hash:1", {"HSET", "hash:1", "f3", "added-in-log"});
  run("{r}from", {"RENAME", "{r}from", "{r}to"});
  run("logonly:1", {"SET", "logonly:1", "created-by-the-log"});
  run("logonly:2", {"RPUSH", "logonly:2", "a", "b", "c"});
  run("tmp:1", {"SET", "tmp:1", "short-lived"});
  run("tmp:1", {"DEL", "tmp:1"});
  // A transaction, on the connection of the master owning {t}.
  for (RedisServer* s : c.nodes()) {
    auto probe = s->Command({"GET", "{t}counter"});
    ASSERT_TRUE(probe.ok());
    if (probe->is_error()) continue;  // MOVED
    ASSERT_TRUE(s->CommandOk({"MULTI"}).ok());
    ASSERT_TRUE(s->Command({"INCR", "{t}counter"}).ok());
    ASSERT_TRUE(s->Command({"SET", "{t}made-in-multi", "yes"}).ok());
    auto exec = s->CommandOk({"EXEC"});
    ASSERT_TRUE(exec.ok()) << exec.status().ToString();
    return;
  }
  FAIL() << "no master serves {t}counter";
}

// The master serving `key` runs FLUSHALL, then SET key `value`: its log's
// last flush, which recover treats as the point its data starts from.
void FlushOneNode(RedisCluster& c, const std::string& key, const std::string& value) {
  for (RedisServer* s : c.nodes()) {
    auto probe = s->Command({"GET", key});
    ASSERT_TRUE(probe.ok());
    if (probe->is_error()) continue;  // MOVED
    ASSERT_TRUE(s->CommandOk({"FLUSHALL"}).ok());
    ASSERT_TRUE(s->CommandOk({"SET", key, value}).ok());
    return;
  }
  FAIL() << "no master serves " << key;
}

// 1001 one-member sets in the base, joined in the log by one SUNIONSTORE
// into a closure of 1002 keys: more than check replays (kMaxClosureKeys).
const int kBigClosureSets = 1001;
void FillBigClosureBase(RedisCluster& c) {
  for (int i = 0; i < kBigClosureSets; ++i) {
    const std::string k = "{big}" + std::to_string(i);
    auto r = c.CommandForKey(k, {"SADD", k, "m" + std::to_string(i)});
    ASSERT_TRUE(r.ok() && !r->is_error()) << k;
  }
}
void JoinBigClosureInLog(RedisCluster& c) {
  std::vector<std::string> args = {"SUNIONSTORE", "{big}union"};
  for (int i = 0; i < kBigClosureSets; ++i) args.push_back("{big}" + std::to_string(i));
  auto r = c.CommandForKey("{big}union", args);
  ASSERT_TRUE(r.ok() && !r->is_error());
}

class CheckLogReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SetUpRecovery(/*flush=*/false); }
  // `flush`: after the log above, the master of str:1 flushes and writes
  // it, and a log command joins 1002 keys.
  static void SetUpRecovery(bool flush) {
    if (FindRedisBinary("redis-server").empty()) return;
    work_ = new TempDir("shardkit-check-log");
    RedisClusterOptions opt;
    opt.masters = 3;
    opt.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_NO_FATAL_FAILURE(FillBase(**c));
    if (flush) {
      ASSERT_NO_FATAL_FAILURE(FillBigClosureBase(**c));
    }
    for (RedisServer* s : (*c)->nodes()) ASSERT_TRUE(s->BgRewriteAof().ok());
    ASSERT_NO_FATAL_FAILURE(WriteLog(**c));
    if (flush) {
      ASSERT_NO_FATAL_FAILURE(FlushOneNode(**c, "str:1", "after-the-flush"));
      ASSERT_NO_FATAL_FAILURE(JoinBigClosureInLog(**c));
      // A key the log gives an expiry 30 s ahead: whenever check runs, it
      // expires before a minute after its count starts (the count's
      // "uncertain" closures: the node may hold it or not).
      const int64_t soon_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count() +
                              30'000;
      for (const std::vector<std::string>& args :
           {std::vector<std::string>{"SET", "soon:1", "expires-while-check-runs"},
            std::vector<std::string>{"PEXPIREAT", "soon:1", std::to_string(soon_ms)}}) {
        auto r = (*c)->CommandForKey("soon:1", args);
        ASSERT_TRUE(r.ok() && !r->is_error()) << args[0];
      }
    }
    std::vector<std::string> volumes;
    for (RedisServer* s : (*c)->nodes()) volumes.push_back(s->dir());
    (*c)->KillAll();
    source_ = c->release();

    auto ports = PickClusterPorts(4);
    ASSERT_TRUE(ports.ok());
    ports_ = *ports;
    std::string endpoints;
    for (int p : ports_) endpoints += (endpoints.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
    std::vector<std::string> args = {"plan",        "--nodes",   "2", "--replicas", "1",
                                     "--endpoints", endpoints, "--out",
                                     work_->File("plan.json")};
    args.insert(args.end(), volumes.begin(), volumes.end());
    auto plan = Shardkit(args);
    ASSERT_TRUE(plan.ok() && plan->exit_code == 0) << (plan.ok() ? plan->output : "");
    auto rec = Shardkit({"recover", "--plan", work_->File("plan.json"), "--out",
                         work_->File("out"), "--json"});
    ASSERT_TRUE(rec.ok() && rec->exit_code == 0) << (rec.ok() ? rec->output : "");
    const nlohmann::json report = ReplayJsonOf(rec->output);
    ASSERT_FALSE(report.is_discarded()) << rec->output;
    WriteFileOrDie(work_->File("recover.json"), report.dump(2));
  }
  static void TearDownTestSuite() {
    delete source_;
    delete work_;
    source_ = nullptr;
    work_ = nullptr;
    ports_.clear();
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(work_, nullptr);
    ASSERT_TRUE(fs::exists(work_->File("recover.json")));
  }

  // A copy of the recovered nodes (every one an appendonlydir), started.
  std::unique_ptr<RedisCluster> StartRecovered(const TempDir& run) {
    std::vector<std::string> dirs;
    for (size_t k = 0; k < ports_.size(); ++k) {
      const std::string to = run.File("node-" + std::to_string(k));
      fs::copy(work_->File("out/node-" + std::to_string(k)), to, fs::copy_options::recursive);
      EXPECT_TRUE(fs::exists(to + "/appendonlydir")) << to;
      dirs.push_back(to);
    }
    auto c = RedisCluster::StartFromDirs(dirs, ports_, {{"appendonly", "yes"}});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  static Result<ProcessResult> CheckAll(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"check",    "--plan", work_->File("plan.json"),
                                     "--report", work_->File("recover.json"),
                                     "--json",   "--wait", "60",
                                     "--sample", "all"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Shardkit(args);
  }

  static TempDir* work_;
  static RedisCluster* source_;
  static std::vector<int> ports_;
};

TempDir* CheckLogReplayTest::work_ = nullptr;
RedisCluster* CheckLogReplayTest::source_ = nullptr;
std::vector<int> CheckLogReplayTest::ports_;

// Then (on the same cluster, to spare CI a cluster start) the key counts of
// nodes with log commands: a key deleted on one live node, then a key
// added, is a `keys` finding on that master and its replica, under default
// sampling and with --sample none.
TEST_F(CheckLogReplayTest, RecoveryWithLogCommandsPassesAndCountsAreChecked) {
  const nlohmann::json rec = nlohmann::json::parse(ReadFileOrDie(work_->File("recover.json")));
  uint64_t commands = 0;
  for (const auto& n : rec["nodes"]) commands += n.value("commands", uint64_t{0});
  ASSERT_GT(commands, 0u) << rec.dump(2);  // the outputs do hold log commands
  TempDir run("shardkit-check-log-ok");
  auto cluster = StartRecovered(run);
  ASSERT_NE(cluster, nullptr);
  auto r = CheckAll();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  const nlohmann::json j = ReplayJsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  EXPECT_FALSE(j.contains("values_not_checked")) << j.dump(2);
  ASSERT_TRUE(j.contains("values")) << j.dump(2);
  const auto& v = j["values"];
  // Touched or created by the log: str:1-4, hash:1, {r}from, {r}to,
  // logonly:1-2, tmp:1, {t}counter, {t}made-in-multi.
  EXPECT_EQ(v["from_log_replay"], 12u) << v.dump(2);
  EXPECT_EQ(v["from_base"], 300u + 30u + 2u - 7u) << v.dump(2);  // less those the log touches
  EXPECT_EQ(v["not_compared"], 0u) << v.dump(2);
  EXPECT_GE(v["log_commands_replayed"].get<uint64_t>(), 12u) << v.dump(2);
  EXPECT_TRUE(v.contains("replay_server")) << v.dump(2);
  EXPECT_EQ(v["key_set"], "compared") << v.dump(2);
  ExpectLogNodesCounted(rec, j);

  auto must = [&](const std::string& key, std::vector<std::string> args) {
    auto reply = cluster->CommandForKey(key, args);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_FALSE(reply->is_error()) << args[0] << " " << key << ": " << reply->str;
  };
  // `keys` findings on exactly one master and its replica, DBSIZE `delta`
  // off what the count expects; `sample`: check's --sample.
  auto expect_count_findings = [&](int delta, const std::string& sample) {
    ASSERT_TRUE(cluster->WaitReplicas().ok());
    std::vector<std::string> args = {"check",  "--plan", work_->File("plan.json"), "--report",
                                     work_->File("recover.json"), "--json", "--wait", "60"};
    if (!sample.empty()) args.insert(args.end(), {"--sample", sample});
    auto bad = Shardkit(args);
    ASSERT_TRUE(bad.ok());
    EXPECT_EQ(bad->exit_code, 1) << bad->output;
    const nlohmann::json jb = ReplayJsonOf(bad->output);
    ASSERT_FALSE(jb.is_discarded()) << bad->output;
    int counts = 0;
    for (const auto& f : jb["findings"]) {
      if (f["check"] != "keys") {
        EXPECT_FALSE(sample == "none") << f.dump();
        continue;
      }
      ++counts;
      const std::string want = f["expected"];
      EXPECT_NE(want.find("touched by the log"), std::string::npos) << f.dump();
      EXPECT_EQ(std::stoll(f["found"].get<std::string>()), std::stoll(want) + delta) << f.dump();
      EXPECT_NE(bad->output.find("mismatch: node " + std::to_string(f["node"].get<int>())),
                std::string::npos)
          << bad->output;
    }
    EXPECT_EQ(counts, 2) << bad->output;  // the master and its replica
  };
  must("str:10", {"DEL", "str:10"});  // a base key the log never touches
  ASSERT_NO_FATAL_FAILURE(expect_count_findings(-1, ""));
  must("str:10", {"SET", "str:10", "back"});
  must("extra:count", {"SET", "extra:count", "in-no-source"});
  ASSERT_NO_FATAL_FAILURE(expect_count_findings(+1, "none"));
}

// What the log made, changed on the live nodes, and a key in no source:
// each is named by key, on master and replica.
TEST_F(CheckLogReplayTest, ChangesToWhatTheLogMadeAreNamedByKey) {
  TempDir run("shardkit-check-log-damage");
  auto cluster = StartRecovered(run);
  ASSERT_NE(cluster, nullptr);
  auto must = [&](const std::string& key, std::vector<std::string> args) {
    auto r = cluster->CommandForKey(key, args);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->is_error()) << args[0] << " " << key << ": " << r->str;
  };
  must("str:1", {"SET", "str:1", "changed-after-the-log"});        // value after a log SET
  must("hash:1", {"HDEL", "hash:1", "f3"});                         // field the log added
  must("str:2", {"SET", "str:2", "back"});                          // the log deleted it
  must("{r}from", {"SET", "{r}from", "back"});                      // renamed away by the log
  must("str:3", {"PEXPIREAT", "str:3", std::to_string(kFarMs + 3)});  // the log changed the TTL
  must("str:4", {"PEXPIREAT", "str:4", std::to_string(kFarMs + 4)});  // the log removed the TTL
  must("{t}counter", {"SET", "{t}counter", "41"});                  // INCR in a MULTI undone
  must("extra:1", {"SET", "extra:1", "in-no-source"});              // the key count shows it too
  ASSERT_TRUE(cluster->WaitReplicas().ok());
  auto r = CheckAll();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1) << r->output;
  const nlohmann::json j = ReplayJsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  // Master and replica each.
  EXPECT_EQ(FindingsForKey(j, "value", "str:1").size(), 2u) << r->output;
  EXPECT_EQ(FindingsForKey(j, "value", "hash:1").size(), 2u) << r->output;
  EXPECT_EQ(FindingsForKey(j, "value", "{t}counter").size(), 2u) << r->output;
  for (const std::string key : {"str:2", "{r}from"}) {
    const auto found = FindingsForKey(j, "key", key);
    ASSERT_EQ(found.size(), 2u) << key << ": " << r->output;
    EXPECT_EQ(found[0]["expected"], "absent (the log deletes it)") << found[0].dump();
  }
  const auto ttl3 = FindingsForKey(j, "ttl", "str:3");
  ASSERT_EQ(ttl3.size(), 2u) << r->output;
  EXPECT_EQ(ttl3[0]["expected"], "expiry at " + std::to_string(kFarMs + 999) + " ms");
  const auto extra = FindingsForKey(j, "key", "extra:1");
  ASSERT_EQ(extra.size(), 2u) << r->output;
  EXPECT_EQ(extra[0]["expected"], "absent (in no source)") << extra[0].dump();
  const auto ttl4 = FindingsForKey(j, "ttl", "str:4");
  ASSERT_EQ(ttl4.size(), 2u) << r->output;
  EXPECT_EQ(ttl4[0]["expected"], "no expiry");
  // Nothing else, but key counts (the keys brought back, the extra key).
  const std::vector<std::string> damaged = {"str:1", "hash:1", "{t}counter", "str:2",
                                            "{r}from", "str:3", "str:4", "extra:1"};
  for (const auto& f : j["findings"]) {
    if (f["check"] == "keys") continue;
    bool expected = false;
    for (const std::string& key : damaged) expected = expected || f["subject"] == "key \"" + key + "\"";
    EXPECT_TRUE(expected) << f.dump();
  }
}

// No redis-server for the replay: the keys the log touches are a note, the
// others are still compared, and check passes.
TEST_F(CheckLogReplayTest, WithoutReplayServerTouchedKeysAreNotCompared) {
  TempDir run("shardkit-check-log-noreplay");
  auto cluster = StartRecovered(run);
  ASSERT_NE(cluster, nullptr);
  auto r = CheckAll({"--replay-server", run.File("no-such-redis-server")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  const nlohmann::json j = ReplayJsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  const auto& v = j["values"];
  EXPECT_EQ(v["from_log_replay"], 0u) << v.dump(2);
  EXPECT_EQ(v["not_compared"], 12u) << v.dump(2);
  EXPECT_EQ(v["from_base"], 300u + 30u + 2u - 7u) << v.dump(2);  // less those the log touches
  EXPECT_NE(v["replay_not_available"].get<std::string>().find("not found"), std::string::npos)
      << v.dump(2);
  bool noted = false;
  for (const auto& note : v["notes"]) {
    noted = noted || note.get<std::string>().find("(no replay server") != std::string::npos;
  }
  EXPECT_TRUE(noted) << v.dump(2);
  int unchecked = 0;
  for (const auto& n : j["nodes"]) {
    if (!n.contains("keys_not_checked")) continue;
    ++unchecked;
    EXPECT_NE(n["keys_not_checked"].get<std::string>().find("no replay server"),
              std::string::npos)
        << n.dump();
  }
  EXPECT_GT(unchecked, 0) << j.dump(2);
}

// One source's log has a FLUSHALL: as recover does, check starts that
// source from its last flush (its base and earlier commands are gone), and
// still compares what follows, and the other sources, in full; the 1002
// keys one SUNIONSTORE joins are not compared ("closure too large"). A key
// the log makes expire 30 s after it is written makes its node's count a
// range (it may expire while check runs).
class CheckLogFlushTest : public CheckLogReplayTest {
 protected:
  static void SetUpTestSuite() { SetUpRecovery(/*flush=*/true); }
};

TEST_F(CheckLogFlushTest, FlushInTheLogIsReplayedFromItsPoint) {
  TempDir run("shardkit-check-log-flush");
  auto cluster = StartRecovered(run);
  ASSERT_NE(cluster, nullptr);
  auto r = CheckAll();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  const nlohmann::json j = ReplayJsonOf(r->output);
  ASSERT_FALSE(j.is_discarded()) << r->output;
  const auto& v = j["values"];
  EXPECT_EQ(v["not_compared"], kBigClosureSets + 1) << v.dump(2);
  ASSERT_EQ(v["notes"].size(), 1u) << v.dump(2);
  EXPECT_NE(v["notes"][0].get<std::string>().find(
                std::to_string(kBigClosureSets + 1) + " keys touched by the log not compared: "
                "closure too large"),
            std::string::npos)
      << v.dump(2);
  EXPECT_EQ(v["key_set"], "compared") << v.dump(2);
  EXPECT_GT(v["from_base"].get<uint64_t>(), 0u) << v.dump(2);
  EXPECT_GE(v["from_log_replay"].get<uint64_t>(), 1u) << v.dump(2);
  // The count replays every closure, the 1002 keys' one too; soon:1's node
  // is counted as a range.
  ExpectLogNodesCounted(nlohmann::json::parse(ReadFileOrDie(work_->File("recover.json"))), j);
  uint64_t uncertain = 0;
  for (const auto& n : j["nodes"]) {
    if (n.contains("keys_log")) uncertain += n["keys_log"]["uncertain"].get<uint64_t>();
  }
  EXPECT_EQ(uncertain, 2u) << j.dump(2);  // soon:1 on its master and replica
  // str:1, written after the flush, changed on the live nodes.
  auto changed = cluster->CommandForKey("str:1", {"SET", "str:1", "not-what-the-log-says"});
  ASSERT_TRUE(changed.ok() && !changed->is_error());
  ASSERT_TRUE(cluster->WaitReplicas().ok());
  auto bad = CheckAll();
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit_code, 1) << bad->output;
  const nlohmann::json jb = ReplayJsonOf(bad->output);
  ASSERT_FALSE(jb.is_discarded()) << bad->output;
  const auto found = FindingsForKey(jb, "value", "str:1");
  ASSERT_EQ(found.size(), 2u) << bad->output;
  EXPECT_NE(found[0]["found"].get<std::string>().find("after-the-flush"), std::string::npos)
      << found[0].dump();
}

}  // namespace
}  // namespace shardkit::testing
