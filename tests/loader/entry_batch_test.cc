// EntryBatch::Take: entries come out equal to what the reader held, and the
// buffers a batch keeps stay proportional to what it holds (a large value
// must not make every later spare as large: that once exhausted a 2 GiB
// address-space limit in CrashConsistency.KillNineDuringRecover).
#include "loader/entry_batch.h"

#include <gtest/gtest.h>

#include <string>

namespace shardkit::loader {
namespace {

using formats::rdb::RdbEntry;

// Fills `e` the way the RDB reader does: assign into the existing buffers.
void Capture(RdbEntry& e, int i, size_t value_bytes) {
  e.key.assign("key:" + std::to_string(i));
  e.value.assign(value_bytes, static_cast<char>('a' + i % 26));
  e.value_bytes = value_bytes;
}

TEST(EntryBatchTest, TakenEntriesEqualWhatTheReaderHeld) {
  EntryBatch batch;
  RdbEntry reader;
  for (int round = 0; round < 2; ++round) {  // a fresh batch, then a recycled one
    batch.Reset();
    for (int i = 0; i < 50; ++i) {
      Capture(reader, i, static_cast<size_t>(i) * 37);
      batch.Take(reader);
    }
    ASSERT_EQ(batch.live().size(), 50u);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(batch.live()[i].key, "key:" + std::to_string(i));
      EXPECT_EQ(batch.live()[i].value,
                std::string(static_cast<size_t>(i) * 37, static_cast<char>('a' + i % 26)));
    }
  }
}

TEST(EntryBatchTest, OneLargeValueDoesNotInflateEveryLaterSpare) {
  EntryBatch batch;
  RdbEntry reader;
  Capture(reader, 0, 1u << 20);
  batch.Take(reader);
  size_t content = 1u << 20;
  for (int i = 1; i <= 500; ++i) {
    Capture(reader, i, 100);
    content += reader.key.size() + reader.value.size();
    batch.Take(reader);
  }
  // The large value's buffer, and one more that held it briefly (the
  // reader's, now a spare's), plus small buffers; never 500 MiB.
  EXPECT_LT(batch.CapacityBytes(), 2 * content + (64u << 10) * 2) << "content " << content;
  EXPECT_LE(reader.value.capacity(), EntryBatch::kMaxReserveBytes + 64);
}

// The pool keeps no spare buffer larger than kMaxSpareBytes and no more
// than its byte budget in all: recycling must not keep the largest value
// ever seen in every slot (peak RSS grew with the data: bench/RESULTS.md
// "Peak memory on mixed values").
TEST(BatchPoolTest, SparesAreTrimmedAndTheByteBudgetHolds) {
  BatchPool pool(100, 256u << 10);
  EntryBatch batch;
  RdbEntry reader;
  Capture(reader, 0, 1u << 20);
  batch.Take(reader);
  for (int i = 1; i < 20; ++i) {
    Capture(reader, i, 1000);
    batch.Take(reader);
  }
  ASSERT_GT(batch.CapacityBytes(), 1u << 20);
  pool.Put(std::move(batch));
  EXPECT_LE(pool.held_bytes(), 20 * BatchPool::kMaxSpareBytes + 20 * 64);
  EntryBatch again = pool.Take();
  EXPECT_EQ(pool.held_bytes(), 0u);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.entries.size(), 20u);  // the spares came back, their small buffers kept
  for (const RdbEntry& e : again.entries) {
    EXPECT_LE(e.value.capacity(), BatchPool::kMaxSpareBytes);
  }
  EXPECT_GE(again.entries[5].value.capacity(), 1000u);

  // Batches of 16 small spares each: the budget (256 KiB) holds a few, not 100.
  for (int b = 0; b < 100; ++b) {
    EntryBatch small;
    for (int i = 0; i < 16; ++i) {
      Capture(reader, i, 4000);
      small.Take(reader);
    }
    pool.Put(std::move(small));
    ASSERT_LE(pool.held_bytes(), 256u << 10);
  }
  EXPECT_GT(pool.held_bytes(), 128u << 10);
}

}  // namespace
}  // namespace shardkit::loader
