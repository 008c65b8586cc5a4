// The two-phase recovery (loader/fragments.h) against real redis-servers:
// three standalone sources merged onto a 3-master cluster, with the cases
// that need more than one source at once:
//   * A (RDB) and B (AOF with an RDB base) hold some of the same keys: in
//     slots both hold, A (the first source with keys there) owns them, so
//     B's copies are held back and kept only where A lacks the key;
//   * A's RDB holds keys already expired when the plan is made;
//   * C's log has keys, then a FLUSHALL, then more keys;
//   * A and B each carry function libraries, which go to every node.
// Phase 1 runs once per source, each in its own mount namespace where only
// that volume (read-only) and the fragments directory exist; phase 2 runs
// once per node in a namespace with no volume at all. The outputs must
// equal the one-process recover's byte for byte, the reports' counts must
// equal `recover --node-index K`'s, and the new cluster must hold, key by
// key, A + (B less A's keys) + C's keys after its FLUSHALL. Then the
// refusals: missing, damaged, foreign and extra fragments. The plan made
// from one `discover --volume-report` per volume (each in its namespace) is
// the plan made from the volumes, and its two phases give the same bytes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "tests/loader/recover_test_util.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// Runs `script` with sh in a new private mount namespace (unshare, root only).
Result<ProcessResult> InMountNamespace(const std::string& script) {
  return RunProcess({"unshare", "--mount", "--propagation", "private", "sh", "-ec", script});
}

bool MountNamespacesWork() {
  if (geteuid() != 0) return false;
  auto r = InMountNamespace("mount -t tmpfs tmpfs /mnt");
  return r.ok() && r->exit_code == 0;
}

class RecoverFragmentsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    work_ = new TempDir("shardkit-fragments");
    expected_ = new KeyspaceSnapshot();
    std::map<std::string, std::map<std::string, KeyState>> held;  // volume -> its keys
    const std::string lib_a =
        "#!lua name=shardkitlib\nredis.register_function('sk_echo', function(keys, args) "
        "return args[1] end)";
    const std::string lib_b =
        "#!lua name=blib\nredis.register_function('b_echo', function(keys, args) "
        "return args[1] end)";
    // A: an RDB.
    {
      auto a = RedisServer::Start({});
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      RedisServer& s = **a;
      ASSERT_TRUE(s.CommandOk({"FUNCTION", "LOAD", lib_a}).ok());
      for (int i = 0; i < 300; ++i) {
        ASSERT_TRUE(s.CommandOk({"SET", "a:" + std::to_string(i), "va" + std::to_string(i)}).ok());
        if (i % 5 == 0) {
          ASSERT_TRUE(s.CommandOk({"PEXPIREAT", "a:" + std::to_string(i), "4102444800000"}).ok());
        }
      }
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(s.CommandOk({"HSET", "dup:" + std::to_string(i), "from", "A"}).ok());
        // Only A has this key, in a slot B holds too: kept whichever source owns it.
        if (i % 5 == 0) {
          ASSERT_TRUE(s.CommandOk({"SET", "{dup:" + std::to_string(i) + "}.a", "A"}).ok());
        }
      }
      auto snap = KeyspaceSnapshot::Capture(s.client(), 1);
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      held["a"] = std::move(snap->dbs[0]);
      // Keys that expire before the plan is made: kept in memory (no active
      // expiry, never read), so the RDB holds them.
      ASSERT_TRUE(s.CommandOk({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}).ok());
      for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(s.CommandOk({"SET", "gone:" + std::to_string(i), "x", "PX", "30"}).ok());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ASSERT_TRUE(s.Save().ok());
      s.Kill9();
      fs::create_directories(work_->File("vol/a"));
      fs::copy(s.rdb_path(), work_->File("vol/a/dump.rdb"));
    }
    // B: an AOF whose base holds B's keys (some of them A's too) and whose
    // log holds later writes.
    {
      RedisServerOptions opt;
      opt.config = {{"appendonly", "yes"}, {"appendfsync", "always"},
                    {"aof-use-rdb-preamble", "yes"}};
      auto b = RedisServer::Start(opt);
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      RedisServer& s = **b;
      ASSERT_TRUE(s.CommandOk({"FUNCTION", "LOAD", lib_a}).ok());
      ASSERT_TRUE(s.CommandOk({"FUNCTION", "LOAD", lib_b}).ok());
      for (int i = 0; i < 80; ++i) {
        ASSERT_TRUE(s.CommandOk({"HSET", "dup:" + std::to_string(i), "from", "B"}).ok());
      }
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(s.CommandOk({"RPUSH", "b:" + std::to_string(i), "x", std::to_string(i)}).ok());
      }
      ASSERT_TRUE(s.BgRewriteAof().ok());
      for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(s.CommandOk({"SET", "blog:" + std::to_string(i), std::to_string(i)}).ok());
      }
      ASSERT_TRUE(s.CommandOk({"DEL", "b:0", "b:1"}).ok());
      auto snap = KeyspaceSnapshot::Capture(s.client(), 1);
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      held["b"] = std::move(snap->dbs[0]);
      s.Kill9();
      fs::create_directories(work_->File("vol/b"));
      fs::copy(s.dir() + "/appendonlydir", work_->File("vol/b/appendonlydir"));
      WriteFileOrDie(work_->File("vol/b/redis.conf"), "appendonly yes\n");
    }
    // C: a log with keys, a FLUSHALL, then keys.
    {
      RedisServerOptions opt;
      opt.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
      auto c = RedisServer::Start(opt);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      RedisServer& s = **c;
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(s.CommandOk({"SET", "doomed:" + std::to_string(i), "x"}).ok());
      }
      ASSERT_TRUE(s.CommandOk({"FLUSHALL"}).ok());
      for (int i = 0; i < 150; ++i) {
        ASSERT_TRUE(s.CommandOk({"SADD", "c:" + std::to_string(i), "m", std::to_string(i)}).ok());
      }
      auto snap = KeyspaceSnapshot::Capture(s.client(), 1);
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      held["c"] = std::move(snap->dbs[0]);
      s.Kill9();
      fs::create_directories(work_->File("vol/c"));
      fs::copy(s.dir() + "/appendonlydir", work_->File("vol/c/appendonlydir"));
      WriteFileOrDie(work_->File("vol/c/redis.conf"), "appendonly yes\n");
    }
    auto ports = PickClusterPorts(3);
    ASSERT_TRUE(ports.ok());
    ports_ = *ports;
    auto plan = Shardkit({"plan", "--nodes", "3", "--endpoints", Endpoints(ports_), "--out",
                          work_->File("plan.json"), "--merge-standalone", work_->File("vol/a"),
                          work_->File("vol/b"), work_->File("vol/c")});
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
    // Owner wins: in a slot several sources hold, the plan's first source
    // holding keys there keeps its copy (--merge-standalone orders them
    // freshest first); a later source's copy is kept where it has no rival.
    const auto plan_json = nlohmann::json::parse(ReadFileOrDie(work_->File("plan.json")));
    for (const auto& src : plan_json["sources"]) {
      const std::string path = src["path"].get<std::string>();
      for (auto& [name, keys] : held) {
        if (path.find("/vol/" + name) == std::string::npos) continue;
        source_order_.push_back(name);
        for (auto& [k, v] : keys) expected_->dbs[0].emplace(k, v);
      }
    }
    ASSERT_EQ(source_order_.size(), 3u) << plan_json.dump();
    expected_->dbsize[0] = static_cast<int64_t>(expected_->dbs[0].size());
    // The reference: one process reading every source.
    auto one = Shardkit({"recover", "--plan", work_->File("plan.json"), "--out",
                         work_->File("one"), "--json"});
    ASSERT_TRUE(one.ok());
    ASSERT_EQ(one->exit_code, 0) << one->output;
    one_report_ = new nlohmann::json(JsonOf(*one));
  }
  static void TearDownTestSuite() {
    delete one_report_;
    delete expected_;
    delete work_;
    one_report_ = nullptr;
    expected_ = nullptr;
    work_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(one_report_, nullptr);
  }

  // Runs `cmd` with sh; when `isolate`, in a mount namespace where the
  // volumes other than `name` and the reference output do not exist and
  // volume `name` is read-only.
  static Result<ProcessResult> WithOneVolume(const std::string& name, const std::string& cmd,
                                             bool isolate) {
    if (!isolate) return RunProcess({"sh", "-ec", cmd});
    const std::string vol = work_->File("vol");
    const std::string keep = work_->File("keep-" + name);
    fs::create_directories(keep);
    std::string script = "mount --bind " + vol + "/" + name + " " + keep + "\n" +
                         "mount -t tmpfs tmpfs " + vol + "\n" +
                         "mkdir " + vol + "/" + name + "\n" +
                         "mount --bind " + keep + " " + vol + "/" + name + "\n" +
                         "mount -o remount,bind,ro " + vol + "/" + name + "\n" +
                         "mount -t tmpfs tmpfs " + work_->File("one") + "\n";
    for (const char* other : {"a", "b", "c"}) {
      if (name != other) script += "test ! -e " + vol + "/" + other + "\n";
    }
    return InMountNamespace(script + "exec " + cmd);
  }

  // Runs `cmd` with sh; when `isolate`, in a mount namespace with no volume.
  static Result<ProcessResult> WithNoVolume(const std::string& cmd, bool isolate) {
    if (!isolate) return RunProcess({"sh", "-ec", cmd});
    return InMountNamespace("mount -t tmpfs tmpfs " + work_->File("vol") + "\n" +
                            "mount -t tmpfs tmpfs " + work_->File("one") + "\n" +
                            "test ! -e " + work_->File("vol/a") + "\nexec " + cmd);
  }

  // Phase 1 of source `i` (its volume `name`) into `frags`, with only that
  // volume, when `isolate`.
  static Result<ProcessResult> SplitSource(int i, const std::string& name, const std::string& frags,
                                           bool isolate, const std::string& plan = "") {
    const std::string cmd = ShardkitBinary() + " recover --plan " +
                            (plan.empty() ? work_->File("plan.json") : plan) + " --source " +
                            std::to_string(i) + " --fragments " + frags + " --json";
    return WithOneVolume(name, cmd, isolate);
  }

  // Phase 2 of node `k` from `frags` into `out`: no volume exists.
  static Result<ProcessResult> AssembleNode(int k, const std::string& frags, const std::string& out,
                                            bool isolate, const std::string& plan = "") {
    const std::string cmd = ShardkitBinary() + " recover --plan " +
                            (plan.empty() ? work_->File("plan.json") : plan) +
                            " --from-fragments " + frags + " --node-index " + std::to_string(k) +
                            " --out " + out + " --json";
    return WithNoVolume(cmd, isolate);
  }

  // Phases 1 and 2 of `plan` into work/<name>-frags and work/<name>/: every
  // node's files must be the one-process recover's, byte for byte.
  static void ExpectTwoPhasesGiveTheOneProcessBytes(const std::string& plan,
                                                    const std::string& name, bool isolate) {
    const std::string frags = work_->File(name + "-frags");
    for (int i = 0; i < 3; ++i) {
      auto r = SplitSource(i, source_order_[i], frags, isolate, plan);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->exit_code, 0) << r->output;
    }
    for (int k = 0; k < 3; ++k) {
      auto r = AssembleNode(k, frags, work_->File(name), isolate, plan);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->exit_code, 0) << r->output;
      const std::string node = "/node-" + std::to_string(k);
      const std::vector<std::string> files = FilesUnder(work_->File("one") + node);
      ASSERT_EQ(files, FilesUnder(work_->File(name) + node));
      for (const std::string& f : files) {
        EXPECT_EQ(ReadFileOrDie(work_->File("one") + node + "/" + f),
                  ReadFileOrDie(work_->File(name) + node + "/" + f))
            << node << "/" << f;
      }
    }
  }

  static TempDir* work_;
  static KeyspaceSnapshot* expected_;
  static nlohmann::json* one_report_;
  static std::vector<int> ports_;
  static std::vector<std::string> source_order_;  // volume names in plan source order
};

TempDir* RecoverFragmentsTest::work_ = nullptr;
KeyspaceSnapshot* RecoverFragmentsTest::expected_ = nullptr;
nlohmann::json* RecoverFragmentsTest::one_report_ = nullptr;
std::vector<int> RecoverFragmentsTest::ports_;
std::vector<std::string> RecoverFragmentsTest::source_order_;

TEST_F(RecoverFragmentsTest, OneVolumePerProcessGivesTheOneProcessBytes) {
  const bool isolate = MountNamespacesWork();
  if (!isolate) {
    ASSERT_NE(geteuid(), 0u) << "root, but unshare --mount failed: the isolation cannot be shown";
    std::printf("[ note     ] not root: the phases run without mount namespaces\n");
  }
  // The reference run saw each case the test is about.
  const nlohmann::json& one = *one_report_;
  EXPECT_EQ(one["expired_dropped"], 20) << one.dump();
  EXPECT_GT(one["duplicates_dropped"].get<int>(), 0) << one.dump();
  EXPECT_GT(one["non_owner_kept"].get<int>(), 0) << one.dump();
  EXPECT_GT(one["commands_before_flush"].get<int>(), 0) << one.dump();
  EXPECT_EQ(one["functions"], 2) << one.dump();

  const std::string frags = work_->File("frags");
  uint64_t fragment_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = SplitSource(i, source_order_[i], frags, isolate);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
    const nlohmann::json split = JsonOf(*r);
    EXPECT_EQ(split["status"], "written") << r->output;
    fragment_bytes += split["fragment_bytes_written"].get<uint64_t>();
    // A rerun keeps the complete directory.
    auto again = SplitSource(i, source_order_[i], frags, isolate);
    ASSERT_TRUE(again.ok());
    ASSERT_EQ(again->exit_code, 0) << again->output;
    EXPECT_EQ(JsonOf(*again)["status"], "already-complete") << again->output;
  }
  std::vector<std::string> dirs;
  for (int k = 0; k < 3; ++k) {
    auto r = AssembleNode(k, frags, work_->File("two"), isolate);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
    const nlohmann::json two = JsonOf(*r);
    // Byte for byte what one process wrote.
    const std::string node = "/node-" + std::to_string(k);
    const std::vector<std::string> files = FilesUnder(work_->File("one") + node);
    ASSERT_EQ(files, FilesUnder(work_->File("two") + node));
    ASSERT_GE(files.size(), 4u);  // base, incr, manifest, nodes.conf, marker
    for (const std::string& f : files) {
      EXPECT_EQ(ReadFileOrDie(work_->File("one") + node + "/" + f),
                ReadFileOrDie(work_->File("two") + node + "/" + f))
          << node << "/" << f;
    }
    // The counts of `recover --node-index K` from the sources.
    auto single = Shardkit({"recover", "--plan", work_->File("plan.json"), "--out",
                            work_->File("single"), "--node-index", std::to_string(k), "--json"});
    ASSERT_TRUE(single.ok());
    ASSERT_EQ(single->exit_code, 0) << single->output;
    const nlohmann::json ref = JsonOf(*single);
    for (const char* field :
         {"source_bytes_read", "keys_read", "keys_written", "expired_dropped",
          "duplicates_dropped", "non_owner_kept", "commands_read", "commands_written",
          "commands_before_flush", "commands_non_owner_dropped", "functions",
          "standard_policy_differs", "values_in_pieces", "other_db_dropped"}) {
      EXPECT_EQ(two[field], ref[field]) << "node " << k << " " << field;
    }
    ASSERT_EQ(two["nodes"].size(), 1u);
    for (const char* field : {"keys", "keys_with_expiry", "expiring", "commands", "rdb_bytes",
                              "rdb_crc64", "layout"}) {
      EXPECT_EQ(two["nodes"][0][field], ref["nodes"][0][field]) << "node " << k << " " << field;
    }
    EXPECT_GT(two["fragment_bytes_read"].get<uint64_t>(), 0u);
    dirs.push_back(work_->File("live-" + std::to_string(k)));
    fs::copy(work_->File("two") + node, dirs.back(), fs::copy_options::recursive);
  }
  std::printf("[ fragments] %llu bytes for %llu source bytes\n",
              static_cast<unsigned long long>(fragment_bytes),
              static_cast<unsigned long long>(one["source_bytes_read"].get<uint64_t>()));
  // The new cluster holds the merged keyspace, and every node both libraries.
  auto fresh = RedisCluster::StartFromDirs(dirs, ports_, {{"appendonly", "yes"}});
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto checked = (*fresh)->Check();
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->exit_code, 0) << checked->output;
  auto now = (*fresh)->Snapshot();
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  KeyspaceSnapshot want = *expected_;
  want.functions = now->functions;
  EXPECT_EQ(want.Diff(*now), "");
  EXPECT_EQ(now->KeyCount(), expected_->KeyCount());
  EXPECT_EQ(now->dbs[0].count("doomed:0"), 0u);
  EXPECT_EQ(now->dbs[0].count("gone:0"), 0u);
  for (RedisServer* s : (*fresh)->nodes()) {
    for (const char* fn : {"sk_echo", "b_echo"}) {
      auto f = s->CommandOk({"FCALL", fn, "0", "hi"});
      ASSERT_TRUE(f.ok()) << fn << ": " << f.status().ToString();
      EXPECT_EQ(f->str, "hi");
    }
  }
}

// The plan too from one process per volume: `discover --volume-report` in a
// namespace holding only its volume (read-only), `plan --volume-reports` in
// one holding none. With the reference plan's clock it is plan.json byte for
// byte, and the two phases from it give the one-process bytes.
TEST_F(RecoverFragmentsTest, VolumeReportsPerProcessGiveThePlanAndTheOneProcessBytes) {
  const bool isolate = MountNamespacesWork();
  if (!isolate) {
    ASSERT_NE(geteuid(), 0u) << "root, but unshare --mount failed: the isolation cannot be shown";
    std::printf("[ note     ] not root: discover and plan run without mount namespaces\n");
  }
  const nlohmann::json reference = nlohmann::json::parse(ReadFileOrDie(work_->File("plan.json")));
  const std::string clock =
      "env SHARDKIT_NOW_MS=" + std::to_string(reference["created_ms"].get<int64_t>()) + " ";
  fs::create_directories(work_->File("reports"));
  std::string reports;
  for (const char* name : {"a", "b", "c"}) {
    const std::string report = work_->File(std::string("reports/") + name + ".json");
    auto r = WithOneVolume(name,
                           clock + ShardkitBinary() + " discover --volume-report " + report + " " +
                               work_->File(std::string("vol/") + name),
                           isolate);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
    reports += " " + report;
  }
  const std::string plan = work_->File("reports-plan.json");
  auto planned =
      WithNoVolume(clock + ShardkitBinary() + " plan --nodes 3 --endpoints " + Endpoints(ports_) +
                       " --out " + plan + " --merge-standalone --volume-reports" + reports,
                   isolate);
  ASSERT_TRUE(planned.ok());
  ASSERT_EQ(planned->exit_code, 0) << planned->output;
  ASSERT_EQ(ReadFileOrDie(plan), ReadFileOrDie(work_->File("plan.json")));
  ExpectTwoPhasesGiveTheOneProcessBytes(plan, "from-reports", isolate);
}

TEST_F(RecoverFragmentsTest, RefusesMissingDamagedForeignAndExtraFragments) {
  const std::string frags = work_->File("frags-bad");
  for (int i = 0; i < 3; ++i) {
    auto r = SplitSource(i, source_order_[i], frags, /*isolate=*/false);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
  }
  const std::string out = work_->File("bad-out");
  auto assemble = [&](const std::string& plan) {
    return Shardkit({"recover", "--plan", plan, "--from-fragments", frags, "--node-index", "0",
                     "--out", out});
  };
  auto expect_refused = [&](int code, const std::string& names_this, const std::string& plan) {
    auto r = assemble(plan);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, code) << r->output;
    EXPECT_NE(r->output.find(names_this), std::string::npos) << r->output;
    EXPECT_FALSE(fs::exists(out + "/node-0")) << "published after a refusal";
    if (fs::exists(out)) {
      for (const auto& e : fs::directory_iterator(out)) {
        ADD_FAILURE() << "left behind: " << e.path();
      }
    }
  };
  const std::string plan = work_->File("plan.json");
  // Missing.
  fs::rename(frags + "/source-1", work_->File("aside"));
  expect_refused(2, "source-1: missing", plan);
  fs::rename(work_->File("aside"), frags + "/source-1");
  // Damaged: one byte of node 0's records (from B's base) flipped (same size).
  const int b_index = static_cast<int>(
      std::find(source_order_.begin(), source_order_.end(), "b") - source_order_.begin());
  const std::string victim_name = "source-" + std::to_string(b_index) + "/node-0.rdb";
  const std::string victim = frags + "/" + victim_name;
  std::string bytes = ReadFileOrDie(victim);
  ASSERT_GT(bytes.size(), 100u);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
  WriteFileOrDie(victim, bytes);
  expect_refused(1, victim_name + ": CRC-64", plan);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x20);
  WriteFileOrDie(victim, bytes);
  // Truncated: the size differs from the marker's.
  WriteFileOrDie(victim, bytes.substr(0, bytes.size() - 1));
  expect_refused(1, "node-0.rdb", plan);
  WriteFileOrDie(victim, bytes);
  // Foreign: fragments of another plan.
  auto other = Shardkit({"plan", "--nodes", "2", "--out", work_->File("other.json"),
                         "--merge-standalone", work_->File("vol/a"), work_->File("vol/b"), work_->File("vol/c")});
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->exit_code, 0) << other->output;
  expect_refused(2, "not of this plan", work_->File("other.json"));
  // Extra: a fourth source directory, and a file no marker lists.
  fs::create_directories(frags + "/source-3");
  expect_refused(2, "source-3", plan);
  fs::remove(frags + "/source-3");
  WriteFileOrDie(frags + "/source-2/node-9.rdb", "x");
  expect_refused(2, "node-9.rdb", plan);
  fs::remove(frags + "/source-2/node-9.rdb");
  // Intact again: it assembles.
  auto ok = assemble(plan);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->exit_code, 0) << ok->output;
  EXPECT_EQ(ReadFileOrDie(out + "/node-0/appendonlydir/appendonly.aof.1.base.rdb"),
            ReadFileOrDie(work_->File("one/node-0/appendonlydir/appendonly.aof.1.base.rdb")));
}

}  // namespace
}  // namespace shardkit::testing
