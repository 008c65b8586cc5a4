// NativeReader: random access to a native snapshot. Open() reads the
// trailer (one read of the file's tail), the index and the header, and
// checks the layout: blocks back to back from the end of the header to the
// index, every record within caps, exactly one slot-stats block and at most
// one meta block. After Open the reader is immutable: every const method may
// be called from several threads at once (each thread typically decodes
// different blocks), since the source's ReadAt is thread-safe.
//
// Every block is verified before it is decoded: its header must equal its
// index record, and the stored and raw XXH3 checksums must match. A damaged
// block fails alone; the other blocks stay readable.
//
// Ownership: `file` is borrowed and must outlive the reader.
// Errors: kCorruption naming the file and, for blocks, "block N at offset
// 0x.. (keys, db D, slots A-B)"; kNotSupported for a newer format version;
// the source's kIoError unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/random_access_source.h"
#include "base/status.h"
#include "formats/native/native_entry.h"
#include "formats/native/native_format.h"
#include "formats/rdb/rdb_entry.h"

namespace shardkit::formats::native {

class NativeReader {
 public:
  static Result<std::unique_ptr<NativeReader>> Open(const RandomAccessSource* file);
  NativeReader(const NativeReader&) = delete;
  NativeReader& operator=(const NativeReader&) = delete;

  const FileHeader& header() const { return header_; }
  // Every block, in file order (blocks()[i].number == i).
  const std::vector<BlockInfo>& blocks() const { return blocks_; }
  uint64_t file_bytes() const { return file_->size(); }
  uint64_t header_bytes() const { return header_bytes_; }
  uint64_t index_bytes() const { return trailer_.index_bytes; }
  const std::string& name() const { return file_->name(); }
  uint64_t key_count() const { return key_count_; }

  // Reads block `number`, verifies it and puts its raw payload in *raw.
  Status ReadBlock(uint32_t number, std::string* raw) const;
  // Memory ReadBlockView reuses from one call to the next: keep one per
  // reading thread (a block's worth each, no allocation after the first).
  struct BlockBuffers {
    ReadScratch stored;        // the block as read (direct I/O lands here)
    std::string decompressed;  // LZ4 output
  };
  // ReadBlock without copies: the raw payload as a view into
  // buffers->stored (a block stored raw) or buffers->decompressed (LZ4).
  // Valid until *buffers is used again.
  Result<std::string_view> ReadBlockView(uint32_t number, BlockBuffers* buffers) const;
  // Calls `fn` for every entry of key block `number`, in block order; the
  // entry is valid during the call. A non-OK Status from fn stops the walk.
  Status ForEachEntry(uint32_t number,
                      const std::function<Status(const rdb::RdbEntry&)>& fn) const;
  // The meta block's records (empty when the file has none).
  Result<std::vector<MetaRecord>> ReadMeta() const;
  // Per-slot keys and bytes from the slot-stats block (one small read).
  Result<SlotStats> ReadSlotStats() const;
  // Per-slot figures from the index alone: each key block's keys and raw
  // bytes spread evenly over its slot range (an estimate, used when the
  // slot-stats block is damaged).
  SlotStats EstimateSlotStatsFromIndex() const;

  // Key blocks in writing order for an RDB: by db, then slot, then number.
  std::vector<uint32_t> KeyBlocks() const;
  // The key blocks whose slot range intersects `slots`, in KeyBlocks() order.
  std::vector<uint32_t> KeyBlocksFor(const SlotSet& slots) const;
  // Stored bytes (headers included) of the given blocks.
  uint64_t StoredBytesOf(const std::vector<uint32_t>& numbers) const;

 private:
  explicit NativeReader(const RandomAccessSource* file) : file_(file) {}
  Status LoadTrailerAndIndex();
  Status LoadHeader();
  Status CheckLayout();
  Status Corrupt(const std::string& what) const;

  const RandomAccessSource* file_;
  FileHeader header_;
  uint64_t header_bytes_ = 0;
  Trailer trailer_;
  std::vector<BlockInfo> blocks_;
  uint64_t key_count_ = 0;
  int meta_block_ = -1;
  int slot_stats_block_ = -1;
};

}  // namespace shardkit::formats::native
