// MakeSeededRdb: a deterministic RDB file made without a live server, for
// tests that need the same bytes on every run (damage tests of
// `shardkit repair`: same seed => same file => same damage => same result).
//
// The dataset is drawn from a seeded std::mt19937_64 and written with
// shardkit's RdbWriter in the encodings a Redis of the chosen RDB version
// writes (formats-reference.md §4/§5):
//   version 10 (Redis 7.0): strings (plain, binary, int-encoded, LZF), hash
//     listpack (16) and hashtable (4), zset listpack (17) and skiplist (5),
//     set intset (11, 16/32/64-bit) and hashtable (2), list quicklist v2 (18,
//     packed listpack nodes, some LZF-compressed), stream v2 (19) with
//     groups, PEL and consumers;
//   version 9 (Redis 6.2): the same with ziplists (hash 13, zset 12,
//     quicklist v1 14 of ziplist nodes) and stream v1 (15).
// Keys are spread over dbs 0-15 (about half in db 0), each db with its
// RESIZEDB; some keys carry an expiry (in 2100, so a loading server keeps
// them), an LRU idle time or an LFU frequency. No functions or modules.
//
// Header-only: the test-support library links only base and encodings, and
// this needs the RDB writer (every test binary that includes it links rdb).
// Errors: RdbWriter's (none expected for these inputs).
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/listpack.h"
#include "formats/encodings/lzf.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_writer.h"

namespace shardkit::testing {

struct SeededRdbOptions {
  uint64_t seed = 1;
  size_t keys = 1500;
  int version = 10;  // 10 (Redis 7.0 encodings) or 9 (Redis 6.2 encodings)
};

namespace seeded_rdb_internal {

namespace rdb = formats::rdb;

inline std::string Len(uint64_t v) {
  std::string out;
  rdb::AppendLength(&out, v);
  return out;
}

// A string as Redis saves it with rdbcompression yes: int-encoded when it is
// a canonical int32, LZF when longer than 20 bytes and LZF saves > 4 bytes.
inline std::string Str(std::string_view s) {
  if (s.size() > 20) {
    std::string packed(s.size() - 4, '\0');
    const size_t n = formats::LzfCompress(
        AsBytes(s), MutableByteSpan(reinterpret_cast<std::byte*>(packed.data()), packed.size()));
    if (n != 0) {
      std::string out(1, static_cast<char>(0xC3));
      rdb::AppendLength(&out, n);
      rdb::AppendLength(&out, s.size());
      out.append(packed.data(), n);
      return out;
    }
  }
  std::string out;
  rdb::AppendString(&out, s);
  return out;
}

inline std::string U32Le(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

inline std::string U64Le(uint64_t v) {
  std::string out;
  rdb::AppendU64Le(&out, v);
  return out;
}

inline std::string RawId(uint64_t ms, uint64_t seq) {
  std::string out;
  for (uint64_t part : {ms, seq}) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((part >> (8 * i)) & 0xff));
  }
  return out;
}

inline bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  char* end = nullptr;
  const std::string copy(s);
  errno = 0;
  const long long x = std::strtoll(copy.c_str(), &end, 10);
  if (errno != 0 || end != copy.c_str() + copy.size()) return false;
  if (std::to_string(x) != copy) return false;
  *v = x;
  return true;
}

// A ziplist as Redis <= 6.2 builds it (formats-reference.md §5.1).
class ZiplistBuilder {
 public:
  void Append(std::string_view element) {
    std::string entry = PrevLen();
    int64_t v = 0;
    if (CanonicalInt(element, &v)) {
      AppendInt(&entry, v);
    } else if (element.size() <= 63) {
      entry.push_back(static_cast<char>(element.size()));
      entry.append(element);
    } else if (element.size() <= 16383) {
      entry.push_back(static_cast<char>(0x40 | (element.size() >> 8)));
      entry.push_back(static_cast<char>(element.size() & 0xff));
      entry.append(element);
    } else {
      entry.push_back(static_cast<char>(0x80));
      for (int i = 3; i >= 0; --i)
        entry.push_back(static_cast<char>((element.size() >> (8 * i)) & 0xff));
      entry.append(element);
    }
    tail_ = 10 + body_.size();
    prev_ = entry.size();
    body_ += entry;
    ++count_;
  }
  std::string Finish() const {
    std::string out = U32Le(static_cast<uint32_t>(11 + body_.size())) +
                      U32Le(static_cast<uint32_t>(count_ == 0 ? 10 : tail_));
    out.push_back(static_cast<char>(count_ & 0xff));
    out.push_back(static_cast<char>((count_ >> 8) & 0xff));
    return out + body_ + std::string(1, static_cast<char>(0xff));
  }

 private:
  std::string PrevLen() const {
    if (prev_ < 254) return std::string(1, static_cast<char>(prev_));
    return std::string(1, static_cast<char>(0xfe)) + U32Le(static_cast<uint32_t>(prev_));
  }
  static void AppendInt(std::string* out, int64_t v) {
    auto le = [&](int bytes) {
      for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    if (v >= 0 && v <= 12) {
      out->push_back(static_cast<char>(0xf1 + v));
    } else if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>(0xfe));
      le(1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xc0));
      le(2);
    } else if (v >= -(int64_t{1} << 23) && v < (int64_t{1} << 23)) {
      out->push_back(static_cast<char>(0xf0));
      le(3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(0xd0));
      le(4);
    } else {
      out->push_back(static_cast<char>(0xe0));
      le(8);
    }
  }
  std::string body_;
  size_t prev_ = 0;
  size_t tail_ = 10;
  size_t count_ = 0;
};

// A compact blob (listpack or ziplist) of `elements`.
inline std::string Compact(const std::vector<std::string>& elements, bool listpack) {
  if (listpack) {
    formats::ListpackBuilder lp;
    for (const auto& e : elements) lp.Append(e);
    return lp.Finish();
  }
  ZiplistBuilder zl;
  for (const auto& e : elements) zl.Append(e);
  return zl.Finish();
}

class Generator {
 public:
  Generator(const SeededRdbOptions& options) : o_(options), rng_(options.seed) {}

  uint64_t Below(uint64_t n) { return rng_() % n; }

  std::string Text(size_t min, size_t max, bool binary = false) {
    const size_t n = min + Below(max - min + 1);
    std::string s(n, 'a');
    for (char& c : s) c = binary ? static_cast<char>(rng_()) : static_cast<char>('a' + Below(26));
    return s;
  }
  std::string Compressible(size_t n) {
    const std::string unit = Text(3, 9);
    std::string s;
    while (s.size() < n) s += unit + std::to_string(Below(10));
    return s.substr(0, n);
  }
  std::string Element() {
    switch (Below(4)) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng_() >> Below(64)) * (Below(2) ? 1 : -1));
      case 1:
        return std::to_string(Below(100));
      default:
        return Text(1, 40);
    }
  }
  std::vector<std::string> Distinct(size_t n) {
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (size_t tries = 0; out.size() < n && tries < 10 * n + 10; ++tries) {
      std::string e = Element();
      if (seen.insert(e).second) out.push_back(std::move(e));
    }
    return out;
  }

  bool v10() const { return o_.version >= 10; }

  // One value: sets *type and returns the raw value bytes.
  std::string Value(uint8_t* type) {
    const uint64_t kind = Below(100);
    if (kind < 40) return StringValue(type);
    if (kind < 52) return HashValue(type, Below(4) != 0);
    if (kind < 64) return ZsetValue(type, Below(4) != 0);
    if (kind < 76) return SetValue(type);
    if (kind < 94) return ListValue(type);
    return StreamValue(type);
  }

  std::string StringValue(uint8_t* type) {
    *type = rdb::kTypeString;
    switch (Below(5)) {
      case 0:
        return Str(std::to_string(static_cast<int32_t>(rng_())));
      case 1:
        return Str(Text(0, 20, Below(2) == 0));
      case 2:
        return Str(Compressible(21 + Below(3000)));
      case 3:
        return Str(Text(21, 300, true));
      default:
        return Str(Text(1, 60));
    }
  }

  std::string HashValue(uint8_t* type, bool compact) {
    const size_t fields = compact ? 1 + Below(30) : 129 + Below(100);
    const std::vector<std::string> names = Distinct(fields);
    std::vector<std::string> flat;
    for (const auto& n : names) {
      flat.push_back(n);
      flat.push_back(Element());
    }
    if (compact) {
      *type = v10() ? rdb::kTypeHashListpack : rdb::kTypeHashZiplist;
      return Str(Compact(flat, v10()));
    }
    *type = rdb::kTypeHash;
    std::string out = Len(names.size());
    for (const auto& e : flat) out += Str(e);
    return out;
  }

  std::string ZsetValue(uint8_t* type, bool compact) {
    const std::vector<std::string> members = Distinct(compact ? 1 + Below(30) : 129 + Below(100));
    std::vector<std::pair<double, std::string>> sorted;
    for (const auto& m : members) {
      const double score = Below(3) == 0
                               ? static_cast<double>(Below(1000)) + 0.5
                               : static_cast<double>(static_cast<int64_t>(Below(2000)) - 1000);
      sorted.emplace_back(score, m);
    }
    std::sort(sorted.begin(), sorted.end());
    if (compact) {
      std::vector<std::string> flat;
      for (const auto& [score, m] : sorted) {
        flat.push_back(m);
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.17g", score);
        flat.push_back(buf);
      }
      *type = v10() ? rdb::kTypeZsetListpack : rdb::kTypeZsetZiplist;
      return Str(Compact(flat, v10()));
    }
    *type = rdb::kTypeZset2;
    std::string out = Len(sorted.size());
    for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
      out += Str(it->second);
      rdb::AppendBinaryDouble(&out, it->first);
    }
    return out;
  }

  std::string SetValue(uint8_t* type) {
    if (Below(2) == 0) {
      const int width = std::array<int, 3>{2, 4, 8}[Below(3)];
      const int64_t span = width == 2 ? 30000 : width == 4 ? 2000000000 : INT64_MAX / 2;
      std::set<int64_t> values;
      const size_t n = 1 + Below(60);
      // The widest value decides the width, as in Redis.
      values.insert(width == 2 ? 7 : width == 4 ? 40000 : int64_t{1} << 40);
      while (values.size() < n) values.insert(static_cast<int64_t>(rng_() % span) - span / 2);
      std::string blob = U32Le(width) + U32Le(static_cast<uint32_t>(values.size()));
      for (int64_t v : values) {
        for (int i = 0; i < width; ++i) blob.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
      }
      *type = rdb::kTypeSetIntset;
      return Str(blob);
    }
    const std::vector<std::string> members = Distinct(1 + Below(150));
    *type = rdb::kTypeSet;
    std::string out = Len(members.size());
    for (const auto& m : members) out += Str(m);
    return out;
  }

  std::string ListValue(uint8_t* type) {
    const size_t nodes = 1 + Below(3);
    std::string out = Len(nodes);
    for (size_t i = 0; i < nodes; ++i) {
      std::vector<std::string> elements;
      const size_t n = 1 + Below(60);
      for (size_t j = 0; j < n; ++j)
        elements.push_back(Below(8) == 0 ? Compressible(100) : Element());
      if (v10()) out += Len(2);  // PACKED container
      out += Str(Compact(elements, v10()));
    }
    *type = v10() ? rdb::kTypeListQuicklist2 : rdb::kTypeListQuicklist;
    return out;
  }

  // One listpack node; one group whose PEL holds the first entries, owned
  // by one consumer.
  std::string StreamValue(uint8_t* type) {
    const uint64_t base_ms = 1'700'000'000'000 + Below(1'000'000'000);
    const size_t n = 1 + Below(20);
    const std::vector<std::string> fields = Distinct(1 + Below(3));
    formats::ListpackBuilder lp;
    lp.AppendInteger(static_cast<int64_t>(n));
    lp.AppendInteger(0);
    lp.AppendInteger(static_cast<int64_t>(fields.size()));
    for (const auto& f : fields) lp.Append(f);
    lp.AppendInteger(0);
    std::vector<uint64_t> ms(n);
    for (size_t i = 0; i < n; ++i) {
      ms[i] = base_ms + i * (1 + Below(1000));
      if (i > 0 && ms[i] <= ms[i - 1]) ms[i] = ms[i - 1] + 1;
      const bool same = Below(4) != 0;
      lp.AppendInteger(same ? 2 : 0);
      lp.AppendInteger(static_cast<int64_t>(ms[i] - base_ms));
      lp.AppendInteger(0);
      if (same) {
        for (size_t f = 0; f < fields.size(); ++f) lp.Append(Element());
        lp.AppendInteger(static_cast<int64_t>(fields.size() + 3));
      } else {
        lp.AppendInteger(1);
        lp.Append("other");
        lp.Append(Element());
        lp.AppendInteger(2 + 1 + 3);
      }
    }
    std::string out = Len(1) + Str(RawId(base_ms, 0)) + Str(lp.Finish());
    out += Len(n) + Len(ms[n - 1]) + Len(0);  // length, last id
    if (v10())
      out += Len(base_ms) + Len(0) + Len(0) + Len(0) + Len(n);  // first, max deleted, added
    out += Len(1) + Str("group") + Len(ms[n - 1]) + Len(0);
    if (v10()) out += Len(n);  // entries read
    const size_t pending = std::min<size_t>(n, 1 + Below(3));
    out += Len(pending);
    for (size_t i = 0; i < pending; ++i) {
      out += RawId(ms[i], 0) + U64Le(ms[i] + 5) + Len(1);
    }
    out += Len(1) + Str("consumer") + U64Le(ms[n - 1] + 10) + Len(pending);
    for (size_t i = 0; i < pending; ++i) out += RawId(ms[i], 0);
    *type = v10() ? rdb::kTypeStreamListpacks2 : rdb::kTypeStreamListpacks;
    return out;
  }

  std::string Key(size_t i) {
    switch (Below(6)) {
      case 0:
        return "bin:" + Text(1, 12, true) + ":" + std::to_string(i);
      case 1:
        return "{tag" + std::to_string(Below(50)) + "}:" + std::to_string(i);
      default:
        return "key:" + Text(2, 10) + ":" + std::to_string(i);
    }
  }

  Status Write(ChunkSink* sink) {
    std::map<uint64_t, std::vector<rdb::RdbEntry>> dbs;
    for (size_t i = 0; i < o_.keys; ++i) {
      rdb::RdbEntry e;
      e.db = Below(2) == 0 ? 0 : Below(16);
      e.key = Key(i);
      e.value = Value(&e.type);
      const uint64_t extra = Below(20);
      if (extra < 3)
        e.expire_ms = int64_t{4'102'444'800'000} + static_cast<int64_t>(Below(1u << 30));
      if (extra == 3) e.lru_idle_s = Below(100000);
      if (extra == 4) e.lfu_freq = static_cast<uint8_t>(Below(256));
      dbs[e.db].push_back(std::move(e));
    }
    rdb::RdbWriterOptions wo;
    wo.version = o_.version;
    SK_ASSIGN_OR_RETURN(auto writer, rdb::RdbWriter::Create(sink, wo));
    SK_RETURN_IF_ERROR(writer->WriteAux("redis-ver", v10() ? "7.0.15" : "6.2.14"));
    SK_RETURN_IF_ERROR(writer->WriteAux("redis-bits", "64"));
    SK_RETURN_IF_ERROR(writer->WriteAux("ctime", "1767225600"));
    SK_RETURN_IF_ERROR(writer->WriteAux("used-mem", std::to_string(1 << 22)));
    SK_RETURN_IF_ERROR(writer->WriteAux("aof-base", "0"));
    for (const auto& [db, entries] : dbs) {
      SK_RETURN_IF_ERROR(writer->WriteSelectDb(db));
      uint64_t expires = 0;
      for (const auto& e : entries) expires += e.expire_ms.has_value() ? 1 : 0;
      SK_RETURN_IF_ERROR(writer->WriteResizeDb(entries.size(), expires));
      for (const auto& e : entries) SK_RETURN_IF_ERROR(writer->WriteEntry(e));
    }
    return writer->Finish();
  }

 private:
  SeededRdbOptions o_;
  std::mt19937_64 rng_;
};

}  // namespace seeded_rdb_internal

// The file for `options`: the same options give the same bytes.
inline Result<std::string> MakeSeededRdb(const SeededRdbOptions& options) {
  StringSink sink;
  seeded_rdb_internal::Generator generator(options);
  SK_RETURN_IF_ERROR(generator.Write(&sink));
  return std::string(sink.data());
}

}  // namespace shardkit::testing
