// VerifyRdb's split read (RdbVerifyOptions::split) against the one-thread
// read: the same report in every case (counts per type, expiries, CRC status,
// end offset, warnings; on damage the same first error, offset and message),
// on generated files of several shapes with the first split's scan started
// at every byte of a range around the middle (inside key prefixes, inside
// values holding bytes that read as records), on seeded damage in either half,
// on every RDB file of the public corpus, and with 2-4 threads splitting the
// file into many pieces (pieces split again as threads free up).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "formats/rdb/rdb_verify.h"
#include "tests/formats/encodings/test_seed.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::rdb {
namespace verify_split_test {

// A file of `keys` keys: strings, sets, hashes and zsets, some with an
// expiry, LRU idle time or LFU frequency, a SELECTDB/RESIZEDB at 60%, AUX
// fields in front, and (with `embedded`) one string value near the middle
// whose bytes are themselves 40 sound key records.
struct Shape {
  int keys = 3000;
  bool embedded = false;
  bool aux_in_back_half = false;
  bool function_in_back_half = false;
  std::string magic = "REDIS0011";
  bool crc = true;
  bool crc_disabled = false;
  std::string trailing;
};

// `v4`: only what RDB v4 has (no LRU/LFU opcodes, no binary zset scores).
void AppendKeyRecord(std::string* out, std::mt19937_64& rng, int i, bool v4 = false) {
  int kind = static_cast<int>(rng() % 10);
  if (v4 && (kind == 1 || kind == 2)) kind = 3;
  if (kind == 0) {
    out->push_back(static_cast<char>(kOpExpireTimeMs));
    AppendU64Le(out, 1'900'000'000'000ULL + static_cast<uint64_t>(i));
  } else if (kind == 1) {
    out->push_back(static_cast<char>(kOpIdle));
    AppendLength(out, rng() % 5000);
  } else if (kind == 2) {
    out->push_back(static_cast<char>(kOpFreq));
    out->push_back(static_cast<char>(rng() % 256));
  }
  const std::string key = "key:" + std::to_string(i);
  const int type = static_cast<int>(rng() % (v4 ? 7 : 8));
  const int n = 1 + static_cast<int>(rng() % 4);
  if (type == 5) {
    out->push_back(static_cast<char>(kTypeSet));
    AppendString(out, key);
    AppendLength(out, n);
    for (int e = 0; e < n; ++e) AppendString(out, "m" + std::to_string(e));
  } else if (type == 6) {
    out->push_back(static_cast<char>(kTypeHash));
    AppendString(out, key);
    AppendLength(out, n);
    for (int e = 0; e < n; ++e) {
      AppendString(out, "f" + std::to_string(e));
      AppendString(out, std::string(rng() % 20, 'v'));
    }
  } else if (type == 7) {
    out->push_back(static_cast<char>(kTypeZset2));
    AppendString(out, key);
    AppendLength(out, n);
    for (int e = 0; e < n; ++e) {
      AppendString(out, "z" + std::to_string(e));
      AppendBinaryDouble(out, e * 1.5);
    }
  } else {
    out->push_back(static_cast<char>(kTypeString));
    AppendString(out, key);
    std::string value(rng() % 120, '\0');
    for (char& c : value) c = static_cast<char>(rng() % 256);  // binary, record-like bytes
    AppendString(out, value);
  }
}

std::string MakeFile(const Shape& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool v4 = shape.magic == "REDIS0004";  // no AUX, RESIZEDB (RDB v7)
  std::string body;
  if (!v4) {
    body.push_back(static_cast<char>(kOpAux));
    AppendString(&body, "redis-ver");
    AppendString(&body, "7.2.4");
  }
  body.push_back(static_cast<char>(kOpSelectDb));
  AppendLength(&body, 0);
  for (int i = 0; i < shape.keys; ++i) {
    if (i == shape.keys / 2 && shape.embedded) {
      std::string records;
      for (int j = 0; j < 40; ++j) AppendKeyRecord(&records, rng, 1'000'000 + j);
      body.push_back(static_cast<char>(kTypeString));
      AppendString(&body, "embedded");
      AppendString(&body, records);
    }
    if (i == shape.keys / 2 + 7 && shape.aux_in_back_half) {
      body.push_back(static_cast<char>(kOpAux));
      AppendString(&body, "mid-file-aux");
      AppendString(&body, "x");
    }
    if (i == shape.keys / 2 + 9 && shape.function_in_back_half) {
      body.push_back(static_cast<char>(kOpFunction2));
      AppendString(&body, "#!lua name=lib\nredis.register_function('f', function() end)");
    }
    if (i == shape.keys * 6 / 10) {
      body.push_back(static_cast<char>(kOpSelectDb));
      AppendLength(&body, 1);
      if (!v4) {
        body.push_back(static_cast<char>(kOpResizeDb));
        AppendLength(&body, shape.keys);
        AppendLength(&body, 0);
      }
    }
    AppendKeyRecord(&body, rng, i, v4);
  }
  std::string file;
  if (shape.crc_disabled) {
    file = shape.magic + body;
    file.push_back(static_cast<char>(kOpEof));
    AppendU64Le(&file, 0);
  } else {
    file = testing::Frame(shape.magic, body, shape.crc);
  }
  return file + shape.trailing;
}

RdbVerifyReport VerifyOneThread(const std::string& bytes, bool deep) {
  MemoryChunkSource source(AsBytes(bytes), 4096, "split.rdb");
  RdbVerifyOptions options;
  options.deep = deep;
  return VerifyRdb(&source, options);
}

// Two threads, the second scanning from `scan_from`; chunks of 4096 bytes so
// that the resync window and records straddle chunk boundaries.
RdbVerifyReport VerifyTwoThreads(const std::string& bytes, bool deep, uint64_t scan_from) {
  MemoryChunkSource source(AsBytes(bytes), 4096, "split.rdb");
  RdbVerifyOptions options;
  options.deep = deep;
  options.split.min_bytes = 0;
  options.split.align_bytes = 1;
  options.split.scan_from = scan_from;
  options.split.open_at = [&bytes](uint64_t offset) -> Result<std::unique_ptr<ChunkSource>> {
    return std::unique_ptr<ChunkSource>(
        new MemoryChunkSource(AsBytes(bytes).subspan(offset), 4096, "split.rdb"));
  };
  return VerifyRdb(&source, options);
}

// `threads` readers; a piece is split again while it has `min_steal_bytes`
// left, so small files are read in many pieces whose boundaries depend on
// how the threads happen to run.
RdbVerifyReport VerifyInPieces(const std::string& bytes, bool deep, int threads,
                               uint64_t min_steal_bytes) {
  MemoryChunkSource source(AsBytes(bytes), 4096, "split.rdb");
  RdbVerifyOptions options;
  options.deep = deep;
  options.split.threads = threads;
  options.split.min_bytes = 0;
  options.split.align_bytes = 1;
  options.split.min_steal_bytes = min_steal_bytes;
  options.split.open_at = [&bytes](uint64_t offset) -> Result<std::unique_ptr<ChunkSource>> {
    return std::unique_ptr<ChunkSource>(
        new MemoryChunkSource(AsBytes(bytes).subspan(offset), 4096, "split.rdb"));
  };
  return VerifyRdb(&source, options);
}

void ExpectSameReport(const RdbVerifyReport& want, const RdbVerifyReport& got,
                      const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(got.ok, want.ok);
  EXPECT_EQ(got.header_read, want.header_read);
  EXPECT_EQ(got.header.version, want.header.version);
  EXPECT_EQ(got.producer, want.producer);
  EXPECT_EQ(got.vendor, want.vendor);
  EXPECT_EQ(got.vendor_named_by, want.vendor_named_by);
  EXPECT_EQ(got.enterprise_records, want.enterprise_records);
  EXPECT_EQ(got.keys, want.keys);
  EXPECT_EQ(got.keys_per_type, want.keys_per_type);
  EXPECT_EQ(got.keys_with_expiry, want.keys_with_expiry);
  EXPECT_EQ(got.empty_keys, want.empty_keys);
  EXPECT_EQ(got.modules, want.modules);
  EXPECT_EQ(got.functions, want.functions);
  EXPECT_EQ(got.crc, want.crc);
  EXPECT_EQ(got.crc_stored, want.crc_stored);
  EXPECT_EQ(got.crc_computed, want.crc_computed);
  EXPECT_EQ(got.end_offset, want.end_offset);
  EXPECT_EQ(got.trailing_bytes, want.trailing_bytes);
  EXPECT_EQ(got.bytes_read, want.bytes_read);
  EXPECT_EQ(got.error.ToString(), want.error.ToString());
  EXPECT_EQ(got.error_offset, want.error_offset);
  EXPECT_EQ(got.error_key, want.error_key);
  EXPECT_EQ(got.warnings, want.warnings);
}

// Every scan start in [from, to) gives the one-thread report; returns how
// many of them the two-thread read actually ended split.
int CheckScanRange(const std::string& bytes, bool deep, uint64_t from, uint64_t to) {
  const RdbVerifyReport want = VerifyOneThread(bytes, deep);
  int split = 0;
  for (uint64_t scan = from; scan < to && scan < bytes.size(); ++scan) {
    const RdbVerifyReport got = VerifyTwoThreads(bytes, deep, scan);
    ExpectSameReport(want, got, "scan from " + std::to_string(scan) + (deep ? " deep" : " raw"));
    if (got.split_at.has_value()) ++split;
    if (::testing::Test::HasFailure()) break;
  }
  return split;
}

class RdbVerifySplitTest : public ::testing::TestWithParam<bool> {};

TEST_P(RdbVerifySplitTest, EveryScanStartNearTheMiddleGivesTheOneThreadReport) {
  const std::string bytes = MakeFile(Shape{}, 1);
  const uint64_t mid = bytes.size() / 2;
  const int split = CheckScanRange(bytes, GetParam(), mid - 300, mid + 300);
  // Most starts are inside a record: the resync finds the next record start
  // and the first read lands on it.
  EXPECT_GT(split, 500);
  const RdbVerifyReport at_mid = VerifyTwoThreads(bytes, GetParam(), mid);
  ASSERT_TRUE(at_mid.ok) << at_mid.error.ToString();
  EXPECT_TRUE(at_mid.split_at.has_value());
  EXPECT_EQ(at_mid.crc, CrcStatus::kOk);
}

TEST_P(RdbVerifySplitTest, ValueHoldingRecordsIsAFalseBoundaryTheFirstReadSkips) {
  Shape shape;
  shape.embedded = true;
  const std::string bytes = MakeFile(shape, 2);
  const size_t value_at = bytes.find("embedded");
  ASSERT_NE(value_at, std::string::npos);
  // Scan starts inside the value's record-like bytes: the resync finds
  // records there, the back half reads them soundly (then the real records
  // after the value), and the first read never lands on that start.
  CheckScanRange(bytes, GetParam(), value_at, value_at + 400);
  const RdbVerifyReport inside = VerifyTwoThreads(bytes, GetParam(), value_at + 20);
  ASSERT_TRUE(inside.ok) << inside.error.ToString();
  EXPECT_FALSE(inside.split_at.has_value());
}

// DEBUG POPULATE's shape: string keys whose 100-byte values are "value:N"
// padded with zero bytes. Three zero bytes read as a sound record (type
// string, empty key, empty value), so a resync that accepted empty keys
// stopped inside the padding, 1-3 bytes before a true record start, and the
// split was discarded; from every scan start the split must now land.
TEST_P(RdbVerifySplitTest, ZeroPaddedValuesStillGiveARecordStart) {
  std::string body;
  body.push_back(static_cast<char>(kOpSelectDb));
  AppendLength(&body, 0);
  for (int i = 0; i < 4000; ++i) {
    std::string value = "value:" + std::to_string(i);
    value.resize(100, '\0');
    body.push_back(static_cast<char>(kTypeString));
    AppendString(&body, "key:" + std::to_string(i));
    AppendString(&body, value);
  }
  const std::string bytes = testing::Frame("REDIS0010", body, true);
  const uint64_t mid = bytes.size() / 2;
  EXPECT_EQ(CheckScanRange(bytes, GetParam(), mid, mid + 150), 150);
}

TEST_P(RdbVerifySplitTest, OrderSensitiveRecordsInTheBackHalfAreReadByTheFirstThread) {
  Shape shape;
  shape.aux_in_back_half = true;
  shape.function_in_back_half = true;
  const std::string bytes = MakeFile(shape, 3);
  const uint64_t mid = bytes.size() / 2;
  CheckScanRange(bytes, GetParam(), mid - 50, mid + 50);
}

TEST_P(RdbVerifySplitTest, CrcAbsentDisabledAndTrailingBytes) {
  Shape old_version;
  old_version.magic = "REDIS0004";
  old_version.crc = false;
  Shape disabled;
  disabled.crc_disabled = true;
  Shape trailing;
  trailing.trailing = "*1\r\n$4\r\nPING\r\n";
  for (const Shape& shape : {old_version, disabled, trailing}) {
    const std::string bytes = MakeFile(shape, 4);
    ASSERT_TRUE(VerifyOneThread(bytes, GetParam()).ok) << shape.magic;
    const uint64_t mid = bytes.size() / 2;
    EXPECT_GT(CheckScanRange(bytes, GetParam(), mid, mid + 40), 0) << shape.magic;
  }
}

// `clean` with one or two bytes changed after the magic; every tenth round
// also cut somewhere in its second half.
std::string Damaged(const std::string& clean, std::mt19937_64& rng, int round) {
  std::string bytes = clean;
  const int changes = 1 + static_cast<int>(rng() % 2);
  for (int c = 0; c < changes; ++c) {
    bytes[9 + rng() % (bytes.size() - 9)] = static_cast<char>(rng() % 256);
  }
  if (round % 10 == 0) bytes.resize(bytes.size() / 2 + rng() % (bytes.size() / 2));
  return bytes;
}

// One or two changed bytes anywhere (most in values: a CRC mismatch the
// first read must report; some in lengths and type bytes: damage in either
// half): the same first error, offset and message as one thread.
TEST_P(RdbVerifySplitTest, DamageInEitherHalfGivesTheOneThreadError) {
  const std::string clean = MakeFile(Shape{}, 5);
  const uint64_t seed = shardkit::formats::testing::TestSeed();
  std::mt19937_64 rng(seed);
  int corrupt = 0;
  for (int round = 0; round < 150; ++round) {
    const std::string bytes = Damaged(clean, rng, round);
    const RdbVerifyReport want = VerifyOneThread(bytes, GetParam());
    if (!want.ok) ++corrupt;
    const uint64_t scan = bytes.size() / 2 - 200 + rng() % 400;
    ExpectSameReport(want, VerifyTwoThreads(bytes, GetParam(), scan),
                     "round " + std::to_string(round) + " seed " + std::to_string(seed));
    if (HasFailure()) break;
  }
  EXPECT_GT(corrupt, 100);
}

// Many pieces: every thread that runs out of work splits the piece with the
// most left, again and again down to a few KiB, on 2-4 threads. Boundaries
// fall wherever the threads happen to be, inside values holding record-like
// bytes too; the report never changes.
TEST_P(RdbVerifySplitTest, ManyPiecesOnSeveralThreadsGiveTheOneThreadReport) {
  Shape embedded;
  embedded.embedded = true;
  Shape order_sensitive;
  order_sensitive.aux_in_back_half = true;
  order_sensitive.function_in_back_half = true;
  uint64_t most_pieces = 0;
  for (const Shape& shape : {Shape{}, embedded, order_sensitive}) {
    const std::string bytes = MakeFile(shape, 6);
    const RdbVerifyReport want = VerifyOneThread(bytes, GetParam());
    ASSERT_TRUE(want.ok) << want.error.ToString();
    for (int threads : {2, 3, 4}) {
      for (uint64_t min_steal : {uint64_t{2048}, uint64_t{16384}}) {
        for (int round = 0; round < 5; ++round) {
          const RdbVerifyReport got = VerifyInPieces(bytes, GetParam(), threads, min_steal);
          ExpectSameReport(want, got,
                           std::to_string(threads) + " threads, min " + std::to_string(min_steal));
          most_pieces = std::max(most_pieces, got.pieces);
          if (HasFailure()) return;
        }
      }
    }
  }
  // The sound shapes do chain several pieces (else this test proves nothing).
  EXPECT_GE(most_pieces, 4u);
}

// Seeded damage read in many pieces: the first error, offset and message of
// one thread, whichever piece the damage falls in (the piece is read again
// from its start with the whole file's state).
TEST_P(RdbVerifySplitTest, DamageInAnyOfManyPiecesGivesTheOneThreadError) {
  const std::string clean = MakeFile(Shape{}, 7);
  const uint64_t seed = shardkit::formats::testing::TestSeed();
  std::mt19937_64 rng(seed);
  int corrupt = 0;
  for (int round = 0; round < 120; ++round) {
    const std::string bytes = Damaged(clean, rng, round);
    const RdbVerifyReport want = VerifyOneThread(bytes, GetParam());
    if (!want.ok) ++corrupt;
    const int threads = 2 + static_cast<int>(rng() % 3);
    ExpectSameReport(want, VerifyInPieces(bytes, GetParam(), threads, 4096),
                     "round " + std::to_string(round) + " seed " + std::to_string(seed) + ", " +
                         std::to_string(threads) + " threads");
    if (HasFailure()) break;
  }
  EXPECT_GT(corrupt, 80);
}

INSTANTIATE_TEST_SUITE_P(RawAndDeep, RdbVerifySplitTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Deep" : "Raw";
                         });

TEST(RdbVerifySplitCorpusTest, EveryCorpusFileGivesTheOneThreadReport) {
  const std::string root = shardkit::testing::CorpusDir();
  const std::vector<std::string> files = testing::CorpusRdbFiles(root);
  ASSERT_FALSE(files.empty());
  int split = 0;
  for (const std::string& path : files) {
    const std::string bytes = shardkit::testing::ReadFileOrDie(root + "/" + path);
    for (bool deep : {false, true}) {
      const RdbVerifyReport want = VerifyOneThread(bytes, deep);
      for (uint64_t scan : {bytes.size() / 3, bytes.size() / 2, bytes.size() * 2 / 3}) {
        const RdbVerifyReport got = VerifyTwoThreads(bytes, deep, scan);
        ExpectSameReport(want, got, path + " scan " + std::to_string(scan));
        if (got.split_at.has_value()) ++split;
      }
    }
    if (HasFailure()) break;
  }
  EXPECT_GT(split, 0);
}

}  // namespace verify_split_test
}  // namespace shardkit::formats::rdb
