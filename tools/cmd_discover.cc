// shardkit discover [--json] [--quick] [--estimate] [--threads N] DIR...
// shardkit discover --volume-report OUT [--estimate] [--threads N] DIR
// Reports what each old volume holds and which source is authoritative for
// each old shard (loader/discovery.h). Exit 0 when every shard has a usable
// source, 1 when a shard has none, 2 on usage or I/O errors.
// --volume-report: the scan of one volume only, written atomically to OUT as
// JSON (loader/volume_report.h, tools/volume_report_json.h) for `plan
// --volume-reports`, which decides over every volume's report; no decision
// is made here. Exit 0 written (damaged files are in the report), 2 usage
// or I/O errors.
#include <cstdio>
#include <iostream>
#include <thread>

#include "loader/ccs_grouping.h"
#include "loader/discovery.h"
#include "loader/volume_report.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"
#include "tools/volume_report_json.h"

namespace shardkit::tools {
namespace {

struct DiscoverArgs {
  std::vector<std::string> dirs;
  bool json = false;
  bool quick = false;
  bool estimate = false;
  std::string volume_report;  // OUT of --volume-report
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

void PrintEnterpriseText(const loader::Discovery& d) {
  for (const loader::EnterpriseVolume& e : d.enterprise_volumes) {
    std::fprintf(stderr, "Redis Enterprise %s %s: %zu shard files\n",
                 e.kind == loader::EnterprisePathKind::kNodeVolume ? "node volume" : "shard file",
                 e.path.c_str(), e.shard_files.size());
    for (const std::string& ccs : e.ccs_files) {
      std::fprintf(stderr, "  ccs %s: cluster configuration store, not user data\n", ccs.c_str());
    }
  }
  for (const loader::CcsReport& c : d.ccs) {
    std::string dbs;
    for (const loader::CcsDatabase& db : c.databases) {
      dbs += (dbs.empty() ? "" : ", ") + ("bdb:" + std::to_string(db.uid) + " \"" + db.name + "\"");
    }
    std::fprintf(stderr, "  ccs %s says: %s\n", c.path.c_str(),
                 c.status.ok() ? (dbs.empty() ? "no bdb:<uid> hash" : dbs.c_str())
                               : c.status.ToString().c_str());
  }
  // Which database the CCS places each shard in (loader/ccs_grouping.h).
  const loader::CcsGrouping g = loader::GroupShardsByCcs(d);
  for (const loader::CcsBdb& db : g.databases) {
    std::string shards;
    for (int si : db.shards) {
      const std::string& id = d.shards[si].master_id;
      shards += (shards.empty() ? "" : "; ") + id.substr(id.find(':') + 1);
    }
    std::fprintf(stderr, "  the CCS places shards %s in %s (hash_slots_policy %s)%s\n",
                 shards.c_str(), loader::CcsGrouping::Describe(db).c_str(),
                 db.hash_slots_policy.empty() ? "not given" : db.hash_slots_policy.c_str(),
                 db.legacy ? ": legacy slots 1-4096, not supported" : "");
  }
}

void PrintText(const loader::Discovery& d) {
  PrintEnterpriseText(d);
  for (const auto& v : d.volumes) {
    const std::string what =
        v.enterprise.has_value()
            ? "Redis Enterprise shard " + std::to_string(v.enterprise->name.uid) +
                  (v.enterprise->name.prev ? " (.prev copy)" : "")
            : v.node_id.empty() ? "no nodes.conf"
                                : (v.is_master ? "master " : "replica ");
    std::fprintf(stderr, "volume %s: %s%s%s\n", v.files.dir.c_str(), what.c_str(),
                 v.node_id.c_str(), v.aof_enabled ? ", AOF enabled" : "");
    for (const auto& c : v.candidates) {
      std::fprintf(stderr, "  %-13s %s: %s\n", std::string(loader::SourceKindName(c.kind)).c_str(),
                   c.path.c_str(),
                   c.health.ok() ? (c.scan ? ((c.scan->estimated
                                                   ? "ok, header read (keys not counted)"
                                                   : "ok, " + std::to_string(c.scan->keys) +
                                                         " keys") +
                                              (!loader::IsAofKind(c.kind)
                                                   ? std::string()
                                                   : " in the RDB part, " +
                                                         std::to_string(c.scan->commands) +
                                                         " log commands" +
                                                         (c.scan->flush_file >= 0
                                                              ? " (earlier data flushed)"
                                                              : "")))
                                                 .c_str()
                                           : "ok")
                                 : c.health.ToString().c_str());
    }
  }
  for (const auto& s : d.shards) {
    std::fprintf(stderr, "shard %s slots [%s]: %s\n", s.master_id.c_str(),
                 s.slots.ToString().c_str(), s.reason.c_str());
    for (const auto& r : s.rejected) std::fprintf(stderr, "  rejected %s\n", r.c_str());
  }
  for (const auto& w : d.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::fprintf(stderr, "scans read %llu bytes\n",
               static_cast<unsigned long long>(d.scan_bytes_read));
}

// --volume-report: scans the one volume and writes its report.
int RunVolumeReport(const DiscoverArgs& args, const loader::DiscoverOptions& options) {
  if (args.dirs.size() != 1 || args.json || args.quick) {
    return ReportError("discover",
                       Status::InvalidArgument(
                           "--volume-report takes exactly one volume (an Enterprise path counts "
                           "as one) and neither --json nor --quick; got " +
                           std::to_string(args.dirs.size()) + " paths"));
  }
  auto report = loader::MakeVolumeScanReport(args.dirs[0], options);
  if (!report.ok()) return ReportError("discover", report.status());
  const std::string text = VolumeReportToJson(*report).dump(2) + "\n";
  Status s = WriteFileAtomically(args.volume_report, text, options.io);
  if (!s.ok()) return ReportError("discover", s.WithPrefix("writing " + args.volume_report));
  size_t sources = 0, usable = 0;
  for (const loader::VolumeReport& v : report->scanned.volumes) {
    for (const loader::SourceCandidate& c : v.candidates) {
      ++sources;
      usable += c.health.ok() ? 1 : 0;
    }
  }
  std::fprintf(stderr,
               "volume report %s: %s: %zu volume%s, %zu sources (%zu usable), %s scans read "
               "%llu bytes\n",
               args.volume_report.c_str(), args.dirs[0].c_str(), report->scanned.volumes.size(),
               report->scanned.volumes.size() == 1 ? "" : "s", sources, usable,
               options.estimate ? "header" : "full",
               static_cast<unsigned long long>(report->scanned.scan_bytes_read));
  for (const std::string& w : report->scanned.warnings) {
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  }
  return kExitOk;
}

int Run(const DiscoverArgs& args, const CommandEnv& env) {
  loader::DiscoverOptions options;
  options.scan = !args.quick;
  options.estimate = args.estimate;
  options.threads = args.threads;
  options.now_ms = NowMs();
  options.io = IoOptionsFor(env);
  if (!args.volume_report.empty()) return RunVolumeReport(args, options);
  auto d = loader::Discover(args.dirs, options);
  if (!d.ok()) return ReportError("discover", d.status());
  if (args.json) {
    std::cout << DiscoveryToJson(*d).dump(2) << std::endl;
  } else {
    PrintText(*d);
  }
  for (const auto& s : d->shards) {
    if (s.volume < 0) return kExitDataCorrupt;
  }
  return kExitOk;
}

void AddDiscover(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<DiscoverArgs>();
  CLI::App* cmd = app.add_subcommand(
      "discover", "Report what each old volume holds and choose each shard's source");
  cmd->add_option("dirs", args->dirs, "One directory per old node's volume")->required();
  cmd->add_flag("--json", args->json, "JSON report on stdout");
  cmd->add_flag("--quick", args->quick, "Do not read the data files (names and headers only)");
  cmd->add_flag("--estimate", args->estimate,
                "Read each RDB part only up to its first db (replication id and offset, "
                "save time), as plan --estimate does: keys, CRC and per-slot figures are not "
                "read (SPEC.md \"Estimated plans\")");
  cmd->add_option("--volume-report", args->volume_report,
                  "Scan the one volume DIR and write its report here (JSON, atomically) for "
                  "`plan --volume-reports`, which decides over every volume's report: one "
                  "process per volume, where that volume is attached (SPEC.md \"Volume "
                  "reports\")");
  cmd->add_option("--threads", args->threads, "Files scanned in parallel")
      ->check(CLI::Range(1, 256));
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(discover, shardkit::tools::AddDiscover);
