// RedisServer: a real redis-server (Debian's 7.0) run as a child process for
// one test, in its own temp dir, on a free loopback port.
//
// Start() writes redis.conf into the dir from the options (bind 127.0.0.1,
// port, dir, dbfilename, `save ""`, `enable-debug-command yes`, logfile
// redis.log, then the caller's extra lines, which win), launches
// redis-server on it and waits (bounded, polling every ~10 ms) until it
// answers PING. If the chosen port was taken between picking and binding it
// starts again on another port. Files the test wants loaded (dump.rdb, an
// appendonlydir/) can be placed before the first start with
// `options.files_before_start` or by pre-creating them in `options.dir`.
//
// Ownership: the object owns the process and (unless options.dir was given)
// the directory; the destructor SIGKILLs the process and removes the dir.
// The server also gets SIGKILL when the thread that started it exits (so a
// crashed test leaves no server behind): start servers from a thread that
// outlives them, e.g. the test's main thread.
// Threading: one thread. Not copyable.
// Errors: Status with the reason and the tail of redis.log (kIoError when the
// server does not start or dies, kInvalidArgument for error replies).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tests/support/redis_client.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {

struct RedisServerOptions {
  // Extra `key value` config lines, written after the defaults (later wins),
  // e.g. {"appendonly", "yes"}, {"hash-max-listpack-entries", "0"}.
  std::vector<std::pair<std::string, std::string>> config;
  std::string dbfilename = "dump.rdb";
  // 0: a free loopback port picked at start (a lost race is retried on
  // another port; with `cluster-enabled yes` in `config`, a port <= 55535
  // whose cluster bus port, port + 10000, is free too). Otherwise this port, as given (for restarting a node on
  // the port its peers know, e.g. cluster nodes); a taken port is an error.
  int port = 0;
  // The loopback address it binds and is reached at (e.g. 127.0.0.2, to run
  // a node at another address than its nodes.conf says). The free-port check
  // binds 127.0.0.1: loopback ports are free alike on every 127.x address.
  std::string host = "127.0.0.1";
  // Directory to run in. Empty: a fresh temp dir owned by the server.
  std::string dir;
  // Files to create in the dir before the first start: {name, bytes}.
  std::vector<std::pair<std::string, std::string>> files_before_start;
  std::chrono::milliseconds start_timeout{20'000};
  std::string binary = "/usr/bin/redis-server";
};

class RedisServer {
 public:
  static Result<std::unique_ptr<RedisServer>> Start(RedisServerOptions options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string rdb_path() const { return Path(options_.dbfilename); }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // The server's own connection (reconnected by Restart()).
  RedisClient& client() { return *client_; }
  // A new independent connection.
  Result<std::unique_ptr<RedisClient>> Connect() const;

  // Runs one command; an error reply is returned as a reply, not a Status.
  Result<RedisReply> Command(const std::vector<std::string>& args);
  // Runs one command and turns an error reply into kInvalidArgument.
  Result<RedisReply> CommandOk(const std::vector<std::string>& args);

  Status Save();
  // BGREWRITEAOF, then waits until INFO persistence shows no rewrite in
  // progress or scheduled (bounded by `timeout`).
  Status BgRewriteAof(std::chrono::milliseconds timeout = std::chrono::milliseconds(60'000));
  // Returns the value of `field` in `INFO <section>`, or kNotFound.
  Result<std::string> InfoField(const std::string& section, const std::string& field);
  // Polls `field` of INFO `section` until it equals `want`, for at most
  // `timeout` (replication and failover advance in the server's cron, so
  // there is nothing to block on). kIoError naming the last value and the
  // tail of redis.log when it does not.
  Status WaitInfoField(const std::string& section, const std::string& field,
                       const std::string& want,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000));

  // SHUTDOWN SAVE|NOSAVE and waits for the process to exit.
  Status Shutdown(bool save);
  // SIGKILL and reap.
  void Kill9();
  // Stops the process if running (SIGKILL) and starts it again on the same
  // dir and config (same port if still free).
  Status Restart();

  // Last `max_bytes` of redis.log, for failure messages.
  std::string LogTail(size_t max_bytes = 4096) const;

 private:
  explicit RedisServer(RedisServerOptions options);
  Status WriteConfig() const;
  Status Spawn();
  Status Launch();
  Status WaitUntilReady();
  Status WaitForExit(std::chrono::milliseconds timeout);

  RedisServerOptions options_;
  std::unique_ptr<TempDir> owned_dir_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<RedisClient> client_;
};

// Path of redis-server / redis-check-rdb / redis-cli, or "" if missing.
std::string FindRedisBinary(const std::string& name);

// Runs a program to completion, capturing stdout+stderr. Returns the exit
// status (exit code, or 128+signal).
struct ProcessResult {
  int exit_code = -1;
  std::string output;
  int64_t max_rss_kib = 0;  // the child's peak resident set (getrusage ru_maxrss)
};
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv);

// Runs the built `shardkit` binary (ShardkitBinary()) with `args`.
Result<ProcessResult> Shardkit(std::vector<std::string> args);

// Runs `redis-check-rdb path`.
Result<ProcessResult> RunRedisCheckRdb(const std::string& path);

// Scale factor for dataset sizes: 1.0 normally, SHARDKIT_TEST_SCALE if set,
// and 0.25 when built with AddressSanitizer unless the variable says otherwise.
double TestScale();

}  // namespace shardkit::testing

// Skips the current test when redis-server is not installed (it is installed
// here and in CI, so this must not trigger in practice).
#define SHARDKIT_REQUIRE_REDIS_SERVER()                                                 \
  do {                                                                                  \
    if (::shardkit::testing::FindRedisBinary("redis-server").empty()) {                 \
      GTEST_SKIP() << "redis-server not installed (run scripts/install-deps.sh)";       \
    }                                                                                   \
  } while (0)
