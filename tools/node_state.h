// NodeState: what one live node says about itself and the cluster, read in
// one round of commands (CLUSTER MYID, INFO, CLUSTER INFO, CLUSTER NODES,
// DBSIZE) for check and join to compare with the plan.
// A node still loading its data answers LOADING to most commands: its state
// then has loading = true and only the INFO persistence fields.
// Threading: ReadNodeState uses the connection it is given (one thread).
// Errors: a connection failure (kIoError naming the node) or an error reply
// other than LOADING (kInvalidArgument naming the node and command);
// kCorruption for a CLUSTER NODES reply that does not parse.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "loader/nodes_conf.h"
#include "net/info_fields.h"
#include "net/redis_connection.h"

namespace shardkit::tools {

struct NodeState {
  bool loading = false;
  std::string loading_percent;  // INFO persistence loading_loaded_perc while loading
  std::string node_id;          // CLUSTER MYID
  net::InfoFields info;         // INFO replication + persistence + stats
  net::InfoFields cluster_info; // CLUSTER INFO
  loader::NodesConf view;       // CLUSTER NODES
  uint64_t dbsize = 0;

  std::string cluster_state() const { return net::InfoField(cluster_info, "cluster_state"); }
};

Result<NodeState> ReadNodeState(net::RedisConnection& conn);

}  // namespace shardkit::tools
