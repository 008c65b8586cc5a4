#include "tools/layout_check.h"

#include <algorithm>

#include "net/info_fields.h"

namespace shardkit::tools {
namespace {

Finding At(const LiveNode& n, std::string check, std::string subject, std::string expected,
           std::string found) {
  return Finding{n.index,           n.node_id,           n.endpoint.HostPort(),
                 std::move(check),  std::move(subject),  std::move(expected),
                 std::move(found)};
}

std::string Short(const std::string& id) { return id.substr(0, 8); }

std::string PeerName(const LiveNode& p) {
  return "peer node " + std::to_string(p.index) + " (" + p.node_id + ")";
}

// Flags that say a node's view of a peer is not healthy.
std::string BadFlags(const loader::ClusterNode& c) {
  std::string out;
  for (const char* f : {"fail", "fail?", "handshake", "noaddr"}) {
    if (c.HasFlag(f)) out += (out.empty() ? "" : ",") + std::string(f);
  }
  return out;
}

loader::SlotSet Minus(const loader::SlotSet& a, const loader::SlotSet& b) {
  loader::SlotSet out;
  for (const loader::SlotRange& r : a.Ranges()) {
    for (uint32_t s = r.first; s <= r.last; ++s) {
      if (!b.Contains(static_cast<uint16_t>(s))) out.Add(static_cast<uint16_t>(s));
    }
  }
  return out;
}

// Who a slot set of `self` belongs to in node `state`'s view, for messages.
std::string OwnersIn(const loader::SlotSet& slots, const loader::NodesConf& view) {
  std::string out;
  for (const loader::ClusterNode& c : view.nodes) {
    if (c.is_myself() || c.slots.FirstShared(slots) < 0) continue;
    out += (out.empty() ? " (held by " : ", ") + Short(c.id) + " at " + c.ip + ":" +
           std::to_string(c.port);
  }
  return out.empty() ? out : out + ")";
}

void CheckRoleAndSlots(const loader::RecoveryPlan& plan, const LiveNode& n, const NodeState& s,
                       std::vector<Finding>* out) {
  const loader::ClusterNode* me = s.view.myself();
  if (me == nullptr) {
    out->push_back(At(n, "role", "", "a myself line in CLUSTER NODES", "none"));
    return;
  }
  const loader::PlannedNode& p = plan.slots.nodes.at(n.index);
  if (!p.is_replica()) {
    if (!me->is_master()) {
      out->push_back(At(n, "role", "", "master", "replica of " + me->master_id));
    }
    const loader::SlotSet missing = Minus(p.slots, me->slots);
    const loader::SlotSet extra = Minus(me->slots, p.slots);
    if (!missing.empty()) {
      out->push_back(At(n, "slots", "slots " + missing.ToString(), "owned by this node",
                        "not owned" + OwnersIn(missing, s.view)));
    }
    if (!extra.empty()) {
      out->push_back(
          At(n, "slots", "slots " + extra.ToString(), "not owned by this node", "owned"));
    }
    return;
  }
  const loader::PlannedNode& m = plan.slots.nodes.at(p.master_index);
  if (!me->is_replica()) {
    out->push_back(At(n, "role", "", "replica of node " + std::to_string(m.index) + " (" +
                                         m.node_id + ")",
                      "master owning " + std::to_string(me->slots.count()) + " slots"));
    return;
  }
  if (me->master_id != m.node_id) {
    const loader::ClusterNode* actual = s.view.Find(me->master_id);
    out->push_back(At(n, "master", "", "node " + std::to_string(m.index) + " (" + m.node_id + ")",
                      me->master_id + (actual ? " at " + actual->ip + ":" +
                                                    std::to_string(actual->port)
                                              : std::string())));
  }
  const std::string link = net::InfoField(s.info, "master_link_status");
  if (link != "up") {
    out->push_back(At(n, "replica-link", "master_link_status", "up",
                      link.empty() ? "(absent)" : link));
  }
}

void CheckPeers(const std::vector<LiveNode>& nodes, const LiveNode& n, const NodeState& s,
                std::vector<Finding>* out) {
  for (const LiveNode& p : nodes) {
    if (p.index == n.index) continue;
    const loader::ClusterNode* c = s.view.Find(p.node_id);
    if (c == nullptr) {
      out->push_back(At(n, "peer", PeerName(p), "known", "unknown to this node"));
      continue;
    }
    if (c->ip != p.ip || c->port != p.endpoint.port || c->cluster_port != p.endpoint.bus_port) {
      out->push_back(At(n, "peer", PeerName(p) + " address",
                        p.ip + ":" + std::to_string(p.endpoint.port) + "@" +
                            std::to_string(p.endpoint.bus_port),
                        c->ip + ":" + std::to_string(c->port) + "@" +
                            std::to_string(c->cluster_port)));
    }
    const std::string bad = BadFlags(*c);
    if (!bad.empty()) out->push_back(At(n, "peer", PeerName(p) + " flags", "healthy", bad));
    if (!c->connected) {
      out->push_back(At(n, "peer", PeerName(p) + " link", "connected", "disconnected"));
    }
  }
  for (const loader::ClusterNode& c : s.view.nodes) {
    if (c.is_myself() || c.HasFlag("handshake")) continue;
    const bool planned = std::any_of(nodes.begin(), nodes.end(),
                                     [&](const LiveNode& p) { return p.node_id == c.id; });
    if (!planned) {
      out->push_back(At(n, "peer", "node " + c.id, "not in the cluster (not in the plan)",
                        "known at " + c.ip + ":" + std::to_string(c.port)));
    }
  }
}

}  // namespace

std::string Finding::Text() const {
  std::string out = "node " + std::to_string(node) + " (" + endpoint + ") " + check + ": ";
  if (!subject.empty()) out += subject + ": ";
  return out + "expected " + expected + ", found " + found;
}

nlohmann::json Finding::Json() const {
  return {{"node", node},         {"node_id", node_id},   {"endpoint", endpoint},
          {"check", check},       {"subject", subject},   {"expected", expected},
          {"found", found}};
}

std::vector<Finding> CheckLayout(const loader::RecoveryPlan& plan,
                                 const std::vector<LiveNode>& nodes,
                                 const std::vector<NodeState>& states) {
  std::vector<Finding> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const LiveNode& n = nodes[i];
    const NodeState& s = states[i];
    if (s.node_id != n.node_id) {
      out.push_back(At(n, "node-id", "", n.node_id, s.node_id));
      continue;  // another node: nothing else about it is comparable
    }
    CheckRoleAndSlots(plan, n, s, &out);
    if (s.cluster_state() != "ok") {
      out.push_back(At(n, "cluster-state", "", "ok", s.cluster_state()));
    }
    CheckPeers(nodes, n, s, &out);
  }
  return out;
}

Result<std::vector<ExpectedKeys>> ExpectedKeysFromReport(const std::string& text,
                                                         const std::string& path,
                                                         const loader::RecoveryPlan& plan) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_array()) {
    return Status::Corruption(path + ": not a recover --json report (an object with \"nodes\")");
  }
  const std::string report_plan = j.contains("plan") && j["plan"].is_string()
                                      ? j["plan"].get<std::string>()
                                      : std::string("?");
  if (report_plan != plan.fingerprint) {
    return Status::Corruption(path + ": report of plan " + report_plan +
                              ", not of this plan (" + plan.fingerprint + ")");
  }
  std::vector<ExpectedKeys> out(plan.slots.nodes.size());
  for (ExpectedKeys& e : out) e.unknown_reason = "not in the report";
  try {
    for (const auto& n : j["nodes"]) {
      const int index = n.at("index").get<int>();
      if (index < 0 || index >= static_cast<int>(out.size())) {
        return Status::Corruption(path + ": node index " + std::to_string(index) +
                                  " is not in the plan");
      }
      ExpectedKeys& e = out[index];
      if (!n.is_object() || n.value("status", std::string()) != "written") {
        e.unknown_reason = "the report's run found the node already complete (no counts)";
        continue;
      }
      if (!n.contains("expiring")) {
        e.unknown_reason = "the report has no expiry times (written by an older shardkit)";
        continue;
      }
      e.has_log = n.value("commands", uint64_t{0}) > 0;
      if (e.has_log) {
        e.unknown_reason =
            "its output has log commands, which change the key count, and they were not "
            "replayed";
      }
      e.known = !e.has_log;
      e.written = n.at("keys").get<uint64_t>();
      e.digest = n.value("digest", std::string());
      e.digest_not_computed = n.value("digest_not_computed", std::string());
      for (const auto& b : n.at("expiring")) {
        e.expiring.push_back(
            {b.at(0).get<int64_t>(), b.at(1).get<int64_t>(), b.at(2).get<uint64_t>()});
      }
    }
  } catch (const nlohmann::json::exception& ex) {
    return Status::Corruption(path + ": " + ex.what());
  }
  return out;
}

std::string KeyRange::Text() const {
  return low == high ? std::to_string(low) : std::to_string(low) + ".." + std::to_string(high);
}

KeyRange ExpectedRange(const ExpectedKeys& e, int64_t now_ms) {
  // Bucket starts depend only on the expiry and the anchor (the plan's
  // recovery time): the touched keys' buckets are the report's.
  const uint64_t all_due = loader::DueAt(e.expiring, now_ms).possibly;
  const uint64_t touched_due = loader::DueAt(e.log.base_touched_expiring, now_ms).possibly;
  const uint64_t base = e.written - std::min(e.written, e.log.base_touched);
  KeyRange r;
  r.due = std::min(base, all_due - std::min(all_due, touched_due));
  r.low = base - r.due + e.log.replayed;
  // Redis counts an expired key until it reclaims it: at most every key.
  r.high = base + e.log.replayed + e.log.uncertain;
  return r;
}

std::vector<Finding> CheckKeyCounts(const std::vector<LiveNode>& nodes,
                                    const std::vector<NodeState>& states,
                                    const std::vector<ExpectedKeys>& expected, int64_t now_ms) {
  std::vector<Finding> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ExpectedKeys& e = expected.at(nodes[i].index);
    if (!e.known) continue;
    const KeyRange r = ExpectedRange(e, now_ms);
    const uint64_t found = states[i].dbsize;
    if (found >= r.low && found <= r.high) continue;
    std::string why = std::to_string(e.written) + " written, ";
    if (e.has_log) {
      why += std::to_string(e.log.base_touched) + " of them touched by the log, " +
             std::to_string(e.log.replayed) + " left by its replay, ";
      if (e.log.uncertain > 0) {
        why += "up to " + std::to_string(e.log.uncertain) + " in closures expiring around now, ";
      }
    }
    out.push_back(At(nodes[i], "keys", "DBSIZE",
                     r.Text() + " (" + why + std::to_string(r.due) + " due to expire by now)",
                     std::to_string(found)));
  }
  return out;
}

}  // namespace shardkit::tools
