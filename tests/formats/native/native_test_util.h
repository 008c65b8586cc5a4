// Helpers for the native format tests: synthetic RDB entries, a native file
// built in memory, and a full read-back keyed by (db, key).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/random_access_source.h"
#include "formats/native/native_reader.h"
#include "formats/native/native_writer.h"
#include "formats/rdb/rdb_primitives.h"

namespace shardkit::formats::native::testing {

// A string-typed entry whose value is the RDB string encoding of `text`.
inline rdb::RdbEntry StringEntry(uint64_t db, std::string key, const std::string& text) {
  rdb::RdbEntry e;
  e.db = db;
  e.key = std::move(key);
  e.type = rdb::kTypeString;
  rdb::AppendString(&e.value, text);
  return e;
}

// `count` entries over `dbs` dbs, some with expiry / LRU / LFU / key_meta,
// values of varied size and compressibility. Deterministic for a seed.
inline std::vector<rdb::RdbEntry> MakeEntries(size_t count, uint64_t dbs, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<rdb::RdbEntry> out;
  for (size_t i = 0; i < count; ++i) {
    std::string text;
    const size_t len = rng() % 300;
    for (size_t j = 0; j < len; ++j) {
      text.push_back(static_cast<char>(i % 3 == 0 ? 'a' + rng() % 26 : 'x'));
    }
    rdb::RdbEntry e = StringEntry(rng() % dbs, "key:" + std::to_string(i), text);
    if (i % 5 == 0) e.expire_ms = 1'700'000'000'000 + static_cast<int64_t>(i);
    if (i % 7 == 0) e.lru_idle_s = i * 3;
    if (i % 11 == 0) e.lfu_freq = static_cast<uint8_t>(i);
    if (i % 13 == 0) e.key_meta = std::string("\x01\x02meta", 6);
    out.push_back(std::move(e));
  }
  return out;
}

struct Built {
  std::string bytes;
  NativeWriteStats stats;
};

inline Result<Built> BuildNative(const std::vector<rdb::RdbEntry>& entries,
                                 const NativeWriterOptions& options, FileHeader header = {}) {
  StringSink sink("test.skn");
  if (header.rdb.version == 0) header.rdb.version = 11;
  SK_ASSIGN_OR_RETURN(auto writer, NativeWriter::Create(&sink, std::move(header), options));
  for (const auto& e : entries) SK_RETURN_IF_ERROR(writer->AddEntry(e));
  SK_RETURN_IF_ERROR(writer->Finish());
  return Built{sink.data(), writer->stats()};
}

struct EntryFields {
  uint8_t type = 0;
  std::optional<int64_t> expire_ms;
  std::optional<uint64_t> lru_idle_s;
  std::optional<uint8_t> lfu_freq;
  std::string key_meta;
  std::string value;
  bool operator==(const EntryFields&) const = default;
};
using EntryMap = std::map<std::pair<uint64_t, std::string>, EntryFields>;

// Short gtest printing (the default dumps raw object bytes).
inline void PrintTo(const EntryFields& f, std::ostream* os) {
  *os << "{type " << int{f.type} << ", expire " << f.expire_ms.value_or(-1) << ", lru "
      << (f.lru_idle_s ? std::to_string(*f.lru_idle_s) : "-") << ", lfu "
      << (f.lfu_freq ? std::to_string(*f.lfu_freq) : "-") << ", meta " << f.key_meta.size()
      << "B, value " << f.value.size() << "B}";
}

inline EntryFields FieldsOf(const rdb::RdbEntry& e) {
  return {e.type, e.expire_ms, e.lru_idle_s, e.lfu_freq, e.key_meta, e.value};
}

inline EntryMap ToMap(const std::vector<rdb::RdbEntry>& entries) {
  EntryMap m;
  for (const auto& e : entries) m[{e.db, e.key}] = FieldsOf(e);
  return m;
}

// Every entry of the given key blocks.
inline Result<EntryMap> ReadBlocks(const NativeReader& reader,
                                   const std::vector<uint32_t>& blocks) {
  EntryMap m;
  for (uint32_t n : blocks) {
    SK_RETURN_IF_ERROR(reader.ForEachEntry(n, [&](const rdb::RdbEntry& e) {
      m[{e.db, e.key}] = FieldsOf(e);
      return Status();
    }));
  }
  return m;
}

}  // namespace shardkit::formats::native::testing
