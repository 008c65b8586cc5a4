#include "formats/native/native_entry.h"

namespace shardkit::formats::native {
namespace {

std::string Context(const BlockInfo& block, std::string_view file_name) {
  return std::string(file_name) + ": " + DescribeBlock(block);
}

}  // namespace

size_t AppendEntry(std::string* out, const rdb::RdbEntry& e) {
  const size_t start = out->size();
  uint8_t flags = 0;
  if (e.expire_ms.has_value()) flags |= kEntryHasExpire;
  if (e.lru_idle_s.has_value()) flags |= kEntryHasLru;
  if (e.lfu_freq.has_value()) flags |= kEntryHasLfu;
  if (!e.key_meta.empty()) flags |= kEntryHasKeyMeta;
  out->push_back(static_cast<char>(flags));
  out->push_back(static_cast<char>(e.type));
  AppendVarint(out, e.key.size());
  out->append(e.key);
  if (e.expire_ms.has_value()) AppendFixed64(out, static_cast<uint64_t>(*e.expire_ms));
  if (e.lru_idle_s.has_value()) AppendVarint(out, *e.lru_idle_s);
  if (e.lfu_freq.has_value()) out->push_back(static_cast<char>(*e.lfu_freq));
  if (!e.key_meta.empty()) {
    AppendVarint(out, e.key_meta.size());
    out->append(e.key_meta);
  }
  AppendVarint(out, e.value.size());
  out->append(e.value);
  return out->size() - start;
}

EntryDecoder::EntryDecoder(std::string_view raw, const BlockInfo& block,
                           std::string_view file_name)
    : in_(raw, Context(block, file_name)), block_(block) {}

Result<bool> EntryDecoder::Next(rdb::RdbEntry* e) {
  if (in_.AtEnd()) {
    if (decoded_ != block_.key_count) {
      return in_.Error("payload holds " + std::to_string(decoded_) + " entries, index says " +
                       std::to_string(block_.key_count));
    }
    return false;
  }
  if (decoded_ >= block_.key_count) {
    return in_.Error("more entries than the " + std::to_string(block_.key_count) +
                     " the index lists");
  }
  const size_t start = in_.position();
  SK_ASSIGN_OR_RETURN(uint8_t flags, in_.Byte("entry flags"));
  if ((flags & ~kEntryKnownFlags) != 0) {
    return in_.Error("unknown entry flags 0x" + std::to_string(flags));
  }
  SK_ASSIGN_OR_RETURN(e->type, in_.Byte("type"));
  SK_ASSIGN_OR_RETURN(std::string_view key, in_.LengthPrefixed("key"));
  e->key.assign(key);
  e->db = block_.db;
  e->expire_ms.reset();
  e->lru_idle_s.reset();
  e->lfu_freq.reset();
  e->key_meta.clear();
  e->module_name.clear();
  e->part = rdb::ValuePart::kWhole;  // a recycled entry may carry a piece's part
  if (flags & kEntryHasExpire) {
    SK_ASSIGN_OR_RETURN(uint64_t ms, in_.Fixed64("expire"));
    e->expire_ms = static_cast<int64_t>(ms);
  }
  if (flags & kEntryHasLru) {
    SK_ASSIGN_OR_RETURN(uint64_t idle, in_.Varint("lru idle"));
    e->lru_idle_s = idle;
  }
  if (flags & kEntryHasLfu) {
    SK_ASSIGN_OR_RETURN(uint8_t freq, in_.Byte("lfu freq"));
    e->lfu_freq = freq;
  }
  if (flags & kEntryHasKeyMeta) {
    SK_ASSIGN_OR_RETURN(std::string_view meta, in_.LengthPrefixed("key meta"));
    e->key_meta.assign(meta);
  }
  SK_ASSIGN_OR_RETURN(std::string_view value, in_.LengthPrefixed("value"));
  e->value.assign(value);
  e->value_bytes = value.size();
  const uint16_t slot = KeyHashSlot(e->key);
  if (slot < block_.first_slot || slot > block_.last_slot) {
    return in_.Error("key in slot " + std::to_string(slot) + " outside the block's slot range");
  }
  ++decoded_;
  last_entry_bytes_ = in_.position() - start;
  return true;
}

void AppendMetaRecord(std::string* out, const MetaRecord& r) {
  out->push_back(static_cast<char>(r.kind));
  out->push_back(r.after_keys ? 1 : 0);
  AppendVarint(out, r.a.size());
  out->append(r.a);
  AppendVarint(out, r.b.size());
  out->append(r.b);
}

Result<std::vector<MetaRecord>> DecodeMetaRecords(std::string_view raw, const BlockInfo& block,
                                                  std::string_view file_name) {
  PayloadCursor in(raw, Context(block, file_name));
  std::vector<MetaRecord> out;
  while (!in.AtEnd()) {
    MetaRecord r;
    SK_ASSIGN_OR_RETURN(uint8_t kind, in.Byte("meta kind"));
    SK_ASSIGN_OR_RETURN(uint8_t placement, in.Byte("meta placement"));
    if (kind < 1 || kind > 3 || placement > 1) {
      return in.Error("unknown meta record kind " + std::to_string(kind) + " / placement " +
                      std::to_string(placement));
    }
    r.kind = static_cast<MetaKind>(kind);
    r.after_keys = placement == 1;
    SK_ASSIGN_OR_RETURN(std::string_view a, in.LengthPrefixed("meta record"));
    SK_ASSIGN_OR_RETURN(std::string_view b, in.LengthPrefixed("meta record"));
    r.a.assign(a);
    r.b.assign(b);
    out.push_back(std::move(r));
  }
  if (out.size() != block.key_count) {
    return in.Error("payload holds " + std::to_string(out.size()) + " records, index says " +
                    std::to_string(block.key_count));
  }
  return out;
}

std::string EncodeSlotStats(const SlotStats& stats) {
  std::string out;
  uint64_t used = 0;
  for (int s = 0; s < kSlotCount; ++s) used += stats.keys[s] != 0 ? 1 : 0;
  AppendVarint(&out, used);
  int previous = 0;
  for (int s = 0; s < kSlotCount; ++s) {
    if (stats.keys[s] == 0) continue;
    AppendVarint(&out, static_cast<uint64_t>(s - previous));
    AppendVarint(&out, stats.keys[s]);
    AppendVarint(&out, stats.bytes[s]);
    previous = s;
  }
  return out;
}

Result<SlotStats> DecodeSlotStats(std::string_view raw, const BlockInfo& block,
                                  std::string_view file_name) {
  PayloadCursor in(raw, Context(block, file_name));
  SK_ASSIGN_OR_RETURN(uint64_t used, in.Varint("slot count"));
  if (used > kSlotCount) return in.Error("more than 16384 slots listed");
  SlotStats stats;
  uint64_t slot = 0;
  for (uint64_t i = 0; i < used; ++i) {
    SK_ASSIGN_OR_RETURN(uint64_t delta, in.Varint("slot delta"));
    slot += delta;
    if ((i > 0 && delta == 0) || slot >= kSlotCount) {
      return in.Error("slot numbers not strictly ascending within 0-16383");
    }
    SK_ASSIGN_OR_RETURN(stats.keys[slot], in.Varint("slot keys"));
    SK_ASSIGN_OR_RETURN(stats.bytes[slot], in.Varint("slot bytes"));
  }
  if (!in.AtEnd()) return in.Error("bytes left over after the slot table");
  return stats;
}

}  // namespace shardkit::formats::native
