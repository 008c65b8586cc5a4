// ClusterTopology: one view of the old cluster merged from the nodes.conf
// files found on its volumes.
//
// Rule: each slot belongs to the master that claims it with the highest
// config epoch across all files (a nodes.conf can hold a stale view of other
// nodes; the freshest claim wins, as in Redis's own epoch resolution). Equal
// epochs claimed by different nodes are a conflict: it is reported and the
// node with the lexicographically smaller id wins, so the result is
// deterministic. Replicas are attached to the master id they name.
// A value type; no threading concerns.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "loader/nodes_conf.h"
#include "loader/slot_ranges.h"

namespace shardkit::loader {

struct OldShard {
  std::string master_id;
  std::vector<std::string> replica_ids;  // sorted
  uint64_t config_epoch = 0;             // highest seen for the master
  SlotSet slots;                         // slots it wins
  std::string address;                   // ip:port of the master as last seen
};

struct ClusterTopology {
  std::vector<OldShard> shards;                // sorted by first owned slot
  std::array<int16_t, kSlotCount> slot_shard;  // index into shards, -1 = nobody
  std::vector<std::string> conflicts;          // human-readable, one per conflict
  uint64_t current_epoch = 0;

  const OldShard* ShardOfNode(const std::string& node_id) const;  // master or replica
  size_t unowned_slots() const;
};

struct NamedNodesConf {
  std::string path;
  NodesConf conf;
};

ClusterTopology MergeTopology(const std::vector<NamedNodesConf>& files);

}  // namespace shardkit::loader
