// `shardkit convert` as a user runs it: RDB -> native -> RDB through the
// binary (direction by extension and by --to), --json shape, --slots,
// --block-size, and the exit codes for usage errors (2), corrupt native
// input (1, naming the block) and a missing input (2). The output of a
// failed conversion never appears under the final name.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

using shardkit::testing::CliRun;
using shardkit::testing::RunShardkit;

const std::string kSource =
    shardkit::testing::CorpusDir() + "/redis__redis/encodings.rdb";

TEST(ConvertCli, RdbToNativeAndBackByExtension) {
  TempDir dir;
  CliRun to_native = RunShardkit({"convert", kSource, dir.File("a.skn"), "--json"});
  ASSERT_EQ(to_native.exit_code, 0) << to_native.err;
  auto j = nlohmann::json::parse(to_native.out);
  EXPECT_EQ(j["to"], "native");
  EXPECT_GT(j["keys"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["output_bytes"].get<uint64_t>(), std::filesystem::file_size(dir.File("a.skn")));
  EXPECT_EQ(ReadFileOrDie(dir.File("a.skn")).substr(0, 8), "SKNATIVE");

  CliRun to_rdb = RunShardkit({"convert", dir.File("a.skn"), dir.File("b.rdb"), "--json"});
  ASSERT_EQ(to_rdb.exit_code, 0) << to_rdb.err;
  auto k = nlohmann::json::parse(to_rdb.out);
  EXPECT_EQ(k["to"], "rdb");
  EXPECT_EQ(k["keys"], j["keys"]);
  EXPECT_EQ(ReadFileOrDie(dir.File("b.rdb")).substr(0, 5), "REDIS");

  // The RDB written back verifies, with the same key count.
  CliRun verify = RunShardkit({"verify", "--json", dir.File("b.rdb")});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(nlohmann::json::parse(verify.out)["keys"], j["keys"]);
}

TEST(ConvertCli, ToFlagOverridesTheExtensionAndVersionIsChosen) {
  TempDir dir;
  ASSERT_EQ(RunShardkit({"convert", kSource, dir.File("snapshot.bin"), "--to", "native",
                      "--block-size", "16k"})
                .exit_code,
            0);
  CliRun back = RunShardkit({"convert", dir.File("snapshot.bin"), dir.File("out.bin"), "--to", "rdb",
                          "--rdb-version", "9", "--json"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(nlohmann::json::parse(back.out)["rdb_version"], 9);
  EXPECT_EQ(ReadFileOrDie(dir.File("out.bin")).substr(0, 9), "REDIS0009");
}

TEST(ConvertCli, SlotsSelectKeys) {
  TempDir dir;
  ASSERT_EQ(RunShardkit({"convert", kSource, dir.File("a.skn")}).exit_code, 0);
  CliRun all = RunShardkit({"convert", dir.File("a.skn"), dir.File("all.rdb"), "--json"});
  CliRun none = RunShardkit({"convert", dir.File("a.skn"), dir.File("none.rdb"), "--json", "--slots",
                          "0-0"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_GT(nlohmann::json::parse(all.out)["keys"].get<uint64_t>(),
            nlohmann::json::parse(none.out)["keys"].get<uint64_t>());
}

TEST(ConvertCli, UsageErrorsExitTwo) {
  TempDir dir;
  CliRun unknown_ext = RunShardkit({"convert", kSource, dir.File("out.dat")});
  EXPECT_EQ(unknown_ext.exit_code, 2);
  EXPECT_NE(unknown_ext.err.find("--to native|rdb"), std::string::npos) << unknown_ext.err;
  CliRun same = RunShardkit({"convert", kSource, dir.File("out.rdb")});
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("already an RDB file"), std::string::npos) << same.err;
  CliRun missing = RunShardkit({"convert", dir.File("nope.rdb"), dir.File("out.skn")});
  EXPECT_EQ(missing.exit_code, 2);
  CliRun bad_size = RunShardkit({"convert", kSource, dir.File("out.skn"), "--block-size", "12"});
  EXPECT_EQ(bad_size.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.skn")));
}

TEST(ConvertCli, CorruptNativeInputExitsOneNamingTheBlockAndPublishesNothing) {
  TempDir dir;
  ASSERT_EQ(RunShardkit({"convert", kSource, dir.File("a.skn"), "--block-size", "4k"}).exit_code, 0);
  std::string bytes = ReadFileOrDie(dir.File("a.skn"));
  // The first block starts right after the header; damage its payload.
  const size_t header_end = 24 + (static_cast<uint8_t>(bytes[12]) |
                                  static_cast<uint8_t>(bytes[13]) << 8);
  bytes[header_end + 48 + 2] ^= 0x10;
  WriteFileOrDie(dir.File("bad.skn"), bytes);
  CliRun run = RunShardkit({"convert", dir.File("bad.skn"), dir.File("out.rdb")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("block 0 at offset 0x"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.rdb")));
}

TEST(ConvertCli, OutDirConvertsEachInputAndReportsEachFailure) {
  TempDir dir;
  const std::string out = dir.File("out");
  std::filesystem::create_directories(out);
  WriteFileOrDie(dir.File("bad.rdb"), "REDIS0009\xfa");  // cut inside its first AUX field
  CliRun run = RunShardkit({"convert", "--out-dir", out, "--to", "native", "--json", kSource,
                            dir.File("bad.rdb"), dir.File("absent.rdb")});
  // Worst over the inputs: one unreadable file outranks the corrupt one.
  EXPECT_EQ(run.exit_code, 2) << run.err;
  const auto lines = shardkit::testing::JsonLines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[0]["output"], out + "/encodings.skn");
  EXPECT_GT(lines[0]["keys"].get<int>(), 0);
  EXPECT_EQ(lines[1]["ok"], false);
  EXPECT_EQ(lines[1]["error"]["code"], "Corruption");
  EXPECT_EQ(lines[2]["ok"], false);
  EXPECT_EQ(lines[2]["error"]["code"], "NotFound");
  EXPECT_TRUE(std::filesystem::exists(out + "/encodings.skn"));
  EXPECT_FALSE(std::filesystem::exists(out + "/bad.skn"));
  EXPECT_FALSE(std::filesystem::exists(out + "/absent.skn"));
  EXPECT_NE(run.err.find("bad.rdb"), std::string::npos) << run.err;

  // Without the unreadable one, the corrupt input gives exit 1.
  CliRun corrupt = RunShardkit({"convert", "--out-dir", out, "--to", "native", kSource,
                                dir.File("bad.rdb")});
  EXPECT_EQ(corrupt.exit_code, 1) << corrupt.err;

  // Refused before anything is written: two inputs with one output name, no --to.
  std::filesystem::create_directories(dir.File("other"));
  std::filesystem::copy_file(kSource, dir.File("other/encodings.rdb"));
  const std::string out2 = dir.File("out2");
  std::filesystem::create_directories(out2);
  CliRun twice = RunShardkit({"convert", "--out-dir", out2, "--to", "native", kSource,
                              dir.File("other/encodings.rdb")});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("both be written to"), std::string::npos) << twice.err;
  CliRun no_to = RunShardkit({"convert", "--out-dir", out2, kSource});
  EXPECT_EQ(no_to.exit_code, 2);
  EXPECT_TRUE(std::filesystem::is_empty(out2));
  CliRun three = RunShardkit({"convert", kSource, dir.File("x.skn"), dir.File("y.skn")});
  EXPECT_EQ(three.exit_code, 2);
}

}  // namespace
}  // namespace shardkit
