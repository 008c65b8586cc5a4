// Corruption matrix: every small sound file of the public corpus (RDB, AOF,
// manifest), truncated at every offset (sampled for large files) and mutated
// thousands of times (single bytes, runs, length-field bytes, type/opcode
// bytes; seeded by SHARDKIT_TEST_SEED), through the in-process entry points
// `shardkit verify` and `inspect` use (VerifyRdb deep and raw, the raw
// reader with value capture; VerifyAofFile; ParseAofManifest). Outcomes
// checked: no crash or sanitizer report; a damaged RDB that fails names a
// file offset; a truncation before the RDB trailer never verifies; an AOF
// cut point lies inside the file. Counts scale with SHARDKIT_RELIABILITY_SCALE
// (1/8 under ASan) and are printed as figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/aof/aof_manifest.h"
#include "formats/aof/aof_verify.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_verify.h"
#include "tests/reliability/corpus_files.h"
#include "tests/reliability/mutations.h"

namespace shardkit::reliability {
namespace {

namespace rdb = formats::rdb;
namespace aof = formats::aof;

struct Tally {
  uint64_t cases = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
};

bool NamesOffset(const std::string& message) {
  return message.find("offset") != std::string::npos;
}

// One RDB image through verify (deep and structural) and the raw capture
// reader. Returns whether deep verification accepted it.
bool CheckRdb(const std::string& label, const std::string& bytes, uint64_t sound_end,
              bool truncated, Tally* tally) {
  rdb::RdbVerifyOptions deep;
  deep.deep = true;
  deep.limits.max_string_bytes = uint64_t{256} << 20;
  MemoryChunkSource source(AsBytes(bytes), 4096, label);
  const rdb::RdbVerifyReport report = rdb::VerifyRdb(&source, deep);
  rdb::RdbVerifyOptions structural;
  structural.limits = deep.limits;
  MemoryChunkSource source2(AsBytes(bytes), 4096, label);
  const rdb::RdbVerifyReport raw_report = rdb::VerifyRdb(&source2, structural);
  rdb::RdbReadOptions capture;
  capture.capture_values = true;
  capture.limits = deep.limits;
  MemoryChunkSource source3(AsBytes(bytes), 4096, label);
  rdb::RdbVisitor ignore;
  (void)rdb::ReadRdb(&source3, capture, &ignore);
  ++tally->cases;
  if (report.ok) {
    ++tally->accepted;
    EXPECT_TRUE(raw_report.ok) << label << ": deep accepts what structural rejects: "
                               << raw_report.error.ToString();
  } else {
    ++tally->rejected;
    const std::string message = report.error.ToString();
    if (report.error.code() != StatusCode::kNotSupported) {
      EXPECT_TRUE(NamesOffset(message) || report.error_offset.has_value())
          << label << ": error without an offset: " << message;
    }
  }
  if (truncated && bytes.size() < sound_end) {
    EXPECT_FALSE(report.ok) << label << ": truncated before the trailer, yet verifies";
    EXPECT_FALSE(raw_report.ok) << label << ": truncated before the trailer, yet verifies";
  }
  return report.ok;
}

void CheckAof(const std::string& label, const std::string& bytes, Tally* tally) {
  aof::AofVerifyOptions options;
  options.deep_rdb = true;
  MemoryChunkSource source(AsBytes(bytes), 4096, label);
  const aof::AofVerifyReport report = aof::VerifyAofFile(&source, label, options);
  ++tally->cases;
  if (report.ok) {
    ++tally->accepted;
    return;
  }
  ++tally->rejected;
  if (report.cut.has_value()) {
    EXPECT_LE(report.cut->offset, bytes.size()) << label;
  }
  if (report.error.code() == StatusCode::kCorruption && !report.truncated_tail) {
    EXPECT_TRUE(NamesOffset(report.error.ToString()))
        << label << ": error without an offset: " << report.error.ToString();
  }
}

void CheckManifest(const std::string& label, const std::string& bytes, Tally* tally) {
  auto manifest = aof::ParseAofManifest(bytes, label);
  ++tally->cases;
  if (manifest.ok()) {
    ++tally->accepted;
    for (const aof::AofFileInfo* f : manifest->LoadOrder()) {
      EXPECT_TRUE(aof::ValidateAofFileName(f->name).ok()) << label << ": " << f->name;
    }
  } else {
    ++tally->rejected;
    EXPECT_NE(manifest.status().ToString().find("line"), std::string::npos)
        << label << ": " << manifest.status().ToString();
  }
}

class CorruptionMatrix : public ::testing::Test {
 protected:
  // The sound files and, for RDBs, where their trailer ends.
  struct Sound {
    CorpusFile file;
    uint64_t end = 0;
  };
  static std::vector<Sound> SoundFiles() {
    std::vector<Sound> out;
    std::set<std::string> seen;
    for (CorpusFile& f : SmallCorpusFiles()) {
      if (f.kind == FileKind::kOther || !seen.insert(f.bytes).second) continue;
      Sound s;
      if (f.kind == FileKind::kRdb) {
        rdb::RdbVerifyOptions o;
        o.deep = true;
        MemoryChunkSource src(AsBytes(f.bytes));
        rdb::RdbVerifyReport r = rdb::VerifyRdb(&src, o);
        if (!r.ok) continue;
        s.end = r.end_offset;
      } else if (f.kind == FileKind::kAof) {
        MemoryChunkSource src(AsBytes(f.bytes));
        if (!aof::VerifyAofFile(&src, f.name, aof::AofVerifyOptions{}).ok) continue;
      } else if (!aof::ParseAofManifest(f.bytes, f.name).ok()) {
        continue;
      }
      s.file = std::move(f);
      out.push_back(std::move(s));
    }
    return out;
  }

  static void Check(const Sound& s, const std::string& label, const std::string& bytes,
                    bool truncated, Tally* tally) {
    switch (s.file.kind) {
      case FileKind::kRdb:
        CheckRdb(label, bytes, s.end, truncated, tally);
        break;
      case FileKind::kAof:
        CheckAof(label, bytes, tally);
        break;
      default:
        CheckManifest(label, bytes, tally);
        break;
    }
  }
};

TEST_F(CorruptionMatrix, TruncationAtEveryOffset) {
  const std::vector<Sound> files = SoundFiles();
  ASSERT_GE(files.size(), 50u) << "corpus not found or too few sound files";
  // Every offset of files up to `every` bytes; above, `every` offsets spread
  // evenly plus the first and last 64.
  const uint64_t every = std::max<uint64_t>(64, static_cast<uint64_t>(4096 * Scale()));
  Tally tally;
  uint64_t rdb_files = 0, aof_files = 0, manifests = 0;
  for (const Sound& s : files) {
    rdb_files += s.file.kind == FileKind::kRdb;
    aof_files += s.file.kind == FileKind::kAof;
    manifests += s.file.kind == FileKind::kManifest;
    for (uint64_t cut : TruncationPoints(s.file.bytes.size(), every)) {
      Check(s, s.file.name + " cut at " + std::to_string(cut), s.file.bytes.substr(0, cut), true,
            &tally);
      if (HasFailure()) return;
    }
  }
  RecordFigure("matrix_sound_files", files.size());
  RecordFigure("matrix_sound_rdb_files", rdb_files);
  RecordFigure("matrix_sound_aof_files", aof_files);
  RecordFigure("matrix_sound_manifests", manifests);
  RecordFigure("matrix_truncations", tally.cases);
  RecordFigure("matrix_truncations_accepted", tally.accepted);
}

TEST_F(CorruptionMatrix, RandomMutations) {
  const std::vector<Sound> files = SoundFiles();
  ASSERT_GE(files.size(), 50u);
  const uint64_t per_file = std::max<uint64_t>(8, static_cast<uint64_t>(256 * Scale()));
  std::mt19937_64 rng(TestSeed());
  Tally tally;
  std::map<MutationKind, uint64_t> by_kind;
  for (const Sound& s : files) {
    for (uint64_t i = 0; i < per_file; ++i) {
      std::string bytes = s.file.bytes;
      const Mutation m = Mutate(&bytes, &rng);
      ++by_kind[m.kind];
      Check(s, s.file.name + " " + m.Describe() + " (seed " + std::to_string(TestSeed()) + ")",
            bytes, false, &tally);
      if (HasFailure()) return;
    }
  }
  RecordFigure("matrix_mutations", tally.cases);
  RecordFigure("matrix_mutations_accepted", tally.accepted);
  for (const auto& [kind, n] : by_kind) {
    RecordFigure(std::string("matrix_mutations_") + MutationKindName(kind), n);
  }
}

}  // namespace
}  // namespace shardkit::reliability
