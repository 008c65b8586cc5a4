// Every RDB of the public corpus (../shared/corpus/public) that RdbReader
// accepts: RDB -> native -> RDB. The native file must verify, hold every
// entry with every field (type, expiry, LRU/LFU, key_meta, value bytes), the
// AUX fields and the meta records; the RDB written back (at the source's
// version) must hold the same entries with byte-identical values.
#include <gtest/gtest.h>

#include "formats/native/native_convert.h"
#include "formats/native/native_verify.h"
#include "tests/formats/native/native_test_util.h"
#include "tests/formats/rdb/rdb_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::native {
namespace {

using rdb::testing::CorpusRdbFiles;
using rdb::testing::RecordingVisitor;
using shardkit::testing::CorpusDir;
using shardkit::testing::ReadFileOrDie;

struct Source {
  rdb::RdbSummary summary;
  RecordingVisitor records;
};

Result<std::unique_ptr<Source>> ReadRdbBytes(const std::string& bytes, const std::string& name) {
  auto source = std::make_unique<Source>();
  MemoryChunkSource chunks(AsBytes(bytes), 1 << 16, name);
  rdb::RdbReadOptions options;
  options.capture_values = true;
  SK_ASSIGN_OR_RETURN(source->summary, rdb::ReadRdb(&chunks, options, &source->records));
  return source;
}

std::vector<std::string> MetaOf(const RecordingVisitor& v) {
  std::vector<std::string> out;
  for (const auto& f : v.functions) out.push_back("function:" + f);
  for (const auto& m : v.module_aux) out.push_back("module:" + m);
  return out;
}

TEST(NativeCorpus, EveryAcceptedRdbRoundTrips) {
  const std::string root = CorpusDir();
  const auto files = CorpusRdbFiles(root);
  ASSERT_GT(files.size(), 50u);
  size_t converted = 0, skipped = 0, back_to_rdb = 0;
  for (const std::string& rel : files) {
    SCOPED_TRACE(rel);
    const std::string bytes = ReadFileOrDie(root + "/" + rel);
    auto source = ReadRdbBytes(bytes, rel);
    if (!source.ok()) {
      ++skipped;  // corrupt or unsupported on purpose (rdb_corpus_test checks which)
      continue;
    }
    StringSink native_sink(rel + ".skn");
    MemoryChunkSource chunks(AsBytes(bytes), 1 << 16, rel);
    NativeWriterOptions options;
    options.block_bytes = kMinBlockTargetBytes;  // several blocks even for small files
    auto written = RdbToNative(&chunks, &native_sink, options);
    if (!written.ok() && written.status().IsNotSupported()) {
      // Pre-GA functions and Valkey SLOT_IMPORT are refused by design.
      EXPECT_NE(written.status().message().find("does not carry"), std::string::npos)
          << written.status().ToString();
      ++skipped;
      continue;
    }
    ASSERT_TRUE(written.ok()) << written.status().ToString();
    ++converted;

    MemoryChunkSource native_chunks(AsBytes(native_sink.data()), 4096, rel + ".skn");
    NativeVerifyReport report = VerifyNative(&native_chunks, {});
    ASSERT_TRUE(report.ok) << report.error.ToString();
    EXPECT_EQ(report.keys, (*source)->records.entries.size());

    MemoryRandomAccessSource file(AsBytes(native_sink.data()), rel + ".skn");
    auto reader = NativeReader::Open(&file);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->header().aux, (*source)->records.aux);
    EXPECT_EQ((*reader)->header().rdb.version, (*source)->summary.header.version);
    auto entries = testing::ReadBlocks(**reader, (*reader)->KeyBlocks());
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    EXPECT_EQ(*entries, testing::ToMap((*source)->records.entries));
    EXPECT_EQ((*reader)->key_count(), (*source)->records.entries.size());

    if ((*source)->summary.header.magic == rdb::Magic::kValkey) continue;
    StringSink rdb_sink(rel + ".back.rdb");
    auto back = NativeToRdb(**reader, &rdb_sink, {});
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    auto again = ReadRdbBytes(rdb_sink.data(), rel + ".back.rdb");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(testing::ToMap((*again)->records.entries), testing::ToMap((*source)->records.entries));
    EXPECT_EQ((*again)->records.aux, (*source)->records.aux);
    if (back->rdb_version >= 10) {
      EXPECT_EQ(MetaOf((*again)->records), MetaOf((*source)->records));
    }
    ++back_to_rdb;
  }
  std::printf("corpus: %zu files converted (%zu back to RDB), %zu skipped\n", converted,
              back_to_rdb, skipped);
  EXPECT_GT(converted, 50u);
}

}  // namespace
}  // namespace shardkit::formats::native
