// Faults at every I/O point, with the fault-injecting storage environment
// (tests/support/storage): EIO and ENOSPC on the n-th operation (any kind:
// open, read, write, fsync, rename, directory fsync) for n = 1, 2, ... until
// the run completes without reaching the fault, of
//  * a small in-process recovery (loader::Recover of a real redis-server
//    dump onto 3 nodes): the run fails with an error naming a path and the
//    operation, ENOSPC maps to kResourceExhausted, and no node directory is
//    published unless it is complete (equal to the fault-free output);
//  * the append writer with appendfsync always: once a fault fires, the
//    writer stays failed, and after a simulated crash (unsynced bytes and
//    unsynced creations dropped) every acknowledged append is in the file.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "loader/discovery.h"
#include "loader/recover.h"
#include "loader/recovery_plan.h"
#include "storage/append_writer.h"
#include "tests/reliability/corpus_files.h"
#include "tests/reliability/recovery_volume.h"
#include "tests/support/storage/fault_injection.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {
namespace {

using storage::testing::FaultInjectionEnv;
using storage::testing::FaultOp;

constexpr int kMaxFaultPoints = 5000;

bool NamesOperation(const std::string& msg) {
  for (const char* op : {"open", "read", "write", "fsync", "fdatasync", "rename", "sync", "create",
                         "mkdir", "link", "stat", "remove", "allocate"}) {
    if (msg.find(op) != std::string::npos) return true;
  }
  return false;
}

// Output entries that look published (node-K) must equal the reference.
void ExpectNoPartialNode(const std::string& out, const std::string& reference,
                         const std::string& what) {
  if (!fs::exists(out)) return;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("node-", 0) != 0) continue;
    EXPECT_TRUE(TreeContents(e.path().string()) == TreeContents(reference + "/" + name))
        << what << ": " << name << " published but not equal to the fault-free output";
  }
}

TEST(FaultInjection, EveryIoPointOfASmallRecovery) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  testing::TempDir dir("shardkit-fault-recover");
  const std::string vol = dir.File("vol");
  Status made = MakeRedisVolume(vol, 303);
  ASSERT_TRUE(made.ok()) << made.ToString();
  const auto source_before = TreeContents(vol);

  auto discovery = loader::Discover({vol}, loader::DiscoverOptions{});
  ASSERT_TRUE(discovery.ok()) << discovery.status().ToString();
  loader::PlanOptions plan_options;
  plan_options.node_count = 3;
  auto plan = loader::BuildRecoveryPlan(*discovery, plan_options, 0);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();

  loader::RecoverOptions options;
  options.other_db_policy = loader::OtherDbPolicy::kDrop;
  options.threads = 1;
  options.out_dir = dir.File("reference");
  auto reference = loader::Recover(*plan, options);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();

  uint64_t faults = 0;
  for (int errno_value : {EIO, ENOSPC}) {
    bool completed = false;
    for (int n = 1; n <= kMaxFaultPoints && !completed; ++n) {
      const std::string what = "fault point " + std::to_string(n) + " errno " +
                               std::to_string(errno_value);
      SCOPED_TRACE(what);
      FaultInjectionEnv env(static_cast<uint64_t>(n));
      env.FailNth(FaultOp::kAny, static_cast<uint64_t>(n), errno_value);
      options.io.environment = &env;
      options.out_dir = dir.File("out");
      auto report = loader::Recover(*plan, options);
      if (!env.fault_fired()) {
        ASSERT_TRUE(report.ok()) << report.status().ToString();
        ExpectNoPartialNode(options.out_dir, dir.File("reference"), what);
        EXPECT_GT(n, 10);
        completed = true;
        fs::remove_all(options.out_dir);
        break;
      }
      ++faults;
      ASSERT_FALSE(report.ok()) << "fault swallowed";
      const std::string msg = report.status().ToString();
      EXPECT_NE(msg.find('/'), std::string::npos) << "no path named: " << msg;
      EXPECT_TRUE(NamesOperation(msg)) << "no operation named: " << msg;
      if (errno_value == ENOSPC) {
        EXPECT_EQ(report.status().code(), StatusCode::kResourceExhausted) << msg;
      } else {
        EXPECT_EQ(report.status().code(), StatusCode::kIoError) << msg;
      }
      ExpectNoPartialNode(options.out_dir, dir.File("reference"), what);
      if (HasFailure()) return;
      fs::remove_all(options.out_dir);
    }
    EXPECT_TRUE(completed);
  }
  EXPECT_TRUE(TreeContents(vol) == source_before) << "the source volume changed";
  RecordFigure("faults_recover", faults);

  // A rerun over a complete output, failed at every I/O point: the complete
  // nodes are never removed or changed, and the fault is reported as itself
  // (not as "no longer matches its marker").
  uint64_t rerun_faults = 0;
  options.io.environment = nullptr;
  options.out_dir = dir.File("complete");
  ASSERT_TRUE(loader::Recover(*plan, options).ok());
  const auto complete = TreeContents(options.out_dir);
  for (int n = 1; n <= kMaxFaultPoints; ++n) {
    SCOPED_TRACE("rerun fault point " + std::to_string(n));
    FaultInjectionEnv env(static_cast<uint64_t>(n));
    env.FailNth(FaultOp::kAny, static_cast<uint64_t>(n), n % 2 == 0 ? ENOSPC : EIO);
    options.io.environment = &env;
    auto report = loader::Recover(*plan, options);
    EXPECT_TRUE(TreeContents(options.out_dir) == complete) << "a complete node was changed";
    if (!env.fault_fired()) {
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      break;
    }
    ++rerun_faults;
    ASSERT_FALSE(report.ok()) << "fault swallowed";
    const std::string msg = report.status().ToString();
    EXPECT_EQ(report.status().code(),
              n % 2 == 0 ? StatusCode::kResourceExhausted : StatusCode::kIoError)
        << msg;
    EXPECT_NE(msg.find('/'), std::string::npos) << "no path named: " << msg;
    if (HasFailure()) return;
  }
  RecordFigure("faults_recover_rerun", rerun_faults);
}

TEST(FaultInjection, AppendAlwaysLosesNoAcknowledgedAppend) {
  testing::TempDir dir("shardkit-fault-append");
  uint64_t faults = 0;
  for (int errno_value : {EIO, ENOSPC}) {
    bool completed = false;
    for (int n = 1; n <= kMaxFaultPoints && !completed; ++n) {
      SCOPED_TRACE("fault point " + std::to_string(n) + " errno " + std::to_string(errno_value));
      const std::string path = dir.File("appendonly-" + std::to_string(errno_value) + "-" +
                                        std::to_string(n) + ".aof");
      FaultInjectionEnv env(static_cast<uint64_t>(n));
      env.FailNth(FaultOp::kAny, static_cast<uint64_t>(n), errno_value);
      storage::AppendWriterOptions options;
      options.policy = storage::FsyncPolicy::kAlways;
      options.io.environment = &env;
      std::string acknowledged;
      Status first_error;
      auto writer = storage::AppendWriter::Open(path, options);
      if (writer.ok()) {
        for (int i = 0; i < 40; ++i) {
          const std::string record = "*2\r\n$4\r\nINCR\r\n$" + std::to_string(4 + i / 10) +
                                     "\r\nkey" + std::to_string(i) + "\r\n";
          Status s = (*writer)->Append(AsBytes(record));
          if (!s.ok()) {
            first_error = s;
            // Sticky: nothing is acknowledged after a failure.
            EXPECT_FALSE((*writer)->Append(AsBytes(record)).ok());
            break;
          }
          acknowledged += record;
        }
        Status closed = (*writer)->Close();
        if (first_error.ok()) first_error = closed;
        writer->reset();
      } else {
        first_error = writer.status();
      }
      if (!env.fault_fired()) {
        ASSERT_TRUE(first_error.ok()) << first_error.ToString();
        EXPECT_EQ(testing::ReadFileOrDie(path), acknowledged);
        completed = true;
        break;
      }
      ++faults;
      ASSERT_FALSE(first_error.ok()) << "fault swallowed";
      const std::string msg = first_error.ToString();
      // The file, or its directory when the fault hit the directory fsync.
      EXPECT_NE(msg.find(dir.path()), std::string::npos) << msg;
      EXPECT_TRUE(NamesOperation(msg)) << msg;
      ASSERT_TRUE(env.SimulateCrash().ok());
      const std::string survived = fs::exists(path) ? testing::ReadFileOrDie(path) : "";
      EXPECT_EQ(survived.substr(0, acknowledged.size()), acknowledged)
          << "an acknowledged append was lost (" << acknowledged.size() << " bytes acknowledged, "
          << survived.size() << " survived)";
    }
    EXPECT_TRUE(completed);
  }
  RecordFigure("faults_append_always", faults);
}

}  // namespace
}  // namespace shardkit::reliability
