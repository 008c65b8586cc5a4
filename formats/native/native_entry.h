// The payloads inside native blocks: key entries (kKeys blocks), non-key
// records (kMeta block) and per-slot figures (kSlotStats block). Encoders
// append to a string; decoders walk a payload that is already in memory and
// checksum-verified, still checking every length against what is left.
//
// Key entry (the block header carries the db):
//   u8 flags (bit0 expire, bit1 LRU idle, bit2 LFU freq, bit3 key_meta)
//   u8 RDB type byte | varint key length, key
//   [i64 LE expire_ms] [varint lru_idle_s] [u8 lfu_freq] [varint len, key_meta]
//   varint value length, value bytes exactly as RDB serializes them.
// Threading: pure functions / one decoder per thread.
// Errors: kCorruption "<file>: <block description>: <what> at payload offset N".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/native/native_format.h"
#include "formats/rdb/rdb_entry.h"

namespace shardkit::formats::native {

inline constexpr uint8_t kEntryHasExpire = 1;
inline constexpr uint8_t kEntryHasLru = 2;
inline constexpr uint8_t kEntryHasLfu = 4;
inline constexpr uint8_t kEntryHasKeyMeta = 8;
inline constexpr uint8_t kEntryKnownFlags = 15;

// Appends `entry` (db excluded) and returns the bytes appended.
size_t AppendEntry(std::string* out, const rdb::RdbEntry& entry);

class EntryDecoder {
 public:
  // `raw` must outlive the decoder. Entries get db = block.db; every key's
  // slot must lie in [block.first_slot, block.last_slot].
  EntryDecoder(std::string_view raw, const BlockInfo& block, std::string_view file_name);
  // Fills *entry with the next entry (value copied); false at the end.
  // After the last entry, checks the count against block.key_count.
  Result<bool> Next(rdb::RdbEntry* entry);
  // Bytes the last entry took in the payload.
  size_t last_entry_bytes() const { return last_entry_bytes_; }

 private:
  PayloadCursor in_;
  const BlockInfo& block_;
  uint32_t decoded_ = 0;
  size_t last_entry_bytes_ = 0;
};

// Non-key data, in source order, each tagged with whether it came before or
// after the first key record.
enum class MetaKind : uint8_t { kFunction = 1, kModuleAux = 2, kAux = 3 };
struct MetaRecord {
  MetaKind kind = MetaKind::kFunction;
  bool after_keys = false;
  std::string a;  // library code / MODULE_AUX raw bytes / AUX key
  std::string b;  // AUX value (empty otherwise)
  bool operator==(const MetaRecord&) const = default;
};
// u8 kind, u8 placement (0 before keys, 1 after), varint len a, a, varint len b, b.
void AppendMetaRecord(std::string* out, const MetaRecord& record);
Result<std::vector<MetaRecord>> DecodeMetaRecords(std::string_view raw, const BlockInfo& block,
                                                  std::string_view file_name);

// Per-slot key counts and entry bytes (the encoded key entries, which track
// the RDB bytes of the keys closely) over all dbs.
struct SlotStats {
  std::vector<uint64_t> keys = std::vector<uint64_t>(kSlotCount, 0);
  std::vector<uint64_t> bytes = std::vector<uint64_t>(kSlotCount, 0);
};
// varint non-empty slot count, then per slot in ascending order:
// varint (slot - previous slot), varint keys, varint bytes (previous = 0
// before the first slot, and the first delta is the slot itself).
std::string EncodeSlotStats(const SlotStats& stats);
Result<SlotStats> DecodeSlotStats(std::string_view raw, const BlockInfo& block,
                                  std::string_view file_name);

}  // namespace shardkit::formats::native
