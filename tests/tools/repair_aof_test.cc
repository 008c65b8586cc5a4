// `shardkit repair` on AOF logs written by a real redis-server 7.0, torn at
// many offsets, judged by redis-server itself (aof-load-truncated no) and
// against `redis-check-aof --fix` on the same input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "formats/aof/aof_manifest.h"
#include "formats/aof/aof_reader.h"
#include "formats/aof/aof_writer.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit {
namespace {

namespace fs = std::filesystem;
namespace aof = formats::aof;
using testing::RedisServer;
using testing::RedisServerOptions;

using Clock = std::chrono::steady_clock;

Status WaitRewriteDone(RedisServer& s) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    SK_ASSIGN_OR_RETURN(std::string busy, s.InfoField("persistence", "aof_rewrite_in_progress"));
    SK_ASSIGN_OR_RETURN(std::string sched, s.InfoField("persistence", "aof_rewrite_scheduled"));
    if (busy == "0" && sched == "0") return Status();
  }
  return Status::IoError("rewrite did not finish");
}

// A seeded workload covering what the AOF must carry: strings with options
// and expiries, lists, sets, hashes, zsets, streams, HLL, MULTI/EXEC, SELECT,
// FLUSHDB, and a BGREWRITEAOF started while writes continue.
Status RunWorkload(RedisServer& s, uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  auto& c = s.client();
  auto key = [&](const char* prefix) { return std::string(prefix) + std::to_string(rng() % 50); };
  for (int i = 0; i < ops; ++i) {
    if (i == ops / 2) SK_RETURN_IF_ERROR(s.CommandOk({"BGREWRITEAOF"}).status());
    switch (rng() % 16) {
      case 0:
        SK_RETURN_IF_ERROR(
            s.CommandOk({"SET", key("s"), std::to_string(i), "EX", "1000"}).status());
        break;
      case 1:
        SK_RETURN_IF_ERROR(s.CommandOk({"SET", key("s"), "v", "KEEPTTL", "GET"}).status());
        break;
      case 2:
        SK_RETURN_IF_ERROR(s.CommandOk({"INCRBY", key("n"), "3"}).status());
        break;
      case 3:
        SK_RETURN_IF_ERROR(s.CommandOk({"RPUSH", key("l"), "a", "b"}).status());
        break;
      case 4:
        SK_RETURN_IF_ERROR(s.CommandOk({"SADD", key("set"), std::to_string(i)}).status());
        break;
      case 5:
        SK_RETURN_IF_ERROR(s.CommandOk({"HSET", key("h"), "f", std::to_string(i)}).status());
        break;
      case 6:
        SK_RETURN_IF_ERROR(s.CommandOk({"ZADD", key("z"), std::to_string(i), "m"}).status());
        break;
      case 7:
        SK_RETURN_IF_ERROR(s.CommandOk({"XADD", key("x"), "*", "f", "v"}).status());
        break;
      case 8:
        SK_RETURN_IF_ERROR(s.CommandOk({"PFADD", key("hll"), std::to_string(i)}).status());
        break;
      case 9:
        SK_RETURN_IF_ERROR(s.CommandOk({"EXPIRE", key("s"), "5000"}).status());
        break;
      case 10:
        SK_RETURN_IF_ERROR(s.CommandOk({"DEL", key("l")}).status());
        break;
      case 11: {
        SK_RETURN_IF_ERROR(c.Append({"MULTI"}));
        SK_RETURN_IF_ERROR(c.Append({"INCR", key("n")}));
        SK_RETURN_IF_ERROR(c.Append({"LPUSH", key("l"), "t"}));
        SK_RETURN_IF_ERROR(c.Append({"EXEC"}));
        SK_RETURN_IF_ERROR(c.DrainReplies(4));
        break;
      }
      case 12: {
        SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", "1"}).status());
        SK_RETURN_IF_ERROR(s.CommandOk({"SET", key("d1"), "x"}).status());
        if (rng() % 8 == 0) SK_RETURN_IF_ERROR(s.CommandOk({"FLUSHDB"}).status());
        SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", "0"}).status());
        break;
      }
      case 13:
        SK_RETURN_IF_ERROR(s.CommandOk({"GETEX", key("s"), "PX", "900000"}).status());
        break;
      case 14:
        SK_RETURN_IF_ERROR(s.CommandOk({"LMOVE", key("l"), key("l"), "LEFT", "RIGHT"}).status());
        break;
      default:
        SK_RETURN_IF_ERROR(s.CommandOk({"MSET", "{t}a", "1", "{t}b", std::to_string(i)}).status());
        break;
    }
  }
  return WaitRewriteDone(s);
}

RedisServerOptions AofServer(const std::string& dir, bool preamble) {
  RedisServerOptions o;
  o.dir = dir;
  o.config = {{"appendonly", "yes"},
              {"appendfsync", "always"},
              {"aof-use-rdb-preamble", preamble ? "yes" : "no"},
              {"aof-timestamp-enabled", "yes"},
              {"aof-load-truncated", "no"}};
  return o;
}

struct LogInfo {
  aof::AofManifest manifest;
  std::string last_incr;  // path
  uint64_t commands = 0;
};

// Reads every command of dir/appendonlydir, routing each one.
Result<LogInfo> ReadLog(const std::string& dir) {
  const std::string aof_dir = dir + "/appendonlydir";
  LogInfo info;
  SK_ASSIGN_OR_RETURN(
      info.manifest, aof::ParseAofManifest(
                         testing::ReadFileOrDie(aof_dir + "/appendonly.aof.manifest"), "manifest"));
  std::vector<std::string> blobs;
  blobs.reserve(16);
  aof::AofFileOpener open = [&](const std::string& name) -> Result<std::unique_ptr<ChunkSource>> {
    blobs.push_back(testing::ReadFileOrDie(aof_dir + "/" + name));
    return std::unique_ptr<ChunkSource>(
        std::make_unique<MemoryChunkSource>(AsBytes(blobs.back()), 4096, name));
  };
  class Count : public aof::AofVisitor {
   public:
    Status OnCommand(const aof::AofCommand&) override { return Status(); }
  } count;
  aof::AofReadOptions options;
  options.extract_keys = true;
  options.allow_truncated_tail = false;
  aof::AofReader reader(options, &count);
  SK_RETURN_IF_ERROR(aof::ReadMultiPartAof(info.manifest, open, &reader));
  for (const auto& f : reader.files()) info.commands += f.commands;
  info.last_incr = aof_dir + "/" + info.manifest.incr.back().name;
  return info;
}

void CopyDir(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

// Complete commands in one RESP file (after redis-check-aof --fix).
uint64_t CountCommands(const std::string& path) {
  std::string data = testing::ReadFileOrDie(path);
  MemoryChunkSource source(AsBytes(data));
  class Null : public aof::AofVisitor {
   public:
    Status OnCommand(const aof::AofCommand&) override { return Status(); }
  } null;
  aof::AofReader reader({}, &null);
  EXPECT_TRUE(reader.ReadFile(&source, path, true).ok());
  return reader.last_file()->safe_end == data.size() ? reader.last_file()->commands
                                                     : reader.last_file()->commands_before_safe_end;
}

struct Loaded {
  std::string digest;
  int64_t dbsize = -1;
};

// Starts redis-server on `dir` with aof-load-truncated no: it must load.
Result<Loaded> LoadAofDirWithRedis(const std::string& dir) {
  SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(AofServer(dir, true)));
  Loaded out;
  SK_ASSIGN_OR_RETURN(auto digest, server->CommandOk({"DEBUG", "DIGEST"}));
  out.digest = digest.str;
  SK_ASSIGN_OR_RETURN(auto size, server->CommandOk({"DBSIZE"}));
  out.dbsize = size.integer;
  return out;
}

class RepairAofServerTest : public ::testing::TestWithParam<bool> {};

TEST_P(RepairAofServerTest, RealServerLogParsesWithNoUnknownCommand) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  testing::TempDir dir("aof-real");
  auto server = RedisServer::Start(AofServer(dir.path(), GetParam()));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ASSERT_TRUE(RunWorkload(**server, seed, 600).ok());
  auto info = ReadLog(dir.path());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->manifest.base.has_value());
  EXPECT_EQ(info->manifest.base->name.ends_with(".rdb"), GetParam());
  EXPECT_GT(info->commands, 0u);
  // shardkit's own verify of the same directory through the CLI path.
  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", dir.File("appendonlydir"),
                                  "--out", dir.File("copy"), "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0) << run->output;
  EXPECT_NE(run->output.find("\"status\":\"sound\""), std::string::npos) << run->output;
}

INSTANTIATE_TEST_SUITE_P(Preamble, RepairAofServerTest, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "RdbBase" : "AofBase"; });

TEST(RepairAofTest, TornLogsLoadAfterRepairAndKeepAtLeastWhatRedisCheckAofKeeps) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  if (testing::FindRedisBinary("redis-check-aof").empty()) GTEST_SKIP() << "no redis-check-aof";
  testing::TempDir work("aof-torn");
  const std::string source = work.File("source");
  fs::create_directories(source);
  {
    auto server = RedisServer::Start(AofServer(source, true));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    ASSERT_TRUE(RunWorkload(**server, seed, 300).ok());
    (*server)->Kill9();
  }
  auto info = ReadLog(source);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  const std::string incr_name = fs::path(info->last_incr).filename().string();
  const std::string incr = testing::ReadFileOrDie(info->last_incr);
  ASSERT_GT(incr.size(), 200u);
  // Cut offsets: spread over the file, plus every byte of one MULTI block.
  std::vector<size_t> cuts;
  const int spread = std::max(8, static_cast<int>(24 * testing::TestScale()));
  for (int i = 1; i <= spread; ++i) cuts.push_back(incr.size() * i / (spread + 1));
  size_t multi = incr.find("*1\r\n$5\r\nMULTI\r\n");
  ASSERT_NE(multi, std::string::npos);
  for (size_t off = multi + 1; off < multi + 60 && off < incr.size(); off += 7) cuts.push_back(off);
  int equal_counts = 0;
  for (size_t cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const std::string torn = work.File("torn-" + std::to_string(cut));
    CopyDir(source, torn);
    fs::resize_file(torn + "/appendonlydir/" + incr_name, cut);
    // shardkit repair --out
    const std::string ours = work.File("ours-" + std::to_string(cut));
    auto run = testing::RunProcess(
        {testing::ShardkitBinary(), "repair", torn, "--out", ours + "/appendonlydir", "--json"});
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE(run->exit_code == 0 || run->exit_code == 1) << run->output;
    auto json = nlohmann::json::parse(run->output.substr(0, run->output.find('\n')));
    const uint64_t kept = json["commands_kept"];
    EXPECT_EQ(testing::ReadFileOrDie(torn + "/appendonlydir/" + incr_name).size(), cut)
        << "the original must not change";
    auto ours_loaded = LoadAofDirWithRedis(ours);
    ASSERT_TRUE(ours_loaded.ok()) << ours_loaded.status().ToString();
    // redis-check-aof --fix on a copy (it asks y/N).
    const std::string theirs = work.File("theirs-" + std::to_string(cut));
    CopyDir(torn, theirs);
    auto fix =
        testing::RunProcess({"/bin/sh", "-c",
                             "echo y | " + testing::FindRedisBinary("redis-check-aof") + " --fix " +
                                 theirs + "/appendonlydir/appendonly.aof.manifest"});
    ASSERT_TRUE(fix.ok());
    const uint64_t theirs_kept = CountCommands(theirs + "/appendonlydir/" + incr_name);
    EXPECT_GE(kept, theirs_kept) << fix->output;
    if (kept == theirs_kept) {
      ++equal_counts;
      auto theirs_loaded = LoadAofDirWithRedis(theirs);
      ASSERT_TRUE(theirs_loaded.ok()) << theirs_loaded.status().ToString() << fix->output;
      EXPECT_EQ(ours_loaded->digest, theirs_loaded->digest);
      EXPECT_EQ(ours_loaded->dbsize, theirs_loaded->dbsize);
    }
    fs::remove_all(torn);
    fs::remove_all(ours);
    fs::remove_all(theirs);
  }
  EXPECT_GT(equal_counts, 0);
}

TEST(RepairAofTest, LegacyPreambleFileRepairedLoadsAsUpgrade) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  testing::TempDir work("aof-legacy");
  const std::string source = work.File("source");
  fs::create_directories(source);
  {
    auto server = RedisServer::Start(AofServer(source, true));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    ASSERT_TRUE(RunWorkload(**server, 7, 200).ok());
    (*server)->Kill9();
  }
  auto info = ReadLog(source);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // An old-style single file: the RDB base followed by the RESP incr.
  const std::string legacy =
      testing::ReadFileOrDie(source + "/appendonlydir/" + info->manifest.base->name) +
      testing::ReadFileOrDie(info->last_incr);
  const std::string torn = work.File("appendonly.aof");
  testing::WriteFileOrDie(torn, legacy.substr(0, legacy.size() - 5));
  const std::string out_dir = work.File("out");
  fs::create_directories(out_dir);
  auto run = testing::RunProcess(
      {testing::ShardkitBinary(), "repair", torn, "--out", out_dir + "/appendonly.aof"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  EXPECT_NE(run->output.find("repaired"), std::string::npos) << run->output;
  auto loaded = LoadAofDirWithRedis(out_dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_GT(loaded->dbsize, 0);
}

TEST(RepairAofTest, InPlaceKeepsTheOriginalAndEarlierDamageIsNotCut) {
  testing::TempDir work("aof-inplace");
  const std::string set = aof::EncodeCommand(std::vector<std::string>{"SET", "a", "1"});
  const std::string path = work.File("x.aof");
  testing::WriteFileOrDie(path, set + set + "*2\r\n$3");
  auto run =
      testing::RunProcess({testing::ShardkitBinary(), "repair", path, "--in-place", "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  auto json = nlohmann::json::parse(run->output.substr(0, run->output.find('\n')));
  EXPECT_EQ(json["status"], "repaired");
  EXPECT_EQ(json["dropped_bytes"], 6);
  EXPECT_EQ(json["commands_kept"], 2);
  const std::string backup = json["backup"];
  EXPECT_EQ(testing::ReadFileOrDie(backup), set + set + "*2\r\n$3");
  EXPECT_EQ(testing::ReadFileOrDie(path), set + set);
  // Sound input: exit 0, nothing written in place.
  auto again = testing::RunProcess({testing::ShardkitBinary(), "repair", path, "--in-place"});
  EXPECT_EQ(again->exit_code, 0) << again->output;

  // Multi-part with a torn base (not the last file): reported, nothing written.
  const std::string dir = work.File("mp");
  fs::create_directories(dir);
  testing::WriteFileOrDie(dir + "/a.manifest",
                          "file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\n");
  testing::WriteFileOrDie(dir + "/a.1.base.aof", set + "*1\r\n");
  testing::WriteFileOrDie(dir + "/a.1.incr.aof", set);
  auto early = testing::RunProcess(
      {testing::ShardkitBinary(), "repair", dir, "--out", work.File("mp-out"), "--json"});
  EXPECT_EQ(early->exit_code, 3) << early->output;
  EXPECT_NE(early->output.find("not the last file"), std::string::npos) << early->output;
  EXPECT_FALSE(fs::exists(work.File("mp-out")));
  // A manifest naming a file outside the directory.
  testing::WriteFileOrDie(dir + "/a.manifest", "file ../x.aof seq 1 type b\n");
  auto escape = testing::RunProcess(
      {testing::ShardkitBinary(), "repair", dir + "/a.manifest", "--out", work.File("mp-out2")});
  EXPECT_EQ(escape->exit_code, 3) << escape->output;
  EXPECT_NE(escape->output.find("can't be a path"), std::string::npos) << escape->output;
  // Usage errors.
  EXPECT_EQ(testing::RunProcess({testing::ShardkitBinary(), "repair", path})->exit_code, 2);
  EXPECT_EQ(testing::RunProcess({testing::ShardkitBinary(), "repair", work.File("none.aof"),
                                 "--out", work.File("o")})
                ->exit_code,
            2);
}

TEST(RepairAofTest, TruncateToTimestampCutsWhereRedisCheckAofCuts) {
  if (testing::FindRedisBinary("redis-check-aof").empty()) GTEST_SKIP() << "no redis-check-aof";
  testing::TempDir work("aof-ts");
  StringSink sink;
  aof::AofWriter writer(&sink);
  for (int t = 100; t < 110; ++t) {
    ASSERT_TRUE(writer.WriteTimestamp(t).ok());
    ASSERT_TRUE(
        writer.Write(0, std::vector<std::string>{"SET", "k" + std::to_string(t), "v"}).ok());
    ASSERT_TRUE(writer.Write(0, std::vector<std::string>{"MULTI"}).ok());
    ASSERT_TRUE(writer.Write(0, std::vector<std::string>{"INCR", "n"}).ok());
    ASSERT_TRUE(writer.Write(0, std::vector<std::string>{"EXEC"}).ok());
  }
  ASSERT_TRUE(writer.Finish().ok());
  for (int limit : {99, 100, 104, 109, 200}) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    const std::string in = work.File("in-" + std::to_string(limit) + ".aof");
    testing::WriteFileOrDie(in, sink.data());
    const std::string ours = work.File("ours-" + std::to_string(limit) + ".aof");
    auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", in, "--out", ours,
                                    "--truncate-to-timestamp", std::to_string(limit)});
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->exit_code, limit >= 109 ? 0 : 1) << run->output;
    auto fix = testing::RunProcess({testing::FindRedisBinary("redis-check-aof"),
                                    "--truncate-to-timestamp", std::to_string(limit), in});
    ASSERT_TRUE(fix.ok());
    if (limit < 100) {
      // redis-check-aof refuses ("nothing before timestamp"); shardkit keeps
      // the empty prefix before the first later annotation.
      EXPECT_EQ(fix->exit_code, 1) << fix->output;
      EXPECT_EQ(testing::ReadFileOrDie(ours), "");
      continue;
    }
    EXPECT_EQ(fix->exit_code, 0) << fix->output;
    EXPECT_EQ(testing::ReadFileOrDie(ours), testing::ReadFileOrDie(in)) << fix->output;
  }
}

}  // namespace
}  // namespace shardkit
