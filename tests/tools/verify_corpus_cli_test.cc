// The whole public corpus (../shared/corpus/public) through the CLI as a user
// runs it: every RDB file in ONE `shardkit verify --deep --json` run (verified
// in parallel), every sound one also through `shardkit inspect --json`, and
// every AOF input (legacy files and multi-part directories). Sound files must
// come back OK with the key count inspect agrees on; the files MANIFEST.md
// marks as corrupt or unsupported must fail with their exit code and a
// message naming the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

struct Failure {
  const char* suffix;
  const char* code;     // verify --deep error code
  int inspect_exit;     // inspect reads raw: 0 when only deep checks find the damage
  const char* message;  // substring of the error message
};

// From MANIFEST.md's "INTENTIONALLY CORRUPT / UNSUPPORTED" notes.
const Failure kRdbFailures[] = {
    {"encodings-rdb75-unknown-types.rdb", "NotSupported", 3, "RDB version 75"},
    {"future_v19.rdb", "NotSupported", 3, "RDB version 99"},
    {"invalid_chksum_v8.rdb", "Corruption", 1, "CRC64 mismatch"},
    {"redis-replicator/module.rdb", "NotSupported", 3, "MODULE_PRE_GA"},
    {"corrupt_ziplist.rdb", "Corruption", 0, "ziplist"},
};

// AOF inputs that must fail: CRLF turned into LF by git (not loadable), and
// a module command shardkit cannot route.
const Failure kAofFailures[] = {
    {"Ex-2.2/appendonlydir", "Corruption", 1, "expected a digit or \\r"},
    {"Ex-3.2/appendonlydir", "Corruption", 1, "expected a digit or \\r"},
    {"7002/appendonlydir", "Corruption", 1, "expected a digit or \\r"},
    {"7004/appendonlydir", "Corruption", 1, "expected a digit or \\r"},
    {"7007/appendonlydir", "Corruption", 1, "expected a digit or \\r"},
    {"appendonly6.aof", "NotSupported", 3, "unknown command 'hellotype.insert'"},
};

template <size_t N>
const Failure* Find(const Failure (&list)[N], const std::string& path) {
  for (const Failure& f : list) {
    if (path.ends_with(f.suffix)) return &f;
  }
  return nullptr;
}

std::string Head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

// RDB files (RDB magic, not named *.aof) and AOF inputs (*.aof files outside
// an appendonlydir, and every directory holding a manifest), sorted.
void ListCorpus(std::vector<std::string>* rdbs, std::vector<std::string>* aofs) {
  std::set<std::string> aof_set;
  for (const auto& e : fs::recursive_directory_iterator(CorpusDir())) {
    if (!e.is_regular_file()) continue;
    const std::string path = e.path().string();
    const std::string head = Head(path, 6);
    if (e.path().extension() == ".manifest") {
      aof_set.insert(e.path().parent_path().string());
    } else if (e.path().extension() == ".aof") {
      if (e.path().parent_path().filename() != "appendonlydir") aof_set.insert(path);
    } else if (head.starts_with("REDIS") || head.starts_with("VALKEY")) {
      rdbs->push_back(path);
    }
  }
  std::sort(rdbs->begin(), rdbs->end());
  aofs->assign(aof_set.begin(), aof_set.end());
}

TEST(VerifyCorpusCliTest, EveryRdbVerifiesDeepInOneRunAndInspectsCleanly) {
  std::vector<std::string> rdbs, aofs;
  ListCorpus(&rdbs, &aofs);
  ASSERT_GE(rdbs.size(), 250u);
  std::vector<std::string> args = {"verify", "--deep", "--json"};
  args.insert(args.end(), rdbs.begin(), rdbs.end());
  CliRun run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 1) << run.err;  // corrupt files outrank unsupported ones
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), rdbs.size());
  // Every file is inspected too: the sound ones in one `inspect --json`
  // run over all of them (one JSON line each, in order), the damaged ones
  // one by one in text form (their exit codes are checked).
  std::vector<std::string> sound_args = {"inspect", "--json", "--no-slots"};
  std::vector<std::vector<std::string>> damaged_calls;
  for (const std::string& rdb : rdbs) {
    if (Find(kRdbFailures, rdb) != nullptr) {
      damaged_calls.push_back({"inspect", rdb});
    } else {
      sound_args.push_back(rdb);
    }
  }
  const CliRun sound_inspect = RunShardkit(sound_args);
  EXPECT_EQ(sound_inspect.exit_code, 0) << sound_inspect.err;
  const std::vector<nlohmann::json> summaries = JsonLines(sound_inspect.out);
  ASSERT_EQ(summaries.size(), sound_args.size() - 3);
  const std::vector<CliRun> damaged_inspects = RunShardkitAll(damaged_calls);
  size_t next_sound = 0, next_damaged = 0;
  std::set<std::string> failed;  // suffixes met (some files are in the corpus twice)
  for (size_t i = 0; i < rdbs.size(); ++i) {
    SCOPED_TRACE(rdbs[i]);
    const auto& j = lines[i];
    ASSERT_EQ(j["path"], rdbs[i]);
    EXPECT_EQ(j["format"], "rdb");
    const Failure* f = Find(kRdbFailures, rdbs[i]);
    if (f != nullptr) {
      failed.insert(f->suffix);
      ASSERT_EQ(j["ok"], false);
      EXPECT_EQ(j["error"]["code"], f->code);
      const std::string message = j["error"]["message"];
      EXPECT_NE(message.find(f->message), std::string::npos) << message;
      EXPECT_NE(message.find(rdbs[i]), std::string::npos) << message;  // names the file
      EXPECT_FALSE(j["error"]["offset"].is_null());
      const CliRun& inspect = damaged_inspects[next_damaged++];
      EXPECT_EQ(inspect.exit_code, f->inspect_exit) << inspect.err;
      continue;
    }
    ASSERT_EQ(j["ok"], true) << j["error"].dump();
    const nlohmann::json& summary = summaries[next_sound++];
    ASSERT_EQ(summary["path"], rdbs[i]);
    EXPECT_EQ(summary["ok"], true);
    EXPECT_EQ(summary["total"]["keys"], j["keys"]);
  }
  EXPECT_EQ(failed.size(), std::size(kRdbFailures));
}

TEST(VerifyCorpusCliTest, EveryAofInputVerifiesOrFailsAsTheManifestSays) {
  std::vector<std::string> rdbs, aofs;
  ListCorpus(&rdbs, &aofs);
  ASSERT_GE(aofs.size(), 20u);
  std::vector<std::string> args = {"verify", "--json"};
  args.insert(args.end(), aofs.begin(), aofs.end());
  CliRun run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), aofs.size());
  std::set<std::string> failed;
  for (size_t i = 0; i < aofs.size(); ++i) {
    SCOPED_TRACE(aofs[i]);
    const auto& j = lines[i];
    EXPECT_EQ(j["format"], fs::is_directory(aofs[i]) ? "aof-multi-part" : "aof");
    const Failure* f = Find(kAofFailures, aofs[i]);
    if (f == nullptr) {
      EXPECT_EQ(j["ok"], true) << j["error"].dump();
      continue;
    }
    failed.insert(f->suffix);
    ASSERT_EQ(j["ok"], false);
    EXPECT_EQ(j["error"]["code"], f->code);
    const std::string message = j["error"]["message"];
    EXPECT_NE(message.find(f->message), std::string::npos) << message;
    EXPECT_FALSE(j["error"]["offset"].is_null());
  }
  EXPECT_EQ(failed.size(), std::size(kAofFailures));
}

}  // namespace
}  // namespace shardkit::testing
