// VerifyRdb: checks one RDB stream end to end and summarises it. Structural
// mode walks every record and checks every length against what remains of
// the file, every opcode/type byte, and the CRC64; deep mode additionally
// decodes and validates every element (RdbReader deep mode). Used by
// `shardkit verify` and, later, by repair/recover to decide what is sound.
//
// The report always comes back (never a Result): a damaged file yields
// ok = false with the first error and what was learnt before it.
// Threading: one call per thread; independent calls may run in parallel.
// Ownership: `source` is borrowed for the call.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb {

struct RdbVerifyOptions {
  bool deep = false;
  RdbLimits limits;
  Producer layout = Producer::kRedis;  // RdbReadOptions::layout
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
};

RdbVerifyReport VerifyRdb(ChunkSource* source, const RdbVerifyOptions& options);

// Pulls "offset 0x<hex>" and `key "<...>"` out of a reader error message.
void ParseErrorLocation(const Status& error, std::optional<uint64_t>* offset, std::string* key);

}  // namespace shardkit::formats::rdb
