// Tests of the real-redis test harness itself (tests/support/redis_server.h):
// free ports, restart on the same dir, SHUTDOWN SAVE vs kill -9, AOF rewrite
// waiting, clear start failures with the server log, and cleanup.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

std::unique_ptr<RedisServer> StartOrDie(RedisServerOptions options = {}) {
  auto server = RedisServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

std::string Get(RedisServer& server, const std::string& key) {
  auto r = server.CommandOk({"GET", key});
  if (!r.ok()) return "error: " + r.status().ToString();
  return r->is_nil() ? "(nil)" : r->str;
}

TEST(RedisServerHarnessTest, TwoServersRunOnDistinctFreePortsInTheirOwnDirs) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto a = StartOrDie();
  auto b = StartOrDie();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->dir(), b->dir());
  EXPECT_TRUE(std::filesystem::exists(a->Path("redis.conf")));
  ASSERT_TRUE(a->CommandOk({"SET", "k", std::string("v\0w", 3)}).ok());
  EXPECT_EQ(Get(*a, "k"), std::string("v\0w", 3));
  EXPECT_EQ(Get(*b, "k"), "(nil)");
  auto err = a->Command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(err.ok());
  EXPECT_TRUE(err->is_error()) << err->ToString();
  EXPECT_FALSE(a->CommandOk({"NOSUCHCOMMAND"}).ok());
  auto info = a->InfoField("server", "redis_version");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->substr(0, 2), "7.");
}

TEST(RedisServerHarnessTest, ShutdownSaveKeepsDataAcrossRestartKill9DoesNot) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = StartOrDie();
  ASSERT_TRUE(server);
  ASSERT_TRUE(server->CommandOk({"SET", "saved", "1"}).ok());
  ASSERT_TRUE(server->Shutdown(/*save=*/true).ok());
  EXPECT_FALSE(server->running());
  EXPECT_TRUE(std::filesystem::exists(server->rdb_path()));
  ASSERT_TRUE(server->Restart().ok()) << server->LogTail();
  EXPECT_EQ(Get(*server, "saved"), "1");

  // `save ""` and no AOF: a write after the last save is lost on kill -9.
  ASSERT_TRUE(server->CommandOk({"SET", "unsaved", "2"}).ok());
  const pid_t old_pid = server->pid();
  server->Kill9();
  EXPECT_EQ(kill(old_pid, 0), -1);
  ASSERT_TRUE(server->Restart().ok()) << server->LogTail();
  EXPECT_EQ(Get(*server, "saved"), "1");
  EXPECT_EQ(Get(*server, "unsaved"), "(nil)");
}

TEST(RedisServerHarnessTest, BgRewriteAofReturnsAfterTheRewriteAndSurvivesKill9) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  RedisServerOptions options;
  options.config = {{"appendonly", "yes"}, {"appendfsync", "always"}};
  auto server = StartOrDie(options);
  ASSERT_TRUE(server);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(server->CommandOk({"RPUSH", "list", std::to_string(i)}).ok());
  }
  ASSERT_TRUE(server->BgRewriteAof().ok());
  auto in_progress = server->InfoField("persistence", "aof_rewrite_in_progress");
  ASSERT_TRUE(in_progress.ok());
  EXPECT_EQ(*in_progress, "0");
  EXPECT_TRUE(std::filesystem::exists(server->Path("appendonlydir/appendonly.aof.manifest")));
  ASSERT_TRUE(server->CommandOk({"RPUSH", "list", "after-rewrite"}).ok());
  server->Kill9();
  ASSERT_TRUE(server->Restart().ok()) << server->LogTail();
  auto len = server->CommandOk({"LLEN", "list"});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, 101);
}

// Cluster mode needs port <= 55535 (bus port = port + 10000); ephemeral
// ports go up to 60999, so without the harness's care about one start in
// five would fail and ten in a row would almost surely hit one.
TEST(RedisServerHarnessTest, ClusterModeServersGetPortsWithAFreeBusPort) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  RedisServerOptions options;
  options.config = {{"cluster-enabled", "yes"}};
  for (int i = 0; i < 10; ++i) {
    auto server = RedisServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    EXPECT_LE((*server)->port(), 55535);
    auto info = (*server)->InfoField("cluster", "cluster_enabled");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(*info, "1");
  }
}

TEST(RedisServerHarnessTest, StartFailureCarriesTheServerLog) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  RedisServerOptions options;
  options.config = {{"maxmemory-policy", "no-such-policy"}};
  auto server = RedisServer::Start(options);
  ASSERT_FALSE(server.ok());
  const std::string message = server.status().ToString();
  EXPECT_NE(message.find("exited during start"), std::string::npos) << message;
  EXPECT_NE(message.find("no-such-policy"), std::string::npos) << message;
}

TEST(RedisServerHarnessTest, FixedPortThatIsTakenIsAnErrorNamingIt) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  RedisServerOptions options;
  options.port = ntohs(addr.sin_port);
  auto server = RedisServer::Start(options);
  close(fd);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().ToString().find("Address already in use"), std::string::npos)
      << server.status().ToString();
}

TEST(RedisServerHarnessTest, DestructorKillsTheProcessAndRemovesTheDir) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = StartOrDie();
  ASSERT_TRUE(server);
  const pid_t pid = server->pid();
  const std::string dir = server->dir();
  ASSERT_EQ(kill(pid, 0), 0);
  server.reset();
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// True once `pid` is gone or a zombie (killed, not yet reaped by init).
bool ProcessDead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST(RedisServerHarnessTest, ServerDiesWithATestProcessThatCrashes) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir dir("shardkit-harness-crash");
  const std::string pid_file = dir.File("pid");
  // The death-test child starts a server, records its pid and aborts
  // without running any destructor.
  EXPECT_DEATH(
      {
        auto server = RedisServer::Start({});
        if (server.ok()) WriteFileOrDie(pid_file, std::to_string((*server)->pid()));
        std::abort();
      },
      "");
  const std::string recorded = ReadFileOrDie(pid_file);
  ASSERT_FALSE(recorded.empty());
  const pid_t pid = static_cast<pid_t>(std::stol(recorded));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ProcessDead(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ProcessDead(pid)) << "redis-server pid " << pid << " outlived its crashed parent";
}

TEST(RedisServerHarnessTest, RunProcessReportsExitCodeAndOutput) {
  auto ok = RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_EQ(ok->output, "out\nerr\n");
  auto missing = RunProcess({"/nonexistent/program"});
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace shardkit::testing
