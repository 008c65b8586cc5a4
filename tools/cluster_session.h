// ClusterSession: one connection to every node of a plan (LiveNodes) and a
// bounded wait until the nodes are ready to be compared with the plan, for
// check and join.
//
// Open() connects to every node (each bounded by the connect timeout); a
// node that does not answer or refuses the credentials is an error naming
// it. WaitReady() reads every node's state again and again (every ~200 ms:
// loading and cluster convergence advance in the servers' cron, there is
// nothing to block on) until no node is loading and, when asked, every node
// says cluster_state:ok with every peer's link connected, or until the
// deadline; on a terminal it shows what it waits for.
// Ownership: owns its connections. Threading: one thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/redis_connection.h"
#include "tools/live_nodes.h"
#include "tools/node_state.h"

namespace shardkit::tools {

struct ReadyState {
  std::vector<NodeState> states;  // parallel to the session's nodes
  bool ready = false;
  std::string waiting_for;        // when !ready: what was not ready at the deadline
};

class ClusterSession {
 public:
  static Result<std::unique_ptr<ClusterSession>> Open(std::vector<LiveNode> nodes,
                                                      const net::ConnectOptions& options);
  const std::vector<LiveNode>& nodes() const { return nodes_; }
  net::RedisConnection& connection(size_t i) { return *conns_[i]; }

  // Every node's state now.
  Result<std::vector<NodeState>> ReadAll();
  // REQUIRES: `command` names the caller in progress lines ("check").
  Result<ReadyState> WaitReady(std::chrono::milliseconds wait, bool want_cluster_ok,
                               const char* command);

 private:
  std::vector<LiveNode> nodes_;
  std::vector<std::unique_ptr<net::RedisConnection>> conns_;
};

}  // namespace shardkit::tools
