#include "loader/cluster_topology.h"

#include <algorithm>
#include <map>

namespace shardkit::loader {

namespace {

struct Claim {
  std::string node_id;
  uint64_t epoch = 0;
  bool set = false;
};

// Records `node`'s claim on every slot it lists; keeps the highest epoch and
// reports ties between different nodes.
void ClaimSlots(const ClusterNode& node, const std::string& path, std::vector<Claim>* claims,
                std::map<std::string, std::string>* conflicts) {
  for (const SlotRange& r : node.slots.Ranges()) {
    for (uint32_t s = r.first; s <= r.last; ++s) {
      Claim& c = (*claims)[s];
      if (!c.set || node.config_epoch > c.epoch) {
        c = {node.id, node.config_epoch, true};
      } else if (node.config_epoch == c.epoch && node.id != c.node_id) {
        std::string key = std::min(node.id, c.node_id) + std::max(node.id, c.node_id);
        (*conflicts)[key] = "slot " + std::to_string(s) + " (and maybe more) claimed by " +
                            c.node_id + " and " + node.id + " with the same config epoch " +
                            std::to_string(c.epoch) + " (in " + path +
                            "); the smaller node id wins";
        if (node.id < c.node_id) c.node_id = node.id;
      }
    }
  }
}

}  // namespace

const OldShard* ClusterTopology::ShardOfNode(const std::string& node_id) const {
  for (const OldShard& s : shards) {
    if (s.master_id == node_id) return &s;
    if (std::find(s.replica_ids.begin(), s.replica_ids.end(), node_id) != s.replica_ids.end()) {
      return &s;
    }
  }
  return nullptr;
}

size_t ClusterTopology::unowned_slots() const {
  return static_cast<size_t>(std::count(slot_shard.begin(), slot_shard.end(), int16_t{-1}));
}

ClusterTopology MergeTopology(const std::vector<NamedNodesConf>& files) {
  ClusterTopology topo;
  topo.slot_shard.fill(-1);
  std::vector<Claim> claims(kSlotCount);
  std::map<std::string, std::string> conflicts;
  std::map<std::string, uint64_t> master_epoch;
  std::map<std::string, std::string> master_address;
  std::map<std::string, std::vector<std::string>> replicas;
  for (const NamedNodesConf& f : files) {
    topo.current_epoch = std::max(topo.current_epoch, f.conf.current_epoch);
    for (const ClusterNode& n : f.conf.nodes) {
      if (n.is_replica() && !n.master_id.empty()) {
        auto& list = replicas[n.master_id];
        if (std::find(list.begin(), list.end(), n.id) == list.end()) list.push_back(n.id);
      }
      if (!n.is_master() || n.slots.empty()) continue;
      ClaimSlots(n, f.path, &claims, &conflicts);
      uint64_t& e = master_epoch[n.id];
      if (n.config_epoch >= e) {
        e = n.config_epoch;
        master_address[n.id] = n.ip + ":" + std::to_string(n.port);
      }
    }
  }
  std::map<std::string, SlotSet> won;
  for (int s = 0; s < kSlotCount; ++s) {
    if (claims[s].set) won[claims[s].node_id].Add(static_cast<uint16_t>(s));
  }
  for (auto& [id, slots] : won) {
    OldShard shard;
    shard.master_id = id;
    shard.config_epoch = master_epoch[id];
    shard.slots = slots;
    shard.address = master_address[id];
    shard.replica_ids = replicas[id];
    std::sort(shard.replica_ids.begin(), shard.replica_ids.end());
    topo.shards.push_back(std::move(shard));
  }
  std::sort(topo.shards.begin(), topo.shards.end(), [](const OldShard& a, const OldShard& b) {
    return a.slots.Ranges().front().first < b.slots.Ranges().front().first;
  });
  for (size_t i = 0; i < topo.shards.size(); ++i) {
    for (const SlotRange& r : topo.shards[i].slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) topo.slot_shard[s] = static_cast<int16_t>(i);
    }
  }
  for (auto& [key, text] : conflicts) topo.conflicts.push_back(text);
  return topo;
}

}  // namespace shardkit::loader
