// VerifyRdb: checks one RDB stream end to end and summarises it. Structural
// mode walks every record and checks every length against what remains of
// the file, every opcode/type byte, and the CRC64; deep mode additionally
// decodes and validates every element (RdbReader deep mode). Used by
// `shardkit verify` and, later, by repair/recover to decide what is sound.
//
// The report always comes back (never a Result): a damaged file yields
// ok = false with the first error and what was learnt before it.
//
// Two threads on one file (options.split): the calling thread reads from
// the header as always; once it reaches the first key, a second thread
// opens the file again near its middle, finds a record start there by
// resynchronising (a position from which 16 records read soundly), and
// reads from it to the trailer. The first read ends at that record start
// only when it lands exactly on it with no key prefix opcode pending, with
// the same header and producer clues, the second read succeeded and the
// two halves' CRC-64s combine to the stored one; in every other case
// (false resync, damage in either half, an AUX field or another
// order-sensitive record in the back half, a CRC mismatch) the first read
// simply reads on to the end, so the report is always exactly the
// one-thread report (same counts, same first error, offset and message).
//
// Threading: one call per thread; independent calls may run in parallel.
// With options.split the call starts and joins one thread of its own.
// Ownership: `source` is borrowed for the call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb {

struct RdbSplitOptions {
  // Opens the same file as a stream from `offset` on (a new source, used by
  // the second thread only). Unset: one thread. `offset` is a multiple of
  // align_bytes.
  std::function<Result<std::unique_ptr<ChunkSource>>(uint64_t offset)> open_at;
  uint64_t min_bytes = uint64_t{64} << 20;   // smaller files: one thread
  uint64_t align_bytes = uint64_t{1} << 20;  // O_DIRECT needs aligned offsets
  // Where the second thread starts looking for a record start (rounded
  // down to align_bytes); unset: the middle of the file. For tests.
  std::optional<uint64_t> scan_from;
};

struct RdbVerifyOptions {
  bool deep = false;
  RdbLimits limits;
  Producer layout = Producer::kRedis;  // RdbReadOptions::layout
  RdbSplitOptions split;
};

struct RdbVerifyReport {
  bool ok = false;
  bool header_read = false;
  RdbHeader header;
  std::string producer;  // "redis 7.2.4", "valkey 9.0.1" or ""
  Producer vendor = Producer::kRedis;  // RdbSummary::vendor (when the read completed)
  std::string vendor_named_by;
  uint64_t enterprise_records = 0;
  uint64_t keys = 0;
  std::map<std::string, uint64_t> keys_per_type;  // redis-check-rdb type names
  uint64_t keys_with_expiry = 0;
  uint64_t empty_keys = 0;               // deep mode: collections with no element
  std::vector<std::string> modules;      // module type names carried (sorted, unique)
  uint64_t functions = 0;
  CrcStatus crc = CrcStatus::kAbsent;
  uint64_t crc_stored = 0;
  uint64_t crc_computed = 0;
  uint64_t end_offset = 0;               // first byte after the trailer
  uint64_t trailing_bytes = 0;           // bytes after the trailer (reported, not an error)
  uint64_t bytes_read = 0;
  Status error;                          // first error (OK when ok)
  std::optional<uint64_t> error_offset;  // file offset of the error
  std::string error_key;                 // key being read, if known
  std::vector<std::string> warnings;
  // Where the second thread's half began, when the file was read on two
  // threads (for tests and --json); unset when one thread read it all.
  std::optional<uint64_t> split_at;
};

RdbVerifyReport VerifyRdb(ChunkSource* source, const RdbVerifyOptions& options);

// Pulls "offset 0x<hex>" and `key "<...>"` out of a reader error message.
void ParseErrorLocation(const Status& error, std::optional<uint64_t>* offset, std::string* key);

}  // namespace shardkit::formats::rdb
