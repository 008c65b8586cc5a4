#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/io_environment.h"
#include "storage/io_options.h"
#include "storage/sequential_reader.h"
#include "storage/uring_probe.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

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

// ChooseIoBackend with canned probe answers: every branch, on any host.
const UringProbeResult& UringUsable() {
  static const UringProbeResult r = [] {
    UringProbeResult p;
    p.available = true;
    return p;
  }();
  return r;
}

UringProbeResult Unusable(int error, const std::string& why) {
  UringProbeResult p;
  p.error = error;
  p.why = why;
  return p;
}
const UringProbeResult& UringBlockedBySeccomp() {
  static const UringProbeResult r = Unusable(EPERM, "io_uring unavailable (EPERM): seccomp");
  return r;
}
const UringProbeResult& UringMissingFromKernel() {
  static const UringProbeResult r = Unusable(ENOSYS, "io_uring unavailable (ENOSYS): old kernel");
  return r;
}
const UringProbeResult& ProbeMustNotRun() {
  ADD_FAILURE() << "a forced backend probed io_uring";
  return UringUsable();
}

TEST(ChooseIoBackendTest, AutoTakesUringWhenTheProbeSucceeds) {
  std::string why = "untouched";
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, nullptr, &UringUsable, &why),
            IoBackendKind::kUring);
  EXPECT_EQ(why, "untouched");
}

TEST(ChooseIoBackendTest, AutoFallsBackToPreadOnEpermAndEnosysWithTheReason) {
  std::string why;
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, nullptr, &UringBlockedBySeccomp, &why),
            IoBackendKind::kPread);
  EXPECT_EQ(why, "io_uring unavailable (EPERM): seccomp");
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "", &UringMissingFromKernel, &why),
            IoBackendKind::kPread);
  EXPECT_EQ(why, "io_uring unavailable (ENOSYS): old kernel");
}

TEST(ChooseIoBackendTest, EnvironmentVariableOverridesOnlyAuto) {
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "pread", &ProbeMustNotRun, nullptr),
            IoBackendKind::kPread);
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "uring", &ProbeMustNotRun, nullptr),
            IoBackendKind::kUring);
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kUring, "pread", &ProbeMustNotRun, nullptr),
            IoBackendKind::kUring);
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kPread, "uring", &ProbeMustNotRun, nullptr),
            IoBackendKind::kPread);
  // "auto" in the variable means: probe.
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "auto", &UringBlockedBySeccomp, nullptr),
            IoBackendKind::kPread);
}

TEST(ChooseIoBackendTest, BadEnvironmentValueIsIgnoredAndSaidSo) {
  std::string why;
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "epoll", &UringUsable, &why),
            IoBackendKind::kUring);
  EXPECT_NE(why.find("ignoring SHARDKIT_IO_BACKEND: unknown I/O backend \"epoll\""),
            std::string::npos)
      << why;
  EXPECT_EQ(ChooseIoBackend(IoBackendKind::kAuto, "epoll", &UringBlockedBySeccomp, &why),
            IoBackendKind::kPread);
  EXPECT_NE(why.find("ignoring SHARDKIT_IO_BACKEND"), std::string::npos) << why;
  EXPECT_NE(why.find("seccomp"), std::string::npos) << why;
}

// The real fallback, end to end in a fresh process (the probe is cached per
// process): with io_uring refused as seccomp would (the test-only switch
// makes the probe see EPERM), `auto` resolves to pread with the reason, a
// reader opened with default options runs on pread and reads every byte,
// and forcing uring fails with kNotSupported naming the cause.
// Returns the exit code for the child: 0 when every check held.
int FallbackChild() {
  ::setenv("SHARDKIT_IO_URING_DISABLE_FOR_TEST", "1", 1);
  ::unsetenv("SHARDKIT_IO_BACKEND");
  std::string why;
  if (ResolveIoBackend(IoBackendKind::kAuto, &why) != IoBackendKind::kPread) {
    std::fprintf(stderr, "auto did not resolve to pread\n");
    return 1;
  }
  if (why.find("Operation not permitted") == std::string::npos ||
      why.find("using pread/pwrite") == std::string::npos) {
    std::fprintf(stderr, "reason lacks cause or outcome: %s\n", why.c_str());
    return 2;
  }
  shardkit::testing::TempDir dir;
  const std::string data = PatternBytes((3 << 20) + 5);
  shardkit::testing::WriteFileOrDie(dir.File("f"), data);
  auto reader = SequentialReader::Open(dir.File("f"), IoOptions{});
  if (!reader.ok() || (*reader)->backend() != IoBackendKind::kPread) {
    std::fprintf(stderr, "reader not on pread\n");
    return 3;
  }
  std::string got;
  for (int guard = 0; guard < 1000; ++guard) {
    auto span = (*reader)->Next();
    if (!span.ok() || span->empty()) break;
    got.append(AsChars(*span));
  }
  if (got != data) {
    std::fprintf(stderr, "read %zu bytes, want %zu\n", got.size(), data.size());
    return 4;
  }
  auto engine = DefaultIoEnvironment()->NewEngine(IoBackendKind::kUring, IoEngineOptions{});
  if (engine.ok() || engine.status().code() != StatusCode::kNotSupported ||
      engine.status().message() != why) {
    std::fprintf(stderr, "forced uring did not fail as kNotSupported with the reason\n");
    return 5;
  }
  std::fprintf(stderr, "fallback ok: %s\n", why.c_str());
  return 0;
}

TEST(IoBackendFallbackTest, AutoRunsOnPreadWhenIoUringIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-exec: a fresh probe cache
  EXPECT_EXIT(std::_Exit(FallbackChild()), ::testing::ExitedWithCode(0),
              "fallback ok: io_uring unavailable .*seccomp");
}

}  // namespace
}  // namespace shardkit::storage
