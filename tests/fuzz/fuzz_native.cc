// Fuzz target: the native snapshot format: the streaming verifier
// (VerifyNative, deep) and the random-access reader (Open, every block's
// entries, meta and slot stats). The first byte picks the chunk size.
// Invariant: a file the deep verifier accepts opens, walks to the same key
// count, and converts to an RDB that the RDB reader accepts with those keys.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "formats/native/native_convert.h"
#include "formats/native/native_reader.h"
#include "formats/native/native_verify.h"
#include "formats/rdb/rdb_reader.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_native {
using namespace shardkit;
using namespace shardkit::formats;

// Walks every block of an opened file; returns the keys seen or nullopt.
std::optional<uint64_t> WalkAll(const native::NativeReader& reader) {
  uint64_t keys = 0;
  bool ok = true;
  for (uint32_t number : reader.KeyBlocks()) {
    Status s = reader.ForEachEntry(number, [&](const rdb::RdbEntry& entry) {
      (void)entry;
      ++keys;
      return Status();
    });
    if (!s.ok()) ok = false;
  }
  (void)reader.ReadMeta();
  (void)reader.ReadSlotStats();
  (void)reader.EstimateSlotStatsFromIndex();
  if (!ok) return std::nullopt;
  return keys;
}
}  // namespace fuzz_native

SK_FUZZ_TARGET(fuzz_native) {
  using namespace fuzz_native;
  if (size < 1) return 0;
  const ByteSpan input = fuzz::Bytes(data + 1, size - 1);
  MemoryChunkSource source(input, fuzz::ChunkSizeFrom(data[0]));
  native::NativeVerifyOptions options;
  options.deep = true;
  native::NativeVerifyReport report = native::VerifyNative(&source, options);

  MemoryRandomAccessSource file(input, "fuzz.native");
  auto reader = native::NativeReader::Open(&file);
  std::optional<uint64_t> walked;
  if (reader.ok()) walked = WalkAll(**reader);
  if (!report.ok) return 0;
  SK_FUZZ_CHECK("fuzz_native", reader.ok());
  SK_FUZZ_CHECK("fuzz_native", walked.has_value() && *walked == report.keys);
  StringSink rdb_sink;
  auto converted = native::NativeToRdb(**reader, &rdb_sink, native::NativeToRdbOptions{});
  if (!converted.ok()) return 0;  // e.g. a version RdbWriter cannot write
  MemoryChunkSource rdb_source(AsBytes(rdb_sink.data()));
  rdb::RdbVisitor ignore;
  auto reread = rdb::ReadRdb(&rdb_source, rdb::RdbReadOptions{}, &ignore);
  SK_FUZZ_CHECK("fuzz_native", reread.ok() && reread->keys == report.keys);
  return 0;
}
