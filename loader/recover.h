// Recover: writes, for each new node of a RecoveryPlan, the files
// redis-server needs to start owning its slots.
//
// Output layout (per node K): <out>/node-K/dump.rdb — or, when any source has
// log commands after its RDB part, <out>/node-K/appendonlydir/ (base RDB with
// the node's keys, incr AOF with the node's commands routed by slot, the
// manifest written last; start redis-server with appendonly yes) —
// <out>/node-K/nodes.conf
// (when the plan has endpoints), <out>/node-K/shardkit-node.txt (the
// completion marker: plan fingerprint, node id, each file's size and CRC-64).
// Replicas (plan --replicas): a replica's directory holds its master's data
// files, byte-identical to the master's (one job writes the master's group
// at once, loader/fan_out_file.h; a replica written alone by --node-index
// gets the same bytes), its own nodes.conf (`myself,slave <master id>`) and
// marker. With replicas, every RDB carries repl-stream-db, repl-id and
// repl-offset so replicas resume without a full sync (loader/replica_sync.h).
// A standalone plan (TargetShape::kStandalone): node 0's output keeps every
// db of the sources (a SELECTDB record whenever the db changes; SELECT in
// the incr log), no nodes.conf is written, and each replica gets
// replica.conf (`replicaof <master host> <port>`, when the plan has the
// master's endpoint) instead.
// A node directory is built under <out>/.node-K.tmp.<pid>/ and renamed into
// place after every file in it is fsynced, then <out> is fsynced: a node's
// output is complete or absent. A rerun skips nodes whose marker matches the
// plan and whose files still verify, removes staging directories left by a
// crashed run, and refuses (kInvalidArgument) to replace a node directory
// that belongs to another plan.
//
// Pipeline (RDB sources):
//   source workers (options.threads) -- raw entries, no value decoding -->
//   route by CRC16 slot to the node that owns it --> per-node batches of
//   serialized records (bounded queues: a full queue blocks the source
//   worker, so memory stays bounded whatever the data size) --> one writer
//   thread per node computing the CRC64 and writing through the storage
//   layer's atomic writer.
// Semantics:
//   * Keys expired before plan.created_ms are dropped and counted (unless
//     keep_expired). Every process of a plan drops the same keys.
//   * A key found in a source that does not own its slot is kept only when
//     the owner's source does not hold it ("owner wins"); such keys and
//     duplicates are counted.
//   * Keys outside db 0 follow other_db_policy (default: error) on a
//     cluster target; a standalone target keeps them in their db.
//   * Function libraries (FUNCTION2) from every source go to every node,
//     once per library name.
// Sources are opened read-only; a source whose size or mtime changed since
// the plan is refused.
// Threading: Recover runs its own threads; the progress observer is called
// from one thread at a time.
// Errors: the first error stops the run; nodes already published stay.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/expiry_histogram.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"

namespace shardkit::loader {

// Keys outside db 0 on a cluster target (a standalone plan keeps every db
// and ignores the policy).
enum class OtherDbPolicy { kError, kDrop, kMoveToDb0 };

// A standalone replica's directory: `replicaof <master host> <port>`.
inline constexpr const char* kReplicaConfName = "replica.conf";
enum class OutputFormat { kRdb, kNative, kBoth };

class RecoverProgress {
 public:
  virtual ~RecoverProgress() = default;
  // Called about every 64 MiB read and at the end.
  virtual void OnProgress(uint64_t bytes_read, uint64_t bytes_total, uint64_t keys_written) = 0;
};

struct RecoverOptions {
  std::string out_dir;
  int node_index = -1;  // -1: every node
  int threads = 2;      // source workers
  bool keep_expired = false;
  // RDB version of the outputs; 0 = the newest version among the sources
  // (Valkey 9 sources count as 11). Redis 7.0 loads up to 10: older targets
  // need an explicit, lower version (values are converted where possible).
  int rdb_version = 0;
  OtherDbPolicy other_db_policy = OtherDbPolicy::kError;
  // What each node gets: the files redis-server loads (kRdb, default), a
  // native snapshot node-K/dump.skn instead (kNative: a slot-indexed archive
  // of the node, not loadable by redis-server), or both. Native output needs
  // sources without log commands (kNotSupported otherwise). The native file
  // keeps the sources' value encodings (RDB version = the newest source's,
  // whatever rdb_version says).
  OutputFormat output_format = OutputFormat::kRdb;
  size_t batch_bytes = 1 << 20;   // serialized records per batch
  // RDB values of at least this many bytes are read, routed and written in
  // pieces of about this size (RdbReadOptions::value_piece_bytes), so a
  // multi-GB hash or string never sits in memory whole: peak memory stays
  // bounded by the queues. 0 holds every value whole. Native output
  // (kNative/kBoth) always holds values whole (a native entry is one piece),
  // as does a value whose type must be converted to the output version.
  size_t value_piece_bytes = 4 << 20;
  int queue_batches = 8;          // batches queued per node before source workers block
  // Redis's DEBUG DIGEST of each node (formats/rdb/dataset_digest.h), for
  // check: computed from the node's RDB (dump.rdb or the AOF base) after it
  // is published, by reading it back decoded (the pipeline copies values raw,
  // without decoding them). Costs one more read of every output.
  bool digest = false;
  storage::IoOptions io;
  RecoverProgress* progress = nullptr;  // borrowed, may be null
  // Phase 2 of a split recovery (loader/fragments.h): the directory phase 1
  // wrote; the nodes are assembled from it and no source is read.
  std::string from_fragments;
  // Phase 1 (SplitSource): where source-I/ is written.
  std::string fragments_dir;
};

struct NodeReport {
  int index = 0;
  std::string node_id;
  int master_index = -1;           // a replica's master; -1 for a master
  // A replica's forecast (ForecastResync): "partial" or "full", and why.
  // Empty for a master.
  std::string resync;
  std::string resync_reason;
  // A standalone plan's replica: its master's endpoint, as its replica.conf
  // says (empty when the plan has no endpoints: no replica.conf is written).
  std::string replicaof;
  std::string dir;
  bool skipped_complete = false;  // already complete from an earlier run
  std::string layout;              // "dump.rdb" or "appendonlydir"
  uint64_t keys = 0;
  // Of `keys`, those with an expiry time, and when they expire (for check:
  // the node should hold keys - those expired by now).
  uint64_t keys_with_expiry = 0;
  std::vector<ExpiryBucket> expiring;
  uint64_t commands = 0;           // in the incr file (appendonlydir layout)
  uint64_t bytes = 0;              // size of dump.rdb / the AOF base
  uint64_t native_bytes = 0;       // size of dump.skn (native output), else 0
  std::string rdb_crc64;           // 16 hex: the RDB's checksum (its trailer); empty when skipped
  // With RecoverOptions::digest: the node's dataset digest (40 hex, what
  // DEBUG DIGEST answers once it has loaded its files and before any key
  // expires), or why there is none (digest_not_computed).
  std::string digest;
  std::string digest_not_computed;
  size_t slot_count = 0;
  double seconds = 0;
};

struct RecoverReport {
  std::vector<NodeReport> nodes;
  std::vector<std::string> sources_used;
  uint64_t source_bytes_read = 0;
  uint64_t keys_read = 0;
  uint64_t keys_written = 0;
  uint64_t expired_dropped = 0;
  uint64_t other_db_dropped = 0;
  uint64_t other_db_moved = 0;
  uint64_t commands_read = 0;
  uint64_t commands_written = 0;     // summed over nodes (every-node commands count per node)
  uint64_t commands_flushed = 0;     // before their source's last FLUSHALL/FLUSHDB
  uint64_t commands_non_owner = 0;   // for slots their source did not own: dropped
  uint64_t duplicates_dropped = 0;   // non-owner copies of keys the owner has
  uint64_t spilled_bytes = 0;        // parked in spill segments (see recover_pipeline.h)
  uint64_t values_in_pieces = 0;     // keys whose value was written piece by piece
  uint64_t non_owner_kept = 0;       // keys only a non-owner held
  // Written keys (snapshot entries; keys of log commands are not counted)
  // whose hash tag under Redis Enterprise's older "standard" hashing policy
  // differs from open-source Redis's rule (formats::StandardPolicyDiffers):
  // routed by the open-source rule, as a Redis Cluster client computes it.
  uint64_t standard_policy_differs = 0;
  uint64_t functions = 0;
  // Assembled from fragments (RecoverOptions::from_fragments): the fragment
  // bytes read. source_bytes_read and the other source counts are then the
  // ones phase 1 counted for these nodes' sources.
  uint64_t fragment_bytes_read = 0;
  double seconds = 0;
  std::string io_backend;
  std::vector<std::string> warnings;
};

Result<RecoverReport> Recover(const RecoveryPlan& plan, const RecoverOptions& options);

// The sentence recover's report gives when standard_policy_differs > 0.
std::string StandardPolicySentence(const RecoverReport& report);

}  // namespace shardkit::loader
