#include "formats/native/native_reader.h"

#include <algorithm>
#include <cstring>

#include "formats/native/native_block.h"

namespace shardkit::formats::native {

Result<std::unique_ptr<NativeReader>> NativeReader::Open(const RandomAccessSource* file) {
  std::unique_ptr<NativeReader> reader(new NativeReader(file));
  const uint64_t minimum = kFileHeaderFixedBytes + kFileHeaderChecksumBytes + kIndexHeaderBytes +
                           kTrailerBytes;
  if (file->size() < minimum) {
    return reader->Corrupt("file of " + std::to_string(file->size()) +
                           " bytes is shorter than the smallest native snapshot (" +
                           std::to_string(minimum) + " bytes): truncated or not native");
  }
  SK_RETURN_IF_ERROR(reader->LoadHeader());
  SK_RETURN_IF_ERROR(reader->LoadTrailerAndIndex());
  SK_RETURN_IF_ERROR(reader->CheckLayout());
  return reader;
}

Status NativeReader::Corrupt(const std::string& what) const {
  return Status::Corruption(file_->name() + ": " + what);
}

Status NativeReader::LoadHeader() {
  std::byte fixed[kFileHeaderFixedBytes];
  SK_RETURN_IF_ERROR(file_->ReadAt(0, fixed));
  SK_ASSIGN_OR_RETURN(uint32_t body,
                      ParseFileHeaderPrefix(fixed, file_->size() - kTrailerBytes, file_->name()));
  header_bytes_ = kFileHeaderFixedBytes + uint64_t{body} + kFileHeaderChecksumBytes;
  std::vector<std::byte> whole(header_bytes_);
  SK_RETURN_IF_ERROR(file_->ReadAt(0, whole));
  SK_ASSIGN_OR_RETURN(header_, ParseFileHeader(whole, file_->name()));
  return Status();
}

Status NativeReader::LoadTrailerAndIndex() {
  std::byte tail[kTrailerBytes];
  SK_RETURN_IF_ERROR(file_->ReadAt(file_->size() - kTrailerBytes, tail));
  SK_ASSIGN_OR_RETURN(trailer_, ParseTrailer(tail, file_->size(), file_->name()));
  if (trailer_.index_offset < header_bytes_) {
    return Corrupt("trailer places the index at offset " + std::to_string(trailer_.index_offset) +
                   ", inside the header (which ends at " + std::to_string(header_bytes_) + ")");
  }
  // index_bytes <= file size (ParseTrailer), so this allocation is bounded.
  std::vector<std::byte> index(trailer_.index_bytes);
  SK_RETURN_IF_ERROR(file_->ReadAt(trailer_.index_offset, index));
  const uint64_t computed = Xxh3(index);
  if (computed != trailer_.index_xxh3) {
    return Corrupt("index at offset " + std::to_string(trailer_.index_offset) +
                   ": checksum mismatch (the trailer records " +
                   std::to_string(trailer_.index_xxh3) + ", the index hashes to " +
                   std::to_string(computed) + ")");
  }
  const uint32_t count = LoadFixed32(index.data() + 4);
  if (std::memcmp(index.data(), kIndexMagic.data(), 4) != 0 ||
      kIndexHeaderBytes + uint64_t{count} * kIndexRecordBytes != index.size()) {
    return Corrupt("index at offset " + std::to_string(trailer_.index_offset) +
                   ": bad magic or a record count (" + std::to_string(count) +
                   ") that does not match its length " + std::to_string(index.size()));
  }
  blocks_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    blocks_.push_back(ParseIndexRecord(
        std::span(index).subspan(kIndexHeaderBytes + size_t{i} * kIndexRecordBytes,
                                 kIndexRecordBytes),
        i));
  }
  return Status();
}

Status NativeReader::CheckLayout() {
  uint64_t expected_offset = header_bytes_;
  for (const BlockInfo& b : blocks_) {
    SK_RETURN_IF_ERROR(CheckBlockInfo(b, file_->name()));
    if (b.offset != expected_offset || b.end() > trailer_.index_offset) {
      return Corrupt("index record of " + DescribeBlock(b) + ": expected the block at offset " +
                     std::to_string(expected_offset) + " and to end by the index at " +
                     std::to_string(trailer_.index_offset));
    }
    expected_offset = b.end();
    if (b.kind == BlockKind::kKeys) {
      key_count_ += b.key_count;
    } else {
      int& slot = b.kind == BlockKind::kMeta ? meta_block_ : slot_stats_block_;
      if (slot >= 0) {
        return Corrupt("index lists a second " + std::string(BlockKindName(b.kind)) + " block (" +
                       DescribeBlock(b) + ")");
      }
      slot = static_cast<int>(b.number);
    }
  }
  if (expected_offset != trailer_.index_offset) {
    return Corrupt("blocks end at offset " + std::to_string(expected_offset) +
                   " but the index starts at " + std::to_string(trailer_.index_offset));
  }
  if (slot_stats_block_ < 0) return Corrupt("index lists no slot-stats block");
  return Status();
}

Status NativeReader::ReadBlock(uint32_t number, std::string* raw) const {
  BlockBuffers buffers;
  SK_ASSIGN_OR_RETURN(std::string_view view, ReadBlockView(number, &buffers));
  raw->assign(view);
  return Status();
}

Result<std::string_view> NativeReader::ReadBlockView(uint32_t number,
                                                     BlockBuffers* buffers) const {
  if (number >= blocks_.size()) {
    return Status::InvalidArgument(file_->name() + ": no block " + std::to_string(number));
  }
  const BlockInfo& b = blocks_[number];
  // The length was checked against the file layout in Open.
  SK_ASSIGN_OR_RETURN(
      ByteSpan stored,
      file_->ReadRange(b.offset, kBlockHeaderBytes + size_t{b.stored_bytes}, &buffers->stored));
  return DecodeBlock(b, stored, file_->name(), &buffers->decompressed);
}

Status NativeReader::ForEachEntry(uint32_t number,
                                  const std::function<Status(const rdb::RdbEntry&)>& fn) const {
  BlockBuffers buffers;
  SK_ASSIGN_OR_RETURN(std::string_view raw, ReadBlockView(number, &buffers));
  const BlockInfo& b = blocks_[number];
  if (b.kind != BlockKind::kKeys) {
    return Status::InvalidArgument(file_->name() + ": " + DescribeBlock(b) + " holds no keys");
  }
  EntryDecoder decoder(raw, b, file_->name());
  rdb::RdbEntry entry;
  for (;;) {
    SK_ASSIGN_OR_RETURN(bool more, decoder.Next(&entry));
    if (!more) return Status();
    SK_RETURN_IF_ERROR(fn(entry));
  }
}

Result<std::vector<MetaRecord>> NativeReader::ReadMeta() const {
  if (meta_block_ < 0) return std::vector<MetaRecord>();
  std::string raw;
  SK_RETURN_IF_ERROR(ReadBlock(static_cast<uint32_t>(meta_block_), &raw));
  return DecodeMetaRecords(raw, blocks_[meta_block_], file_->name());
}

Result<SlotStats> NativeReader::ReadSlotStats() const {
  std::string raw;
  SK_RETURN_IF_ERROR(ReadBlock(static_cast<uint32_t>(slot_stats_block_), &raw));
  return DecodeSlotStats(raw, blocks_[slot_stats_block_], file_->name());
}

SlotStats NativeReader::EstimateSlotStatsFromIndex() const {
  SlotStats stats;
  for (const BlockInfo& b : blocks_) {
    if (b.kind != BlockKind::kKeys) continue;
    const uint64_t width = uint64_t{b.last_slot} - b.first_slot + 1;
    for (uint64_t i = 0; i < width; ++i) {
      // Spread remainders over the first slots so the totals stay exact.
      stats.keys[b.first_slot + i] += b.key_count / width + (i < b.key_count % width ? 1 : 0);
      stats.bytes[b.first_slot + i] += b.raw_bytes / width + (i < b.raw_bytes % width ? 1 : 0);
    }
  }
  return stats;
}

std::vector<uint32_t> NativeReader::KeyBlocks() const {
  std::vector<uint32_t> out;
  for (const BlockInfo& b : blocks_) {
    if (b.kind == BlockKind::kKeys) out.push_back(b.number);
  }
  std::stable_sort(out.begin(), out.end(), [&](uint32_t x, uint32_t y) {
    const BlockInfo& a = blocks_[x];
    const BlockInfo& b = blocks_[y];
    if (a.db != b.db) return a.db < b.db;
    return a.first_slot < b.first_slot;
  });
  return out;
}

std::vector<uint32_t> NativeReader::KeyBlocksFor(const SlotSet& slots) const {
  std::vector<uint32_t> out;
  for (uint32_t n : KeyBlocks()) {
    const BlockInfo& b = blocks_[n];
    for (int s = b.first_slot; s <= b.last_slot; ++s) {
      if (slots.test(s)) {
        out.push_back(n);
        break;
      }
    }
  }
  return out;
}

uint64_t NativeReader::StoredBytesOf(const std::vector<uint32_t>& numbers) const {
  uint64_t total = 0;
  for (uint32_t n : numbers) total += kBlockHeaderBytes + blocks_[n].stored_bytes;
  return total;
}

}  // namespace shardkit::formats::native
