// Crash consistency: `kill -9` of `shardkit recover` and of `shardkit repair
// --in-place` at random moments (spawn, wait a random number of
// microseconds within the measured run time, SIGKILL), seeded by
// SHARDKIT_TEST_SEED. After every kill:
//  * recover: every <out>/node-K is complete: its files equal, byte for
//    byte, those of an uninterrupted reference run (recover's output is
//    deterministic), marker included; anything else in <out> is a staging
//    directory (.node-K.tmp.<pid>); a rerun then finishes with exit 0 and
//    the reference output, and removes the staging leftovers;
//  * repair --in-place: the file's name holds either the original bytes or
//    the reference repaired bytes, a backup (.orig-*) holds the original
//    bytes, and a rerun finishes with the repaired bytes;
//  * the sources' bytes never change.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/reliability/child_process.h"
#include "tests/reliability/corpus_files.h"
#include "tests/reliability/recovery_volume.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {
namespace {

ChildLimits Generous() {
  ChildLimits limits;
  limits.memory_mib = kAsanBuild ? 4096 : 2048;
  limits.cpu_seconds = 120;
  limits.wall_seconds = 300;
  return limits;
}

ChildResult Shardkit(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {testing::ShardkitBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunLimited(argv, Generous());
}

// Runs argv, returns how long it took (microseconds), asserting exit 0.
uint64_t TimedRun(const std::vector<std::string>& args, ChildResult* result) {
  const auto start = std::chrono::steady_clock::now();
  *result = Shardkit(args);
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

uint64_t KillRounds(uint64_t release_rounds) {
  return std::max<uint64_t>(6, static_cast<uint64_t>(static_cast<double>(release_rounds) *
                                                       (kAsanBuild ? 0.25 : 1.0) *
                                                       (Scale() / (kAsanBuild ? 0.125 : 1.0))));
}

class CrashConsistency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::FindRedisBinary("redis-server").empty()) return;
    work_ = new testing::TempDir("shardkit-crash");
    Status made = MakeRedisVolume(work_->File("vol-a"), 101);
    if (made.ok()) made = MakeRedisVolume(work_->File("vol-b"), 202);
    if (!made.ok()) {
      setup_error_ = new std::string(made.ToString());
      return;
    }
  }
  static void TearDownTestSuite() {
    delete work_;
    work_ = nullptr;
    delete setup_error_;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }
  static testing::TempDir* work_;
  static std::string* setup_error_;
};
testing::TempDir* CrashConsistency::work_ = nullptr;
std::string* CrashConsistency::setup_error_ = nullptr;

// Checks <out> after a kill: node-K dirs equal the reference, the rest are
// staging directories. Returns the number of complete nodes.
int CheckRecoverOutput(const std::string& out, const std::string& reference,
                       const std::string& what) {
  int complete = 0;
  if (!fs::exists(out)) return 0;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".node-", 0) == 0 && name.find(".tmp.") != std::string::npos) continue;
    if (name.rfind("node-", 0) != 0) {
      ADD_FAILURE() << what << ": unexpected entry " << name << " in the output";
      continue;
    }
    EXPECT_TRUE(fs::exists(e.path() / "shardkit-node.txt")) << what << ": " << name
                                                            << " has no marker";
    EXPECT_TRUE(TreeContents(e.path().string()) == TreeContents(reference + "/" + name))
        << what << ": " << name << " differs from the reference run";
    ++complete;
  }
  return complete;
}

TEST_F(CrashConsistency, KillNineDuringRecover) {
  const std::string vol_a = work_->File("vol-a"), vol_b = work_->File("vol-b");
  const auto sources_before = TreeContents(vol_a);
  const auto sources_b_before = TreeContents(vol_b);
  testing::TempDir dir("shardkit-crash-recover");
  // Two unrelated databases whose keys share slots: merged on purpose.
  ChildResult r = Shardkit({"plan", "--nodes", "3", "--allow-missing-shards",
                            "--merge-standalone", "--out", dir.File("plan.json"), vol_a, vol_b});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> recover = {"recover", "--plan", dir.File("plan.json"),
                                            "--other-dbs", "drop", "--out"};
  auto with_out = [&](const std::string& out) {
    std::vector<std::string> a = recover;
    a.push_back(out);
    return a;
  };
  const uint64_t duration_us = TimedRun(with_out(dir.File("reference")), &r);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(CheckRecoverOutput(dir.File("reference"), dir.File("reference"), "reference"), 3);
  std::printf("reference recover took %llu us\n", static_cast<unsigned long long>(duration_us));

  std::mt19937_64 rng(TestSeed() ^ 0xc0ffee);
  const uint64_t rounds = KillRounds(40);
  uint64_t kills_landed = 0, partial_states = 0;
  const std::string out = dir.File("out");
  for (uint64_t i = 0; i < rounds; ++i) {
    // The reference run's time includes a cold start; most kills should land.
    // Half the kills anywhere in the first 3/4, half around the end (where
    // nodes are published).
    const uint64_t delay = i % 2 == 0 ? rng() % (duration_us * 3 / 4 + 1)
                                      : duration_us / 2 + rng() % (duration_us * 3 / 5 + 1);
    const std::string what = "kill after " + std::to_string(delay) + "us (round " +
                             std::to_string(i) + ", seed " + std::to_string(TestSeed()) + ")";
    ChildResult killed;
    std::vector<std::string> argv = with_out(out);
    argv.insert(argv.begin(), testing::ShardkitBinary());
    kills_landed += RunAndKill(argv, delay, &killed);
    if (killed.exited) {
      ASSERT_EQ(killed.exit_code, 0) << what << ": finished before the kill, but failed";
    }
    const int complete = CheckRecoverOutput(out, dir.File("reference"), what);
    partial_states += complete > 0 && complete < 3;
    if (HasFailure()) return;
    if (i % 4 == 3 || i + 1 == rounds) {
      // A rerun finishes what the killed runs left and cleans their staging.
      ChildResult rerun = Shardkit(with_out(out));
      ASSERT_EQ(rerun.exit_code, 0) << what << ": rerun failed\n" << rerun.output;
      ASSERT_EQ(CheckRecoverOutput(out, dir.File("reference"), what + ", rerun"), 3);
      for (const auto& e : fs::directory_iterator(out)) {
        EXPECT_EQ(e.path().filename().string().rfind("node-", 0), 0u)
            << what << ": rerun left " << e.path();
      }
      fs::remove_all(out);
    }
  }
  EXPECT_TRUE(TreeContents(vol_a) == sources_before) << "a source volume changed";
  EXPECT_TRUE(TreeContents(vol_b) == sources_b_before) << "a source volume changed";
  RecordFigure("crash_recover_kills", rounds);
  RecordFigure("crash_recover_kills_before_exit", kills_landed);
  RecordFigure("crash_recover_partial_states_seen", partial_states);
}

// A legacy AOF of ~2 MB with a torn last command, for repair --in-place.
std::string TornAof() {
  std::string aof;
  for (int i = 0; aof.size() < (kAsanBuild ? 512u << 10 : 2u << 20); ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::string value(100 + i % 200, static_cast<char>('a' + i % 26));
    aof += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
           std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  aof += "*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$100\r\nonly-part";
  return aof;
}

TEST_F(CrashConsistency, KillNineDuringRepairInPlace) {
  const std::string original = TornAof();
  testing::TempDir dir("shardkit-crash-repair");
  const std::string ref = dir.File("ref/appendonly.aof");
  fs::create_directories(dir.File("ref"));
  testing::WriteFileOrDie(ref, original);
  ChildResult r;
  const uint64_t duration_us = TimedRun({"repair", "--in-place", ref}, &r);
  ASSERT_EQ(r.exit_code, 1) << r.output;  // repaired: the torn command was dropped
  const std::string repaired = testing::ReadFileOrDie(ref);
  ASSERT_LT(repaired.size(), original.size());

  std::mt19937_64 rng(TestSeed() ^ 0xbadc0de);
  const uint64_t rounds = KillRounds(40);
  uint64_t kills_landed = 0, saw_original = 0, saw_repaired = 0;
  for (uint64_t i = 0; i < rounds; ++i) {
    const std::string vol = dir.File("run-" + std::to_string(i));
    fs::create_directories(vol);
    const std::string path = vol + "/appendonly.aof";
    testing::WriteFileOrDie(path, original);
    const uint64_t delay = rng() % (duration_us + duration_us / 5 + 1);
    const std::string what = "kill after " + std::to_string(delay) + "us (round " +
                             std::to_string(i) + ", seed " + std::to_string(TestSeed()) + ")";
    ChildResult killed;
    kills_landed += RunAndKill({testing::ShardkitBinary(), "repair", "--in-place", path}, delay,
                               &killed);
    if (killed.exited) {
      ASSERT_EQ(killed.exit_code, 1) << what << ": finished before the kill, not as a repair";
    }
    ASSERT_TRUE(fs::exists(path)) << what << ": the file's name is gone";
    const std::string now = testing::ReadFileOrDie(path);
    ASSERT_TRUE(now == original || now == repaired)
        << what << ": the file holds neither the original nor the repaired bytes (" << now.size()
        << " bytes)";
    saw_original += now == original;
    saw_repaired += now == repaired;
    for (const auto& e : fs::directory_iterator(vol)) {
      const std::string name = e.path().filename().string();
      if (name.find(".orig-") != std::string::npos) {
        EXPECT_EQ(testing::ReadFileOrDie(e.path().string()), original)
            << what << ": backup " << name << " is not the original";
      }
    }
    ChildResult rerun = Shardkit({"repair", "--in-place", path});
    ASSERT_TRUE(rerun.exit_code == 0 || rerun.exit_code == 1) << what << "\n" << rerun.output;
    ASSERT_EQ(testing::ReadFileOrDie(path), repaired) << what << ": rerun did not finish";
    ChildResult verify = Shardkit({"verify", path});
    ASSERT_EQ(verify.exit_code, 0) << what << "\n" << verify.output;
    fs::remove_all(vol);
  }
  RecordFigure("crash_repair_kills", rounds);
  RecordFigure("crash_repair_kills_before_exit", kills_landed);
  RecordFigure("crash_repair_left_original", saw_original);
  RecordFigure("crash_repair_left_repaired", saw_repaired);
}

}  // namespace
}  // namespace shardkit::reliability
