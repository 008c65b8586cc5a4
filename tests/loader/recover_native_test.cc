// Recovery from native snapshots (formats/native): a real redis-server's
// dump.rdb and the native file `shardkit convert` makes of it are each
// recovered onto the same number of nodes; every node must get the same
// entries (key, type, value bytes, expiry) either way. A node owning one
// fifth of the slots reads at most a quarter of the native file's bytes.
#include <gtest/gtest.h>
#include <sstream>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <tuple>

#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_reader.h"
#include "storage/file_reader.h"
#include "tests/support/datasets.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;
namespace rdb = formats::rdb;

// key -> (type, value bytes, expiry) of every entry of an RDB file.
using Entries = std::map<std::string, std::tuple<int, std::string, int64_t>>;

class CollectEntries final : public rdb::RdbVisitor {
 public:
  explicit CollectEntries(Entries* out) : out_(out) {}
  Status OnEntry(const rdb::RdbEntry& e) override {
    auto [it, inserted] = out_->emplace(
        e.key, std::make_tuple(static_cast<int>(e.type), std::string(e.value),
                               e.expire_ms ? static_cast<int64_t>(*e.expire_ms) : -1));
    if (!inserted) return Status::Corruption("key twice: " + e.key);
    return Status();
  }

 private:
  Entries* out_;
};

Entries ReadEntries(const std::string& path) {
  Entries out;
  auto file = storage::OpenSequentialReader(path, storage::IoOptions());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return out;
  CollectEntries visitor(&out);
  rdb::RdbReadOptions options;
  options.capture_values = true;
  auto read = rdb::ReadRdb(file->get(), options, &visitor);
  EXPECT_TRUE(read.ok()) << path << ": " << read.status().ToString();
  return out;
}

class RecoverNativeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    work_ = new TempDir("shardkit-native-recover");
    RedisServerOptions opt;
    auto server = RedisServer::Start(opt);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    DatasetOptions data;
    data.keys = static_cast<size_t>(std::max(2000.0, 6000 * TestScale()));
    ASSERT_TRUE(FillDataset((*server)->client(), data).ok());
    ASSERT_TRUE((*server)->Save().ok());
    fs::create_directories(work_->File("rdb-volume"));
    fs::create_directories(work_->File("native-volume"));
    fs::copy((*server)->rdb_path(), work_->File("rdb-volume/dump.rdb"));
    // Small blocks, so that a node's share of the slots maps to few blocks.
    auto conv = Shardkit({"convert", work_->File("rdb-volume/dump.rdb"),
                          work_->File("native-volume/dump.skn"), "--block-size", "8192"});
    ASSERT_TRUE(conv.ok());
    ASSERT_EQ(conv->exit_code, 0) << conv->output;
  }
  static void TearDownTestSuite() {
    delete work_;
    work_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(work_, nullptr);
  }

  // plan + recover `volume` onto `n` nodes under work/<name>. Plans are
  // made from per-slot bytes, which an RDB and its native copy report alike.
  static std::string Recover(const std::string& volume, const std::string& name, int n) {
    const std::string plan = work_->File(name + ".plan.json");
    auto p = Shardkit({"plan", "--nodes", std::to_string(n), "--out", plan, volume});
    EXPECT_TRUE(p.ok());
    EXPECT_EQ(p->exit_code, 0) << p->output;
    auto r = Shardkit({"recover", "--plan", plan, "--out", work_->File(name), "--other-dbs",
                       "drop", "--json"});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 0) << r->output;
    return r.ok() ? r->output : "";
  }

  static TempDir* work_;
};

TempDir* RecoverNativeTest::work_ = nullptr;

TEST_F(RecoverNativeTest, DiscoverSeesTheNativeSnapshotWithItsSlotFigures) {
  auto d = Shardkit({"discover", "--json", work_->File("native-volume")});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->exit_code, 0) << d->output;
  auto j = nlohmann::json::parse(d->output);
  ASSERT_EQ(j["shards"].size(), 1u);
  EXPECT_EQ(j["shards"][0]["source"]["kind"], "native");
  const auto& src = j["volumes"][0]["sources"][0];
  EXPECT_EQ(src["kind"], "native");
  EXPECT_EQ(src["usable"], true);
  // The same key count as the RDB it was made from.
  auto r = Shardkit({"discover", "--json", work_->File("rdb-volume")});
  ASSERT_TRUE(r.ok());
  auto rj = nlohmann::json::parse(r->output);
  EXPECT_EQ(src["keys"], rj["volumes"][0]["sources"][0]["keys"]);
  EXPECT_EQ(src["keys_other_dbs"], rj["volumes"][0]["sources"][0]["keys_other_dbs"]);
}

TEST_F(RecoverNativeTest, SameEntriesPerNodeAsFromTheRdb) {
  Recover(work_->File("rdb-volume"), "from-rdb", 3);
  Recover(work_->File("native-volume"), "from-native", 3);
  // The two plans may cut slots at slightly different points (per-slot
  // bytes of an RDB and of native blocks differ a little), so compare each
  // native node with the RDB recovery's entries of exactly its slots.
  Entries from_rdb;
  for (int k = 0; k < 3; ++k) {
    Entries part = ReadEntries(work_->File("from-rdb/node-" + std::to_string(k) + "/dump.rdb"));
    from_rdb.insert(part.begin(), part.end());
  }
  ASSERT_GT(from_rdb.size(), 1000u);
  auto plan = nlohmann::json::parse(ReadFileOrDie(work_->File("from-native.plan.json")));
  size_t total = 0;
  for (int k = 0; k < 3; ++k) {
    std::vector<bool> mine(16384, false);
    for (const auto& r : plan["nodes"][k]["slots"]) {
      for (int s = r[0].get<int>(); s <= r[1].get<int>(); ++s) mine[s] = true;
    }
    Entries expected;
    for (const auto& [key, v] : from_rdb) {
      if (mine[formats::KeyHashSlot(key)]) expected.emplace(key, v);
    }
    const std::string node = work_->File("from-native/node-" + std::to_string(k) + "/dump.rdb");
    Entries got = ReadEntries(node);
    EXPECT_GT(got.size(), 0u);
    EXPECT_EQ(got.size(), expected.size()) << "node " << k;
    EXPECT_TRUE(got == expected) << "node " << k << " differs";
    total += got.size();
    auto check = RunRedisCheckRdb(node);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check->exit_code, 0) << check->output;
  }
  EXPECT_EQ(total, from_rdb.size());
}

TEST_F(RecoverNativeTest, ANodeWithAFifthOfTheSlotsReadsAtMostAQuarterOfTheFile) {
  const std::string plan = work_->File("fifth.plan.json");
  auto p = Shardkit({"plan", "--nodes", "5", "--out", plan, work_->File("native-volume")});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->exit_code, 0) << p->output;
  const uint64_t file_bytes = fs::file_size(work_->File("native-volume/dump.skn"));
  Entries all;
  for (int k = 0; k < 5; ++k) {
    auto r = Shardkit({"recover", "--plan", plan, "--out", work_->File("fifth"), "--node-index",
                       std::to_string(k), "--other-dbs", "drop", "--json"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->output;
    auto j = nlohmann::json::parse(r->output);
    const uint64_t read = j["source_bytes_read"].get<uint64_t>();
    EXPECT_GT(read, 0u);
    EXPECT_LE(read * 4, file_bytes) << "node " << k << " read " << read << " of " << file_bytes;
    Entries part = ReadEntries(work_->File("fifth/node-" + std::to_string(k) + "/dump.rdb"));
    for (auto& [key, v] : part) EXPECT_TRUE(all.emplace(key, v).second) << key;
  }
  // Together the five nodes hold every db-0 key of the one-process run.
  Recover(work_->File("native-volume"), "fifth-all", 5);
  Entries one;
  for (int k = 0; k < 5; ++k) {
    Entries part = ReadEntries(work_->File("fifth-all/node-" + std::to_string(k) + "/dump.rdb"));
    one.insert(part.begin(), part.end());
  }
  EXPECT_EQ(all.size(), one.size());
  EXPECT_TRUE(all == one);
}

TEST_F(RecoverNativeTest, FormatBothWritesANativeArchiveHoldingWhatTheRdbHolds) {
  const std::string plan = work_->File("both.plan.json");
  auto p = Shardkit({"plan", "--nodes", "2", "--out", plan, work_->File("rdb-volume")});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->exit_code, 0) << p->output;
  auto r = Shardkit({"recover", "--plan", plan, "--out", work_->File("both"), "--format", "both",
                     "--other-dbs", "drop", "--json"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->output;
  for (int k = 0; k < 2; ++k) {
    const std::string node = work_->File("both/node-" + std::to_string(k));
    // verify --deep decodes every record of the archive; the RDB beside it
    // verifies too, with the same key count.
    auto v = Shardkit({"verify", "--deep", "--json", node + "/dump.skn", node + "/dump.rdb"});
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->exit_code, 0) << v->output;
    std::map<std::string, nlohmann::json> by_format;
    std::istringstream lines(v->output);
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) by_format[j.value("format", "")] = j;
    }
    ASSERT_EQ(by_format.count("native"), 1u) << v->output;
    ASSERT_EQ(by_format.count("rdb"), 1u) << v->output;
    EXPECT_GT(by_format["native"].value("keys", 0), 0);
    EXPECT_EQ(by_format["native"].value("keys", 0), by_format["rdb"].value("keys", -1));
    EXPECT_EQ(by_format["native"]["types"], by_format["rdb"]["types"]);
    // convert checks every block's checksums while it reads.
    auto c = Shardkit({"convert", node + "/dump.skn", work_->File("both-" + std::to_string(k) +
                                                                  ".rdb")});
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->exit_code, 0) << c->output;
    Entries rdb_entries = ReadEntries(node + "/dump.rdb");
    EXPECT_GT(rdb_entries.size(), 0u);
    EXPECT_TRUE(ReadEntries(work_->File("both-" + std::to_string(k) + ".rdb")) == rdb_entries)
        << "node " << k;
  }
  // A rerun finds both nodes complete (the marker covers dump.skn too).
  auto again = Shardkit({"recover", "--plan", plan, "--out", work_->File("both"), "--format",
                         "both", "--other-dbs", "drop", "--json"});
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->exit_code, 0) << again->output;
  EXPECT_NE(again->output.find("already-complete"), std::string::npos) << again->output;
}

}  // namespace
}  // namespace shardkit::testing
