// Damage, not refusal (issue 16, item 3): random damage to RDB files written
// by a real redis-server 7.0 must make `shardkit verify` say "corrupt"
// (exit 1) or, when the damage happens to leave a sound file, "sound"
// (exit 0) -- never "unsupported" (exit 3), which a bootstrapper would read
// as "skip this volume" instead of "fall back to a replica's copy".
//
// Files: the test dataset (every type and encoding, TTLs, streams, a
// function library, keys in all 16 dbs) saved under four server configs.
// Mutations, seeded: byte flips anywhere; a record's type byte (or any byte)
// set to another producer's opcode/type (Dragonfly, Redis Enterprise, KeyDB),
// MODULE_PRE_GA or a type/opcode newer than RDB 10; header version digits
// changed; truncations. All mutated files go through ONE `shardkit verify
// --json` run (and a third of them through one `verify --deep --json` run):
// the ASan binary starts slowly, and verify takes many paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/rdb/rdb_reader.h"
#include "tests/support/datasets.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace rdb = ::shardkit::formats::rdb;

// Bytes that belong to other writers or other versions (formats-reference.md
// §1.3, §3, §8), the ones that used to make verify exit 3.
const uint8_t kForeignBytes[] = {
    210, 200, 201, 211, 220, 224, 30, 31, 32, 33, 34, 35, 36, 37,  // Dragonfly
    107, 121, 101, 102, 250, 251, 252,                             // Redis Enterprise / Garantia
    64,                                                            // KeyDB
    6,                                                             // MODULE_PRE_GA
    20, 21, 22, 24, 25, 26, 27, 28, 29, 242, 243, 244,             // newer than RDB 10
};

// Where records start and values begin, for planting bytes where the reader
// takes them as a record type.
class OffsetsVisitor : public rdb::RdbVisitor {
 public:
  Status OnEntry(const rdb::RdbEntry& e) override {
    record_offsets.push_back(e.record_offset);
    value_offsets.push_back(e.value_offset);
    return Status();
  }
  std::vector<uint64_t> record_offsets;
  std::vector<uint64_t> value_offsets;
};

struct Source {
  std::string name;
  std::string bytes;
  std::vector<uint64_t> record_offsets;
  std::vector<uint64_t> value_offsets;
};

struct Mutated {
  std::string path;
  std::string what;  // the mutations, for failure messages
};

// Applies one seeded mutation to `bytes`; returns what it did.
std::string Mutate(const Source& source, std::mt19937_64& rng, std::string* bytes) {
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
  const uint8_t foreign = kForeignBytes[pick(sizeof(kForeignBytes))];
  switch (pick(10)) {
    case 0:
    case 1:
    case 2: {  // flip bits of any byte
      const uint64_t at = pick(bytes->size());
      const uint8_t mask = static_cast<uint8_t>(1 + pick(255));
      (*bytes)[at] = static_cast<char>((*bytes)[at] ^ mask);
      return "flip " + std::to_string(mask) + " at " + std::to_string(at);
    }
    case 3:
    case 4:
    case 5: {  // a key record's first byte (a prefix opcode or the type)
      const uint64_t at = source.record_offsets[pick(source.record_offsets.size())];
      (*bytes)[at] = static_cast<char>(foreign);
      return "record byte " + std::to_string(foreign) + " at " + std::to_string(at);
    }
    case 6: {  // the byte just before a value: the key's last byte or length
      const uint64_t at = source.value_offsets[pick(source.value_offsets.size())] - 1;
      (*bytes)[at] = static_cast<char>(foreign);
      return "byte " + std::to_string(foreign) + " before a value at " + std::to_string(at);
    }
    case 7: {  // any byte
      const uint64_t at = pick(bytes->size());
      (*bytes)[at] = static_cast<char>(foreign);
      return "byte " + std::to_string(foreign) + " at " + std::to_string(at);
    }
    case 8: {  // a header version digit
      const uint64_t at = 5 + pick(4);
      const char digit = static_cast<char>('0' + pick(10));
      (*bytes)[at] = digit;
      return std::string("header digit '") + digit + "' at " + std::to_string(at);
    }
    default: {  // truncation
      const uint64_t n = pick(bytes->size());
      bytes->resize(n);
      return "truncated to " + std::to_string(n);
    }
  }
}

class VerifyDamageCliTest : public ::testing::Test {
 protected:
  void SetUp() override { SHARDKIT_REQUIRE_REDIS_SERVER(); }

  // The dataset saved by a real redis-server 7.0 under `config`.
  static Result<Source> MakeSource(const RedisTestConfig& config) {
    RedisServerOptions options;
    options.config = config.config;
    SK_ASSIGN_OR_RETURN(auto server, RedisServer::Start(options));
    SK_RETURN_IF_ERROR(RunSetupCommands(server->client(), config));
    DatasetOptions data;
    data.keys = static_cast<size_t>(1000 * TestScale());
    SK_RETURN_IF_ERROR(FillDataset(server->client(), data));
    SK_RETURN_IF_ERROR(server->Save());
    Source source;
    source.name = config.name;
    source.bytes = ReadFileOrDie(server->rdb_path());
    OffsetsVisitor offsets;
    MemoryChunkSource in(AsBytes(source.bytes), 1 << 20, config.name);
    SK_RETURN_IF_ERROR(rdb::ReadRdb(&in, rdb::RdbReadOptions(), &offsets).status());
    source.record_offsets = std::move(offsets.record_offsets);
    source.value_offsets = std::move(offsets.value_offsets);
    return source;
  }
};

// One verify run over `files`: exit 0 or 1, and every file sound or corrupt.
void ExpectSoundOrCorrupt(const std::vector<Mutated>& files, bool deep) {
  std::vector<std::string> args = {"verify", "--json", "--threads", "2"};
  if (deep) args.insert(args.begin() + 1, "--deep");
  for (const Mutated& m : files) args.push_back(m.path);
  const CliRun run = RunShardkit(args);
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1)
      << "exit " << run.exit_code << "\n" << run.err.substr(0, 4000);
  const std::vector<nlohmann::json> lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), files.size()) << run.err.substr(0, 4000);
  std::map<std::string, int> verdicts;
  for (size_t i = 0; i < files.size(); ++i) {
    const nlohmann::json& j = lines[i];
    ASSERT_EQ(j["path"], files[i].path);
    const std::string verdict = j["ok"] == true                        ? "sound"
                                : j["error"]["code"] == "Corruption"   ? "corrupt"
                                : j["error"]["code"] == "NotSupported" ? "unsupported"
                                                                       : "other";
    ++verdicts[verdict];
    EXPECT_TRUE(verdict == "sound" || verdict == "corrupt")
        << files[i].what << " (" << files[i].path << "): " << verdict << ": "
        << j["error"].dump();
  }
  // Almost every mutation must be found; a few land in string bytes of the
  // file without a checksum and leave it sound.
  EXPECT_GT(verdicts["corrupt"], static_cast<int>(files.size() * 3 / 4));
  std::string tally;
  for (const auto& [verdict, n] : verdicts) tally += " " + verdict + "=" + std::to_string(n);
  ::testing::Test::RecordProperty(deep ? "deep_verdicts" : "raw_verdicts", tally);
  std::fprintf(stderr, "%s verdicts:%s\n", deep ? "deep" : "raw", tally.c_str());
}

TEST_F(VerifyDamageCliTest, RandomDamageToRedis70FilesIsCorruptNeverUnsupported) {
  const std::vector<std::string> wanted = {"Defaults", "CompactThresholdsZero",
                                           "NoCompressionNoChecksum", "AllKeysLfu"};
  std::vector<Source> sources;
  for (const RedisTestConfig& config : RdbTestConfigs(false)) {
    if (std::find(wanted.begin(), wanted.end(), config.name) == wanted.end()) continue;
    auto source = MakeSource(config);
    ASSERT_TRUE(source.ok()) << config.name << ": " << source.status().ToString();
    ASSERT_EQ(source->bytes.substr(0, 9), "REDIS0010");
    ASSERT_FALSE(source->record_offsets.empty());
    sources.push_back(std::move(*source));
  }
  ASSERT_EQ(sources.size(), wanted.size());

  TempDir dir("verify-damage");
  std::mt19937_64 rng(20260316);
  constexpr int kPerSource = 90;
  std::vector<Mutated> files;
  for (const Source& source : sources) {
    for (int i = 0; i < kPerSource; ++i) {
      std::string bytes = source.bytes;
      Mutated m;
      // Mostly one mutation; every fifth file gets three.
      const int count = i % 5 == 4 ? 3 : 1;
      for (int k = 0; k < count; ++k) {
        m.what += (k > 0 ? "; " : source.name + ": ") + Mutate(source, rng, &bytes);
        // Record offsets past a truncation would be out of range.
        if (bytes.size() != source.bytes.size()) break;
      }
      m.path = dir.File(source.name + "-" + std::to_string(i) + ".rdb");
      WriteFileOrDie(m.path, bytes);
      files.push_back(std::move(m));
    }
  }
  ExpectSoundOrCorrupt(files, /*deep=*/false);
  std::vector<Mutated> deep_files;
  for (size_t i = 0; i < files.size(); i += 3) deep_files.push_back(files[i]);
  ExpectSoundOrCorrupt(deep_files, /*deep=*/true);
}

}  // namespace
}  // namespace shardkit::testing
