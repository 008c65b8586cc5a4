// RDB round trip against the real redis-server 7.0, for every config in
// RdbTestConfigs() (each forces different encodings):
//   server A filled and SAVEd -> RdbReader (raw, capture) over A's dump.rdb
//   -> RdbWriter -> server B started on the written file
// B's keyspace must equal A's key by key (type, DEBUG DIGEST-VALUE,
// PEXPIRETIME, stream groups, functions), redis-check-rdb must accept the
// written file, raw value bytes must survive byte for byte, and deep decoding
// of A's dump must succeed with the element counts the server reports.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "base/chunk_io.h"
#include "base/byte_reader.h"
#include "formats/rdb/rdb_format.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "storage/file_reader.h"
#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace rdb = ::shardkit::formats::rdb;

// Copies every record the reader reports into a writer, in file order.
// RDB 9 has no FUNCTION2 opcode: functions are left out when writing it.
class CountingCopyVisitor : public rdb::RdbVisitor {
 public:
  explicit CountingCopyVisitor(rdb::RdbWriter* writer) : writer_(writer) {}
  Status OnAux(std::string_view key, std::string_view value) override {
    return writer_->WriteAux(key, value);
  }
  Status OnSelectDb(uint64_t db) override { return writer_->WriteSelectDb(db); }
  Status OnResizeDb(uint64_t db_size, uint64_t expires_size) override {
    return writer_->WriteResizeDb(db_size, expires_size);
  }
  Status OnFunction(std::string_view code) override {
    if (writer_->version() < 10) return Status::Ok();
    return writer_->WriteFunction(code);
  }
  Status OnModuleAux(uint64_t, std::string_view raw) override {
    return writer_->WriteModuleAux(raw);
  }
  Status OnEntry(const rdb::RdbEntry& entry) override {
    ++entries_;
    return writer_->WriteEntry(entry);
  }
  uint64_t entries() const { return entries_; }

 private:
  rdb::RdbWriter* writer_;
  uint64_t entries_ = 0;
};

// Keeps (db, key) -> (type, expiry, raw value bytes) of every entry.
struct RawRecord {
  uint8_t type = 0;
  std::optional<int64_t> expire_ms;
  std::string value;
  bool operator==(const RawRecord&) const = default;
};
class RawCollector : public rdb::RdbVisitor {
 public:
  Status OnEntry(const rdb::RdbEntry& entry) override {
    records[{entry.db, entry.key}] = RawRecord{entry.type, entry.expire_ms, entry.value};
    return Status::Ok();
  }
  std::map<std::pair<uint64_t, std::string>, RawRecord> records;
};

// Counts decoded elements per (db, key) in deep mode.
class ElementCounter : public rdb::RdbVisitor {
 public:
  Status OnElement(const rdb::RdbEntry& entry, const rdb::RdbElement& element) override {
    switch (element.kind) {
      case rdb::ElementKind::kListItem:
      case rdb::ElementKind::kSetMember:
      case rdb::ElementKind::kZsetMember:
      case rdb::ElementKind::kHashField:
      case rdb::ElementKind::kStreamEntry:
        ++counts[{entry.db, entry.key}];
        break;
      default:
        break;
    }
    return Status::Ok();
  }
  Status OnEntry(const rdb::RdbEntry&) override {
    ++entries;
    return Status::Ok();
  }
  std::map<std::pair<uint64_t, std::string>, uint64_t> counts;
  uint64_t entries = 0;
};

Result<rdb::RdbSummary> ReadFile(const std::string& path, const rdb::RdbReadOptions& options,
                                 rdb::RdbVisitor* visitor) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source, storage::OpenSequentialReader(path));
  return rdb::ReadRdb(source.get(), options, visitor);
}

Result<rdb::RdbSummary> ReadBytes(const std::string& bytes, const rdb::RdbReadOptions& options,
                                  rdb::RdbVisitor* visitor) {
  MemoryChunkSource source(AsBytes(bytes), 1 << 16, "written.rdb");
  return rdb::ReadRdb(&source, options, visitor);
}

// Reads `path` raw and writes it again as RDB `version`; returns the bytes.
Result<std::string> Rewrite(const std::string& path, int version, bool checksum) {
  StringSink sink("written.rdb");
  SK_ASSIGN_OR_RETURN(std::unique_ptr<rdb::RdbWriter> writer,
                      rdb::RdbWriter::Create(&sink, {.version = version, .checksum = checksum}));
  CountingCopyVisitor copy(writer.get());
  rdb::RdbReadOptions options;
  options.capture_values = true;
  SK_ASSIGN_OR_RETURN(rdb::RdbSummary summary, ReadFile(path, options, &copy));
  if (summary.keys != copy.entries()) {
    return Status::Corruption("summary says " + std::to_string(summary.keys) + " keys, copied " +
                              std::to_string(copy.entries()));
  }
  SK_RETURN_IF_ERROR(writer->Finish());
  return sink.data();
}

// Node shape of a quicklist-v2 value (type 18) from its raw bytes: node
// count, PLAIN nodes and nodes whose blob is LZF-compressed.
struct QuicklistShape {
  uint64_t nodes = 0;
  uint64_t plain = 0;
  uint64_t lzf = 0;
};
Result<QuicklistShape> ParseQuicklistShape(const std::string& value) {
  MemoryChunkSource source(AsBytes(value), 1 << 16, "quicklist value");
  ByteReader in(&source);
  QuicklistShape shape;
  SK_ASSIGN_OR_RETURN(shape.nodes, rdb::ReadLength(in, "node count"));
  for (uint64_t i = 0; i < shape.nodes; ++i) {
    SK_ASSIGN_OR_RETURN(uint64_t container, rdb::ReadLength(in, "container"));
    if (container == rdb::kQuicklistNodePlain) ++shape.plain;
    SK_ASSIGN_OR_RETURN(rdb::LengthOrEncoding head, rdb::ReadLengthOrEncoding(in));
    if (head.encoded && head.value == rdb::kEncLzf) {
      ++shape.lzf;
      SK_ASSIGN_OR_RETURN(uint64_t compressed, rdb::ReadLength(in, "lzf length"));
      SK_ASSIGN_OR_RETURN(uint64_t original, rdb::ReadLength(in, "lzf original length"));
      (void)original;
      SK_RETURN_IF_ERROR(in.Skip(compressed));
    } else if (head.encoded) {
      return Status::Corruption("integer-encoded quicklist node");
    } else {
      SK_RETURN_IF_ERROR(in.Skip(head.value));
    }
  }
  SK_ASSIGN_OR_RETURN(bool at_end, in.AtEnd());
  if (!at_end) return Status::Corruption("bytes after the last quicklist node");
  return shape;
}

struct RoundtripCase {
  RedisTestConfig config;
  int version = 10;
};
void PrintTo(const RoundtripCase& c, std::ostream* os) {
  *os << c.config.name << "/v" << c.version;
}

// Every config written back as RDB 10 (what redis-server 7.0 writes).
std::vector<RoundtripCase> SameVersionCases() {
  std::vector<RoundtripCase> cases;
  for (const RedisTestConfig& config : RdbTestConfigs()) cases.push_back({config, 10});
  return cases;
}

// RDB 9 has no listpack, quicklist-v2 or v2-stream types: the writer
// converts them (hash/zset/set listpacks, lists, streams); the configs with
// the most distinct encodings exercise every conversion.
std::vector<RoundtripCase> OlderVersionCases() {
  std::vector<RoundtripCase> cases;
  for (const RedisTestConfig& config : RdbTestConfigs()) {
    if (config.name == "Defaults" || config.name == "CompactThresholdsLarge" ||
        config.name == "SmallCompressedListNodes" || config.name == "PlainListNodes") {
      cases.push_back({config, 9});
    }
  }
  return cases;
}

// What the tests need from server A: its dump.rdb (copied into a temp dir),
// its keyspace snapshot, DBSIZE total and the sizes of the sample keys.
// Made once per config and shared by every test and version of that config,
// so each dataset is generated once; server A is gone once it is captured.
struct SourceData {
  TempDir dir{"shardkit-roundtrip"};
  std::string rdb_path;
  KeyspaceSnapshot snapshot;
  uint64_t keys = 0;
  std::map<std::string, int64_t> sample_sizes;
};

Result<std::shared_ptr<SourceData>> MakeSource(const RedisTestConfig& config) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<RedisServer> server, StartFilledServer(config));
  SK_RETURN_IF_ERROR(server->Save());
  auto data = std::make_shared<SourceData>();
  SK_ASSIGN_OR_RETURN(data->snapshot, KeyspaceSnapshot::Capture(server->client()));
  for (const auto& [db, size] : data->snapshot.dbsize) data->keys += static_cast<uint64_t>(size);
  for (const auto& [key, command] : SizedSampleKeys(config.large_values)) {
    SK_ASSIGN_OR_RETURN(RedisReply size, server->CommandOk({command, key}));
    data->sample_sizes[key] = size.integer;
  }
  SK_RETURN_IF_ERROR(server->Shutdown(/*save=*/false));
  data->rdb_path = data->dir.File("dump.rdb");
  WriteFileOrDie(data->rdb_path, ReadFileOrDie(server->rdb_path()));
  return data;
}

void ExpectRoundtripLoadsIdentically(const SourceData& source, const RoundtripCase& c) {
  KeyspaceSnapshot expected = source.snapshot;
  if (c.version < 10) expected.functions.clear();  // RDB 9 cannot hold functions
  const bool checksum = c.config.name != "NoCompressionNoChecksum";
  auto written = Rewrite(source.rdb_path, c.version, checksum);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  char magic[10];
  std::snprintf(magic, sizeof(magic), "REDIS%04d", c.version);
  ASSERT_EQ(written->substr(0, 9), magic);

  RedisServerOptions target_options;
  target_options.config = c.config.config;
  target_options.files_before_start = {{"dump.rdb", *written}};
  auto target = RedisServer::Start(target_options);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  auto actual = KeyspaceSnapshot::Capture((*target)->client());
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_EQ(expected.KeyCount(), actual->KeyCount());
  // RDB 9 streams (type 15) cannot carry 7.0's stream metadata; the digest
  // still covers every entry.
  EXPECT_EQ(expected.Diff(*actual, 20, /*compare_stream_info=*/c.version >= 10), "");

  auto check = RunRedisCheckRdb((*target)->rdb_path());
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->exit_code, 0) << check->output;
  EXPECT_NE(check->output.find("RDB looks OK"), std::string::npos) << check->output;
}

class RoundtripRedisTest : public ::testing::TestWithParam<RoundtripCase> {
 protected:
  static void TearDownTestSuite() { Cache().clear(); }

  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    const RedisTestConfig& config = GetParam().config;
    auto& cached = Cache()[config.name];
    if (cached == nullptr) {
      auto made = MakeSource(config);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      cached = std::move(made).value();
    }
    source_ = cached;
  }

  static std::map<std::string, std::shared_ptr<SourceData>>& Cache() {
    static auto* cache = new std::map<std::string, std::shared_ptr<SourceData>>();
    return *cache;
  }

  std::shared_ptr<SourceData> source_;
};

TEST_P(RoundtripRedisTest, WrittenFileLoadsIntoRedisWithIdenticalKeyspace) {
  ExpectRoundtripLoadsIdentically(*source_, GetParam());
}

// Same data, written as RDB 9 (types converted to their pre-7.0 forms).
class RoundtripRedisOlderVersionTest : public RoundtripRedisTest {};

TEST_P(RoundtripRedisOlderVersionTest, ConvertedFileLoadsIntoRedisWithIdenticalKeyspace) {
  ExpectRoundtripLoadsIdentically(*source_, GetParam());
}

TEST_P(RoundtripRedisTest, RawCopyThroughKeepsValueBytesIdentical) {
  rdb::RdbReadOptions options;
  options.capture_values = true;
  RawCollector source_records;
  auto source_summary = ReadFile(source_->rdb_path, options, &source_records);
  ASSERT_TRUE(source_summary.ok()) << source_summary.status().ToString();
  ASSERT_EQ(source_summary->header.version, 10);

  auto written = Rewrite(source_->rdb_path, 10, /*checksum=*/true);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  RawCollector written_records;
  auto written_summary = ReadBytes(*written, options, &written_records);
  ASSERT_TRUE(written_summary.ok()) << written_summary.status().ToString();
  EXPECT_EQ(written_summary->crc, rdb::CrcStatus::kOk);

  ASSERT_EQ(source_records.records.size(), written_records.records.size());
  size_t differing = 0;
  for (const auto& [id, record] : source_records.records) {
    auto it = written_records.records.find(id);
    ASSERT_NE(it, written_records.records.end()) << "db " << id.first << " key "
                                                 << PrintableKey(id.second);
    if (!(it->second == record) && ++differing <= 5) {
      ADD_FAILURE() << "db " << id.first << " key " << PrintableKey(id.second)
                    << ": type/expiry/value bytes differ (" << record.value.size() << " vs "
                    << it->second.value.size() << " bytes)";
    }
  }
  EXPECT_EQ(differing, 0u);
}

TEST_P(RoundtripRedisTest, DeepDecodeMatchesServerCounts) {
  rdb::RdbReadOptions options;
  options.deep = true;
  ElementCounter counter;
  auto summary = ReadFile(source_->rdb_path, options, &counter);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->crc, GetParam().config.name == "NoCompressionNoChecksum"
                              ? rdb::CrcStatus::kDisabled
                              : rdb::CrcStatus::kOk);

  EXPECT_EQ(summary->keys, source_->keys);
  EXPECT_EQ(counter.entries, source_->keys);
  ASSERT_FALSE(source_->sample_sizes.empty());
  for (const auto& [key, size] : source_->sample_sizes) {
    const uint64_t decoded = counter.counts[{0, key}];
    EXPECT_EQ(decoded, static_cast<uint64_t>(size)) << "elements of " << key;
  }
}

// The configs must really produce the on-disk shapes they are meant to
// cover: PLAIN nodes, LZF-compressed nodes (or none), many small nodes.
TEST_P(RoundtripRedisTest, DumpHoldsTheListNodeShapesTheConfigForces) {
  const RedisTestConfig& config = GetParam().config;
  rdb::RdbReadOptions options;
  options.capture_values = true;
  RawCollector records;
  auto summary = ReadFile(source_->rdb_path, options, &records);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  auto it = records.records.find({0, kRepListLong});
  ASSERT_NE(it, records.records.end());
  ASSERT_EQ(it->second.type, rdb::kTypeListQuicklist2);
  auto shape = ParseQuicklistShape(it->second.value);
  ASSERT_TRUE(shape.ok()) << shape.status().ToString();
  EXPECT_GE(shape->nodes, config.min_list_nodes);
  if (config.min_plain_list_nodes == 0) {
    EXPECT_EQ(shape->plain, 0u);
  } else {
    EXPECT_GE(shape->plain, config.min_plain_list_nodes);
  }
  if (config.expect_lzf_list_nodes) {
    EXPECT_GT(shape->lzf, 0u);
  } else {
    EXPECT_EQ(shape->lzf, 0u);
  }
}

std::string CaseName(const ::testing::TestParamInfo<RoundtripCase>& param_info) {
  return param_info.param.config.name + "_v" + std::to_string(param_info.param.version);
}

INSTANTIATE_TEST_SUITE_P(Configs, RoundtripRedisTest, ::testing::ValuesIn(SameVersionCases()),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(Configs, RoundtripRedisOlderVersionTest,
                         ::testing::ValuesIn(OlderVersionCases()), CaseName);

}  // namespace
}  // namespace shardkit::testing
