// JSON forms of discovery reports and recovery plans (SPEC.md "plan.json").
// PlanFromJson validates everything recover relies on: format version, slot
// ranges, that every slot has exactly one node, node ids, node roles (a
// replica names a master of the plan and owns no slots; a node without
// "role", as in plans written before replicas, is a master), and source
// fields.
// Errors: kCorruption "<path>: <what>" for malformed or inconsistent JSON.
// JSON exceptions stay inside this file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "loader/discovery.h"
#include "loader/recovery_plan.h"

namespace shardkit::tools {

nlohmann::json DiscoveryToJson(const loader::Discovery& discovery);
nlohmann::json PlanToJson(const loader::RecoveryPlan& plan);
Result<loader::RecoveryPlan> PlanFromJson(std::string_view text, std::string_view path);

}  // namespace shardkit::tools
