#include "tools/cluster_session.h"

#include <unistd.h>

#include <cstdio>
#include <thread>

namespace shardkit::tools {
namespace {

// What keeps node `n` from being compared now, or "" when nothing does.
std::string NotReady(const LiveNode& n, const NodeState& s, bool want_cluster_ok) {
  if (s.loading) {
    return n.label + " loading" + (s.loading_percent.empty() ? "" : " " + s.loading_percent + "%");
  }
  if (!want_cluster_ok) return "";
  if (s.cluster_state() != "ok") return n.label + " cluster_state:" + s.cluster_state();
  if (net::InfoField(s.info, "role") == "slave" &&
      net::InfoField(s.info, "master_link_status") != "up") {
    return n.label + " replication link not up";
  }
  for (const loader::ClusterNode& c : s.view.nodes) {
    if (c.is_myself()) continue;
    if (!c.connected || c.HasFlag("fail") || c.HasFlag("fail?") || c.HasFlag("handshake")) {
      return n.label + " link to " + c.id.substr(0, 8) + " not up";
    }
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<ClusterSession>> ClusterSession::Open(std::vector<LiveNode> nodes,
                                                             const net::ConnectOptions& options) {
  std::unique_ptr<ClusterSession> s(new ClusterSession());
  for (const LiveNode& n : nodes) {
    SK_ASSIGN_OR_RETURN(auto conn,
                        net::RedisConnection::Connect(n.ip, n.endpoint.port, n.label, options));
    s->conns_.push_back(std::move(conn));
  }
  s->nodes_ = std::move(nodes);
  return s;
}

Result<std::vector<NodeState>> ClusterSession::ReadAll() {
  std::vector<NodeState> out;
  for (auto& c : conns_) {
    SK_ASSIGN_OR_RETURN(NodeState s, ReadNodeState(*c));
    out.push_back(std::move(s));
  }
  return out;
}

Result<ReadyState> ClusterSession::WaitReady(std::chrono::milliseconds wait, bool want_cluster_ok,
                                             const char* command) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  const bool tty = isatty(STDERR_FILENO) != 0;
  bool drew = false;
  bool said = false;
  ReadyState r;
  for (;;) {
    SK_ASSIGN_OR_RETURN(r.states, ReadAll());
    // Loading nodes first: they are what the others wait for.
    std::vector<std::string> loading, other;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      std::string why = NotReady(nodes_[i], r.states[i], want_cluster_ok);
      if (why.empty()) continue;
      (r.states[i].loading ? loading : other).push_back(std::move(why));
    }
    loading.insert(loading.end(), other.begin(), other.end());
    const int waiting = static_cast<int>(loading.size());
    r.waiting_for.clear();
    for (int i = 0; i < waiting && i < 3; ++i) r.waiting_for += (i ? "; " : "") + loading[i];
    if (waiting > 3) r.waiting_for += " (and " + std::to_string(waiting - 3) + " more)";
    r.ready = waiting == 0;
    if (r.ready || std::chrono::steady_clock::now() >= deadline) break;
    if (tty) {
      std::fprintf(stderr, "\r%s: waiting for %d of %zu nodes: %s\033[K", command, waiting,
                   nodes_.size(), r.waiting_for.c_str());
      drew = true;
    } else if (!said) {
      // Not a terminal: one line, so a log shows that (and why) it waited.
      std::fprintf(stderr, "%s: waiting (at most %.1f s) for %d of %zu nodes: %s\n", command,
                   std::chrono::duration<double>(wait).count(), waiting, nodes_.size(),
                   r.waiting_for.c_str());
      said = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (drew) std::fputc('\n', stderr);
  return r;
}

}  // namespace shardkit::tools
