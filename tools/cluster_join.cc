#include "tools/cluster_join.h"

#include "net/info_fields.h"

namespace shardkit::tools {

Result<std::vector<PausedFailover>> PauseReplicaFailover(ClusterSession& session,
                                                         const std::vector<NodeState>& states) {
  std::vector<PausedFailover> paused;
  for (size_t i = 0; i < states.size(); ++i) {
    if (net::InfoField(states[i].info, "role") != "slave") continue;
    net::RedisConnection& c = session.connection(i);
    SK_ASSIGN_OR_RETURN(net::RedisValue got,
                        c.CommandOk({"CONFIG", "GET", "cluster-replica-no-failover"}));
    PausedFailover p;
    p.node = i;
    p.previous = got.elements.size() == 2 ? got.elements[1].str : "no";
    if (p.previous == "yes") continue;
    SK_RETURN_IF_ERROR(
        c.CommandOk({"CONFIG", "SET", "cluster-replica-no-failover", "yes"}).status());
    paused.push_back(std::move(p));
  }
  return paused;
}

Status RestoreReplicaFailover(ClusterSession& session, const std::vector<PausedFailover>& paused) {
  Status first;
  for (const PausedFailover& p : paused) {
    auto r = session.connection(p.node).CommandOk(
        {"CONFIG", "SET", "cluster-replica-no-failover", p.previous});
    if (!r.ok() && first.ok()) first = r.status();
  }
  return first;
}

Result<std::vector<MeetSent>> MeetStalePeers(ClusterSession& session,
                                             const std::vector<NodeState>& states) {
  const std::vector<LiveNode>& nodes = session.nodes();
  std::vector<MeetSent> sent;
  for (size_t x = 0; x < nodes.size(); ++x) {
    for (const LiveNode& y : nodes) {
      if (y.index == nodes[x].index) continue;
      const loader::ClusterNode* c = states[x].view.Find(y.node_id);
      const bool right = c != nullptr && c->ip == y.ip && c->port == y.endpoint.port &&
                         c->cluster_port == y.endpoint.bus_port && !c->HasFlag("noaddr");
      if (right) continue;
      MeetSent m;
      m.node = nodes[x].index;
      m.peer = y.index;
      if (c != nullptr) {
        m.was = c->ip + ":" + std::to_string(c->port) + "@" + std::to_string(c->cluster_port);
      }
      m.now = y.ip + ":" + std::to_string(y.endpoint.port) + "@" +
              std::to_string(y.endpoint.bus_port);
      auto reply = session.connection(x).CommandOk({"CLUSTER", "MEET", y.ip,
                                                    std::to_string(y.endpoint.port),
                                                    std::to_string(y.endpoint.bus_port)});
      if (!reply.ok()) {
        return reply.status().WithPrefix("telling it about " + y.label);
      }
      sent.push_back(std::move(m));
    }
  }
  return sent;
}

}  // namespace shardkit::tools
