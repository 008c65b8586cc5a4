// shardkit plan (--nodes N | --standalone) [--replicas R] [--endpoints h:p,...]
//               [--weights w,...] [--out plan.json] [--discovery-out discovery.json]
//               [--allow-missing-shards] [--merge-standalone] DIR...
// shardkit plan (--nodes N | --standalone) [the same flags] --volume-reports R...
// shardkit plan --spec recovery.json --out DIR   (tools/spec_plan.h)
// Discovers the volumes (full scan), then assigns the 16384 slots to N new
// masters balanced by bytes, gives each R replicas (nodes N.., the replicas
// of master 0 first), and writes the recovery plan (atomically) to --out,
// or to stdout. --standalone plans one standalone master (node 0) and its R
// replicas instead of a cluster: recover keeps every db and writes no
// nodes.conf (loader::TargetShape). --discovery-out also writes the discovery report (what
// `discover --json` prints) from the same scan, so a bootstrapper that keeps
// both reads every source once. A summary goes to stderr.
// --volume-reports takes the volumes' scans from `discover --volume-report`
// files instead of reading the volumes (loader/volume_report.h): every report
// is read and checked before anything is written; for the same volumes the
// plan is the one made from the directories.
#include <cstdio>
#include <iostream>
#include <thread>

#include "loader/recovery_plan.h"
#include "loader/volume_report.h"
#include "net/endpoint.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"
#include "tools/spec_plan.h"
#include "tools/volume_report_json.h"

namespace shardkit::tools {
namespace {

struct PlanArgs {
  std::vector<std::string> dirs;
  std::vector<std::string> volume_reports;
  int nodes = 0;
  int replicas = 0;
  std::vector<std::string> endpoints;
  std::vector<double> weights;
  std::string out;
  std::string discovery_out;
  bool allow_missing = false;
  bool merge_standalone = false;
  bool standalone = false;
  bool estimate = false;
  std::string spec;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

// --spec takes the databases, their volumes and shapes from the spec file:
// the per-database flags and DIR... are refused beside it, --out is required
// (a directory). Without --spec, DIR... and --nodes are required.
int RunSpecOrUsage(const PlanArgs& args, const CLI::App& cmd, const CommandEnv& env) {
  if (args.spec.empty()) {
    if (!args.volume_reports.empty() && !args.dirs.empty()) {
      std::fprintf(stderr,
                   "shardkit plan: volumes cannot be given with --volume-reports (the "
                   "reports are the volumes' scans)\n");
      return kExitUsageOrIo;
    }
    if (args.dirs.empty() && args.volume_reports.empty()) {
      std::fprintf(stderr,
                   "shardkit plan: dirs (the old nodes' volumes) are required (or "
                   "--volume-reports, or --spec)\n");
      return kExitUsageOrIo;
    }
    return -1;  // Run() checks --nodes / --standalone
  }
  if (!args.volume_reports.empty()) {
    std::fprintf(stderr, "shardkit plan: --volume-reports cannot be given with --spec\n");
    return kExitUsageOrIo;
  }
  for (const char* flag : {"--nodes", "--standalone", "--replicas", "--endpoints", "--weights",
                           "--discovery-out", "--allow-missing-shards", "--merge-standalone"}) {
    if (cmd.count(flag) > 0) {
      std::fprintf(stderr,
                   "shardkit plan: %s cannot be given with --spec (the spec sets it per "
                   "database)\n",
                   flag);
      return kExitUsageOrIo;
    }
  }
  if (!args.dirs.empty()) {
    std::fprintf(stderr, "shardkit plan: volumes cannot be given with --spec (the spec lists "
                         "each database's volumes)\n");
    return kExitUsageOrIo;
  }
  if (args.out.empty()) {
    std::fprintf(stderr, "shardkit plan: --spec needs --out DIR (one <name>.plan.json per "
                         "database and plans.json)\n");
    return kExitUsageOrIo;
  }
  return RunPlanSpec(args.spec, args.out, args.threads, env);
}

// Every report, read and parsed, then merged and decided (the refusals come
// before anything is written).
Result<loader::Discovery> DiscoveryFromReports(const PlanArgs& args) {
  std::vector<loader::NamedVolumeReport> reports;
  for (const std::string& file : args.volume_reports) {
    SK_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(file, 256 << 20));
    SK_ASSIGN_OR_RETURN(loader::VolumeScanReport report, VolumeReportFromJson(text, file));
    reports.push_back({file, std::move(report)});
  }
  return loader::MergeVolumeScanReports(std::move(reports), args.estimate);
}

int Run(const PlanArgs& args, const CommandEnv& env) {
  if (args.standalone ? args.nodes > 1 : args.nodes < 1) {
    return ReportError("plan", Status::InvalidArgument(
                                   args.standalone
                                       ? "--standalone plans one master (--nodes 1 or no --nodes); "
                                         "add replicas with --replicas R"
                                       : "--nodes N is required (or --standalone)"));
  }
  loader::DiscoverOptions dopt;
  dopt.threads = args.threads;
  dopt.now_ms = NowMs();
  dopt.io = IoOptionsFor(env);
  dopt.estimate = args.estimate;
  auto d =
      args.volume_reports.empty() ? loader::Discover(args.dirs, dopt) : DiscoveryFromReports(args);
  if (!d.ok()) return ReportError("plan", d.status());
  if (!args.discovery_out.empty()) {
    // Written before planning: when the plan fails (a shard with no usable
    // source), the report says why.
    Status s = WriteFileAtomically(args.discovery_out, DiscoveryToJson(*d).dump(2) + "\n", dopt.io);
    if (!s.ok()) return ReportError("plan", s.WithPrefix("writing " + args.discovery_out));
  }
  for (const std::string& e : args.endpoints) {
    // host:port[@busport]; a host name is kept as written (nodes.conf gets it
    // as the node's hostname, SPEC.md "nodes.conf for host names").
    auto parsed = net::ParseEndpoint(e);
    if (!parsed.ok()) return ReportError("plan", parsed.status());
  }
  loader::PlanOptions popt;
  popt.node_count = args.standalone ? 1 : args.nodes;
  popt.standalone = args.standalone;
  popt.replicas = args.replicas;
  popt.endpoints = args.endpoints;
  popt.weights = args.weights;
  popt.allow_missing_shards = args.allow_missing;
  popt.merge_standalone = args.merge_standalone;
  auto plan = loader::BuildRecoveryPlan(*d, popt, dopt.now_ms);
  if (!plan.ok()) return ReportError("plan", plan.status());
  const std::string text = PlanToJson(*plan).dump(2) + "\n";
  if (args.out.empty()) {
    std::cout << text << std::flush;
  } else {
    Status s = WriteFileAtomically(args.out, text, dopt.io);
    if (!s.ok()) return ReportError("plan", s.WithPrefix("writing " + args.out));
  }
  std::fprintf(stderr, "plan %s: %zu sources, %llu keys, %llu bytes, strategy %s\n",
               plan->fingerprint.c_str(), plan->sources.size(),
               static_cast<unsigned long long>(plan->slots.total_keys),
               static_cast<unsigned long long>(plan->slots.total_bytes),
               plan->slots.strategy.c_str());
  std::fprintf(stderr, "  slot bytes %s; the scans read %llu bytes\n",
               plan->estimated ? "estimated from file sizes and slot ranges (keys not counted)"
                               : "measured",
               static_cast<unsigned long long>(plan->scan_bytes_read));
  if (plan->standalone()) {
    std::fprintf(stderr, "  target: standalone (node 0 the master, every db kept)\n");
  }
  for (const auto& n : plan->slots.nodes) {
    if (n.is_replica()) {
      std::fprintf(stderr, "  node %d %s %s: replica of node %d\n", n.index, n.node_id.c_str(),
                   n.endpoint.empty() ? "-" : n.endpoint.c_str(), n.master_index);
      continue;
    }
    std::fprintf(stderr, "  node %d %s %s: %zu slots [%s], %llu keys, %llu bytes\n", n.index,
                 n.node_id.c_str(), n.endpoint.empty() ? "-" : n.endpoint.c_str(),
                 n.slots.count(), n.slots.ToString().c_str(),
                 static_cast<unsigned long long>(n.keys),
                 static_cast<unsigned long long>(n.bytes));
  }
  for (const auto& w : plan->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  return kExitOk;
}

void AddPlan(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Assign the 16384 slots to N new masters, balanced by bytes, each with R replicas (or, "
      "with --standalone, plan one standalone master and its R replicas; or, with --spec, plan "
      "every database of a recovery spec); write plan.json");
  cmd->add_option("dirs", args->dirs, "One directory per old node's volume (required without "
                                      "--spec)");
  cmd->add_option("--volume-reports", args->volume_reports,
                  "Plan from these volume reports (`discover --volume-report`, one per old "
                  "volume) instead of reading the volumes: the same plan as from the "
                  "directories; with --estimate, the reports of volumes with a nodes.conf must "
                  "be made with --estimate (SPEC.md \"Volume reports\")");
  cmd->add_option("--nodes", args->nodes,
                  "Number of new masters (the nodes owning slots); required unless --standalone "
                  "or --spec")
      ->check(CLI::Range(1, 16384));
  cmd->add_flag("--standalone", args->standalone,
                "The target is one standalone master (node 0) with --replicas R replicas, not "
                "a cluster: recover keeps every db (no --other-dbs), writes no nodes.conf, and "
                "gives each replica a replica.conf (replicaof <master endpoint>). Start the "
                "master with redis-server on its directory, a replica with "
                "`redis-server --include replica.conf` (or `include replica.conf` in its "
                "redis.conf)");
  cmd->add_option("--spec", args->spec,
                  "A recovery spec (JSON): several databases, each with its volumes, shape "
                  "(cluster|standalone), masters, replicas and endpoints (a list or \"keep\"); "
                  "writes DIR/<name>.plan.json per database and DIR/plans.json to --out DIR");
  cmd->add_option("--replicas", args->replicas,
                  "Replicas per master (default 0): nodes N.. are the replicas, those of "
                  "master 0 first; each gets its master's data and, from a dump.rdb output, "
                  "resumes replication without a full sync")
      ->check(CLI::Range(0, loader::kMaxReplicas));
  cmd->add_option("--endpoints", args->endpoints,
                  "host:port[@busport] of each new node, in index order: N masters, then N*R "
                  "replicas; host is an IP address or a host name (nodes.conf then records the "
                  "name and no address: start the nodes, then run `shardkit join`)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--weights", args->weights, "Relative share of each new master")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--out", args->out,
                  "Write the plan here (atomically) instead of stdout; with --spec, the "
                  "directory for the plans");
  cmd->add_option("--discovery-out", args->discovery_out,
                  "Also write the discovery report (as discover --json prints it) here, "
                  "atomically, from the same scan");
  cmd->add_flag("--estimate", args->estimate,
                "Balance on estimated slot bytes: read each source's RDB part only up to its "
                "first db (replication id, offset and save time still choose the freshest "
                "copy) and spread its size over the slots its shard owned, so the flow reads "
                "the sources about once (recover reads them); damage in an RDB part is then "
                "found by recover (SPEC.md \"Estimated plans\")");
  cmd->add_flag("--allow-missing-shards", args->allow_missing,
                "Plan even when an old shard has no usable source (its keys are lost)");
  cmd->add_flag("--merge-standalone", args->merge_standalone,
                "Merge volumes of different databases whose keys share slots (refused "
                "otherwise): the freshest volume's copy of a key wins, keys only an older "
                "volume holds are kept");
  cmd->add_option("--threads", args->threads, "Files scanned in parallel")
      ->check(CLI::Range(1, 256));
  cmd->callback([args, cmd, &env] {
    const int early = RunSpecOrUsage(*args, *cmd, env);
    env.exit_code = early >= 0 ? early : Run(*args, env);
  });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(plan, shardkit::tools::AddPlan);
