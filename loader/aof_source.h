// AOF sources for discovery and recovery: which files a multi-part
// directory or a legacy single-file AOF consists of, and a full scan pass
// over them (RDB part plus every command) that verifies them and measures
// per-slot bytes, the last FLUSHALL/FLUSHDB, and whether commands follow the
// RDB part. Kept apart from discovery.cc because it depends on formats/aof.
// Threading: one call per thread. Errors: as the AOF/RDB readers report them.
#pragma once

#include <functional>

#include "base/status.h"
#include "formats/aof/aof_reader.h"
#include "loader/discovery.h"

namespace shardkit::loader {

// Fills rdb_path, files (load order, boundary-checked inside the volume),
// has_log_commands (a first guess; the scan refines it) and newest_mtime_ms
// of an AOF candidate whose kind and path are set. Returns why it cannot be
// used, or OK.
Status DescribeAofCandidate(const VolumeReport& volume, SourceCandidate* candidate);

// Reads every file of an AOF candidate: RDB part(s) through ScanRdbStream,
// commands with key extraction. Sets scan.commands, flush position and
// per-slot stats of what survives the last flush.
Result<SourceScan> ScanAofSource(const SourceCandidate& candidate, int64_t now_ms,
                                 const storage::IoOptions& io);

// The estimating scan (DiscoverOptions::estimate): a multi-part source's RDB
// base through ScanRdbHeader, its incr files in full as above (their
// commands are planned exactly). Other AOF sources (a legacy file, whose
// commands follow its preamble in one file; a RESP base) get ScanAofSource.
Result<SourceScan> ScanAofSourceEstimated(const SourceCandidate& candidate, int64_t now_ms,
                                          const storage::IoOptions& io);

// Reads the files of an AOF source in order with `visitor`; the RDB parts go
// to `rdb_part`; a torn tail of the last file is tolerated (as Redis with
// aof-load-truncated yes). Returns each file's summary. Shared by the scan
// and by recovery.
Result<std::vector<formats::aof::AofFileSummary>> ReadAofFiles(
    const std::vector<SourceFile>& files, const storage::IoOptions& io,
    formats::aof::RdbPartReader* rdb_part, formats::aof::AofVisitor* visitor, bool extract_keys);

// True for FLUSHALL, and FLUSHDB in db 0 (the only db of a cluster).
bool IsFlushCommand(const formats::aof::AofCommand& command);

}  // namespace shardkit::loader
