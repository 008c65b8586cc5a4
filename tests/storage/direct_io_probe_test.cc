#include "storage/direct_io_probe.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <bit>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::TempDir;

bool DirIsEmpty(const std::string& dir) {
  return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

TEST(DirectIoProbeTest, ExtFourUnderTmpSupportsDirectIoAndLeavesNothingBehind) {
  TempDir dir;
  std::string fs = FileSystemName(dir.path());
  if (fs == "tmpfs") GTEST_SKIP() << "TMPDIR is on tmpfs here";
  auto probe = ProbeDirectIo(dir.path());
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_EQ(probe->file_system, fs);
  // Every local disk file system Linux 6.x offers does O_DIRECT.
  if (fs == "ext4" || fs == "xfs" || fs == "btrfs") {
    EXPECT_TRUE(probe->supported) << probe->why;
    EXPECT_EQ(probe->why, "");
  }
  EXPECT_TRUE(std::has_single_bit(probe->alignment)) << probe->alignment;
  EXPECT_GE(probe->alignment, 1u);
  EXPECT_LE(probe->alignment, 65536u);
  EXPECT_TRUE(DirIsEmpty(dir.path()));
}

TEST(DirectIoProbeTest, TmpfsIsNamedAndAnswered) {
  if (FileSystemName("/dev/shm") != "tmpfs") GTEST_SKIP() << "/dev/shm is not tmpfs here";
  char tmpl[] = "/dev/shm/shardkit-test.XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  struct RemoveDir {
    std::string path;
    ~RemoveDir() { std::filesystem::remove_all(path); }
  } dir{tmpl};
  auto probe = ProbeDirectIo(dir.path);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_EQ(probe->file_system, "tmpfs");
  // tmpfs refuses O_DIRECT before Linux 6.6 and accepts it since: either
  // answer must be consistent.
  EXPECT_EQ(probe->supported, probe->why.empty()) << probe->why;
  if (!probe->supported) {
    EXPECT_EQ(probe->why, "open with O_DIRECT: Invalid argument");
  }
  EXPECT_TRUE(DirIsEmpty(dir.path));
}

TEST(DirectIoProbeTest, MissingDirectoryIsAnErrorNamingTheProbeFile) {
  TempDir dir;
  auto probe = ProbeDirectIo(dir.File("no-such-dir"));
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.status().code(), StatusCode::kNotFound);
  EXPECT_NE(probe.status().message().find(dir.File("no-such-dir") + "/.shardkit-io-probe."),
            std::string::npos)
      << probe.status().ToString();
}

}  // namespace
}  // namespace shardkit::storage
