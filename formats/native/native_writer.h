// NativeWriter: writes a native snapshot to a ChunkSink from RDB-shaped
// input (RdbEntry records, AUX fields, functions, MODULE_AUX records).
//
// An RDB is not slot-ordered, so the writer buckets entries by (db, slot
// range): options.slot_ranges equal ranges over the 16384 slots, one buffer
// per (db, range). A buffer becomes a block when it reaches
// options.block_bytes raw bytes; when all buffers together exceed
// options.buffer_bytes_max the largest is flushed early. Memory is therefore
// bounded by buffer_bytes_max plus one block plus the largest single entry,
// and a slot range may own several blocks (the index is what readers use).
// Each block's slot range in the index is the tightest [min, max] of its keys.
//
// The header is written before the first block, carrying the AUX fields
// given so far; AUX fields given later go to the meta block. Finish() flushes
// the buffers in (db, range) order, writes the meta block (functions,
// MODULE_AUX, late AUX, in call order), the slot-stats block, the index and
// the trailer, then finishes the sink. Tools publish it atomically by passing
// a storage::AtomicFileWriter and calling Publish() after Finish().
//
// Ownership: the sink is borrowed and must outlive the writer.
// Threading: one caller thread (plus the writer's own encoder thread with
// options.background_encode).
// Errors: sink errors (sticky); kNotSupported for a single entry larger than
// kMaxBlockRawBytes or a db number above 2^32-1; kInvalidArgument for bad
// options or calls after Finish().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/byte_writer.h"
#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/native/native_entry.h"
#include "formats/native/native_format.h"
#include "formats/rdb/rdb_entry.h"

namespace shardkit::formats::native {

struct NativeWriterOptions {
  uint32_t block_bytes = kDefaultBlockTargetBytes;  // raw bytes per block (target)
  uint64_t buffer_bytes_max = 64u << 20;            // all per-range buffers together
  int slot_ranges = 128;                            // divides 16384
  bool compress = true;                             // LZ4 where it makes a block smaller
  // true: blocks are compressed and checksummed by one background thread
  // (at most kMaxQueuedBlocks between submission and append), so parsing
  // the input and encoding overlap on two cores. The sink is still used only
  // from the caller's thread.
  bool background_encode = false;
};

struct NativeWriteStats {
  uint64_t keys = 0;
  uint64_t blocks = 0;
  uint64_t key_blocks = 0;
  uint64_t raw_bytes = 0;     // payload bytes before compression (all blocks)
  uint64_t stored_bytes = 0;  // payload bytes written
  uint64_t file_bytes = 0;
};

class NativeWriter {
 public:
  static constexpr size_t kMaxQueuedBlocks = 4;
  // After a block LZ4 did not shrink enough, this many blocks are stored raw
  // without trying LZ4 (see Encode).
  static constexpr uint32_t kLz4SkipBlocks = 15;

  // `header` gives the source RDB's magic/version, the producer and the AUX
  // fields known up front. REQUIRES: sink outlives the writer.
  static Result<std::unique_ptr<NativeWriter>> Create(ChunkSink* sink, FileHeader header,
                                                      const NativeWriterOptions& options);
  NativeWriter(const NativeWriter&) = delete;
  NativeWriter& operator=(const NativeWriter&) = delete;
  ~NativeWriter();

  Status AddAux(std::string_view key, std::string_view value);
  Status AddFunction(std::string_view library_code);
  Status AddModuleAux(std::string_view raw);
  // entry.value must hold the raw value bytes (RdbReader raw mode with capture).
  Status AddEntry(const rdb::RdbEntry& entry);
  Status Finish();

  const NativeWriteStats& stats() const { return stats_; }

 private:
  struct Bucket {
    std::string raw;
    uint32_t keys = 0;
    uint16_t first_slot = kSlotCount - 1;
    uint16_t last_slot = 0;
  };
  using BucketKey = std::pair<uint32_t, int>;  // db, range

  struct Job {
    BlockDescriptor descriptor;
    std::string raw;
    std::string encoded;  // block header + stored payload
  };

  NativeWriter(ChunkSink* sink, FileHeader header, const NativeWriterOptions& options);
  Status EnsureHeader();
  Status FlushBucket(const BucketKey& key, Bucket* bucket);
  Status FlushLargestBucket();
  Bucket& BucketFor(const BucketKey& key);
  void ForEachBucket(const std::function<void(const BucketKey&, Bucket*)>& fn);
  // Encodes and appends now (inline mode; *raw is left as it was), or moves
  // *raw into the encoder's queue (background mode).
  Status SubmitBlock(BlockDescriptor d, std::string* raw);
  // Appends encoded blocks in order until at most `keep_in_flight` remain.
  Status AppendEncoded(size_t keep_in_flight);
  Status AppendBlock(const BlockDescriptor& d, std::string_view encoded);
  void EncoderLoop();
  // EncodeBlock with the LZ4 skip policy: after a block that LZ4 did not
  // shrink enough, the next kLz4SkipBlocks blocks are stored raw without
  // trying (LZ4 was ~30% of an RDB -> native conversion's CPU on values it
  // could not compress), then LZ4 is tried again. Called on one thread only
  // (the encoder thread, or the caller's without background encoding), in
  // block order, so the output does not depend on the mode.
  void Encode(std::string_view raw, BlockDescriptor* d, std::string* out);
  void StopEncoder();
  Status Check();

  NativeWriterOptions options_;
  FileHeader header_;
  ByteWriter out_;
  bool header_written_ = false;
  bool header_frozen_ = false;  // a block was submitted: later AUX go to the meta block
  bool finished_ = false;
  bool saw_keys_ = false;
  static constexpr uint32_t kFlatDbs = 16;
  std::vector<Bucket> flat_buckets_;              // dbs 0-15: [db * slot_ranges + range]
  std::map<BucketKey, Bucket> other_buckets_;     // dbs >= 16
  uint64_t buffered_bytes_ = 0;
  std::string meta_;
  uint32_t meta_records_ = 0;
  SlotStats slot_stats_;
  std::vector<BlockInfo> index_;
  std::string block_buffer_;
  uint32_t lz4_skip_left_ = 0;  // blocks still to store raw untried (Encode's thread only)
  NativeWriteStats stats_;
  Status error_;

  // Background encoding (options_.background_encode).
  std::thread encoder_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Job>> to_encode_;  // GUARDED_BY(mu_)
  std::deque<std::unique_ptr<Job>> encoded_;    // GUARDED_BY(mu_)
  bool stopping_ = false;                       // GUARDED_BY(mu_)
  std::vector<std::string> spare_raw_;          // GUARDED_BY(mu_): encoded jobs' raw buffers
  size_t in_flight_ = 0;  // caller thread: submitted, not yet appended
  std::vector<std::unique_ptr<Job>> spare_jobs_;  // caller thread: appended jobs, for reuse
};

}  // namespace shardkit::formats::native
