// `shardkit verify` and `shardkit inspect` as a user runs them: exit codes
// 0/1/2/3, JSON Lines shape and order, text on stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

using shardkit::testing::CorpusDir;

using shardkit::testing::CliRun;
using shardkit::testing::RunShardkit;

using shardkit::testing::JsonLines;

std::string Corpus(const std::string& rel) { return CorpusDir() + "/" + rel; }

const std::string kGood = "dragonflydb__dragonfly/redis6_small.rdb";
const std::string kCorruptDeep = "redis__redis/corrupt_ziplist.rdb";
const std::string kBadCrc = "redis__librdb/invalid_chksum_v8.rdb";
const std::string kFuture = "redis__librdb/future_v19.rdb";

TEST(VerifyCliTest, SoundFileExitsZeroWithTextOnStderr) {
  CliRun r = RunShardkit({"verify", Corpus(kGood)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("OK " + Corpus(kGood) + " (RDB v9, 20 keys, crc ok)"), std::string::npos)
      << r.err;
}

TEST(VerifyCliTest, JsonObjectHasTheDocumentedFields) {
  CliRun r = RunShardkit({"verify", "--json", Corpus(kGood)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& j = lines[0];
  EXPECT_EQ(j["path"], Corpus(kGood));
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["format"], "rdb");
  EXPECT_EQ(j["magic"], "REDIS");
  EXPECT_EQ(j["version"], 9);
  EXPECT_EQ(j["producer"], "redis 6.2.7");
  EXPECT_EQ(j["keys"], 20);
  EXPECT_EQ(j["expires"], 2);
  EXPECT_EQ(j["types"]["string"], 12);
  EXPECT_EQ(j["crc"], "ok");
  EXPECT_EQ(j["crc_stored"], j["crc_computed"]);
  EXPECT_EQ(j["bytes"], 1104);
  EXPECT_EQ(j["trailing_bytes"], 0);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(j["backend"] == "uring" || j["backend"] == "pread") << j["backend"];
  EXPECT_EQ(j["deep"], false);
  // Under 64 MiB: one thread reads the whole file, in one piece.
  EXPECT_TRUE(j["split_at"].is_null());
  EXPECT_EQ(j["pieces"], 1);
}

TEST(VerifyCliTest, DeepFindsTheBrokenZiplistWithOffsetAndKey) {
  CliRun structural = RunShardkit({"verify", Corpus(kCorruptDeep)});
  EXPECT_EQ(structural.exit_code, 0) << structural.err;
  CliRun r = RunShardkit({"verify", "--deep", "--json", Corpus(kCorruptDeep)});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const auto& e = lines[0]["error"];
  EXPECT_EQ(lines[0]["ok"], false);
  EXPECT_EQ(e["code"], "Corruption");
  EXPECT_EQ(e["offset"], 488);
  EXPECT_EQ(e["key"], "key:000000000091");
  EXPECT_NE(e["message"].get<std::string>().find("ziplist"), std::string::npos);
}

TEST(VerifyCliTest, ExitCodesForCorruptUnsupportedMissingAndUsage) {
  EXPECT_EQ(RunShardkit({"verify", Corpus(kBadCrc)}).exit_code, 1);
  CliRun future = RunShardkit({"verify", Corpus(kFuture)});
  EXPECT_EQ(future.exit_code, 3);
  EXPECT_NE(future.err.find("RDB version 99"), std::string::npos) << future.err;
  EXPECT_EQ(RunShardkit({"verify", "/nonexistent/dump.rdb"}).exit_code, 2);
  EXPECT_EQ(RunShardkit({"verify"}).exit_code, 2);
  EXPECT_EQ(RunShardkit({"verify", "--threads", "0", Corpus(kGood)}).exit_code, 2);
}

TEST(VerifyCliTest, SeveralPathsInParallelReportInArgumentOrderWithWorstExitCode) {
  std::vector<std::string> paths = {Corpus(kGood), Corpus(kFuture), Corpus(kBadCrc),
                                    Corpus("redis__redis/encodings.rdb")};
  std::vector<std::string> args = {"verify", "--json", "--threads", "3"};
  args.insert(args.end(), paths.begin(), paths.end());
  CliRun r = RunShardkit(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // corrupt outranks unsupported
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(lines[i]["path"], paths[i]);
  EXPECT_EQ(lines[1]["error"]["code"], "NotSupported");
  EXPECT_EQ(lines[2]["error"]["code"], "Corruption");
  EXPECT_EQ(lines[3]["crc"], "absent");

  EXPECT_EQ(RunShardkit({"verify", Corpus(kGood), Corpus(kFuture)}).exit_code, 3);
  EXPECT_EQ(RunShardkit({"verify", Corpus(kBadCrc), "/nonexistent"}).exit_code, 2);
}

TEST(VerifyCliTest, TrailingBytesAreAWarningNotAnError) {
  CliRun r = RunShardkit(
      {"verify", "--json", Corpus("sripathikrishnan__redis-rdb-tools/redis_40_with_module.rdb")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = JsonLines(r.out).at(0);
  EXPECT_EQ(j["trailing_bytes"], 40);
  EXPECT_EQ(j["crc"], "disabled");
  EXPECT_EQ(j["modules"], nlohmann::json::array({"ReJSON-RL/0"}));
  EXPECT_EQ(j["warnings"].size(), 2u);
}

TEST(InspectCliTest, JsonCountsBytesAndAllSlots) {
  CliRun r = RunShardkit({"inspect", "--json", "--top", "3", Corpus(kGood)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total"]["keys"], 20);
  EXPECT_EQ(j["total"]["expires"], 2);
  EXPECT_EQ(j["dbs"]["0"]["keys"], 10);
  EXPECT_EQ(j["dbs"]["1"]["keys"], 10);
  ASSERT_EQ(j["slot_bytes"].size(), 16384u);
  uint64_t slot_sum = 0, key_sum = 0;
  for (const auto& b : j["slot_bytes"]) slot_sum += b.get<uint64_t>();
  for (const auto& k : j["slot_keys"]) key_sum += k.get<uint64_t>();
  EXPECT_EQ(slot_sum, j["total"]["bytes"].get<uint64_t>());
  EXPECT_EQ(key_sum, 20u);
  uint64_t type_bytes = 0;
  for (const auto& [name, c] : j["types"].items()) type_bytes += c["bytes"].get<uint64_t>();
  EXPECT_EQ(type_bytes, slot_sum);
  ASSERT_EQ(j["largest"].size(), 3u);
  EXPECT_EQ(j["largest"][0]["key"], "list2");
  EXPECT_GE(j["largest"][0]["bytes"], j["largest"][1]["bytes"]);
  EXPECT_GE(j["largest"][1]["bytes"], j["largest"][2]["bytes"]);
  EXPECT_EQ(j["aux"][0]["key"], "redis-ver");

  // --no-slots: the same line without the two 16384-entry arrays.
  CliRun brief = RunShardkit({"inspect", "--json", "--no-slots", "--top", "3", Corpus(kGood)});
  ASSERT_EQ(brief.exit_code, 0) << brief.err;
  auto b = nlohmann::json::parse(brief.out);
  EXPECT_FALSE(b.contains("slot_bytes"));
  EXPECT_FALSE(b.contains("slot_keys"));
  j.erase("slot_bytes");
  j.erase("slot_keys");
  EXPECT_EQ(b, j);
  EXPECT_NE(RunShardkit({"inspect", "--no-slots", Corpus(kGood)}).exit_code, 0);  // needs --json
}

TEST(InspectCliTest, TextSummaryAndExitCodes) {
  CliRun r = RunShardkit({"inspect", Corpus(kGood)});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("RDB v9, 20 keys"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("slots     0- 1023"), std::string::npos) << r.err;
  EXPECT_EQ(RunShardkit({"inspect", Corpus(kBadCrc)}).exit_code, 1);
  EXPECT_EQ(RunShardkit({"inspect", Corpus(kFuture)}).exit_code, 3);
  EXPECT_EQ(RunShardkit({"inspect", "/nonexistent"}).exit_code, 2);
}

// Several paths in one run: one JSON line per path in the order given (a path
// that cannot be read too), and the exit code of the worst: a missing file
// (2) outranks a corrupt one (1), which outranks a refused one (3).
TEST(InspectCliTest, SeveralPathsGiveOneJsonLineEachAndTheWorstExitCode) {
  CliRun r = RunShardkit(
      {"inspect", "--json", Corpus(kGood), Corpus(kFuture), Corpus(kBadCrc), Corpus(kGood)});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<nlohmann::json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0]["path"], Corpus(kGood));
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[0]["total"]["keys"], 20);
  EXPECT_EQ(lines[1]["path"], Corpus(kFuture));
  EXPECT_EQ(lines[1]["ok"], false);
  EXPECT_EQ(lines[2]["path"], Corpus(kBadCrc));
  EXPECT_EQ(lines[2]["ok"], false);
  EXPECT_EQ(lines[3], lines[0]);

  EXPECT_EQ(RunShardkit({"inspect", Corpus(kGood), Corpus(kFuture)}).exit_code, 3);
  r = RunShardkit({"inspect", "--json", Corpus(kBadCrc), "/nonexistent", Corpus(kGood)});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[1]["path"], "/nonexistent");
  EXPECT_EQ(lines[1]["ok"], false);
  EXPECT_NE(lines[1]["error"].get<std::string>().find("/nonexistent"), std::string::npos);
  EXPECT_EQ(lines[2]["ok"], true);
  EXPECT_NE(r.err.find("/nonexistent"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shardkit
