// Recover in two phases, for old volumes that only one pod can attach
// (cloud block volumes are ReadWriteOnce): each source is read once, by the
// one process that can reach it (phase 1, SplitSource), and each new node is
// then assembled from the pieces (phase 2, Recover with
// RecoverOptions::from_fragments) without reading any source.
//
// Phase 1 writes <fragments>/source-I/ for plan source I. The directory is
// built in <fragments>/.source-I.tmp.<pid>/ and renamed into place after its
// marker, as a node directory is (loader/node_output.h), so it is complete or
// absent; a rerun keeps a directory whose marker matches the plan and whose
// files still verify, and refuses one of another plan. Files, for each
// master K the source feeds (plan SourcesForNode):
//   node-K.rdb         the source's key records for K, serialized at the
//                      output RDB version with no header and no trailer: the
//                      bytes the one-process recover writes into K's RDB for
//                      this source. The first record's db is implicit
//                      (fragment.txt: rdb-first-db); later SELECTDBs are in.
//   node-K.incr        its log commands routed to K (appendonlydir layouts
//                      only), RESP, the first SELECT likewise implicit.
//   node-K.held        records of keys in slots another source owns, held
//                      back until every source is read (one-process recover
//                      writes them last, if no owner copy exists), and
//   node-K.held-index  per held record: db, expiry, offset, length, key.
//   node-K.owned       the keys this source owns in contested slots (slots
//                      another source also holds keys in): db and key.
// and for the source:
//   functions.rdb      its FUNCTION2 libraries, as an RDB 10 file.
//   fragment.txt       what the one-process run would have counted: per
//                      source (keys read, expired, commands...) and per node
//                      (keys, expiry buckets, first and last db of each run).
//   shardkit-node.txt  the marker: plan fingerprint, source index, and every
//                      file above with its size and CRC-64.
//
// Phase 2 (node K): every source's source-I/ must be present, of this plan
// and of source I, with every listed file at its listed size, and nothing
// else named source-* in <fragments>; otherwise nothing is written
// (kInvalidArgument: missing, extra, foreign; kCorruption: damaged). Then,
// for K's sources in plan order, node-K.rdb and node-K.incr are copied
// behind the header recover writes (a SELECT where the run's first db
// differs from the last one written), checking each file's CRC-64 as it is
// read; the output's checksum is extended by Crc64Combine, so no record is
// parsed or hashed twice. Held records follow, each kept only when no owner
// (and no earlier holder) has the key, as the one-process run decides. A
// fragment whose CRC-64 differs is kCorruption naming it; the node's staging
// directory is removed and nothing is published. The output equals, byte for
// byte, what `recover --node-index K` writes from the sources.
//
// Threading: SplitSource runs the recover pipeline's threads; the functions
// here are called from one thread. Errors: as above, naming the directory or
// file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/expiry_histogram.h"
#include "loader/node_output.h"
#include "loader/recover.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"

namespace shardkit::loader {

// "source-I": the fragment directory of plan source I.
std::string FragmentDirName(int source_index);

// fragment.txt: what phase 1 counted.
struct NodeFragment {
  int node = -1;            // master index
  uint64_t keys = 0;        // written to node-K.rdb (a piece-wise value counts once)
  uint64_t values_in_pieces = 0;
  uint64_t commands = 0;    // in node-K.incr
  uint64_t standard_policy_differs = 0;
  uint64_t commands_non_owner = 0;
  int64_t rdb_first_db = -1;   // db of the first record in node-K.rdb (-1: none)
  int64_t rdb_last_db = -1;
  int64_t incr_first_db = -1;  // db of the first command in node-K.incr (-1: none)
  int64_t incr_last_db = -1;
  uint64_t held = 0;           // records in node-K.held
  uint64_t owned = 0;          // keys in node-K.owned
  std::vector<ExpiryBucket> expiring;  // of the keys in node-K.rdb
};

struct FragmentManifest {
  std::string plan_fingerprint;
  int source = -1;
  std::string source_path;
  int rdb_version = 0;  // of the record bytes: phase 2 must write this version
  uint64_t bytes_read = 0;
  uint64_t keys_read = 0;
  uint64_t expired_dropped = 0;
  uint64_t other_db_dropped = 0;
  uint64_t other_db_moved = 0;
  uint64_t commands_read = 0;
  uint64_t commands_flushed = 0;
  uint64_t functions = 0;
  std::map<int, NodeFragment> nodes;  // by master index
};

inline constexpr const char* kFragmentManifestName = "fragment.txt";
inline constexpr const char* kFragmentFunctionsName = "functions.rdb";

std::string FormatFragmentManifest(const FragmentManifest& m);
Result<FragmentManifest> ParseFragmentManifest(std::string_view text, std::string_view path);

// A key of node-K.owned or a record of node-K.held-index.
struct HeldRecord {
  uint64_t db = 0;
  std::string key;
  std::optional<int64_t> expire_ms;
  uint64_t offset = 0;  // in node-K.held
  uint64_t length = 0;
};
void AppendOwnedKey(uint64_t db, std::string_view key, std::string* out);
void AppendHeldRecord(const HeldRecord& r, std::string* out);
// kCorruption naming `path` when the bytes do not parse.
Result<std::vector<HeldRecord>> ParseOwnedKeys(std::string_view bytes, std::string_view path);
Result<std::vector<HeldRecord>> ParseHeldIndex(std::string_view bytes, std::string_view path);

// Phase 1's report.
struct SplitReport {
  int source = -1;
  std::string dir;                // <fragments>/source-I
  bool skipped_complete = false;  // already complete from an earlier run
  FragmentManifest manifest;      // empty counts when skipped
  uint64_t bytes_written = 0;
  double seconds = 0;
};

// Phase 1: reads plan source `source_index` once and writes its fragments
// into options.fragments_dir (created if absent). Uses options.threads (as
// decoder threads do not apply: one source), io, keep_expired, rdb_version,
// other_db_policy, batch_bytes, value_piece_bytes, progress; refuses
// options.output_format other than kRdb (kNotSupported).
Result<SplitReport> SplitSource(const RecoveryPlan& plan, int source_index,
                                const RecoverOptions& options);

// Phase 2's view of <fragments>: each plan source's manifest and marker,
// checked as the header above says.
struct SourceFragments {
  std::string dir;
  FragmentManifest manifest;
  std::map<std::string, OutputFile> files;  // by name, from the marker
};
struct FragmentSet {
  std::string root;
  std::vector<SourceFragments> sources;  // by plan source index
};
Result<FragmentSet> OpenFragmentSet(const std::string& root, const RecoveryPlan& plan);

}  // namespace shardkit::loader
