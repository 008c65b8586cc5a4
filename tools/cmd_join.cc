// shardkit join --plan plan.json [--endpoints h:p,...] [--wait SECONDS]
//               [--user U] [--password P] [--json]
// Brings the nodes of a recovered cluster together when they run at other
// addresses than their nodes.conf says (new pod IPs, host names that now
// resolve elsewhere): resolves the endpoints now, checks each answers as
// the plan's node id, pauses replica failover (so that no replica takes
// over while links come up one by one), tells every node each peer's current
// address (tools/cluster_join.h), waits for cluster_state:ok everywhere,
// restores each replica's failover setting, and then
// makes check's layout comparison. Never forgets, resets or writes data.
// Exit: 0 joined and matching the plan (also when nothing had to change);
// 1 a mismatch (a node with another id than the plan's, or the layout
// after joining); 2 bad input, an unreachable node or refused credentials;
// 5 nodes still loading, or the cluster not ok, after --wait.
#include <cstdio>
#include <iostream>

#include "storage/small_file.h"
#include "tools/cli_common.h"
#include "tools/cluster_join.h"
#include "tools/cluster_session.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/layout_check.h"
#include "tools/plan_json.h"

namespace shardkit::tools {
namespace {

struct JoinArgs {
  std::string plan_path;
  std::vector<std::string> endpoints;
  double wait_seconds = 60;
  ConnectArgs connect;
  bool json = false;
};

int Finish(const JoinArgs& args, int rc, const std::vector<MeetSent>& sent,
           const std::vector<Finding>& findings, const std::string& not_ready) {
  for (const Finding& f : findings) std::fprintf(stderr, "mismatch: %s\n", f.Text().c_str());
  if (!not_ready.empty()) std::fprintf(stderr, "join: not ready after --wait: %s\n", not_ready.c_str());
  std::fprintf(stderr, "join: %zu CLUSTER MEET sent%s, %zu mismatches\n", sent.size(),
               sent.empty() ? " (every node already knew every peer's address)" : "",
               findings.size());
  if (args.json) {
    nlohmann::json j = {{"ok", rc == kExitOk}, {"exit_code", rc},
                        {"meets", nlohmann::json::array()}, {"findings", nlohmann::json::array()}};
    for (const MeetSent& m : sent) {
      j["meets"].push_back({{"node", m.node}, {"peer", m.peer}, {"was", m.was}, {"now", m.now}});
    }
    for (const Finding& f : findings) j["findings"].push_back(f.Json());
    if (!not_ready.empty()) j["not_ready"] = not_ready;
    std::cout << j.dump(2) << std::endl;
  }
  return rc;
}

int Run(const JoinArgs& args) {
  auto text = storage::ReadSmallFile(args.plan_path, 64 << 20);
  if (!text.ok()) return ReportError("join", text.status());
  auto plan = PlanFromJson(*text, args.plan_path);
  if (!plan.ok()) return ReportError("join", plan.status());
  if (plan->standalone()) {
    return ReportError("join", Status::InvalidArgument(args.plan_path +
                                                       ": a standalone plan has no cluster "
                                                       "to join"));
  }
  auto nodes = LiveNodesFor(*plan, args.endpoints);
  if (!nodes.ok()) return ReportError("join", nodes.status());
  auto session = ClusterSession::Open(std::move(*nodes), ConnectOptionsFor(args.connect));
  if (!session.ok()) return ReportError("join", session.status());
  ClusterSession& cs = **session;
  const auto wait = std::chrono::milliseconds(static_cast<int64_t>(args.wait_seconds * 1000));
  auto loaded = cs.WaitReady(wait, /*want_cluster_ok=*/false, "join");
  if (!loaded.ok()) return ReportError("join", loaded.status());
  if (!loaded->ready) return Finish(args, kExitNotReady, {}, {}, loaded->waiting_for);
  // A node answering with another id than the plan's is not one to join.
  std::vector<Finding> wrong_ids;
  for (const Finding& f : CheckLayout(*plan, cs.nodes(), loaded->states)) {
    if (f.check == "node-id") wrong_ids.push_back(f);
  }
  if (!wrong_ids.empty()) return Finish(args, kExitDataCorrupt, {}, wrong_ids, "");
  auto paused = PauseReplicaFailover(cs, loaded->states);
  if (!paused.ok()) {
    return ReportError("join", paused.status().WithPrefix("pausing replica failover"));
  }
  auto sent = MeetStalePeers(cs, loaded->states);
  auto ready = sent.ok() ? cs.WaitReady(wait, /*want_cluster_ok=*/true, "join")
                         : Result<ReadyState>(sent.status());
  // Replicas may fail over again once the cluster is whole (or join gave up).
  Status restored = RestoreReplicaFailover(cs, *paused);
  if (!sent.ok()) return ReportError("join", sent.status());
  if (!ready.ok()) return ReportError("join", ready.status());
  if (!restored.ok()) {
    return ReportError("join", restored.WithPrefix("restoring cluster-replica-no-failover"));
  }
  std::vector<Finding> findings = CheckLayout(*plan, cs.nodes(), ready->states);
  if (!ready->ready) return Finish(args, kExitNotReady, *sent, findings, ready->waiting_for);
  return Finish(args, findings.empty() ? kExitOk : kExitDataCorrupt, *sent, findings, "");
}

void AddJoin(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<JoinArgs>();
  CLI::App* cmd = app.add_subcommand(
      "join",
      "Bring recovered nodes together at new addresses: tell every node each peer's current "
      "address by node id (CLUSTER MEET), wait for cluster_state:ok, check the layout");
  cmd->add_option("--plan", args->plan_path, "plan.json written by `shardkit plan`")->required();
  cmd->add_option("--endpoints", args->endpoints,
                  "where the nodes listen now, in plan order (host names are resolved now; "
                  "default: the plan's endpoints)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--wait", args->wait_seconds,
                  "wait at most this long for nodes to load and for cluster_state:ok")
      ->check(CLI::Range(0.0, 86400.0));
  AddConnectFlags(cmd, &args->connect);
  cmd->add_flag("--json", args->json, "JSON report on stdout");
  cmd->footer(
      "Exit codes: 0 joined and matching the plan (a second run sends nothing and exits 0); "
      "1 a node with another id than the plan's, or a layout mismatch after joining; 2 bad "
      "input, an unreachable node or refused credentials; 5 still loading, or cluster_state "
      "not ok, after --wait.");
  cmd->callback([args, &env] { env.exit_code = Run(*args); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(join, shardkit::tools::AddJoin);
