// The public corpus (../shared/corpus/public) through the native path as a
// user runs it: every RDB file converted by one `shardkit convert --out-dir`
// run (the ones it refuses must be refused as unsupported or corrupt, never
// crash), all snapshots verified in ONE `shardkit verify --deep --json` run
// beside the RDBs they came from, and each inspected. Every snapshot must verify with
// the key count and per-type counts of its RDB; the one corpus RDB whose
// damage only deep checks see (corrupt_ziplist.rdb) must fail the same way
// as a snapshot.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

std::string FileHead(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

std::vector<std::string> CorpusRdbs() {
  std::vector<std::string> rdbs;
  for (const auto& e : fs::recursive_directory_iterator(CorpusDir())) {
    if (!e.is_regular_file() || e.path().extension() == ".aof") continue;
    const std::string head = FileHead(e.path().string(), 6);
    if (head.starts_with("REDIS") || head.starts_with("VALKEY")) rdbs.push_back(e.path());
  }
  std::sort(rdbs.begin(), rdbs.end());
  return rdbs;
}

TEST(VerifyNativeCorpusCliTest, EveryConvertibleRdbVerifiesDeepAsNativeWithItsKeyCounts) {
  const std::vector<std::string> rdbs = CorpusRdbs();
  ASSERT_GE(rdbs.size(), 250u);
  TempDir dir("native-corpus");
  // One `convert --out-dir` run over every file (one process: under the
  // sanitizers each start-up costs ~0.1 s of CPU, 260 of them ~1 min). The
  // inputs are linked under unique names, since the outputs take the inputs'.
  std::filesystem::create_directories(dir.File("in"));
  std::filesystem::create_directories(dir.File("out"));
  std::vector<std::string> args = {"convert", "--out-dir", dir.File("out"), "--to", "native",
                                   "--json"};
  for (size_t i = 0; i < rdbs.size(); ++i) {
    const std::string link = dir.File("in/" + std::to_string(i) + ".rdb");
    std::filesystem::create_symlink(fs::absolute(rdbs[i]), link);
    args.push_back(link);
  }
  const CliRun converts = RunShardkit(args);
  // Refusals are reasoned (unsupported content or a corrupt source): never
  // an I/O error or a crash.
  EXPECT_TRUE(converts.exit_code == 0 || converts.exit_code == 1 || converts.exit_code == 3)
      << converts.exit_code << converts.err;
  const std::vector<nlohmann::json> converted = JsonLines(converts.out);
  ASSERT_EQ(converted.size(), rdbs.size()) << converts.err;
  std::vector<std::string> sources, snapshots;
  for (size_t i = 0; i < rdbs.size(); ++i) {
    const std::string out = dir.File("out/" + std::to_string(i) + ".skn");
    const nlohmann::json& convert = converted[i];
    ASSERT_EQ(convert["input"], dir.File("in/" + std::to_string(i) + ".rdb"));
    ASSERT_EQ(convert["output"], out);
    if (convert["ok"] != true) {
      const std::string code = convert["error"]["code"];
      EXPECT_TRUE(code == "Corruption" || code == "NotSupported") << rdbs[i] << convert.dump();
      EXPECT_FALSE(fs::exists(out)) << rdbs[i];
      continue;
    }
    sources.push_back(rdbs[i]);
    snapshots.push_back(out);
  }
  ASSERT_GE(snapshots.size(), 230u);

  args = {"verify", "--deep", "--json"};
  for (size_t i = 0; i < sources.size(); ++i) {
    args.push_back(sources[i]);
    args.push_back(snapshots[i]);
  }
  CliRun run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 1) << run.err;  // corrupt_ziplist.rdb and its snapshot
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 2 * sources.size());
  // Every snapshot inspected in one run: one JSON line each, in order.
  std::vector<std::string> inspect_args = {"inspect", "--json", "--no-slots"};
  inspect_args.insert(inspect_args.end(), snapshots.begin(), snapshots.end());
  const CliRun inspect_run = RunShardkit(inspect_args);
  EXPECT_EQ(inspect_run.exit_code, 0) << inspect_run.err;
  const std::vector<nlohmann::json> summaries = JsonLines(inspect_run.out);
  ASSERT_EQ(summaries.size(), snapshots.size());
  size_t deep_failures = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    SCOPED_TRACE(sources[i]);
    const nlohmann::json& rdb = lines[2 * i];
    const nlohmann::json& native = lines[2 * i + 1];
    ASSERT_EQ(native["path"], snapshots[i]);
    EXPECT_EQ(rdb["format"], "rdb");
    EXPECT_EQ(native["format"], "native");
    if (sources[i].ends_with("corrupt_ziplist.rdb")) {
      ++deep_failures;
      EXPECT_EQ(rdb["ok"], false);
      ASSERT_EQ(native["ok"], false);
      EXPECT_EQ(native["error"]["code"], "Corruption");
      EXPECT_EQ(native["error"]["key"], rdb["error"]["key"]);
      continue;
    }
    ASSERT_EQ(rdb["ok"], true) << rdb["error"].dump();
    ASSERT_EQ(native["ok"], true) << native["error"].dump();
    EXPECT_EQ(native["keys"], rdb["keys"]);
    EXPECT_EQ(native["types"], rdb["types"]);
    EXPECT_EQ(native["expires"], rdb["expires"]);
    EXPECT_EQ(native["version"], rdb["version"]);

    const nlohmann::json& summary = summaries[i];
    ASSERT_EQ(summary["path"], snapshots[i]);
    EXPECT_EQ(summary["ok"], true);
    EXPECT_FALSE(summary.contains("slot_keys"));  // --no-slots
    EXPECT_EQ(summary["total"]["keys"], rdb["keys"]);
    EXPECT_EQ(summary["total"]["expires"], rdb["expires"]);
  }
  EXPECT_GE(deep_failures, 1u);  // the file is in the corpus more than once
}

}  // namespace
}  // namespace shardkit::testing
