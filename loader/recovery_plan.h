// RecoveryPlan: everything `shardkit recover` needs, decided once by `plan`
// and written to plan.json (tools/plan_json.cc), so that N recover processes
// (one per new node) agree without talking to each other.
//
// It names, per old shard, the one source to read (chosen by Discover), the
// slots that shard owned (the owner's copy of a key wins), the slots where it
// actually holds keys (so a node reads only the sources that matter to it),
// and the file's size and mtime at plan time (recover refuses a source that
// changed since). The SlotPlan says which slots each new node gets.
// The target shape says what is being rebuilt: a cluster (the default; every
// output is db 0, with nodes.conf files) or one standalone master (with its
// replicas) that keeps every logical db of its sources.
// A value type; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/discovery.h"
#include "loader/slot_plan.h"

namespace shardkit::loader {

inline constexpr int kRecoveryPlanFormat = 1;

// What the new nodes form. kCluster: the masters own the 16384 slots
// between them, outputs hold db 0 only (RecoverOptions::other_db_policy) and
// get nodes.conf. kStandalone: one master (node 0, owning every slot) and
// its replicas; outputs keep every db of the sources (SELECTDB records, or
// SELECT in the log), no nodes.conf, and each replica gets replica.conf
// (`replicaof <master endpoint>`). Plans written before the field are
// kCluster.
enum class TargetShape { kCluster, kStandalone };

// "cluster" / "standalone" (plan.json's "shape").
const char* TargetShapeName(TargetShape shape);

// A source whose scan was an estimate (SourceScan::estimated) gets
// present_slots = every slot (its key slots are unknown: every node reads it,
// so no key can be missed) and keys = the keys its log commands write; the
// planner spreads its RDB part's bytes evenly over the slots its shard owned
// (every slot for a standalone source).
struct PlanSource {
  std::string shard;        // old master id, or "standalone:<dir>"
  std::string volume;
  std::string kind;         // SourceKindName
  std::string path;         // the RDB / manifest / legacy AOF
  std::string rdb_path;     // the RDB part with the keys (may be empty)
  uint64_t rdb_bytes = 0;   // size of rdb_path at plan time
  int64_t rdb_mtime_ms = 0;
  bool has_log_commands = false;
  std::vector<SourceFile> files;  // read in this order; size/mtime checked before reading
  int flush_file = -1;            // see SourceScan::flush_file
  uint64_t flush_end_offset = 0;
  SlotSet owned_slots;      // empty for standalone sources
  SlotSet present_slots;    // db-0 slots with keys in rdb_path
  uint64_t keys = 0;
  int rdb_version = 0;
};

struct RecoveryPlan {
  int format = kRecoveryPlanFormat;
  std::string fingerprint;  // identifies this plan (slot plan + sources [+ shape])
  TargetShape shape = TargetShape::kCluster;
  int64_t created_ms = 0;   // "recovery time": keys expired before it are dropped
  std::vector<PlanSource> sources;
  SlotPlan slots;
  std::vector<std::string> warnings;
  // True when some source's slot bytes were estimated (DiscoverOptions::
  // estimate): node bytes and keys are then estimates too.
  bool estimated = false;
  uint64_t scan_bytes_read = 0;  // Discovery::scan_bytes_read of the plan's discover

  bool standalone() const { return shape == TargetShape::kStandalone; }
  // Indices of the sources holding keys in any slot of node `index` (of its
  // master, for a replica). Standalone: every source (keys outside db 0 are
  // not in present_slots, and the one master holds them all).
  std::vector<int> SourcesForNode(int index) const;
  // True when some source has log commands: then every node's output is a
  // multi-part AOF directory (base + incr) instead of dump.rdb.
  bool UsesAof() const;
};

struct PlanOptions {
  int node_count = 0;  // masters
  int replicas = 0;    // per master (PlanRequest::replicas)
  std::vector<double> weights;
  std::vector<std::string> endpoints;  // node_count * (1 + replicas), or empty
  bool allow_missing_shards = false;  // else a shard with no usable source is an error
  // Merge shards that Discover found ambiguous (Discovery::ambiguous) instead
  // of refusing them. Sources keep Discover's order (cluster shards, then
  // standalone ones freshest first), so in a slot no cluster shard owns, the
  // freshest standalone source holding keys there owns it: its copy of a key
  // wins, and keys only an older source holds are kept.
  bool merge_standalone = false;
  // A standalone target (TargetShape::kStandalone): node_count must be 1 and
  // weights empty. Enters the plan fingerprint, so a standalone plan's
  // markers and replication ids differ from those of the cluster plan of the
  // same volumes (a rerun never takes one's output for the other's); a
  // cluster plan's fingerprint is as before the field existed.
  bool standalone = false;
};

// Errors: kInvalidArgument for bad node_count/weights/endpoints (also: a
// standalone plan with node_count other than 1 or with weights), and for
// ambiguous shards (naming their volumes and a slot they share) unless
// merge_standalone; kNotFound when a shard has no usable source (naming it
// and every rejected candidate) unless allow_missing_shards; kCorruption and
// kNotSupported for Redis Enterprise shards of several databases or of a
// legacy-policy database (loader/enterprise_databases.h), checked first.
Result<RecoveryPlan> BuildRecoveryPlan(const Discovery& discovery, const PlanOptions& options,
                                       int64_t now_ms);

}  // namespace shardkit::loader
