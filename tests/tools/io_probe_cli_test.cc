// `shardkit io-probe` as a user runs it: which backend and why (default,
// forced by SHARDKIT_IO_BACKEND, io_uring refused as seccomp would refuse
// it), O_DIRECT in a directory, and the round trip through the real writer
// and reader.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/direct_io_probe.h"
#include "storage/uring_probe.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

using shardkit::testing::CliRun;
using shardkit::testing::JsonLines;
using shardkit::testing::RunShardkit;
using shardkit::testing::TempDir;

// Sets (or with nullptr unsets) an environment variable for the child
// processes started in one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

nlohmann::json ProbeJson(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"io-probe", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  CliRun r = RunShardkit(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  EXPECT_EQ(lines.size(), 1u) << r.out;
  return lines.empty() ? nlohmann::json() : lines[0];
}

TEST(IoProbeCliTest, DefaultSaysWhatAutoResolvesToAndRoundTrips) {
  ScopedEnv no_override("SHARDKIT_IO_BACKEND", nullptr);
  TempDir dir;
  nlohmann::json j = ProbeJson({"--dir", dir.path()});
  const bool uring = storage::CachedUringProbe().available;
  EXPECT_EQ(j["io_uring"]["available"], uring);
  EXPECT_EQ(j["backend"], uring ? "uring" : "pread");
  EXPECT_EQ(j["backend_requested"], "auto");
  EXPECT_EQ(j["backend_source"], "default");
  const std::string reason = j["backend_reason"];
  EXPECT_EQ(
      reason.rfind(uring ? "auto: io_uring available (kernel " : "auto: io_uring unavailable", 0),
      0u)
      << reason;
  EXPECT_EQ(j["dir"], dir.path());
  EXPECT_EQ(j["direct_io"]["error"], nullptr);
  EXPECT_EQ(j["direct_io"]["supported"], j["direct_io"]["why"] == nullptr);
  EXPECT_EQ(j["round_trip"]["ok"], true) << j.dump();
  EXPECT_EQ(j["round_trip"]["bytes"], (1 << 20) + 1);
  // Both ends use O_DIRECT exactly when the probe says the directory has it.
  EXPECT_EQ(j["round_trip"]["reader_direct"], j["direct_io"]["supported"]);
  EXPECT_EQ(j["round_trip"]["writer_direct"], j["direct_io"]["supported"]);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // probe files removed
}

TEST(IoProbeCliTest, EnvironmentVariableForcesPread) {
  ScopedEnv force("SHARDKIT_IO_BACKEND", "pread");
  TempDir dir;
  nlohmann::json j = ProbeJson({"--dir", dir.path()});
  EXPECT_EQ(j["backend"], "pread");
  EXPECT_EQ(j["backend_source"], "SHARDKIT_IO_BACKEND");
  EXPECT_EQ(j["backend_reason"], "forced by SHARDKIT_IO_BACKEND=pread");
  EXPECT_EQ(j["round_trip"]["ok"], true) << j.dump();
  EXPECT_EQ(j["round_trip"]["buffers_registered"], false);  // pread has no ring

  CliRun text = RunShardkit({"io-probe", "--dir", dir.path()});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "");  // human text goes to stderr
  EXPECT_NE(text.err.find("backend:    pread (forced by SHARDKIT_IO_BACKEND=pread)"),
            std::string::npos)
      << text.err;
}

TEST(IoProbeCliTest, FlagWinsOverTheEnvironmentVariable) {
  ScopedEnv force("SHARDKIT_IO_BACKEND", "uring");
  TempDir dir;
  nlohmann::json j = ProbeJson({"--dir", dir.path()});
  EXPECT_EQ(j["backend"], "uring");
  CliRun r = RunShardkit({"--io-backend", "pread", "io-probe", "--json", "--dir", dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json flag = JsonLines(r.out).at(0);
  EXPECT_EQ(flag["backend"], "pread");
  EXPECT_EQ(flag["backend_source"], "--io-backend");
  EXPECT_EQ(flag["backend_reason"], "forced by --io-backend=pread");
}

TEST(IoProbeCliTest, RefusedIoUringFallsBackToPreadAndSaysWhy) {
  ScopedEnv no_override("SHARDKIT_IO_BACKEND", nullptr);
  ScopedEnv refuse("SHARDKIT_IO_URING_DISABLE_FOR_TEST", "1");
  TempDir dir;
  nlohmann::json j = ProbeJson({"--dir", dir.path()});
  EXPECT_EQ(j["io_uring"]["available"], false);
  EXPECT_EQ(j["io_uring"]["errno"], EPERM);
  EXPECT_EQ(j["backend"], "pread");
  const std::string reason = j["backend_reason"];
  for (const char* part : {"auto: io_uring unavailable", "Operation not permitted", "seccomp",
                           "kernel.io_uring_disabled", "set SHARDKIT_IO_BACKEND=pread"}) {
    EXPECT_NE(reason.find(part), std::string::npos) << part << " missing from: " << reason;
  }
  EXPECT_EQ(j["round_trip"]["ok"], true) << j.dump();

  CliRun text = RunShardkit({"io-probe", "--dir", dir.path()});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.err.find("backend:    pread (auto: io_uring unavailable"), std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("Operation not permitted"), std::string::npos) << text.err;
}

TEST(IoProbeCliTest, TmpfsDirectoryIsNamed) {
  if (storage::FileSystemName("/dev/shm") != "tmpfs") GTEST_SKIP() << "/dev/shm is not tmpfs here";
  nlohmann::json j = ProbeJson({"--dir", "/dev/shm"});
  EXPECT_EQ(j["direct_io"]["file_system"], "tmpfs");
  EXPECT_EQ(j["round_trip"]["ok"], true) << j.dump();
}

TEST(IoProbeCliTest, MissingDirectoryExitsTwoNamingIt) {
  TempDir dir;
  const std::string missing = dir.File("nope");
  CliRun r = RunShardkit({"io-probe", "--json", "--dir", missing});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  nlohmann::json j = JsonLines(r.out).at(0);
  EXPECT_EQ(j["round_trip"]["ok"], false);
  const std::string error = j["direct_io"]["error"];
  EXPECT_NE(error.find("open " + missing + "/.shardkit-io-probe."), std::string::npos) << error;
}

}  // namespace
}  // namespace shardkit
