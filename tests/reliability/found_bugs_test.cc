// Focused regression tests for bugs the fuzzers and the matrix found (the raw
// inputs are also replayed by fuzz_regressions_test.cc). One test per bug,
// named after what must hold.
#include <gtest/gtest.h>

#include <unistd.h>

#include <ctime>
#include <string>

#include "formats/aof/aof_manifest.h"
#include "tests/reliability/child_process.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {
namespace {

namespace aof = formats::aof;

// fuzz_aof_manifest: a name of ~300 non-printable bytes fits a 1024-byte
// line raw but not quoted (\xHH each), so the manifest FormatAofManifest
// wrote back did not parse. Such names are now refused when read.
TEST(FoundBugs, ManifestNameTooLongToWriteBackIsRefused) {
  const std::string name = "a" + std::string(300, '\xf7') + ".aof";
  const std::string text = "file " + name + " seq 1 type i\n";
  ASSERT_LT(text.size(), aof::kManifestMaxLineBytes);
  auto parsed = aof::ParseAofManifest(text, "appendonly.aof.manifest");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().ToString().find("file name too long"), std::string::npos)
      << parsed.status().ToString();

  // The longest acceptable odd name still round-trips.
  const std::string ok_name = "b" + std::string(200, '\xf7') + ".aof";
  auto ok = aof::ParseAofManifest("file " + ok_name + " seq 1 type i\n", "m");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  auto again = aof::ParseAofManifest(aof::FormatAofManifest(*ok), "m2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->incr.at(0).name, ok_name);
}

// Open (found by the CLI sample; tools/cmd_repair.cc was being changed by
// its owner, so not fixed here): `repair x.rdb` on an empty file says
// "sound ... copied" (exit 0) while `verify x.rdb` says "empty file"
// (exit 1). Enable once repair and verify agree.
TEST(FoundBugs, DISABLED_RepairAndVerifyAgreeOnAnEmptyRdb) {
  testing::TempDir dir("shardkit-empty-rdb");
  const std::string path = dir.File("dump.rdb");
  testing::WriteFileOrDie(path, "");
  ChildResult verify = RunLimited({testing::ShardkitBinary(), "verify", path}, ChildLimits{});
  ChildResult repair = RunLimited(
      {testing::ShardkitBinary(), "repair", path, "--out", dir.File("out.rdb")}, ChildLimits{});
  EXPECT_EQ(verify.exit_code == 0, repair.exit_code == 0) << verify.output << repair.output;
}

// Open (found by CrashConsistency.KillNineDuringRepairInPlace; not fixed here
// for the same reason): `repair --in-place` names its backup
// "<name>.orig-<unix seconds>"; when a run killed after making the backup is
// rerun within the same second, link() fails with EEXIST and the rerun exits
// 2 ("link ...: File exists"). A backup that is already the same inode could
// be accepted. Enable once fixed.
TEST(FoundBugs, DISABLED_RepairInPlaceRerunAfterABackupOfTheSameSecond) {
  testing::TempDir dir("shardkit-backup-collision");
  const std::string path = dir.File("appendonly.aof");
  testing::WriteFileOrDie(path, "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI");
  const int64_t now = static_cast<int64_t>(time(nullptr));
  for (int64_t s = now; s <= now + 2; ++s) {
    ASSERT_EQ(::link(path.c_str(), (path + ".orig-" + std::to_string(s)).c_str()), 0);
  }
  ChildResult r = RunLimited({testing::ShardkitBinary(), "repair", "--in-place", path},
                             ChildLimits{});
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

}  // namespace
}  // namespace shardkit::reliability
