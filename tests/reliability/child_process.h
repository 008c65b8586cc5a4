// ChildProcess helpers for the reliability tests: run a program with a
// memory limit (RLIMIT_AS in Release; ASan's max_allocation_size_mb under
// ASan, whose shadow memory cannot live under RLIMIT_AS), a CPU limit and a
// wall-clock deadline, capturing stdout+stderr; or start it and kill it with
// SIGKILL after a chosen number of microseconds (crash tests).
// Header-only: tests/reliability builds every *_test.cc and nothing else.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace shardkit::reliability {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAsanBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAsanBuild = true;
#else
inline constexpr bool kAsanBuild = false;
#endif
#else
inline constexpr bool kAsanBuild = false;
#endif

struct ChildLimits {
  uint64_t memory_mib = 256;  // RLIMIT_AS (Release) / largest allocation (ASan)
  int cpu_seconds = 20;       // RLIMIT_CPU: SIGXCPU past it
  int wall_seconds = 30;      // SIGKILL past it (timed_out = true)
};

struct ChildResult {
  bool exited = false;  // exited normally (else killed by `signal`)
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string output;  // stdout + stderr
  std::string Describe() const {
    if (timed_out) return "timed out";
    if (!exited) return "killed by signal " + std::to_string(signal);
    return "exit " + std::to_string(exit_code);
  }
};

namespace internal {
// In the child after fork: limits, output to `out_fd`, exec. Never returns.
[[noreturn]] inline void ExecChild(const std::vector<std::string>& argv, const ChildLimits& limits,
                                   int out_fd) {
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  if (!kAsanBuild) {
    rlimit as{limits.memory_mib << 20, limits.memory_mib << 20};
    setrlimit(RLIMIT_AS, &as);
  } else {
    std::string opts = "max_allocation_size_mb=" + std::to_string(limits.memory_mib) +
                       ":allocator_may_return_null=0:detect_leaks=1:abort_on_error=1";
    if (const char* old = getenv("ASAN_OPTIONS")) opts = std::string(old) + ":" + opts;
    setenv("ASAN_OPTIONS", opts.c_str(), 1);
  }
  rlimit cpu{static_cast<rlim_t>(limits.cpu_seconds), static_cast<rlim_t>(limits.cpu_seconds + 1)};
  setrlimit(RLIMIT_CPU, &cpu);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

inline void FillResult(int status, ChildResult* r) {
  if (WIFEXITED(status)) {
    r->exited = true;
    r->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r->signal = WTERMSIG(status);
  }
}
}  // namespace internal

// Runs argv[0] (a path) to completion under `limits`.
inline ChildResult RunLimited(const std::vector<std::string>& argv, const ChildLimits& limits) {
  ChildResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    internal::ExecChild(argv, limits, fds[1]);
  }
  close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits.wall_seconds);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) < 0) continue;
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;  // EOF: the child closed its output (exited)
    if (r.output.size() < (1 << 20)) r.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  internal::FillResult(status, &r);
  return r;
}

// Starts argv, waits `delay_us` microseconds, sends SIGKILL, reaps it.
// Returns true when the kill landed before the program finished on its own.
inline bool RunAndKill(const std::vector<std::string>& argv, uint64_t delay_us,
                       ChildResult* result) {
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    ChildLimits limits;
    limits.memory_mib = kAsanBuild ? 1024 : 1024;
    internal::ExecChild(argv, limits, null_fd);
  }
  close(null_fd);
  timespec ts{static_cast<time_t>(delay_us / 1000000), static_cast<long>(delay_us % 1000000) * 1000};
  nanosleep(&ts, nullptr);  // the kill moment itself, not a wait for a condition
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  internal::FillResult(status, result);
  return !result->exited && result->signal == SIGKILL;
}

}  // namespace shardkit::reliability
