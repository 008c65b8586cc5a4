// MeetStalePeers: the step of `join` that tells every node where each of its
// peers is now. For each node X and each other node Y of the plan, when X's
// CLUSTER NODES does not list Y's id at Y's current address (ip, port and
// bus port), X is sent CLUSTER MEET <Y's ip> <port> <bus port>.
//
// Why this is enough (measured on redis-server 7.0.15, SPEC.md "join"): X
// starts a handshake with the address; Y answers with its own id, which X
// already knows, so X replaces the stale address of that id ("Address
// updated for node ...") and drops the handshake entry: no node is added,
// none forgotten, nothing else changes. Y in turn learns its own address
// from the MEET. Gossip alone propagates a new address only once the stale
// entry is flagged failing, and may write back a wrong one when a node's
// outgoing connections leave from another address than the one it listens
// on, so every pair is told directly rather than relying on it.
// A node whose view is already right gets nothing: a second run sends no
// MEET. Never CLUSTER FORGET, RESET or anything that touches data.
// Threading: one thread (the session's connections).
// Errors: a connection failure, or an error reply to CLUSTER MEET, naming
// the node and the peer.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tools/cluster_session.h"

namespace shardkit::tools {

// While the nodes find each other, masters see their peers' failure
// reports before every link is up and may mark a master FAIL; its replica
// would then fail over and the plan's roles would be lost (seen in the demo
// on redis-server 7.0.15: two of three replicas took over during a join).
// PauseReplicaFailover sets `cluster-replica-no-failover yes` on every node
// that is a replica now (CONFIG SET: in memory only, no config rewrite) and
// returns what each had; RestoreReplicaFailover sets those values back.
struct PausedFailover {
  size_t node = 0;       // index into the session's nodes
  std::string previous;  // "yes" or "no"
};
Result<std::vector<PausedFailover>> PauseReplicaFailover(ClusterSession& session,
                                                         const std::vector<NodeState>& states);
Status RestoreReplicaFailover(ClusterSession& session, const std::vector<PausedFailover>& paused);

struct MeetSent {
  int node = 0;         // plan index of the node told
  int peer = 0;         // plan index of the peer it was told about
  std::string was;      // the address it had ("" when it did not know the id)
  std::string now;      // ip:port@busport sent
};

// `states` are the session's nodes' current states (none loading).
Result<std::vector<MeetSent>> MeetStalePeers(ClusterSession& session,
                                             const std::vector<NodeState>& states);

}  // namespace shardkit::tools
