#include "tools/plans_index.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <exception>

#include "tools/recovery_spec.h"

namespace shardkit::tools {

using nlohmann::json;

std::string SpecFingerprint(std::string_view spec_text) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, XXH3_64bits(spec_text.data(), spec_text.size()));
  return hex;
}

std::string PlanFileName(std::string_view database) {
  return std::string(database) + ".plan.json";
}

json PlansIndexToJson(const PlansIndex& index) {
  json dbs = json::array();
  for (const PlansIndexEntry& e : index.databases) {
    dbs.push_back({{"name", e.name},
                   {"plan", e.plan},
                   {"fingerprint", e.fingerprint},
                   {"shape", e.shape},
                   {"masters", e.masters},
                   {"replicas", e.replicas},
                   {"nodes", e.nodes}});
  }
  return {{"format", index.format},
          {"spec", index.spec},
          {"spec_fingerprint", index.spec_fingerprint},
          {"created_ms", index.created_ms},
          {"databases", dbs}};
}

Result<PlansIndex> PlansIndexFromJson(std::string_view text, std::string_view path) {
  const std::string where(path);
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(where + ": not a JSON object");
  }
  PlansIndex index;
  try {
    if (!j.at("format").is_number_integer() || j.at("format").get<int64_t>() != kPlansIndexFormat) {
      return Status::NotSupported(where + ": plans index format " + j.at("format").dump() +
                                  " (this shardkit reads format " +
                                  std::to_string(kPlansIndexFormat) + ")");
    }
    index.spec = j.at("spec").get<std::string>();
    index.spec_fingerprint = j.at("spec_fingerprint").get<std::string>();
    index.created_ms = j.at("created_ms").get<int64_t>();
    for (const json& d : j.at("databases")) {
      PlansIndexEntry e;
      e.name = d.at("name").get<std::string>();
      e.plan = d.at("plan").get<std::string>();
      e.fingerprint = d.at("fingerprint").get<std::string>();
      e.shape = d.at("shape").get<std::string>();
      e.masters = d.at("masters").get<int>();
      e.replicas = d.at("replicas").get<int>();
      e.nodes = d.at("nodes").get<int>();
      // The plan file must be the one `plan --spec` names, inside the
      // directory: never a path that leaves it.
      if (!IsSafeDatabaseName(e.name) || e.plan != PlanFileName(e.name)) {
        return Status::Corruption(where + ": database \"" + e.name + "\" with plan \"" + e.plan +
                                  "\" (expected a safe name and <name>.plan.json)");
      }
      index.databases.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    return Status::Corruption(where + ": " + e.what());
  }
  return index;
}

}  // namespace shardkit::tools
