// NativeWriter -> NativeReader round trips in memory: every entry field comes
// back, blocks respect their slot ranges and size target, slot subsets read
// only their blocks, the slot table is exact, meta records keep their order
// and placement, and several threads can decode blocks at once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "formats/native/native_convert.h"
#include "formats/native/native_verify.h"
#include "tests/formats/native/native_test_util.h"

namespace shardkit::formats::native {
namespace {

using testing::BuildNative;
using testing::MakeEntries;
using testing::ReadBlocks;
using testing::ToMap;

NativeWriterOptions SmallBlocks() {
  NativeWriterOptions o;
  o.block_bytes = kMinBlockTargetBytes;
  return o;
}

TEST(NativeWriterReader, EveryEntryFieldRoundTrips) {
  const auto entries = MakeEntries(5000, 3, 1);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->stats.keys, 5000u);
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->key_count(), 5000u);
  EXPECT_EQ((*reader)->header().rdb.version, 11);
  EXPECT_EQ((*reader)->header().producer, "shardkit 0.1.0");
  auto read = ReadBlocks(**reader, (*reader)->KeyBlocks());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, ToMap(entries));
}

TEST(NativeWriterReader, DbNumbersBeyondTheFlatTableRoundTripInOrder) {
  const auto entries = MakeEntries(6000, 40, 10);  // dbs 0-39: flat table and map
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  auto read = ReadBlocks(**reader, (*reader)->KeyBlocks());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, ToMap(entries));
  // Finish flushes buckets in (db, range) order, so file order is db order.
  uint32_t previous_db = 0;
  for (const BlockInfo& b : (*reader)->blocks()) {
    if (b.kind != BlockKind::kKeys || b.key_count < 1) continue;
    EXPECT_GE(b.db, previous_db) << DescribeBlock(b);
    previous_db = b.db;
  }
  EXPECT_EQ(previous_db, 39u);
}

TEST(NativeWriterReader, BackgroundEncodingWritesTheSameBytes) {
  const auto entries = MakeEntries(20000, 3, 8);
  NativeWriterOptions inline_options = SmallBlocks();
  NativeWriterOptions background = SmallBlocks();
  background.background_encode = true;
  auto a = BuildNative(entries, inline_options);
  auto b = BuildNative(entries, background);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(b->stats.blocks, NativeWriter::kMaxQueuedBlocks * 10);
  EXPECT_EQ(a->stats.blocks, b->stats.blocks);
  EXPECT_EQ(a->stats.stored_bytes, b->stats.stored_bytes);
  EXPECT_TRUE(a->bytes == b->bytes) << "background encoding changed the file";
}

TEST(NativeWriterReader, AbandonedBackgroundWriterStopsCleanly) {
  StringSink sink("abandoned.skn");
  NativeWriterOptions o = SmallBlocks();
  o.background_encode = true;
  auto writer = NativeWriter::Create(&sink, {}, o);
  ASSERT_TRUE(writer.ok());
  for (const auto& e : MakeEntries(5000, 1, 9)) ASSERT_TRUE((*writer)->AddEntry(e).ok());
  writer->reset();  // no Finish: no trailer, so no reader accepts the bytes
  MemoryRandomAccessSource file(AsBytes(sink.data()), "abandoned.skn");
  EXPECT_TRUE(NativeReader::Open(&file).status().IsCorruption());
}

TEST(NativeWriterReader, BlocksHoldOneDbAndTightSlotRangesWithinTheTarget) {
  const auto entries = MakeEntries(20000, 2, 2);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  uint64_t lz4_blocks = 0;
  for (uint32_t n : (*reader)->KeyBlocks()) {
    const BlockInfo& b = (*reader)->blocks()[n];
    // 128 ranges of 128 slots: a block never crosses a range boundary.
    EXPECT_EQ(b.first_slot / 128, b.last_slot / 128) << DescribeBlock(b);
    // A block closes at the first entry that reaches the target.
    EXPECT_LT(b.raw_bytes, kMinBlockTargetBytes + 400u) << DescribeBlock(b);
    if (b.compression == Compression::kLz4) ++lz4_blocks;
    uint16_t lo = kSlotCount - 1, hi = 0;
    ASSERT_TRUE((*reader)->ForEachEntry(n, [&](const rdb::RdbEntry& e) {
                  EXPECT_EQ(e.db, b.db);
                  lo = std::min(lo, e.HashSlot());
                  hi = std::max(hi, e.HashSlot());
                  return Status();
                }).ok());
    EXPECT_EQ(lo, b.first_slot);
    EXPECT_EQ(hi, b.last_slot);
  }
  EXPECT_GT(lz4_blocks, 0u);
  // KeyBlocks() is ordered by db, then slot.
  const auto order = (*reader)->KeyBlocks();
  for (size_t i = 1; i < order.size(); ++i) {
    const BlockInfo& a = (*reader)->blocks()[order[i - 1]];
    const BlockInfo& b = (*reader)->blocks()[order[i]];
    EXPECT_TRUE(a.db < b.db || (a.db == b.db && a.first_slot <= b.first_slot));
  }
}

TEST(NativeWriterReader, BufferCapFlushesEarlyAndKeepsEveryEntry) {
  const auto entries = MakeEntries(8000, 1, 3);
  NativeWriterOptions o;
  o.block_bytes = 1 << 20;
  o.buffer_bytes_max = 64 << 10;  // far below 128 ranges x 1 MiB
  auto built = BuildNative(entries, o);
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  EXPECT_GT((*reader)->KeyBlocks().size(), 128u);
  auto read = ReadBlocks(**reader, (*reader)->KeyBlocks());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, ToMap(entries));
}

TEST(NativeWriterReader, SlotSubsetReadsOnlyItsBlocksAndExactlyItsKeys) {
  const auto entries = MakeEntries(30000, 1, 4);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  // One fifth of the slots, as a recovering node would own.
  const SlotSet slots = SlotRange(3277, 6553);
  NativeToRdbOptions options;
  options.slots = slots;
  StringSink rdb_out("subset.rdb");
  auto converted = NativeToRdb(**reader, &rdb_out, options);
  ASSERT_TRUE(converted.ok()) << converted.status().ToString();

  // RDB 11 has no KEY_META and keeps one of IDLE/FREQ: compare key, type,
  // expiry and value bytes.
  std::map<std::string, std::tuple<uint8_t, std::optional<int64_t>, std::string>> expected;
  for (const auto& e : entries) {
    if (slots.test(e.HashSlot())) expected[e.key] = {e.type, e.expire_ms, e.value};
  }
  EXPECT_EQ(converted->keys, expected.size());
  // Read the RDB back: exactly the subset's keys, values byte-identical.
  struct Collect : rdb::RdbVisitor {
    Status OnEntry(const rdb::RdbEntry& e) override {
      got.push_back(e);
      return Status();
    }
    std::vector<rdb::RdbEntry> got;
  } collect;
  MemoryChunkSource source(AsBytes(rdb_out.data()), 1 << 16, "subset.rdb");
  rdb::RdbReadOptions read_options;
  read_options.capture_values = true;
  ASSERT_TRUE(rdb::ReadRdb(&source, read_options, &collect).ok());
  std::map<std::string, std::tuple<uint8_t, std::optional<int64_t>, std::string>> got;
  for (const auto& e : collect.got) got[e.key] = {e.type, e.expire_ms, e.value};
  EXPECT_TRUE(got == expected) << got.size() << " keys read, " << expected.size() << " expected";
  // Bytes read: at most a quarter of the key blocks' bytes.
  const uint64_t all = (*reader)->StoredBytesOf((*reader)->KeyBlocks());
  EXPECT_LE(converted->stored_bytes_read * 4, all)
      << converted->stored_bytes_read << " of " << all << " bytes read";
}

TEST(NativeWriterReader, SlotStatsAreExactAndTheIndexEstimateKeepsTotals) {
  const auto entries = MakeEntries(10000, 2, 5);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  auto stats = (*reader)->ReadSlotStats();
  ASSERT_TRUE(stats.ok());
  std::vector<uint64_t> keys(kSlotCount, 0), bytes(kSlotCount, 0);
  for (const auto& e : entries) {
    std::string encoded;
    ++keys[e.HashSlot()];
    bytes[e.HashSlot()] += AppendEntry(&encoded, e);
  }
  EXPECT_EQ(stats->keys, keys);
  EXPECT_EQ(stats->bytes, bytes);
  const SlotStats estimate = (*reader)->EstimateSlotStatsFromIndex();
  uint64_t estimate_keys = 0, estimate_bytes = 0, total_bytes = 0;
  for (int s = 0; s < kSlotCount; ++s) {
    estimate_keys += estimate.keys[s];
    estimate_bytes += estimate.bytes[s];
    total_bytes += bytes[s];
  }
  EXPECT_EQ(estimate_keys, 10000u);
  EXPECT_EQ(estimate_bytes, total_bytes);
}

TEST(NativeWriterReader, MetaRecordsKeepOrderAndPlacement) {
  StringSink sink("meta.skn");
  FileHeader header;
  header.rdb.version = 10;
  header.aux = {{"redis-ver", "7.0.15"}};
  auto writer = NativeWriter::Create(&sink, header, {});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AddAux("redis-bits", "64").ok());
  ASSERT_TRUE((*writer)->AddFunction("#!lua name=lib1\nredis.register_function('f', function() return 1 end)").ok());
  ASSERT_TRUE((*writer)->AddModuleAux(std::string("\x81\x02raw\0", 6)).ok());
  ASSERT_TRUE((*writer)->AddEntry(testing::StringEntry(0, "k", "v")).ok());
  ASSERT_TRUE((*writer)->AddModuleAux("after").ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_FALSE((*writer)->AddEntry(testing::StringEntry(0, "k2", "v")).ok());

  MemoryRandomAccessSource file(AsBytes(sink.data()), "meta.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  // The header is written at the first block: both AUX fields are in it.
  std::vector<std::pair<std::string, std::string>> aux = {{"redis-ver", "7.0.15"},
                                                          {"redis-bits", "64"}};
  EXPECT_EQ((*reader)->header().aux, aux);
  auto meta = (*reader)->ReadMeta();
  ASSERT_TRUE(meta.ok());
  ASSERT_EQ(meta->size(), 3u);
  EXPECT_EQ((*meta)[0].kind, MetaKind::kFunction);
  EXPECT_FALSE((*meta)[0].after_keys);
  EXPECT_EQ((*meta)[1].a, std::string("\x81\x02raw\0", 6));
  EXPECT_EQ((*meta)[2].a, "after");
  EXPECT_TRUE((*meta)[2].after_keys);
}

TEST(NativeWriterReader, EmptySnapshotHasOnlyTheSlotStatsBlock) {
  auto built = BuildNative({}, {});
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "empty.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->blocks().size(), 1u);
  EXPECT_EQ((*reader)->key_count(), 0u);
  MemoryChunkSource source(AsBytes(built->bytes), 7, "empty.skn");
  NativeVerifyReport report = VerifyNative(&source, {});
  EXPECT_TRUE(report.ok) << report.error.ToString();
}

TEST(NativeWriterReader, SeveralThreadsDecodeDifferentBlocks) {
  const auto entries = MakeEntries(20000, 1, 6);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  MemoryRandomAccessSource file(AsBytes(built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  const auto blocks = (*reader)->KeyBlocks();
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> keys{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < blocks.size(); i = next++) {
        Status s = (*reader)->ForEachEntry(blocks[i], [&](const rdb::RdbEntry&) {
          ++keys;
          return Status();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(keys.load(), 20000u);
}

TEST(NativeWriterReader, RefusesBadOptions) {
  StringSink sink;
  NativeWriterOptions o;
  o.block_bytes = 100;
  EXPECT_EQ(NativeWriter::Create(&sink, {}, o).status().code(), StatusCode::kInvalidArgument);
  o = {};
  o.slot_ranges = 100;
  EXPECT_EQ(NativeWriter::Create(&sink, {}, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(NativeWriterReader, IsNativeFileLooksAtTheMagic) {
  auto built = BuildNative({}, {});
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(IsNativeFile(AsBytes(built->bytes)));
  EXPECT_FALSE(IsNativeFile(AsBytes(std::string_view("REDIS0011"))));
  EXPECT_FALSE(IsNativeFile(AsBytes(std::string_view("SKNAT"))));
}

TEST(NativeWriterReader, VerifyCountsEverythingOnASoundFile) {
  const auto entries = MakeEntries(3000, 2, 7);
  auto built = BuildNative(entries, SmallBlocks());
  ASSERT_TRUE(built.ok());
  for (size_t chunk : {size_t{1} << 20, size_t{333}}) {
    MemoryChunkSource source(AsBytes(built->bytes), chunk, "test.skn");
    NativeVerifyReport report = VerifyNative(&source, {.deep = true});
    ASSERT_TRUE(report.ok) << report.error.ToString();
    EXPECT_EQ(report.keys, 3000u);
    EXPECT_EQ(report.blocks, built->stats.blocks);
    EXPECT_EQ(report.key_blocks, built->stats.key_blocks);
    EXPECT_TRUE(report.damaged.empty());
  }
}

namespace lz4_policy {

// String entries in db 0, slots spread: values of random bytes (LZ4 cannot
// shrink them) or of a repeated word (LZ4 shrinks them many times).
std::vector<rdb::RdbEntry> StringEntries(size_t n, bool random, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<rdb::RdbEntry> out(n);
  for (size_t i = 0; i < n; ++i) {
    rdb::RdbEntry& e = out[i];
    e.type = 0;
    e.key = "k:" + std::to_string(seed) + ":" + std::to_string(i);
    std::string value(200, 'x');
    for (size_t j = 0; j < value.size(); ++j) {
      value[j] = random ? static_cast<char>(rng()) : "redis"[j % 5];
    }
    // An RDB string value: 6-bit length prefix would not hold 200; use the
    // 14-bit form (0x40 | high bits, low byte).
    e.value = std::string{static_cast<char>(0x40 | (value.size() >> 8)),
                          static_cast<char>(value.size() & 0xff)} +
              value;
  }
  return out;
}

struct BlockMix {
  uint64_t lz4 = 0, raw = 0;
};

BlockMix Mix(const testing::Built& built) {
  MemoryRandomAccessSource file(AsBytes(built.bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  EXPECT_TRUE(reader.ok());
  BlockMix mix;
  if (!reader.ok()) return mix;
  for (uint32_t n : (*reader)->KeyBlocks()) {
    ((*reader)->blocks()[n].compression == Compression::kLz4 ? mix.lz4 : mix.raw) += 1;
  }
  return mix;
}

}  // namespace lz4_policy

// Incompressible values are stored raw (LZ4 is then skipped for the next
// blocks, which must not change what is stored); compressible ones are LZ4;
// the same bytes inline and in the background; every entry reads back.
TEST(NativeWriterReader, Lz4IsKeptOnlyWhereItSavesAndSkippedAfterItDidNot) {
  using namespace lz4_policy;
  NativeWriterOptions o = SmallBlocks();
  o.slot_ranges = 1;  // one bucket: blocks in entry order
  const auto random_values = StringEntries(4000, true, 1);
  const auto words = StringEntries(4000, false, 2);
  auto all_random = BuildNative(random_values, o);
  ASSERT_TRUE(all_random.ok());
  EXPECT_EQ(Mix(*all_random).lz4, 0u);
  EXPECT_GT(Mix(*all_random).raw, 10u);
  auto all_words = BuildNative(words, o);
  ASSERT_TRUE(all_words.ok());
  EXPECT_EQ(Mix(*all_words).raw, 0u);
  EXPECT_GT(Mix(*all_words).lz4, 3u);

  // Random values first, then words: LZ4 comes back within the skip window
  // after the values turn compressible.
  std::vector<rdb::RdbEntry> mixed = random_values;
  mixed.insert(mixed.end(), words.begin(), words.end());
  auto inline_built = BuildNative(mixed, o);
  o.background_encode = true;
  auto background_built = BuildNative(mixed, o);
  ASSERT_TRUE(inline_built.ok() && background_built.ok());
  EXPECT_TRUE(inline_built->bytes == background_built->bytes);
  const BlockMix m = Mix(*inline_built);
  EXPECT_GT(m.lz4, 0u) << "LZ4 never tried again after the incompressible blocks";
  EXPECT_LE(m.raw, Mix(*all_random).raw + NativeWriter::kLz4SkipBlocks + 1);
  MemoryRandomAccessSource file(AsBytes(inline_built->bytes), "test.skn");
  auto reader = NativeReader::Open(&file);
  ASSERT_TRUE(reader.ok());
  auto read = ReadBlocks(**reader, (*reader)->KeyBlocks());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, ToMap(mixed));
}

}  // namespace
}  // namespace shardkit::formats::native
