// How recovered replicas resume replication from their recovered master
// without a full sync (plan --replicas; measured with redis-server 7.0.15,
// see SPEC.md "recover").
//
// A master and its replicas get byte-identical RDBs carrying the AUX fields
// `repl-stream-db` 0, `repl-id` ReplicationIdFor(plan, master) and
// `repl-offset` kRecoveredReplOffset. Loading a dump.rdb at start-up,
// redis-server 7.0 keeps them: the master as its previous replication id and
// offset (replid2, second_repl_offset = offset + 1), the replica (a
// `myself,slave` nodes.conf) as a cached master. The replica then asks
// PSYNC <repl-id> <offset + 1>, which the master accepts: a partial resync
// with an empty backlog. redis-server does not read these fields from an
// AOF (appendonlydir), so a node started with appendonly yes full-syncs.
// Plans without replicas get none of these fields (their outputs are as
// before replicas existed).
// Pure functions; no threading concerns.
#pragma once

#include <string>

#include "loader/recovery_plan.h"

namespace shardkit::loader {

// The offset written as `repl-offset`: 0, the offset of a replication stream
// that has sent nothing yet. (1 works as well; -1 means "no replication
// info" to Redis and is never written.)
inline constexpr int kRecoveredReplOffset = 0;

// 40 lowercase hex characters, a function of the plan's fingerprint and the
// master's node id: every recover process of a plan writes the same id.
std::string ReplicationIdFor(const RecoveryPlan& plan, int master_index);

struct ResyncForecast {
  std::string mode;    // "partial" or "full"
  std::string reason;  // one sentence
};

// What a replica whose output has this layout ("dump.rdb", "appendonlydir"
// or "dump.skn") will do when started beside its master.
ResyncForecast ForecastResync(const std::string& layout);

}  // namespace shardkit::loader
