#include "storage/append_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/storage/storage_test_util.h"
#include "tests/support/storage/fault_injection.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::storage::testing::FaultInjectionEnv;
using shardkit::storage::testing::FaultOp;
using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

class AppendWriterTest : public ::testing::TestWithParam<IoBackendKind> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam()); }
  AppendWriterOptions Options(FsyncPolicy policy, IoEnvironment* env = nullptr,
                              SyncTicker* ticker = nullptr) const {
    AppendWriterOptions o;
    o.policy = policy;
    o.io.backend = GetParam();
    o.io.environment = env;
    o.ticker = ticker;
    return o;
  }
};

TEST_P(AppendWriterTest, ParsesRedisPolicyNames) {
  for (FsyncPolicy p : {FsyncPolicy::kAlways, FsyncPolicy::kEverySec, FsyncPolicy::kNo}) {
    auto parsed = ParseFsyncPolicy(FsyncPolicyName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(ParseFsyncPolicy("sometimes").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(AppendWriterTest, AlwaysIsDurableWhenAppendReturns) {
  TempDir dir;
  auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kAlways));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append(AsBytes("*1\r\n$4\r\nPING\r\n")).ok());
  EXPECT_EQ((*w)->durable_bytes(), 14u);
  EXPECT_EQ((*w)->sync_count(), 1u);
  ASSERT_TRUE((*w)->Append(AsBytes("xy")).ok());
  EXPECT_EQ((*w)->durable_bytes(), 16u);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadFileOrDie(dir.File("a.aof")), "*1\r\n$4\r\nPING\r\nxy");
}

TEST_P(AppendWriterTest, AppendsAfterExistingBytes) {
  TempDir dir;
  WriteFileOrDie(dir.File("a.aof"), "old|");
  auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kNo));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size_bytes(), 4u);
  ASSERT_TRUE((*w)->Append(AsBytes("new")).ok());
  EXPECT_EQ((*w)->sync_count(), 0u);  // `no` never syncs on its own
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadFileOrDie(dir.File("a.aof")), "old|new");
}

TEST_P(AppendWriterTest, EverySecSyncsOnEachTick) {
  TempDir dir;
  ManualSyncTicker ticker;
  auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kEverySec, nullptr, &ticker));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(AsBytes("hello")).ok());
  EXPECT_EQ((*w)->durable_bytes(), 0u);  // not synced until the tick
  ASSERT_TRUE(ticker.Tick());
  EXPECT_EQ((*w)->durable_bytes(), 5u);
  EXPECT_EQ((*w)->sync_count(), 1u);
  ASSERT_TRUE(ticker.Tick());  // nothing new: no second fdatasync
  EXPECT_EQ((*w)->sync_count(), 1u);
  ASSERT_TRUE((*w)->Append(AsBytes("!")).ok());
  ASSERT_TRUE(ticker.Tick());
  EXPECT_EQ((*w)->durable_bytes(), 6u);
  EXPECT_EQ((*w)->sync_count(), 2u);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE(ticker.Tick(std::chrono::milliseconds(1)));  // stopped by Close
}

TEST_P(AppendWriterTest, EverySecLosesOnlyTheUnsyncedTailInACrash) {
  TempDir dir;
  FaultInjectionEnv env(7);
  ManualSyncTicker ticker;
  {
    auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kEverySec, &env, &ticker));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(AsBytes("synced;")).ok());
    ASSERT_TRUE(ticker.Tick());
    ASSERT_TRUE((*w)->Append(AsBytes("lost")).ok());
    // Crash before the next tick: abandon the writer without Close's sync.
    ticker.Stop();
    ASSERT_TRUE(env.SimulateCrash().ok());
    env.FailNth(FaultOp::kSync, 1, EIO);  // Close's final sync must not rescue the data
  }
  EXPECT_EQ(ReadFileOrDie(dir.File("a.aof")), "synced;");
}

TEST_P(AppendWriterTest, GroupCommitKeepsEveryAcknowledgedAppendThroughACrash) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  TempDir dir;
  FaultInjectionEnv env(11);
  std::vector<std::vector<std::string>> acked(kThreads);
  uint64_t syncs = 0;
  {
    auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kAlways, &env));
    ASSERT_TRUE(w.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string rec = "<" + std::to_string(t) + ":" + std::to_string(i) + ">";
          if ((*w)->Append(AsBytes(rec)).ok()) acked[t].push_back(rec);
        }
      });
    }
    for (auto& th : threads) th.join();
    syncs = (*w)->sync_count();
    // A record that was never acknowledged: written but its sync fails.
    env.FailNth(FaultOp::kSync, 1, EIO);
    Status s = (*w)->Append(AsBytes("<unacked>"));
    EXPECT_EQ(s.errno_value(), EIO);
    ASSERT_TRUE(env.SimulateCrash().ok());
  }
  std::string after = ReadFileOrDie(dir.File("a.aof"));
  size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(acked[t].size(), static_cast<size_t>(kPerThread));
    size_t pos = 0;
    for (const std::string& rec : acked[t]) {
      size_t at = after.find(rec);
      ASSERT_NE(at, std::string::npos) << rec << " acknowledged but lost";
      EXPECT_GE(at, pos) << rec << " out of order within its thread";
      pos = at;
      total += rec.size();
    }
  }
  EXPECT_EQ(after.size(), total);  // no torn or duplicated record, nothing unacked
  EXPECT_EQ(after.find("<unacked>"), std::string::npos);
  std::printf("group commit: %d appends, %llu fdatasyncs\n", kThreads * kPerThread,
              static_cast<unsigned long long>(syncs));
}

TEST_P(AppendWriterTest, FailedSyncIsStickyAndNeverReportedDurable) {
  TempDir dir;
  FaultInjectionEnv env(3);
  auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kAlways, &env));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(AsBytes("one")).ok());
  env.FailNth(FaultOp::kSync, 1, EIO);
  Status s = (*w)->Append(AsBytes("two"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsIoError());
  EXPECT_NE(s.message().find("fdatasync " + dir.File("a.aof")), std::string::npos) << s.ToString();
  EXPECT_EQ((*w)->durable_bytes(), 3u);
  // The fault is gone, but the writer stays failed.
  Status again = (*w)->Append(AsBytes("three"));
  EXPECT_EQ(again.ToString(), s.ToString());
  EXPECT_EQ((*w)->Sync().ToString(), s.ToString());
  EXPECT_EQ((*w)->durable_bytes(), 3u);
}

TEST_P(AppendWriterTest, WriteErrorsNameFileOperationAndOffset) {
  TempDir dir;
  FaultInjectionEnv env(5);
  auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kNo, &env));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(AsBytes("12345")).ok());
  env.FailNth(FaultOp::kWrite, 1, ENOSPC);
  Status s = (*w)->Append(AsBytes("x"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("write " + dir.File("a.aof") + " at offset 5"), std::string::npos)
      << s.ToString();
}

TEST_P(AppendWriterTest, ShortWritesAreContinued) {
  TempDir dir;
  FaultInjectionEnv env(99);
  env.SetShortWriteProbability(0.7);
  std::string expect;
  {
    auto w = AppendWriter::Open(dir.File("a.aof"), Options(FsyncPolicy::kAlways, &env));
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 200; ++i) {
      std::string rec = PatternBytes(1 + i * 37, i);
      ASSERT_TRUE((*w)->Append(AsBytes(rec)).ok());
      expect += rec;
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  EXPECT_TRUE(ReadFileOrDie(dir.File("a.aof")) == expect);
}

TEST_P(AppendWriterTest, NewFileNameSurvivesACrash) {
  TempDir dir;
  FaultInjectionEnv env(1);
  {
    auto w = AppendWriter::Open(dir.File("new.aof"), Options(FsyncPolicy::kAlways, &env));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(AsBytes("abc")).ok());
  }
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_EQ(ReadFileOrDie(dir.File("new.aof")), "abc");
}

// Every I/O point of an `always` writer's life (open, directory fsync,
// each write and fdatasync) failed once, with EIO and with ENOSPC: the
// error names the file and the operation, the writer stays failed, and
// after a crash the file holds exactly the acknowledged appends.
TEST_P(AppendWriterTest, FaultAtEveryPointKeepsExactlyTheAcknowledgedAppends) {
  constexpr int kRecords = 6;
  for (int errno_value : {EIO, ENOSPC}) {
    bool clean_run = false;
    for (int n = 1; n <= 100 && !clean_run; ++n) {
      SCOPED_TRACE("fault point " + std::to_string(n) + " errno " + std::to_string(errno_value));
      TempDir dir;
      const std::string path = dir.File("a.aof");
      FaultInjectionEnv env(static_cast<uint64_t>(n));
      env.FailNth(FaultOp::kAny, static_cast<uint64_t>(n), errno_value);
      std::string acked;
      Status failure;
      {
        auto w = AppendWriter::Open(path, Options(FsyncPolicy::kAlways, &env));
        if (!w.ok()) {
          failure = w.status();
        } else {
          for (int i = 0; i < kRecords; ++i) {
            std::string rec = "<record " + std::to_string(i) + ">";
            Status s = (*w)->Append(AsBytes(rec));
            if (s.ok()) {
              ASSERT_TRUE(failure.ok()) << "an append succeeded after a failure";
              acked += rec;
            } else if (failure.ok()) {
              failure = s;
            } else {
              EXPECT_EQ(s.ToString(), failure.ToString());  // sticky
            }
          }
          Status closed = (*w)->Close();
          if (failure.ok()) failure = closed;
        }
      }
      if (!env.fault_fired()) {
        ASSERT_TRUE(failure.ok()) << failure.ToString();
        clean_run = true;
      } else {
        ASSERT_FALSE(failure.ok()) << "fault swallowed";
        EXPECT_EQ(failure.errno_value(), errno_value);
        const std::string msg(failure.message());
        EXPECT_NE(msg.find(dir.path()), std::string::npos) << msg;
        bool names_op = false;
        for (const char* op : {"open ", "fsync directory ", "write ", "fdatasync "}) {
          names_op = names_op || msg.rfind(op, 0) == 0;
        }
        EXPECT_TRUE(names_op) << msg;
      }
      ASSERT_TRUE(env.SimulateCrash().ok());
      std::string after = std::filesystem::exists(path) ? ReadFileOrDie(path) : "";
      EXPECT_EQ(after, acked);
    }
    EXPECT_TRUE(clean_run) << "the fault point loop never ran past the last I/O";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AppendWriterTest,
                         ::testing::Values(IoBackendKind::kUring, IoBackendKind::kPread),
                         [](const auto& p) { return std::string(IoBackendName(p.param)); });

}  // namespace
}  // namespace shardkit::storage
