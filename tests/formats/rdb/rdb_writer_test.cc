// RdbWriter: raw copy-through is byte-identical, every corpus file survives
// a read -> write -> read round trip, down-conversions keep the elements and
// the output of v9/v10 writes loads in the real redis-server 7.0 and passes
// redis-check-rdb.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace {

using shardkit::testing::CorpusDir;
using shardkit::testing::ReadFileOrDie;
using testing::CorpusRdbFiles;
using testing::ReadBytes;
using testing::RecordingVisitor;

// Copies everything the writer can carry from a reader to a writer.
class CopyVisitor final : public RdbVisitor {
 public:
  explicit CopyVisitor(RdbWriter* writer, Magic magic = Magic::kRedis)
      : writer_(writer), magic_(magic) {}
  Status OnAux(std::string_view k, std::string_view v) override { return writer_->WriteAux(k, v); }
  Status OnFunction(std::string_view code) override {
    if (writer_->version() < 10) return Status();
    return writer_->WriteFunction(code);
  }
  Status OnModuleAux(uint64_t, std::string_view raw) override {
    return writer_->WriteModuleAux(raw);
  }
  Status OnEntry(const RdbEntry& e) override {
    if (!db_.has_value() || *db_ != e.db) {
      db_ = e.db;
      SK_RETURN_IF_ERROR(writer_->WriteSelectDb(e.db));
    }
    return writer_->WriteEntry(e, magic_);
  }

 private:
  RdbWriter* writer_;
  Magic magic_;
  std::optional<uint64_t> db_;
};

// Reads `input` raw and writes it as `version`; returns the output bytes.
Result<std::string> Rewrite(const std::string& input, int version,
                            std::vector<std::string>* losses = nullptr) {
  StringSink sink("out.rdb");
  RdbWriterOptions options;
  options.version = version;
  SK_ASSIGN_OR_RETURN(auto writer, RdbWriter::Create(&sink, options));
  RdbReadOptions read;
  read.capture_values = true;
  CopyVisitor copy(writer.get());
  SK_RETURN_IF_ERROR(ReadBytes(input, read, &copy));
  SK_RETURN_IF_ERROR(writer->Finish());
  if (losses != nullptr) *losses = writer->losses();
  return sink.data();
}

std::vector<RdbEntry> RawEntries(const std::string& bytes, RdbSummary* summary = nullptr) {
  RdbReadOptions read;
  read.capture_values = true;
  RecordingVisitor v;
  auto s = ReadBytes(bytes, read, &v);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (s.ok() && summary != nullptr) *summary = *s;
  return v.entries;
}

std::map<std::string, std::vector<std::string>> DeepElements(const std::string& bytes) {
  RdbReadOptions read;
  read.deep = true;
  RecordingVisitor v;
  auto s = ReadBytes(bytes, read, &v);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  for (auto& [key, items] : v.elements) std::sort(items.begin(), items.end());
  return v.elements;
}

TEST(RdbWriterTest, EmptyFileHasHeaderEofAndCorrectCrc) {
  StringSink sink;
  RdbWriterOptions options;
  options.version = 9;
  auto writer = RdbWriter::Create(&sink, options);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->WriteAux("redis-ver", "7.0.15").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  const std::string& out = sink.data();
  EXPECT_EQ(out.substr(0, 9), "REDIS0009");
  EXPECT_EQ(static_cast<uint8_t>(out[out.size() - 9]), kOpEof);
  RdbSummary summary;
  RawEntries(out, &summary);
  EXPECT_EQ(summary.crc, CrcStatus::kOk);
  EXPECT_EQ(summary.producer, "redis 7.0.15");
  EXPECT_EQ(summary.end_offset, out.size());
}

// Records written by a body_only writer, appended to another writer as a
// prehashed run, give the bytes (and the trailer CRC) of one writer writing
// everything: what recover's fragment assembly relies on.
TEST(RdbWriterTest, PrehashedBodyGivesTheBytesOfOneWriter) {
  RdbEntry a;
  a.key = "alpha";
  a.type = kTypeString;
  a.value = std::string("\x05hello", 6);
  RdbEntry b = a;
  b.key = "beta";
  b.expire_ms = 1893456000000;
  RdbWriterOptions options;
  options.version = 10;
  StringSink whole_sink;
  auto whole = RdbWriter::Create(&whole_sink, options);
  ASSERT_TRUE(whole.ok());
  ASSERT_TRUE((*whole)->WriteAux("ctime", "1").ok());
  ASSERT_TRUE((*whole)->WriteEntry(a).ok());
  ASSERT_TRUE((*whole)->WriteEntry(b).ok());
  ASSERT_TRUE((*whole)->WriteEntry(a).ok());
  ASSERT_TRUE((*whole)->Finish().ok());

  StringSink body_sink;
  RdbWriterOptions body_options = options;
  body_options.body_only = true;
  auto body = RdbWriter::Create(&body_sink, body_options);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE((*body)->WriteEntry(b).ok());
  ASSERT_TRUE((*body)->Finish().ok());
  EXPECT_EQ((*body)->checksum(), Crc64(0, AsBytes(body_sink.data())));
  EXPECT_EQ(body_sink.data().substr(0, 5).find("REDIS"), std::string::npos);

  StringSink joined_sink;
  auto joined = RdbWriter::Create(&joined_sink, options);
  ASSERT_TRUE(joined.ok());
  ASSERT_TRUE((*joined)->WriteAux("ctime", "1").ok());
  ASSERT_TRUE((*joined)->WriteEntry(a).ok());
  (*joined)->BeginPrehashed();
  const std::string& bytes = body_sink.data();
  ASSERT_TRUE((*joined)->AppendPrehashed(AsBytes(bytes.substr(0, 3))).ok());
  ASSERT_TRUE((*joined)->AppendPrehashed(AsBytes(bytes.substr(3))).ok());
  ASSERT_TRUE((*joined)->EndPrehashed((*body)->checksum(), bytes.size()).ok());
  ASSERT_TRUE((*joined)->WriteEntry(a).ok());
  ASSERT_TRUE((*joined)->Finish().ok());
  EXPECT_EQ(joined_sink.data(), whole_sink.data());
  EXPECT_EQ((*joined)->checksum(), (*whole)->checksum());
  EXPECT_EQ((*joined)->file_crc(), Crc64(0, AsBytes(whole_sink.data())));
  RdbSummary summary;
  EXPECT_EQ(RawEntries(joined_sink.data(), &summary).size(), 3u);
  EXPECT_EQ(summary.crc, CrcStatus::kOk);

  // A declared length that differs from what was appended is misuse.
  StringSink bad_sink;
  auto bad = RdbWriter::Create(&bad_sink, options);
  ASSERT_TRUE(bad.ok());
  (*bad)->BeginPrehashed();
  ASSERT_TRUE((*bad)->AppendPrehashed(AsBytes(bytes)).ok());
  EXPECT_FALSE((*bad)->EndPrehashed((*body)->checksum(), bytes.size() + 1).ok());
}

TEST(RdbWriterTest, ChecksumOffWritesZeroCrc) {
  StringSink sink;
  RdbWriterOptions options;
  options.checksum = false;
  auto writer = RdbWriter::Create(&sink, options);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  RdbSummary summary;
  RawEntries(sink.data(), &summary);
  EXPECT_EQ(summary.crc, CrcStatus::kDisabled);
}

TEST(RdbWriterTest, RefusesVersionsItCannotWrite) {
  StringSink sink;
  for (int version : {0, 6, 15, 80}) {
    RdbWriterOptions options;
    options.version = version;
    auto writer = RdbWriter::Create(&sink, options);
    EXPECT_EQ(writer.status().code(), StatusCode::kInvalidArgument) << version;
  }
}

// Every corpus file the reader accepts (REDIS magic) round-trips: same
// entries, byte-identical values, correct CRC.
TEST(RdbWriterTest, CorpusRoundTripKeepsEveryEntryByteForByte) {
  int files = 0;
  for (const std::string& path : CorpusRdbFiles(CorpusDir())) {
    std::string input = ReadFileOrDie(CorpusDir() + "/" + path);
    RdbReadOptions read;
    RecordingVisitor probe;
    auto source = ReadBytes(input, read, &probe);
    if (!source.ok() || source->header.magic != Magic::kRedis) continue;
    SCOPED_TRACE(path);
    const int version = std::max(source->header.version, RdbWriter::kMinWritableVersion);
    auto output = Rewrite(input, version);
    ASSERT_TRUE(output.ok()) << output.status().ToString();
    RdbSummary summary;
    auto before = RawEntries(input);
    auto after = RawEntries(*output, &summary);
    EXPECT_EQ(summary.crc, CrcStatus::kOk);
    ASSERT_EQ(before.size(), after.size());
    for (size_t i = 0; i < before.size(); ++i) {
      EXPECT_EQ(before[i].db, after[i].db);
      EXPECT_EQ(before[i].key, after[i].key);
      EXPECT_EQ(before[i].type, after[i].type);
      EXPECT_EQ(before[i].expire_ms, after[i].expire_ms);
      EXPECT_EQ(before[i].value, after[i].value) << before[i].key;
      if (version >= 9) {
        EXPECT_EQ(before[i].lru_idle_s, after[i].lru_idle_s);
        EXPECT_EQ(before[i].lfu_freq, after[i].lfu_freq);
      }
    }
    ++files;
  }
  EXPECT_GE(files, 250);
}

TEST(RdbWriterTest, ListpackTypesBecomePlainTypesForRdb9) {
  std::string input = ReadFileOrDie(CorpusDir() + "/dragonflydb__dragonfly/redis7_small.rdb");
  std::vector<std::string> losses;
  auto output = Rewrite(input, 9, &losses);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_TRUE(losses.empty());
  for (const auto& e : RawEntries(*output)) {
    EXPECT_TRUE(e.type == kTypeHash || e.type == kTypeZset2 || e.type == kTypeSet ||
                e.type == kTypeList)
        << e.key << " " << int(e.type);
  }
  EXPECT_EQ(DeepElements(*output), DeepElements(input));
}

TEST(RdbWriterTest, StreamV3DowngradesToV2AndV1KeepingEntries) {
  std::string input =
      ReadFileOrDie(CorpusDir() + "/dragonflydb__dragonfly/RDB_TYPE_STREAM_LISTPACKS_3.rdb");
  for (int version : {10, 9}) {
    std::vector<std::string> losses;
    auto output = Rewrite(input, version, &losses);
    ASSERT_TRUE(output.ok()) << output.status().ToString();
    auto entries = RawEntries(*output);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].type, version == 10 ? kTypeStreamListpacks2 : kTypeStreamListpacks);
    ASSERT_FALSE(losses.empty());
    EXPECT_NE(losses[0].find("active-time"), std::string::npos) << losses[0];
    // Entries and groups survive (metadata fields differ by design).
    RdbReadOptions read;
    read.deep = true;
    RecordingVisitor v;
    ASSERT_TRUE(ReadBytes(*output, read, &v).ok());
    RecordingVisitor orig;
    ASSERT_TRUE(ReadBytes(input, read, &orig).ok());
    EXPECT_EQ(v.element_count, orig.element_count);
  }
}

TEST(RdbWriterTest, HashFieldTtlsCannotBeWrittenBeforeRdb12) {
  std::string input = ReadFileOrDie(CorpusDir() + "/HDT3213__rdb/hash_with_hfe.rdb");
  auto output = Rewrite(input, 10);
  ASSERT_EQ(output.status().code(), StatusCode::kNotSupported);
  EXPECT_NE(output.status().message().find("hash field TTLs need RDB 12"), std::string::npos)
      << output.status().ToString();
}

// The real redis-server 7.0 reads RDB <= 10: files written as 9 and 10 must
// load there, hold the same keys (DEBUG DIGEST equal to the source's when
// the source itself loads) and pass redis-check-rdb.
struct LoadCase {
  const char* file;
  int version;
  bool source_loads_in_7_0;
  friend void PrintTo(const LoadCase& c, std::ostream* os) {
    *os << c.file << "@v" << c.version;
  }
};

class RdbWriterRedisLoadTest : public ::testing::TestWithParam<LoadCase> {};

TEST_P(RdbWriterRedisLoadTest, OutputLoadsInRedis70) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const LoadCase& c = GetParam();
  std::string input = ReadFileOrDie(CorpusDir() + "/" + c.file);
  auto output = Rewrite(input, c.version);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  shardkit::testing::TempDir dir;
  shardkit::testing::WriteFileOrDie(dir.File("out.rdb"), *output);
  auto check = shardkit::testing::RunRedisCheckRdb(dir.File("out.rdb"));
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->exit_code, 0) << check->output;

  shardkit::testing::RedisServerOptions options;
  options.files_before_start = {{"dump.rdb", *output}};
  auto server = shardkit::testing::RedisServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto keys = (*server)->CommandOk({"DBSIZE"});
  ASSERT_TRUE(keys.ok());
  // A primary drops keys whose expiry has passed when it loads an RDB.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  uint64_t expected_db0 = 0;
  for (const auto& e : RawEntries(input)) {
    expected_db0 += e.db == 0 && (!e.expire_ms.has_value() || *e.expire_ms > now_ms) ? 1 : 0;
  }
  EXPECT_EQ(static_cast<uint64_t>(keys->integer), expected_db0);
  if (c.source_loads_in_7_0) {
    options.files_before_start = {{"dump.rdb", input}};
    auto source_server = shardkit::testing::RedisServer::Start(options);
    ASSERT_TRUE(source_server.ok()) << source_server.status().ToString();
    auto want = (*source_server)->CommandOk({"DEBUG", "DIGEST"});
    auto got = (*server)->CommandOk({"DEBUG", "DIGEST"});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(got->str, want->str);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, RdbWriterRedisLoadTest,
    ::testing::Values(LoadCase{"dragonflydb__dragonfly/redis6_small.rdb", 9, true},
                      LoadCase{"dragonflydb__dragonfly/redis6_small.rdb", 10, true},
                      LoadCase{"sripathikrishnan__redis-rdb-tools/redis_50_with_streams.rdb", 9,
                               true},
                      LoadCase{"HDT3213__rdb/listpack.rdb", 10, true},
                      LoadCase{"leonchen83__redis-replicator/stream2.rdb", 10, true},
                      LoadCase{"dragonflydb__dragonfly/redis7_small.rdb", 10, false},
                      LoadCase{"dragonflydb__dragonfly/redis7_small.rdb", 9, false},
                      LoadCase{"dragonflydb__dragonfly/RDB_TYPE_STREAM_LISTPACKS_3.rdb", 10,
                               false},
                      LoadCase{"dragonflydb__dragonfly/RDB_TYPE_STREAM_LISTPACKS_3.rdb", 9,
                               false}));

}  // namespace
}  // namespace shardkit::formats::rdb
