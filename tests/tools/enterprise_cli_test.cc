// Redis Enterprise shard files through the CLI (issue 18, item 1): the
// public shard file in place verifies, inspects (as Enterprise's, with its RE
// fields), converts to native and back to an RDB that a real redis-server
// 7.0 loads; the same opcodes 107/121 in a file that is not Enterprise's are
// damage (exit 1), and read (exit 0) once the file sits in an Enterprise
// layout (redis/redis-<uid>.rdb).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/enterprise_rdb.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

std::string PublicShardFile() {
  return CorpusDir() + "/redis__librdb/redis_ent_opcode_ram_lru.rdb";
}

TEST(EnterpriseCliTest, ThePublicShardFileVerifiesDeepAsEnterprises) {
  CliRun run = RunShardkit({"verify", "--deep", "--json", PublicShardFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["keys"], 3);
  EXPECT_EQ(lines[0]["crc"], "ok");
  EXPECT_EQ(lines[0]["enterprise"]["named_by"], "big-used-ram");
  EXPECT_EQ(lines[0]["enterprise"]["records"], 3);
  run = RunShardkit({"verify", PublicShardFile()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("Redis Enterprise shard file (AUX big-used-ram; 3 RAM_LRU/SLOT_NUM"),
            std::string::npos)
      << run.err;
}

TEST(EnterpriseCliTest, InspectSaysEnterpriseAndReportsTheReFields) {
  CliRun run = RunShardkit({"inspect", "--json", PublicShardFile()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["producer"], "Redis Enterprise");
  EXPECT_EQ(j["enterprise"]["named_by"], "AUX big-used-ram");
  EXPECT_EQ(j["enterprise"]["ram_lru_records"], 3);
  EXPECT_EQ(j["enterprise"]["slot_num_records"], 0);
  std::map<std::string, nlohmann::json> fields;
  for (const auto& f : j["enterprise"]["fields"]) fields[f["key"].get<std::string>()] = f;
  ASSERT_EQ(fields.size(), 6u) << j["enterprise"].dump();
  EXPECT_TRUE(fields["big-used-ram"]["db"].is_null());
  EXPECT_EQ(fields["bigdb-ram-keys"]["db"], 0);
  EXPECT_EQ(fields["bigdb-ram-keys"]["value"], "3");
  run = RunShardkit({"inspect", PublicShardFile()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("Redis Enterprise shard file (AUX big-used-ram): 3 RAM_LRU, 0 SLOT_NUM"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("RE field bigdb-ram-keys (db 0) = 3"), std::string::npos) << run.err;
  // An open-source file says nothing of Enterprise.
  run = RunShardkit({"inspect", "--json", CorpusDir() + "/redis__librdb/multiple_dbs.rdb"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(nlohmann::json::parse(run.out)["enterprise"].is_null());
}

// RDB -> native -> RDB 10: no Enterprise opcode survives, and redis-server
// 7.0 loads the result with the file's three keys.
TEST(EnterpriseCliTest, ConvertedOutputLoadsIntoRedis70) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-enterprise-convert");
  CliRun run = RunShardkit({"convert", PublicShardFile(), work.File("shard.skn")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  run = RunShardkit({"convert", work.File("shard.skn"), work.File("dump.rdb"), "--rdb-version",
                     "10"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  run = RunShardkit({"verify", "--json", work.File("dump.rdb")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RedisServerOptions opt;
  opt.dir = work.File("server");
  fs::create_directories(opt.dir);
  fs::copy_file(work.File("dump.rdb"), opt.dir + "/dump.rdb");
  auto server = RedisServer::Start(opt);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto size = (*server)->CommandOk({"DBSIZE"});
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->integer, 3);
  auto a = (*server)->CommandOk({"GET", "a"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->str, "b");
}

// The same bytes 107/121 (CRC-64 correct) in a redis-server 7.0 dump with no
// Enterprise AUX field: damage outside an Enterprise layout, read inside one.
TEST(EnterpriseCliTest, EnterpriseOpcodesOutsideAnEnterpriseFileAreDamage) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  auto server = RedisServer::Start(RedisServerOptions());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*server)->CommandOk({"SET", "k" + std::to_string(i), "v"}).ok());
  }
  ASSERT_TRUE((*server)->Save().ok());
  EnterpriseRdbOptions bare;
  bare.aux_fields = false;
  bare.db_aux_fields = false;
  auto made = MakeEnterpriseRdb(ReadFileOrDie((*server)->rdb_path()), bare);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  TempDir work("shardkit-enterprise-damage");
  const std::string plain = work.File("plain/dump.rdb");
  const std::string plain_named = work.File("plain/redis-5.rdb");  // a shard name, not in redis/
  const std::string in_layout = work.File("node/redis/redis-5.rdb");
  for (const std::string& p : {plain, plain_named, in_layout}) {
    fs::create_directories(fs::path(p).parent_path());
    WriteFileOrDie(p, *made);
  }
  for (const std::string& p : {plain, plain_named}) {
    for (bool deep : {false, true}) {
      std::vector<std::string> args = {"verify", "--json", p};
      if (deep) args.insert(args.begin() + 1, "--deep");
      CliRun run = RunShardkit(args);
      EXPECT_EQ(run.exit_code, 1) << p << run.err;
      auto lines = JsonLines(run.out);
      ASSERT_EQ(lines.size(), 1u);
      EXPECT_EQ(lines[0]["error"]["code"], "Corruption") << run.out;
      EXPECT_NE(lines[0]["error"]["message"].get<std::string>().find("SLOT_NUM"),
                std::string::npos)
          << run.out;
    }
  }
  CliRun run = RunShardkit({"verify", "--deep", "--json", in_layout});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  auto lines = JsonLines(run.out);
  EXPECT_EQ(lines[0]["keys"], 50);
  EXPECT_EQ(lines[0]["enterprise"]["named_by"], "an Enterprise layout");
  EXPECT_EQ(lines[0]["enterprise"]["records"], 100);
  // Repair salvages the same file: damage outside the layout (the opcodes
  // are dropped as damaged bytes), every key inside it.
  run = RunShardkit({"repair", in_layout, "--out", work.File("repaired.rdb"), "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  run = RunShardkit({"verify", "--json", work.File("repaired.rdb")});
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_EQ(JsonLines(run.out)[0]["keys"], 50);
}

}  // namespace
}  // namespace shardkit::testing
