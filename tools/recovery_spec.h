// The recovery spec (`plan --spec S`, `recover --spec S`): one JSON file that
// describes several databases to rebuild at once, the way an operator's
// cluster spec reads (SPEC.md "plan", *Recovery spec*):
//
//   {"format": 1,
//    "databases": [
//      {"name": "orders", "volumes": ["/vol/a", "/vol/b", "/vol/c"],
//       "shape": "cluster", "masters": 3, "replicas": 1,
//       "endpoints": ["10.0.0.1:6379", ...]  // masters * (1 + replicas), or "keep"
//       "weights": [1, 1, 2], "allow_missing_shards": false, "merge_standalone": false},
//      {"name": "cache", "volumes": ["/vol/cache"], "shape": "standalone"}]}
//
// ParseRecoverySpec checks the text alone (no file system access, so the
// fuzz target can run it): strict JSON types, unknown fields refused at
// every level, required fields, safe names (they become directory and file
// names), no duplicate names, the endpoint count, weights. CheckSpecVolumes
// then resolves every volume to its realpath and refuses a volume that is
// missing or claimed twice (by two databases, or twice by one).
// Every refusal names the field as a JSON path ("databases[1].endpoints").
//
// Errors: kInvalidArgument "<path>: <field>: <what>" (exit 2); kNotFound for
// a volume that does not exist. JSON exceptions stay inside recovery_spec.cc.
// Values; no threading concerns.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit::tools {

inline constexpr int kRecoverySpecFormat = 1;

enum class SpecShape { kCluster, kStandalone };

struct DatabaseSpec {
  std::string name;                  // safe directory name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}
  std::vector<std::string> volumes;  // as written; relative ones are resolved against the
                                     // spec file's directory by CheckSpecVolumes
  SpecShape shape = SpecShape::kCluster;
  int masters = 1;
  int replicas = 0;
  // "endpoints": "keep": each new master takes the endpoint its old shard's
  // master had in nodes.conf (needs masters == the old shard count; checked
  // by plan, which knows the old shards). Else `endpoints` (may be empty
  // only for a standalone shape, which cannot "keep").
  bool keep_endpoints = false;
  std::vector<std::string> endpoints;
  std::vector<double> weights;
  bool allow_missing_shards = false;
  bool merge_standalone = false;
};

struct RecoverySpec {
  int format = kRecoverySpecFormat;
  std::vector<DatabaseSpec> databases;

  // The database named `name`, or nullptr.
  const DatabaseSpec* Find(std::string_view name) const;
};

// Parses and validates a spec's text. `path` only prefixes error messages.
Result<RecoverySpec> ParseRecoverySpec(std::string_view text, std::string_view path);

// Replaces every volume by its realpath (relative volumes are taken relative
// to `base_dir`, the spec file's directory), refusing missing volumes and a
// volume claimed twice. `path` prefixes error messages.
Status CheckSpecVolumes(RecoverySpec& spec, const std::string& base_dir, std::string_view path);

// True for a name usable as a directory and file name prefix.
bool IsSafeDatabaseName(std::string_view name);

}  // namespace shardkit::tools
