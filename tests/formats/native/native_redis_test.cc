// Native round trip against the real redis-server 7.0, for every encoding
// config of the RDB tests: server A filled and SAVEd -> dump.rdb -> native
// file (storage writer, atomic publish) -> deep verify -> RDB -> server B.
// B's keyspace must equal A's key by key (TYPE, DEBUG DIGEST-VALUE,
// PEXPIRETIME, streams, functions), every value's bytes must equal the
// source's, and redis-check-rdb must accept the RDB. A slot subset written
// back holds exactly the source keys of those slots.
#include <gtest/gtest.h>

#include "formats/native/native_convert.h"
#include "formats/native/native_verify.h"
#include "storage/atomic_file.h"
#include "storage/file_reader.h"
#include "storage/positional_reader.h"
#include "tests/formats/native/native_test_util.h"
#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::native {
namespace {

using shardkit::testing::KeyspaceSnapshot;
using shardkit::testing::RedisServer;
using shardkit::testing::RedisServerOptions;
using shardkit::testing::RedisTestConfig;
using shardkit::testing::TempDir;

struct RawCollector : rdb::RdbVisitor {
  Status OnEntry(const rdb::RdbEntry& e) override {
    values[{e.db, e.key}] = {e.type, e.expire_ms, e.value};
    return Status();
  }
  std::map<std::pair<uint64_t, std::string>,
           std::tuple<uint8_t, std::optional<int64_t>, std::string>>
      values;
};

Result<RawCollector> ReadRaw(const std::string& bytes) {
  RawCollector c;
  MemoryChunkSource source(AsBytes(bytes), 1 << 16, "raw.rdb");
  rdb::RdbReadOptions options;
  options.capture_values = true;
  SK_RETURN_IF_ERROR(rdb::ReadRdb(&source, options, &c).status());
  return c;
}

// dump.rdb -> path (native) with the storage reader and atomic writer.
Status ConvertToNativeFile(const std::string& rdb_path, const std::string& native_path) {
  SK_ASSIGN_OR_RETURN(auto source, storage::OpenSequentialReader(rdb_path));
  SK_ASSIGN_OR_RETURN(auto sink, storage::AtomicFileWriter::Create(native_path));
  NativeWriterOptions options;
  options.block_bytes = 64 << 10;
  SK_RETURN_IF_ERROR(RdbToNative(source.get(), sink.get(), options).status());
  return sink->Publish();
}

Result<std::string> NativeFileToRdb(const std::string& native_path,
                                    const NativeToRdbOptions& options) {
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenPositionalReader(native_path));
  SK_ASSIGN_OR_RETURN(auto reader, NativeReader::Open(file.get()));
  StringSink sink("back.rdb");
  SK_RETURN_IF_ERROR(NativeToRdb(*reader, &sink, options).status());
  return sink.data();
}

class NativeRedisTest : public ::testing::TestWithParam<RedisTestConfig> {};

TEST_P(NativeRedisTest, RdbToNativeToRdbLoadsIdentically) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const RedisTestConfig& config = GetParam();
  auto server = shardkit::testing::StartFilledServer(config);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Save().ok());
  auto expected = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  const std::string source_rdb = shardkit::testing::ReadFileOrDie((*server)->rdb_path());

  TempDir dir("shardkit-native-redis");
  const std::string native_path = dir.File("dump.skn");
  ASSERT_TRUE(ConvertToNativeFile((*server)->rdb_path(), native_path).ok());
  server->reset();

  auto verify_source = storage::OpenSequentialReader(native_path);
  ASSERT_TRUE(verify_source.ok());
  NativeVerifyReport report = VerifyNative(verify_source->get(), {.deep = true});
  ASSERT_TRUE(report.ok) << report.error.ToString();
  EXPECT_EQ(report.keys, expected->KeyCount());
  EXPECT_EQ(report.functions, expected->functions.empty() ? 0u : 1u);

  auto written = NativeFileToRdb(native_path, {});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_EQ(written->substr(0, 9), "REDIS0010");
  auto source_values = ReadRaw(source_rdb);
  auto written_values = ReadRaw(*written);
  ASSERT_TRUE(source_values.ok() && written_values.ok());
  EXPECT_TRUE(source_values->values == written_values->values)
      << "raw value bytes differ after RDB -> native -> RDB";

  RedisServerOptions target_options;
  target_options.config = config.config;
  target_options.files_before_start = {{"dump.rdb", *written}};
  auto target = RedisServer::Start(target_options);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  auto actual = KeyspaceSnapshot::Capture((*target)->client());
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_EQ(expected->KeyCount(), actual->KeyCount());
  EXPECT_EQ(expected->Diff(*actual), "");

  auto check = shardkit::testing::RunRedisCheckRdb((*target)->rdb_path());
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->exit_code, 0) << check->output;
}

INSTANTIATE_TEST_SUITE_P(Configs, NativeRedisTest,
                         ::testing::ValuesIn(shardkit::testing::RdbTestConfigs(false)),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(NativeRedisSlots, SlotSubsetLoadsExactlyThoseKeys) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const RedisTestConfig config = shardkit::testing::RdbTestConfigs(false).front();
  auto server = shardkit::testing::StartFilledServer(config);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Save().ok());
  auto full = KeyspaceSnapshot::Capture((*server)->client());
  ASSERT_TRUE(full.ok());
  TempDir dir("shardkit-native-slots");
  const std::string native_path = dir.File("dump.skn");
  ASSERT_TRUE(ConvertToNativeFile((*server)->rdb_path(), native_path).ok());
  server->reset();

  NativeToRdbOptions options;
  options.slots = SlotRange(5461, 10922);  // the middle third, as a 3-node cluster splits it
  auto written = NativeFileToRdb(native_path, options);
  ASSERT_TRUE(written.ok()) << written.status().ToString();

  KeyspaceSnapshot expected = *full;
  for (auto& [db, keys] : expected.dbs) {
    std::erase_if(keys, [&](const auto& kv) { return !options.slots->test(KeyHashSlot(kv.first)); });
    expected.dbsize[db] = static_cast<int64_t>(keys.size());
  }
  std::erase_if(expected.dbs, [](const auto& kv) { return kv.second.empty(); });
  std::erase_if(expected.dbsize, [&](const auto& kv) { return kv.second == 0; });
  ASSERT_GT(expected.KeyCount(), 0u);
  ASSERT_LT(expected.KeyCount(), full->KeyCount());

  RedisServerOptions target_options;
  target_options.config = config.config;
  target_options.files_before_start = {{"dump.rdb", *written}};
  auto target = RedisServer::Start(target_options);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  auto actual = KeyspaceSnapshot::Capture((*target)->client());
  ASSERT_TRUE(actual.ok());
  EXPECT_EQ(expected.Diff(*actual), "");
}

}  // namespace
}  // namespace shardkit::formats::native
