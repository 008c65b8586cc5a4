// Value checks by sampling: keys read from the plan's source files are
// fetched from the live nodes (DUMP, PEXPIRETIME) and compared logically:
// same type family, same absolute expiry, same decoded elements (encodings
// may differ: a listpack hash equals a hashtable hash with the same fields).
//
// SampleSourceKeys reads every source of the plan once (raw, values
// captured) and keeps, per master, the keys it owns whose hash falls in the
// sample (about `per_master` keys of each master; 0 = every key); keys
// already expired at `now_ms` are left out. An RDB source's sampled keys are
// compared with their RDB value. An AOF source (base plus log commands) goes
// through tools/log_sample.h: keys its log never touches are compared with
// their base value; keys it touches (or creates) with the value a replay of
// the log gives in the ReplayServer; keys that cannot be replayed are
// counted in `not_compared`, with the reason in `notes`.
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
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_reader.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"
#include "tools/cluster_session.h"
#include "tools/layout_check.h"

namespace shardkit::tools {

class ReplayServer;

struct SampledKey {
  std::string key;
  uint8_t type = 0;                 // RDB type byte in the source (or the replay's DUMP)
  std::string value;                // raw value bytes as the source holds them
  int rdb_version = 0;              // the source's
  std::optional<int64_t> expire_ms;
  bool absent = false;    // the log deletes it: the node must not hold it
  bool replayed = false;  // the expected value comes from the log replay
};

// Reads one source's RDB part for the sample: each db-0 key whose slot the
// source owns and that falls in the sample (SampleNodeOf) goes to `sink`
// with its node, key and value taken, not copied, unless it expires within a
// minute (it may be gone by now). When `known` is not empty (every key
// sampled), the key's name is also added to (*known)[node], expiring or not.
// skip_all: the source's RDB part does not count (a later flush discards it).
class SampleCollector final : public formats::rdb::RdbVisitor {
 public:
  using Sink = std::function<void(int node, SampledKey key)>;
  SampleCollector(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                  uint64_t per_master, int64_t now_ms,
                  std::vector<std::unordered_set<std::string>>* known, bool skip_all, Sink sink)
      : plan_(plan), source_(source), per_master_(per_master), now_ms_(now_ms), known_(known),
        skip_all_(skip_all), sink_(std::move(sink)) {}
  Status OnHeader(const formats::rdb::RdbHeader& header) override;
  Status OnEntryOwned(formats::rdb::RdbEntry& e) override;

 private:
  const loader::RecoveryPlan& plan_;
  const loader::PlanSource& source_;
  uint64_t per_master_;
  int64_t now_ms_;
  std::vector<std::unordered_set<std::string>>* known_;
  bool skip_all_;
  Sink sink_;
  int version_ = 0;
};

struct SampleOptions {
  uint64_t per_master = 2000;  // 0 = every key
  int64_t now_ms = 0;
  storage::IoOptions io;
  // For sources with log commands; nullptr when none could be started, and
  // then `replay_unavailable` says why (e.g. "redis-server not found on PATH").
  ReplayServer* replay = nullptr;
  std::string replay_unavailable;
};

struct ValueSample {
  // Indexed by plan node index (masters only; replicas' entries stay empty).
  std::vector<std::vector<SampledKey>> by_node;
  uint64_t from_base = 0;         // expected value read from an RDB / AOF base
  uint64_t from_replay = 0;       // expected value (or absence) from the log replay
  uint64_t not_compared = 0;      // sampled keys touched by a log that could not be replayed
  uint64_t commands_replayed = 0;
  std::vector<std::string> notes;  // why keys were not compared, one line per source and reason
  // With every key sampled (per_master 0): per plan node, every db-0 key
  // the sources may leave on it (expiring keys, keys the log deletes and
  // keys not compared included), for CompareKeySets. Empty otherwise, and
  // `key_set_unknown` says why when a source's log touches every key.
  std::vector<std::unordered_set<std::string>> known_by_node;
  std::string key_set_unknown;
};

Result<ValueSample> SampleSourceKeys(const loader::RecoveryPlan& plan,
                                     const SampleOptions& options);

// The plan node whose sample holds db-0 key `key` (in `slot`) of `source`,
// or -1: not a slot the source owns, no node, or outside the sample.
int SampleNodeOf(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                 uint64_t per_master, std::string_view key, uint16_t slot);
// FNV-1a: a stable hash that decides which keys are in the sample.
uint64_t SampleKeyHash(std::string_view key);

// Findings: check "key" (absent, or present where the log deleted it),
// "ttl" (expiry differs), "value" (type or elements differ), each naming
// the key.
inline constexpr int kMaxErrorFindings = 20;
Result<std::vector<Finding>> CompareSampledKeys(const loader::RecoveryPlan& plan,
                                                ClusterSession& session,
                                                const std::vector<std::vector<SampledKey>>& samples,
                                                const std::vector<bool>& skip);

// With every key sampled: SCANs each node (masters and replicas, except
// `skip`) and names each key no source can have left on it (check "key",
// expected "absent (in no source)"): an extra key, which a key count would
// show on a node without log commands and which sampling alone cannot see.
// At most kMaxErrorFindings keys per node are named, then one finding with
// how many more. REQUIRES: !sample.known_by_node.empty().
Result<std::vector<Finding>> CompareKeySets(const loader::RecoveryPlan& plan,
                                            ClusterSession& session, const ValueSample& sample,
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
