// `shardkit repair` on RDB files: salvage of a damaged RDB, checked against
// the guarantee in formats/rdb/rdb_salvage.h. The sources are deterministic
// (tests/support/seeded_rdb.h: written by RdbWriter from a seeded dataset,
// no live server), so a seed replays exactly: same seed => same source bytes
// => same damage => same result. Each source is checked once to be sound for
// redis-check-rdb; a real redis-server 7.0 loads the fixed sources, and the
// fixed damage cases load their outputs into it too. Every salvaged output
// must pass redis-check-rdb and `shardkit verify --deep`, every kept record
// must be a source record's bytes (or a chance record, counted), every record
// before the first damaged byte must be kept exactly, and the dropped ranges
// must cover the damage.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_salvage.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
#include "tests/support/seeded_rdb.h"
#include "tests/support/temp_dir.h"

namespace shardkit {
namespace {

namespace fs = std::filesystem;
namespace rdb = formats::rdb;
using testing::KeyspaceSnapshot;
using testing::RedisServer;
using testing::RedisServerOptions;

struct RecordSpan {
  int db = 0;
  std::string key;
  uint64_t begin = 0;  // first byte of the record (prefix opcodes included)
  uint64_t end = 0;    // first byte after the value
};

class SpanCollector final : public rdb::RdbVisitor {
 public:
  Status OnEntry(const rdb::RdbEntry& e) override {
    const uint64_t end = e.value_offset + e.value_bytes;
    if (spans.empty() || spans.back().db != static_cast<int>(e.db)) {
      // The SELECTDB (and RESIZEDB) of a new db lie between the records.
      db_starts.push_back(
          {static_cast<int>(e.db), "", spans.empty() ? 9 : spans.back().end, e.record_offset});
    }
    spans.push_back({static_cast<int>(e.db), e.key, e.record_offset, end});
    return Status();
  }
  std::vector<RecordSpan> spans;
  std::vector<RecordSpan> db_starts;  // key = "", [begin, end) = bytes before a db's first key
};

// "[info] N keys read" of redis-check-rdb, or -1. (No std::regex: GCC 12
// warns inside it under the Asan build's -O1.)
int64_t CheckRdbKeysRead(const std::string& output) {
  const std::string suffix = " keys read";
  const size_t end = output.find(suffix);
  const size_t begin = output.rfind("[info] ", end);
  if (end == std::string::npos || begin == std::string::npos) return -1;
  const std::string digits = output.substr(begin + 7, end - begin - 7);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

// A seeded source RDB and its records' byte spans.
struct Source {
  std::string name;
  std::string rdb;
  std::vector<RecordSpan> spans;
  std::vector<RecordSpan> db_starts;
};

// Makes the source for (seed, version) and checks it once: the deep reader
// and redis-check-rdb accept it and count every key.
Source MakeSource(uint64_t seed, int version, size_t keys) {
  Source source;
  source.name = "seed " + std::to_string(seed) + " v" + std::to_string(version);
  testing::SeededRdbOptions options;
  options.seed = seed;
  options.version = version;
  options.keys = keys;
  auto bytes = testing::MakeSeededRdb(options);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return source;
  source.rdb = std::move(*bytes);
  MemoryChunkSource chunks(AsBytes(source.rdb), 1 << 16, "source.rdb");
  SpanCollector collector;
  rdb::RdbReadOptions deep;
  deep.deep = true;
  auto summary = rdb::ReadRdb(&chunks, deep, &collector);
  EXPECT_TRUE(summary.ok()) << source.name << ": " << summary.status().ToString();
  EXPECT_EQ(collector.spans.size(), keys) << source.name;
  source.spans = std::move(collector.spans);
  source.db_starts = std::move(collector.db_starts);
  testing::TempDir work("rdb-source");
  testing::WriteFileOrDie(work.File("source.rdb"), source.rdb);
  auto check = testing::RunRedisCheckRdb(work.File("source.rdb"));
  EXPECT_TRUE(check.ok() && check->exit_code == 0 &&
              CheckRdbKeysRead(check->output) == static_cast<int64_t>(keys))
      << source.name << ": " << (check.ok() ? check->output : check.status().ToString());
  return source;
}

// Fixed, not scaled: the named tests assert exact figures, under Asan too.
constexpr size_t kFixedSourceKeys = 1500;

// The fixed sources the named tests use (seed 20260101, per version).
const Source& FixedSource(int version) {
  static std::map<int, Source> cache;
  auto it = cache.find(version);
  if (it == cache.end())
    it = cache.emplace(version, MakeSource(20260101, version, kFixedSourceKeys)).first;
  return it->second;
}

struct Damage {
  uint64_t offset = 0;
  std::string bytes;
};

struct DamageCase {
  std::string name;
  // Keys the damage does not touch that this salvage loses (the same for
  // both fixed sources): exact, since the sources and the damage are.
  size_t lost_outside = 0;
  // Each region: where (fraction of the file) and what it is overwritten with.
  struct Region {
    double at;
    size_t length;
    char kind;  // 'g' seeded garbage, 'z' zeros, 'x' 0xAB bytes
  };
  std::vector<Region> regions;
};

void PrintTo(const DamageCase& c, std::ostream* os) { *os << c.name; }

std::vector<Damage> MakeDamage(const DamageCase& c, size_t file_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Damage> out;
  for (const auto& r : c.regions) {
    Damage d;
    d.offset = static_cast<uint64_t>(r.at * static_cast<double>(file_size));
    d.bytes.assign(r.length, r.kind == 'z' ? '\0' : '\xab');
    if (r.kind == 'g') {
      for (char& ch : d.bytes) ch = static_cast<char>(rng());
    }
    out.push_back(std::move(d));
  }
  return out;
}

// Seeded damage of every kind: one region of 1 byte to 8 KiB of garbage,
// zeros or 0xAB, anywhere after the header and before the trailer.
Damage RandomDamage(std::mt19937_64& rng, size_t file_size) {
  const char kinds[] = {'g', 'z', 'x'};
  const size_t length = size_t{1} << (rng() % 14);
  Damage d;
  d.offset = 64 + rng() % (file_size - 64 - length - 16);
  d.bytes.assign(length, '\0');
  const char kind = kinds[rng() % 3];
  for (char& ch : d.bytes) ch = kind == 'g' ? static_cast<char>(rng()) : kind == 'x' ? '\xab' : 0;
  return d;
}

std::string Describe(const std::vector<Damage>& damage) {
  std::string out;
  for (const auto& d : damage) {
    out += (out.empty() ? "" : ", ") + std::to_string(d.bytes.size()) + " bytes at " +
           std::to_string(d.offset);
  }
  return out;
}

bool Touches(const RecordSpan& span, const std::vector<Damage>& damage) {
  for (const auto& d : damage) {
    if (span.begin < d.offset + d.bytes.size() && d.offset < span.end) return true;
  }
  return false;
}

Result<KeyspaceSnapshot> LoadRdbWithRedis(const std::string& rdb_bytes) {
  RedisServerOptions options;
  options.files_before_start = {{"dump.rdb", rdb_bytes}};
  SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(options));
  return KeyspaceSnapshot::Capture(server->client());
}

// What a real redis-server 7.0 holds after loading the fixed source.
const KeyspaceSnapshot& FixedSnapshot(int version) {
  static std::map<int, KeyspaceSnapshot> cache;
  auto it = cache.find(version);
  if (it != cache.end()) return it->second;
  auto loaded = LoadRdbWithRedis(FixedSource(version).rdb);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return cache[version] = loaded.ok() ? std::move(*loaded) : KeyspaceSnapshot();
}

nlohmann::json ParseJson(const std::string& output) {
  return nlohmann::json::parse(output.substr(0, output.find('\n')));
}

// Every key record the salvage keeps, as the source read gave it.
class KeptCollector final : public rdb::RdbSalvageObserver {
 public:
  void OnKeyKept(const rdb::RdbEntry& e) override { kept.push_back(e); }
  std::vector<rdb::RdbEntry> kept;
};

class EntryCollector final : public rdb::RdbVisitor {
 public:
  Status OnEntry(const rdb::RdbEntry& e) override {
    entries.push_back(e);
    return Status();
  }
  std::vector<rdb::RdbEntry> entries;
};

RecordSpan SpanOf(const rdb::RdbEntry& e) {
  return {static_cast<int>(e.db), e.key, e.record_offset, e.value_offset + e.value_bytes};
}

bool Overlaps(const RecordSpan& a, uint64_t begin, uint64_t end) {
  return a.begin < end && begin < a.end;
}

// What one salvage did to the source's keys, as the guarantee in
// formats/rdb/rdb_salvage.h classifies them.
struct SalvageTally {
  size_t keys = 0;
  size_t damaged = 0;             // their bytes touch the damage
  size_t kept_exact = 0;          // untouched, kept at their own boundaries in their own db
  size_t kept_other_db = 0;       // untouched, kept exactly, but after damage in another db
  size_t lost_dropped = 0;        // untouched, inside a reported dropped range
  size_t lost_db_unknown = 0;     // of those: a range dropped because a SELECTDB was lost
  size_t lost_chance = 0;         // untouched, read as part of a chance record
  size_t lost_chance_resync = 0;  // of those: the chance record starts where a resync did
  size_t chance_kept = 0;         // kept records that are no source record
  size_t rounds = 0;
  size_t rounds_losing = 0;  // rounds that lost a key outside the damage
  size_t dropped_ranges = 0;
  size_t lost_outside() const { return lost_dropped + lost_chance; }
  void Add(const SalvageTally& t) {
    keys += t.keys, damaged += t.damaged, kept_exact += t.kept_exact;
    kept_other_db += t.kept_other_db, lost_dropped += t.lost_dropped;
    lost_db_unknown += t.lost_db_unknown, lost_chance_resync += t.lost_chance_resync;
    lost_chance += t.lost_chance, chance_kept += t.chance_kept, rounds += t.rounds;
    rounds_losing += t.rounds_losing, dropped_ranges += t.dropped_ranges;
  }
  std::string ToString() const {
    return std::to_string(rounds) + " damaged files, " + std::to_string(keys) +
           " keys: " + std::to_string(damaged) + " touch the damage; of the others " +
           std::to_string(kept_exact) + " kept exactly, " + std::to_string(kept_other_db) +
           " kept in another db, " + std::to_string(lost_dropped) + " in dropped ranges (" +
           std::to_string(lost_db_unknown) + " after a lost SELECTDB), " +
           std::to_string(lost_chance) + " read into chance records (" +
           std::to_string(lost_chance_resync) + " at a resync; " + std::to_string(rounds_losing) +
           " files lost keys outside the damage); " + std::to_string(chance_kept) +
           " chance records kept; " + std::to_string(dropped_ranges) + " dropped ranges";
  }
};

// Repairs `source` with `damage` applied (the CLI, and the same salvage in
// process for each kept record's source bytes) and checks the guarantee of
// formats/rdb/rdb_salvage.h:
//  1. the output is a sound RDB of the source's version: redis-check-rdb
//     accepts it and reads keys_kept keys, `shardkit verify --deep` accepts
//     it; with `redis` a real redis-server loads exactly those keys, and each
//     exact one with the clean source's TYPE, digest and expiry;
//  2. each kept record is written byte for byte as read from the source
//     (type, value, expiry, LRU/LFU) and lies outside every dropped range;
//     every source record that ends before the first damaged byte is kept at
//     its own bytes in its own db;
//  3. every changed byte lies in a dropped range, in a kept record or
//     between records (SELECTDB/RESIZEDB), and without a dropped range the
//     CRC64 mismatch is reported;
//  4. a source key the damage does not touch is kept exactly (in its own db
//     unless damage lies between its db's SELECTDB and it), or counted as
//     lost (in a dropped range or under a chance record);
//  5. the source file is never changed.
SalvageTally CheckSalvage(const Source& source, const std::vector<Damage>& damage,
                          const KeyspaceSnapshot* redis = nullptr) {
  SalvageTally tally;
  tally.rounds = 1;
  std::string damaged = source.rdb;
  for (const auto& d : damage) damaged.replace(d.offset, d.bytes.size(), d.bytes);
  if (damaged == source.rdb) return tally;  // the "damage" rewrote equal bytes
  testing::TempDir work("rdb-salvage");
  testing::WriteFileOrDie(work.File("dump.rdb"), damaged);

  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", work.File("dump.rdb"),
                                  "--out", work.File("fixed.rdb"), "--json"});
  EXPECT_TRUE(run.ok());
  if (!run.ok()) return tally;
  EXPECT_EQ(run->exit_code, 1) << run->output;
  if (run->exit_code != 1) return tally;
  const nlohmann::json json = ParseJson(run->output);
  EXPECT_EQ(json["status"], "repaired");
  EXPECT_EQ(json["format"], "rdb");
  EXPECT_EQ(testing::ReadFileOrDie(work.File("dump.rdb")), damaged) << "the source must not change";
  const std::string fixed = testing::ReadFileOrDie(work.File("fixed.rdb"));
  EXPECT_EQ(fixed.substr(0, 9), source.rdb.substr(0, 9)) << "same RDB version";
  if (const char* keep = std::getenv("SHARDKIT_KEEP_SALVAGE_DIR");
      keep != nullptr && *keep != '\0') {
    // To look at a failing round: its damaged input and salvaged output.
    const std::string at = std::to_string(damage.front().offset);
    testing::WriteFileOrDie(std::string(keep) + "/damaged-" + at + ".rdb", damaged);
    testing::WriteFileOrDie(std::string(keep) + "/fixed-" + at + ".rdb", fixed);
    testing::WriteFileOrDie(std::string(keep) + "/report-" + at + ".json", run->output);
    testing::WriteFileOrDie(std::string(keep) + "/source.rdb", source.rdb);
  }

  // The same salvage in process: the same bytes, and where each kept key came from.
  MemoryChunkSource chunks(AsBytes(damaged), 1 << 16, "dump.rdb");
  StringSink sink;
  KeptCollector kept;
  rdb::RdbSalvageOptions options;
  options.observer = &kept;
  auto report = rdb::SalvageRdb(&chunks, &sink, options);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  if (!report.ok()) return tally;
  EXPECT_TRUE(sink.data() == fixed) << "the CLI and the library salvage differ";
  EXPECT_EQ(kept.kept.size(), report->keys_kept);
  EXPECT_EQ(json["keys_kept"].get<uint64_t>(), report->keys_kept);

  // 1. Sound for Redis and for our own deep verify.
  auto check = testing::RunRedisCheckRdb(work.File("fixed.rdb"));
  EXPECT_TRUE(check.ok() && check->exit_code == 0 &&
              CheckRdbKeysRead(check->output) == static_cast<int64_t>(report->keys_kept))
      << "redis-check-rdb refused the output or read another key count:\n"
      << (check.ok() ? check->output : check.status().ToString());
  auto verify =
      testing::RunProcess({testing::ShardkitBinary(), "verify", "--deep", work.File("fixed.rdb")});
  EXPECT_TRUE(verify.ok() && verify->exit_code == 0)
      << "verify --deep: " << (verify.ok() ? verify->output : verify.status().ToString());

  // 2. Byte for byte: the output's records are the kept source records.
  EntryCollector out;
  {
    MemoryChunkSource out_chunks(AsBytes(fixed), 1 << 16, "fixed.rdb");
    rdb::RdbReadOptions raw;
    raw.capture_values = true;
    auto summary = rdb::ReadRdb(&out_chunks, raw, &out);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  }
  EXPECT_EQ(out.entries.size(), kept.kept.size());
  for (size_t i = 0; i < std::min(out.entries.size(), kept.kept.size()); ++i) {
    const rdb::RdbEntry& k = kept.kept[i];
    const rdb::RdbEntry& o = out.entries[i];
    const bool same = o.db == k.db && o.key == k.key && o.type == k.type &&
                      o.value == damaged.substr(k.value_offset, k.value_bytes) &&
                      o.expire_ms == k.expire_ms && o.lru_idle_s == k.lru_idle_s &&
                      o.lfu_freq == k.lfu_freq;
    EXPECT_TRUE(same) << "output record " << i << " (key " << testing::PrintableKey(o.key)
                      << ") is not the source record at " << k.record_offset;
  }

  std::vector<std::pair<uint64_t, uint64_t>> dropped;
  std::vector<bool> dropped_db_unknown;  // the range's reason: a SELECTDB was lost
  for (const auto& range : json["dropped_ranges"]) {
    dropped.emplace_back(range["begin"].get<uint64_t>(), range["end"].get<uint64_t>());
    dropped_db_unknown.push_back(range["reason"].get<std::string>().find("SELECTDB was lost") !=
                                 std::string::npos);
    EXPECT_EQ(range["bytes"].get<uint64_t>(), dropped.back().second - dropped.back().first);
  }
  tally.dropped_ranges = dropped.size();
  auto in_dropped = [&](const RecordSpan& r) {
    for (const auto& [b, e] : dropped) {
      if (Overlaps(r, b, e)) return true;
    }
    return false;
  };
  std::map<uint64_t, const RecordSpan*> original_at;  // by first byte
  for (const auto& span : source.spans) original_at[span.begin] = &span;
  std::vector<RecordSpan> chance;
  std::map<uint64_t, RecordSpan> kept_at;
  for (const auto& e : kept.kept) {
    const RecordSpan k = SpanOf(e);
    EXPECT_FALSE(in_dropped(k)) << "kept record " << k.begin << ".." << k.end
                                << " overlaps a dropped range";
    auto it = original_at.find(k.begin);
    const bool exact = it != original_at.end() && it->second->end == k.end &&
                       it->second->key == k.key && !Touches(k, damage);
    if (exact) {
      kept_at[k.begin] = k;
    } else {
      chance.push_back(k);
      tally.chance_kept += Touches(k, damage) ? 0 : 1;
    }
  }

  // 3. The damage is covered.
  uint64_t first_changed = damaged.size();
  for (uint64_t i = 0; i < damaged.size(); ++i) {
    if (damaged[i] == source.rdb[i]) continue;
    first_changed = std::min(first_changed, i);
    bool covered = false;
    for (const auto& [b, e] : dropped) covered = covered || (b <= i && i < e);
    for (const auto& e : kept.kept) covered = covered || Overlaps(SpanOf(e), i, i + 1);
    auto next = original_at.upper_bound(i);
    const bool in_record = next != original_at.begin() && std::prev(next)->second->end > i;
    EXPECT_TRUE(covered || !in_record)
        << "changed byte " << i << " is in a source record but in no dropped range or kept record";
  }
  if (dropped.empty()) {
    EXPECT_EQ(json["source_crc"], "mismatch");
  }

  // 4. Every key: kept exactly, or damaged, or lost (counted).
  for (const auto& span : source.spans) {
    ++tally.keys;
    const std::string what = "db " + std::to_string(span.db) + " key " +
                             testing::PrintableKey(span.key) + " at " + std::to_string(span.begin);
    auto k = kept_at.find(span.begin);
    if (span.end <= first_changed) {
      EXPECT_TRUE(k != kept_at.end() && k->second.db == span.db)
          << what << " ends before the first damaged byte " << first_changed
          << " but is not kept exactly in its db";
    }
    if (Touches(span, damage)) {
      ++tally.damaged;
      continue;
    }
    if (k != kept_at.end()) {
      if (k->second.db == span.db) {
        ++tally.kept_exact;
      } else {
        ++tally.kept_other_db;
        auto start = std::find_if(source.db_starts.begin(), source.db_starts.end(),
                                  [&](const RecordSpan& s) { return s.db == span.db; });
        bool db_unknown = !dropped.empty() || !chance.empty();
        for (const auto& d : damage) {
          db_unknown =
              db_unknown || (d.offset + d.bytes.size() > start->begin && d.offset < span.begin);
        }
        EXPECT_TRUE(db_unknown) << what << " was put in db " << k->second.db
                                << " though no damage lies between its SELECTDB and it";
      }
      continue;
    }
    if (in_dropped(span)) {
      ++tally.lost_dropped;
      for (size_t i = 0; i < dropped.size(); ++i) {
        if (dropped_db_unknown[i] && Overlaps(span, dropped[i].first, dropped[i].second)) {
          ++tally.lost_db_unknown;
          break;
        }
      }
      continue;
    }
    bool under_chance = false;
    bool at_resync = false;
    for (const auto& c : chance) {
      if (!Overlaps(span, c.begin, c.end)) continue;
      under_chance = true;
      for (const auto& [b, e] : dropped) at_resync = at_resync || c.begin == e;
    }
    tally.lost_chance_resync += at_resync ? 1 : 0;
    EXPECT_TRUE(under_chance) << what
                              << " does not touch the damage, is not kept, and lies neither in a "
                                 "dropped range nor under a chance record";
    ++tally.lost_chance;
  }
  tally.rounds_losing = tally.lost_outside() > 0 ? 1 : 0;

  // 1 (cont.). A real server loads exactly the kept keys, the exact ones as
  // the clean source holds them.
  if (redis != nullptr) {
    auto loaded = LoadRdbWithRedis(fixed);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    if (loaded.ok()) {
      EXPECT_EQ(loaded->KeyCount(), report->keys_kept);
      for (const auto& [begin, k] : kept_at) {
        auto db = loaded->dbs.find(k.db);
        const bool found = db != loaded->dbs.end() && db->second.count(k.key) > 0;
        EXPECT_TRUE(found) << "kept key " << testing::PrintableKey(k.key) << " not loaded";
        auto source_db = redis->dbs.find(original_at[begin]->db);
        if (found && source_db != redis->dbs.end() && source_db->second.count(k.key) > 0) {
          EXPECT_EQ(db->second.at(k.key), source_db->second.at(k.key))
              << testing::PrintableKey(k.key);
        }
      }
    }
  }
  std::printf("[ salvage  ] %s, %s: %s\n", source.name.c_str(), Describe(damage).c_str(),
              tally.ToString().c_str());
  return tally;
}

std::vector<uint64_t> SeedsOrEnv(std::vector<uint64_t> seeds) {
  if (const char* env = std::getenv("SHARDKIT_TEST_SEED"); env != nullptr && *env != '\0') {
    seeds = {std::stoull(env)};
  }
  if (const char* env = std::getenv("SHARDKIT_TEST_SEEDS"); env != nullptr && *env != '\0') {
    seeds.clear();
    for (uint64_t s = 1; s <= std::stoull(env); ++s) seeds.push_back(s);
  }
  return seeds;
}

TEST(RepairRdbSourceTest, SeededSourcesAreDeterministicAndLoadIntoRedis) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  for (int version : {10, 9}) {
    const Source& source = FixedSource(version);
    ASSERT_FALSE(source.rdb.empty());
    testing::SeededRdbOptions options;
    options.seed = 20260101;
    options.version = version;
    options.keys = kFixedSourceKeys;
    auto again = testing::MakeSeededRdb(options);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again == source.rdb) << "same seed, different bytes";
    options.seed = 20260102;
    EXPECT_FALSE(*testing::MakeSeededRdb(options) == source.rdb);
    std::set<uint8_t> types;
    MemoryChunkSource chunks(AsBytes(source.rdb), 1 << 16, "source.rdb");
    EntryCollector entries;
    ASSERT_TRUE(rdb::ReadRdb(&chunks, {}, &entries).ok());
    for (const auto& e : entries.entries) types.insert(e.type);
    const std::set<uint8_t> expected = version == 10
                                           ? std::set<uint8_t>{0, 2, 4, 5, 11, 16, 17, 18, 19}
                                           : std::set<uint8_t>{0, 2, 4, 5, 11, 12, 13, 14, 15};
    EXPECT_EQ(types, expected) << "v" << version;
    const KeyspaceSnapshot& loaded = FixedSnapshot(version);
    EXPECT_EQ(loaded.KeyCount(), source.spans.size()) << "v" << version;
    EXPECT_GE(loaded.dbs.size(), 16u);
  }
}

class RepairRdbDamageTest : public ::testing::TestWithParam<std::tuple<int, DamageCase>> {};

TEST_P(RepairRdbDamageTest, KeepsTheSalvageGuarantee) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const auto& [version, damage_case] = GetParam();
  const Source& source = FixedSource(version);
  ASSERT_FALSE(source.rdb.empty());
  const uint64_t seed = std::hash<std::string>{}(damage_case.name);
  SCOPED_TRACE("damage seed " + std::to_string(seed));
  const SalvageTally tally = CheckSalvage(source, MakeDamage(damage_case, source.rdb.size(), seed),
                                          &FixedSnapshot(version));
  EXPECT_EQ(tally.lost_chance, 0u) << tally.ToString();
  EXPECT_EQ(tally.lost_outside(), damage_case.lost_outside) << tally.ToString();
  EXPECT_EQ(tally.kept_other_db, 0u) << tally.ToString();
}

std::vector<DamageCase> DamageCases() {
  return {
      {"FewBytes", 0, {{0.5, 3, 'x'}}},
      {"Garbage4KiB", 0, {{0.4, 4096, 'g'}}},
      // RDB 10: the zeros erase db 2's SELECTDB; its keys are written to db
      // 2 by inference (db 1 holds its RESIZEDB count, the next SELECTDB is
      // db 3). Before the inference they were dropped (39 keys).
      {"Zeros4KiB", 0, {{0.6, 4096, 'z'}}},
      // RDB 10: the first record after the 1000 zeros (key:cuquyos:949,
      // 814128..814933) is lost: the dropped range ends inside it, where a
      // chance resync candidate starts (open finding 2).
      {"TwoRegions", 1, {{0.25, 64, 'g'}, {0.75, 1000, 'z'}}},
  };
}

INSTANTIATE_TEST_SUITE_P(Damage, RepairRdbDamageTest,
                         ::testing::Combine(::testing::Values(10, 9),
                                            ::testing::ValuesIn(DamageCases())),
                         [](const auto& p) {
                           return "V" + std::to_string(std::get<0>(p.param)) + "_" +
                                  std::get<1>(p.param).name;
                         });

constexpr size_t kRandomSourceKeys = 750;  // fixed, so a seed replays under any scale

// Round `round` of seed `seed` of RepairRdbRandomDamageTest.KeepsTheSalvageGuarantee.
std::pair<Source, Damage> RandomRound(uint64_t seed, int round) {
  Source source = MakeSource(seed, seed % 3 == 0 ? 9 : 10, kRandomSourceKeys);
  std::mt19937_64 rng(seed);
  Damage d;
  for (int i = 0; i <= round; ++i) d = RandomDamage(rng, source.rdb.size());
  return {std::move(source), std::move(d)};
}

// Found by RepairRdbRandomDamageTest (then one test); each replays one round
// exactly. Seed 3 round 0 (RDB 9, 8 KiB of garbage): a chance record, a zset
// with a count of 0 under an 8556-byte key, deep-verified and was kept;
// redis-check-rdb refuses empty collections. Seed 10 round 3 (RDB 10, 8
// bytes): a damaged record read as type 29 (gcra, RDB 14), which an RDB 10
// writer cannot hold: repair failed with exit 3 instead of salvaging. Both
// are now refused as resync candidates (and dropped as damage when the main
// read meets one).
TEST(RepairRdbTest, FoundBugsOutputsRedisRefusedOrCouldNotWrite) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  for (const auto& [seed, round] : std::vector<std::pair<uint64_t, int>>{{3, 0}, {10, 3}}) {
    SCOPED_TRACE("SHARDKIT_TEST_SEED=" + std::to_string(seed) + " round " + std::to_string(round));
    const auto [source, damage] = RandomRound(seed, round);
    ASSERT_FALSE(source.rdb.empty());
    CheckSalvage(source, {damage});
  }
}

// Damage exactly over db 5's SELECTDB and RESIZEDB (the bytes between db
// 4's last key and db 5's first): db 5's keys follow db 4's, which holds its
// RESIZEDB count, and the next SELECTDB names db 6, so they are db 5's.
TEST(RepairRdbTest, LostSelectDbIsInferredBetweenAscendingDbs) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = FixedSource(10);
  ASSERT_FALSE(source.rdb.empty());
  auto start = std::find_if(source.db_starts.begin(), source.db_starts.end(),
                            [](const RecordSpan& s) { return s.db == 5; });
  ASSERT_NE(start, source.db_starts.end());
  ASSERT_GT(start->end, start->begin);
  Damage d;
  d.offset = start->begin;
  d.bytes.assign(start->end - start->begin, '\xab');
  const SalvageTally tally = CheckSalvage(source, {d}, &FixedSnapshot(10));
  EXPECT_EQ(tally.damaged, 0u);
  EXPECT_EQ(tally.lost_outside(), 0u) << tally.ToString();
  EXPECT_EQ(tally.kept_other_db, 0u) << tally.ToString();
  std::string damaged = source.rdb;
  damaged.replace(d.offset, d.bytes.size(), d.bytes);
  MemoryChunkSource chunks(AsBytes(damaged), 1 << 16, "dump.rdb");
  StringSink sink;
  auto report = rdb::SalvageRdb(&chunks, &sink);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find("written to db 5: their SELECTDB was lost"), std::string::npos)
      << report->warnings[0];
}

// Open finding 2, one case fixed: seed 17 round 0 (RDB 10, 2 KiB of garbage
// at 329232). The first verified resync candidate was the real record
// "key:dogixjp:497" (333112..333286); a chance candidate inside its LZF value
// (333202, whose first record runs to 333295) won over it, and the real next
// record (333286) won over that one, so the real record was dropped though the
// damage does not touch it. Now the earliest winner whose records lead exactly
// into the last winner is taken.
TEST(RepairRdbTest, ResyncKeepsTheRealRecordAChanceCandidateInsideItWonOver) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const auto [source, damage] = RandomRound(17, 0);
  ASSERT_EQ(damage.offset, 329232u);
  const SalvageTally tally = CheckSalvage(source, {damage});
  EXPECT_EQ(tally.lost_outside(), 0u) << tally.ToString();
  EXPECT_EQ(tally.damaged, 5u);
  EXPECT_EQ(tally.kept_exact, 745u);
}

// Seeded sources (RDB 10 for two seeds in three, else RDB 9) with seeded
// damage of every kind at random places and lengths (1 byte to 8 KiB), four
// rounds per seed. The seeds are fixed; SHARDKIT_TEST_SEED=N runs seed N
// only, SHARDKIT_TEST_SEEDS=N seeds 1..N (to explore).
// The seeds are dealt round-robin to kRandomDamageSlices tests (one slice
// each), so that CTest can run the slices side by side: under ASan the
// whole set took ~2.5 min in one process, the suite's critical path.
constexpr int kRandomDamageSlices = 4;

class RepairRdbRandomDamageTest : public ::testing::TestWithParam<int> {};

TEST_P(RepairRdbRandomDamageTest, KeepsTheSalvageGuarantee) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= 12; ++s) seeds.push_back(s);
  seeds = SeedsOrEnv(seeds);
  SalvageTally total;
  std::string failed;  // seeds with a failure, to replay
  for (size_t i = static_cast<size_t>(GetParam()); i < seeds.size(); i += kRandomDamageSlices) {
    const uint64_t seed = seeds[i];
    std::printf("[ seed     ] SHARDKIT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    SCOPED_TRACE("SHARDKIT_TEST_SEED=" + std::to_string(seed));
    const Source source = MakeSource(seed, seed % 3 == 0 ? 9 : 10, kRandomSourceKeys);
    ASSERT_FALSE(source.rdb.empty());
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 4; ++round) {
      const Damage d = RandomDamage(rng, source.rdb.size());
      SCOPED_TRACE("round " + std::to_string(round) + ": " + Describe({d}));
      const bool failed_before = ::testing::Test::HasFailure();
      total.Add(CheckSalvage(source, {d}));
      if (!failed_before && ::testing::Test::HasFailure()) {
        failed += " " + std::to_string(seed);
        break;  // the next seed; one failing round per seed is enough to replay
      }
    }
  }
  std::printf("[ total    ] %zu seeds: %s\n", seeds.size(), total.ToString().c_str());
  EXPECT_EQ(failed, "") << "failing seeds (replay with SHARDKIT_TEST_SEED=N)";
}

INSTANTIATE_TEST_SUITE_P(Slices, RepairRdbRandomDamageTest,
                         ::testing::Range(0, kRandomDamageSlices),
                         [](const auto& p) { return "Slice" + std::to_string(p.param); });

TEST(RepairRdbTest, SoundDumpIsCopiedUnchangedAndExitsZero) {
  const Source& source = FixedSource(10);
  ASSERT_FALSE(source.rdb.empty());
  testing::TempDir work("rdb-sound");
  testing::WriteFileOrDie(work.File("dump.rdb"), source.rdb);
  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", work.File("dump.rdb"),
                                  "--out", work.File("copy.rdb"), "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0) << run->output;
  const nlohmann::json json = ParseJson(run->output);
  EXPECT_EQ(json["status"], "sound");
  EXPECT_EQ(json["source_crc"], "ok");
  EXPECT_EQ(json["keys_kept"].get<uint64_t>(), source.spans.size());
  EXPECT_EQ(json["keys_dropped"].get<uint64_t>(), 0u);
  EXPECT_TRUE(json["dropped_ranges"].empty());
  EXPECT_EQ(testing::ReadFileOrDie(work.File("copy.rdb")), source.rdb);
  // In place: nothing to do, nothing written, no backup.
  auto again = testing::RunProcess(
      {testing::ShardkitBinary(), "repair", work.File("dump.rdb"), "--in-place", "--json"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 0) << again->output;
  EXPECT_EQ(ParseJson(again->output)["backup"], "");
  EXPECT_EQ(std::distance(fs::directory_iterator(work.path()), fs::directory_iterator()), 2);
}

TEST(RepairRdbTest, InPlaceKeepsTheOriginalBesideTheSalvagedFile) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = FixedSource(10);
  ASSERT_FALSE(source.rdb.empty());
  testing::TempDir work("rdb-inplace");
  std::string damaged = source.rdb;
  damaged.replace(damaged.size() / 2, 512, std::string(512, '\xff'));
  const std::string path = work.File("dump.rdb");
  testing::WriteFileOrDie(path, damaged);
  auto run =
      testing::RunProcess({testing::ShardkitBinary(), "repair", path, "--in-place", "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  const nlohmann::json json = ParseJson(run->output);
  const std::string backup = json["backup"];
  EXPECT_NE(backup.find("dump.rdb.orig-"), std::string::npos) << backup;
  EXPECT_EQ(testing::ReadFileOrDie(backup), damaged);
  const std::string fixed = testing::ReadFileOrDie(path);
  EXPECT_NE(fixed, damaged);
  auto check = testing::RunRedisCheckRdb(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->exit_code, 0) << check->output;
  EXPECT_EQ(CheckRdbKeysRead(check->output), json["keys_kept"].get<int64_t>()) << check->output;
  EXPECT_GT(json["keys_kept"].get<uint64_t>(), source.spans.size() * 9 / 10);
}

TEST(RepairRdbTest, TruncatedDumpKeepsEveryKeyBeforeTheCut) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = FixedSource(10);
  ASSERT_FALSE(source.rdb.empty());
  testing::TempDir work("rdb-cut");
  const size_t cut = source.rdb.size() * 2 / 3;
  testing::WriteFileOrDie(work.File("dump.rdb"), source.rdb.substr(0, cut));
  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", work.File("dump.rdb"),
                                  "--out", work.File("fixed.rdb"), "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 1) << run->output;
  const nlohmann::json json = ParseJson(run->output);
  size_t complete = 0;
  for (const auto& span : source.spans) complete += span.end <= cut ? 1 : 0;
  EXPECT_EQ(json["keys_kept"].get<uint64_t>(), complete);
  EXPECT_EQ(json["reached_eof"], false);
  ASSERT_EQ(json["dropped_ranges"].size(), 1u);
  EXPECT_EQ(json["dropped_ranges"][0]["end"].get<uint64_t>(), cut);
  auto loaded = LoadRdbWithRedis(testing::ReadFileOrDie(work.File("fixed.rdb")));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->KeyCount(), complete);
}

TEST(RepairRdbTest, UnreadableHeaderIsNotRepairableAndWritesNothing) {
  testing::TempDir work("rdb-header");
  testing::WriteFileOrDie(work.File("dump.rdb"), std::string("REDIS00x1") + std::string(64, 'a'));
  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", work.File("dump.rdb"),
                                  "--out", work.File("fixed.rdb"), "--json"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 3) << run->output;
  EXPECT_EQ(ParseJson(run->output)["status"], "unrepairable");
  EXPECT_FALSE(fs::exists(work.File("fixed.rdb")));
  EXPECT_EQ(std::distance(fs::directory_iterator(work.path()), fs::directory_iterator()), 1)
      << "no temporary left behind";
}

}  // namespace
}  // namespace shardkit
