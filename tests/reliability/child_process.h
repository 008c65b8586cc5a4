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
#include <string_view>
#include <vector>

#include "tests/support/sanitizers.h"

namespace shardkit::reliability {

inline constexpr bool kAsanBuild = shardkit::testing::kUnderAsan;

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
// Everything the child needs between vfork and exec, built beforehand: the
// child shares the parent's memory until it execs, so it may only make
// system calls (no allocation, no setenv). vfork, not fork: fork copies the
// page tables of the whole test process, which under ASan's shadow memory
// cost tens of ms of kernel time per child.
struct PreparedExec {
  std::vector<char*> argv;  // points into the caller's argv
  std::vector<std::string> env;
  std::vector<char*> envp;  // points into env
  bool limit_address_space = false;
  rlimit address_space{};
  rlimit cpu{};
};

inline PreparedExec PrepareExec(const std::vector<std::string>& argv, const ChildLimits& limits) {
  PreparedExec p;
  for (const std::string& a : argv) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  std::string asan = "ASAN_OPTIONS=";
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (kAsanBuild && entry.starts_with("ASAN_OPTIONS=")) {
      asan = std::string(entry) + ":";
    } else {
      p.env.emplace_back(entry);
    }
  }
  if (kAsanBuild) {
    p.env.push_back(asan + "max_allocation_size_mb=" + std::to_string(limits.memory_mib) +
                    ":allocator_may_return_null=0:detect_leaks=1:abort_on_error=1");
  } else {
    p.limit_address_space = true;
    p.address_space = rlimit{limits.memory_mib << 20, limits.memory_mib << 20};
  }
  p.cpu = rlimit{static_cast<rlim_t>(limits.cpu_seconds),
                 static_cast<rlim_t>(limits.cpu_seconds + 1)};
  for (std::string& e : p.env) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return p;
}

// In the child after vfork: output to `out_fd`, stdin from `in_fd`, limits,
// exec. System calls only. Never returns.
[[noreturn]] inline void ExecChild(const PreparedExec& p, int out_fd, int in_fd) {
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  if (in_fd >= 0) dup2(in_fd, 0);
  if (p.limit_address_space) setrlimit(RLIMIT_AS, &p.address_space);
  setrlimit(RLIMIT_CPU, &p.cpu);
  execve(p.argv[0], p.argv.data(), p.envp.data());
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
  const internal::PreparedExec exec = internal::PrepareExec(argv, limits);
  const int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = vfork();
  if (pid == 0) internal::ExecChild(exec, fds[1], in_fd);
  close(fds[1]);
  if (in_fd >= 0) close(in_fd);
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
  ChildLimits limits;
  limits.memory_mib = 1024;
  const internal::PreparedExec exec = internal::PrepareExec(argv, limits);
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = vfork();
  if (pid == 0) internal::ExecChild(exec, null_fd, null_fd);
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
