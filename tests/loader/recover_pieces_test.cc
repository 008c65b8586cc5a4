// Large values read, routed and written in pieces
// (RecoverOptions::value_piece_bytes): a real redis-server's RDB holding a
// 5 MB string and 200k-element list, hash, set and zset is recovered onto
// two nodes once with every value whole and once in 256 KiB pieces. The
// node files must be byte-identical, and redis-servers started on them must
// hold every db-0 key of the source with the same DEBUG DIGEST-VALUE and
// PEXPIRETIME. A plan that also needs an older output version gathers the
// pieces of values it must convert.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "loader/discovery.h"
#include "loader/recover.h"
#include "loader/recovery_plan.h"
#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class RecoverPiecesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    work_ = new TempDir("shardkit-pieces");
    auto server = RedisServer::Start(RedisServerOptions());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    DatasetOptions data;
    data.keys = 1000;
    data.large_values = true;
    ASSERT_TRUE(FillDataset((*server)->client(), data).ok());
    auto snap = KeyspaceSnapshot::Capture((*server)->client());
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    source_ = new KeyspaceSnapshot(std::move(*snap));
    ASSERT_TRUE((*server)->Save().ok());
    fs::create_directories(work_->File("volume"));
    fs::copy((*server)->rdb_path(), work_->File("volume/dump.rdb"));
  }
  static void TearDownTestSuite() {
    delete source_;
    source_ = nullptr;
    delete work_;
    work_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_NE(work_, nullptr);
    ASSERT_NE(source_, nullptr);
  }

  static Result<loader::RecoveryPlan> Plan(int nodes) {
    const int64_t now = NowMs();
    loader::DiscoverOptions d;
    d.now_ms = now;
    SK_ASSIGN_OR_RETURN(loader::Discovery discovery,
                        loader::Discover({work_->File("volume")}, d));
    loader::PlanOptions p;
    p.node_count = nodes;
    return loader::BuildRecoveryPlan(discovery, p, now);
  }

  static Result<loader::RecoverReport> Recover(const loader::RecoveryPlan& plan,
                                               const std::string& out, size_t piece_bytes,
                                               int rdb_version = 0) {
    loader::RecoverOptions o;
    o.out_dir = work_->File(out);
    o.value_piece_bytes = piece_bytes;
    o.other_db_policy = loader::OtherDbPolicy::kDrop;  // the dataset fills dbs 0-15
    o.rdb_version = rdb_version;
    return loader::Recover(plan, o);
  }

  // db 0 of every node's redis-server, merged.
  // `compare_stream_info` false for outputs older than the source, where
  // streams lose the metadata the older type lacks (RdbWriter's losses).
  static void ExpectSameDb0AsSource(const std::string& out, int nodes,
                                    bool compare_stream_info = true) {
    std::map<std::string, KeyState> merged;
    for (int k = 0; k < nodes; ++k) {
      RedisServerOptions opt;
      opt.dir = work_->File(out + "/node-" + std::to_string(k));
      auto server = RedisServer::Start(opt);
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      auto snap = KeyspaceSnapshot::Capture((*server)->client());
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      EXPECT_EQ(snap->dbs.size(), snap->dbs.count(0)) << "node " << k << " holds other dbs";
      for (auto& [key, state] : snap->dbs[0]) {
        EXPECT_TRUE(merged.emplace(key, state).second) << "key on two nodes: " << key;
      }
      ASSERT_TRUE((*server)->Shutdown(/*save=*/false).ok());
    }
    KeyspaceSnapshot expected, actual;
    expected.dbs[0] = source_->dbs.at(0);
    actual.dbs[0] = std::move(merged);
    EXPECT_EQ(expected.Diff(actual, 20, compare_stream_info), "");
    EXPECT_GT(expected.KeyCount(), 5u);
  }

  static TempDir* work_;
  static KeyspaceSnapshot* source_;
};

TempDir* RecoverPiecesTest::work_ = nullptr;
KeyspaceSnapshot* RecoverPiecesTest::source_ = nullptr;

TEST_F(RecoverPiecesTest, PiecesGiveTheSameBytesAsWholeValuesAndEveryDigest) {
  auto plan = Plan(2);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto whole = Recover(*plan, "whole", 0);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto pieces = Recover(*plan, "pieces", 256 << 10);
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  EXPECT_EQ(pieces->keys_written, whole->keys_written);
  EXPECT_GT(pieces->keys_written, 5u);
  // large:string, :list, :hash, :set and :zset came in pieces; nothing did
  // when values are held whole.
  EXPECT_GE(pieces->values_in_pieces, 5u);
  EXPECT_EQ(whole->values_in_pieces, 0u);
  for (int k = 0; k < 2; ++k) {
    const std::string name = "/node-" + std::to_string(k) + "/dump.rdb";
    const std::string a = FileBytes(work_->File("whole" + name));
    const std::string b = FileBytes(work_->File("pieces" + name));
    EXPECT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "node " << k << ": " << a.size() << " vs " << b.size() << " bytes";
  }
  ExpectSameDb0AsSource("pieces", 2);
}

// Redis 7.0 writes RDB 10; an output of RDB 9 must convert listpack-encoded
// values (those stay small) and can stream the rest.
TEST_F(RecoverPiecesTest, AnOlderOutputVersionConvertsWhatItMustAndStreamsTheRest) {
  auto plan = Plan(2);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto whole = Recover(*plan, "whole-v9", 0, 9);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto pieces = Recover(*plan, "pieces-v9", 64 << 10, 9);
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  for (int k = 0; k < 2; ++k) {
    const std::string name = "/node-" + std::to_string(k) + "/dump.rdb";
    EXPECT_TRUE(FileBytes(work_->File("whole-v9" + name)) ==
                FileBytes(work_->File("pieces-v9" + name)))
        << "node " << k;
  }
  ExpectSameDb0AsSource("pieces-v9", 2, /*compare_stream_info=*/false);
  // The quicklist (type 18) is gathered and converted to a plain list; the
  // string, hash, set and zset still come in pieces.
  EXPECT_GE(pieces->values_in_pieces, 4u);
}

// The point of pieces: `shardkit recover` of a source holding one 256 MiB
// string keeps its peak memory far below the value's size (whole, the value
// alone would take 256 MiB).
TEST(RecoverPiecesCliTest, PeakMemoryStaysFarBelowALargeValue) {
  if (testing::kUnderAsan) {
    GTEST_SKIP() << "ASan's shadow memory and quarantine make RSS meaningless here";
  }
  SHARDKIT_REQUIRE_REDIS_SERVER();
  TempDir work("shardkit-pieces-rss");
  auto server = RedisServer::Start(RedisServerOptions());
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  constexpr size_t kChunk = 1 << 20, kChunks = 256;
  std::string chunk(kChunk, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t c = 0; c < kChunks; ++c) {  // random bytes: LZF cannot shrink them
    for (size_t i = 0; i < kChunk; i += 8) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::memcpy(&chunk[i], &x, 8);
    }
    ASSERT_TRUE((*server)->client().Append({"APPEND", "big", chunk}).ok());
    if (c % 16 == 15) {
      ASSERT_TRUE((*server)->client().DrainReplies(16).ok());
    }
  }
  ASSERT_TRUE((*server)->client().Command({"SET", "small", "v"}).ok());
  auto digest = (*server)->client().Command({"DEBUG", "DIGEST-VALUE", "big"});
  ASSERT_TRUE(digest.ok());
  ASSERT_TRUE((*server)->Save().ok());
  fs::create_directories(work.File("volume"));
  fs::copy((*server)->rdb_path(), work.File("volume/dump.rdb"));
  ASSERT_TRUE((*server)->Shutdown(/*save=*/false).ok());

  auto plan = RunProcess({ShardkitBinary(), "plan", "--nodes", "1", "--out",
                          work.File("plan.json"), work.File("volume")});
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->exit_code, 0) << plan->output;
  auto rec = RunProcess({ShardkitBinary(), "recover", "--plan", work.File("plan.json"), "--out",
                         work.File("out"), "--json"});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->exit_code, 0) << rec->output;
  const auto report = nlohmann::json::parse(rec->output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(report.is_discarded()) << rec->output;
  EXPECT_EQ(report.value("values_in_pieces", -1), 1) << rec->output;
  EXPECT_LT(rec->max_rss_kib, 160 * 1024) << "peak RSS " << rec->max_rss_kib / 1024 << " MiB";

  RedisServerOptions opt;
  opt.dir = work.File("out/node-0");
  auto loaded = RedisServer::Start(opt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto again = (*loaded)->client().Command({"DEBUG", "DIGEST-VALUE", "big"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToString(), digest->ToString());
  auto len = (*loaded)->client().Command({"STRLEN", "big"});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, static_cast<int64_t>(kChunk * kChunks));
}

}  // namespace
}  // namespace shardkit::testing
