// SlotPlan: which of the 16384 hash slots each new node receives.
//
// Algorithm (MakeSlotPlan):
// 1. When the new node count equals the old shard count and old shards are
//    given, new node i keeps old shard i's slots (nothing moves). Slots no old
//    shard owned go to the node with the fewest slots.
// 2. Otherwise slots are cut into N contiguous ranges, in slot order, whose
//    byte totals follow the weights: boundary i sits at the slot where the
//    running byte total is closest to total * (w1 + ... + wi) / W. Every node
//    gets at least one slot. Each slot counts one byte more than it holds,
//    so with (almost) no data the slot counts follow the weights.
// 3. With `replicas` R > 0, every master gets R replicas: nodes 0..N-1 are
//    the masters (the slot owners above), node N + m*R + r is replica r of
//    master m. A replica owns no slots; it holds its master's keys.
// The plan is a pure function of its input (deterministic); node ids are
// derived from a fingerprint of the input, so a rerun gives the same ids.
// R = 0 leaves the fingerprint (and so every id) as it was before replicas.
// A value type; no threading concerns.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/slot_ranges.h"

namespace shardkit::loader {

struct SlotStats {
  std::array<uint64_t, kSlotCount> bytes{};
  std::array<uint64_t, kSlotCount> keys{};
};

struct PlanRequest {
  int node_count = 0;                    // masters: the nodes that own slots
  int replicas = 0;                      // replicas per master, 0..kMaxReplicas
  std::vector<double> weights;           // empty = all 1; else node_count positive values
  // Empty, or node_count * (1 + replicas) "host:port": the masters in index
  // order, then the replicas in index order (see above).
  std::vector<std::string> endpoints;
  std::vector<SlotSet> old_shards;       // for "keep shards" when counts match; may be empty
  SlotStats stats;
};

inline constexpr int kMaxReplicas = 16;

struct PlannedNode {
  int index = 0;
  std::string node_id;   // 40 hex
  std::string endpoint;  // may be empty
  // -1 for a master; for a replica, the index of its master. A replica's
  // slots are empty; keys and bytes are its master's (the data it holds).
  int master_index = -1;
  SlotSet slots;
  uint64_t keys = 0;
  uint64_t bytes = 0;

  bool is_replica() const { return master_index >= 0; }
};

struct SlotPlan {
  std::vector<PlannedNode> nodes;
  std::string strategy;      // "keep-shards" or "balanced-contiguous"
  std::string fingerprint;   // 16 hex: hash of the request
  uint64_t total_bytes = 0;
  uint64_t total_keys = 0;

  // Index of the node owning `slot`, or -1.
  int NodeOfSlot(uint16_t slot) const;
  // True when some node is a replica.
  bool HasReplicas() const;
  // The node whose slots and keys node `index` holds: its master for a
  // replica, itself for a master. `index` must be a valid node index.
  const PlannedNode& DataNode(int index) const;
};

// kInvalidArgument for node_count < 1 or > 16384, replicas outside
// 0..kMaxReplicas, or weights/endpoints of the wrong length or non-positive
// weights.
Result<SlotPlan> MakeSlotPlan(const PlanRequest& request);

}  // namespace shardkit::loader
