#include "tools/spec_plan.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "loader/recovery_plan.h"
#include "tools/cli_common.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"
#include "tools/plans_index.h"
#include "tools/recovery_spec.h"

namespace shardkit::tools {
namespace {

// The endpoints of "endpoints": "keep" (see spec_plan.h).
Result<std::vector<std::string>> KeptEndpoints(const loader::Discovery& d, const DatabaseSpec& db,
                                               const std::string& field) {
  auto refuse = [&](const std::string& what) {
    return Status::InvalidArgument(field + ": \"keep\": " + what);
  };
  auto address_of = [&](const std::string& id) -> std::string {
    for (const loader::VolumeReport& v : d.volumes) {
      if (!v.nodes) continue;
      const loader::ClusterNode* n = v.nodes->Find(id);
      if (n != nullptr && !n->ip.empty() && n->port > 0) {
        return n->ip + ":" + std::to_string(n->port);
      }
    }
    return "";
  };
  std::vector<const loader::OldShard*> shards;
  for (const loader::ShardDecision& s : d.shards) {
    if (d.Chosen(s) == nullptr) continue;  // not a plan source (--allow-missing-shards)
    if (s.standalone) {
      return refuse("volume " + d.volumes[s.members.front()].files.dir +
                    " has no nodes.conf, so there is no old endpoint to keep");
    }
    const loader::OldShard* old = nullptr;
    for (const loader::OldShard& o : d.topology.shards) {
      if (o.master_id == s.master_id) old = &o;
    }
    if (old == nullptr) return refuse("old shard " + s.master_id + " is not in any nodes.conf");
    shards.push_back(old);
  }
  if (shards.size() != static_cast<size_t>(db.masters)) {
    return refuse("keeps each old shard's endpoint, so masters must be the old shard count (" +
                  std::to_string(shards.size()) + "), not " + std::to_string(db.masters) +
                  "; give the endpoints instead");
  }
  std::vector<std::string> out(static_cast<size_t>(db.masters) * (1 + db.replicas));
  for (size_t m = 0; m < shards.size(); ++m) {
    out[m] = address_of(shards[m]->master_id);
    if (out[m].empty()) {
      return refuse("no endpoint for old master " + shards[m]->master_id + " in any nodes.conf");
    }
    if (shards[m]->replica_ids.size() < static_cast<size_t>(db.replicas)) {
      return refuse("old shard " + shards[m]->master_id + " had " +
                    std::to_string(shards[m]->replica_ids.size()) + " replicas, not " +
                    std::to_string(db.replicas) + "; give the endpoints instead");
    }
    for (int r = 0; r < db.replicas; ++r) {
      const std::string& id = shards[m]->replica_ids[r];
      std::string& e = out[shards.size() + m * db.replicas + r];
      e = address_of(id);
      if (e.empty()) return refuse("no endpoint for old replica " + id + " in any nodes.conf");
    }
  }
  return out;
}

struct PlannedDatabase {
  const DatabaseSpec* db = nullptr;
  std::string text;  // plan.json
  loader::RecoveryPlan plan;
};

Result<PlannedDatabase> PlanOne(const DatabaseSpec& db, size_t index, int threads,
                                int64_t now_ms, const storage::IoOptions& io) {
  const std::string at = "databases[" + std::to_string(index) + "]";
  loader::DiscoverOptions dopt;
  dopt.threads = threads;
  dopt.now_ms = now_ms;
  dopt.io = io;
  SK_ASSIGN_OR_RETURN(loader::Discovery d, loader::Discover(db.volumes, dopt));
  loader::PlanOptions popt;
  popt.node_count = db.masters;
  popt.replicas = db.replicas;
  popt.weights = db.weights;
  popt.allow_missing_shards = db.allow_missing_shards;
  popt.merge_standalone = db.merge_standalone;
  popt.standalone = db.shape == SpecShape::kStandalone;
  if (db.keep_endpoints) {
    SK_ASSIGN_OR_RETURN(popt.endpoints, KeptEndpoints(d, db, at + ".endpoints"));
  } else {
    popt.endpoints = db.endpoints;
  }
  SK_ASSIGN_OR_RETURN(loader::RecoveryPlan plan, loader::BuildRecoveryPlan(d, popt, now_ms));
  if (db.keep_endpoints && plan.slots.strategy != "keep-shards") {
    return Status::InvalidArgument(at + ".endpoints: \"keep\": the old shards' slots cannot be "
                                   "kept whole (strategy " + plan.slots.strategy +
                                   "); give the endpoints instead");
  }
  PlannedDatabase out;
  out.db = &db;
  out.text = PlanToJson(plan).dump(2) + "\n";
  out.plan = std::move(plan);
  return out;
}

}  // namespace

int RunPlanSpec(const std::string& spec_path, const std::string& out_dir, int threads,
                const CommandEnv& env) {
  const storage::IoOptions io = IoOptionsFor(env);
  auto text = ReadSmallFile(spec_path, 16 << 20);
  if (!text.ok()) return ReportError("plan", text.status());
  auto spec = ParseRecoverySpec(*text, spec_path);
  if (!spec.ok()) return ReportError("plan", spec.status());
  std::error_code ec;
  const std::string spec_real = std::filesystem::canonical(spec_path, ec).string();
  const std::string base_dir = std::filesystem::path(spec_real).parent_path().string();
  Status checked = CheckSpecVolumes(*spec, base_dir, spec_path);
  if (!checked.ok()) return ReportError("plan", checked);

  const int64_t now_ms = NowMs();
  std::vector<PlannedDatabase> planned;
  for (size_t i = 0; i < spec->databases.size(); ++i) {
    const DatabaseSpec& db = spec->databases[i];
    auto p = PlanOne(db, i, threads, now_ms, io);
    if (!p.ok()) {
      return ReportError("plan", p.status().WithPrefix("database \"" + db.name + "\" (databases[" +
                                                       std::to_string(i) + "])"));
    }
    planned.push_back(std::move(*p));
  }

  if (mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ReportError("plan", Status::FromErrno(errno, "mkdir", out_dir));
  }
  PlansIndex index;
  index.spec = spec_real;
  index.spec_fingerprint = SpecFingerprint(*text);
  index.created_ms = now_ms;
  for (const PlannedDatabase& p : planned) {
    const std::string file = PlanFileName(p.db->name);
    Status s = WriteFileAtomically(out_dir + "/" + file, p.text, io);
    if (!s.ok()) return ReportError("plan", s.WithPrefix("writing " + out_dir + "/" + file));
    PlansIndexEntry e;
    e.name = p.db->name;
    e.plan = file;
    e.fingerprint = p.plan.fingerprint;
    e.shape = p.db->shape == SpecShape::kStandalone ? "standalone" : "cluster";
    e.masters = p.db->masters;
    e.replicas = p.db->replicas;
    e.nodes = static_cast<int>(p.plan.slots.nodes.size());
    index.databases.push_back(std::move(e));
  }
  const std::string index_path = out_dir + "/" + kPlansIndexName;
  Status s = WriteFileAtomically(index_path, PlansIndexToJson(index).dump(2) + "\n", io);
  if (!s.ok()) return ReportError("plan", s.WithPrefix("writing " + index_path));

  for (const PlannedDatabase& p : planned) {
    std::fprintf(stderr, "database %s: plan %s (%s), %zu sources, %zu nodes, %llu keys, %llu bytes, "
                 "strategy %s\n",
                 p.db->name.c_str(), p.plan.fingerprint.c_str(), PlanFileName(p.db->name).c_str(),
                 p.plan.sources.size(), p.plan.slots.nodes.size(),
                 static_cast<unsigned long long>(p.plan.slots.total_keys),
                 static_cast<unsigned long long>(p.plan.slots.total_bytes),
                 p.plan.slots.strategy.c_str());
    for (const auto& w : p.plan.warnings) {
      std::fprintf(stderr, "warning: database %s: %s\n", p.db->name.c_str(), w.c_str());
    }
  }
  std::fprintf(stderr, "plans index: %s\n", index_path.c_str());
  return kExitOk;
}

}  // namespace shardkit::tools
