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
// A node whose output has log commands: the base keys the log touches are
// taken out and the keys a replay of the log leaves added (LogKeyCount,
// tools/log_count.h).
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

// What the log commands of a node's output change in its count
// (tools/log_count.h fills it).
struct LogKeyCount {
  uint64_t base_touched = 0;  // of `written`, keys the log touches (replayed instead)
  std::vector<loader::ExpiryBucket> base_touched_expiring;  // their expiries
  uint64_t replayed = 0;   // keys the replay leaves, none expiring within a minute
  uint64_t uncertain = 0;  // keys of closures whose count depends on time: 0..uncertain
};

// What recover wrote for one node (its --json report).
struct ExpectedKeys {
  bool known = false;
  std::string unknown_reason;  // when !known
  uint64_t written = 0;        // base keys written (the RDB or AOF base)
  std::vector<loader::ExpiryBucket> expiring;
  // The output has log commands (the report's "commands" > 0): known only
  // once `log` is filled.
  bool has_log = false;
  LogKeyCount log;
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

// The DBSIZE range a known node may show at `now_ms`.
struct KeyRange {
  uint64_t low = 0;
  uint64_t high = 0;
  uint64_t due = 0;  // base keys whose expiry may have passed
  std::string Text() const;  // "12" or "10..12"
};
KeyRange ExpectedRange(const ExpectedKeys& e, int64_t now_ms);

std::vector<Finding> CheckKeyCounts(const std::vector<LiveNode>& nodes,
                                    const std::vector<NodeState>& states,
                                    const std::vector<ExpectedKeys>& expected, int64_t now_ms);

}  // namespace shardkit::tools
