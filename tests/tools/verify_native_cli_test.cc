// `shardkit verify` on native snapshots (*.skn) as a user runs it. The
// snapshot is converted (by the CLI) from an RDB a real redis-server saved
// with every value type, TTLs, a function library and keys in all 16 dbs.
// Checked: the OK line and the --json figures equal the RDB's (keys, types,
// expiries; blocks and bytes equal convert's), --deep, recognition by magic
// whatever the name, damaged copies (a block payload, two blocks, an index
// record, the index count, the trailer, a newer format version,
// truncations) failing with the exit code and the exact file offset the
// test computes from the file's own index, and mixed lists of RDB, AOF,
// native and missing paths verified in one run.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "formats/native/native_format.h"
#include "tests/support/datasets.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;
namespace native = formats::native;

std::string HexOffset(uint64_t offset) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "offset 0x%" PRIx64 " (%" PRIu64 ")", offset, offset);
  return buf;
}

// The index of a native file, parsed by the format library (not by the CLI
// under test).
struct ParsedIndex {
  uint64_t index_offset = 0;
  std::vector<native::BlockInfo> blocks;
};

ParsedIndex ParseIndex(const std::string& bytes) {
  ParsedIndex out;
  const ByteSpan all = AsBytes(bytes);
  auto trailer =
      native::ParseTrailer(all.subspan(all.size() - native::kTrailerBytes), all.size(), "test");
  EXPECT_TRUE(trailer.ok()) << trailer.status().ToString();
  if (!trailer.ok()) return out;
  out.index_offset = trailer->index_offset;
  const uint32_t count = native::LoadFixed32(all.data() + out.index_offset + 4);
  for (uint32_t i = 0; i < count; ++i) {
    out.blocks.push_back(
        native::ParseIndexRecord(all.subspan(out.index_offset + native::kIndexHeaderBytes +
                                             size_t{i} * native::kIndexRecordBytes),
                                 i));
  }
  return out;
}

class VerifyNativeCliTest : public ::testing::Test {
 protected:
  // One server for the suite: fill, SAVE, convert once; tests copy and damage.
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    tmp_ = new TempDir("verify-native");
    const RedisTestConfig config = RdbTestConfigs(/*include_large=*/false).front();
    auto server = StartFilledServer(config);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    for (int db = 0; db < 16; ++db) {
      ASSERT_TRUE((*server)->CommandOk({"SELECT", std::to_string(db)}).ok());
      auto size = (*server)->CommandOk({"DBSIZE"});
      ASSERT_TRUE(size.ok()) << size.status().ToString();
      server_keys_ += static_cast<uint64_t>(size->integer);
    }
    ASSERT_TRUE((*server)->Save().ok());
    fs::copy_file((*server)->rdb_path(), Rdb());
    // Small blocks, so the file has many and damage lands in one of them.
    CliRun convert = RunShardkit({"convert", Rdb(), Skn(), "--block-size", "16k", "--json"});
    ASSERT_EQ(convert.exit_code, 0) << convert.err;
    convert_ = new nlohmann::json(nlohmann::json::parse(convert.out));
    CliRun rdb = RunShardkit({"verify", "--json", Rdb()});
    ASSERT_EQ(rdb.exit_code, 0) << rdb.err;
    rdb_verify_ = new nlohmann::json(nlohmann::json::parse(rdb.out));
    bytes_ = new std::string(ReadFileOrDie(Skn()));
    index_ = new ParsedIndex(ParseIndex(*bytes_));
  }
  static void TearDownTestSuite() {
    delete index_;
    delete bytes_;
    delete rdb_verify_;
    delete convert_;
    delete tmp_;
    tmp_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(index_, nullptr);
    ASSERT_GE(index_->blocks.size(), 8u);
  }

  static std::string Rdb() { return tmp_->File("dump.rdb"); }
  static std::string Skn() { return tmp_->File("dump.skn"); }
  // A copy of the snapshot with `edit` applied, at a fresh path.
  std::string Damaged(const std::string& name, const std::function<void(std::string*)>& edit) {
    std::string bytes = *bytes_;
    edit(&bytes);
    const std::string path = dir_.File(name);
    WriteFileOrDie(path, bytes);
    return path;
  }
  // A key block in the middle of the file, and its raw payload's first byte.
  static const native::BlockInfo& MiddleKeyBlock() {
    for (size_t i = index_->blocks.size() / 2; i < index_->blocks.size(); ++i) {
      if (index_->blocks[i].kind == native::BlockKind::kKeys) return index_->blocks[i];
    }
    return index_->blocks.front();
  }
  static uint64_t PayloadOffset(const native::BlockInfo& b) {
    return b.offset + native::kBlockHeaderBytes;
  }

  static nlohmann::json VerifyJson(const std::string& path, int expect_exit,
                                   const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"verify", "--json"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(path);
    CliRun run = RunShardkit(args);
    EXPECT_EQ(run.exit_code, expect_exit) << run.err;
    auto lines = JsonLines(run.out);
    EXPECT_EQ(lines.size(), 1u) << run.out;
    return lines.empty() ? nlohmann::json() : lines[0];
  }

  static TempDir* tmp_;
  static uint64_t server_keys_;
  static nlohmann::json* convert_;
  static nlohmann::json* rdb_verify_;
  static std::string* bytes_;
  static ParsedIndex* index_;
  TempDir dir_{"verify-native-case"};
};

TempDir* VerifyNativeCliTest::tmp_ = nullptr;
uint64_t VerifyNativeCliTest::server_keys_ = 0;
nlohmann::json* VerifyNativeCliTest::convert_ = nullptr;
nlohmann::json* VerifyNativeCliTest::rdb_verify_ = nullptr;
std::string* VerifyNativeCliTest::bytes_ = nullptr;
ParsedIndex* VerifyNativeCliTest::index_ = nullptr;

uint64_t SlotsCovered(const std::string& rdb_path) {
  CliRun inspect = RunShardkit({"inspect", "--json", rdb_path});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  uint64_t covered = 0;
  const nlohmann::json summary = nlohmann::json::parse(inspect.out);
  for (const auto& keys : summary["slot_keys"]) {
    covered += keys.get<uint64_t>() > 0 ? 1 : 0;
  }
  return covered;
}

TEST_F(VerifyNativeCliTest, SoundSnapshotPrintsOneOkLineWithTheRdbsKeyCount) {
  ASSERT_EQ((*rdb_verify_)["keys"].get<uint64_t>(), server_keys_);
  CliRun run = RunShardkit({"verify", Skn()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  const std::string expected = "OK " + Skn() + " (native v1 from RDB v" +
                               std::to_string((*rdb_verify_)["version"].get<int>()) + ", " +
                               std::to_string(server_keys_) + " keys, " +
                               std::to_string(index_->blocks.size()) + " blocks, " +
                               std::to_string(SlotsCovered(Rdb())) + " slots, checksums ok)\n";
  EXPECT_EQ(run.err, expected);
}

TEST_F(VerifyNativeCliTest, JsonFiguresEqualTheRdbsAndConverts) {
  for (bool deep : {false, true}) {
    SCOPED_TRACE(deep ? "--deep" : "structural");
    const nlohmann::json j = VerifyJson(
        Skn(), 0, deep ? std::vector<std::string>{"--deep"} : std::vector<std::string>{});
    const nlohmann::json& rdb = *rdb_verify_;
    EXPECT_EQ(j["path"], Skn());
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["format"], "native");
    EXPECT_EQ(j["deep"], deep);
    EXPECT_EQ(j["magic"], rdb["magic"]);
    EXPECT_EQ(j["version"], rdb["version"]);
    EXPECT_EQ(j["keys"].get<uint64_t>(), server_keys_);
    EXPECT_EQ(j["types"], rdb["types"]);
    EXPECT_EQ(j["expires"], rdb["expires"]);
    EXPECT_GT(j["expires"].get<uint64_t>(), 0u);
    EXPECT_EQ(j["functions"], rdb["functions"]);
    EXPECT_EQ(j["functions"], 1);
    EXPECT_EQ(j["crc"], "n/a");
    EXPECT_EQ(j["bytes"].get<uint64_t>(), bytes_->size());
    EXPECT_EQ(j["aof"], nullptr);
    EXPECT_EQ(j["error"], nullptr);
    EXPECT_TRUE(j["backend"] == "uring" || j["backend"] == "pread") << j["backend"];
    const nlohmann::json& n = j["native"];
    EXPECT_EQ(n["format_version"], 1);
    EXPECT_EQ(n["blocks"].get<uint64_t>(), index_->blocks.size());
    EXPECT_EQ(n["blocks"], (*convert_)["blocks"]);
    EXPECT_EQ(n["raw_bytes"], (*convert_)["raw_bytes"]);
    EXPECT_EQ(n["stored_bytes"], (*convert_)["stored_bytes"]);
    EXPECT_EQ(n["slots_covered"].get<uint64_t>(), SlotsCovered(Rdb()));
    EXPECT_EQ(n["damaged_blocks"], nlohmann::json::array());
    uint64_t key_blocks = 0;
    for (const auto& b : index_->blocks) key_blocks += b.kind == native::BlockKind::kKeys;
    EXPECT_EQ(n["key_blocks"].get<uint64_t>(), key_blocks);
  }
}

TEST_F(VerifyNativeCliTest, RecognisedByMagicWhateverTheName) {
  for (const char* name : {"snapshot.rdb", "appendonly.aof", "no-extension"}) {
    SCOPED_TRACE(name);
    const std::string path = dir_.File(name);
    fs::copy_file(Skn(), path);
    const nlohmann::json j = VerifyJson(path, 0);
    EXPECT_EQ(j["format"], "native");
    EXPECT_EQ(j["keys"].get<uint64_t>(), server_keys_);
  }
}

TEST_F(VerifyNativeCliTest, DamagedBlockPayloadFailsNamingTheBlockAndItsOffset) {
  const native::BlockInfo& block = MiddleKeyBlock();
  const std::string path = Damaged("block.skn", [&](std::string* b) {
    (*b)[PayloadOffset(block) + block.stored_bytes / 2] ^= 0x40;
  });
  const nlohmann::json j = VerifyJson(path, 1);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["format"], "native");
  EXPECT_EQ(j["error"]["code"], "Corruption");
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), block.offset);
  EXPECT_EQ(j["error"]["block"].get<uint32_t>(), block.number);
  EXPECT_EQ(j["error"]["file"], path);
  const std::string message = j["error"]["message"];
  EXPECT_NE(message.find(path + ": block " + std::to_string(block.number) + " at " +
                         HexOffset(block.offset)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("stored checksum mismatch (expected 0x"), std::string::npos) << message;
  // Only that block is lost: every other key is still counted.
  EXPECT_EQ(j["keys"].get<uint64_t>(), server_keys_ - block.key_count);
  ASSERT_EQ(j["native"]["damaged_blocks"].size(), 1u);
  EXPECT_EQ(j["native"]["damaged_blocks"][0]["number"].get<uint32_t>(), block.number);

  CliRun text = RunShardkit({"verify", path});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.err.rfind("CORRUPT " + path + ": Corruption: " + message + "\n", 0), 0u)
      << text.err;
  EXPECT_NE(text.err.find("  first error at offset " + std::to_string(block.offset)),
            std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("  1 damaged blocks; " + std::to_string(server_keys_ - block.key_count) +
                          " keys in sound blocks"),
            std::string::npos)
      << text.err;
}

TEST_F(VerifyNativeCliTest, EveryDamagedBlockIsListed) {
  const native::BlockInfo& first = index_->blocks[1];
  const native::BlockInfo& second = MiddleKeyBlock();
  ASSERT_EQ(first.kind, native::BlockKind::kKeys);
  const std::string path = Damaged("two.skn", [&](std::string* b) {
    (*b)[PayloadOffset(first)] ^= 0x01;
    (*b)[PayloadOffset(second) + second.stored_bytes - 1] ^= 0x01;
  });
  const nlohmann::json j = VerifyJson(path, 1);
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), first.offset);
  const nlohmann::json& damaged = j["native"]["damaged_blocks"];
  ASSERT_EQ(damaged.size(), 2u);
  EXPECT_EQ(damaged[0]["offset"].get<uint64_t>(), first.offset);
  EXPECT_EQ(damaged[1]["offset"].get<uint64_t>(), second.offset);
  EXPECT_EQ(j["keys"].get<uint64_t>(), server_keys_ - first.key_count - second.key_count);
  CliRun text = RunShardkit({"verify", path});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("  also damaged: Corruption: " + path + ": block " +
                          std::to_string(second.number) + " at " + HexOffset(second.offset)),
            std::string::npos)
      << text.err;
}

TEST_F(VerifyNativeCliTest, DamagedIndexRecordFailsAtThatRecordsOffset) {
  const native::BlockInfo& block = MiddleKeyBlock();
  const uint64_t record = index_->index_offset + native::kIndexHeaderBytes +
                          uint64_t{block.number} * native::kIndexRecordBytes;
  const std::string path = Damaged("index.skn", [&](std::string* b) { (*b)[record + 20] ^= 0x02; });
  const nlohmann::json j = VerifyJson(path, 1);
  EXPECT_EQ(j["error"]["code"], "Corruption");
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), record);
  const std::string message = j["error"]["message"];
  EXPECT_NE(message.find(path + " " + HexOffset(record) + ": index record " +
                         std::to_string(block.number) + " does not match block " +
                         std::to_string(block.number) + " at " + HexOffset(block.offset)),
            std::string::npos)
      << message;
  // The blocks themselves are sound.
  EXPECT_EQ(j["native"]["damaged_blocks"], nlohmann::json::array());
}

TEST_F(VerifyNativeCliTest, DamagedIndexCountAndTrailerFail) {
  const std::string count =
      Damaged("count.skn", [&](std::string* b) { (*b)[index_->index_offset + 4] ^= 0x01; });
  nlohmann::json j = VerifyJson(count, 1);
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), index_->index_offset);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("index lists "), std::string::npos)
      << j["error"]["message"];

  const uint64_t trailer = bytes_->size() - native::kTrailerBytes;
  const std::string tail =
      Damaged("trailer.skn", [&](std::string* b) { (*b)[trailer + 9] ^= 0x01; });
  j = VerifyJson(tail, 1);
  EXPECT_EQ(j["error"]["code"], "Corruption");
  EXPECT_NE(j["error"]["message"].get<std::string>().find(tail), std::string::npos);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("trailer"), std::string::npos)
      << j["error"]["message"];
}

TEST_F(VerifyNativeCliTest, TruncatedCopiesFailAtTheCut) {
  const native::BlockInfo& block = MiddleKeyBlock();
  struct Cut {
    const char* name;
    uint64_t keep;
    uint64_t error_offset;  // where verify must place the first error
  };
  // A short block header is reported at the block; a short trailer where
  // the bytes run out.
  const Cut cuts[] = {
      {"in-block-header.skn", block.offset + 10, block.offset},
      {"in-trailer.skn", bytes_->size() - 1, bytes_->size() - 1},
  };
  for (const Cut& cut : cuts) {
    SCOPED_TRACE(cut.name);
    const std::string path = Damaged(cut.name, [&](std::string* b) { b->resize(cut.keep); });
    const nlohmann::json j = VerifyJson(path, 1);
    EXPECT_EQ(j["error"]["code"], "Corruption");
    EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), cut.error_offset);
    EXPECT_NE(j["error"]["message"].get<std::string>().find("unexpected end of file"),
              std::string::npos)
        << j["error"]["message"];
  }
  // Cut inside a block's payload: the header promises more than is left.
  const std::string path = Damaged("in-payload.skn", [&](std::string* b) {
    b->resize(PayloadOffset(block) + block.stored_bytes / 2);
  });
  const nlohmann::json j = VerifyJson(path, 1);
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), block.offset);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("truncated file"), std::string::npos)
      << j["error"]["message"];
  // Cut to nothing: an empty file is neither format.
  const std::string empty = Damaged("empty.skn", [](std::string* b) { b->clear(); });
  const nlohmann::json e = VerifyJson(empty, 1);
  EXPECT_EQ(e["format"], "empty");
}

TEST_F(VerifyNativeCliTest, NewerFormatVersionIsUnsupported) {
  // The format version is the u32 after the 8-byte magic.
  const std::string path = Damaged("v2.skn", [](std::string* b) { (*b)[8] = 2; });
  const nlohmann::json j = VerifyJson(path, 3);
  EXPECT_EQ(j["error"]["code"], "NotSupported");
  CliRun text = RunShardkit({"verify", path});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_EQ(text.err.rfind("UNSUPPORTED " + path + ": ", 0), 0u) << text.err;
}

TEST_F(VerifyNativeCliTest, DeepFindsValueDamageStructuralChecksCannotSee) {
  // corrupt_ziplist.rdb has sound framing and one invalid ziplist: the
  // snapshot made from it has sound checksums, and only --deep decodes it.
  const std::string rdb = CorpusDir() + "/redis__redis/corrupt_ziplist.rdb";
  const std::string path = dir_.File("ziplist.skn");
  ASSERT_EQ(RunShardkit({"convert", rdb, path}).exit_code, 0);
  EXPECT_EQ(VerifyJson(path, 0)["ok"], true);
  const nlohmann::json j = VerifyJson(path, 1, {"--deep"});
  EXPECT_EQ(j["error"]["code"], "Corruption");
  EXPECT_EQ(j["error"]["key"], "key:000000000091");
  const ParsedIndex index = ParseIndex(ReadFileOrDie(path));
  const uint32_t number = j["error"]["block"].get<uint32_t>();
  ASSERT_LT(number, index.blocks.size());
  EXPECT_EQ(j["error"]["offset"].get<uint64_t>(), index.blocks[number].offset);
  const std::string message = j["error"]["message"];
  EXPECT_NE(message.find(path + ": block " + std::to_string(number) + " at " +
                         HexOffset(index.blocks[number].offset)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("ziplist"), std::string::npos) << message;
}

TEST_F(VerifyNativeCliTest, MixedListReportsEveryPathInOrderWithTheWorstExitCode) {
  const std::string aof = CorpusDir() + "/redis__redis/rdb-preamble.aof";
  const std::string bad =
      Damaged("bad.skn", [&](std::string* b) { (*b)[PayloadOffset(MiddleKeyBlock())] ^= 0x01; });
  const std::string missing = dir_.File("missing.skn");

  CliRun sound = RunShardkit({"verify", "--json", "--deep", Rdb(), aof, Skn()});
  EXPECT_EQ(sound.exit_code, 0) << sound.err;
  auto lines = JsonLines(sound.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["format"], "rdb");
  EXPECT_EQ(lines[1]["format"], "aof");
  EXPECT_EQ(lines[2]["format"], "native");
  EXPECT_EQ(lines[0]["keys"], lines[2]["keys"]);
  for (const auto& l : lines) EXPECT_EQ(l["ok"], true) << l.dump();

  CliRun corrupt = RunShardkit({"verify", "--json", Skn(), bad, Rdb(), aof});
  EXPECT_EQ(corrupt.exit_code, 1) << corrupt.err;
  lines = JsonLines(corrupt.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[1]["path"], bad);
  EXPECT_EQ(lines[1]["ok"], false);
  EXPECT_EQ(lines[1]["error"]["offset"].get<uint64_t>(), MiddleKeyBlock().offset);
  EXPECT_EQ(lines[2]["ok"], true);
  EXPECT_EQ(lines[3]["ok"], true);

  // A missing path outranks corruption (exit 2); the others are still checked.
  for (const char* threads : {"1", "4"}) {
    SCOPED_TRACE(threads);
    CliRun all =
        RunShardkit({"verify", "--json", "--threads", threads, Rdb(), aof, Skn(), missing, bad});
    EXPECT_EQ(all.exit_code, 2) << all.err;
    lines = JsonLines(all.out);
    ASSERT_EQ(lines.size(), 5u);
    const char* formats[] = {"rdb", "aof", "native", "unknown", "native"};
    const bool ok[] = {true, true, true, false, false};
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(lines[i]["format"], formats[i]) << i;
      EXPECT_EQ(lines[i]["ok"], ok[i]) << i;
    }
    EXPECT_EQ(lines[3]["error"]["code"], "NotFound");
    EXPECT_NE(lines[3]["error"]["message"].get<std::string>().find(missing), std::string::npos);
    EXPECT_EQ(lines[4]["error"]["code"], "Corruption");
  }

  CliRun text = RunShardkit({"verify", Rdb(), Skn(), missing, bad});
  EXPECT_EQ(text.exit_code, 2);
  EXPECT_NE(text.err.find("OK " + Rdb() + " ("), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("OK " + Skn() + " (native v1"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("ERROR " + missing + ": NotFound"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("CORRUPT " + bad + ": Corruption: "), std::string::npos) << text.err;
  // Text results come in argument order.
  EXPECT_LT(text.err.find("OK " + Rdb()), text.err.find("OK " + Skn()));
  EXPECT_LT(text.err.find("OK " + Skn()), text.err.find("ERROR " + missing));
  EXPECT_LT(text.err.find("ERROR " + missing), text.err.find("CORRUPT " + bad));
}

// inspect: figures from the index and slot table equal the RDB's exactly;
// the scan's per-type key and expiry counts too (bytes are entry bytes).
TEST_F(VerifyNativeCliTest, InspectGivesTheRdbsFiguresAndSaysWhereEachComesFrom) {
  CliRun native_run = RunShardkit({"inspect", "--json", Skn()});
  ASSERT_EQ(native_run.exit_code, 0) << native_run.err;
  CliRun rdb_run = RunShardkit({"inspect", "--json", Rdb()});
  ASSERT_EQ(rdb_run.exit_code, 0) << rdb_run.err;
  const nlohmann::json j = nlohmann::json::parse(native_run.out);
  const nlohmann::json rdb = nlohmann::json::parse(rdb_run.out);
  EXPECT_EQ(rdb["format"], "rdb");
  EXPECT_EQ(j["format"], "native");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["error"], nullptr);
  EXPECT_EQ(j["magic"], rdb["magic"]);
  EXPECT_EQ(j["version"], rdb["version"]);
  EXPECT_EQ(j["aux"], rdb["aux"]);
  EXPECT_EQ(j["functions"], 1);
  EXPECT_EQ(j["total"]["keys"].get<uint64_t>(), server_keys_);
  EXPECT_EQ(j["total"]["expires"], rdb["total"]["expires"]);
  ASSERT_EQ(j["dbs"].size(), rdb["dbs"].size());
  EXPECT_EQ(j["dbs"].size(), 16u);
  for (const auto& [db, figures] : rdb["dbs"].items()) {
    EXPECT_EQ(j["dbs"][db]["keys"], figures["keys"]) << db;
    EXPECT_EQ(j["dbs"][db]["expires"], figures["expires"]) << db;
  }
  ASSERT_EQ(j["types"].size(), rdb["types"].size());
  for (const auto& [type, figures] : rdb["types"].items()) {
    EXPECT_EQ(j["types"][type]["keys"], figures["keys"]) << type;
    EXPECT_EQ(j["types"][type]["expires"], figures["expires"]) << type;
  }
  EXPECT_EQ(j["slot_keys"], rdb["slot_keys"]);
  uint64_t slot_bytes = 0;
  for (const auto& b : j["slot_bytes"]) slot_bytes += b.get<uint64_t>();
  EXPECT_EQ(j["total"]["bytes"].get<uint64_t>(), slot_bytes);
  uint64_t key_block_bytes = 0;
  for (const auto& b : index_->blocks) {
    if (b.kind == native::BlockKind::kKeys) key_block_bytes += b.raw_bytes;
  }
  EXPECT_EQ(j["total"]["bytes"].get<uint64_t>(), key_block_bytes);
  ASSERT_EQ(j["largest"].size(), 10u);
  for (size_t i = 1; i < 10; ++i) {
    EXPECT_GE(j["largest"][i - 1]["bytes"].get<uint64_t>(),
              j["largest"][i]["bytes"].get<uint64_t>());
  }
  EXPECT_EQ(j["sources"]["total.keys"], "index");
  EXPECT_EQ(j["sources"]["slot_keys"], "slot-stats block");
  EXPECT_EQ(j["sources"]["types"], "scan");
  const nlohmann::json& n = j["native"];
  EXPECT_EQ(n["file_bytes"].get<uint64_t>(), bytes_->size());
  EXPECT_EQ(n["blocks"].get<uint64_t>(), index_->blocks.size());
  EXPECT_EQ(n["blocks_scanned"], n["key_blocks"]);
  EXPECT_EQ(n["damaged_blocks"], 0);
  EXPECT_EQ(n["slots_estimated"], false);
  EXPECT_EQ(n["slots_covered"].get<uint64_t>(), SlotsCovered(Rdb()));

  CliRun text = RunShardkit({"inspect", Skn()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "");
  EXPECT_EQ(
      text.err.rfind(Skn() + ": native v1 from RDB v" + std::to_string(rdb["version"].get<int>()) +
                         ", " + std::to_string(server_keys_) + " keys, ",
                     0),
      0u)
      << text.err;
  EXPECT_NE(text.err.find("  from the index: keys, bytes and keys per db; from the slot-stats "
                          "block: per-slot figures; from a scan of " +
                          n["key_blocks"].dump() + " key blocks: types, expiries, largest keys\n"),
            std::string::npos)
      << text.err;
  EXPECT_NE(text.err.find("  1 function libraries\n"), std::string::npos) << text.err;
}

TEST_F(VerifyNativeCliTest, InspectIndexOnlyReadsNoKeyBlock) {
  CliRun full = RunShardkit({"inspect", "--json", Skn()});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // Every key block damaged: an index-only inspect never notices.
  const std::string path = Damaged("all-blocks.skn", [&](std::string* b) {
    for (const auto& block : index_->blocks) {
      if (block.kind == native::BlockKind::kKeys) (*b)[PayloadOffset(block)] ^= 0x01;
    }
  });
  CliRun run = RunShardkit({"inspect", "--json", "--index-only", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out);
  const nlohmann::json f = nlohmann::json::parse(full.out);
  EXPECT_EQ(j["total"]["keys"], f["total"]["keys"]);
  EXPECT_EQ(j["total"]["bytes"], f["total"]["bytes"]);
  EXPECT_EQ(j["total"]["expires"], nullptr);
  EXPECT_EQ(j["types"], nullptr);
  EXPECT_EQ(j["largest"], nullptr);
  EXPECT_EQ(j["sources"]["types"], nullptr);
  EXPECT_EQ(j["slot_keys"], f["slot_keys"]);
  EXPECT_EQ(j["slot_bytes"], f["slot_bytes"]);
  EXPECT_EQ(j["native"]["blocks_scanned"], nullptr);
  // The same file with the scan: every key block is reported damaged.
  CliRun scan = RunShardkit({"inspect", "--json", path});
  EXPECT_EQ(scan.exit_code, 1) << scan.err;
  EXPECT_EQ(nlohmann::json::parse(scan.out)["native"]["blocks_scanned"], 0);
}

TEST_F(VerifyNativeCliTest, InspectOfADamagedBlockKeepsTheRestAndExitsOne) {
  const native::BlockInfo& block = MiddleKeyBlock();
  const std::string path =
      Damaged("block.skn", [&](std::string* b) { (*b)[PayloadOffset(block) + 1] ^= 0x20; });
  CliRun run = RunShardkit({"inspect", "--json", path});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["ok"], false);
  const std::string error = j["error"];
  EXPECT_NE(error.find(path + ": block " + std::to_string(block.number) + " at " +
                       HexOffset(block.offset)),
            std::string::npos)
      << error;
  EXPECT_EQ(j["native"]["damaged_blocks"], 1);
  EXPECT_EQ(j["total"]["keys"].get<uint64_t>(), server_keys_);  // the index's figure
  uint64_t scanned_keys = 0;
  for (const auto& [type, figures] : j["types"].items())
    scanned_keys += figures["keys"].get<uint64_t>();
  EXPECT_EQ(scanned_keys, server_keys_ - block.key_count);
  CliRun text = RunShardkit({"inspect", path});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("ERROR Corruption: " + path + ": block " + std::to_string(block.number)),
            std::string::npos)
      << text.err;
}

TEST_F(VerifyNativeCliTest, InspectOfADamagedIndexFailsNamingIt) {
  const std::string path = Damaged("index.skn", [&](std::string* b) {
    (*b)[index_->index_offset + native::kIndexHeaderBytes + 3] ^= 0x01;
  });
  CliRun run = RunShardkit({"inspect", path});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("Corruption: " + path + ": index at offset " +
                         std::to_string(index_->index_offset) + ": checksum mismatch"),
            std::string::npos)
      << run.err;
  CliRun missing = RunShardkit({"inspect", dir_.File("missing.skn")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

}  // namespace
}  // namespace shardkit::testing
