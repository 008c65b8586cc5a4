// Stream values, types 15/19/21/26/27 (formats-reference.md §4.15, §5.6).
//
// Steps: (1) the radix-tree nodes: 16-byte master ID key + node listpack;
// (2) stream metadata (length, last ID, and from v2 first ID, max deleted ID,
// entries added); (3) consumer groups, each with its PEL and consumers (and
// from v5 the NACK list); (4) from v4 the IDMP producer table. Raw mode reads
// only what delimits the value (names and IDs are small and always read);
// deep mode also decodes every node listpack and runs the loader's checks:
// no duplicate node keys, groups, consumers or PEL
// IDs, every consumer PEL ID present in the group PEL and owned once, every
// PEL entry owned unless it is in the NACK list.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "formats/encodings/listpack.h"
#include "formats/rdb/rdb_value_reader.h"

namespace shardkit::formats::rdb {

namespace {

constexpr int64_t kStreamFlagDeleted = 1;
constexpr int64_t kStreamFlagSameFields = 2;

StreamId DecodeRawId(std::string_view raw) {
  StreamId id;
  for (int i = 0; i < 8; ++i) id.ms = (id.ms << 8) | static_cast<uint8_t>(raw[i]);
  for (int i = 8; i < 16; ++i) id.seq = (id.seq << 8) | static_cast<uint8_t>(raw[i]);
  return id;
}

bool AsInt(const CompactEntry& e, int64_t* out) {
  if (e.is_integer) {
    *out = e.integer;
    return true;
  }
  // Stream writers store integers as integer entries; accept decimal strings too.
  if (e.str.empty() || e.str.size() > 20) return false;
  std::string s(e.str);
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

struct PelState {
  bool owned = false;
  bool nack = false;
};

}  // namespace

// Decodes one node listpack (§5.6) and reports its live entries.
Status ValueReader::DecodeStreamNode(std::string_view node_key, std::string_view blob,
                                     uint64_t blob_offset, uint64_t* live_entries) {
  Result<uint64_t> count = ValidateListpack(AsBytes(blob));
  if (!count.ok()) return BlobError(blob_offset, "stream node listpack", count.status());
  Result<ListpackIterator> it = ListpackIterator::Open(AsBytes(blob));
  if (!it.ok()) return BlobError(blob_offset, "stream node listpack", it.status());
  std::vector<CompactEntry> items;
  CompactEntry entry;
  for (;;) {
    Result<bool> more = it->Next(&entry);
    if (!more.ok()) return BlobError(blob_offset, "stream node listpack", more.status());
    if (!*more) break;
    items.push_back(entry);
  }
  auto bad = [&](const std::string& what) {
    return CorruptAt(blob_offset, "stream node listpack: " + what);
  };
  size_t pos = 0;
  auto next_int = [&](int64_t* v) { return pos < items.size() && AsInt(items[pos++], v); };
  int64_t live = 0, deleted = 0, master_fields = 0;
  if (!next_int(&live) || live <= 0) return bad("master entry count must be > 0");
  if (!next_int(&deleted) || deleted < 0) return bad("bad deleted count");
  if (!next_int(&master_fields) || master_fields < 0 ||
      static_cast<uint64_t>(master_fields) > items.size()) {
    return bad("bad master field count");
  }
  const size_t fields_at = pos;
  pos += static_cast<size_t>(master_fields);
  int64_t zero = -1;
  if (!next_int(&zero) || zero != 0) return bad("missing master entry terminator");
  const StreamId master = DecodeRawId(node_key);
  int64_t seen_live = 0, seen_deleted = 0;
  std::vector<std::string> rendered;
  std::vector<std::string_view> views;
  while (pos < items.size()) {
    const size_t start = pos;
    int64_t flags = 0, ms_delta = 0, seq_delta = 0, num_fields = master_fields;
    if (!next_int(&flags) || !next_int(&ms_delta) || !next_int(&seq_delta)) {
      return bad("truncated entry header");
    }
    const bool same = (flags & kStreamFlagSameFields) != 0;
    if (!same && (!next_int(&num_fields) || num_fields < 0)) return bad("bad entry field count");
    const size_t values = same ? static_cast<size_t>(num_fields) : 2 * static_cast<size_t>(num_fields);
    if (values > items.size() - pos) return bad("entry fields run past the node");
    rendered.clear();
    for (size_t i = 0; i < values; ++i) {
      if (same) rendered.push_back(items[fields_at + i].ToString());
      rendered.push_back(items[pos + i].ToString());
    }
    pos += values;
    int64_t lp_count = -1;
    if (!next_int(&lp_count) || lp_count != static_cast<int64_t>(pos - start - 1)) {
      return bad("entry lp-count does not match its elements");
    }
    if (flags & kStreamFlagDeleted) {
      ++seen_deleted;
      continue;
    }
    ++seen_live;
    views.assign(rendered.begin(), rendered.end());
    RdbElement e;
    e.kind = ElementKind::kStreamEntry;
    e.id = {master.ms + static_cast<uint64_t>(ms_delta), master.seq + static_cast<uint64_t>(seq_delta)};
    e.fields = views;
    SK_RETURN_IF_ERROR(Emit(e));
  }
  if (seen_live != live || seen_deleted != deleted) {
    return bad("master counts (" + std::to_string(live) + " live, " + std::to_string(deleted) +
               " deleted) differ from the entries (" + std::to_string(seen_live) + ", " +
               std::to_string(seen_deleted) + ")");
  }
  *live_entries += static_cast<uint64_t>(live);
  return Status();
}

Status ValueReader::ReadStream(uint8_t type) {
  std::string node_key, name, consumer;
  // (1) nodes.
  SK_ASSIGN_OR_RETURN(uint64_t nodes, Count("stream node count", 2));
  uint64_t live = 0;
  std::set<StreamId> node_ids;
  for (uint64_t i = 0; i < nodes; ++i) {
    const uint64_t key_at = in_.offset();
    SK_RETURN_IF_ERROR(StrAlways(&node_key));
    if (node_key.size() != 16) {
      return CorruptAt(key_at, "stream node key of " + std::to_string(node_key.size()) +
                                   " bytes (expected 16)");
    }
    const uint64_t blob_at = in_.offset();
    SK_RETURN_IF_ERROR(Str(&scratch_a_));
    if (!deep()) continue;
    if (!node_ids.insert(DecodeRawId(node_key)).second) {
      return CorruptAt(key_at, "duplicate stream node key");
    }
    SK_RETURN_IF_ERROR(DecodeStreamNode(node_key, scratch_a_, blob_at, &live));
  }
  // (2) metadata.
  RdbElement meta;
  meta.kind = ElementKind::kStreamMeta;
  SK_ASSIGN_OR_RETURN(meta.length, Len("stream length"));
  SK_ASSIGN_OR_RETURN(meta.last_id.ms, Len("stream last id"));
  SK_ASSIGN_OR_RETURN(meta.last_id.seq, Len("stream last id"));
  if (type >= kTypeStreamListpacks2) {
    SK_ASSIGN_OR_RETURN(meta.first_id.ms, Len("stream first id"));
    SK_ASSIGN_OR_RETURN(meta.first_id.seq, Len("stream first id"));
    SK_ASSIGN_OR_RETURN(meta.max_deleted_id.ms, Len("stream max deleted id"));
    SK_ASSIGN_OR_RETURN(meta.max_deleted_id.seq, Len("stream max deleted id"));
    SK_ASSIGN_OR_RETURN(meta.entries_added, Len("stream entries added"));
  } else {
    meta.entries_added = meta.length;
  }
  if (deep()) {
    // The stream length is NOT compared with the nodes' live counts: real
    // Redis 5/7 files disagree after XTRIM (corpus listpack-bug.rdb,
    // stream_listpacks_1.rdb, key "trim") and Redis loads them.
    meta.integer = live;
    SK_RETURN_IF_ERROR(Emit(meta));
  }
  // (3) consumer groups.
  SK_ASSIGN_OR_RETURN(uint64_t groups, Count("stream group count", 3));
  std::set<std::string> group_names;
  for (uint64_t g = 0; g < groups; ++g) {
    const uint64_t group_at = in_.offset();
    SK_RETURN_IF_ERROR(StrAlways(&name));
    RdbElement ge;
    ge.kind = ElementKind::kStreamGroup;
    SK_ASSIGN_OR_RETURN(ge.id.ms, Len("group last delivered id"));
    SK_ASSIGN_OR_RETURN(ge.id.seq, Len("group last delivered id"));
    if (type >= kTypeStreamListpacks2) {
      SK_ASSIGN_OR_RETURN(ge.entries_read, Len("group entries read"));
    }
    if (deep() && !group_names.insert(name).second) {
      return CorruptAt(group_at, "duplicate consumer group \"" + name.substr(0, 64) + "\"");
    }
    ge.a = name;
    if (deep()) SK_RETURN_IF_ERROR(Emit(ge));
    std::map<StreamId, PelState> pel;
    SK_ASSIGN_OR_RETURN(uint64_t pel_size, Count("group PEL size", 25));
    for (uint64_t p = 0; p < pel_size; ++p) {
      const uint64_t pel_at = in_.offset();
      SK_ASSIGN_OR_RETURN(ByteSpan raw, in_.Read(16));
      RdbElement pe;
      pe.kind = ElementKind::kStreamPending;
      pe.id = DecodeRawId(AsChars(raw));
      SK_ASSIGN_OR_RETURN(pe.delivery_time_ms, ReadI64Le(in_));
      SK_ASSIGN_OR_RETURN(pe.delivery_count, Len("PEL delivery count"));
      if (!deep()) continue;
      if (!pel.emplace(pe.id, PelState{}).second) return CorruptAt(pel_at, "duplicate PEL id");
      pe.a = name;
      SK_RETURN_IF_ERROR(Emit(pe));
    }
    SK_ASSIGN_OR_RETURN(uint64_t consumers, Count("group consumer count", 10));
    std::set<std::string> consumer_names;
    for (uint64_t c = 0; c < consumers; ++c) {
      const uint64_t consumer_at = in_.offset();
      SK_RETURN_IF_ERROR(StrAlways(&consumer));
      RdbElement ce;
      ce.kind = ElementKind::kStreamConsumer;
      SK_ASSIGN_OR_RETURN(ce.seen_time_ms, ReadI64Le(in_));
      ce.active_time_ms = ce.seen_time_ms;
      if (type >= kTypeStreamListpacks3) {
        SK_ASSIGN_OR_RETURN(ce.active_time_ms, ReadI64Le(in_));
      }
      if (deep() && !consumer_names.insert(consumer).second) {
        return CorruptAt(consumer_at, "duplicate consumer \"" + consumer.substr(0, 64) + "\"");
      }
      ce.a = name;
      ce.b = consumer;
      if (deep()) SK_RETURN_IF_ERROR(Emit(ce));
      SK_ASSIGN_OR_RETURN(uint64_t owned, Count("consumer PEL size", 16));
      for (uint64_t q = 0; q < owned; ++q) {
        const uint64_t id_at = in_.offset();
        SK_ASSIGN_OR_RETURN(ByteSpan raw, in_.Read(16));
        if (!deep()) continue;
        RdbElement cp;
        cp.kind = ElementKind::kStreamConsumerPending;
        cp.id = DecodeRawId(AsChars(raw));
        auto found = pel.find(cp.id);
        if (found == pel.end()) return CorruptAt(id_at, "consumer PEL id missing from the group PEL");
        if (found->second.owned) return CorruptAt(id_at, "PEL id owned by two consumers");
        found->second.owned = true;
        cp.a = name;
        cp.b = consumer;
        SK_RETURN_IF_ERROR(Emit(cp));
      }
    }
    if (type >= kTypeStreamListpacks5) {
      SK_ASSIGN_OR_RETURN(uint64_t nacks, Count("group NACK list size", 16));
      for (uint64_t k = 0; k < nacks; ++k) {
        SK_ASSIGN_OR_RETURN(ByteSpan raw, in_.Read(16));
        auto found = pel.find(DecodeRawId(AsChars(raw)));
        if (found != pel.end()) found->second.nack = true;
      }
    }
    if (deep()) {
      for (const auto& [id, state] : pel) {
        if (!state.owned && !state.nack) {
          return CorruptAt(group_at, "PEL entry " + std::to_string(id.ms) + "-" +
                                         std::to_string(id.seq) + " of group \"" +
                                         name.substr(0, 64) + "\" has no consumer");
        }
      }
    }
  }
  // (4) IDMP producers (v4+).
  if (type >= kTypeStreamListpacks4) {
    SK_RETURN_IF_ERROR(Len("IDMP duration"));
    SK_RETURN_IF_ERROR(Len("IDMP max entries"));
    SK_ASSIGN_OR_RETURN(uint64_t producers, Count("IDMP producer count", 2));
    for (uint64_t p = 0; p < producers; ++p) {
      SK_RETURN_IF_ERROR(Str(&scratch_b_));
      SK_ASSIGN_OR_RETURN(uint64_t iids, Count("IDMP id count", 3));
      for (uint64_t i = 0; i < iids; ++i) {
        SK_RETURN_IF_ERROR(Str(&scratch_b_));
        SK_RETURN_IF_ERROR(Len("IDMP stream id"));
        SK_RETURN_IF_ERROR(Len("IDMP stream id"));
      }
    }
    SK_RETURN_IF_ERROR(Len("IDMP iids added"));
    SK_RETURN_IF_ERROR(Len("IDMP iids duplicates"));
  }
  return Status();
}

}  // namespace shardkit::formats::rdb
