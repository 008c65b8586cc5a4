// keyspace_check: the key-by-key view of a Redis Cluster used by
// scripts/demo.sh and the bench/recover_* scripts.
//
//   keyspace_check fill    --node H:P [--keys N] [--profile mixed|bulk]
//                          [--value-bytes B] [--seed S] [--singletons 0|1]
//   keyspace_check capture --node H:P --out FILE
//   keyspace_check compare --node H:P --expected FILE [--show N]
//
// fill writes a reproducible dataset through the cluster (cluster_fill.h).
// capture records every key's TYPE, DEBUG DIGEST-VALUE, PEXPIRETIME (and
// XINFO STREAM FULL) from every master. compare captures the cluster at
// --node now and checks it against an earlier capture: every key present
// exactly once, on the master owning its slot, with the same type, digest,
// stream metadata and PEXPIRETIME, and every master with the same function
// libraries. It prints the counts, the first --show differences and a
// `summary` line of key=value counts for scripts.
// Exit status: 0 success / everything matched, 1 differences found,
// 2 usage or connection errors.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/support/tools/cluster_capture.h"
#include "tests/support/tools/cluster_fill.h"
#include "tests/support/tools/cluster_view.h"

namespace shardkit::testing::tools {
namespace {

constexpr int kExitMatch = 0;
constexpr int kExitDiffer = 1;
constexpr int kExitError = 2;

struct Args {
  std::string command;
  std::map<std::string, std::string> flags;
};

const char kUsage[] =
    "usage: keyspace_check fill    --node H:P [--keys N] [--profile mixed|bulk] "
    "[--value-bytes B] [--seed S] [--singletons 0|1]\n"
    "       keyspace_check capture --node H:P --out FILE\n"
    "       keyspace_check compare --node H:P --expected FILE [--show N]\n";

Result<Args> ParseArgs(int argc, char** argv) {
  if (argc < 2) return Status::InvalidArgument("no command");
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) {
      return Status::InvalidArgument("expected --flag value, got \"" + flag + "\"");
    }
    a.flags[flag.substr(2)] = argv[i + 1];
  }
  return a;
}

Result<uint64_t> NumberFlag(const Args& a, const std::string& name, uint64_t fallback) {
  auto it = a.flags.find(name);
  if (it == a.flags.end()) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
  if (errno != 0 || end == it->second.c_str() || *end != '\0') {
    return Status::InvalidArgument("--" + name + " wants a number, got " + it->second);
  }
  return static_cast<uint64_t>(v);
}

Result<std::string> RequiredFlag(const Args& a, const std::string& name) {
  auto it = a.flags.find(name);
  if (it == a.flags.end()) return Status::InvalidArgument("--" + name + " is required");
  return it->second;
}

Result<std::unique_ptr<ClusterView>> ConnectFlag(const Args& a) {
  SK_ASSIGN_OR_RETURN(std::string node, RequiredFlag(a, "node"));
  SK_ASSIGN_OR_RETURN(Endpoint seed, ParseEndpoint(node));
  return ClusterView::Connect(seed);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result<int> Fill(const Args& a) {
  SK_ASSIGN_OR_RETURN(auto view, ConnectFlag(a));
  FillOptions o;
  SK_ASSIGN_OR_RETURN(o.keys, NumberFlag(a, "keys", o.keys));
  SK_ASSIGN_OR_RETURN(uint64_t value_bytes, NumberFlag(a, "value-bytes", o.value_bytes));
  o.value_bytes = value_bytes;
  SK_ASSIGN_OR_RETURN(o.seed, NumberFlag(a, "seed", o.seed));
  SK_ASSIGN_OR_RETURN(uint64_t singletons, NumberFlag(a, "singletons", 1));
  o.singletons = singletons != 0;
  auto profile = a.flags.find("profile");
  if (profile != a.flags.end() && profile->second == "bulk") {
    o.profile = FillProfile::kBulk;
  } else if (profile != a.flags.end() && profile->second != "mixed") {
    return Status::InvalidArgument("--profile is mixed or bulk, not " + profile->second);
  }
  const auto start = std::chrono::steady_clock::now();
  SK_ASSIGN_OR_RETURN(FillStats stats, FillCluster(*view, o));
  std::printf("filled %zu masters: %llu commands, %.1f MiB of keys and values, %.2fs\n",
              view->master_count(), static_cast<unsigned long long>(stats.commands),
              static_cast<double>(stats.value_bytes) / 1048576.0, SecondsSince(start));
  return kExitMatch;
}

void PrintCaptureSummary(const ClusterCapture& c, size_t masters, double seconds) {
  std::map<std::string, uint64_t> by_type;
  uint64_t with_ttl = 0;
  for (const auto& [key, s] : c.keys) {
    ++by_type[s.type];
    if (s.pexpiretime_ms >= 0) ++with_ttl;
  }
  std::printf("captured %zu keys from %zu masters in %.2fs (%llu with a TTL):", c.keys.size(),
              masters, seconds, static_cast<unsigned long long>(with_ttl));
  for (const auto& [type, n] : by_type) {
    std::printf(" %s %llu", type.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\n");
  for (const std::string& p : c.problems) std::printf("  %s\n", p.c_str());
}

Result<int> Capture(const Args& a) {
  SK_ASSIGN_OR_RETURN(std::string out, RequiredFlag(a, "out"));
  SK_ASSIGN_OR_RETURN(auto view, ConnectFlag(a));
  const auto start = std::chrono::steady_clock::now();
  SK_ASSIGN_OR_RETURN(ClusterCapture c, CaptureCluster(*view));
  PrintCaptureSummary(c, view->master_count(), SecondsSince(start));
  SK_RETURN_IF_ERROR(SaveCapture(c, out));
  return c.misplaced + c.duplicated == 0 ? kExitMatch : kExitDiffer;
}

struct Comparison {
  uint64_t expected = 0, found = 0, missing = 0, extra = 0, type = 0, digest = 0, stream = 0;
  uint64_t pexpiretime = 0, functions = 0, misplaced = 0, duplicated = 0;
  int64_t max_shift_ms = 0;
  std::vector<std::string> lines;

  void Add(uint64_t& counter, std::string line) {
    ++counter;
    lines.push_back(std::move(line));
  }
  bool Match() const {
    return missing + extra + type + digest + stream + pexpiretime + functions + misplaced +
               duplicated ==
           0;
  }
};

void CompareKey(const std::string& key, const KeyState& want, const KeyState& got, Comparison& c) {
  const std::string where = "key " + PrintableKey(key);
  if (want.type != got.type)
    c.Add(c.type, where + ": type " + want.type + " expected, " + got.type);
  if (want.digest != got.digest) {
    c.Add(c.digest, where + ": digest " + want.digest + " expected, " + got.digest);
  }
  if (want.stream_info != got.stream_info) {
    c.Add(c.stream, where + ": stream groups/metadata differ: expected " +
                        want.stream_info.substr(0, 200) + " found " +
                        got.stream_info.substr(0, 200));
  }
  if (want.pexpiretime_ms != got.pexpiretime_ms) {
    const int64_t shift = got.pexpiretime_ms - want.pexpiretime_ms;
    if (want.pexpiretime_ms >= 0 && got.pexpiretime_ms >= 0 &&
        std::llabs(shift) > std::llabs(c.max_shift_ms)) {
      c.max_shift_ms = shift;
    }
    c.Add(c.pexpiretime, where + ": pexpiretime " + std::to_string(want.pexpiretime_ms) +
                             " expected, " + std::to_string(got.pexpiretime_ms));
  }
}

Comparison CompareCaptures(const ClusterCapture& want, const ClusterCapture& got) {
  Comparison c;
  c.expected = want.keys.size();
  c.found = got.keys.size();
  c.misplaced = got.misplaced;
  c.duplicated = got.duplicated;
  for (const std::string& p : got.problems) c.lines.push_back(p);
  for (const auto& [key, state] : want.keys) {
    auto it = got.keys.find(key);
    if (it == got.keys.end()) {
      c.Add(c.missing, "key " + PrintableKey(key) + ": missing");
    } else {
      CompareKey(key, state, it->second, c);
    }
  }
  for (const auto& [key, state] : got.keys) {
    if (want.keys.count(key) == 0)
      c.Add(c.extra, "key " + PrintableKey(key) + ": extra (" + state.type + ")");
  }
  for (size_t i = 0; i < got.node_functions.size(); ++i) {
    if (got.node_functions[i] != want.functions) {
      c.Add(c.functions, "master " + std::to_string(i) + ": function libraries differ");
    }
  }
  return c;
}

Result<int> Compare(const Args& a) {
  SK_ASSIGN_OR_RETURN(std::string expected_path, RequiredFlag(a, "expected"));
  SK_ASSIGN_OR_RETURN(uint64_t show, NumberFlag(a, "show", 10));
  SK_ASSIGN_OR_RETURN(ClusterCapture want, LoadCapture(expected_path));
  SK_ASSIGN_OR_RETURN(auto view, ConnectFlag(a));
  const auto start = std::chrono::steady_clock::now();
  SK_ASSIGN_OR_RETURN(ClusterCapture got, CaptureCluster(*view));
  const Comparison c = CompareCaptures(want, got);
  std::printf("compared %llu expected keys with %llu found on %zu masters in %.2fs\n",
              static_cast<unsigned long long>(c.expected), static_cast<unsigned long long>(c.found),
              view->master_count(), SecondsSince(start));
  std::printf(
      "summary expected=%llu found=%llu missing=%llu extra=%llu misplaced=%llu duplicated=%llu "
      "type=%llu digest=%llu stream=%llu pexpiretime=%llu max_shift_ms=%lld functions=%llu\n",
      static_cast<unsigned long long>(c.expected), static_cast<unsigned long long>(c.found),
      static_cast<unsigned long long>(c.missing), static_cast<unsigned long long>(c.extra),
      static_cast<unsigned long long>(c.misplaced), static_cast<unsigned long long>(c.duplicated),
      static_cast<unsigned long long>(c.type), static_cast<unsigned long long>(c.digest),
      static_cast<unsigned long long>(c.stream), static_cast<unsigned long long>(c.pexpiretime),
      static_cast<long long>(c.max_shift_ms), static_cast<unsigned long long>(c.functions));
  for (size_t i = 0; i < c.lines.size() && i < show; ++i) std::printf("  %s\n", c.lines[i].c_str());
  if (c.lines.size() > show) {
    std::printf("  ... and %zu more differences\n", c.lines.size() - show);
  }
  std::printf("%s\n", c.Match() ? "MATCH: every key is on its slot's master with the same "
                                  "value, type and PEXPIRETIME"
                                : "DIFFERENT");
  return c.Match() ? kExitMatch : kExitDiffer;
}

int Main(int argc, char** argv) {
  Result<Args> args = ParseArgs(argc, argv);
  Result<int> code = Status::InvalidArgument("unknown command");
  if (!args.ok()) {
    code = args.status();
  } else if (args->command == "fill") {
    code = Fill(*args);
  } else if (args->command == "capture") {
    code = Capture(*args);
  } else if (args->command == "compare") {
    code = Compare(*args);
  }
  if (!code.ok()) {
    std::fprintf(stderr, "keyspace_check: %s\n", code.status().ToString().c_str());
    if (code.status().code() == StatusCode::kInvalidArgument) {
      std::fputs(kUsage, stderr);
    }
    return kExitError;
  }
  return *code;
}

}  // namespace
}  // namespace shardkit::testing::tools

int main(int argc, char** argv) { return shardkit::testing::tools::Main(argc, argv); }
