// shardkit check --plan plan.json [--report recover.json] [--endpoints h:p,...]
//                [--wait SECONDS] [--sample N|all|none] [--replay-server PATH]
//                [--user U] [--password P] [--json]
// Compares the live nodes of a recovered cluster with the plan (and, with
// --report, with what recover wrote, by DEBUG DIGEST where recover --digest
// computed it (tools/digest_check.h); and sampled values with the sources,
// keys an AOF log touches after replaying it in a redis-server check starts:
// tools/log_sample.h, tools/replay_server.h; key counts of nodes with log
// commands after a replay, tools/log_count.h): tools/layout_check.h and
// tools/value_sample.h say what is compared. Waits (bounded by --wait) while
// nodes load or the cluster converges, then compares once.
// Exit: 0 everything matches; 1 a mismatch (each named); 2 bad input, an
// unreachable node or refused credentials; 5 still not ready after --wait.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "storage/small_file.h"
#include "tools/cli_common.h"
#include "tools/cluster_session.h"
#include "tools/command.h"
#include "tools/digest_check.h"
#include "tools/exit_codes.h"
#include "tools/layout_check.h"
#include "tools/log_count.h"
#include "tools/plan_json.h"
#include "tools/replay_server.h"
#include "tools/value_sample.h"

namespace shardkit::tools {
namespace {

struct CheckArgs {
  std::string plan_path;
  std::string report_path;
  std::vector<std::string> endpoints;
  double wait_seconds = 60;
  std::string sample = "2000";  // keys per master, "all", or "none"
  bool sample_given = false;
  std::string replay_server;    // "" = redis-server on PATH
  ConnectArgs connect;
  bool json = false;
};

// Per node: role, keys, cluster state and, for a replica, how its master
// served it (INFO stats of the master: a resumed replica leaves sync_full 0).
nlohmann::json NodesJson(const loader::RecoveryPlan& plan, const std::vector<LiveNode>& nodes,
                         const std::vector<NodeState>& states,
                         const std::vector<ExpectedKeys>* expected,
                         const DigestOutcome& digests, int64_t now_ms) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeState& s = states[i];
    nlohmann::json n = {{"index", nodes[i].index},
                        {"node_id", nodes[i].node_id},
                        {"endpoint", nodes[i].endpoint.HostPort()},
                        {"role", nodes[i].master_index >= 0 ? "replica" : "master"},
                        {"dbsize", s.dbsize},
                        {"cluster_state", s.cluster_state()}};
    if (expected != nullptr) {
      const ExpectedKeys& e = expected->at(nodes[i].index);
      if (e.known) {
        n["keys_written"] = e.written;
        const KeyRange r = ExpectedRange(e, now_ms);
        n["keys_expected"] = r.low == r.high ? nlohmann::json(r.low) : nlohmann::json(r.Text());
        if (e.has_log) {
          n["keys_log"] = {{"base_touched", e.log.base_touched},
                           {"replayed", e.log.replayed},
                           {"uncertain", e.log.uncertain}};
        }
      } else {
        n["keys_not_checked"] = e.unknown_reason;
      }
    }
    if (i < digests.not_checked.size()) {
      if (digests.not_checked[i].empty()) {
        n["digest"] = expected->at(nodes[i].index).digest;
      } else {
        n["digest_not_checked"] = digests.not_checked[i];
      }
    }
    if (nodes[i].master_index >= 0) {
      const NodeState& m = states.at(plan.slots.nodes.at(nodes[i].index).master_index);
      n["master_link_status"] = net::InfoField(s.info, "master_link_status");
      const std::string full = net::InfoField(m.info, "sync_full");
      n["master_sync_full"] = full;
      n["master_sync_partial_ok"] = net::InfoField(m.info, "sync_partial_ok");
      n["resync"] = full == "0" ? "partial" : full.empty() ? "unknown" : "full (or mixed)";
    }
    out.push_back(std::move(n));
  }
  return out;
}

// A node whose layout differs may not serve its keys (MOVED, CLUSTERDOWN):
// its values are not compared; its layout findings say why.
std::vector<bool> SkipForValues(ClusterSession& cs, const std::vector<Finding>& layout) {
  std::vector<bool> skip(cs.nodes().size(), false);
  for (const Finding& f : layout) {
    if (f.check != "keys" && f.check != "peer") {
      for (size_t i = 0; i < cs.nodes().size(); ++i) skip[i] = skip[i] || cs.nodes()[i].index == f.node;
    }
  }
  return skip;
}

// What the value comparison did, for the report.
struct ValuesOutcome {
  std::string not_checked;  // why values were not sampled at all
  bool sampled = false;
  uint64_t from_base = 0;
  uint64_t from_replay = 0;
  uint64_t not_compared = 0;
  uint64_t commands_replayed = 0;
  std::vector<std::string> notes;
  std::string replay_server;  // "<binary> (redis <version>)" when one ran
  std::string replay_unavailable;
  // --sample all: "compared" when every node's keys were SCANned against
  // the sources' key set, else why not.
  std::string key_set;
  double seconds = 0;
};

// A replay server for the plan's log commands when it has any, or why not
// (its major version must be the nodes': RESTORE refuses newer payloads and
// commands may differ).
std::unique_ptr<ReplayServer> StartReplay(const CheckArgs& args, const loader::RecoveryPlan& plan,
                                          ClusterSession& cs, std::string* why) {
  if (!plan.UsesAof()) return nullptr;
  auto replay = ReplayServer::Start(args.replay_server);
  if (!replay.ok()) {
    *why = std::string(replay.status().message());
    return nullptr;
  }
  auto info = cs.connection(0).Command({"INFO", "server"});
  const std::string node_version =
      info.ok() ? net::InfoField(net::ParseInfoFields(info->str), "redis_version") : "";
  if (MajorVersion(node_version) != MajorVersion((*replay)->version())) {
    *why = (*replay)->binary() + " is redis " + (*replay)->version() + ", the nodes redis " +
           (node_version.empty() ? "(unknown)" : node_version) +
           ": the replay needs the same major version (--replay-server)";
    return nullptr;
  }
  return std::move(*replay);
}

// One replay server for the count and the sample, started on first use.
struct ReplayHolder {
  std::unique_ptr<ReplayServer> server;
  std::string unavailable;
  bool tried = false;
  ReplayServer* Get(const CheckArgs& args, const loader::RecoveryPlan& plan, ClusterSession& cs) {
    if (!tried) server = StartReplay(args, plan, cs, &unavailable);
    tried = true;
    return server.get();
  }
};

// Fills the key counts of nodes whose output has log commands
// (tools/log_count.h), or leaves why not.
Result<LogCountOutcome> CountLogKeys(const CheckArgs& args, const CommandEnv& env,
                                     const loader::RecoveryPlan& plan, ClusterSession& cs,
                                     const nlohmann::json& report, ReplayHolder* replay,
                                     std::vector<ExpectedKeys>* expected) {
  const bool any = std::any_of(expected->begin(), expected->end(),
                               [](const ExpectedKeys& e) { return e.has_log && !e.known; });
  if (!any) return LogCountOutcome();
  LogCountOptions options;
  options.replay = replay->Get(args, plan, cs);
  options.replay_unavailable = replay->unavailable;
  options.now_ms = NowMs();
  options.io = IoOptionsFor(env);
  auto total = [&](const char* name) {
    return report.contains(name) && report[name].is_number_unsigned() ? report[name].get<uint64_t>()
                                                                       : uint64_t{0};
  };
  options.report_expired_dropped = total("expired_dropped");
  options.report_other_db_moved = total("other_db_moved");
  options.report_non_owner_kept = total("non_owner_kept");
  return CountLogNodes(plan, options, expected);
}

// The sampled value comparison, or why values were not checked.
Result<std::vector<Finding>> CheckValues(const CheckArgs& args, const CommandEnv& env,
                                         const loader::RecoveryPlan& plan, ClusterSession& cs,
                                         const std::vector<Finding>& layout,
                                         const DigestOutcome& digests, ReplayHolder* replays,
                                         ValuesOutcome* outcome) {
  if (args.sample == "none") {
    outcome->not_checked = "--sample none";
    return std::vector<Finding>();
  }
  // Every node's whole dataset matched its DEBUG DIGEST: sampling adds
  // nothing unless asked for. A digest that differs says which node, not
  // which key: sampling names the key.
  if (digests.all_compared() && digests.findings.empty() && !args.sample_given) {
    return std::vector<Finding>();
  }
  SampleOptions options;
  if (args.sample != "all") {
    try {
      options.per_master = std::stoull(args.sample);
    } catch (const std::exception&) {
      return Status::InvalidArgument("--sample " + args.sample + ": expected N, all or none");
    }
    if (options.per_master == 0) return Status::InvalidArgument("--sample 0: use --sample none");
  } else {
    options.per_master = 0;
  }
  const auto start = std::chrono::steady_clock::now();
  ReplayServer* replay = replays->Get(args, plan, cs);
  options.replay = replay;
  options.replay_unavailable = replays->unavailable;
  options.now_ms = NowMs();
  options.io = IoOptionsFor(env);
  if (replay != nullptr) {
    outcome->replay_server = replay->binary() + " (redis " + replay->version() + ")";
  }
  outcome->replay_unavailable = options.replay_unavailable;
  auto samples = SampleSourceKeys(plan, options);
  replays->server.reset();  // killed as soon as the expected values are known
  if (!samples.ok()) {
    if (args.sample_given) return samples.status().WithPrefix("--sample");
    outcome->not_checked = std::string(samples.status().message());
    return std::vector<Finding>();
  }
  outcome->sampled = true;
  outcome->from_base = samples->from_base;
  outcome->from_replay = samples->from_replay;
  outcome->not_compared = samples->not_compared;
  outcome->commands_replayed = samples->commands_replayed;
  outcome->notes = samples->notes;
  const std::vector<bool> skip = SkipForValues(cs, layout);
  auto findings = CompareSampledKeys(plan, cs, samples->by_node, skip);
  if (findings.ok() && samples->known_by_node.empty()) {
    outcome->key_set = "not compared: only with --sample all";
  } else if (findings.ok() && !samples->key_set_unknown.empty()) {
    outcome->key_set = "not compared: " + samples->key_set_unknown;
  } else if (findings.ok()) {
    auto extra = CompareKeySets(plan, cs, *samples, skip);
    if (!extra.ok()) return extra.status();
    findings->insert(findings->end(), extra->begin(), extra->end());
    outcome->key_set = "compared";
  }
  outcome->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return findings;
}

nlohmann::json ValuesJson(const ValuesOutcome& v) {
  nlohmann::json j = {{"keys_compared", v.from_base + v.from_replay},
                      {"from_base", v.from_base},
                      {"from_log_replay", v.from_replay},
                      {"not_compared", v.not_compared},
                      {"log_commands_replayed", v.commands_replayed},
                      {"notes", v.notes},
                      {"key_set", v.key_set},
                      {"seconds", v.seconds}};
  if (!v.replay_server.empty()) j["replay_server"] = v.replay_server;
  if (!v.replay_unavailable.empty()) j["replay_not_available"] = v.replay_unavailable;
  return j;
}

int Run(const CheckArgs& args, const CommandEnv& env) {
  auto text = storage::ReadSmallFile(args.plan_path, 64 << 20);
  if (!text.ok()) return ReportError("check", text.status());
  auto plan = PlanFromJson(*text, args.plan_path);
  if (!plan.ok()) return ReportError("check", plan.status());
  if (plan->standalone()) {
    // Every comparison below reads cluster state (CLUSTER MYID, NODES, INFO);
    // without this a standalone node failed at CLUSTER MYID with a hint to
    // enable cluster mode, which is the wrong advice for this plan.
    return ReportError("check", Status::NotSupported(
                                    args.plan_path +
                                    ": a standalone plan: check compares a Redis Cluster with its "
                                    "plan (compare a standalone node's INFO keyspace and DEBUG "
                                    "DIGEST with recover's report by hand)"));
  }
  std::vector<ExpectedKeys> expected;
  nlohmann::json report_json;
  if (!args.report_path.empty()) {
    auto report_text = storage::ReadSmallFile(args.report_path, 256 << 20);
    if (!report_text.ok()) return ReportError("check", report_text.status());
    auto e = ExpectedKeysFromReport(*report_text, args.report_path, *plan);
    if (!e.ok()) return ReportError("check", e.status());
    expected = std::move(*e);
    report_json = nlohmann::json::parse(*report_text, nullptr, /*allow_exceptions=*/false);
  }
  auto nodes = LiveNodesFor(*plan, args.endpoints);
  if (!nodes.ok()) return ReportError("check", nodes.status());
  auto session = ClusterSession::Open(std::move(*nodes), ConnectOptionsFor(args.connect));
  if (!session.ok()) return ReportError("check", session.status());
  ClusterSession& cs = **session;
  auto ready = cs.WaitReady(std::chrono::milliseconds(static_cast<int64_t>(args.wait_seconds * 1000)),
                            /*want_cluster_ok=*/true, "check");
  if (!ready.ok()) return ReportError("check", ready.status());
  for (const NodeState& s : ready->states) {
    if (s.loading) {
      char secs[32];
      std::snprintf(secs, sizeof(secs), "%g", args.wait_seconds);
      std::string what = "still loading after --wait " + std::string(secs) + " s: " +
                         ready->waiting_for;
      if (args.json) {
        std::cout << nlohmann::json{{"ok", false}, {"exit_code", kExitNotReady},
                                    {"not_ready", ready->waiting_for}}.dump(2)
                  << std::endl;
      }
      std::fprintf(stderr, "shardkit check: %s\n", what.c_str());
      return kExitNotReady;
    }
  }
  std::vector<Finding> findings = CheckLayout(*plan, cs.nodes(), ready->states);
  ReplayHolder replay;
  auto counted = CountLogKeys(args, env, *plan, cs, report_json, &replay, &expected);
  if (!counted.ok()) return ReportError("check", counted.status());
  if (!expected.empty()) {
    auto counts = CheckKeyCounts(cs.nodes(), ready->states, expected, NowMs());
    findings.insert(findings.end(), counts.begin(), counts.end());
  }
  auto digests = CheckDigests(cs, expected, SkipForValues(cs, findings), NowMs());
  if (!digests.ok()) return ReportError("check", digests.status());
  ValuesOutcome values_outcome;
  auto values =
      CheckValues(args, env, *plan, cs, findings, *digests, &replay, &values_outcome);
  replay.server.reset();
  const std::string& values_not_checked = values_outcome.not_checked;
  findings.insert(findings.end(), digests->findings.begin(), digests->findings.end());
  if (!values.ok()) return ReportError("check", values.status());
  findings.insert(findings.end(), values->begin(), values->end());
  for (const Finding& f : findings) std::fprintf(stderr, "mismatch: %s\n", f.Text().c_str());
  if (!values_not_checked.empty()) {
    std::fprintf(stderr, "check: values not checked: %s\n", values_not_checked.c_str());
  }
  if (values_outcome.sampled) {
    const ValuesOutcome& v = values_outcome;
    std::fprintf(stderr,
                 "check: values: %llu sampled keys compared (%llu from base values, %llu after "
                 "replaying %llu log commands%s), %llu not compared; key set %s; %.2f s\n",
                 static_cast<unsigned long long>(v.from_base + v.from_replay),
                 static_cast<unsigned long long>(v.from_base),
                 static_cast<unsigned long long>(v.from_replay),
                 static_cast<unsigned long long>(v.commands_replayed),
                 v.replay_server.empty() ? "" : (" in " + v.replay_server).c_str(),
                 static_cast<unsigned long long>(v.not_compared), v.key_set.c_str(), v.seconds);
    for (const std::string& note : v.notes) std::fprintf(stderr, "check: note: %s\n", note.c_str());
  }
  if (counted->sources > 0) {
    const LogCountOutcome& c = *counted;
    std::fprintf(stderr,
                 "check: key counts of nodes with log commands: %llu keys restored and %llu log "
                 "commands replayed from %llu sources in %llu batches; %.2f s\n",
                 static_cast<unsigned long long>(c.keys_restored),
                 static_cast<unsigned long long>(c.commands_replayed),
                 static_cast<unsigned long long>(c.sources),
                 static_cast<unsigned long long>(c.batches), c.seconds);
  }
  for (const std::string& note : counted->notes) {
    std::fprintf(stderr, "check: note: %s\n", note.c_str());
  }
  const int rc = findings.empty() ? kExitOk : kExitDataCorrupt;
  std::fprintf(stderr, "check: %zu nodes, %zu mismatches%s\n", cs.nodes().size(), findings.size(),
               expected.empty() ? " (key counts not checked: no --report)" : "");
  if (args.json) {
    nlohmann::json j = {{"ok", findings.empty()},
                        {"exit_code", rc},
                        {"plan", plan->fingerprint},
                        {"nodes", NodesJson(*plan, cs.nodes(), ready->states,
                                            expected.empty() ? nullptr : &expected,
                                            *digests, NowMs())},
                        {"findings", nlohmann::json::array()}};
    if (!values_not_checked.empty()) j["values_not_checked"] = values_not_checked;
    if (values_outcome.sampled) j["values"] = ValuesJson(values_outcome);
    if (counted->sources > 0 || !counted->notes.empty()) {
      j["key_count_replay"] = {{"sources", counted->sources},
                               {"batches", counted->batches},
                               {"keys_restored", counted->keys_restored},
                               {"log_commands_replayed", counted->commands_replayed},
                               {"notes", counted->notes},
                               {"seconds", counted->seconds}};
    }
    for (const Finding& f : findings) j["findings"].push_back(f.Json());
    std::cout << j.dump(2) << std::endl;
  }
  return rc;
}

void AddCheck(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Compare the live recovered cluster with the plan: each node's id, role, master and "
      "slots, cluster_state, peers and replica links; with --report, each node's key count "
      "(and, from recover --digest, its DEBUG DIGEST); values by sampling");
  cmd->add_option("--plan", args->plan_path, "plan.json written by `shardkit plan`")->required();
  cmd->add_option("--report", args->report_path,
                  "recover's --json report (recover --plan ... --json > recover.json): check "
                  "each node's DBSIZE against the keys written, less those expired since (for "
                  "a node with log commands, after replaying what the log touches); "
                  "with recover --digest, each node's DEBUG DIGEST against the digest of what "
                  "was written (where DEBUG is allowed and no key may have expired; values are "
                  "sampled otherwise)");
  cmd->add_option("--endpoints", args->endpoints,
                  "where the nodes listen now, in plan order (default: the plan's endpoints)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--wait", args->wait_seconds,
                  "wait at most this long for nodes to load and the cluster to converge")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--sample", args->sample,
                  "values: per master, this many keys (or all, or none) read from the plan's "
                  "sources are fetched with DUMP and PEXPIRETIME and compared by type, "
                  "expiry and decoded elements (default 2000; skipped with a note when the "
                  "sources are not readable here). Keys an AOF source's log commands touch "
                  "or create are compared with the value a replay of those commands gives "
                  "(see --replay-server)")
      ->each([args](const std::string&) { args->sample_given = true; });
  cmd->add_option("--replay-server", args->replay_server,
                  "redis-server binary for the log replay (default: redis-server on PATH; "
                  "the same major version as the nodes). Started only when a source has log "
                  "commands, with --port 0 and a unix socket in a private temporary "
                  "directory, --save \"\" --appendonly no, and killed after sampling: the "
                  "sampled keys' base values (and those of keys joined to them by multi-key "
                  "commands) are RESTOREd with their absolute expiry, the log commands "
                  "touching them replayed in order, and DUMP/PEXPIRETIME read back. Without "
                  "one, those keys are reported as not compared (no replay server), not as "
                  "mismatches");
  AddConnectFlags(cmd, &args->connect);
  cmd->add_flag("--json", args->json, "JSON report on stdout");
  cmd->footer(
      "Exit codes: 0 everything matches; 1 a mismatch (each named on stderr: node, slot, peer, "
      "count, digest or key, expected and found); 2 bad input, an unreachable node or refused credentials; "
      "5 nodes still loading after --wait. With --json, \"values\" reports keys_compared, "
      "from_base, from_log_replay, not_compared (and notes saying why), "
      "log_commands_replayed, replay_server or replay_not_available, and key_set. Key counts "
      "of nodes whose output has log commands are checked after replaying, in the replay "
      "server, every key their sources' logs touch (in batches of up to 1,000,000 keys, at "
      "most 16 per source; key_count_replay reports it); a key group whose expiry falls "
      "within a minute of now counts as a range. keys_not_checked says why a count was not "
      "checked (no replay server, a log touching every key, a source not readable here...); "
      "with --sample all every node is also SCANned and a key in no source is named.");
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(check, shardkit::tools::AddCheck);
