// VerifyAof: checks an append-only log end to end and summarises it, for
// `shardkit verify` and `shardkit repair`.
//
// Checks: RESP structure of every file (RespReader), balanced MULTI/EXEC,
// SELECT arguments, every command known to the key table (ExtractKeys; an
// unknown command is an error naming it), the RDB part of a preamble file or
// of an RDB base (rdb::RdbReader, deep when options.deep_rdb), and for a
// multi-part log the manifest (ParseAofManifest: one base, monotonic incr
// sequence, bare names) and that every file it loads can be opened (the
// opener returns kNotFound for a missing one). A torn tail is reported with
// its offset and the commands before it; the log is then not ok (Redis would
// load it only with aof-load-truncated yes).
//
// The report always comes back (never a Result): damage yields ok = false
// with the first error and what was learnt before it; `cut` tells repair
// where the last sound point of the damaged file is and whether cutting
// there is allowed (only the last file of the load order may be cut).
// Ownership: sources and the opener are borrowed for the call.
// Threading: one call per thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/aof/aof_manifest.h"
#include "formats/aof/aof_reader.h"

namespace shardkit::formats::aof {

struct AofVerifyOptions {
  RespLimits limits;
  bool deep_rdb = false;       // decode every RDB element of preambles/bases
  bool check_commands = true;  // unknown commands are errors
  // RdbReadOptions::layout of preambles and bases (an Enterprise shard's
  // appendonly-<uid>.aof).
  rdb::Producer rdb_layout = rdb::Producer::kRedis;
};

struct AofCutPoint {
  std::string file;            // file to cut
  uint64_t offset = 0;         // keep bytes [0, offset)
  uint64_t file_bytes = 0;     // size of the file as read
  uint64_t commands_kept = 0;  // complete commands before the cut
  bool allowed = false;        // only the last file of the load order
  std::string reason;          // "torn tail", "garbage", "open MULTI"...
};

struct AofVerifyReport {
  bool ok = false;
  bool multi_part = false;
  std::string manifest_name;
  AofManifest manifest;
  std::vector<AofFileSummary> files;  // in load order, as far as read
  uint64_t commands = 0;              // complete commands, all files
  uint64_t transactions = 0;
  uint64_t annotations = 0;
  uint64_t cross_slot_commands = 0;                // keyed commands whose keys span slots
  std::map<std::string, uint64_t> routing_counts;  // "keyed", "every-node", "none"
  bool truncated_tail = false;
  std::optional<AofCutPoint> cut;  // set when damage was found in a file
  Status error;                    // first error (OK when ok)
  std::string error_file;          // file the error is in
  std::vector<std::string> warnings;  // e.g. unknown manifest keys (ignored)
};

// One file: legacy AOF (RESP, or RDB preamble + RESP).
AofVerifyReport VerifyAofFile(ChunkSource* source, const std::string& name,
                              const AofVerifyOptions& options);

// A multi-part log given its manifest text; `open` opens files by bare name
// relative to the manifest's directory.
AofVerifyReport VerifyMultiPartAof(std::string_view manifest_text, const std::string& manifest_name,
                                   const AofFileOpener& open, const AofVerifyOptions& options);

}  // namespace shardkit::formats::aof
