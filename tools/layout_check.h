// The comparisons `check` and `join` make between a plan and what the live
// nodes say (NodeState), as a list of findings, each naming the node, the
// thing compared (a slot range, a peer, the key count), what the plan wants
// and what the node says. An empty list means the cluster matches.
//
// Layout (CheckLayout), per node: its id is the plan's; a master is a
// master owning exactly its planned slots; a replica is a replica of its
// planned master with its link up; cluster_state is ok; it knows every
// node of the plan, at the address it answers on now, not flagged fail,
// pfail, handshake or noaddr, with its link connected, and no other node.
// Counts (CheckKeyCounts), per node whose expected count is known: DBSIZE
// lies between the keys written less those whose expiry may have passed by
// now (ExpiryHistogram buckets) and the keys written (Redis counts an expired
// key until it reclaims it): when no key is due, exactly the keys written.
// Pure functions; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loader/expiry_histogram.h"
#include "loader/recovery_plan.h"
#include "tools/live_nodes.h"
#include "tools/node_state.h"

namespace shardkit::tools {

struct Finding {
  int node = -1;          // the plan's node index
  std::string node_id;    // the plan's
  std::string endpoint;   // host:port it was reached at
  std::string check;      // node-id, role, master, slots, cluster-state, peer, replica-link, keys
  std::string subject;    // e.g. "slots 100-200", "peer node 2 (<id>)"; may be empty
  std::string expected;
  std::string found;

  // "node 1 (127.0.0.1:7001) slots: slots 5-9: expected owned here, found not owned"
  std::string Text() const;
  nlohmann::json Json() const;
};

// `nodes` and `states` are parallel (states[i] is nodes[i]'s), none loading.
std::vector<Finding> CheckLayout(const loader::RecoveryPlan& plan,
                                 const std::vector<LiveNode>& nodes,
                                 const std::vector<NodeState>& states);

// What recover wrote for one node (its --json report).
struct ExpectedKeys {
  bool known = false;
  std::string unknown_reason;  // when !known
  uint64_t written = 0;
  std::vector<loader::ExpiryBucket> expiring;
  // recover --digest: the node's dataset digest (40 hex), or why there is
  // none; both empty for a report written without --digest.
  std::string digest;
  std::string digest_not_computed;
};

// Parses recover's --json report into one ExpectedKeys per plan node.
// Errors: kCorruption naming `path` when the report does not parse or is
// for another plan (its "plan" differs from plan.fingerprint).
Result<std::vector<ExpectedKeys>> ExpectedKeysFromReport(const std::string& text,
                                                         const std::string& path,
                                                         const loader::RecoveryPlan& plan);

std::vector<Finding> CheckKeyCounts(const std::vector<LiveNode>& nodes,
                                    const std::vector<NodeState>& states,
                                    const std::vector<ExpectedKeys>& expected, int64_t now_ms);

}  // namespace shardkit::tools
