// ScanRdbSource: one full raw pass over an RDB source (a dump.rdb, or the
// RDB base of a multi-part AOF) that verifies its structure and CRC and
// measures what the planner needs: bytes and keys per hash slot, keys outside
// db 0, keys already expired at `now_ms`, functions and module types.
//
// The file is read through storage::OpenSequentialReader (read-only). Values
// are delimited, not decoded and not captured: the pass runs at disk speed
// with memory bounded by the reader's buffers plus the largest key.
// Errors: the reader's Status (kCorruption with file/offset/key, kNotSupported
// for versions shardkit does not read, kIoError/kNotFound for the file).
// Threading: one call per thread; calls on different files run in parallel.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/rdb/rdb_reader.h"
#include "loader/slot_plan.h"
#include "storage/io_options.h"

namespace shardkit::loader {

struct SourceScan {
  formats::rdb::RdbSummary summary;
  std::map<std::string, std::string> aux;  // AUX fields as found
  SlotStats stats;                         // db 0 keys only
  SlotSet present_slots;                   // slots holding at least one db-0 key
  uint64_t keys = 0;                       // every key, every db
  uint64_t bytes = 0;                      // file size
  uint64_t keys_other_dbs = 0;
  uint64_t keys_expired = 0;               // expire_ms < now_ms
  std::vector<std::string> functions;      // FUNCTION2 library sources
  std::set<std::string> modules;           // "<name>/<encver>" of MODULE_2 values
  // Replication position from AUX (empty / 0 when absent).
  std::string repl_id;
  uint64_t repl_offset = 0;
  bool has_repl_offset = false;
  int64_t ctime_s = 0;
  // AOF sources: commands read, and the last FLUSHALL/FLUSHDB (db 0): the
  // source's data before it is discarded ("file index" into the source's
  // files, and the offset just after that command).
  uint64_t commands = 0;
  int flush_file = -1;
  uint64_t flush_end_offset = 0;
  bool truncated_tail = false;  // the last file ended inside a command (ignored, as Redis does)
  // Estimated scans (ScanRdbHeader, ScanAofSourceEstimated): the RDB part was
  // read only up to its first db, so keys, stats and present_slots cover the
  // log commands alone, and rdb_part_bytes (the RDB part's file size; 0 when
  // a later FLUSHALL discarded it) is what the planner spreads over the
  // shard's slots. The RDB part's damage, if any, is found by recover.
  bool estimated = false;
  uint64_t rdb_part_bytes = 0;
  // What this scan read from disk, at most (whole blocks, read-ahead counted).
  uint64_t bytes_read = 0;
};

Result<SourceScan> ScanRdbSource(const std::string& path, int64_t now_ms,
                                 const storage::IoOptions& io);

// The header of an RDB source only: its AUX fields (replication id and
// offset, ctime), function libraries and module AUX, up to the first
// SELECTDB/RESIZEDB or key. Reads 64 KiB blocks one at a time, so a header of
// a few KiB costs one block, whatever the file's size. The result is
// `estimated` unless the file held no key at all (then the read reached the
// CRC and the scan is exact). Errors: as ScanRdbSource, for the bytes read.
Result<SourceScan> ScanRdbHeader(const std::string& path, const storage::IoOptions& io);

// Same pass over an RDB already positioned in `in` (an AOF preamble).
// `layout`: RdbReadOptions::layout (LayoutProducerOf the file's path).
Result<SourceScan> ScanRdbStream(ByteReader* in, int64_t now_ms,
                                 formats::rdb::Producer layout = formats::rdb::Producer::kRedis);

}  // namespace shardkit::loader
