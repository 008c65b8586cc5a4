// The pieces `check` uses to replay a source's log commands in a
// ReplayServer (tools/replay_server.h), shared by the value sample
// (tools/log_sample.h) and the key count (tools/log_count.h):
//  - KeyClasses: union-find over 64-bit key hashes, joining the keys that
//    one log command names together (a "closure").
//  - LogCommandKeys: which db-0 keys a log command touches, as recover
//    routes it (slots the source owns), or why it touches every key.
//  - FlushPoint: the source's RDB part and commands that recover discards
//    before its last FLUSHALL / FLUSHDB of db 0.
//  - DumpPayload: a raw RDB value as a RESTORE payload.
// Value types used by one thread; no errors beyond those returned.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "formats/aof/aof_reader.h"
#include "formats/aof/command_keys.h"
#include "loader/recovery_plan.h"

namespace shardkit::tools {

// Union-find over 64-bit key hashes (path halving, union by size). A hash
// collision only joins two classes: a closure then holds more keys than it
// needs, which a replay handles alike. Memory: about 40 bytes per hash.
class KeyClasses {
 public:
  bool Contains(uint64_t h) const { return cells_.count(h) != 0; }
  uint64_t Find(uint64_t h) {
    auto it = cells_.try_emplace(h, Cell{h, 1}).first;
    while (it->second.parent != it->first) {
      auto up = cells_.find(it->second.parent);
      it->second.parent = up->second.parent;
      it = cells_.find(it->second.parent);
    }
    return it->first;
  }
  void Union(uint64_t a, uint64_t b) {
    a = Find(a);
    b = Find(b);
    if (a == b) return;
    if (cells_[a].size < cells_[b].size) std::swap(a, b);
    cells_[b].parent = a;
    cells_[a].size += cells_[b].size;
  }
  uint64_t SizeOf(uint64_t root) const { return cells_.at(root).size; }
  // Every class as {root, size}, in no particular order.
  std::vector<std::pair<uint64_t, uint64_t>> Roots() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (const auto& [h, cell] : cells_) {
      if (cell.parent == h) out.emplace_back(h, cell.size);
    }
    return out;
  }
  uint64_t hashes() const { return cells_.size(); }

 private:
  struct Cell {
    uint64_t parent;
    uint64_t size;
  };
  std::unordered_map<uint64_t, Cell> cells_;
};

// Lower-cased command name (its first 32 bytes).
std::string LowerName(const std::string& name);

// "<file> offset <n>: " for messages about command `c`.
std::string Where(const formats::aof::AofCommand& c);

// Recover skips a source's RDB part and every command up to its last
// FLUSHALL / FLUSHDB of db 0 (PlanSource::flush_file), unless it replays
// the whole log (a standalone plan of one source): every pass does the
// same, so that flush is no reason to give up on the source.
// Lifetime: `source` must outlive the FlushPoint.
class FlushPoint {
 public:
  FlushPoint(const loader::RecoveryPlan& plan, const loader::PlanSource& source)
      : source_(source),
        skips_(source.flush_file >= 0 && !(plan.standalone() && plan.sources.size() == 1)) {}
  void OnFileStart() { ++file_index_; }
  // True for the RDB part and commands that recover discards.
  bool SkipsBase() const { return skips_; }
  bool Skips(const formats::aof::AofCommand& c) const {
    return skips_ && (file_index_ < source_.flush_file ||
                      (file_index_ == source_.flush_file && c.offset < source_.flush_end_offset));
  }

 private:
  const loader::PlanSource& source_;
  bool skips_;
  int file_index_ = -1;
};

// What every pass reads of a log command: its db-0 keys in slots the
// source owns (as recover routes it), or nothing.
// `routed`: the slots whose commands recover takes from this source (its
// owned slots, and slots no source owns where it is the first with keys);
// nullptr: its owned slots (every slot for a standalone source).
// Lifetime: `source` and `*routed` must outlive the LogCommandKeys.
class LogCommandKeys {
 public:
  explicit LogCommandKeys(const loader::PlanSource& source,
                          const loader::SlotSet* routed = nullptr)
      : source_(source), routed_(routed) {}

  // Fills `positions()`; returns false for a command that changes no db-0
  // key of the source (MULTI/EXEC markers, other dbs, key-less, other
  // owners). `*wholesale` gets a reason when the command makes the whole
  // source touched. Sets other_db() for a keyed command in another db.
  bool Read(const formats::aof::AofCommand& c, std::string* wholesale);
  const std::vector<uint32_t>& positions() const { return keys_.positions; }
  bool other_db() const { return other_db_; }

 private:
  const loader::PlanSource& source_;
  const loader::SlotSet* routed_;
  formats::aof::CommandKeys keys_;
  bool other_db_ = false;
};

// DUMP payload of a raw RDB value: type, value, RDB version (2 bytes LE),
// CRC64 of those (8 bytes LE).
std::string DumpPayload(uint8_t type, const std::string& value, int version);

}  // namespace shardkit::tools
