// ReplayServer: a private, empty redis-server that `shardkit check` starts
// to compute the values log commands lead to (tools/log_sample.h): base
// values are RESTOREd into it, the log commands touching them replayed, and
// the result read back with DUMP and PEXPIRETIME.
//
// Start() runs `binary` (a path, or a name looked up on PATH) with
// `--port 0` (no TCP listener), `--unixsocket` in a private temporary
// directory (mode 0700), `--save ""`, `--appendonly no`, its log in that
// directory, and connects over the socket (bounded: 10 s). The server dies
// with the object (SIGKILL, reaped, directory removed) and, through
// PR_SET_PDEATHSIG, with check itself if check is killed.
// Ownership: owns the process, the directory and the connection.
// Threading: one thread. Not copyable.
// Errors: kNotFound when no such binary is found; kIoError when it cannot
// be started or does not answer in time (with the tail of its log).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/status.h"
#include "net/redis_connection.h"

namespace shardkit::tools {

class ReplayServer {
 public:
  // `binary`: "" = "redis-server" on PATH.
  static Result<std::unique_ptr<ReplayServer>> Start(const std::string& binary);
  ~ReplayServer();
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  net::RedisConnection& connection() { return *connection_; }
  const std::string& binary() const { return binary_; }
  const std::string& version() const { return version_; }  // INFO server redis_version

 private:
  ReplayServer() = default;
  std::string binary_;
  std::string dir_;
  pid_t pid_ = -1;
  std::string version_;
  std::unique_ptr<net::RedisConnection> connection_;
};

// "7.0.15" -> "7"; "" for an empty version.
std::string MajorVersion(const std::string& version);

}  // namespace shardkit::tools
