// The corruption matrix through the real CLI, on a seeded sample: damaged
// corpus files (truncated or mutated) written to disk and given to
// `shardkit verify --deep`, `shardkit inspect` (RDB) and `shardkit repair
// --out`, each in a child process under a memory limit (RLIMIT_AS 256 MiB in
// Release; ASan's largest-allocation cap of 1 GiB under ASan) and CPU/wall
// limits. Expected: exit 0 (sound) or 1 (damage found, with a message naming
// an offset), 3 only for a header shardkit refuses to read (e.g. a mutated
// version number); never a signal or a time-out. Where repair writes an
// output, `shardkit verify --deep` finds it sound.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/reliability/child_process.h"
#include "tests/reliability/corpus_files.h"
#include "tests/reliability/mutations.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {
namespace {

namespace fs = std::filesystem;

ChildLimits CliLimits() {
  ChildLimits limits;
  limits.memory_mib = kAsanBuild ? 1024 : 256;
  limits.cpu_seconds = kAsanBuild ? 60 : 20;
  limits.wall_seconds = kAsanBuild ? 120 : 60;
  return limits;
}

ChildResult ShardkitLimited(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {testing::ShardkitBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunLimited(argv, CliLimits());
}

void ExpectCleanOutcome(const std::string& what, const ChildResult& r, bool allow_not_supported) {
  ASSERT_FALSE(r.timed_out) << what << ": timed out\n" << r.output;
  ASSERT_TRUE(r.exited) << what << ": " << r.Describe() << "\n" << r.output;
  const bool ok_code = r.exit_code == 0 || r.exit_code == 1 ||
                       (allow_not_supported && r.exit_code == 3);
  ASSERT_TRUE(ok_code) << what << ": " << r.Describe() << "\n" << r.output;
  if (r.exit_code == 1) {
    const bool located = r.output.find("offset") != std::string::npos ||
                         r.output.find("empty file") != std::string::npos;
    EXPECT_TRUE(located) << what << ": no offset named\n" << r.output;
  }
}

TEST(CliSample, DamagedFilesThroughVerifyInspectAndRepair) {
  std::vector<CorpusFile> files;
  std::set<std::string> seen;
  for (CorpusFile& f : SmallCorpusFiles()) {
    if ((f.kind == FileKind::kRdb || f.kind == FileKind::kAof) && seen.insert(f.bytes).second) {
      files.push_back(std::move(f));
    }
  }
  ASSERT_GE(files.size(), 50u);
  const uint64_t samples = std::max<uint64_t>(12, static_cast<uint64_t>(120 * Scale()));
  std::mt19937_64 rng(TestSeed() ^ 0x5eed);
  testing::TempDir dir("shardkit-cli-sample");
  uint64_t runs = 0, repaired_outputs = 0;
  for (uint64_t i = 0; i < samples; ++i) {
    const CorpusFile& f = files[rng() % files.size()];
    std::string bytes = f.bytes;
    std::string how;
    if (rng() % 3 == 0) {
      const uint64_t cut = rng() % bytes.size();
      bytes.resize(cut);
      how = "cut at " + std::to_string(cut);
    } else {
      how = Mutate(&bytes, &rng).Describe();
    }
    const bool is_aof = f.kind == FileKind::kAof;
    const std::string path = dir.File("sample-" + std::to_string(i) + (is_aof ? ".aof" : ".rdb"));
    testing::WriteFileOrDie(path, bytes);
    const std::string what = f.name + " " + how + " (seed " + std::to_string(TestSeed()) + ")";
    ExpectCleanOutcome("verify " + what, ShardkitLimited({"verify", "--deep", path}), true);
    ++runs;
    if (!is_aof) {
      ExpectCleanOutcome("inspect " + what, ShardkitLimited({"inspect", path}), true);
      ++runs;
    }
    // Named like its input: an empty file is a sound AOF only when named *.aof.
    const std::string out = dir.File("repaired-" + std::to_string(i) + (is_aof ? ".aof" : ".rdb"));
    ChildResult repair = ShardkitLimited({"repair", path, "--out", out});
    ++runs;
    ASSERT_FALSE(repair.timed_out) << "repair " << what;
    ASSERT_TRUE(repair.exited) << "repair " << what << ": " << repair.Describe() << "\n"
                               << repair.output;
    ASSERT_NE(repair.exit_code, 70) << "repair " << what << "\n" << repair.output;
    // Known issue (tests/reliability/found_bugs_test.cc, disabled there):
    // repair calls an empty *.rdb a sound AOF and copies it; verify calls it
    // corrupt. Empty inputs are left out of the repair check until fixed.
    const bool known_empty_rdb = !is_aof && bytes.empty();
    if ((repair.exit_code == 0 || repair.exit_code == 1) && fs::exists(out) && !known_empty_rdb) {
      ChildResult check = ShardkitLimited({"verify", "--deep", out});
      ++runs;
      ++repaired_outputs;
      EXPECT_EQ(check.exit_code, 0) << "repair output of " << what << " does not verify\n"
                                    << check.output << "\nrepair said:\n"
                                    << repair.output;
    }
    if (HasFailure()) return;
  }
  RecordFigure("cli_samples", samples);
  RecordFigure("cli_runs", runs);
  RecordFigure("cli_repaired_outputs_verified", repaired_outputs);
}

}  // namespace
}  // namespace shardkit::reliability
