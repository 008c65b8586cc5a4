// The plans index: DIR/plans.json, written by `plan --spec S --out DIR` after
// every DIR/<name>.plan.json, and read by `recover --spec S --plans DIR`.
// It lists each database of the spec (in spec order) with its plan file
// (relative to DIR), the plan's fingerprint and its shape, so recover reads
// exactly the plans made together from one spec and can tell a plan file
// replaced since. (Not DIR/recovery.json: a spec is often named that, and
// `--out .` next to it would overwrite it.)
//
// Errors: PlansIndexFromJson returns kCorruption "<path>: <what>" for a
// malformed index. JSON exceptions stay inside plans_index.cc. Values; no
// threading concerns.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit::tools {

inline constexpr int kPlansIndexFormat = 1;
inline constexpr const char* kPlansIndexName = "plans.json";

struct PlansIndexEntry {
  std::string name;
  std::string plan;         // file name inside the plans directory: <name>.plan.json
  std::string fingerprint;  // the plan's
  std::string shape;        // "cluster" or "standalone"
  int masters = 0;
  int replicas = 0;
  int nodes = 0;            // masters * (1 + replicas)
};

struct PlansIndex {
  int format = kPlansIndexFormat;
  std::string spec;         // realpath of the spec it was made from (informative)
  std::string spec_fingerprint;  // SpecFingerprint of its text: recover refuses another spec
  int64_t created_ms = 0;   // the plans' recovery time
  std::vector<PlansIndexEntry> databases;
};

// XXH3 of a spec's bytes, 16 hex.
std::string SpecFingerprint(std::string_view spec_text);
// "<name>.plan.json".
std::string PlanFileName(std::string_view database);
nlohmann::json PlansIndexToJson(const PlansIndex& index);
Result<PlansIndex> PlansIndexFromJson(std::string_view text, std::string_view path);

}  // namespace shardkit::tools
