// Every RDB file of the public corpus (../shared/corpus/public) through the
// reader in raw and deep mode, checked against what MANIFEST.md measured for
// it (key count from its type histogram, keys with an expiry, CRC status,
// bytes after the CRC),
// plus the small list of files that are corrupt or unsupported on purpose.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "formats/rdb/rdb_reader.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace {

using shardkit::testing::CorpusDir;
using shardkit::testing::ReadFileOrDie;
using testing::CorpusRdbFiles;
using testing::ReadBytes;
using testing::RecordingVisitor;

struct ManifestFacts {
  bool known = false;
  uint64_t keys = 0;
  std::string crc;  // "ok", "zero", "n/a", "MISMATCH", "None"
  uint64_t trailing = 0;
  std::optional<uint64_t> expiries;  // "expiries N": keys with an expiry time
};

// Parses MANIFEST.md: "## <dir>" sections, rows "| `file` | ... | content | notes |".
std::map<std::string, ManifestFacts> ParseManifest() {
  std::ifstream in(CorpusDir() + "/MANIFEST.md");
  std::map<std::string, ManifestFacts> out;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      section = line.substr(3);
      continue;
    }
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    if (cells.size() < 5) continue;
    std::string file = cells[0];
    file = file.substr(file.find('`') + 1);
    file = file.substr(0, file.find('`'));
    const std::string& content = cells[4];
    ManifestFacts facts;
    facts.known = true;
    size_t types = content.find("types: ");
    if (types != std::string::npos) {
      std::string list = content.substr(types, content.find(';', types) - types);
      // "types: HASH×1, STRING×3" (× is UTF-8).
      for (size_t x = list.find("×"); x != std::string::npos; x = list.find("×", x + 1)) {
        facts.keys += std::strtoull(list.c_str() + x + std::string("×").size(), nullptr, 10);
      }
    }
    size_t crc = content.find("crc ");
    if (crc != std::string::npos) {
      facts.crc = content.substr(crc + 4, content.find_first_of(" ;(", crc + 4) - crc - 4);
    }
    size_t expiries = content.find("expiries ");
    if (expiries != std::string::npos) {
      facts.expiries = std::strtoull(content.c_str() + expiries + 9, nullptr, 10);
    }
    size_t tail = content.find(" bytes after the checksum");
    if (tail != std::string::npos) {
      size_t start = content.find_last_not_of("0123456789", tail - 1) + 1;
      facts.trailing = std::stoull(content.substr(start, tail - start));
    }
    out[section + "/" + file] = facts;
  }
  return out;
}

struct Expected {
  const char* suffix;
  StatusCode raw;       // outcome in raw mode
  StatusCode deep;      // outcome in deep mode
  const char* message;  // substring of the error message
  const char* reason;   // from MANIFEST.md
};

// The corpus files that must NOT read cleanly, with the manifest's reasons.
const Expected kExpectedFailures[] = {
    {"encodings-rdb75-unknown-types.rdb", StatusCode::kNotSupported, StatusCode::kNotSupported,
     "RDB version 75", "REDIS0075: Valkey's foreign range, unknown type 150"},
    {"future_v19.rdb", StatusCode::kNotSupported, StatusCode::kNotSupported, "RDB version 99",
     "REDIS0099: newer than any Redis"},
    {"invalid_chksum_v8.rdb", StatusCode::kCorruption, StatusCode::kCorruption, "CRC64 mismatch",
     "bad CRC64 trailer on purpose"},
    {"redis-replicator/module.rdb", StatusCode::kNotSupported, StatusCode::kNotSupported,
     "MODULE_PRE_GA", "Redis 4.0 RC module value with no terminator"},
    // redis_ent_opcode_ram_lru.rdb reads (issue 18): its AUX big-used-ram
    // precedes its opcodes 107.
    {"corrupt_ziplist.rdb", StatusCode::kOk, StatusCode::kCorruption, "ziplist",
     "a ziplist with a broken entry (structure intact, contents not)"},
};

const Expected* FindExpected(const std::string& path) {
  for (const Expected& e : kExpectedFailures) {
    std::string suffix = e.suffix;
    if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(),
                                                     suffix) == 0) {
      return &e;
    }
  }
  return nullptr;
}

class RdbCorpusTest : public ::testing::TestWithParam<bool> {};

TEST_P(RdbCorpusTest, EveryFileReadsAsTheManifestSays) {
  const bool deep = GetParam();
  auto manifest = ParseManifest();
  auto files = CorpusRdbFiles(CorpusDir());
  ASSERT_GE(files.size(), 250u);
  int clean = 0, failed_as_expected = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    std::string bytes = ReadFileOrDie(CorpusDir() + "/" + path);
    RdbReadOptions options;
    options.deep = deep;
    RecordingVisitor visitor;
    // Odd chunk size: every multi-byte field straddles chunk boundaries somewhere.
    Result<RdbSummary> summary = ReadBytes(bytes, options, &visitor, 997);
    const Expected* expected = FindExpected(path);
    const StatusCode want =
        expected == nullptr ? StatusCode::kOk : (deep ? expected->deep : expected->raw);
    ASSERT_EQ(summary.status().code(), want) << summary.status().ToString();
    if (want != StatusCode::kOk) {
      EXPECT_NE(summary.status().message().find(expected->message), std::string::npos)
          << summary.status().ToString() << " (" << expected->reason << ")";
      EXPECT_NE(summary.status().message().find("offset 0x"), std::string::npos)
          << summary.status().ToString();
      ++failed_as_expected;
      continue;
    }
    ++clean;
    const ManifestFacts& facts = manifest[path];
    ASSERT_TRUE(facts.known) << "not in MANIFEST.md";
    EXPECT_EQ(summary->keys, facts.keys);
    EXPECT_EQ(visitor.entries.size(), facts.keys);
    if (facts.expiries.has_value()) {
      // Each key keeps its expiry, whatever records come between its
      // EXPIRETIME opcode and its type byte (KeyDB puts an AUX there).
      const auto with_expiry =
          std::count_if(visitor.entries.begin(), visitor.entries.end(),
                        [](const RdbEntry& e) { return e.expire_ms.has_value(); });
      EXPECT_EQ(static_cast<uint64_t>(with_expiry), *facts.expiries);
    }
    const std::string crc(CrcStatusName(summary->crc));
    const std::string want_crc = facts.crc == "ok"     ? "ok"
                                 : facts.crc == "zero" ? "disabled"
                                 : facts.crc == "n/a"  ? "absent"
                                                       : "?" + facts.crc;
    EXPECT_EQ(crc, want_crc);
    EXPECT_EQ(bytes.size() - summary->end_offset, facts.trailing);
  }
  // One copy each of four negative fixtures; corrupt_ziplist.rdb (3 copies)
  // fails only when its ziplist is decoded.
  EXPECT_EQ(failed_as_expected, deep ? 7 : 4) << "clean files: " << clean;
  EXPECT_EQ(clean + failed_as_expected, static_cast<int>(files.size()));
}

INSTANTIATE_TEST_SUITE_P(RawAndDeep, RdbCorpusTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Deep" : "Raw";
                         });

// tests/integration/rdb.tcl "RDB encoding loading test" lists the contents
// Redis loads from encodings.rdb (RDB v4, one key per 2.6-era encoding).
TEST(RdbCorpusContentTest, EncodingsRdbDecodesToWhatRedisLoads) {
  std::string bytes = ReadFileOrDie(CorpusDir() + "/redis__redis/encodings.rdb");
  RdbReadOptions options;
  options.deep = true;
  RecordingVisitor v;
  auto summary = ReadBytes(bytes, options, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->header.version, 4);
  EXPECT_EQ(summary->keys, 13u);
  auto sorted = [&](const std::string& key) {
    auto items = v.elements[key];
    std::sort(items.begin(), items.end());
    return items;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(v.elements["compressible"], V{std::string(137, 'a')});
  EXPECT_EQ(v.elements["string"], V{"Hello World"});
  EXPECT_EQ(v.elements["number"], V{"10"});
  EXPECT_EQ(sorted("hash"), (V{"a=1", "aa=10", "aaa=100", "b=2", "bb=20", "bbb=200", "c=3",
                               "cc=30", "ccc=300", "ddd=400", "eee=5000000000"}));
  EXPECT_EQ(sorted("hash_zipped"), (V{"a=1", "b=2", "c=3"}));
  V list_once = {"1", "2", "3", "a", "b", "c", "100000", "6000000000"};
  V list3;
  for (int i = 0; i < 3; ++i) list3.insert(list3.end(), list_once.begin(), list_once.end());
  EXPECT_EQ(v.elements["list"], list3);
  EXPECT_EQ(v.elements["list_zipped"], list_once);
  EXPECT_EQ(sorted("set"), (V{"1", "100000", "2", "3", "6000000000", "a", "b", "c"}));
  EXPECT_EQ(v.elements["set_zipped_1"], (V{"1", "2", "3", "4"}));
  EXPECT_EQ(v.elements["set_zipped_2"], (V{"100000", "200000", "300000", "400000"}));
  EXPECT_EQ(v.elements["set_zipped_3"], (V{"1000000000", "2000000000", "3000000000",
                                          "4000000000", "5000000000", "6000000000"}));
  EXPECT_EQ(sorted("zset"), (V{"a=1", "aa=10", "aaa=100", "aaaa=1000", "b=2", "bb=20", "bbb=200",
                               "bbbb=5000000000", "c=3", "cc=30", "ccc=300", "cccc=123456789"}));
  EXPECT_EQ(sorted("zset_zipped"), (V{"a=1", "b=2", "c=3"}));
}

TEST(RdbCorpusContentTest, KeysWithExpiryCarryTheirAbsoluteTime) {
  std::string bytes =
      ReadFileOrDie(CorpusDir() + "/sripathikrishnan__redis-rdb-tools/keys_with_expiry.rdb");
  RecordingVisitor v;
  auto summary = ReadBytes(bytes, RdbReadOptions(), &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(v.entries.size(), 1u);
  ASSERT_TRUE(v.entries[0].expire_ms.has_value());
  // rdb-tools' test expects 2022-12-25 10:11:12.573 UTC.
  EXPECT_EQ(*v.entries[0].expire_ms / 1000, 1671963072);
}

TEST(RdbCorpusContentTest, ModuleValuesAreCarriedWithTheirModuleName) {
  std::string bytes = ReadFileOrDie(CorpusDir() + "/dragonflydb__dragonfly/redis_json.rdb");
  RdbReadOptions options;
  options.capture_values = true;
  RecordingVisitor v;
  auto summary = ReadBytes(bytes, options, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(v.entries.size(), 3u);
  for (const auto& e : v.entries) {
    EXPECT_EQ(e.type, kTypeModule2);
    EXPECT_EQ(e.module_name, "ReJSON-RL/3");
    EXPECT_EQ(e.value.size(), e.value_bytes);
  }
}

TEST(RdbCorpusContentTest, PreambleAofStopsRightAfterTheCrc) {
  std::string bytes = ReadFileOrDie(CorpusDir() + "/redis__redis/rdb-preamble.aof");
  auto summary = ReadBytes(bytes, RdbReadOptions(), nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->end_offset, 117u);
  EXPECT_EQ(bytes.substr(summary->end_offset, 1), "*");
}

}  // namespace
}  // namespace shardkit::formats::rdb
