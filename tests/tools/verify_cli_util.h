// Runs the built `shardkit` CLI for the verify/inspect CLI tests: exit code,
// stdout and stderr apart, and JSON Lines parsing.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace shardkit::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

inline CliRun RunShardkit(const std::vector<std::string>& args) {
  TempDir dir("shardkit-cli");
  std::string cmd = ShellQuote(SHARDKIT_BINARY);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " </dev/null 2>" + ShellQuote(dir.File("stderr"));
  CliRun run;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) run.out.append(buf, n);
  int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.err = ReadFileOrDie(dir.File("stderr"));
  return run;
}

// Runs every call (each an argument list for `shardkit`), up to `parallel`
// at a time, and returns their results in the calls' order. For tests that
// start the binary hundreds of times (one file per call): an ASan build
// takes ~0.2 s to start, and the calls are independent.
inline std::vector<CliRun> RunShardkitAll(const std::vector<std::vector<std::string>>& calls,
                                          int parallel = 4) {
  std::vector<CliRun> runs(calls.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < calls.size(); i = next++) runs[i] = RunShardkit(calls[i]);
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(parallel, static_cast<int>(calls.size())));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return runs;
}

inline std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

}  // namespace shardkit::testing
