// Fuzz target: the recovery plan file (tools/plan_json.h). Invariant: a plan
// that parses, written back with PlanToJson, parses again to the same
// fingerprint, sources and node count.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"
#include "tools/plan_json.h"

SK_FUZZ_TARGET(fuzz_plan_json) {
  using namespace shardkit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto plan = tools::PlanFromJson(text, "fuzz-plan.json");
  if (!plan.ok()) return 0;
  const std::string again = tools::PlanToJson(*plan).dump();
  auto reparsed = tools::PlanFromJson(again, "fuzz-plan-again.json");
  SK_FUZZ_CHECK("fuzz_plan_json", reparsed.ok());
  SK_FUZZ_CHECK("fuzz_plan_json", reparsed->fingerprint == plan->fingerprint);
  SK_FUZZ_CHECK("fuzz_plan_json", reparsed->sources.size() == plan->sources.size());
  SK_FUZZ_CHECK("fuzz_plan_json", reparsed->slots.nodes.size() == plan->slots.nodes.size());
  return 0;
}
