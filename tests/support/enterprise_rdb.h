// MakeEnterpriseRdb: turns an RDB written by a real (open-source) redis-server
// into a Redis Enterprise-style shard file, the way the public record says
// Enterprise writes them (SPEC.md "Enterprise volumes"; corpus
// redis__librdb/redis_ent_opcode_ram_lru.rdb): Enterprise AUX fields
// (big-used-ram, big-used-disk, big-ram-overhead, big-used-data) after the
// header or after the first key, bigdb-ram-keys/bigdb-disk-keys before each
// db's first key, opcode 107 (RAM_LRU) and 121 (SLOT_NUM, the key's hash
// slot) before each key's type byte, and the CRC-64 recomputed. No Enterprise
// server is involved: these are test inputs built from documented facts.
//
// Header-only because it uses the RDB reader, which the base test-support
// library does not link; include it only from test binaries that link
// shardkit_rdb. Errors: the reader's, for input that is not a sound RDB >= 5.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/crc64.h"
#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::testing {

struct EnterpriseRdbOptions {
  bool aux_fields = true;           // the big-* AUX fields
  bool aux_after_first_key = false;  // big-* after the first key record, not after the header
  bool db_aux_fields = true;        // bigdb-* before each db's first key
  bool ram_lru = true;              // 107 <idle> before every key
  bool slot_num = true;             // 121 <slot> before every key
};

namespace enterprise_rdb_internal {

// Where each key record starts and ends, and its db and slot.
class RecordOffsets final : public formats::rdb::RdbVisitor {
 public:
  struct Record {
    uint64_t begin = 0, end = 0, type_at = 0, db = 0;
    uint16_t slot = 0;
  };
  Status OnEntry(const formats::rdb::RdbEntry& e) override {
    Record r;
    r.begin = e.record_offset;
    r.end = e.value_offset + e.value_bytes;
    // The type byte sits right before the key string: value_offset minus the
    // key's encoded length minus 1.
    std::string encoded_key;
    formats::rdb::AppendString(&encoded_key, e.key);
    r.type_at = e.value_offset - encoded_key.size() - 1;
    r.db = e.db;
    r.slot = formats::KeyHashSlot(e.key);
    records.push_back(r);
    return Status();
  }
  std::vector<Record> records;
};

inline std::string Aux(const std::string& key, const std::string& value) {
  std::string out(1, static_cast<char>(formats::rdb::kOpAux));
  formats::rdb::AppendString(&out, key);
  formats::rdb::AppendString(&out, value);
  return out;
}

}  // namespace enterprise_rdb_internal

// REQUIRES: `oss_rdb` is a sound RDB >= 5 whose strings are not LZF-encoded
// keys (redis-server never compresses keys shorter than 20 bytes; tests use
// short keys), so the type byte's offset is recomputable.
inline Result<std::string> MakeEnterpriseRdb(const std::string& oss_rdb,
                                             const EnterpriseRdbOptions& options) {
  namespace rdb = formats::rdb;
  using enterprise_rdb_internal::Aux;
  enterprise_rdb_internal::RecordOffsets offsets;
  MemoryChunkSource source(AsBytes(oss_rdb), 1 << 20, "oss.rdb");
  SK_ASSIGN_OR_RETURN(rdb::RdbSummary summary, rdb::ReadRdb(&source, {}, &offsets));
  std::multimap<uint64_t, std::string> inserts;  // offset -> bytes, in insertion order
  const std::string big = Aux("big-used-ram", "1048576") + Aux("big-used-disk", "0") +
                          Aux("big-ram-overhead", "4096") + Aux("big-used-data", "0");
  if (options.aux_fields && (!options.aux_after_first_key || offsets.records.empty())) {
    inserts.emplace(rdb::kHeaderBytes, big);
  }
  std::map<uint64_t, uint64_t> keys_per_db;
  for (const auto& r : offsets.records) ++keys_per_db[r.db];
  bool first = true;
  uint64_t last_db = ~uint64_t{0};
  for (const auto& r : offsets.records) {
    if (options.db_aux_fields && r.db != last_db) {
      inserts.emplace(r.begin, Aux("bigdb-ram-keys", std::to_string(keys_per_db[r.db])) +
                                   Aux("bigdb-disk-keys", "0"));
    }
    last_db = r.db;
    std::string ops;
    if (options.slot_num) {
      ops.push_back(static_cast<char>(rdb::kOpEnterpriseSlotNum));
      rdb::AppendLength(&ops, r.slot);
    }
    if (options.ram_lru) {
      ops.push_back(static_cast<char>(rdb::kOpEnterpriseRamLru));
      rdb::AppendLength(&ops, 67 + r.slot % 100);
    }
    inserts.emplace(r.type_at, ops);
    if (first && options.aux_fields && options.aux_after_first_key) inserts.emplace(r.end, big);
    first = false;
  }
  std::string out;
  uint64_t at = 0;
  for (const auto& [offset, bytes] : inserts) {
    out.append(oss_rdb, at, offset - at);
    out += bytes;
    at = offset;
  }
  out.append(oss_rdb, at, summary.eof_offset + 1 - at);
  rdb::AppendU64Le(&out, formats::Crc64(0, AsBytes(out)));
  return out;
}

}  // namespace shardkit::testing
