#include "tools/spec_recover.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "storage/file_system.h"
#include "tools/cli_common.h"
#include "tools/exit_codes.h"
#include "tools/plan_json.h"
#include "tools/plans_index.h"
#include "tools/recover_report.h"
#include "tools/recovery_spec.h"

namespace shardkit::tools {
namespace {

struct LoadedDatabase {
  const DatabaseSpec* db = nullptr;
  std::string plan_path;
  loader::RecoveryPlan plan;
};

// The spec, the index and every selected plan, checked against each other.
struct Loaded {
  RecoverySpec spec;
  std::vector<LoadedDatabase> databases;
};

Result<Loaded> Load(const SpecRecoverRequest& req) {
  Loaded out;
  SK_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(req.spec_path, 16 << 20));
  SK_ASSIGN_OR_RETURN(out.spec, ParseRecoverySpec(text, req.spec_path));
  std::error_code ec;
  const std::string spec_real = std::filesystem::canonical(req.spec_path, ec).string();
  SK_RETURN_IF_ERROR(CheckSpecVolumes(
      out.spec, std::filesystem::path(spec_real).parent_path().string(), req.spec_path));

  const std::string index_path = req.plans_dir + "/" + kPlansIndexName;
  SK_ASSIGN_OR_RETURN(std::string index_text, ReadSmallFile(index_path, 16 << 20));
  SK_ASSIGN_OR_RETURN(PlansIndex index, PlansIndexFromJson(index_text, index_path));
  if (index.spec_fingerprint != SpecFingerprint(text)) {
    return Status::InvalidArgument(
        index_path + " was made from another spec (" + index.spec + "), or " + req.spec_path +
        " changed since: run `shardkit plan --spec " + req.spec_path + " --out " +
        req.plans_dir + "` again");
  }
  // Same fingerprint, same text: the names match. Checked anyway, cheaply.
  if (index.databases.size() != out.spec.databases.size()) {
    return Status::Corruption(index_path + ": lists " + std::to_string(index.databases.size()) +
                              " databases, the spec " +
                              std::to_string(out.spec.databases.size()));
  }
  if (!req.database.empty() && out.spec.Find(req.database) == nullptr) {
    std::string names;
    for (const DatabaseSpec& d : out.spec.databases) names += (names.empty() ? "" : ", ") + d.name;
    return Status::InvalidArgument("--database " + req.database + ": no such database in " +
                                   req.spec_path + " (databases: " + names + ")");
  }
  for (size_t i = 0; i < index.databases.size(); ++i) {
    const PlansIndexEntry& e = index.databases[i];
    const DatabaseSpec& db = out.spec.databases[i];
    if (e.name != db.name) {
      return Status::Corruption(index_path + ": database " + std::to_string(i) + " is \"" +
                                e.name + "\", the spec's is \"" + db.name + "\"");
    }
    if (!req.database.empty() && db.name != req.database) continue;
    LoadedDatabase l;
    l.db = &db;
    l.plan_path = req.plans_dir + "/" + e.plan;
    SK_ASSIGN_OR_RETURN(std::string plan_text, ReadSmallFile(l.plan_path, 64 << 20));
    SK_ASSIGN_OR_RETURN(l.plan, PlanFromJson(plan_text, l.plan_path));
    if (l.plan.fingerprint != e.fingerprint) {
      return Status::Corruption(l.plan_path + ": plan " + l.plan.fingerprint + ", but " +
                                index_path + " lists " + e.fingerprint + " for database \"" +
                                db.name + "\" (a plan file replaced since?)");
    }
    const std::set<std::string> volumes(db.volumes.begin(), db.volumes.end());
    for (const loader::PlanSource& s : l.plan.sources) {
      const std::string real = std::filesystem::weakly_canonical(s.volume, ec).string();
      if (volumes.count(real) == 0) {
        return Status::InvalidArgument(l.plan_path + ": reads volume " + s.volume +
                                       ", which the spec does not give database \"" + db.name +
                                       "\"");
      }
    }
    if (req.node_index >= static_cast<int>(l.plan.slots.nodes.size())) {
      return Status::InvalidArgument("--node-index " + std::to_string(req.node_index) +
                                     ": database \"" + db.name + "\" has " +
                                     std::to_string(l.plan.slots.nodes.size()) + " nodes");
    }
    out.databases.push_back(std::move(l));
  }
  return out;
}

// Creates `dir` (one level) and makes its name durable in its parent.
Status MakeDurableDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return Status();
    return Status::FromErrno(errno, "mkdir", dir);
  }
  std::string parent = std::filesystem::path(dir).parent_path().string();
  if (parent.empty()) parent = ".";
  return storage::PosixFileSystem()->SyncDir(parent);
}

}  // namespace

int RunRecoverSpec(const SpecRecoverRequest& req, const loader::RecoverOptions& base) {
  auto loaded = Load(req);
  if (!loaded.ok()) return ReportError("recover", loaded.status());
  Status made = MakeDurableDir(req.out_dir);
  if (!made.ok()) return ReportError("recover", made);

  int worst = kExitOk;
  nlohmann::json dbs = nlohmann::json::array();
  for (const LoadedDatabase& l : loaded->databases) {
    loader::RecoverOptions options = base;
    options.out_dir = req.out_dir + "/" + l.db->name;
    options.node_index = req.node_index;
    nlohmann::json entry = {{"name", l.db->name}, {"plan_file", l.plan_path}};
    Status s = MakeDurableDir(options.out_dir);
    auto report = s.ok() ? loader::Recover(l.plan, options) : Result<loader::RecoverReport>(s);
    if (!req.json) std::fprintf(stderr, "database %s:\n", l.db->name.c_str());
    if (!report.ok()) {
      const int code = ReportError("recover",
                                   report.status().WithPrefix("database \"" + l.db->name + "\""));
      worst = std::max(worst, code);
      entry["exit_code"] = code;
      entry["error"] = report.status().ToString();
    } else {
      entry["exit_code"] = kExitOk;
      entry["report"] = RecoverReportJson(*report, l.plan);
      if (!req.json) PrintRecoverReport(*report, l.plan);
    }
    dbs.push_back(std::move(entry));
  }
  if (req.json) {
    nlohmann::json out = {{"spec", req.spec_path},
                          {"plans", req.plans_dir},
                          {"out", req.out_dir},
                          {"exit_code", worst},
                          {"databases", dbs}};
    std::cout << out.dump(2) << std::endl;
  } else {
    size_t failed = 0;
    for (const auto& d : dbs) failed += d["exit_code"].get<int>() != kExitOk;
    std::fprintf(stderr, "recover --spec: %zu databases, %zu failed, exit %d\n", dbs.size(), failed,
                 worst);
  }
  return worst;
}

}  // namespace shardkit::tools
