#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/sanitizers.h"

extern char** environ;

namespace shardkit::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr int kStartAttempts = 5;

// Binds 127.0.0.1:`port` (0: any) and returns the bound port, or an error.
Result<int> BindLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket", "127.0.0.1");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    close(fd);
    return Status::FromErrno(e, "bind", "127.0.0.1:" + std::to_string(port));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

// Asks the kernel for a free loopback port by binding port 0. The port is
// free when we return; the server may still lose a race for it, which
// Start() handles by trying again. A cluster node also needs its bus port
// (port + 10000, so port <= 55535) free.
Result<int> PickFreePort(bool cluster) {
  constexpr int kClusterBusOffset = 10000;
  constexpr int kAttempts = 200;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    SK_ASSIGN_OR_RETURN(int port, BindLoopback(0));
    if (!cluster) return port;
    if (port + kClusterBusOffset > 65535) continue;
    if (BindLoopback(port + kClusterBusOffset).ok()) return port;
  }
  return Status::ResourceExhausted("no free loopback port pair (port, port+10000) found in " +
                                   std::to_string(kAttempts) + " attempts");
}

bool IsCluster(const RedisServerOptions& options) {
  for (const auto& [key, value] : options.config) {
    if (key == "cluster-enabled" && value == "yes") return true;
  }
  return false;
}

std::string Quote(const std::string& v) {
  // redis.conf accepts double-quoted strings with C escapes.
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::IoError("write " + path);
  return Status::Ok();
}

}  // namespace

std::string FindRedisBinary(const std::string& name) {
  std::string direct = "/usr/bin/" + name;
  if (access(direct.c_str(), X_OK) == 0) return direct;
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, ':')) {
    std::string candidate = part + "/" + name;
    if (!part.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

double TestScale() {
  const char* env = std::getenv("SHARDKIT_TEST_SCALE");
  if (env != nullptr && *env != '\0') {
    double v = std::atof(env);
    if (v > 0) return v;
  }
  if (kUnderAsan) return 0.25;
  return 1.0;
}

Result<ProcessResult> Shardkit(std::vector<std::string> args) {
  args.insert(args.begin(), ShardkitBinary());
  return RunProcess(args);
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return Status::InvalidArgument("RunProcess: empty argv");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe", argv[0]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return Status::FromErrno(rc, "spawn", argv[0]);
  }
  ProcessResult result;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  struct rusage usage = {};
  while (wait4(pid, &wstatus, 0, &usage) < 0) {
    if (errno != EINTR) return Status::FromErrno(errno, "wait4", argv[0]);
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  result.max_rss_kib = usage.ru_maxrss;
  return result;
}

Result<ProcessResult> RunRedisCheckRdb(const std::string& path) {
  std::string binary = FindRedisBinary("redis-check-rdb");
  if (binary.empty()) return Status::NotFound("redis-check-rdb not installed");
  return RunProcess({binary, path});
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {}

RedisServer::~RedisServer() {
  client_.reset();
  Kill9();
}

Result<std::unique_ptr<RedisServer>> RedisServer::Start(RedisServerOptions options) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  if (server->options_.dir.empty()) {
    server->owned_dir_ = std::make_unique<TempDir>("shardkit-redis");
    server->dir_ = server->owned_dir_->path();
  } else {
    server->dir_ = server->options_.dir;
  }
  for (const auto& [name, bytes] : server->options_.files_before_start) {
    SK_RETURN_IF_ERROR(WriteFile(server->Path(name), bytes));
  }
  if (server->options_.port != 0) {
    server->port_ = server->options_.port;
  } else {
    SK_ASSIGN_OR_RETURN(server->port_, PickFreePort(IsCluster(server->options_)));
  }
  SK_RETURN_IF_ERROR(server->Launch());
  return server;
}

Status RedisServer::WriteConfig() const {
  std::ostringstream conf;
  conf << "bind " << options_.host << "\n"
       << "port " << port_ << "\n"
       << "daemonize no\n"
       << "dir " << Quote(dir_) << "\n"
       << "dbfilename " << Quote(options_.dbfilename) << "\n"
       << "logfile " << Quote(dir_ + "/redis.log") << "\n"
       << "save \"\"\n"
       << "enable-debug-command yes\n"
       << "protected-mode no\n";
  for (const auto& [key, value] : options_.config) {
    conf << key << " " << (value.empty() ? std::string("\"\"") : value) << "\n";
  }
  return WriteFile(Path("redis.conf"), conf.str());
}

// Launches the process and waits for PING. A lost port race shows up as an
// early exit with "Address already in use" in the log: pick another port and
// try again, a bounded number of times.
Status RedisServer::Launch() {
  Status last;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    SK_RETURN_IF_ERROR(WriteConfig());
    SK_RETURN_IF_ERROR(Spawn());
    last = WaitUntilReady();
    if (last.ok()) return last;
    Kill9();
    if (options_.port != 0 || LogTail().find("Address already in use") == std::string::npos) {
      return last;
    }
    SK_ASSIGN_OR_RETURN(port_, PickFreePort(IsCluster(options_)));
  }
  return last;
}

// vfork + exec rather than posix_spawn so the child can ask for SIGKILL when
// its parent dies (PR_SET_PDEATHSIG): a test binary that crashes or aborts
// (a sanitizer report, a failed ASSERT in a fixture) leaves no server behind.
// vfork, not fork: fork copies the page tables of the whole test process,
// which under ASan (shadow memory) made every server start cost tens of ms
// of kernel time (perf: copy_page_range in fork, unmap_page_range in exec;
// DatasetDigestRedisTest spent half its CPU there). Between vfork and exec
// the child shares the parent's memory: it only makes system calls (no
// allocation, no writes to the parent's variables) and leaves by exec or
// _exit; the parent is suspended until then.
Status RedisServer::Spawn() {
  if (access(options_.binary.c_str(), X_OK) != 0) {
    return Status::FromErrno(errno, "execute", options_.binary);
  }
  const std::string conf = Path("redis.conf");
  const std::string out = Path("redis.stdout");
  int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) return Status::FromErrno(errno, "open", out);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    int e = errno;
    close(out_fd);
    return Status::FromErrno(e, "open", "/dev/null");
  }
  char* argv[] = {const_cast<char*>(options_.binary.c_str()), const_cast<char*>(conf.c_str()),
                  nullptr};
  const pid_t parent = getpid();
  const pid_t child = vfork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    // Inherit nothing else: not the test's sockets, pipes or other servers'
    // descriptors (which would keep them open after their owner closes them).
    close_range(3, ~0u, 0);
    execve(argv[0], argv, environ);
    _exit(127);
  }
  const int fork_errno = errno;
  close(out_fd);
  close(null_fd);
  if (child < 0) return Status::FromErrno(fork_errno, "vfork for", options_.binary);
  pid_ = child;
  return Status::Ok();
}

Status RedisServer::WaitUntilReady() {
  const auto deadline = Clock::now() + options_.start_timeout;
  std::string last_error = "no attempt";
  while (Clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::IoError("redis-server in " + dir_ + " exited during start (status " +
                             std::to_string(wstatus) + "); log tail:\n" + LogTail());
    }
    auto client = RedisClient::Connect(options_.host, port_, 1000);
    if (client.ok()) {
      // Make sure we reached our own process, not someone else's on a
      // recycled port, and that loading is over (PING answers LOADING).
      auto info = (*client)->Command({"INFO", "server"});
      auto ping = (*client)->Command({"PING"});
      if (info.ok() && ping.ok() && ping->IsStatus("PONG")) {
        if (info->str.find("process_id:" + std::to_string(pid_) + "\r") == std::string::npos) {
          return Status::IoError("port " + std::to_string(port_) +
                                 " is served by another process");
        }
        // The probe used a short timeout; the server's client gets the
        // default one.
        SK_ASSIGN_OR_RETURN(client_, Connect());
        return Status::Ok();
      }
      last_error = ping.ok() ? ping->ToString() : ping.status().ToString();
    } else {
      last_error = client.status().ToString();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status::IoError("redis-server in " + dir_ + " did not answer PING on port " +
                         std::to_string(port_) + " within " +
                         std::to_string(options_.start_timeout.count()) + " ms (last: " +
                         last_error + "); log tail:\n" + LogTail());
}

Status RedisServer::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (pid_ > 0) {
    int wstatus = 0;
    pid_t r = waitpid(pid_, &wstatus, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) {
      pid_ = -1;
      return Status::Ok();
    }
    if (Clock::now() >= deadline) {
      return Status::IoError("redis-server pid " + std::to_string(pid_) + " still running after " +
                             std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status::Ok();
}

Result<std::unique_ptr<RedisClient>> RedisServer::Connect() const {
  return RedisClient::Connect(options_.host, port_);
}

Result<RedisReply> RedisServer::Command(const std::vector<std::string>& args) {
  if (client_ == nullptr) return Status::IoError("redis-server in " + dir_ + " is not running");
  return client_->Command(args);
}

Result<RedisReply> RedisServer::CommandOk(const std::vector<std::string>& args) {
  SK_ASSIGN_OR_RETURN(RedisReply r, Command(args));
  if (r.is_error()) {
    std::string cmd;
    for (const std::string& a : args) cmd += (cmd.empty() ? "" : " ") + a.substr(0, 40);
    return Status::InvalidArgument(cmd + ": " + r.str);
  }
  return r;
}

Status RedisServer::Save() {
  SK_ASSIGN_OR_RETURN(RedisReply r, CommandOk({"SAVE"}));
  if (!r.IsStatus("OK")) return Status::IoError("SAVE replied " + r.ToString());
  return Status::Ok();
}

Status RedisServer::WaitInfoField(const std::string& section, const std::string& field,
                                  const std::string& want, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = InfoField(section, field);
    if (v.ok() && *v == want) return Status();
    last = v.ok() ? *v : v.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::IoError(options_.host + ":" + std::to_string(port_) + " " + field + " is \"" +
                         last + "\", not \"" + want + "\"\n" + LogTail(2000));
}

Result<std::string> RedisServer::InfoField(const std::string& section, const std::string& field) {
  SK_ASSIGN_OR_RETURN(RedisReply r, CommandOk({"INFO", section}));
  std::string needle = field + ":";
  std::istringstream in(r.str);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(needle, 0) == 0) return line.substr(needle.size());
  }
  return Status::NotFound("INFO " + section + " has no field " + field);
}

Status RedisServer::BgRewriteAof(std::chrono::milliseconds timeout) {
  SK_ASSIGN_OR_RETURN(RedisReply r, CommandOk({"BGREWRITEAOF"}));
  (void)r;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    SK_ASSIGN_OR_RETURN(std::string in_progress,
                        InfoField("persistence", "aof_rewrite_in_progress"));
    SK_ASSIGN_OR_RETURN(std::string scheduled, InfoField("persistence", "aof_rewrite_scheduled"));
    if (in_progress == "0" && scheduled == "0") break;
    if (Clock::now() >= deadline) return Status::IoError("AOF rewrite did not finish in time");
    std::this_thread::sleep_for(kPollInterval);
  }
  SK_ASSIGN_OR_RETURN(std::string last, InfoField("persistence", "aof_last_bgrewrite_status"));
  if (last != "ok") return Status::IoError("AOF rewrite status " + last + "; log:\n" + LogTail());
  return Status::Ok();
}

Status RedisServer::Shutdown(bool save) {
  if (client_ == nullptr || pid_ <= 0) return Status::Ok();
  // On success the server closes the connection, so a reply is an error.
  auto r = client_->Command({"SHUTDOWN", save ? "SAVE" : "NOSAVE"});
  client_.reset();
  if (r.ok() && r->is_error()) return Status::IoError("SHUTDOWN: " + r->str + "\n" + LogTail());
  return WaitForExit(std::chrono::milliseconds(30'000));
}

void RedisServer::Kill9() {
  client_.reset();
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

Status RedisServer::Restart() {
  Kill9();
  return Launch();
}

std::string RedisServer::LogTail(size_t max_bytes) const {
  std::string out;
  for (const char* name : {"redis.log", "redis.stdout"}) {
    std::string path = Path(name);
    if (!FileExists(path)) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
    out += "--- " + path + " ---\n" + text;
  }
  return out;
}

}  // namespace shardkit::testing
