// VerifyRdb: checks one RDB stream end to end and summarises it. Structural
// mode walks every record and checks every length against what remains of
// the file, every opcode/type byte, and the CRC64; deep mode additionally
// decodes and validates every element (RdbReader deep mode). Used by
// `shardkit verify` and, later, by repair/recover to decide what is sound.
//
// The report always comes back (never a Result): a damaged file yields
// ok = false with the first error and what was learnt before it.
//
// Several threads on one file (options.split): the calling thread reads
// from the header as always. Once it reaches the first key, helper threads
// start; each idle thread takes the second half of what is left of the
// piece with the most bytes left (the first time: from the file's middle):
// it opens the file again there, finds a record start by resynchronising (a
// position from which 16 records read soundly), tells the piece's reader to
// watch for that offset, and reads from it with the first key's state. A
// reader ends at the next piece's start only when it lands exactly on it
// with no key prefix opcode pending and the same header and producer
// clues; a reader that goes past it (a false resync) discards that piece
// and reads on. So the pieces that are kept chain from the header to the
// trailer, each begun where the one before ended in the true record frame.
// Their counts add up and their CRC-64s combine to the whole file's. Any
// kept piece that did not read soundly (damage; an AUX field or another
// order-sensitive record it refuses), or a CRC that does not match, is read
// again from that piece's start by the calling thread with the whole-file
// state, so the report is always exactly the one-thread report (same
// counts, same first error, offset and message).
//
// Threading: one call per thread; independent calls may run in parallel.
// With options.split the call starts and joins threads of its own.
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
  // helper threads only). Unset: one thread. `offset` is a multiple of
  // align_bytes.
  std::function<Result<std::unique_ptr<ChunkSource>>(uint64_t offset)> open_at;
  int threads = 2;                           // readers, the calling thread included
  uint64_t min_bytes = uint64_t{64} << 20;   // smaller files: one thread
  uint64_t align_bytes = uint64_t{1} << 20;  // O_DIRECT needs aligned offsets
  // A piece is split again only while it has this many bytes left to read:
  // each split costs a new reader and a resync, 12-80 ms measured on this
  // project's cloud VM while other readers were busy, during which the
  // victim reads on at ~1.4 GB/s; below ~256 MiB the split was too late.
  uint64_t min_steal_bytes = uint64_t{256} << 20;
  // Where the first helper starts looking for a record start (rounded down
  // to align_bytes); unset: the middle of the file. For tests.
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
  // Where the first piece ended and the second began, when the file was
  // read by several threads (for tests and --json); unset when one thread
  // read it all. `pieces`: how many kept pieces chained (1: one thread).
  std::optional<uint64_t> split_at;
  uint64_t pieces = 1;
};

RdbVerifyReport VerifyRdb(ChunkSource* source, const RdbVerifyOptions& options);

// Pulls "offset 0x<hex>" and `key "<...>"` out of a reader error message.
void ParseErrorLocation(const Status& error, std::optional<uint64_t>* offset, std::string* key);

}  // namespace shardkit::formats::rdb
