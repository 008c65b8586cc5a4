// Fuzz target: VerifyRdb read in pieces on 2-4 threads (RdbVerifyOptions::
// split) against the one-thread read of the same bytes. Input: byte 0 picks
// the chunk size; byte 1 the threads (2-4), deep or raw mode, and where the
// first split's scan starts (a 32nd of the file); the rest is the file.
// Later splits happen whenever a piece has 64 bytes or more left, so small
// inputs are cut into many pieces wherever the threads happen to be.
// Invariant: the two reports are the same (outcome, counts, CRC, end and
// bytes read, first error with its offset, key and message, warnings),
// whatever the threads did.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "formats/rdb/rdb_verify.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_rdb_verify_split {
using namespace shardkit;
using namespace shardkit::formats::rdb;

bool SameReport(const RdbVerifyReport& a, const RdbVerifyReport& b) {
  return a.ok == b.ok && a.header_read == b.header_read && a.producer == b.producer &&
         a.vendor == b.vendor && a.vendor_named_by == b.vendor_named_by &&
         a.enterprise_records == b.enterprise_records && a.keys == b.keys &&
         a.keys_per_type == b.keys_per_type && a.keys_with_expiry == b.keys_with_expiry &&
         a.empty_keys == b.empty_keys && a.modules == b.modules && a.functions == b.functions &&
         a.crc == b.crc && a.crc_stored == b.crc_stored && a.crc_computed == b.crc_computed &&
         a.end_offset == b.end_offset && a.trailing_bytes == b.trailing_bytes &&
         a.bytes_read == b.bytes_read && a.error.ToString() == b.error.ToString() &&
         a.error_offset == b.error_offset && a.error_key == b.error_key && a.warnings == b.warnings;
}
}  // namespace fuzz_rdb_verify_split

SK_FUZZ_TARGET(fuzz_rdb_verify_split) {
  using namespace fuzz_rdb_verify_split;
  if (size < 2) return 0;
  const ByteSpan input = fuzz::Bytes(data + 2, size - 2);
  const size_t chunk = fuzz::ChunkSizeFrom(data[0]);
  RdbVerifyOptions options;
  options.deep = (data[1] & 4) != 0;
  options.limits.max_string_bytes = uint64_t{64} << 20;
  MemoryChunkSource one_source(input, chunk);
  const RdbVerifyReport one = VerifyRdb(&one_source, options);

  options.split.threads = 2 + (data[1] & 3) % 3;
  options.split.min_bytes = 0;
  options.split.align_bytes = 1;
  options.split.min_steal_bytes = 64;
  options.split.scan_from = input.size() * (data[1] >> 3) / 32;
  options.split.open_at = [input, chunk](uint64_t offset) -> Result<std::unique_ptr<ChunkSource>> {
    return std::unique_ptr<ChunkSource>(new MemoryChunkSource(input.subspan(offset), chunk));
  };
  MemoryChunkSource split_source(input, chunk);
  const RdbVerifyReport split = VerifyRdb(&split_source, options);
  SK_FUZZ_CHECK("fuzz_rdb_verify_split", SameReport(one, split));
  return 0;
}
