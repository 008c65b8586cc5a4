// Fuzz target: RdbReader in deep mode (every element decoded: listpack,
// ziplist, intset, zipmap, quicklist nodes, streams, LZF) and VerifyRdb.
// The first input byte picks the chunk size. Invariant: a file deep mode
// accepts is accepted by raw mode with the same key count and end offset.
#include <cstddef>
#include <cstdint>

#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_verify.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_rdb_deep {
using namespace shardkit;
using namespace shardkit::formats::rdb;

// Touches every view the reader hands out, so ASan sees a stale one.
class Touch final : public RdbVisitor {
 public:
  Status OnElement(const RdbEntry& entry, const RdbElement& element) override {
    sum += entry.key.size() + element.a.size() + element.b.size();
    for (std::string_view f : element.fields) sum += f.size() + (f.empty() ? 0 : f[0]);
    if (!element.a.empty()) sum += static_cast<uint8_t>(element.a.back());
    return Status();
  }
  uint64_t sum = 0;
};
}  // namespace fuzz_rdb_deep

SK_FUZZ_TARGET(fuzz_rdb_deep) {
  using namespace fuzz_rdb_deep;
  if (size < 1) return 0;
  const ByteSpan input = fuzz::Bytes(data + 1, size - 1);
  RdbReadOptions deep;
  deep.deep = true;
  deep.limits.max_string_bytes = uint64_t{64} << 20;
  MemoryChunkSource source(input, fuzz::ChunkSizeFrom(data[0]));
  Touch touch;
  auto summary = ReadRdb(&source, deep, &touch);

  MemoryChunkSource verify_source(input, fuzz::ChunkSizeFrom(data[0]));
  RdbVerifyOptions verify_options;
  verify_options.deep = true;
  verify_options.limits = deep.limits;
  RdbVerifyReport report = VerifyRdb(&verify_source, verify_options);
  SK_FUZZ_CHECK("fuzz_rdb_deep", report.ok == summary.ok());
  if (!summary.ok()) return 0;

  RdbReadOptions raw;
  raw.limits = deep.limits;
  MemoryChunkSource raw_source(input);
  RdbVisitor ignore;
  auto raw_summary = ReadRdb(&raw_source, raw, &ignore);
  SK_FUZZ_CHECK("fuzz_rdb_deep", raw_summary.ok());
  SK_FUZZ_CHECK("fuzz_rdb_deep", raw_summary->keys == summary->keys);
  SK_FUZZ_CHECK("fuzz_rdb_deep", raw_summary->end_offset == summary->end_offset);
  return 0;
}
