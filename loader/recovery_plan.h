// RecoveryPlan: everything `shardkit recover` needs, decided once by `plan`
// and written to plan.json (tools/plan_json.cc), so that N recover processes
// (one per new node) agree without talking to each other.
//
// It names, per old shard, the one source to read (chosen by Discover), the
// slots that shard owned (the owner's copy of a key wins), the slots where it
// actually holds keys (so a node reads only the sources that matter to it),
// and the file's size and mtime at plan time (recover refuses a source that
// changed since). The SlotPlan says which slots each new node gets.
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
  std::string fingerprint;  // identifies this plan (slot plan + sources)
  int64_t created_ms = 0;   // "recovery time": keys expired before it are dropped
  std::vector<PlanSource> sources;
  SlotPlan slots;
  std::vector<std::string> warnings;

  // Indices of the sources holding keys in any slot of node `index` (of its
  // master, for a replica).
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
};

// Errors: kInvalidArgument for bad node_count/weights/endpoints, and for
// ambiguous shards (naming their volumes and a slot they share) unless
// merge_standalone; kNotFound when a shard has no usable source (naming it
// and every rejected candidate) unless allow_missing_shards.
Result<RecoveryPlan> BuildRecoveryPlan(const Discovery& discovery, const PlanOptions& options,
                                       int64_t now_ms);

}  // namespace shardkit::loader
