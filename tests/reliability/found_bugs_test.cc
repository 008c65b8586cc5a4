// Focused regression tests for bugs the fuzzers and the matrix found (the raw
// inputs are also replayed by fuzz_regressions_test.cc). One test per bug,
// named after what must hold.
#include <gtest/gtest.h>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

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

// Found by the CLI sample: `repair x.rdb` on an empty file said "sound ...
// copied" (exit 0) while `verify x.rdb` said "empty file" (exit 1). An empty
// file is not a sound RDB: both exit 1, and repair writes nothing.
TEST(FoundBugs, RepairAndVerifyAgreeOnAnEmptyRdb) {
  testing::TempDir dir("shardkit-empty-rdb");
  const std::string path = dir.File("dump.rdb");
  testing::WriteFileOrDie(path, "");
  ChildResult verify = RunLimited({testing::ShardkitBinary(), "verify", path}, ChildLimits{});
  ChildResult repair = RunLimited(
      {testing::ShardkitBinary(), "repair", path, "--out", dir.File("out.rdb")}, ChildLimits{});
  EXPECT_EQ(verify.exit_code, 1) << verify.output;
  EXPECT_EQ(repair.exit_code, 1) << repair.output;
  EXPECT_NE(repair.output.find("empty file"), std::string::npos) << repair.output;
  ChildResult in_place =
      RunLimited({testing::ShardkitBinary(), "repair", "--in-place", path}, ChildLimits{});
  EXPECT_EQ(in_place.exit_code, 1) << in_place.output;
  // Nothing written: no output, no backup, no temporary.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

// Found by CrashConsistency.KillNineDuringRepairInPlace: `repair --in-place`
// named its backup "<name>.orig-<unix seconds>"; a run killed after making
// the backup and rerun within the same second failed with EEXIST (exit 2).
// A taken name is never replaced: a link to the original itself is reused,
// any other file makes the rerun try "<name>.orig-<seconds>.1", ".2", ...
TEST(FoundBugs, RepairInPlaceRerunAfterABackupOfTheSameSecond) {
  testing::TempDir dir("shardkit-backup-collision");
  const std::string path = dir.File("appendonly.aof");
  const std::string original = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
  testing::WriteFileOrDie(path, original);
  const int64_t now = static_cast<int64_t>(time(nullptr));
  // Backups a killed run left: links to the original for this second and the next two.
  for (int64_t s = now; s <= now + 2; ++s) {
    ASSERT_EQ(::link(path.c_str(), (path + ".orig-" + std::to_string(s)).c_str()), 0);
  }
  ChildResult r = RunLimited({testing::ShardkitBinary(), "repair", "--in-place", path},
                             ChildLimits{});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(testing::ReadFileOrDie(path), "*1\r\n$4\r\nPING\r\n");
  // Every backup holds the original; none got a suffix (a second after
  // now + 2 gets a fresh, unsuffixed link).
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = e.path().filename().string();
    if (name == "appendonly.aof") continue;
    EXPECT_EQ(testing::ReadFileOrDie(e.path().string()), original) << name;
    EXPECT_EQ(name.find('.', name.find(".orig-") + 1), std::string::npos)
        << name << ": an existing link to the original is the backup";
  }
}

// A backup name taken by another file is never replaced: the next suffix is used.
TEST(FoundBugs, RepairInPlaceNeverReplacesAnotherFileUnderTheBackupName) {
  testing::TempDir dir("shardkit-backup-taken");
  const std::string path = dir.File("appendonly.aof");
  const std::string original = "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
  testing::WriteFileOrDie(path, original);
  const int64_t now = static_cast<int64_t>(time(nullptr));
  for (int64_t s = now; s <= now + 2; ++s) {
    const std::string name = path + ".orig-" + std::to_string(s);
    testing::WriteFileOrDie(name, "older backup " + std::to_string(s));
    testing::WriteFileOrDie(name + ".1", "older backup .1 " + std::to_string(s));
  }
  ChildResult r = RunLimited({testing::ShardkitBinary(), "repair", "--in-place", path},
                             ChildLimits{});
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(testing::ReadFileOrDie(path), "*1\r\n$4\r\nPING\r\n");
  for (int64_t s = now; s <= now + 2; ++s) {
    const std::string name = path + ".orig-" + std::to_string(s);
    EXPECT_EQ(testing::ReadFileOrDie(name), "older backup " + std::to_string(s));
    EXPECT_EQ(testing::ReadFileOrDie(name + ".1"), "older backup .1 " + std::to_string(s));
  }
  // Exactly one new file, holding the original: "<name>.orig-<s>.2" for a
  // second of the taken names, or an unsuffixed name of a later second.
  std::vector<std::string> created;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = e.path().filename().string();
    const bool premade = name.ends_with(".1") || (name.find(".orig-") != std::string::npos &&
                                                  name.find('.', name.find(".orig-") + 1) ==
                                                      std::string::npos &&
                                                  std::stoll(name.substr(name.find(".orig-") + 6)) <= now + 2);
    if (name == "appendonly.aof" || premade) continue;
    created.push_back(name);
    EXPECT_EQ(testing::ReadFileOrDie(e.path().string()), original) << name;
  }
  ASSERT_EQ(created.size(), 1u) << r.output;
  EXPECT_TRUE(created[0].ends_with(".2") ||
              std::stoll(created[0].substr(created[0].find(".orig-") + 6)) > now + 2)
      << created[0];
}

}  // namespace
}  // namespace shardkit::reliability
