// EntryBatch: what one source routes to one node in one step (entries for
// the node's RDB / AOF base, commands for its AOF incr file), and BatchPool,
// which recycles drained batches. Internal to recover (loader/recover.cc).
#pragma once

#include <algorithm>
#include <mutex>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::loader {

// A log command routed to a node.
struct RoutedCommand {
  int db = 0;
  std::vector<std::string> args;
};

// Entries (for the node's RDB / AOF base) and commands (for its AOF incr
// file) of one source for one node, each in source order.
//
// Batches are recycled (BatchPool): entries[0, used) are this batch's, the
// objects past `used` are spares whose strings keep their capacity, so
// adding an entry to a recycled batch is a copy without a malloc (per-entry
// malloc/free across threads was ~15% of recover's CPU).
struct EntryBatch {
  formats::rdb::Magic magic = formats::rdb::Magic::kRedis;
  std::vector<formats::rdb::RdbEntry> entries;
  size_t used = 0;
  std::vector<RoutedCommand> commands;
  size_t bytes = 0;

  // The largest buffer Take leaves the reader for its next capture.
  static constexpr size_t kMaxReserveBytes = 64 << 10;

  // Total capacity of the strings this batch holds, live and spare (what it
  // costs in memory beyond `bytes`).
  size_t CapacityBytes() const {
    size_t total = 0;
    for (const formats::rdb::RdbEntry& e : entries) total += e.key.capacity() + e.value.capacity();
    return total;
  }

  formats::rdb::RdbEntry& Add(const formats::rdb::RdbEntry& e) {
    if (used < entries.size()) {
      entries[used] = e;
    } else {
      entries.push_back(e);
    }
    return entries[used++];
  }
  // Takes `e`'s strings by swapping them with a spare's (which keeps both
  // sides' capacity: the reader's next record reuses the spare's buffers),
  // so neither key nor value is copied.
  formats::rdb::RdbEntry& Take(formats::rdb::RdbEntry& e) {
    if (used < entries.size()) {
      std::swap(entries[used], e);  // moves: every string keeps its buffer
    } else {
      // A new spare: `e` gets buffers as large as the strings just taken
      // (their sizes, not capacities, and at most kMaxReserveBytes), so the
      // reader's next capture does not regrow its value from nothing (one
      // malloc here instead of a doubling series there). Sizing by capacity
      // would chain: after one 1 MiB value every later spare of the batch
      // would hold 1 MiB, and a batch of small keys would hold gigabytes.
      entries.push_back(std::move(e));
      e.key.reserve(std::min(entries.back().key.size(), kMaxReserveBytes));
      e.value.reserve(std::min(entries.back().value.size(), kMaxReserveBytes));
    }
    return entries[used++];
  }
  // A piece of a value read in pieces (entry.part kFirst/kMiddle/kLast):
  // the record's fields are copied (a piece is at least megabytes, the key
  // small), the value bytes taken by swap. `e` keeps every other field, as
  // RdbVisitor::OnValuePiece requires.
  formats::rdb::RdbEntry& AddPiece(formats::rdb::RdbEntry& e) {
    formats::rdb::RdbEntry& slot = used < entries.size() ? entries[used] : entries.emplace_back();
    ++used;
    slot.db = e.db;
    slot.key = e.key;
    slot.type = e.type;
    slot.expire_ms = e.expire_ms;
    slot.lru_idle_s = e.lru_idle_s;
    slot.lfu_freq = e.lfu_freq;
    slot.key_meta = e.key_meta;
    slot.module_name = e.module_name;
    slot.part = e.part;
    slot.value.swap(e.value);
    return slot;
  }
  std::span<const formats::rdb::RdbEntry> live() const { return {entries.data(), used}; }
  bool empty() const { return used == 0 && commands.empty(); }
  void Reset() {
    used = 0;
    commands.clear();
    bytes = 0;
  }
};

// Drained batches of one source, handed back by the node writers to that
// source's router. Holds at most `cap` batches and `max_bytes` of their
// strings' capacity (the rest are freed). Thread-safe.
//
// Why a byte bound: a spare string keeps the largest capacity it ever held,
// so without one the pool's memory ratchets up with the data (every spare
// slot ends up holding the largest value seen there). Measured on mixed
// values (bench/recover_make_mixed_volumes.sh, 3 sources onto 5 nodes):
// peak RSS 405 MB at 1.4 GB of sources, 580-631 MB at 5.6 GB, heaptrack
// naming the captured values' buffers (746 MB at the peak of the larger
// run). Spares keep buffers up to kMaxSpareBytes only: recycling saves a
// malloc per small key (where it matters: ~15% of recover's CPU on small
// keys), while a large value's copy costs more than its malloc anyway.
class BatchPool {
 public:
  static constexpr size_t kMaxSpareBytes = 16 << 10;
  static constexpr size_t kDefaultMaxBytes = 16 << 20;

  explicit BatchPool(size_t cap, size_t max_bytes = kDefaultMaxBytes)
      : cap_(cap), max_bytes_(max_bytes) {}
  void Put(EntryBatch&& b) {
    b.Reset();
    for (formats::rdb::RdbEntry& e : b.entries) {
      if (e.value.capacity() > kMaxSpareBytes) std::string().swap(e.value);
      if (e.key.capacity() > kMaxSpareBytes) std::string().swap(e.key);
    }
    const size_t bytes = b.CapacityBytes();
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < cap_ && held_bytes_ + bytes <= max_bytes_) {
      free_.push_back({std::move(b), bytes});
      held_bytes_ += bytes;
    }
  }
  // A recycled batch, or a new one.
  EntryBatch Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return EntryBatch();
    Held h = std::move(free_.back());
    free_.pop_back();
    held_bytes_ -= h.bytes;
    return std::move(h.batch);
  }
  size_t held_bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_bytes_;
  }

 private:
  struct Held {
    EntryBatch batch;
    size_t bytes = 0;
  };
  mutable std::mutex mu_;
  std::vector<Held> free_;
  size_t cap_;
  size_t max_bytes_;
  size_t held_bytes_ = 0;
};

}  // namespace shardkit::loader
