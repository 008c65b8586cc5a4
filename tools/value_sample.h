// Value checks by sampling: keys read from the plan's source files are
// fetched from the live nodes (DUMP, PEXPIRETIME) and compared logically:
// same type family, same absolute expiry, same decoded elements (encodings
// may differ: a listpack hash equals a hashtable hash with the same fields).
//
// SampleSourceKeys reads every RDB source of the plan once (raw, values
// captured) and keeps, per master, the keys it owns whose hash falls in the
// sample (about `per_master` keys of each master; 0 = every key); keys
// already expired at `now_ms` are left out. Sources with log commands are
// not sampled (the log changes values after the RDB part): kNotSupported,
// which check reports as "values not checked".
// CompareSampledKeys asks every node (masters and their replicas, the
// replicas after READONLY) for the sampled keys of its data node, except
// the nodes in `skip` (those whose layout already differs: they may not
// serve their keys). An error reply for a key (MOVED, ...) is a finding
// naming the key; after kMaxErrorFindings of them a node is left.
// Threading: one thread. Peak memory: the sampled keys plus the largest
// single value of a source.
// Errors: source I/O and corruption errors naming the file; connection
// errors naming the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"
#include "tools/cluster_session.h"
#include "tools/layout_check.h"

namespace shardkit::tools {

struct SampledKey {
  std::string key;
  uint8_t type = 0;                 // RDB type byte in the source
  std::string value;                // raw value bytes as the source holds them
  int rdb_version = 0;              // the source's
  std::optional<int64_t> expire_ms;
};

// Indexed by plan node index (masters only; replicas' entries stay empty).
Result<std::vector<std::vector<SampledKey>>> SampleSourceKeys(const loader::RecoveryPlan& plan,
                                                              uint64_t per_master,
                                                              int64_t now_ms,
                                                              const storage::IoOptions& io);

// Findings: check "key" (absent), "ttl" (expiry differs), "value" (type or
// elements differ), each naming the key.
inline constexpr int kMaxErrorFindings = 20;
Result<std::vector<Finding>> CompareSampledKeys(const loader::RecoveryPlan& plan,
                                                ClusterSession& session,
                                                const std::vector<std::vector<SampledKey>>& samples,
                                                const std::vector<bool>& skip);

// The logical content of one value: its type family ("hash", "list", ...)
// and its decoded elements rendered as text, sorted where the type has no
// order (set, zset, hash). Exposed for tests.
struct LogicalValue {
  std::string family;
  std::vector<std::string> elements;
  bool operator==(const LogicalValue&) const = default;
};
Result<LogicalValue> DecodeValue(uint8_t type, std::string_view value, int rdb_version);

}  // namespace shardkit::tools
