// shardkit inspect [--json [--no-slots]] [--top N] [--index-only] PATH
//
// Summarises one RDB file or native snapshot (recognised by its magic; see
// "Native snapshots" below for which figures come from its index and which
// from a scan). An RDB file is read in one raw pass (values are delimited, not
// decoded): AUX fields, keys per db and per type, bytes per type, keys with
// an expiry, the N largest keys (a bounded min-heap: memory O(N)), and how
// record bytes spread over the 16384 cluster hash slots (text: min/median/
// max and a 16-bucket histogram of 1024-slot ranges; JSON: the full array).
// Text on stderr, --json one object on stdout. Exit codes as verify.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <vector>

#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_reader.h"
#include "loader/enterprise_layout.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/input_files.h"
#include "tools/native_cli.h"

namespace shardkit::tools {
namespace {

namespace rdb = formats::rdb;

struct InspectArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool index_only = false;
  bool no_slots = false;  // --json without the two 16384-entry arrays
  int top = 10;
};

struct Counts {
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t expires = 0;
};

struct BigKey {
  uint64_t bytes;
  uint64_t db;
  std::string key;
  std::string type;       // RDB: the type name
  uint8_t type_byte = 0;  // native: named when rendered (the source's magic)
  bool operator>(const BigKey& o) const { return bytes > o.bytes; }
};

// The N largest keys seen: a bounded min-heap, memory O(N).
class LargestKeys {
 public:
  explicit LargestKeys(size_t top) : top_(top) {}
  void Offer(uint64_t bytes, uint64_t db, std::string_view key, const std::string& type,
             uint8_t type_byte = 0) {
    if (top_ == 0 || (heap_.size() >= top_ && bytes <= heap_.top().bytes)) return;
    heap_.push(BigKey{bytes, db, std::string(key), type, type_byte});
    if (heap_.size() > top_) heap_.pop();
  }
  // Largest first.
  std::vector<BigKey> Sorted() const {
    auto heap = heap_;
    std::vector<BigKey> out;
    while (!heap.empty()) {
      out.push_back(heap.top());
      heap.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  size_t top_;
  std::priority_queue<BigKey, std::vector<BigKey>, std::greater<BigKey>> heap_;
};

// min, median, max of bytes over all 16384 slots.
template <typename Slots>
std::array<uint64_t, 3> SlotSpread(const Slots& slot_bytes) {
  std::vector<uint64_t> sorted(slot_bytes.begin(), slot_bytes.end());
  std::sort(sorted.begin(), sorted.end());
  return {sorted.front(), sorted[sorted.size() / 2], sorted.back()};
}

template <typename Slots>
void PrintSlotSpread(const Slots& slot_bytes) {
  const auto spread = SlotSpread(slot_bytes);
  std::fprintf(stderr, "  slot bytes: min %" PRIu64 ", median %" PRIu64 ", max %" PRIu64 "\n",
               spread[0], spread[1], spread[2]);
  std::array<uint64_t, 16> buckets{};
  for (int slot = 0; slot < formats::kSlotCount; ++slot) buckets[slot / 1024] += slot_bytes[slot];
  for (int b = 0; b < 16; ++b) {
    std::fprintf(stderr, "  slots %5d-%5d: %14" PRIu64 " bytes\n", b * 1024, b * 1024 + 1023,
                 buckets[b]);
  }
}

class InspectVisitor final : public rdb::RdbVisitor {
 public:
  InspectVisitor(size_t top, rdb::Producer layout) : layout_(layout), largest_(top) {
    slot_bytes_.fill(0);
    slot_keys_.fill(0);
  }

  Status OnHeader(const rdb::RdbHeader& h) override {
    header_ = h;
    return Status();
  }
  Status OnAux(std::string_view k, std::string_view v) override {
    aux_.emplace_back(std::string(k), std::string(v));
    if (rdb::IsEnterpriseAuxKey(k)) {
      enterprise_fields_.push_back({db_, std::string(k), std::string(v)});
    }
    return Status();
  }
  Status OnSelectDb(uint64_t db) override {
    db_ = static_cast<int64_t>(db);
    return Status();
  }
  Status OnEnterpriseOpcode(uint8_t opcode, uint64_t /*value*/) override {
    ++(opcode == rdb::kOpEnterpriseRamLru ? ram_lru_records_ : slot_num_records_);
    return Status();
  }
  Status OnFunction(std::string_view) override {
    ++functions_;
    return Status();
  }
  Status OnModuleAux(uint64_t id, std::string_view raw) override {
    module_aux_[rdb::ModuleIdName(id)] += raw.size() + 1;
    return Status();
  }
  Status OnEntry(const rdb::RdbEntry& e) override {
    const uint64_t bytes = e.value_offset + e.value_bytes - e.record_offset;
    const std::string type = rdb::TypeName(e.type, header_.magic);
    Add(&per_db_[e.db], bytes, e.expire_ms.has_value());
    Add(&per_type_[type], bytes, e.expire_ms.has_value());
    Add(&total_, bytes, e.expire_ms.has_value());
    const uint16_t slot = e.HashSlot();
    slot_bytes_[slot] += bytes;
    ++slot_keys_[slot];
    if (!e.module_name.empty()) ++modules_[e.module_name];
    largest_.Offer(bytes, e.db, e.key, type);
    return Status();
  }

  nlohmann::json ToJson(const rdb::RdbSummary* summary, const Status& error,
                        bool with_slots) const;
  void PrintText(const std::string& path, const rdb::RdbSummary* summary,
                 const Status& error) const;

 private:
  static void Add(Counts* c, uint64_t bytes, bool expires) {
    ++c->keys;
    c->bytes += bytes;
    c->expires += expires ? 1 : 0;
  }
  // Redis Enterprise (SPEC.md "Enterprise volumes"): what said the file is
  // Enterprise's, its own AUX fields (db -1: before any SELECTDB) and opcodes.
  struct EnterpriseField {
    int64_t db;
    std::string key, value;
  };
  bool IsEnterprise(const rdb::RdbSummary* summary) const {
    if (summary != nullptr) return summary->vendor == rdb::Producer::kRedisEnterprise;
    return layout_ == rdb::Producer::kRedisEnterprise || !enterprise_fields_.empty();
  }
  std::string EnterpriseNamedBy(const rdb::RdbSummary* summary) const;
  nlohmann::json EnterpriseJson(const rdb::RdbSummary* summary) const;
  void PrintEnterpriseText(const rdb::RdbSummary* summary) const;
  rdb::Producer layout_;
  int64_t db_ = -1;
  std::vector<EnterpriseField> enterprise_fields_;
  uint64_t ram_lru_records_ = 0;
  uint64_t slot_num_records_ = 0;
  rdb::RdbHeader header_;
  std::vector<std::pair<std::string, std::string>> aux_;
  uint64_t functions_ = 0;
  std::map<std::string, uint64_t> module_aux_;
  std::map<std::string, uint64_t> modules_;
  std::map<uint64_t, Counts> per_db_;
  std::map<std::string, Counts> per_type_;
  Counts total_;
  std::array<uint64_t, formats::kSlotCount> slot_bytes_;
  std::array<uint32_t, formats::kSlotCount> slot_keys_;
  LargestKeys largest_;
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xc2) return 0;  // overlong
  return n;
}

// Keys and AUX values are binary-safe; JSON strings must be UTF-8. Valid
// UTF-8 passes unchanged; any other byte becomes the text \xNN (and a
// backslash becomes \\ so the form stays unambiguous).
std::string JsonText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n > 0 && s[i] != '\\') {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    if (s[i] == '\\') {
      out += "\\\\";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
    }
    ++i;
  }
  return out;
}

nlohmann::json CountsJson(const Counts& c) {
  return {{"keys", c.keys}, {"bytes", c.bytes}, {"expires", c.expires}};
}

std::string InspectVisitor::EnterpriseNamedBy(const rdb::RdbSummary* summary) const {
  if (summary != nullptr) {
    const std::string& by = summary->vendor_named_by;
    return rdb::IsEnterpriseAuxKey(by) ? "AUX " + by : "found in " + by;
  }
  return layout_ == rdb::Producer::kRedisEnterprise ? "found in an Enterprise layout"
                                                    : "AUX " + enterprise_fields_[0].key;
}

// null for a file that is not Enterprise's.
nlohmann::json InspectVisitor::EnterpriseJson(const rdb::RdbSummary* summary) const {
  if (!IsEnterprise(summary)) return nullptr;
  nlohmann::json fields = nlohmann::json::array();
  for (const EnterpriseField& f : enterprise_fields_) {
    fields.push_back({{"key", f.key},
                      {"value", JsonText(f.value)},
                      {"db", f.db < 0 ? nlohmann::json(nullptr) : nlohmann::json(f.db)}});
  }
  return {{"named_by", EnterpriseNamedBy(summary)},
          {"ram_lru_records", ram_lru_records_},
          {"slot_num_records", slot_num_records_},
          {"fields", fields}};
}

void InspectVisitor::PrintEnterpriseText(const rdb::RdbSummary* summary) const {
  if (!IsEnterprise(summary)) return;
  std::fprintf(stderr, "Redis Enterprise shard file (%s): %" PRIu64 " RAM_LRU, %" PRIu64
                       " SLOT_NUM records (read, never written to outputs)\n",
               EnterpriseNamedBy(summary).c_str(), ram_lru_records_, slot_num_records_);
  for (const EnterpriseField& f : enterprise_fields_) {
    std::fprintf(stderr, "  RE field %s%s = %s\n", f.key.c_str(),
                 f.db < 0 ? "" : (" (db " + std::to_string(f.db) + ")").c_str(),
                 JsonText(f.value).c_str());
  }
}

nlohmann::json InspectVisitor::ToJson(const rdb::RdbSummary* summary, const Status& error,
                                      bool with_slots) const {
  nlohmann::json j;
  j["ok"] = error.ok();
  j["format"] = "rdb";
  j["magic"] = header_.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
  j["version"] = header_.version;
  nlohmann::json aux = nlohmann::json::array();
  for (const auto& [k, v] : aux_) {
    aux.push_back({{"key", JsonText(k)}, {"value", JsonText(v)}});
  }
  j["aux"] = aux;
  j["producer"] = IsEnterprise(summary) ? "Redis Enterprise"
                  : summary != nullptr  ? std::string(rdb::ProducerName(summary->vendor))
                                        : "Redis";
  j["enterprise"] = EnterpriseJson(summary);
  j["functions"] = functions_;
  j["total"] = CountsJson(total_);
  nlohmann::json dbs = nlohmann::json::object();
  for (const auto& [db, c] : per_db_) dbs[std::to_string(db)] = CountsJson(c);
  j["dbs"] = dbs;
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [t, c] : per_type_) types[t] = CountsJson(c);
  j["types"] = types;
  j["modules"] = modules_;  // names from ModuleIdName: [A-Za-z0-9_-]
  j["module_aux_bytes"] = module_aux_;
  nlohmann::json big = nlohmann::json::array();
  for (const auto& k : largest_.Sorted()) {
    big.push_back({{"key", JsonText(k.key)},
                   {"db", k.db},
                   {"type", k.type},
                   {"bytes", k.bytes},
                   {"slot", formats::KeyHashSlot(k.key)}});
  }
  j["largest"] = big;
  auto stats = SlotSpread(slot_bytes_);
  j["slot_bytes_min"] = stats[0];
  j["slot_bytes_median"] = stats[1];
  j["slot_bytes_max"] = stats[2];
  if (with_slots) {
    j["slot_bytes"] = slot_bytes_;
    j["slot_keys"] = slot_keys_;
  }
  if (summary != nullptr) {
    j["crc"] = std::string(rdb::CrcStatusName(summary->crc));
    j["end_offset"] = summary->end_offset;
  }
  j["error"] = error.ok() ? nlohmann::json(nullptr) : nlohmann::json(JsonText(error.ToString()));
  return j;
}

void InspectVisitor::PrintText(const std::string& path, const rdb::RdbSummary* summary,
                               const Status& error) const {
  std::fprintf(stderr,
               "%s: %s, %" PRIu64 " keys, %" PRIu64 " record bytes, %" PRIu64 " with expiry%s%s\n",
               path.c_str(), rdb::DescribeVersion(header_).c_str(), total_.keys, total_.bytes,
               total_.expires, summary ? ", crc " : "",
               summary ? std::string(rdb::CrcStatusName(summary->crc)).c_str() : "");
  for (const auto& [k, v] : aux_) {
    std::fprintf(stderr, "  aux %s = %s\n", k.c_str(), v.substr(0, 80).c_str());
  }
  PrintEnterpriseText(summary);
  if (functions_ > 0) std::fprintf(stderr, "  %" PRIu64 " function libraries\n", functions_);
  for (const auto& [db, c] : per_db_) {
    std::fprintf(stderr,
                 "  db %" PRIu64 ": %" PRIu64 " keys, %" PRIu64 " bytes, %" PRIu64 " expires\n", db,
                 c.keys, c.bytes, c.expires);
  }
  for (const auto& [t, c] : per_type_) {
    std::fprintf(stderr, "  type %-20s %10" PRIu64 " keys %14" PRIu64 " bytes\n", t.c_str(), c.keys,
                 c.bytes);
  }
  for (const auto& [m, n] : modules_) {
    std::fprintf(stderr, "  module %s: %" PRIu64 " values (carried raw)\n", m.c_str(), n);
  }
  for (const auto& k : largest_.Sorted()) {
    std::fprintf(stderr, "  large key db %" PRIu64 " %-20s %12" PRIu64 " bytes  %s\n", k.db,
                 k.type.c_str(), k.bytes, k.key.substr(0, 80).c_str());
  }
  PrintSlotSpread(slot_bytes_);
  if (!error.ok()) std::fprintf(stderr, "ERROR %s\n", error.ToString().c_str());
}

// Native snapshots. Which figure comes from where (also in the output):
//   index:            keys and entry bytes, in total and per db; blocks;
//   slot-stats block: keys and bytes per hash slot (an even spread of each
//                     block's figures over its slot range if it is damaged);
//   header + meta:    AUX fields, function libraries, MODULE_AUX records;
//   scan:             keys and bytes per type, keys with an expiry, the
//                     largest keys (every key block read, checksums
//                     verified; skipped with --index-only).
// Bytes are the entries' bytes in the block payloads (what the slot table
// counts), which track the RDB record bytes closely.
class NativeScanTally {
 public:
  explicit NativeScanTally(size_t top) : largest_(top) {}
  void Add(const rdb::RdbEntry& e, uint64_t bytes) {
    const bool expires = e.expire_ms.has_value();
    Counts& t = per_type_byte_[e.type];
    ++t.keys;
    t.bytes += bytes;
    t.expires += expires ? 1 : 0;
    if (expires) {
      ++per_db_expires_[e.db];
      ++expires_;
    }
    largest_.Offer(bytes, e.db, e.key, "", e.type);
  }
  // Type names depend on the source's magic (Valkey numbers some apart).
  std::map<std::string, Counts> PerType(rdb::Magic magic) const {
    std::map<std::string, Counts> out;
    for (size_t type = 0; type < per_type_byte_.size(); ++type) {
      const Counts& c = per_type_byte_[type];
      if (c.keys == 0) continue;
      Counts& o = out[rdb::TypeName(static_cast<uint8_t>(type), magic)];
      o.keys += c.keys;
      o.bytes += c.bytes;
      o.expires += c.expires;
    }
    return out;
  }
  uint64_t expires() const { return expires_; }
  uint64_t db_expires(uint64_t db) const {
    auto it = per_db_expires_.find(db);
    return it == per_db_expires_.end() ? 0 : it->second;
  }
  std::vector<BigKey> Largest(rdb::Magic magic) const {
    std::vector<BigKey> keys = largest_.Sorted();
    for (BigKey& k : keys) k.type = rdb::TypeName(k.type_byte, magic);
    return keys;
  }

 private:
  std::array<Counts, 256> per_type_byte_{};
  std::map<uint64_t, uint64_t> per_db_expires_;
  uint64_t expires_ = 0;
  LargestKeys largest_;
};

// AUX fields in source order: the header's, then any written after the keys.
std::vector<std::pair<std::string, std::string>> NativeAux(const NativeInspectReport& r) {
  auto aux = r.header.aux;
  for (const auto& m : r.meta) {
    if (m.kind == formats::native::MetaKind::kAux) aux.emplace_back(m.a, m.b);
  }
  return aux;
}

uint64_t NativeFunctions(const NativeInspectReport& r) {
  return static_cast<uint64_t>(std::count_if(r.meta.begin(), r.meta.end(), [](const auto& m) {
    return m.kind == formats::native::MetaKind::kFunction;
  }));
}

nlohmann::json NativeSources(const NativeInspectReport& r) {
  const nlohmann::json scan = r.scanned ? nlohmann::json("scan") : nlohmann::json(nullptr);
  return {{"total.keys", "index"},
          {"total.bytes", "index"},
          {"total.expires", scan},
          {"dbs.keys", "index"},
          {"dbs.bytes", "index"},
          {"dbs.expires", scan},
          {"types", scan},
          {"largest", scan},
          {"slot_keys", r.slots_estimated ? "index estimate" : "slot-stats block"},
          {"slot_bytes", r.slots_estimated ? "index estimate" : "slot-stats block"},
          {"aux", "header and meta block"},
          {"functions", "meta block"}};
}

nlohmann::json NativeToJson(const NativeInspectReport& r, const NativeScanTally& scan,
                            const Status& error, bool with_slots) {
  auto counts = [&](uint64_t keys, uint64_t bytes, uint64_t expires) {
    return nlohmann::json{{"keys", keys},
                          {"bytes", bytes},
                          {"expires", r.scanned ? nlohmann::json(expires) : nullptr}};
  };
  nlohmann::json j;
  j["ok"] = error.ok();
  j["format"] = "native";
  j["magic"] = r.header.rdb.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
  j["version"] = r.header.rdb.version;
  nlohmann::json aux = nlohmann::json::array();
  for (const auto& [k, v] : NativeAux(r)) {
    aux.push_back({{"key", JsonText(k)}, {"value", JsonText(v)}});
  }
  j["aux"] = aux;
  j["functions"] = NativeFunctions(r);
  j["total"] = counts(r.keys, r.raw_bytes, scan.expires());
  nlohmann::json dbs = nlohmann::json::object();
  for (const auto& [db, figures] : r.per_db) {
    dbs[std::to_string(db)] = counts(figures.first, figures.second, scan.db_expires(db));
  }
  j["dbs"] = dbs;
  nlohmann::json types = r.scanned ? nlohmann::json::object() : nlohmann::json(nullptr);
  for (const auto& [t, c] : scan.PerType(r.header.rdb.magic)) types[t] = CountsJson(c);
  j["types"] = types;
  j["modules"] = nlohmann::json::object();
  nlohmann::json big = r.scanned ? nlohmann::json::array() : nlohmann::json(nullptr);
  for (const auto& k : scan.Largest(r.header.rdb.magic)) {
    big.push_back({{"key", JsonText(k.key)},
                   {"db", k.db},
                   {"type", k.type},
                   {"bytes", k.bytes},
                   {"slot", formats::KeyHashSlot(k.key)}});
  }
  j["largest"] = big;
  const auto spread = SlotSpread(r.slots.bytes);
  j["slot_bytes_min"] = spread[0];
  j["slot_bytes_median"] = spread[1];
  j["slot_bytes_max"] = spread[2];
  if (with_slots) {
    j["slot_bytes"] = r.slots.bytes;
    j["slot_keys"] = r.slots.keys;
  }
  j["crc"] = "n/a";
  j["sources"] = NativeSources(r);
  nlohmann::json n = NativeInspectJson(r, /*with_blocks=*/false);
  j["native"] = {{"format_version", r.header.format_version},
                 {"producer", r.header.producer},
                 {"file_bytes", r.file_bytes},
                 {"blocks", r.blocks},
                 {"key_blocks", r.key_blocks},
                 {"raw_bytes", r.raw_bytes},
                 {"stored_bytes", r.stored_bytes},
                 {"lz4_ratio", n["lz4_ratio"]},
                 {"slots_estimated", r.slots_estimated},
                 {"slots_covered", std::count_if(r.slots.keys.begin(), r.slots.keys.end(),
                                                 [](uint64_t k) { return k > 0; })},
                 {"blocks_scanned", r.scanned ? nlohmann::json(r.blocks_scanned) : nullptr},
                 {"damaged_blocks", r.scan_errors.size()}};
  j["error"] = error.ok() ? nlohmann::json(nullptr) : nlohmann::json(JsonText(error.ToString()));
  return j;
}

void NativePrintText(const NativeInspectReport& r, const NativeScanTally& scan,
                     const Status& error) {
  std::fprintf(stderr,
               "%s: native v%u from %s, %" PRIu64 " keys, %" PRIu64 " entry bytes%s; %" PRIu64
               " blocks (%" PRIu64 " key blocks), %" PRIu64 " file bytes, LZ4 %.2fx\n",
               r.path.c_str(), r.header.format_version, rdb::DescribeVersion(r.header.rdb).c_str(),
               r.keys, r.raw_bytes,
               r.scanned ? (", " + std::to_string(scan.expires()) + " with expiry").c_str() : "",
               r.blocks, r.key_blocks, r.file_bytes,
               r.stored_bytes == 0 ? 1.0 : double(r.raw_bytes) / double(r.stored_bytes));
  std::fprintf(
      stderr,
      "  from the index: keys, bytes and keys per db; from the %s: per-slot "
      "figures; %s\n",
      r.slots_estimated ? "index (estimate: slot-stats block damaged)" : "slot-stats block",
      r.scanned ? ("from a scan of " + std::to_string(r.blocks_scanned) +
                   " key blocks: types, expiries, largest keys")
                      .c_str()
                : "no scan (--index-only): types, expiries and largest keys not read");
  for (const auto& [k, v] : NativeAux(r)) {
    std::fprintf(stderr, "  aux %s = %s\n", k.c_str(), v.substr(0, 80).c_str());
  }
  const uint64_t functions = NativeFunctions(r);
  if (functions > 0) std::fprintf(stderr, "  %" PRIu64 " function libraries\n", functions);
  for (const auto& [db, figures] : r.per_db) {
    std::fprintf(stderr, "  db %u: %" PRIu64 " keys, %" PRIu64 " bytes", db, figures.first,
                 figures.second);
    if (r.scanned) std::fprintf(stderr, ", %" PRIu64 " expires", scan.db_expires(db));
    std::fprintf(stderr, "\n");
  }
  for (const auto& [t, c] : scan.PerType(r.header.rdb.magic)) {
    std::fprintf(stderr, "  type %-20s %10" PRIu64 " keys %14" PRIu64 " bytes\n", t.c_str(), c.keys,
                 c.bytes);
  }
  for (const auto& k : scan.Largest(r.header.rdb.magic)) {
    std::fprintf(stderr, "  large key db %" PRIu64 " %-20s %12" PRIu64 " bytes  %s\n", k.db,
                 k.type.c_str(), k.bytes, k.key.substr(0, 80).c_str());
  }
  PrintSlotSpread(r.slots.bytes);
  for (size_t i = 1; i < r.scan_errors.size(); ++i) {
    std::fprintf(stderr, "  also damaged: %s\n", r.scan_errors[i].ToString().c_str());
  }
  if (!error.ok()) std::fprintf(stderr, "ERROR %s\n", error.ToString().c_str());
}

// One input that could not be read at all: the message on stderr and, with
// --json, a line saying so, so that every path gets exactly one JSON line.
int ReportInputError(const InspectArgs& args, const std::string& path, const Status& status) {
  if (args.json) {
    nlohmann::json j;
    j["path"] = JsonText(path);
    j["ok"] = false;
    j["error"] = JsonText(status.ToString());
    std::cout << j.dump() << std::endl;
  }
  return ReportError("inspect", status);
}

int InspectNative(const InspectArgs& args, const std::string& path,
                  const storage::IoOptions& io) {
  NativeScanTally tally(static_cast<size_t>(args.top));
  const NativeEntryFn add = [&tally](const rdb::RdbEntry& e, uint64_t bytes) {
    tally.Add(e, bytes);
  };
  Result<NativeInspectReport> report =
      InspectNativePath(path, io, args.index_only ? nullptr : &add);
  if (!report.ok()) return ReportInputError(args, path, report.status());
  const Status error = NativeInspectError(*report);
  if (args.json) {
    nlohmann::json j = NativeToJson(*report, tally, error, !args.no_slots);
    j["path"] = JsonText(path);
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    NativePrintText(*report, tally, error);
  }
  return ExitCodeFor(error);
}

int InspectOne(const InspectArgs& args, const std::string& path, const storage::IoOptions& io) {
  auto is_native = IsNativePath(path);
  if (!is_native.ok()) return ReportInputError(args, path, is_native.status());
  if (*is_native) return InspectNative(args, path, io);
  auto format = DetectInputFormat(path);
  if (!format.ok()) return ReportInputError(args, path, format.status());
  if (*format != InputFormat::kRdb) {
    return ReportInputError(
        args, path,
        Status::NotSupported(path + ": " + std::string(InputFormatName(*format)) +
                             " input: inspect reads RDB files and native snapshots"));
  }
  auto source = OpenInput(path, io);
  if (!source.ok()) return ReportInputError(args, path, source.status());
  rdb::RdbReadOptions options;
  options.layout = loader::LayoutProducerOf(path);
  InspectVisitor visitor(static_cast<size_t>(args.top), options.layout);
  auto summary = rdb::ReadRdb(source->get(), options, &visitor);
  const Status error = summary.ok() ? Status() : summary.status();
  const rdb::RdbSummary* s = summary.ok() ? &*summary : nullptr;
  if (args.json) {
    nlohmann::json j = visitor.ToJson(s, error, !args.no_slots);
    j["path"] = JsonText(path);
    std::cout << j.dump() << std::endl;
  } else {
    visitor.PrintText(path, s, error);
  }
  return ExitCodeFor(error);
}

// Paths one after another, in the order given: one process for many files
// (an operator's `inspect /vol/*.rdb`; the corpus tests' hundreds of files).
int Run(const InspectArgs& args, const CommandEnv& env) {
  const storage::IoOptions io = IoOptionsFor(env);
  InputsExitCode code;
  for (const std::string& path : args.paths) code.Add(InspectOne(args, path, io));
  return code.code();
}

void AddInspect(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Summarise an RDB file or a native snapshot: aux fields, keys and bytes per "
      "db/type, largest keys, bytes per hash slot");
  cmd->add_option("paths", args->paths, "RDB files or native snapshots (*.skn), in turn")
      ->required();
  cmd->add_flag("--index-only", args->index_only,
                "Native snapshots: read only the header, index, slot-stats and meta blocks "
                "(no types, expiries or largest keys)");
  cmd->add_flag("--json", args->json,
                "One JSON object per path on stdout (JSON Lines; each has all 16384 slots)");
  cmd->add_flag("--no-slots", args->no_slots,
                "With --json: leave out slot_bytes and slot_keys (16384 numbers each; "
                "their min, median and max stay), for summaries of many files")
      ->needs("--json");
  cmd->add_option("--top", args->top, "How many of the largest keys to list (default 10)")
      ->check(CLI::Range(0, 100000));
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(inspect, AddInspect);

}  // namespace shardkit::tools
