// shardkit recover --plan plan.json --out DIR [--node-index K] [--threads T]
//                  [--keep-expired] [--other-dbs error|drop|db0] [--json]
// Writes each new node's files (loader/recover.h), replicas included (a
// replica's data files are its master's). A standalone plan (plan
// --standalone) keeps every db; --other-dbs is for cluster plans only. Progress on stderr when
// it is a terminal; the report as text on stderr or JSON on stdout.
// Exit 0 when every requested node is complete (written now or earlier).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "loader/recover.h"
#include "storage/small_file.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"

namespace shardkit::tools {
namespace {

struct RecoverArgs {
  std::string plan_path;
  std::string out;
  int node_index = -1;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool keep_expired = false;
  std::string other_dbs;  // empty: not given (error on a cluster plan)
  int rdb_version = 0;
  std::string format = "rdb";
  bool json = false;
};

// A one-line progress bar on a terminal: bytes, keys, rate, ETA.
class TerminalProgress final : public loader::RecoverProgress {
 public:
  TerminalProgress() : start_(std::chrono::steady_clock::now()) {}
  ~TerminalProgress() override {
    if (drawn_) std::fputc('\n', stderr);
  }
  void OnProgress(uint64_t read, uint64_t total, uint64_t keys) override {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = secs > 0 ? static_cast<double>(read) / secs : 0;
    const double pct = total ? 100.0 * static_cast<double>(read) / static_cast<double>(total) : 0;
    const double eta = rate > 0 && total > read ? static_cast<double>(total - read) / rate : 0;
    std::fprintf(stderr, "\rrecover: %5.1f%%  %8.1f MiB  %10llu keys  %7.1f MiB/s  ETA %4.0fs ",
                 pct, static_cast<double>(read) / 1048576.0,
                 static_cast<unsigned long long>(keys), rate / 1048576.0, eta);
    drawn_ = true;
  }

 private:
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

nlohmann::json ReportJson(const loader::RecoverReport& r, const loader::RecoveryPlan& plan) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : r.nodes) {
    nlohmann::json node = {{"index", n.index},
                     {"node_id", n.node_id},
                     {"role", n.master_index >= 0 ? "replica" : "master"},
                     {"dir", n.dir},
                     {"status", n.skipped_complete ? "already-complete" : "written"},
                     {"layout", n.layout},
                     {"keys", n.keys},
                     {"commands", n.commands},
                     {"rdb_bytes", n.bytes},
                     {"rdb_crc64", n.rdb_crc64},
                     {"native_bytes", n.native_bytes},
                     {"slots", n.slot_count},
                     {"seconds", n.seconds}};
    if (n.master_index >= 0) {
      if (plan.standalone()) node["replicaof"] = n.replicaof;
      node["master"] = plan.slots.nodes.at(n.master_index).node_id;
      node["master_index"] = n.master_index;
      node["resync"] = n.resync;
      node["resync_reason"] = n.resync_reason;
    }
    nodes.push_back(std::move(node));
  }
  return {{"plan", plan.fingerprint},
          {"shape", loader::TargetShapeName(plan.shape)},
          {"io_backend", r.io_backend},
          {"nodes", nodes},
          {"sources", r.sources_used},
          {"source_bytes_read", r.source_bytes_read},
          {"keys_read", r.keys_read},
          {"keys_written", r.keys_written},
          {"expired_dropped", r.expired_dropped},
          {"other_db_dropped", r.other_db_dropped},
          {"other_db_moved", r.other_db_moved},
          {"duplicates_dropped", r.duplicates_dropped},
          {"spilled_bytes", r.spilled_bytes},
          {"values_in_pieces", r.values_in_pieces},
          {"non_owner_kept", r.non_owner_kept},
          {"commands_read", r.commands_read},
          {"commands_written", r.commands_written},
          {"commands_before_flush", r.commands_flushed},
          {"commands_non_owner_dropped", r.commands_non_owner},
          {"functions", r.functions},
          {"seconds", r.seconds},
          {"warnings", r.warnings}};
}

int Run(const RecoverArgs& args, const CommandEnv& env) {
  auto text = storage::ReadSmallFile(args.plan_path, 64 << 20);
  if (!text.ok()) return ReportError("recover", text.status());
  auto plan = PlanFromJson(*text, args.plan_path);
  if (!plan.ok()) return ReportError("recover", plan.status());
  loader::RecoverOptions options;
  if (plan->standalone() && !args.other_dbs.empty()) {
    return ReportError("recover", Status::InvalidArgument(
                                      "--other-dbs is for cluster plans: a standalone plan "
                                      "keeps every db (" + args.plan_path + ")"));
  }
  options.out_dir = args.out;
  options.node_index = args.node_index;
  options.threads = args.threads;
  options.keep_expired = args.keep_expired;
  options.rdb_version = args.rdb_version;
  options.other_db_policy = args.other_dbs == "drop"  ? loader::OtherDbPolicy::kDrop
                            : args.other_dbs == "db0" ? loader::OtherDbPolicy::kMoveToDb0
                                                      : loader::OtherDbPolicy::kError;
  options.output_format = args.format == "native" ? loader::OutputFormat::kNative
                          : args.format == "both" ? loader::OutputFormat::kBoth
                                                  : loader::OutputFormat::kRdb;
  options.io = IoOptionsFor(env);
  std::unique_ptr<TerminalProgress> progress;
  if (isatty(STDERR_FILENO)) {
    progress = std::make_unique<TerminalProgress>();
    options.progress = progress.get();
  }
  auto report = loader::Recover(*plan, options);
  progress.reset();
  if (!report.ok()) return ReportError("recover", report.status());
  if (args.json) {
    std::cout << ReportJson(*report, *plan).dump(2) << std::endl;
  } else {
    for (const auto& n : report->nodes) {
      std::fprintf(stderr, "node %d %s: %s (%s), %llu keys, %llu log commands, %llu bytes, crc64 %s\n",
                   n.index, n.dir.c_str(), n.skipped_complete ? "already complete" : "written",
                   n.layout.c_str(), static_cast<unsigned long long>(n.keys),
                   static_cast<unsigned long long>(n.commands),
                   static_cast<unsigned long long>(n.bytes), n.rdb_crc64.c_str());
      if (n.master_index >= 0) {
        std::fprintf(stderr, "  replica of node %d: %s resync (%s)\n", n.master_index,
                     n.resync.c_str(), n.resync_reason.c_str());
        if (plan->standalone()) {
          // The replica's own port, as the plan's endpoint says.
          const std::string& ep = plan->slots.nodes.at(n.index).endpoint;
          const std::string port = ep.substr(ep.rfind(':') + 1);
          if (n.replicaof.empty()) {
            std::fprintf(stderr, "  start: in %s, redis-server --dir . --replicaof <master host> "
                                 "<port> (no replica.conf: the plan has no endpoints)\n",
                         n.dir.c_str());
          } else {
            std::fprintf(stderr, "  start: in %s, redis-server --port %s --dir . --include %s\n",
                         n.dir.c_str(), port.c_str(), loader::kReplicaConfName);
          }
        }
      }
    }
    std::fprintf(stderr,
                 "recover: %llu keys read, %llu written, %llu expired dropped, %llu duplicates "
                 "dropped, %.2fs (%s backend)\n",
                 static_cast<unsigned long long>(report->keys_read),
                 static_cast<unsigned long long>(report->keys_written),
                 static_cast<unsigned long long>(report->expired_dropped),
                 static_cast<unsigned long long>(report->duplicates_dropped), report->seconds,
                 report->io_backend.c_str());
    if (report->commands_read > 0) {
      std::fprintf(stderr,
                   "recover: %llu log commands read, %llu written, %llu before a FLUSHALL/FLUSHDB "
                   "skipped, %llu for slots their source did not own dropped\n",
                   static_cast<unsigned long long>(report->commands_read),
                   static_cast<unsigned long long>(report->commands_written),
                   static_cast<unsigned long long>(report->commands_flushed),
                   static_cast<unsigned long long>(report->commands_non_owner));
    }
    for (const auto& w : report->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  }
  return kExitOk;
}

void AddRecover(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<RecoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recover",
      "Write each new node's dump.rdb (and nodes.conf; a standalone plan's replicas: "
      "replica.conf) from a plan, replicas included");
  cmd->add_option("--plan", args->plan_path, "plan.json written by `shardkit plan`")->required();
  cmd->add_option("--out", args->out, "Output directory (node-K/ per node)")->required();
  cmd->add_option("--node-index", args->node_index,
                  "Write only node K (0-based; a replica gets its master's data)")
      ->check(CLI::Range(0, 16383));
  cmd->add_option("--threads", args->threads, "Sources read in parallel")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--keep-expired", args->keep_expired,
                "Keep keys whose TTL passed before the plan was made");
  cmd->add_option("--other-dbs", args->other_dbs,
                  "Cluster plans: keys outside db 0: error (default), drop or db0 (a "
                  "standalone plan keeps every db)")
      ->check(CLI::IsMember({"error", "drop", "db0"}));
  cmd->add_option("--rdb-version", args->rdb_version,
                  "RDB version to write (default: the newest among the sources; Redis 7.0 "
                  "reads up to 10)")
      ->check(CLI::Range(7, 14));
  cmd->add_option("--format", args->format,
                  "rdb (what redis-server loads), native (node-K/dump.skn, a slot-indexed "
                  "archive) or both")
      ->check(CLI::IsMember({"rdb", "native", "both"}));
  cmd->add_flag("--json", args->json, "JSON report on stdout");
  cmd->footer(
      "Starting the nodes (P: the node's port from the plan's endpoints; add --appendonly yes "
      "when node-K holds appendonlydir/):\n"
      "  standalone master (plan --standalone), in node-0:  redis-server --port P --dir .\n"
      "  its replicas, in node-K (K >= 1):  redis-server --port P --dir . --include replica.conf\n"
      "  cluster master or replica (plan --nodes N [--replicas R]), in node-K:\n"
      "    redis-server --port P --dir . --cluster-enabled yes   (reads the nodes.conf written "
      "here)\n"
      "Replicas given their master at start-up load dump.rdb and resume without a full sync.");
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(recover, shardkit::tools::AddRecover);
