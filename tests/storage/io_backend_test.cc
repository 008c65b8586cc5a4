#include <gtest/gtest.h>

#include <cstdlib>

#include "storage/io_options.h"
#include "storage/uring_probe.h"

namespace shardkit::storage {
namespace {

TEST(IoBackendTest, ParsesAndNamesEveryKind) {
  for (IoBackendKind k : {IoBackendKind::kAuto, IoBackendKind::kUring, IoBackendKind::kPread}) {
    auto parsed = ParseIoBackendKind(IoBackendName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  auto bad = ParseIoBackendKind("epoll");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("epoll"), std::string::npos);
}

TEST(IoBackendTest, ExplicitChoiceWins) {
  EXPECT_EQ(ResolveIoBackend(IoBackendKind::kPread), IoBackendKind::kPread);
  EXPECT_EQ(ResolveIoBackend(IoBackendKind::kUring), IoBackendKind::kUring);
}

TEST(IoBackendTest, EnvironmentOverridesAuto) {
  ::setenv("SHARDKIT_IO_BACKEND", "pread", 1);
  EXPECT_EQ(ResolveIoBackend(IoBackendKind::kAuto), IoBackendKind::kPread);
  ::unsetenv("SHARDKIT_IO_BACKEND");
}

TEST(IoBackendTest, AutoFollowsTheProbe) {
  std::string why;
  IoBackendKind k = ResolveIoBackend(IoBackendKind::kAuto, &why);
  if (CachedUringProbe().available) {
    EXPECT_EQ(k, IoBackendKind::kUring);
    EXPECT_TRUE(why.empty());
  } else {
    EXPECT_EQ(k, IoBackendKind::kPread);
    EXPECT_EQ(why, CachedUringProbe().why);
  }
}

TEST(IoBackendTest, ForcedUnavailableProbeNamesCauseAndFix) {
  ::setenv("SHARDKIT_IO_URING_DISABLE_FOR_TEST", "1", 1);
  UringProbeResult probe = ProbeIoUring();
  ::unsetenv("SHARDKIT_IO_URING_DISABLE_FOR_TEST");
  EXPECT_FALSE(probe.available);
  EXPECT_EQ(probe.error, EPERM);
  EXPECT_NE(probe.why.find("seccomp"), std::string::npos) << probe.why;
  EXPECT_NE(probe.why.find("kernel.io_uring_disabled"), std::string::npos) << probe.why;
  EXPECT_NE(probe.why.find("pread"), std::string::npos) << probe.why;
}

}  // namespace
}  // namespace shardkit::storage
