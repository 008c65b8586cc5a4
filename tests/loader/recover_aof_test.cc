// Recovery from append-only logs, against a real redis-server 7.0:
//   * a multi-part appendonlydir/ whose base is an RDB preamble (made by a
//     rewrite) and whose incr file holds later writes, a MULTI/EXEC block,
//     expiries, deletes, MSET/DEL whose keys go to different nodes, and a
//     write to another db (the FLUSHALL case is in
//     recover_cluster_test.cc);
//   * the same log as one legacy appendonly.aof (base bytes + incr bytes, the
//     shape Redis 6 wrote with aof-use-rdb-preamble yes).
// Each is recovered onto two nodes; each node's output is loaded by a fresh
// redis-server (appendonly yes) and the union of db 0 must equal the source
// server's db 0 key by key (DEBUG DIGEST-VALUE, PEXPIRETIME).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// Polls INFO until the rewrite is done, for at most 60 s (a count of polls
// was too short on a loaded 2-core machine: the fork alone can take longer).
Status WaitRewriteDone(RedisServer& s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = s.CommandOk({"INFO", "persistence"});
    if (!info.ok()) return info.status();
    if (info->str.find("aof_rewrite_in_progress:0") != std::string::npos &&
        info->str.find("aof_rewrite_scheduled:0") != std::string::npos) {
      return Status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::IoError("BGREWRITEAOF did not finish within 60 s");
}

class RecoverAofTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    RedisServerOptions opt;
    opt.config = {{"appendonly", "yes"},
                  {"appendfsync", "always"},
                  {"aof-use-rdb-preamble", "yes"},
                  {"aof-timestamp-enabled", "yes"}};
    auto server = RedisServer::Start(opt);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    RedisServer& s = **server;
    DatasetOptions data;
    data.keys = static_cast<size_t>(std::max(400.0, 2000 * TestScale()));
    ASSERT_TRUE(FillDataset(s.client(), data).ok());
    // The rewrite turns everything so far into the RDB base...
    ASSERT_TRUE(s.CommandOk({"BGREWRITEAOF"}).ok());
    Status rewritten = WaitRewriteDone(s);
    ASSERT_TRUE(rewritten.ok()) << rewritten.ToString();
    // ...and what follows goes to the new incr file.
    RedisClient& c = s.client();
    ASSERT_TRUE(c.Command({"MULTI"}).ok());
    ASSERT_TRUE(c.Command({"SET", "tx:a", "1"}).ok());
    ASSERT_TRUE(c.Command({"INCRBY", "tx:a", "41"}).ok());
    ASSERT_TRUE(c.Command({"LPUSH", "tx:{l}", "x", "y"}).ok());
    auto exec = c.Command({"EXEC"});
    ASSERT_TRUE(exec.ok() && !exec->is_error());
    for (int i = 0; i < 300; ++i) {
      const std::string k = "late:" + std::to_string(i);
      ASSERT_TRUE(s.CommandOk({"SET", k, std::to_string(i * 7)}).ok());
      if (i % 3 == 0) {
        ASSERT_TRUE(s.CommandOk({"EXPIRE", k, "86400"}).ok());
      }
      if (i % 5 == 0) {
        ASSERT_TRUE(s.CommandOk({"HSET", "late:h", k, "v"}).ok());
      }
    }
    ASSERT_TRUE(s.CommandOk({"DEL", "late:0", "late:1"}).ok());
    // Multi-key commands whose keys land on different new nodes: each node
    // gets its part (a standalone source can log these; a cluster cannot).
    std::vector<std::string> mset = {"MSET"}, del = {"DEL"};
    for (int i = 0; i < 40; ++i) {
      mset.push_back("multi:" + std::to_string(i));
      mset.push_back("v" + std::to_string(i));
      if (i % 3 == 0) del.push_back("multi:" + std::to_string(i));
    }
    ASSERT_TRUE(s.CommandOk(mset).ok());
    ASSERT_TRUE(s.CommandOk(del).ok());
    ASSERT_TRUE(s.CommandOk({"SELECT", "3"}).ok());
    ASSERT_TRUE(s.CommandOk({"SET", "db3:key", "other db"}).ok());
    ASSERT_TRUE(s.CommandOk({"SELECT", "0"}).ok());
    auto snap = KeyspaceSnapshot::Capture(s.client(), 1);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    expected_ = new KeyspaceSnapshot(std::move(*snap));
    s.Kill9();
    // Keep the server's files: the server object owns and removes its dir.
    volume_ = new TempDir("shardkit-aof-volume");
    fs::create_directories(volume_->File("multi"));
    fs::copy(s.dir() + "/appendonlydir", volume_->File("multi/appendonlydir"),
             fs::copy_options::recursive);
    WriteFileOrDie(volume_->File("multi/redis.conf"), "appendonly yes\n");
    // The legacy single file: the base (an RDB) followed by the incr commands.
    std::string base, incr;
    for (const auto& e : fs::directory_iterator(s.dir() + "/appendonlydir")) {
      const std::string name = e.path().filename().string();
      if (name.find(".base.rdb") != std::string::npos) base = ReadFileOrDie(e.path().string());
      if (name.find(".incr.aof") != std::string::npos) incr += ReadFileOrDie(e.path().string());
    }
    ASSERT_EQ(base.compare(0, 5, "REDIS"), 0);
    ASSERT_NE(incr.find("MULTI"), std::string::npos);
    fs::create_directories(volume_->File("legacy"));
    WriteFileOrDie(volume_->File("legacy/appendonly.aof"), base + incr);
    WriteFileOrDie(volume_->File("legacy/redis.conf"), "appendonly yes\n");
  }
  static void TearDownTestSuite() {
    delete expected_;
    delete volume_;
    expected_ = nullptr;
    volume_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(expected_, nullptr);
  }

  // discover + plan + recover `volume` onto two nodes; load each in a fresh
  // server; the union of their db 0 must equal the source's.
  void RecoverAndCompare(const std::string& volume, const std::string& kind) {
    auto disc = Shardkit({"discover", volume});
    ASSERT_TRUE(disc.ok());
    ASSERT_EQ(disc->exit_code, 0) << disc->output;
    EXPECT_NE(disc->output.find(kind + " of standalone"), std::string::npos) << disc->output;
    EXPECT_NE(disc->output.find(" log commands"), std::string::npos) << disc->output;
    TempDir work("shardkit-aof-recover");
    auto plan = Shardkit({"plan", "--nodes", "2", "--out", work.File("plan.json"), volume});
    ASSERT_TRUE(plan.ok());
    ASSERT_EQ(plan->exit_code, 0) << plan->output;
    auto refused = Shardkit({"recover", "--plan", work.File("plan.json"), "--out",
                             work.File("refused")});
    ASSERT_TRUE(refused.ok());
    EXPECT_NE(refused->exit_code, 0) << "db 3 data must not pass silently";
    EXPECT_NE(refused->output.find("a cluster has only db 0"), std::string::npos)
        << refused->output;
    auto rec = Shardkit({"recover", "--plan", work.File("plan.json"), "--out", work.File("out"),
                         "--other-dbs", "drop", "--json"});
    ASSERT_TRUE(rec.ok());
    ASSERT_EQ(rec->exit_code, 0) << rec->output;
    EXPECT_NE(rec->output.find("\"layout\": \"appendonlydir\""), std::string::npos)
        << rec->output;
    // One standalone source owns every key it holds: nothing is another
    // source's to drop (its MSET/DEL keys reach slots no base key is in).
    EXPECT_NE(rec->output.find("\"commands_non_owner_dropped\": 0"), std::string::npos)
        << rec->output;
    KeyspaceSnapshot got;
    for (int k = 0; k < 2; ++k) {
      const std::string node = work.File("out/node-" + std::to_string(k));
      auto check = RunProcess({FindRedisBinary("redis-check-aof"),
                               node + "/appendonlydir/appendonly.aof.manifest"});
      ASSERT_TRUE(check.ok());
      EXPECT_EQ(check->exit_code, 0) << check->output;
      const std::string incr =
          ReadFileOrDie(node + "/appendonlydir/appendonly.aof.1.incr.aof");
      EXPECT_EQ(incr.find("SELECT\r\n$1\r\n3"), std::string::npos)
          << "a cluster node's log must stay in db 0";
      RedisServerOptions opt;
      opt.dir = work.File("live-" + std::to_string(k));
      fs::copy(node, opt.dir, fs::copy_options::recursive);
      opt.config = {{"appendonly", "yes"}};
      auto server = RedisServer::Start(opt);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      auto part = KeyspaceSnapshot::Capture((*server)->client(), 1);
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      ASSERT_GT(part->KeyCount(), 0u) << "node " << k << " got nothing";
      for (const auto& [key, state] : part->dbs[0]) {
        EXPECT_EQ(got.dbs[0].count(key), 0u) << key << " on two nodes";
        got.dbs[0][key] = state;
      }
      got.functions = part->functions;
    }
    got.dbsize[0] = static_cast<int64_t>(got.dbs[0].size());
    EXPECT_EQ(expected_->Diff(got), "");
    EXPECT_EQ(got.KeyCount(), expected_->KeyCount());
    EXPECT_EQ(got.dbs[0].count("late:1"), 0u);
    EXPECT_EQ(got.dbs[0].count("multi:3"), 0u);
    EXPECT_EQ(got.dbs[0].count("multi:4"), 1u);
    EXPECT_EQ(got.dbs[0].count("tx:a"), 1u);
  }

  static KeyspaceSnapshot* expected_;
  static TempDir* volume_;
};

KeyspaceSnapshot* RecoverAofTest::expected_ = nullptr;
TempDir* RecoverAofTest::volume_ = nullptr;

TEST_F(RecoverAofTest, MultiPartLogOntoTwoNodes) {
  RecoverAndCompare(volume_->File("multi"), "aof-multipart");
}

TEST_F(RecoverAofTest, LegacyPreambleLogOntoTwoNodes) {
  RecoverAndCompare(volume_->File("legacy"), "aof-legacy");
}

}  // namespace
}  // namespace shardkit::testing
