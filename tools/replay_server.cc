#include "tools/replay_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "net/info_fields.h"

namespace shardkit::tools {
namespace {

// `name` itself when it has a '/', else the first executable PATH entry.
std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  std::string line, tail;
  while (std::getline(in, line)) tail = line;
  return tail.empty() ? "" : " (its log: " + tail.substr(0, 300) + ")";
}

// fork + exec, so that the child can ask to die with its parent; an exec
// failure comes back through a close-on-exec pipe.
Result<pid_t> Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IoError("pipe: " + std::string(strerror(errno)));
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::IoError("fork: " + std::string(strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    // The server must not hold check's connections to the nodes open.
    (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    execv(argv[0], argv.data());
    const int err = errno;
    (void)!write(fds[1], &err, sizeof(err));
    _exit(127);
  }
  close(fds[1]);
  int err = 0;
  const ssize_t n = read(fds[0], &err, sizeof(err));
  close(fds[0]);
  if (n == static_cast<ssize_t>(sizeof(err))) {
    waitpid(pid, nullptr, 0);
    return Status::IoError("cannot run " + args[0] + ": " + strerror(err));
  }
  return pid;
}

}  // namespace

std::string MajorVersion(const std::string& version) { return version.substr(0, version.find('.')); }

Result<std::unique_ptr<ReplayServer>> ReplayServer::Start(const std::string& binary) {
  const std::string wanted = binary.empty() ? "redis-server" : binary;
  std::unique_ptr<ReplayServer> s(new ReplayServer());
  s->binary_ = FindExecutable(wanted);
  if (s->binary_.empty()) {
    return Status::NotFound(wanted + (binary.empty() ? " not found on PATH" : " not found"));
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/shardkit-replay.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError("mkdtemp " + pattern + ": " + strerror(errno));
  }
  s->dir_ = pattern;
  const std::string socket = s->dir_ + "/redis.sock";
  if (socket.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument("replay server socket path " + socket + " is longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                   " bytes (set TMPDIR to a shorter directory)");
  }
  SK_ASSIGN_OR_RETURN(s->pid_, Spawn({s->binary_, "--port", "0", "--unixsocket", socket,
                                      "--unixsocketperm", "700", "--save", "", "--appendonly",
                                      "no", "--dir", s->dir_, "--logfile", s->dir_ + "/redis.log",
                                      "--daemonize", "no"}));
  net::ConnectOptions options;
  options.connect_timeout_ms = 1000;
  options.command_timeout_ms = 60'000;
  Status last = Status::IoError("no socket yet");
  for (int i = 0; i < 500; ++i) {  // 10 s
    int wstatus = 0;
    if (waitpid(s->pid_, &wstatus, WNOHANG) == s->pid_) {
      s->pid_ = -1;
      return Status::IoError("replay server " + s->binary_ + " exited at start-up" +
                             LogTail(s->dir_ + "/redis.log"));
    }
    if (access(socket.c_str(), F_OK) == 0) {
      auto c = net::RedisConnection::ConnectUnix(socket, "replay server", options);
      if (c.ok()) {
        s->connection_ = std::move(*c);
        break;
      }
      last = c.status();
    }
    usleep(20'000);
  }
  if (s->connection_ == nullptr) {
    return Status::IoError("replay server " + s->binary_ + " did not answer within 10 s: " +
                           std::string(last.message()) + LogTail(s->dir_ + "/redis.log"));
  }
  SK_ASSIGN_OR_RETURN(net::RedisValue info, s->connection_->CommandOk({"INFO", "server"}));
  s->version_ = net::InfoField(net::ParseInfoFields(info.str), "redis_version");
  return s;
}

ReplayServer::~ReplayServer() {
  connection_.reset();
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

}  // namespace shardkit::tools
