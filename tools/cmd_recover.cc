// shardkit recover --plan plan.json --out DIR [--node-index K] [--threads T]
//                  [--keep-expired] [--other-dbs error|drop|db0] [--digest] [--json]
// shardkit recover --spec recovery.json --plans DIR --out OUT
//                  [--database NAME [--node-index K]] ...   (tools/spec_recover.h)
// shardkit recover --plan plan.json --source I --fragments DIR      (phase 1)
// shardkit recover --plan plan.json --from-fragments DIR --out OUT [--node-index K]  (phase 2)
//   A recovery in two phases, for volumes one pod at a time can attach
//   (loader/fragments.h).
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

#include "loader/fragments.h"
#include "loader/recover.h"
#include "storage/small_file.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/enterprise_files.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"
#include "tools/recover_report.h"
#include "tools/spec_recover.h"

namespace shardkit::tools {
namespace {

struct RecoverArgs {
  std::string plan_path;
  std::string spec;
  std::string plans_dir;
  std::string database;
  std::string out;
  int node_index = -1;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool keep_expired = false;
  bool digest = false;
  std::string other_dbs;  // empty: not given (error on a cluster plan)
  int rdb_version = 0;
  std::string format = "rdb";
  bool json = false;
  bool enterprise_files = false;
  int source = -1;             // phase 1: the plan source to split
  std::string fragments;       // phase 1: where source-I/ goes
  std::string from_fragments;  // phase 2
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

// Exactly one of --plan and --spec; --plans and --database only with
// --spec, --plans required with it; --node-index with --spec needs
// --database. Returns -1 when the arguments are consistent.
int CheckModes(const RecoverArgs& args) {
  const char* error = nullptr;
  if (args.plan_path.empty() == args.spec.empty()) {
    error = "give either --plan plan.json or --spec recovery.json --plans DIR";
  } else if (args.spec.empty() && (!args.plans_dir.empty() || !args.database.empty())) {
    error = "--plans and --database go with --spec";
  } else if (!args.spec.empty() && args.plans_dir.empty()) {
    error = "--spec needs --plans DIR (the directory `plan --spec` wrote)";
  } else if (!args.spec.empty() && args.node_index >= 0 && args.database.empty()) {
    error = "--node-index with --spec needs --database NAME (node K of which database)";
  } else if (args.enterprise_files && (!args.spec.empty() || args.node_index >= 0)) {
    error = "--enterprise-files goes with --plan, without --node-index (it names every node's "
            "file in one data_files.json)";
  } else if ((args.source >= 0) != !args.fragments.empty()) {
    error = "--source I and --fragments DIR go together (phase 1: split source I of the plan)";
  } else if (args.source >= 0 &&
             (!args.spec.empty() || !args.out.empty() || args.node_index >= 0 ||
              !args.from_fragments.empty() || args.enterprise_files || args.digest)) {
    error = "--source writes fragments only: no --out, --node-index, --spec, --from-fragments, "
            "--enterprise-files or --digest with it";
  } else if (args.source < 0 && args.out.empty()) {
    error = "--out DIR is required";
  } else if (!args.from_fragments.empty() && (!args.spec.empty() || args.enterprise_files)) {
    error = "--from-fragments goes with --plan (not --spec or --enterprise-files)";
  }
  if (error == nullptr) return -1;
  std::fprintf(stderr, "shardkit recover: %s\n", error);
  return kExitUsageOrIo;
}

int Run(const RecoverArgs& args, const CommandEnv& env) {
  if (const int bad = CheckModes(args); bad >= 0) return bad;
  loader::RecoverOptions options;
  options.out_dir = args.out;
  options.node_index = args.node_index;
  options.threads = args.threads;
  options.keep_expired = args.keep_expired;
  options.digest = args.digest;
  options.rdb_version = args.rdb_version;
  options.other_db_policy = args.other_dbs == "drop"  ? loader::OtherDbPolicy::kDrop
                            : args.other_dbs == "db0" ? loader::OtherDbPolicy::kMoveToDb0
                                                      : loader::OtherDbPolicy::kError;
  options.output_format = args.format == "native" ? loader::OutputFormat::kNative
                          : args.format == "both" ? loader::OutputFormat::kBoth
                                                  : loader::OutputFormat::kRdb;
  options.io = IoOptionsFor(env);
  options.fragments_dir = args.fragments;
  options.from_fragments = args.from_fragments;
  std::unique_ptr<TerminalProgress> progress;
  if (isatty(STDERR_FILENO)) {
    progress = std::make_unique<TerminalProgress>();
    options.progress = progress.get();
  }
  if (!args.spec.empty()) {
    SpecRecoverRequest req;
    req.spec_path = args.spec;
    req.plans_dir = args.plans_dir;
    req.out_dir = args.out;
    req.database = args.database;
    req.node_index = args.node_index;
    req.json = args.json;
    return RunRecoverSpec(req, options);
  }
  auto text = storage::ReadSmallFile(args.plan_path, 64 << 20);
  if (!text.ok()) return ReportError("recover", text.status());
  auto plan = PlanFromJson(*text, args.plan_path);
  if (!plan.ok()) return ReportError("recover", plan.status());
  if (plan->standalone() && !args.other_dbs.empty()) {
    return ReportError("recover", Status::InvalidArgument(
                                      "--other-dbs is for cluster plans: a standalone plan "
                                      "keeps every db (" + args.plan_path + ")"));
  }
  if (args.source >= 0) {
    auto split = loader::SplitSource(*plan, args.source, options);
    progress.reset();
    if (!split.ok()) return ReportError("recover", split.status());
    if (args.json) {
      std::cout << SplitReportJson(*split).dump(2) << std::endl;
    } else {
      PrintSplitReport(*split);
    }
    return kExitOk;
  }
  auto report = loader::Recover(*plan, options);
  progress.reset();
  if (!report.ok()) return ReportError("recover", report.status());
  if (args.enterprise_files) {
    Status s = WriteEnterpriseFiles(*plan, *report, args.out, options.io);
    if (!s.ok()) return ReportError("recover", s);
    std::fprintf(stderr, "recover: Redis Enterprise naming: %s/redis/redis-<uid>.rdb for %zu "
                 "nodes and %s\n", args.out.c_str(), plan->slots.nodes.size(),
                 kEnterpriseDataFilesName);
  }
  if (args.json) {
    std::cout << RecoverReportJson(*report, *plan).dump(2) << std::endl;
  } else {
    PrintRecoverReport(*report, *plan);
  }
  return kExitOk;
}

void AddRecover(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<RecoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "recover",
      "Write each new node's dump.rdb (and nodes.conf; a standalone plan's replicas: "
      "replica.conf) from a plan, replicas included (or, with --spec, every database of a "
      "recovery spec)");
  cmd->add_option("--plan", args->plan_path, "plan.json written by `shardkit plan`");
  cmd->add_option("--spec", args->spec,
                  "A recovery spec (instead of --plan): recover every database of it from the "
                  "plans `plan --spec` wrote to --plans DIR, into OUT/<name>/node-K, one "
                  "database after another under one --threads budget; the exit status is the "
                  "worst database's");
  cmd->add_option("--plans", args->plans_dir,
                  "With --spec: the directory `plan --spec --out DIR` wrote (plans.json and "
                  "<name>.plan.json)");
  cmd->add_option("--database", args->database,
                  "With --spec: recover only this database (with --node-index K: only its "
                  "node K)");
  cmd->add_option("--out", args->out,
                  "Output directory (node-K/ per node; with --spec, <name>/node-K/); required "
                  "except with --source");
  cmd->add_option("--source", args->source,
                  "Phase 1 of a two-phase recovery: read only plan source I (0-based, the "
                  "order of plan.json's sources) and write its fragments for every new node it "
                  "feeds to --fragments DIR/source-I/ (published whole, marker last; a rerun "
                  "keeps a complete one)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--fragments", args->fragments,
                  "Phase 1: the directory shared by both phases (e.g. a ReadWriteMany volume)");
  cmd->add_option("--from-fragments", args->from_fragments,
                  "Phase 2: build the nodes (all, or --node-index K) from the fragments every "
                  "source's phase 1 wrote to this directory, reading no source: the files are "
                  "byte-identical to a one-process recover's. Missing, extra, foreign or "
                  "damaged fragments are refused before anything is published (exit 2, or 1 "
                  "when damaged), naming the fragment");
  cmd->add_option("--node-index", args->node_index,
                  "Write only node K (0-based; a replica gets its master's data)")
      ->check(CLI::Range(0, 16383));
  cmd->add_option("--threads", args->threads, "Sources read in parallel")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--keep-expired", args->keep_expired,
                "Keep keys whose TTL passed before the plan was made");
  cmd->add_flag("--digest", args->digest,
                "Compute each node's Redis DEBUG DIGEST (read back from its written RDB) into "
                "the report, for check --report");
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
  cmd->add_flag("--enterprise-files", args->enterprise_files,
                "Also name the output as Redis Enterprise does: OUT/redis/redis-<K+1>.rdb per "
                "node K (a hard link to its dump.rdb) and OUT/redis/data_files.json (the REST "
                "API recovery plan's data_files[]); --plan only, every node, dump.rdb layout");
  cmd->footer(
      "Starting the nodes (P: the node's port from the plan's endpoints; add --appendonly yes "
      "when node-K holds appendonlydir/):\n"
      "  standalone master (plan --standalone), in node-0:  redis-server --port P --dir .\n"
      "  its replicas, in node-K (K >= 1):  redis-server --port P --dir . --include replica.conf\n"
      "  cluster master or replica (plan --nodes N [--replicas R]), in node-K:\n"
      "    redis-server --port P --dir . --cluster-enabled yes   (reads the nodes.conf written "
      "here)\n"
      "Replicas given their master at start-up load dump.rdb and resume without a full sync.\n"
      "Two phases, for volumes one pod at a time can attach: `recover --plan P --source I "
      "--fragments DIR` where source I's volume is attached (once per source), then `recover "
      "--plan P --from-fragments DIR --out OUT --node-index K` (once per node, no volume "
      "needed).\n"
      "Exit codes: 0 every requested node (or source's fragments) complete; 1 a corrupt source, "
      "plan or damaged fragment; 2 bad input or I/O (a node directory or fragments of another "
      "plan, missing or extra fragments); 3 content this build refuses; 4 no space.");
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(recover, shardkit::tools::AddRecover);
