// SpillSegment: batches parked by a node writer come back exactly, in order,
// and the file never outlives the segment.
#include "loader/spill_segment.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace shardkit::loader {
namespace {

namespace fs = std::filesystem;
using formats::rdb::RdbEntry;

RdbEntry MakeEntry(int i, size_t value_bytes) {
  RdbEntry e;
  e.db = static_cast<uint64_t>(i % 3);
  e.key = "key:" + std::to_string(i) + std::string(1, '\0') + "bin";
  e.type = static_cast<uint8_t>(i % 20);
  if (i % 2) e.expire_ms = 4102444800000 + i;
  if (i % 3 == 1) e.lru_idle_s = static_cast<uint64_t>(i) * 7;
  if (i % 5 == 2) e.lfu_freq = static_cast<uint8_t>(i);
  if (i % 7 == 3) e.key_meta = "meta" + std::to_string(i);
  if (i % 11 == 4) e.module_name = "mod/" + std::to_string(i);
  // Every part of a value read in pieces (recover_pieces_test covers them
  // end to end) must come back as it was parked.
  e.part = static_cast<formats::rdb::ValuePart>(i % 4);
  e.value.resize(value_bytes);
  for (size_t k = 0; k < value_bytes; ++k) e.value[k] = static_cast<char>((k * 31 + i) & 0xff);
  e.value_bytes = e.value.size();
  return e;
}

void ExpectSameEntry(const RdbEntry& a, const RdbEntry& b) {
  EXPECT_EQ(a.db, b.db);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.expire_ms, b.expire_ms);
  EXPECT_EQ(a.lru_idle_s, b.lru_idle_s);
  EXPECT_EQ(a.lfu_freq, b.lfu_freq);
  EXPECT_EQ(a.key_meta, b.key_meta);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.module_name, b.module_name);
  EXPECT_EQ(a.part, b.part);
}

TEST(SpillSegmentTest, ReplaysEveryBatchExactlyAndInOrderThenRemovesTheFile) {
  shardkit::testing::TempDir dir("shardkit-spill");
  const std::string path = dir.File(".spill-1");
  auto seg = SpillSegment::Create(path, storage::IoOptions());
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  std::vector<EntryBatch> sent;
  int next = 0;
  for (int b = 0; b < 6; ++b) {
    EntryBatch batch;
    batch.magic = b == 3 ? formats::rdb::Magic::kValkey : formats::rdb::Magic::kRedis;
    // Batch 2 is empty; batch 4 holds one 3 MiB value (past the 1 MiB buffer).
    const int entries = b == 2 ? 0 : b == 4 ? 1 : 50 + b;
    for (int i = 0; i < entries; ++i, ++next) {
      batch.Add(MakeEntry(next, b == 4 ? (3u << 20) : static_cast<size_t>(next % 300)));
    }
    if (b % 2 == 1) {
      batch.commands.push_back({0, {"SET", "k" + std::to_string(b), std::string(1, '\0')}});
      batch.commands.push_back({2, {"DEL", ""}});
    }
    ASSERT_TRUE((*seg)->Append(batch).ok());
    sent.push_back(std::move(batch));
  }
  EXPECT_EQ((*seg)->batches(), 6u);
  EXPECT_GT((*seg)->bytes(), 3u << 20);
  size_t got = 0;
  Status s = (*seg)->Replay([&](const EntryBatch& batch) {
    const EntryBatch& want = sent.at(got++);
    EXPECT_EQ(batch.magic, want.magic);
    EXPECT_EQ(batch.used, want.used);
    for (size_t i = 0; i < std::min(batch.used, want.used); ++i) {
      ExpectSameEntry(batch.entries[i], want.entries[i]);
    }
    EXPECT_EQ(batch.commands.size(), want.commands.size());
    for (size_t i = 0; i < std::min(batch.commands.size(), want.commands.size()); ++i) {
      EXPECT_EQ(batch.commands[i].db, want.commands[i].db);
      EXPECT_EQ(batch.commands[i].args, want.commands[i].args);
    }
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(got, sent.size());
  EXPECT_FALSE(fs::exists(path)) << "replayed segment left behind";
  EXPECT_FALSE((*seg)->Append(sent[0]).ok()) << "append after replay must fail";
}

TEST(SpillSegmentTest, AReplayErrorStopsAndIsReturned) {
  shardkit::testing::TempDir dir("shardkit-spill");
  auto seg = SpillSegment::Create(dir.File(".spill-2"), storage::IoOptions());
  ASSERT_TRUE(seg.ok());
  EntryBatch batch;
  batch.Add(MakeEntry(1, 10));
  ASSERT_TRUE((*seg)->Append(batch).ok());
  ASSERT_TRUE((*seg)->Append(batch).ok());
  int calls = 0;
  Status s = (*seg)->Replay([&](const EntryBatch&) {
    ++calls;
    return Status::IoError("disk full downstream");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.ToString().find("disk full downstream") == std::string::npos, false) << s.ToString();
}

TEST(SpillSegmentTest, FileIsRemovedWhenTheSegmentDiesUnreplayed) {
  shardkit::testing::TempDir dir("shardkit-spill");
  const std::string path = dir.File(".spill-3");
  {
    auto seg = SpillSegment::Create(path, storage::IoOptions());
    ASSERT_TRUE(seg.ok());
    EntryBatch batch;
    batch.Add(MakeEntry(7, 2 << 20));
    ASSERT_TRUE((*seg)->Append(batch).ok());
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(SpillSegmentTest, CreateInAMissingDirectoryNamesThePath) {
  auto seg = SpillSegment::Create("/nonexistent-shardkit-dir/.spill-0", storage::IoOptions());
  ASSERT_FALSE(seg.ok());
  EXPECT_NE(seg.status().ToString().find("/nonexistent-shardkit-dir/.spill-0"), std::string::npos)
      << seg.status().ToString();
}

}  // namespace
}  // namespace shardkit::loader
