// Fuzz target: RdbReader on Redis Enterprise paths (SPEC.md "Enterprise
// volumes"): raw mode with value capture, read once as found in an
// Enterprise layout (RdbReadOptions::layout) and once without. The first
// input byte picks the ByteReader chunk size.
// Invariants: neither read crashes; a read without the layout that
// succeeds never met an Enterprise opcode at a record start, so the layout
// read succeeds too with the same keys and values; a read with the layout
// that succeeds, copied through RdbWriter, reads back without the layout
// (no Enterprise opcode is ever written) with the same keys.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/rdb_fuzz_util.h"

namespace fuzz_rdb_enterprise {
using namespace shardkit;
using namespace shardkit::formats::rdb;

using Keys = fuzz::CollectEntries;

RdbReadOptions Options(Producer layout) {
  RdbReadOptions options;
  options.capture_values = true;
  options.layout = layout;
  options.limits.max_string_bytes = uint64_t{64} << 20;
  return options;
}

// Copies the records through RdbWriter at the file's version and reads the
// result back without a layout.
void CheckNoEnterpriseOpcodeWritten(const RdbSummary& summary, const std::vector<RdbEntry>& keys) {
  const std::optional<fuzz::RewrittenRdb> rewritten = fuzz::RewriteThroughWriter(summary, keys);
  if (!rewritten) return;
  MemoryChunkSource again(AsBytes(rewritten->bytes));
  Keys reread;
  auto result = ReadRdb(&again, Options(Producer::kRedis), &reread);
  SK_FUZZ_CHECK("fuzz_rdb_enterprise", result.ok());
  SK_FUZZ_CHECK("fuzz_rdb_enterprise", result->enterprise_records == 0);
  SK_FUZZ_CHECK("fuzz_rdb_enterprise", result->keys == summary.keys);
}
}  // namespace fuzz_rdb_enterprise

SK_FUZZ_TARGET(fuzz_rdb_enterprise) {
  using namespace fuzz_rdb_enterprise;
  if (size < 1) return 0;
  const size_t chunk = fuzz::ChunkSizeFrom(data[0]);
  MemoryChunkSource plain_source(fuzz::Bytes(data + 1, size - 1), chunk);
  Keys plain;
  auto plain_read = ReadRdb(&plain_source, Options(Producer::kRedis), &plain);
  MemoryChunkSource layout_source(fuzz::Bytes(data + 1, size - 1), chunk);
  Keys layout;
  auto layout_read = ReadRdb(&layout_source, Options(Producer::kRedisEnterprise), &layout);
  if (plain_read.ok()) {
    SK_FUZZ_CHECK("fuzz_rdb_enterprise", layout_read.ok());
    SK_FUZZ_CHECK("fuzz_rdb_enterprise", layout.entries.size() == plain.entries.size());
    for (size_t i = 0; i < plain.entries.size(); ++i) {
      SK_FUZZ_CHECK("fuzz_rdb_enterprise", layout.entries[i].key == plain.entries[i].key);
      SK_FUZZ_CHECK("fuzz_rdb_enterprise", layout.entries[i].value == plain.entries[i].value);
    }
  }
  if (layout_read.ok()) CheckNoEnterpriseOpcodeWritten(*layout_read, layout.entries);
  return 0;
}
