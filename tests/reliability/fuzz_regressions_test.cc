// Replays every fuzz regression input (tests/fuzz/regressions/<target>/*)
// and every hand-made seed (tests/fuzz/seeds/<target>/*) through the same
// entry point its libFuzzer target uses, in the normal test suite. The
// targets' sources are compiled in here with SHARDKIT_FUZZ_REPLAY, which
// turns each LLVMFuzzerTestOneInput into a registered function; an input
// that crashes or breaks a target's invariant aborts this test (and, under
// the Asan build, ASan/UBSan report it).
#define SHARDKIT_FUZZ_REPLAY 1

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::fuzz {
namespace {
std::map<std::string, TargetFn>& Registry() {
  static auto* registry = new std::map<std::string, TargetFn>();
  return *registry;
}
}  // namespace
void RegisterTarget(const char* name, TargetFn fn) { Registry()[name] = fn; }
}  // namespace shardkit::fuzz

// Every target, compiled into this test. A new tests/fuzz/fuzz_<name>.cc
// must be added here (EveryFuzzTargetIsReplayed fails until it is).
#include "tests/fuzz/fuzz_aof.cc"
#include "tests/fuzz/fuzz_aof_manifest.cc"
#include "tests/fuzz/fuzz_byte_reader.cc"
#include "tests/fuzz/fuzz_fragments.cc"
#include "tests/fuzz/fuzz_intset.cc"
#include "tests/fuzz/fuzz_listpack.cc"
#include "tests/fuzz/fuzz_lzf.cc"
#include "tests/fuzz/fuzz_native.cc"
#include "tests/fuzz/fuzz_nodes_conf.cc"
#include "tests/fuzz/fuzz_plan_json.cc"
#include "tests/fuzz/fuzz_rdb_deep.cc"
#include "tests/fuzz/fuzz_rdb_enterprise.cc"
#include "tests/fuzz/fuzz_rdb_raw.cc"
#include "tests/fuzz/fuzz_rdb_value.cc"
#include "tests/fuzz/fuzz_rdb_verify_split.cc"
#include "tests/fuzz/fuzz_recovery_spec.cc"
#include "tests/fuzz/fuzz_resp.cc"
#include "tests/fuzz/fuzz_volume_report.cc"
#include "tests/fuzz/fuzz_ziplist.cc"
#include "tests/fuzz/fuzz_zipmap.cc"
// The plan file, recovery spec and volume report parsers live in tools/ (not
// in the engine libraries).
#include "tools/plan_json.cc"
#include "tools/recovery_spec.cc"
#include "tools/volume_report_json.cc"

namespace shardkit::fuzz {
namespace {

namespace fs = std::filesystem;

std::string FuzzDir() { return std::string(SHARDKIT_SOURCE_DIR) + "/tests/fuzz"; }

// Files below <FuzzDir>/<kind>/<target>/, sorted.
std::vector<fs::path> InputsOf(const std::string& kind, const std::string& target) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(FuzzDir()) / kind / target;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t Replay(const std::string& kind) {
  uint64_t inputs = 0;
  for (const auto& [name, fn] : Registry()) {
    for (const fs::path& path : InputsOf(kind, name)) {
      SCOPED_TRACE(path.string());
      const std::string data = testing::ReadFileOrDie(path.string());
      EXPECT_EQ(fn(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0);
      ++inputs;
    }
  }
  return inputs;
}

TEST(FuzzRegressions, EveryFuzzTargetIsReplayed) {
  std::vector<std::string> missing;
  for (const auto& e : fs::directory_iterator(FuzzDir())) {
    const std::string file = e.path().filename().string();
    if (file.rfind("fuzz_", 0) != 0 || e.path().extension() != ".cc") continue;
    if (!Registry().count(e.path().stem().string())) missing.push_back(file);
  }
  EXPECT_TRUE(missing.empty()) << "not included in fuzz_regressions_test.cc: " << missing[0];
  EXPECT_GE(Registry().size(), 15u);
}

TEST(FuzzRegressions, RegressionDirectoriesNameTargets) {
  const fs::path root = fs::path(FuzzDir()) / "regressions";
  ASSERT_TRUE(fs::is_directory(root));
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    EXPECT_TRUE(Registry().count(e.path().filename().string()))
        << e.path() << " is not the name of a fuzz target";
  }
}

TEST(FuzzRegressions, EveryRegressionInputRunsClean) {
  const uint64_t inputs = Replay("regressions");
  std::printf("replayed %llu regression inputs\n", static_cast<unsigned long long>(inputs));
}

TEST(FuzzRegressions, EverySeedRunsClean) {
  EXPECT_GT(Replay("seeds"), 20u);
}

}  // namespace
}  // namespace shardkit::fuzz
