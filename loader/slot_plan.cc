#include "loader/slot_plan.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "base/hex.h"

namespace shardkit::loader {

namespace {

uint64_t FingerprintOf(const PlanRequest& r) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, &r.node_count, sizeof(r.node_count));
  // Only when there are replicas: plans without them keep their fingerprint.
  if (r.replicas > 0) XXH3_64bits_update(st, &r.replicas, sizeof(r.replicas));
  for (double w : r.weights) XXH3_64bits_update(st, &w, sizeof(w));
  for (const auto& e : r.endpoints) XXH3_64bits_update(st, e.data(), e.size() + 1);
  for (const auto& s : r.old_shards) {
    std::string t = s.ToString() + ";";
    XXH3_64bits_update(st, t.data(), t.size());
  }
  XXH3_64bits_update(st, r.stats.bytes.data(), sizeof(r.stats.bytes));
  XXH3_64bits_update(st, r.stats.keys.data(), sizeof(r.stats.keys));
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

// 40 hex characters derived from the fingerprint and the node index.
std::string NodeIdFor(uint64_t fingerprint, int index) {
  std::string seed = "shardkit-node:" + Hex64(fingerprint) + ":" + std::to_string(index);
  XXH128_hash_t a = XXH3_128bits(seed.data(), seed.size());
  uint64_t b = XXH3_64bits_withSeed(seed.data(), seed.size(), 0x5eed);
  return (Hex64(a.high64) + Hex64(a.low64) + Hex64(b)).substr(0, 40);
}

// Cuts slots 0..16383 into n contiguous ranges following cumulative targets
// over `weight_of_slot` (bytes, or 1 per slot when there are no bytes).
std::vector<SlotSet> CutContiguous(const std::vector<uint64_t>& weight_of_slot,
                                   const std::vector<double>& weights) {
  const int n = static_cast<int>(weights.size());
  const double w_total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double total = 0;
  for (uint64_t w : weight_of_slot) total += static_cast<double>(w);
  std::vector<int> cut(n + 1, 0);  // node i gets [cut[i], cut[i+1])
  cut[n] = kSlotCount;
  double running = 0, w_running = 0;
  int slot = 0;
  for (int i = 0; i + 1 < n; ++i) {
    w_running += weights[i];
    const double target = total * w_running / w_total;
    // Advance while taking the next slot brings us closer to the target,
    // leaving at least one slot for each remaining node.
    const int max_cut = kSlotCount - (n - 1 - i);
    const int min_cut = cut[i] + 1;
    if (slot < min_cut) {
      for (; slot < min_cut; ++slot) running += static_cast<double>(weight_of_slot[slot]);
    }
    while (slot < max_cut) {
      double next = running + static_cast<double>(weight_of_slot[slot]);
      if (std::fabs(next - target) > std::fabs(running - target) || running >= target) break;
      running = next;
      ++slot;
    }
    cut[i + 1] = slot;
  }
  std::vector<SlotSet> out(n);
  for (int i = 0; i < n; ++i) {
    if (cut[i + 1] > cut[i]) {
      out[i].AddRange({static_cast<uint16_t>(cut[i]), static_cast<uint16_t>(cut[i + 1] - 1)});
    }
  }
  return out;
}

}  // namespace

int SlotPlan::NodeOfSlot(uint16_t slot) const {
  for (const PlannedNode& n : nodes) {
    if (n.slots.Contains(slot)) return n.index;
  }
  return -1;
}

bool SlotPlan::HasReplicas() const {
  return std::any_of(nodes.begin(), nodes.end(),
                     [](const PlannedNode& n) { return n.is_replica(); });
}

const PlannedNode& SlotPlan::DataNode(int index) const {
  const PlannedNode& n = nodes.at(static_cast<size_t>(index));
  return n.is_replica() ? nodes.at(static_cast<size_t>(n.master_index)) : n;
}

Result<SlotPlan> MakeSlotPlan(const PlanRequest& request) {
  const int n = request.node_count;
  if (n < 1 || n > kSlotCount) {
    return Status::InvalidArgument("node count " + std::to_string(n) + " is not in 1..16384");
  }
  std::vector<double> weights = request.weights;
  if (weights.empty()) weights.assign(n, 1.0);
  if (static_cast<int>(weights.size()) != n) {
    return Status::InvalidArgument("got " + std::to_string(weights.size()) + " weights for " +
                                   std::to_string(n) + " nodes");
  }
  for (double w : weights) {
    if (!(w > 0) || !std::isfinite(w)) {
      return Status::InvalidArgument("weights must be positive numbers");
    }
  }
  const int replicas = request.replicas;
  if (replicas < 0 || replicas > kMaxReplicas) {
    return Status::InvalidArgument("replica count " + std::to_string(replicas) + " is not in 0.." +
                                   std::to_string(kMaxReplicas));
  }
  const int total = n * (1 + replicas);
  if (!request.endpoints.empty() && static_cast<int>(request.endpoints.size()) != total) {
    return Status::InvalidArgument(
        "got " + std::to_string(request.endpoints.size()) + " endpoints for " +
        std::to_string(total) + " nodes" +
        (replicas > 0 ? " (" + std::to_string(n) + " masters, then " +
                            std::to_string(replicas) + " replicas per master)"
               : std::string()));
  }
  SlotPlan plan;
  const uint64_t fp = FingerprintOf(request);
  plan.fingerprint = Hex64(fp);
  std::vector<SlotSet> assignment;
  if (static_cast<int>(request.old_shards.size()) == n) {
    plan.strategy = "keep-shards";
    assignment = request.old_shards;
  } else {
    plan.strategy = "balanced-contiguous";
    // Every slot weighs one byte more than it holds: negligible for real
    // data, and it spreads slots evenly when there is (almost) none.
    std::vector<uint64_t> w(request.stats.bytes.begin(), request.stats.bytes.end());
    for (uint64_t& v : w) v += 1;
    assignment = CutContiguous(w, weights);
  }
  plan.nodes.resize(n);
  for (int i = 0; i < n; ++i) {
    PlannedNode& node = plan.nodes[i];
    node.index = i;
    node.node_id = NodeIdFor(fp, i);
    if (!request.endpoints.empty()) node.endpoint = request.endpoints[i];
    node.slots = assignment[i];
  }
  // Slots nobody got (keep-shards with unowned slots) go to the lightest node.
  for (int s = 0; s < kSlotCount; ++s) {
    bool owned = std::any_of(plan.nodes.begin(), plan.nodes.end(),
                             [s](const PlannedNode& pn) { return pn.slots.Contains(s); });
    if (owned) continue;
    auto lightest = std::min_element(
        plan.nodes.begin(), plan.nodes.end(), [](const PlannedNode& a, const PlannedNode& b) {
          return a.slots.count() < b.slots.count();
        });
    lightest->slots.Add(static_cast<uint16_t>(s));
  }
  for (PlannedNode& node : plan.nodes) {
    for (const SlotRange& r : node.slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) {
        node.bytes += request.stats.bytes[s];
        node.keys += request.stats.keys[s];
      }
    }
    plan.total_bytes += node.bytes;
    plan.total_keys += node.keys;
  }
  // Replicas after every master: node n + m*R + k is replica k of master m.
  for (int m = 0; m < n; ++m) {
    for (int k = 0; k < replicas; ++k) {
      PlannedNode replica;
      replica.index = n + m * replicas + k;
      replica.node_id = NodeIdFor(fp, replica.index);
      if (!request.endpoints.empty()) replica.endpoint = request.endpoints[replica.index];
      replica.master_index = m;
      replica.keys = plan.nodes[m].keys;
      replica.bytes = plan.nodes[m].bytes;
      plan.nodes.push_back(std::move(replica));
    }
  }
  return plan;
}

}  // namespace shardkit::loader
