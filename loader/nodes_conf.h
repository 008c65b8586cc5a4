// nodes.conf: Redis Cluster's per-node view of the cluster, read from an old
// node's volume (discover) and written for each new node (recover).
//
// Line grammar (Redis 7.x, cluster_legacy.c clusterGenNodeDescription):
//   <id> <ip>:<port>@<cport>[,<hostname>[,<aux>=<value>...]] <flags>
//        <master-id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...
// where <slot> is "N", "A-B", or a bracketed migrating/importing entry
// ("[N->-<id>]", "[N-<-<id>]") that is kept as text and does not count as
// ownership; and a last line "vars currentEpoch N lastVoteEpoch M".
//
// Errors: kCorruption naming the path, line number and the field that is
// wrong. A value type; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "loader/slot_ranges.h"

namespace shardkit::loader {

struct ClusterNode {
  std::string id;  // 40 hex characters
  std::string ip;
  int port = 0;
  int cluster_port = 0;
  std::string hostname;              // may be empty
  std::string address_aux;           // ",tls-port=0,shard-id=..." suffix as found, without hostname
  std::vector<std::string> flags;    // myself, master, slave, fail, fail?, handshake, noaddr, ...
  std::string master_id;             // empty for "-"
  uint64_t ping_sent = 0;
  uint64_t pong_received = 0;
  uint64_t config_epoch = 0;
  bool connected = false;
  SlotSet slots;                     // owned slots
  std::vector<std::string> migrations;  // bracketed entries, verbatim

  bool HasFlag(std::string_view flag) const;
  bool is_myself() const { return HasFlag("myself"); }
  bool is_master() const { return HasFlag("master"); }
  bool is_replica() const { return HasFlag("slave"); }
};

struct NodesConf {
  std::vector<ClusterNode> nodes;
  uint64_t current_epoch = 0;
  uint64_t last_vote_epoch = 0;

  // The node flagged "myself", or nullptr.
  const ClusterNode* myself() const;
  const ClusterNode* Find(std::string_view id) const;
};

Result<NodesConf> ParseNodesConf(std::string_view text, std::string_view path);

// Renders a nodes.conf that redis-server loads (one line per node, then the
// vars line), the inverse of ParseNodesConf for the fields it keeps.
std::string FormatNodesConf(const NodesConf& conf);

}  // namespace shardkit::loader
