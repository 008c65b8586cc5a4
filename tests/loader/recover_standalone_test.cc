// A standalone database recovered as a standalone database (plan
// --standalone), against real redis-server 7.0 processes:
//   * an old master with keys (TTLs included) in dbs 0, 1 and 5, and its
//     replica; writes on the master after the replica's last save; kill -9.
//     plan --standalone --replicas 1 --endpoints <2 loopback ports> and
//     recover: the master's dir has no nodes.conf, the replica's dir holds
//     the same dump.rdb byte for byte and a replica.conf. The master starts
//     on its dir, the replica with `include replica.conf`; the replica links
//     up, the master reports sync_full:0, and master and replica hold every
//     db of the old master key by key (DEBUG DIGEST-VALUE, PEXPIRETIME).
//   * an appendonly standalone server whose log (after its rewritten base)
//     writes in several dbs, in a transaction, and flushes db 5: the
//     standalone output's appendonlydir replays it db by db;
//   * a log whose last flush is a FLUSHDB of db 0 after data in db 1: one
//     source's whole log is replayed, so db 1 survives;
//   * two unrelated standalone databases with keys in dbs 0 and 2, some
//     names in both, merged onto one standalone master (--merge-standalone):
//     in every db the fresher database's copy of a key wins and keys only
//     the older one holds are kept;
//   * the same volumes recovered onto a cluster (the default shape) behave
//     as before: keys outside db 0 are refused without --other-dbs; and
//     --other-dbs is refused on a standalone plan (every db is kept there).
// Every network wait is bounded.
#include <gtest/gtest.h>

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

// Strings (a third with a TTL), hashes, lists and sets under `prefix` in
// db `db` of `s` (the server's own connection is left in db 0).
void Fill(RedisServer& s, int db, const std::string& prefix, int count) {
  const int64_t far = 4102444800000;  // 2100-01-01 in ms
  RunOk(s, {"SELECT", std::to_string(db)});
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
  RunOk(s, {"SELECT", "0"});
}

class RecoverStandaloneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    dirs_ = new TempDir("shardkit-standalone");
    RedisServerOptions mopt;
    mopt.dir = dirs_->File("master");
    fs::create_directories(mopt.dir);
    auto master = RedisServer::Start(mopt);
    ASSERT_TRUE(master.ok()) << master.status().ToString();
    RedisServer& m = **master;
    RedisServerOptions ropt;
    ropt.dir = dirs_->File("replica");
    fs::create_directories(ropt.dir);
    ropt.config = {{"replicaof", "127.0.0.1 " + std::to_string(m.port())}};
    auto replica = RedisServer::Start(ropt);
    ASSERT_TRUE(replica.ok()) << replica.status().ToString();
    RedisServer& r = **replica;
    ASSERT_TRUE(r.WaitInfoField("replication", "master_link_status", "up").ok());
    Fill(m, 0, "", 1500);
    Fill(m, 1, "one:", 700);
    Fill(m, 5, "five:", 300);
    auto acked = m.CommandOk({"WAIT", "1", "10000"});
    ASSERT_TRUE(acked.ok() && acked->integer == 1) << "replica did not acknowledge";
    ASSERT_TRUE(r.Save().ok());
    // After the replica's last save: only the master's volume has these.
    RunOk(m, {"SET", "k-after", "only-on-the-master"});
    RunOk(m, {"DEL", "str:4"});
    RunOk(m, {"SELECT", "1"});
    RunOk(m, {"DEL", "one:str:7"});
    RunOk(m, {"SET", "one:str:8", "overwritten"});
    RunOk(m, {"SELECT", "5"});
    RunOk(m, {"SET", "five:new", "after"});
    RunOk(m, {"PEXPIREAT", "five:new", "4102444800123"});
    RunOk(m, {"SELECT", "0"});
    ASSERT_TRUE(m.Save().ok());
    auto snap = KeyspaceSnapshot::Capture(m.client());
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    old_ = new KeyspaceSnapshot(std::move(*snap));
    r.Kill9();
    m.Kill9();
    volumes_ = {dirs_->File("master"), dirs_->File("replica")};
  }

  static void TearDownTestSuite() {
    delete old_;
    old_ = nullptr;
    delete dirs_;
    dirs_ = nullptr;
  }

  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(old_, nullptr) << "suite set-up failed";
  }

  // Runs `plan` with `args` then the volumes, into work/plan.json.
  static void Plan(TempDir& work, std::vector<std::string> args) {
    args.insert(args.begin(), "plan");
    args.insert(args.end(), {"--out", work.File("plan.json")});
    args.insert(args.end(), volumes_.begin(), volumes_.end());
    auto plan = Shardkit(args);
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
  }

  static TempDir* dirs_;
  static KeyspaceSnapshot* old_;
  static std::vector<std::string> volumes_;
};

TempDir* RecoverStandaloneTest::dirs_ = nullptr;
KeyspaceSnapshot* RecoverStandaloneTest::old_ = nullptr;
std::vector<std::string> RecoverStandaloneTest::volumes_;

TEST_F(RecoverStandaloneTest, MasterAndReplicaKeepEveryDbAndResumeWithoutAFullSync) {
  ASSERT_GT(old_->dbs.count(1), 0u);
  ASSERT_GT(old_->dbs.count(5), 0u);
  TempDir work("shardkit-standalone-run");
  auto ports = PickClusterPorts(2);
  ASSERT_TRUE(ports.ok()) << ports.status().ToString();
  Plan(work, {"--standalone", "--replicas", "1", "--endpoints", Endpoints(*ports)});
  const auto plan = nlohmann::json::parse(ReadFileOrDie(work.File("plan.json")));
  EXPECT_EQ(plan["shape"], "standalone");
  ASSERT_EQ(plan["nodes"].size(), 2u);
  EXPECT_EQ(plan["nodes"][0]["slot_count"], 16384);
  EXPECT_EQ(plan["nodes"][0]["keys"].get<uint64_t>(), old_->KeyCount()) << "every db counts";
  EXPECT_EQ(plan["nodes"][1]["role"], "replica");

  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                       "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const nlohmann::json report = JsonOf(*rec);
  ASSERT_FALSE(report.is_discarded()) << rec->output;
  EXPECT_EQ(report["shape"], "standalone");
  EXPECT_EQ(report["other_db_dropped"], 0);
  EXPECT_EQ(report["other_db_moved"], 0);
  ASSERT_EQ(report["nodes"].size(), 2u);
  EXPECT_EQ(report["nodes"][1]["resync"], "partial");
  EXPECT_EQ(report["nodes"][1]["replicaof"], "127.0.0.1:" + std::to_string((*ports)[0]));

  const std::string master_dir = work.File("out/node-0");
  const std::string replica_dir = work.File("out/node-1");
  EXPECT_FALSE(fs::exists(master_dir + "/nodes.conf"));
  EXPECT_FALSE(fs::exists(replica_dir + "/nodes.conf"));
  EXPECT_FALSE(fs::exists(master_dir + "/replica.conf"));
  const std::string conf = ReadFileOrDie(replica_dir + "/replica.conf");
  EXPECT_NE(conf.find("\nreplicaof 127.0.0.1 " + std::to_string((*ports)[0]) + "\n"),
            std::string::npos)
      << conf;
  EXPECT_EQ(ReadFileOrDie(master_dir + "/dump.rdb"), ReadFileOrDie(replica_dir + "/dump.rdb"));

  RedisServerOptions mopt;
  mopt.dir = master_dir;
  mopt.port = (*ports)[0];
  auto master = RedisServer::Start(mopt);
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  RedisServerOptions ropt;
  ropt.dir = replica_dir;
  ropt.port = (*ports)[1];
  ropt.config = {{"include", replica_dir + "/replica.conf"}};
  auto replica = RedisServer::Start(ropt);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  ASSERT_TRUE((*replica)->WaitInfoField("replication", "master_link_status", "up").ok())
      << (*replica)->LogTail();
  ASSERT_TRUE((*master)->WaitInfoField("replication", "connected_slaves", "1").ok());
  auto full = (*master)->InfoField("stats", "sync_full");
  auto partial = (*master)->InfoField("stats", "sync_partial_ok");
  ASSERT_TRUE(full.ok() && partial.ok());
  std::printf("[ resync   ] standalone master: sync_full:%s sync_partial_ok:%s\n", full->c_str(),
              partial->c_str());
  EXPECT_EQ(*full, "0") << (*replica)->LogTail();
  EXPECT_EQ(*partial, "1");

  auto on_master = KeyspaceSnapshot::Capture((*master)->client());
  ASSERT_TRUE(on_master.ok()) << on_master.status().ToString();
  EXPECT_EQ(old_->Diff(*on_master), "") << "master";
  auto on_replica = KeyspaceSnapshot::Capture((*replica)->client());
  ASSERT_TRUE(on_replica.ok()) << on_replica.status().ToString();
  EXPECT_EQ(old_->Diff(*on_replica), "") << "replica";
}

TEST_F(RecoverStandaloneTest, OntoAClusterOtherDbsStillNeedTheFlag) {
  TempDir work("shardkit-standalone-cluster");
  Plan(work, {"--nodes", "1"});
  const auto plan = nlohmann::json::parse(ReadFileOrDie(work.File("plan.json")));
  EXPECT_EQ(plan["shape"], "cluster");
  auto refused = Shardkit({"recover", "--plan", work.File("plan.json"), "--out",
                           work.File("out")});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 2) << refused->output;
  EXPECT_NE(refused->output.find("--other-dbs"), std::string::npos) << refused->output;
  EXPECT_FALSE(fs::exists(work.File("out/node-0")));

  auto dropped = Shardkit({"recover", "--plan", work.File("plan.json"), "--out",
                           work.File("out"), "--other-dbs", "drop", "--json"});
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(dropped->exit_code, 0) << dropped->output;
  const nlohmann::json report = JsonOf(*dropped);
  EXPECT_EQ(report["shape"], "cluster");
  const uint64_t other = old_->dbs.at(1).size() + old_->dbs.at(5).size();
  EXPECT_EQ(report["other_db_dropped"].get<uint64_t>(), other);
  EXPECT_EQ(report["keys_written"].get<uint64_t>(), old_->dbs.at(0).size());

  // --other-dbs means nothing to a standalone plan: refused, not ignored.
  TempDir st("shardkit-standalone-flag");
  Plan(st, {"--standalone"});
  auto flag = Shardkit({"recover", "--plan", st.File("plan.json"), "--out", st.File("out"),
                        "--other-dbs", "db0"});
  ASSERT_TRUE(flag.ok());
  EXPECT_EQ(flag->exit_code, 2) << flag->output;
}

TEST(RecoverStandaloneAofTest, LogCommandsKeepTheirDb) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-standalone-aof");
  RedisServerOptions opt;
  opt.dir = work.File("old");
  fs::create_directories(opt.dir);
  opt.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
  auto old = RedisServer::Start(opt);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  RedisServer& s = **old;
  Fill(s, 0, "", 300);
  Fill(s, 1, "one:", 200);
  Fill(s, 5, "five:", 100);
  ASSERT_TRUE(s.BgRewriteAof().ok());
  // The log after the base: commands in dbs 0, 1 and 5, a transaction in
  // db 1, a FLUSHDB of db 5 and new keys there.
  RunOk(s, {"SET", "log:zero", "0"});
  RunOk(s, {"SELECT", "1"});
  RunOk(s, {"SET", "log:one", "1"});
  RunOk(s, {"DEL", "one:str:3"});
  RunOk(s, {"MULTI"});
  RunOk(s, {"INCR", "log:counter"});
  RunOk(s, {"RPUSH", "one:list:0", "tail"});
  RunOk(s, {"EXEC"});
  RunOk(s, {"SELECT", "5"});
  RunOk(s, {"FLUSHDB"});
  RunOk(s, {"SET", "five:after-flush", "x"});
  RunOk(s, {"PEXPIREAT", "five:after-flush", "4102444800999"});
  RunOk(s, {"SELECT", "0"});
  RunOk(s, {"DEL", "str:6"});
  auto before = KeyspaceSnapshot::Capture(s.client());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_GT(before->dbs.count(5), 0u);
  s.Kill9();

  auto plan = Shardkit({"plan", "--standalone", "--out", work.File("plan.json"), opt.dir});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                       "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const nlohmann::json report = JsonOf(*rec);
  ASSERT_EQ(report["nodes"].size(), 1u) << rec->output;
  EXPECT_EQ(report["nodes"][0]["layout"], "appendonlydir");
  EXPECT_GT(report["nodes"][0]["commands"].get<uint64_t>(), 0u);

  RedisServerOptions nopt;
  nopt.dir = work.File("out/node-0");
  nopt.config = {{"appendonly", "yes"}};
  auto fresh = RedisServer::Start(nopt);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto after = KeyspaceSnapshot::Capture((*fresh)->client());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(before->Diff(*after), "");
}

// The source's last flush is a FLUSHDB of db 0, after data in db 1: a
// standalone plan of one source replays the whole log, so db 1 survives.
TEST(RecoverStandaloneAofTest, AFlushOfDb0KeepsTheOtherDbs) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-standalone-flushdb");
  RedisServerOptions opt;
  opt.dir = work.File("old");
  fs::create_directories(opt.dir);
  opt.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
  auto old = RedisServer::Start(opt);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  RedisServer& s = **old;
  Fill(s, 1, "one:", 50);
  Fill(s, 0, "", 50);
  RunOk(s, {"FLUSHDB"});  // db 0 only: db 1 keeps its keys
  RunOk(s, {"SET", "after", "flush"});
  auto before = KeyspaceSnapshot::Capture(s.client());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_GT(before->dbs.count(1), 0u);
  s.Kill9();
  auto plan = Shardkit({"plan", "--standalone", "--out", work.File("plan.json"), opt.dir});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out")});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  RedisServerOptions nopt;
  nopt.dir = work.File("out/node-0");
  nopt.config = {{"appendonly", "yes"}};
  auto fresh = RedisServer::Start(nopt);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto after = KeyspaceSnapshot::Capture((*fresh)->client());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(before->Diff(*after), "");
}

TEST(RecoverStandaloneMergeTest, TheFresherCopyWinsInEveryDb) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-standalone-merge");
  KeyspaceSnapshot views[2];
  const std::string names[2] = {"older", "fresher"};
  for (int i = 0; i < 2; ++i) {
    RedisServerOptions opt;
    opt.dir = work.File(names[i]);
    fs::create_directories(opt.dir);
    auto server = RedisServer::Start(opt);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    RedisServer& s = **server;
    Fill(s, 0, "", 100 + 50 * i);  // "str:0".. in both: the fresher's win
    Fill(s, 2, names[i] + ":", 80);
    RunOk(s, {"SELECT", "2"});
    RunOk(s, {"SET", "shared", names[i]});
    RunOk(s, {"SELECT", "0"});
    RunOk(s, {"SET", "str:1", names[i]});
    ASSERT_TRUE(s.Save().ok());
    auto snap = KeyspaceSnapshot::Capture(s.client());
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    views[i] = std::move(*snap);
    s.Kill9();
  }
  // The older one's file an hour older, whatever second both were saved in.
  const std::string older_rdb = work.File("older/dump.rdb");
  fs::last_write_time(older_rdb, fs::last_write_time(older_rdb) - std::chrono::hours(1));
  KeyspaceSnapshot expected = views[0];
  for (const auto& [db, keys] : views[1].dbs) {
    for (const auto& [key, state] : keys) expected.dbs[db][key] = state;
  }
  for (const auto& [db, keys] : expected.dbs) {
    expected.dbsize[db] = static_cast<int64_t>(keys.size());
  }

  auto plan = Shardkit({"plan", "--standalone", "--merge-standalone", "--out",
                        work.File("plan.json"), work.File("older"), work.File("fresher")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                       "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  RedisServerOptions nopt;
  nopt.dir = work.File("out/node-0");
  auto fresh = RedisServer::Start(nopt);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  auto got = KeyspaceSnapshot::Capture((*fresh)->client());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(expected.Diff(*got), "");
  auto shared = (*fresh)->CommandOk({"SELECT", "2"});
  ASSERT_TRUE(shared.ok());
  auto value = (*fresh)->CommandOk({"GET", "shared"});
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->str, "fresher");
}

}  // namespace
}  // namespace shardkit::testing
