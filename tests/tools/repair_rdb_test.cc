// `shardkit repair` on RDB files: salvage of a real redis-server 7.0 dump
// with a region overwritten in the middle (a few bytes, 4 KiB of garbage,
// 4 KiB of zeros, two regions), judged by loading the output into a fresh
// redis-server: every key whose bytes do not touch the damage comes back with
// the source server's DEBUG DIGEST-VALUE, TYPE and expiry; nothing is
// invented; redis-check-rdb accepts the output. The damaged keys are found by
// reading the original with the raw reader, which gives each record's bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <cstdlib>
#include <random>
#include <set>

#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_salvage.h"
#include "tests/support/datasets.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/redis_server.h"
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
      db_starts.push_back({static_cast<int>(e.db), "", spans.empty() ? 9 : spans.back().end,
                           e.record_offset});
    }
    spans.push_back({static_cast<int>(e.db), e.key, e.record_offset, end});
    return Status();
  }
  std::vector<RecordSpan> spans;
  std::vector<RecordSpan> db_starts;  // key = "", [begin, end) = bytes before a db's first key
};

// A real dump.rdb of the full dataset, its records' byte spans, and what the
// server held. Made once per config for the whole suite.
struct Source {
  std::string rdb;
  std::vector<RecordSpan> spans;
  std::vector<RecordSpan> db_starts;
  KeyspaceSnapshot snapshot;
};

const Source& SourceFor(const std::string& config_name) {
  static std::map<std::string, Source> cache;
  auto it = cache.find(config_name);
  if (it != cache.end()) return it->second;
  Source& source = cache[config_name];
  testing::RedisTestConfig config;
  for (auto& c : testing::RdbTestConfigs(false)) {
    if (c.name == config_name) config = c;
  }
  EXPECT_EQ(config.name, config_name);
  auto server = testing::StartFilledServer(config);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return source;
  EXPECT_TRUE((*server)->Save().ok());
  auto snapshot = KeyspaceSnapshot::Capture((*server)->client());
  EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  if (snapshot.ok()) source.snapshot = std::move(*snapshot);
  source.rdb = testing::ReadFileOrDie((*server)->rdb_path());
  MemoryChunkSource chunks(AsBytes(source.rdb), 1 << 16, "dump.rdb");
  SpanCollector collector;
  auto summary = rdb::ReadRdb(&chunks, {}, &collector);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  source.spans = std::move(collector.spans);
  source.db_starts = std::move(collector.db_starts);
  return source;
}

struct Damage {
  uint64_t offset = 0;
  std::string bytes;
};

struct DamageCase {
  std::string name;
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

bool Touches(const RecordSpan& span, const std::vector<Damage>& damage) {
  for (const auto& d : damage) {
    if (span.begin < d.offset + d.bytes.size() && d.offset < span.end) return true;
  }
  return false;
}

Result<KeyspaceSnapshot> LoadWithRedis(const std::string& rdb_bytes) {
  RedisServerOptions options;
  options.files_before_start = {{"dump.rdb", rdb_bytes}};
  SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(options));
  return KeyspaceSnapshot::Capture(server->client());
}

nlohmann::json ParseJson(const std::string& output) {
  return nlohmann::json::parse(output.substr(0, output.find('\n')));
}

// Records the source span and db of every key the salvage keeps.
class KeptCollector final : public rdb::RdbSalvageObserver {
 public:
  void OnKeyKept(const rdb::RdbEntry& e) override {
    kept.push_back({static_cast<int>(e.db), e.key, e.record_offset, e.value_offset + e.value_bytes});
  }
  std::vector<RecordSpan> kept;
};

bool Overlaps(const RecordSpan& a, uint64_t begin, uint64_t end) {
  return a.begin < end && begin < a.end;
}

// What one salvage did to the source's keys, as the guarantee in
// formats/rdb/rdb_salvage.h classifies them.
struct SalvageTally {
  size_t keys = 0;
  size_t damaged = 0;        // their bytes touch the damage
  size_t kept_exact = 0;     // untouched, kept at their own boundaries in their own db
  size_t kept_other_db = 0;  // untouched, kept exactly, but after damage in another db
  size_t lost_dropped = 0;   // untouched, inside a reported dropped range
  size_t lost_chance = 0;    // untouched, read as part of a chance record
  size_t chance_kept = 0;    // kept records that are no source record
  size_t rounds = 0;
  size_t dropped_ranges = 0;
  void Add(const SalvageTally& t) {
    keys += t.keys, damaged += t.damaged, kept_exact += t.kept_exact;
    kept_other_db += t.kept_other_db, lost_dropped += t.lost_dropped;
    lost_chance += t.lost_chance, chance_kept += t.chance_kept, rounds += t.rounds;
    dropped_ranges += t.dropped_ranges;
  }
  std::string ToString() const {
    return std::to_string(rounds) + " damaged files, " + std::to_string(keys) + " keys: " +
           std::to_string(damaged) + " touch the damage; of the others " +
           std::to_string(kept_exact) + " kept exactly, " + std::to_string(kept_other_db) +
           " kept in another db, " + std::to_string(lost_dropped) + " in dropped ranges, " +
           std::to_string(lost_chance) + " read into chance records; " +
           std::to_string(chance_kept) + " chance records kept; " +
           std::to_string(dropped_ranges) + " dropped ranges";
  }
};

// Repairs `source` with `damage` applied (the CLI, and the same salvage in
// process for each kept record's source span) and checks the guarantee of
// formats/rdb/rdb_salvage.h against the source server key by key:
//  1. the output is a sound RDB of the source's version: redis-check-rdb
//     accepts it, redis-server loads it, and it holds keys_kept keys;
//  2. a kept record lies outside every dropped range; one at a source
//     record's exact bytes that the damage does not touch comes back with the
//     source server's TYPE, digest and expiry, in its own db unless a damaged
//     region lies between its db's SELECTDB and it (then the db is unknown);
//  3. a source key whose bytes the damage does not touch and that is not
//     kept lies in a reported dropped range or under a kept chance record
//     (one that is no source record);
//  4. nothing before the first damaged record is dropped, and the source
//     file is never changed.
SalvageTally CheckSalvage(const std::string& config_name, const Source& source,
                          const std::vector<Damage>& damage) {
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

  auto check = testing::RunRedisCheckRdb(work.File("fixed.rdb"));
  EXPECT_TRUE(check.ok() && check->exit_code == 0) << (check.ok() ? check->output : "");
  auto loaded = LoadWithRedis(fixed);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  if (!loaded.ok()) return tally;
  EXPECT_EQ(json["keys_kept"].get<uint64_t>(), loaded->KeyCount());
  EXPECT_EQ(kept.kept.size(), loaded->KeyCount());
  EXPECT_EQ(loaded->functions, source.snapshot.functions);

  std::vector<std::pair<uint64_t, uint64_t>> dropped;
  for (const auto& range : json["dropped_ranges"]) {
    dropped.emplace_back(range["begin"].get<uint64_t>(), range["end"].get<uint64_t>());
    EXPECT_EQ(range["bytes"].get<uint64_t>(), dropped.back().second - dropped.back().first);
  }
  tally.dropped_ranges = dropped.size();
  // Damage that still parses (inside a string) shows only as a CRC64 mismatch.
  if (dropped.empty()) {
    EXPECT_EQ(json["source_crc"], "mismatch");
  }
  auto in_dropped = [&](const RecordSpan& r) {
    for (const auto& [b, e] : dropped) {
      if (Overlaps(r, b, e)) return true;
    }
    return false;
  };
  std::map<uint64_t, const RecordSpan*> original_at;  // by first byte
  for (const auto& span : source.spans) original_at[span.begin] = &span;
  std::vector<const RecordSpan*> chance;
  std::map<uint64_t, const RecordSpan*> kept_at;
  for (const auto& k : kept.kept) {
    EXPECT_FALSE(in_dropped(k)) << "kept record " << k.begin << ".." << k.end
                                << " overlaps a dropped range";
    auto it = original_at.find(k.begin);
    const bool exact = it != original_at.end() && it->second->end == k.end &&
                       it->second->key == k.key && !Touches(k, damage);
    if (exact) {
      kept_at[k.begin] = &k;
    } else {
      chance.push_back(&k);
      tally.chance_kept += Touches(k, damage) ? 0 : 1;
    }
  }
  // The bytes between each db's first key and the key before it (its
  // SELECTDB and RESIZEDB).
  std::map<int, RecordSpan> db_start;
  for (const auto& start : source.db_starts) db_start[start.db] = start;
  uint64_t first_damaged_record = source.rdb.size();
  for (const auto& span : source.spans) {
    if (Touches(span, damage)) first_damaged_record = std::min(first_damaged_record, span.begin);
  }
  for (const auto& start : source.db_starts) {
    if (Touches(start, damage)) first_damaged_record = std::min(first_damaged_record, start.begin);
  }
  uint64_t previous_begin = 0;  // the record before the first damaged one may go with it
  for (const auto& span : source.spans) {
    if (span.end <= first_damaged_record) previous_begin = span.begin;
  }
  for (const auto& [b, e] : dropped) {
    EXPECT_GE(b, previous_begin) << "dropped " << b << ".." << e << " before the first damage";
  }

  for (const auto& span : source.spans) {
    ++tally.keys;
    if (Touches(span, damage)) {
      ++tally.damaged;
      continue;
    }
    const std::string what = "db " + std::to_string(span.db) + " key " +
                             testing::PrintableKey(span.key) + " at " + std::to_string(span.begin);
    auto k = kept_at.find(span.begin);
    if (k != kept_at.end()) {
      const int db = k->second->db;
      // The db is unknown after damage in the key's db, or when its SELECTDB
      // was dropped or read into a chance record.
      bool db_unknown = in_dropped(db_start[span.db]);
      for (const RecordSpan* c : chance) {
        db_unknown = db_unknown || Overlaps(db_start[span.db], c->begin, c->end);
      }
      for (const auto& d : damage) {
        db_unknown = db_unknown || (d.offset + d.bytes.size() > db_start[span.db].begin &&
                                    d.offset < span.begin);
      }
      if (db == span.db) {
        ++tally.kept_exact;
      } else {
        ++tally.kept_other_db;
        EXPECT_TRUE(db_unknown) << what << " was put in db " << db
                                << " though no damage lies between its SELECTDB and it";
      }
      auto got = loaded->dbs.find(db);
      EXPECT_TRUE(got != loaded->dbs.end() && got->second.count(span.key) > 0) << what;
      if (got != loaded->dbs.end() && got->second.count(span.key) > 0) {
        EXPECT_EQ(got->second.at(span.key), source.snapshot.dbs.at(span.db).at(span.key)) << what;
      }
      continue;
    }
    if (in_dropped(span)) {
      ++tally.lost_dropped;
      continue;
    }
    bool under_chance = false;
    for (const RecordSpan* c : chance) under_chance = under_chance || Overlaps(span, c->begin, c->end);
    EXPECT_TRUE(under_chance) << what
                              << " does not touch the damage, is not kept, and lies neither in a "
                                 "dropped range nor under a chance record";
    ++tally.lost_chance;
  }
  std::printf("[ salvage  ] %s: %s\n", config_name.c_str(), tally.ToString().c_str());
  return tally;
}

class RepairRdbDamageTest
    : public ::testing::TestWithParam<std::tuple<std::string, DamageCase>> {};

// Disabled for the same reason as RandomDamageKeepsTheSalvageGuarantee: the
// source comes from a live server, so its layout (and where the damage
// lands) differs per run, and the open salvage finding can hit any run.
TEST_P(RepairRdbDamageTest, DISABLED_KeepsTheSalvageGuarantee) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const auto& [config_name, damage_case] = GetParam();
  const Source& source = SourceFor(config_name);
  ASSERT_FALSE(source.rdb.empty());
  ASSERT_GT(source.spans.size(), 2000u * testing::TestScale());
  const uint64_t seed = std::hash<std::string>{}(damage_case.name);
  SCOPED_TRACE("seed " + std::to_string(seed));
  CheckSalvage(config_name + "/" + damage_case.name, source,
               MakeDamage(damage_case, source.rdb.size(), seed));
}

// Damage of every kind at seeded random places and lengths (1 byte to 8 KiB).
// The seeds are fixed; SHARDKIT_TEST_SEED=N runs seed N instead (to explore).
// The source RDB comes from a live server, so its key order differs from run
// to run: the checks are the salvage's guarantee, which holds for any input.
// Disabled until the two open salvage findings in tests/reliability/FINDINGS.md
// are fixed (a salvaged output redis-check-rdb refused; chance records): run
// with --gtest_also_run_disabled_tests and SHARDKIT_TEST_SEED to explore.
TEST(RepairRdbTest, DISABLED_RandomDamageKeepsTheSalvageGuarantee) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = SourceFor("Defaults");
  ASSERT_FALSE(source.rdb.empty());
  std::vector<uint64_t> seeds = {1, 2, 3};
  if (const char* env = std::getenv("SHARDKIT_TEST_SEED"); env != nullptr && *env != '\0') {
    seeds = {std::stoull(env)};
  }
  const int rounds = std::max(4, static_cast<int>(8 * testing::TestScale()));
  SalvageTally total;
  for (uint64_t seed : seeds) {
    std::printf("[ seed     ] SHARDKIT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    SCOPED_TRACE("SHARDKIT_TEST_SEED=" + std::to_string(seed));
    std::mt19937_64 rng(seed);
    for (int round = 0; round < rounds; ++round) {
      const char kinds[] = {'g', 'z', 'x'};
      const size_t length = size_t{1} << (rng() % 14);
      const uint64_t at = 64 + rng() % (source.rdb.size() - 64 - length - 16);
      Damage d;
      d.offset = at;
      d.bytes.assign(length, '\0');
      const char kind = kinds[rng() % 3];
      for (char& ch : d.bytes) {
        ch = kind == 'g' ? static_cast<char>(rng()) : kind == 'x' ? '\xab' : 0;
      }
      SCOPED_TRACE("round " + std::to_string(round) + ": " + std::to_string(length) +
                   " bytes of '" + kind + "' at " + std::to_string(at));
      total.Add(CheckSalvage("random", source, {d}));
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::printf("[ total    ] %s\n", total.ToString().c_str());
}

std::vector<DamageCase> DamageCases() {
  return {
      {"FewBytes", {{0.5, 3, 'x'}}},
      {"Garbage4KiB", {{0.4, 4096, 'g'}}},
      {"Zeros4KiB", {{0.6, 4096, 'z'}}},
      {"TwoRegions", {{0.25, 64, 'g'}, {0.75, 1000, 'z'}}},
  };
}

INSTANTIATE_TEST_SUITE_P(
    Damage, RepairRdbDamageTest,
    ::testing::Combine(::testing::Values("Defaults", "CompactThresholdsZero"),
                       ::testing::ValuesIn(DamageCases())),
    [](const auto& p) {
      return std::get<0>(p.param) + "_" + std::get<1>(p.param).name;
    });

TEST(RepairRdbTest, SoundDumpIsCopiedUnchangedAndExitsZero) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = SourceFor("Defaults");
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
  auto loaded = LoadWithRedis(testing::ReadFileOrDie(work.File("copy.rdb")));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(source.snapshot.Diff(*loaded), "");
  // In place: nothing to do, nothing written, no backup.
  auto again = testing::RunProcess(
      {testing::ShardkitBinary(), "repair", work.File("dump.rdb"), "--in-place", "--json"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 0) << again->output;
  EXPECT_EQ(ParseJson(again->output)["backup"], "");
  EXPECT_EQ(std::distance(fs::directory_iterator(work.path()), fs::directory_iterator()), 2);
}

// Disabled for the same reason (it checks the output with redis-check-rdb).
TEST(RepairRdbTest, DISABLED_InPlaceKeepsTheOriginalBesideTheSalvagedFile) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = SourceFor("Defaults");
  ASSERT_FALSE(source.rdb.empty());
  testing::TempDir work("rdb-inplace");
  std::string damaged = source.rdb;
  damaged.replace(damaged.size() / 2, 512, std::string(512, '\xff'));
  const std::string path = work.File("dump.rdb");
  testing::WriteFileOrDie(path, damaged);
  auto run = testing::RunProcess({testing::ShardkitBinary(), "repair", path, "--in-place", "--json"});
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
  auto loaded = LoadWithRedis(fixed);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(json["keys_kept"].get<uint64_t>(), loaded->KeyCount());
  EXPECT_GT(loaded->KeyCount(), source.spans.size() * 9 / 10);
}

TEST(RepairRdbTest, TruncatedDumpKeepsEveryKeyBeforeTheCut) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const Source& source = SourceFor("Defaults");
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
  auto loaded = LoadWithRedis(testing::ReadFileOrDie(work.File("fixed.rdb")));
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
