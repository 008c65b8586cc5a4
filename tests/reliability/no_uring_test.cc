// io_uring blocked for real: the tests/no_uring launcher's seccomp filter
// makes io_uring_setup fail with EPERM, and shardkit, run under it, falls
// back to pread and still verifies a file. The first test also reports which
// backend this test process itself gets (scripts/test.sh runs the Release
// suite under the launcher, so its log says "pread (io_uring: ...EPERM...)").
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/io_options.h"
#include "tests/reliability/child_process.h"
#include "tests/reliability/corpus_files.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {
namespace {

std::string Launcher() {
  return (std::filesystem::path(testing::ShardkitBinary()).parent_path() / "tests" /
          "no_uring_exec")
      .string();
}

TEST(NoUring, ReportsTheBackendOfThisRun) {
  std::string why;
  const storage::IoBackendKind kind = storage::ResolveIoBackend(storage::IoBackendKind::kAuto, &why);
  const bool launched = std::getenv("SHARDKIT_NO_URING") != nullptr;
  std::printf("io backend for this run: %s%s%s\n",
              std::string(storage::IoBackendName(kind)).c_str(), why.empty() ? "" : " (",
              why.empty() ? "" : (why + ")").c_str());
  RecordFigure(std::string("backend_") + std::string(storage::IoBackendName(kind)), 1);
  if (launched) {
    EXPECT_EQ(kind, storage::IoBackendKind::kPread) << "under no_uring_exec, yet: " << why;
    EXPECT_NE(why.find("Operation not permitted"), std::string::npos) << why;
  }
}

TEST(NoUring, LauncherDeniesIoUringSetup) {
  ChildResult r = RunLimited({Launcher(), "--self-test"}, ChildLimits{});
  ASSERT_TRUE(r.exited) << r.Describe() << "\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Operation not permitted"), std::string::npos) << r.output;
}

TEST(NoUring, ShardkitFallsBackToPreadUnderTheLauncher) {
  const std::string rdb = testing::CorpusDir() + "/redis__redis/encodings.rdb";
  ChildLimits limits;
  limits.memory_mib = kAsanBuild ? 4096 : 1024;
  ChildResult r = RunLimited({Launcher(), testing::ShardkitBinary(), "verify", "--deep", rdb},
                             limits);
  ASSERT_TRUE(r.exited) << r.Describe() << "\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(NoUring, ForcingIoUringUnderTheLauncherFailsNamingTheCause) {
  const std::string rdb = testing::CorpusDir() + "/redis__redis/encodings.rdb";
  ChildLimits limits;
  limits.memory_mib = kAsanBuild ? 4096 : 1024;
  ChildResult r = RunLimited({Launcher(), "/usr/bin/env", "SHARDKIT_IO_BACKEND=uring",
                              testing::ShardkitBinary(), "verify", rdb},
                             limits);
  ASSERT_TRUE(r.exited) << r.Describe() << "\n" << r.output;
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("io_uring"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace shardkit::reliability
