#include "formats/native/native_writer.h"

#include <algorithm>
#include <limits>

#include "formats/native/native_block.h"

namespace shardkit::formats::native {

Result<std::unique_ptr<NativeWriter>> NativeWriter::Create(ChunkSink* sink, FileHeader header,
                                                           const NativeWriterOptions& options) {
  if (options.block_bytes < kMinBlockTargetBytes || options.block_bytes > kMaxBlockTargetBytes) {
    return Status::InvalidArgument("native block size " + std::to_string(options.block_bytes) +
                                   " outside " + std::to_string(kMinBlockTargetBytes) + ".." +
                                   std::to_string(kMaxBlockTargetBytes) + " bytes");
  }
  if (options.slot_ranges < 1 || options.slot_ranges > kSlotCount ||
      kSlotCount % options.slot_ranges != 0) {
    return Status::InvalidArgument("slot ranges must divide 16384, got " +
                                   std::to_string(options.slot_ranges));
  }
  return std::unique_ptr<NativeWriter>(new NativeWriter(sink, std::move(header), options));
}

NativeWriter::NativeWriter(ChunkSink* sink, FileHeader header, const NativeWriterOptions& options)
    // A small buffer: blocks (larger) go to the sink without a copy.
    : options_(options), header_(std::move(header)), out_(sink, 64 << 10) {
  if (options_.background_encode) encoder_ = std::thread([this] { EncoderLoop(); });
}

NativeWriter::~NativeWriter() { StopEncoder(); }

// Background encoding protocol (options_.background_encode):
//   1. The caller moves a full buffer into to_encode_ (SubmitBlock); at most
//      kMaxQueuedBlocks blocks are between submission and append, which
//      bounds memory: the caller waits for the oldest before adding more.
//   2. The encoder thread pops to_encode_ in order, runs EncodeBlock (LZ4,
//      checksums, block header) without the lock and pushes the result to
//      encoded_. One encoder thread keeps the order.
//   3. The caller appends encoded_ blocks in order (AppendEncoded): offsets,
//      index records and every sink call stay on the caller's thread, so a
//      sink bound to its creating thread (an io_uring SINGLE_ISSUER ring)
//      works unchanged.
//   4. Finish waits for every block, appends it, then stops the thread.
void NativeWriter::EncoderLoop() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !to_encode_.empty(); });
      if (to_encode_.empty()) return;
      job = std::move(to_encode_.front());
      to_encode_.pop_front();
    }
    job->encoded.clear();
    Encode(job->raw, &job->descriptor, &job->encoded);
    job->raw.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The raw buffer goes back to the caller's buckets (no fresh pages
      // per block); oversized ones (a huge single entry) are freed.
      if (job->raw.capacity() <= 2 * uint64_t{options_.block_bytes} + (64u << 10) &&
          spare_raw_.size() < kMaxQueuedBlocks) {
        spare_raw_.push_back(std::move(job->raw));
      }
      encoded_.push_back(std::move(job));
    }
    changed_.notify_all();
  }
}

void NativeWriter::Encode(std::string_view raw, BlockDescriptor* d, std::string* out) {
  if (lz4_skip_left_ > 0) {
    --lz4_skip_left_;
    (void)EncodeBlock(raw, /*compress=*/false, d, out);
    return;
  }
  if (EncodeBlock(raw, options_.compress, d, out) == Lz4Result::kNotWorthIt) {
    lz4_skip_left_ = kLz4SkipBlocks;
  }
}

void NativeWriter::StopEncoder() {
  if (!encoder_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  encoder_.join();
}

Status NativeWriter::AppendEncoded(size_t keep_in_flight) {
  while (in_flight_ > keep_in_flight) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return !encoded_.empty(); });
      job = std::move(encoded_.front());
      encoded_.pop_front();
    }
    --in_flight_;
    SK_RETURN_IF_ERROR(AppendBlock(job->descriptor, job->encoded));
    if (spare_jobs_.size() < kMaxQueuedBlocks) spare_jobs_.push_back(std::move(job));
  }
  return Status();
}

Status NativeWriter::SubmitBlock(BlockDescriptor d, std::string* raw) {
  header_frozen_ = true;
  Status s;
  if (!options_.background_encode) {
    block_buffer_.clear();
    Encode(*raw, &d, &block_buffer_);
    s = AppendBlock(d, block_buffer_);
  } else {
    std::unique_ptr<Job> job;
    if (!spare_jobs_.empty()) {
      job = std::move(spare_jobs_.back());  // keeps its encoded buffer's capacity
      spare_jobs_.pop_back();
    } else {
      job = std::make_unique<Job>();
    }
    job->descriptor = d;
    job->raw = std::move(*raw);
    {
      std::lock_guard<std::mutex> lock(mu_);
      to_encode_.push_back(std::move(job));
    }
    changed_.notify_all();
    ++in_flight_;
    s = AppendEncoded(kMaxQueuedBlocks - 1);
  }
  if (!s.ok() && error_.ok()) error_ = s;
  return s;
}

Status NativeWriter::Check() {
  if (!error_.ok()) return error_;
  if (finished_) return Status::InvalidArgument(out_.name() + ": native writer already finished");
  return Status();
}

Status NativeWriter::EnsureHeader() {
  if (header_written_) return Status();
  header_written_ = true;
  return out_.Append(EncodeFileHeader(header_));
}

Status NativeWriter::AddAux(std::string_view key, std::string_view value) {
  SK_RETURN_IF_ERROR(Check());
  if (!header_frozen_) {
    header_.aux.emplace_back(std::string(key), std::string(value));
    return Status();
  }
  AppendMetaRecord(&meta_, {MetaKind::kAux, saw_keys_, std::string(key), std::string(value)});
  ++meta_records_;
  return Status();
}

Status NativeWriter::AddFunction(std::string_view library_code) {
  SK_RETURN_IF_ERROR(Check());
  AppendMetaRecord(&meta_, {MetaKind::kFunction, saw_keys_, std::string(library_code), ""});
  ++meta_records_;
  return Status();
}

Status NativeWriter::AddModuleAux(std::string_view raw) {
  SK_RETURN_IF_ERROR(Check());
  AppendMetaRecord(&meta_, {MetaKind::kModuleAux, saw_keys_, std::string(raw), ""});
  ++meta_records_;
  return Status();
}

Status NativeWriter::AddEntry(const rdb::RdbEntry& entry) {
  SK_RETURN_IF_ERROR(Check());
  if (entry.db > std::numeric_limits<uint32_t>::max()) {
    return Status::NotSupported(out_.name() + ": db " + std::to_string(entry.db) +
                                " does not fit the native format (32-bit db numbers)");
  }
  // Upper bound of the encoded size: fixed fields plus varints.
  const uint64_t bound = entry.key.size() + entry.value.size() + entry.key_meta.size() + 64;
  if (bound > kMaxBlockRawBytes) {
    return Status::NotSupported(out_.name() + ": key \"" + entry.key + "\" value of " +
                                std::to_string(entry.value.size()) +
                                " bytes exceeds the native block cap of " +
                                std::to_string(kMaxBlockRawBytes) + " bytes");
  }
  saw_keys_ = true;
  const uint16_t slot = entry.HashSlot();
  const BucketKey key{static_cast<uint32_t>(entry.db), slot / (kSlotCount / options_.slot_ranges)};
  Bucket& bucket = BucketFor(key);
  // Flush first when the entry would overflow the block cap, or would make
  // a block-sized buffer reallocate (doubling to 2 MiB copied the buffer and
  // touched fresh pages: 27 times for the 603 MB bench RDB's large values).
  if (bucket.raw.size() + bound > kMaxBlockRawBytes ||
      (bucket.raw.size() >= options_.block_bytes / 2 &&
       bucket.raw.size() + bound > bucket.raw.capacity())) {
    SK_RETURN_IF_ERROR(FlushBucket(key, &bucket));
  }
  // A block's worth up front: growing by doubling copied each buffer about
  // once more and took fresh pages per step (std::string::_M_mutate plus page
  // faults were ~8% of the parse thread). Pages are touched only as filled.
  if (bucket.raw.capacity() < options_.block_bytes) bucket.raw.reserve(options_.block_bytes + 4096);
  const size_t bytes = AppendEntry(&bucket.raw, entry);
  ++bucket.keys;
  bucket.first_slot = std::min(bucket.first_slot, slot);
  bucket.last_slot = std::max(bucket.last_slot, slot);
  buffered_bytes_ += bytes;
  ++slot_stats_.keys[slot];
  slot_stats_.bytes[slot] += bytes;
  ++stats_.keys;
  if (bucket.raw.size() >= options_.block_bytes) return FlushBucket(key, &bucket);
  if (buffered_bytes_ > options_.buffer_bytes_max) return FlushLargestBucket();
  return Status();
}

NativeWriter::Bucket& NativeWriter::BucketFor(const BucketKey& key) {
  // Dbs 0-15 (all Redis uses by default) index a flat table: no tree walk
  // per entry on the parse thread.
  if (key.first < kFlatDbs) {
    if (flat_buckets_.empty()) flat_buckets_.resize(size_t{kFlatDbs} * options_.slot_ranges);
    return flat_buckets_[size_t{key.first} * options_.slot_ranges + key.second];
  }
  return other_buckets_[key];
}

void NativeWriter::ForEachBucket(const std::function<void(const BucketKey&, Bucket*)>& fn) {
  // (db, range) order: the flat dbs first, then the larger db numbers.
  for (size_t i = 0; i < flat_buckets_.size(); ++i) {
    const BucketKey key{static_cast<uint32_t>(i / options_.slot_ranges),
                        static_cast<int>(i % options_.slot_ranges)};
    fn(key, &flat_buckets_[i]);
  }
  for (auto& [key, bucket] : other_buckets_) fn(key, &bucket);
}

Status NativeWriter::FlushLargestBucket() {
  std::pair<BucketKey, Bucket*> largest{{0, 0}, nullptr};
  ForEachBucket([&](const BucketKey& key, Bucket* bucket) {
    if (largest.second == nullptr || bucket->raw.size() > largest.second->raw.size()) {
      largest = {key, bucket};
    }
  });
  if (largest.second == nullptr) return Status();
  return FlushBucket(largest.first, largest.second);
}

Status NativeWriter::FlushBucket(const BucketKey& key, Bucket* bucket) {
  if (bucket->keys == 0) return Status();
  BlockDescriptor d;
  d.kind = BlockKind::kKeys;
  d.db = key.first;
  d.first_slot = bucket->first_slot;
  d.last_slot = bucket->last_slot;
  d.key_count = bucket->keys;
  buffered_bytes_ -= bucket->raw.size();
  Status s;
  if (!options_.background_encode) {
    s = SubmitBlock(d, &bucket->raw);
    // Keep the capacity for block-sized buffers only: a huge single entry
    // must not pin its memory.
    bucket->raw.clear();
    if (bucket->raw.capacity() > 2 * uint64_t{options_.block_bytes}) bucket->raw.shrink_to_fit();
  } else {
    std::string raw;
    raw.swap(bucket->raw);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!spare_raw_.empty()) {
        bucket->raw.swap(spare_raw_.back());
        spare_raw_.pop_back();
      }
    }
    s = SubmitBlock(d, &raw);
  }
  bucket->keys = 0;
  bucket->first_slot = kSlotCount - 1;
  bucket->last_slot = 0;
  ++stats_.key_blocks;
  return s;
}

Status NativeWriter::AppendBlock(const BlockDescriptor& d, std::string_view encoded) {
  SK_RETURN_IF_ERROR(EnsureHeader());
  BlockInfo info;
  static_cast<BlockDescriptor&>(info) = d;
  info.offset = out_.offset();
  info.number = static_cast<uint32_t>(index_.size());
  index_.push_back(info);
  ++stats_.blocks;
  stats_.raw_bytes += d.raw_bytes;
  stats_.stored_bytes += d.stored_bytes;
  return out_.Append(encoded);
}

Status NativeWriter::Finish() {
  SK_RETURN_IF_ERROR(Check());
  finished_ = true;
  SK_RETURN_IF_ERROR(EnsureHeader());
  Status flushed;
  ForEachBucket([&](const BucketKey& key, Bucket* bucket) {
    if (flushed.ok()) flushed = FlushBucket(key, bucket);
  });
  SK_RETURN_IF_ERROR(flushed);
  flat_buckets_.clear();
  other_buckets_.clear();
  BlockDescriptor whole;
  whole.first_slot = 0;
  whole.last_slot = kSlotCount - 1;
  if (meta_records_ > 0) {
    whole.kind = BlockKind::kMeta;
    whole.key_count = meta_records_;
    SK_RETURN_IF_ERROR(SubmitBlock(whole, &meta_));
  }
  whole.kind = BlockKind::kSlotStats;
  whole.key_count = 0;
  std::string slot_stats = EncodeSlotStats(slot_stats_);
  SK_RETURN_IF_ERROR(SubmitBlock(whole, &slot_stats));
  SK_RETURN_IF_ERROR(AppendEncoded(0));
  StopEncoder();

  Trailer trailer;
  trailer.index_offset = out_.offset();
  std::string index(kIndexMagic);
  AppendFixed32(&index, static_cast<uint32_t>(index_.size()));
  for (const BlockInfo& b : index_) AppendIndexRecord(&index, b);
  trailer.index_bytes = index.size();
  trailer.index_xxh3 = Xxh3(index);
  SK_RETURN_IF_ERROR(out_.Append(index));
  SK_RETURN_IF_ERROR(out_.Append(EncodeTrailer(trailer)));
  stats_.file_bytes = out_.offset();
  return out_.Finish();
}

}  // namespace shardkit::formats::native
