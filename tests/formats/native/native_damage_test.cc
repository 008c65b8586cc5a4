// Damaged native files: a corrupt block is named (number, offset, slot
// range) by both the reader and verify while every other block still reads;
// a corrupt index, a bad trailer, truncation at any length, lengths far
// beyond the file and byte flips anywhere give clear kCorruption errors,
// never a crash or a huge allocation.
#include <gtest/gtest.h>

#include "formats/native/native_block.h"
#include "formats/native/native_verify.h"
#include "tests/formats/native/native_test_util.h"

namespace shardkit::formats::native {
namespace {

using testing::BuildNative;
using testing::MakeEntries;

class NativeDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    entries_ = MakeEntries(4000, 1, 11);
    NativeWriterOptions o;
    o.block_bytes = kMinBlockTargetBytes;
    auto built = BuildNative(entries_, o);
    ASSERT_TRUE(built.ok());
    bytes_ = built->bytes;
    MemoryRandomAccessSource file(AsBytes(bytes_), "test.skn");
    auto reader = NativeReader::Open(&file);
    ASSERT_TRUE(reader.ok());
    blocks_ = (*reader)->blocks();
    index_offset_ = bytes_.size() - kTrailerBytes - (*reader)->index_bytes();
  }

  Result<std::unique_ptr<NativeReader>> Open(const std::string& bytes) {
    file_ = std::make_unique<MemoryRandomAccessSource>(AsBytes(bytes), "test.skn");
    return NativeReader::Open(file_.get());
  }
  static NativeVerifyReport Verify(const std::string& bytes) {
    MemoryChunkSource source(AsBytes(bytes), 4096, "test.skn");
    return VerifyNative(&source, {});
  }

  std::vector<rdb::RdbEntry> entries_;
  std::string bytes_;
  std::vector<BlockInfo> blocks_;
  uint64_t index_offset_ = 0;
  std::unique_ptr<MemoryRandomAccessSource> file_;
};

TEST_F(NativeDamage, CorruptBlockIsNamedAndOtherBlocksStillRead) {
  ASSERT_GT(blocks_.size(), 10u);
  const BlockInfo& victim = blocks_[5];
  std::string damaged = bytes_;
  damaged[victim.offset + kBlockHeaderBytes + victim.stored_bytes / 2] ^= 0x40;
  const std::string name = "block 5 at offset 0x";
  const std::string slots = "slots " + std::to_string(victim.first_slot) + "-" +
                            std::to_string(victim.last_slot);

  auto reader = Open(damaged);
  ASSERT_TRUE(reader.ok()) << "the index is intact: " << reader.status().ToString();
  std::string raw;
  Status bad = (*reader)->ReadBlock(5, &raw);
  EXPECT_TRUE(bad.IsCorruption());
  EXPECT_NE(bad.message().find(name), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find(slots), std::string::npos) << bad.ToString();
  EXPECT_NE(bad.message().find("stored checksum mismatch"), std::string::npos) << bad.ToString();
  uint64_t keys = 0;
  for (uint32_t n : (*reader)->KeyBlocks()) {
    if (n == 5) continue;
    ASSERT_TRUE((*reader)->ForEachEntry(n, [&](const rdb::RdbEntry&) {
                  ++keys;
                  return Status();
                }).ok());
  }
  EXPECT_EQ(keys, 4000u - victim.key_count);

  NativeVerifyReport report = Verify(damaged);
  EXPECT_FALSE(report.ok);
  ASSERT_EQ(report.damaged.size(), 1u);
  EXPECT_EQ(report.damaged[0].block.number, 5u);
  EXPECT_EQ(report.error_block, 5u);
  EXPECT_EQ(report.error_offset, victim.offset);
  EXPECT_NE(report.error.message().find(name), std::string::npos) << report.error.ToString();
  EXPECT_EQ(report.keys, 4000u - victim.key_count);
}

TEST_F(NativeDamage, VerifyNamesEveryDamagedBlock) {
  std::string damaged = bytes_;
  for (uint32_t n : {2u, 7u}) {
    damaged[blocks_[n].offset + kBlockHeaderBytes + 1] ^= 0x01;
  }
  NativeVerifyReport report = Verify(damaged);
  ASSERT_EQ(report.damaged.size(), 2u);
  EXPECT_EQ(report.damaged[0].block.number, 2u);
  EXPECT_EQ(report.damaged[1].block.number, 7u);
  EXPECT_EQ(report.error_block, 2u);
}

TEST_F(NativeDamage, CorruptIndexIsAClearError) {
  std::string damaged = bytes_;
  damaged[index_offset_ + kIndexHeaderBytes + 3 * kIndexRecordBytes + 20] ^= 0x01;
  auto reader = Open(damaged);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsCorruption());
  EXPECT_NE(reader.status().message().find("index at offset " + std::to_string(index_offset_) +
                                           ": checksum mismatch"),
            std::string::npos)
      << reader.status().ToString();
  NativeVerifyReport report = Verify(damaged);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.error.message().find("index record 3 does not match block 3"),
            std::string::npos)
      << report.error.ToString();
}

TEST_F(NativeDamage, BadTrailerIsAClearError) {
  std::string damaged = bytes_;
  damaged[damaged.size() - 1] = 'X';
  auto reader = Open(damaged);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("trailer magic \"SKNATEND\" expected"),
            std::string::npos)
      << reader.status().ToString();

  damaged = bytes_;
  damaged[damaged.size() - kTrailerBytes] ^= 0x01;  // index offset
  reader = Open(damaged);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("trailer checksum mismatch"), std::string::npos)
      << reader.status().ToString();
  EXPECT_FALSE(Verify(damaged).ok);
}

TEST_F(NativeDamage, TruncationAtAnyLengthIsCorruption) {
  const size_t size = bytes_.size();
  std::vector<size_t> lengths;
  for (size_t n = 0; n < size; n += (n < 200 || n > size - 200) ? 1 : 499) lengths.push_back(n);
  for (size_t n : lengths) {
    const std::string cut = bytes_.substr(0, n);
    auto reader = Open(cut);
    ASSERT_FALSE(reader.ok()) << n;
    EXPECT_TRUE(reader.status().IsCorruption()) << n << ": " << reader.status().ToString();
    NativeVerifyReport report = Verify(cut);
    ASSERT_FALSE(report.ok) << n;
    EXPECT_TRUE(report.error.IsCorruption()) << n << ": " << report.error.ToString();
  }
}

TEST_F(NativeDamage, HugeStoredLengthInABlockHeaderIsRefusedBeforeAllocating) {
  std::string damaged = bytes_;
  BlockDescriptor d = blocks_[0];
  d.stored_bytes = 0xFFFFFF00u;
  d.compression = Compression::kNone;
  d.raw_bytes = d.stored_bytes;
  std::string header;
  AppendBlockHeader(&header, d);  // a consistent header checksum
  damaged.replace(blocks_[0].offset, kBlockHeaderBytes, header);
  NativeVerifyReport report = Verify(damaged);
  ASSERT_FALSE(report.ok);
  EXPECT_NE(report.error.message().find("exceeds the cap"), std::string::npos)
      << report.error.ToString();
  EXPECT_EQ(report.error_block, 0u);
}

TEST_F(NativeDamage, HugeHeaderBodyLengthIsRefused) {
  std::string damaged = bytes_;
  damaged[12] = '\xff';
  damaged[13] = '\xff';
  damaged[14] = '\xff';
  auto reader = Open(damaged);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("header body length"), std::string::npos)
      << reader.status().ToString();
  EXPECT_FALSE(Verify(damaged).ok);
}

TEST_F(NativeDamage, NewerFormatVersionIsNotSupported) {
  std::string damaged = bytes_;
  damaged[8] = 2;
  auto reader = Open(damaged);
  EXPECT_EQ(reader.status().code(), StatusCode::kNotSupported) << reader.status().ToString();
}

// Every single-byte flip: either the whole file still reads identically
// (impossible here, as every byte is covered by a checksum) or the reader or
// the block read fails with kCorruption. Verify must fail too.
TEST(NativeDamageSmall, EveryByteFlipIsDetected) {
  const auto entries = MakeEntries(15, 1, 12);
  NativeWriterOptions o;
  o.block_bytes = kMinBlockTargetBytes;
  auto built = BuildNative(entries, o);
  ASSERT_TRUE(built.ok());
  for (size_t i = 0; i < built->bytes.size(); ++i) {
    std::string damaged = built->bytes;
    damaged[i] ^= 0x5a;
    MemoryRandomAccessSource file(AsBytes(damaged), "flip.skn");
    auto reader = NativeReader::Open(&file);
    bool failed = !reader.ok();
    if (!failed) {
      std::string raw;
      for (const BlockInfo& b : (*reader)->blocks()) {
        Status s = (*reader)->ReadBlock(b.number, &raw);
        if (!s.ok()) {
          EXPECT_TRUE(s.IsCorruption()) << i << ": " << s.ToString();
          failed = true;
        }
      }
    } else {
      EXPECT_TRUE(reader.status().IsCorruption() || reader.status().IsNotSupported())
          << i << ": " << reader.status().ToString();
    }
    EXPECT_TRUE(failed) << "flip at offset " << i << " went unnoticed by the reader";
    MemoryChunkSource source(AsBytes(damaged), 64, "flip.skn");
    EXPECT_FALSE(VerifyNative(&source, {}).ok) << "flip at offset " << i;
  }
}

}  // namespace
}  // namespace shardkit::formats::native
