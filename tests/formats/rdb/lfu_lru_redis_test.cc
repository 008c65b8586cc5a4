// LFU and LRU state through a real redis-server 7.0: the FREQ/IDLE opcodes
// the server writes are read for every key, and what RdbWriter writes is what
// a fresh server reports through OBJECT FREQ / OBJECT IDLETIME after loading.
//
// Deterministic LFU counters: with lfu-log-factor 0 every access increments
// the counter (probability 1/(0*n+1)) and lfu-decay-time 0 disables decay, so
// key i read 3*i times has a distinct counter that must survive unchanged.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "storage/file_reader.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace rdb = ::shardkit::formats::rdb;

constexpr int kKeys = 12;

std::string KeyName(int i) { return "key:" + std::to_string(i); }

// Reads `path` raw and writes it again as RDB 10, letting `edit` change each
// entry on the way (nullptr: unchanged). Returns the written bytes.
class EditingCopyVisitor : public rdb::RdbVisitor {
 public:
  EditingCopyVisitor(rdb::RdbWriter* writer, std::function<void(rdb::RdbEntry*)> edit)
      : writer_(writer), edit_(std::move(edit)) {}
  Status OnAux(std::string_view k, std::string_view v) override { return writer_->WriteAux(k, v); }
  Status OnSelectDb(uint64_t db) override { return writer_->WriteSelectDb(db); }
  Status OnEntry(const rdb::RdbEntry& entry) override {
    entries.push_back(entry);
    rdb::RdbEntry copy = entry;
    if (edit_) edit_(&copy);
    return writer_->WriteEntry(copy);
  }
  std::vector<rdb::RdbEntry> entries;

 private:
  rdb::RdbWriter* writer_;
  std::function<void(rdb::RdbEntry*)> edit_;
};

struct Rewritten {
  std::string bytes;
  std::vector<rdb::RdbEntry> source_entries;
};

Result<Rewritten> Rewrite(const std::string& path, std::function<void(rdb::RdbEntry*)> edit) {
  StringSink sink("written.rdb");
  SK_ASSIGN_OR_RETURN(std::unique_ptr<rdb::RdbWriter> writer,
                      rdb::RdbWriter::Create(&sink, {.version = 10, .checksum = true}));
  EditingCopyVisitor copy(writer.get(), std::move(edit));
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source, storage::OpenSequentialReader(path));
  rdb::RdbReadOptions options;
  options.capture_values = true;
  SK_RETURN_IF_ERROR(rdb::ReadRdb(source.get(), options, &copy).status());
  SK_RETURN_IF_ERROR(writer->Finish());
  return Rewritten{sink.data(), std::move(copy.entries)};
}

RedisServerOptions Options(std::vector<std::pair<std::string, std::string>> config,
                           std::string rdb = "") {
  RedisServerOptions options;
  options.config = std::move(config);
  if (!rdb.empty()) options.files_before_start = {{"dump.rdb", std::move(rdb)}};
  return options;
}

Result<int64_t> ObjectInt(RedisServer& server, const std::string& sub, const std::string& key) {
  SK_ASSIGN_OR_RETURN(RedisReply r, server.CommandOk({"OBJECT", sub, key}));
  return r.integer;
}

TEST(LfuLruRedisTest, LfuCountersSurviveReadWriteAndLoad) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const std::vector<std::pair<std::string, std::string>> config = {
      {"maxmemory-policy", "allkeys-lfu"}, {"lfu-log-factor", "0"}, {"lfu-decay-time", "0"}};
  auto source = RedisServer::Start(Options(config));
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  RedisServer& a = **source;
  std::map<std::string, int64_t> freq;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(a.CommandOk({"SET", KeyName(i), "v" + std::to_string(i)}).ok());
    for (int r = 0; r < 3 * i; ++r) ASSERT_TRUE(a.CommandOk({"GET", KeyName(i)}).ok());
    auto f = ObjectInt(a, "FREQ", KeyName(i));
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    freq[KeyName(i)] = *f;
  }
  // Distinct counters, or the comparison below proves nothing.
  for (int i = 1; i < kKeys; ++i) ASSERT_GT(freq[KeyName(i)], freq[KeyName(i - 1)]);
  ASSERT_TRUE(a.Save().ok());

  auto written = Rewrite(a.rdb_path(), nullptr);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_EQ(written->source_entries.size(), static_cast<size_t>(kKeys));
  for (const rdb::RdbEntry& e : written->source_entries) {
    ASSERT_TRUE(e.lfu_freq.has_value()) << e.key;
    EXPECT_FALSE(e.lru_idle_s.has_value()) << e.key;
    EXPECT_EQ(*e.lfu_freq, freq[e.key]) << e.key;
  }

  auto target = RedisServer::Start(Options(config, written->bytes));
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  for (int i = 0; i < kKeys; ++i) {
    auto f = ObjectInt(**target, "FREQ", KeyName(i));
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(*f, freq[KeyName(i)]) << KeyName(i);
  }
}

TEST(LfuLruRedisTest, LruIdleTimesAreWrittenAndLoaded) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const std::vector<std::pair<std::string, std::string>> config = {
      {"maxmemory-policy", "allkeys-lru"}};
  auto source = RedisServer::Start(Options(config));
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE((*source)->CommandOk({"SET", KeyName(i), "v"}).ok());
  }
  ASSERT_TRUE((*source)->Save().ok());
  // Give key i an idle time of 1000*(i+1) seconds on the way through.
  auto written = Rewrite((*source)->rdb_path(), [](rdb::RdbEntry* e) {
    e->lru_idle_s = 1000 * (std::stoull(e->key.substr(4)) + 1);
  });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  for (const rdb::RdbEntry& e : written->source_entries) {
    EXPECT_TRUE(e.lru_idle_s.has_value()) << e.key;  // the server writes IDLE under LRU
    EXPECT_FALSE(e.lfu_freq.has_value()) << e.key;
  }
  auto target = RedisServer::Start(Options(config, written->bytes));
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  for (int i = 0; i < kKeys; ++i) {
    auto idle = ObjectInt(**target, "IDLETIME", KeyName(i));
    ASSERT_TRUE(idle.ok()) << idle.status().ToString();
    // The load itself and these commands take seconds at most.
    EXPECT_GE(*idle, 1000 * (i + 1)) << KeyName(i);
    EXPECT_LE(*idle, 1000 * (i + 1) + 60) << KeyName(i);
  }
}

}  // namespace
}  // namespace shardkit::testing
