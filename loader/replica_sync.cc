#include "loader/replica_sync.h"

#include <xxhash.h>

#include "base/hex.h"

namespace shardkit::loader {

std::string ReplicationIdFor(const RecoveryPlan& plan, int master_index) {
  const std::string seed = "shardkit-replid:" + plan.fingerprint + ":" +
                           plan.slots.nodes.at(static_cast<size_t>(master_index)).node_id;
  XXH128_hash_t a = XXH3_128bits(seed.data(), seed.size());
  uint64_t b = XXH3_64bits_withSeed(seed.data(), seed.size(), 0x5eed);
  return (Hex64(a.high64) + Hex64(a.low64) + Hex64(b)).substr(0, 40);
}

ResyncForecast ForecastResync(const std::string& layout) {
  if (layout == "dump.rdb") {
    return {"partial",
            "master and replica load the same dump.rdb with repl-id and repl-offset; the replica "
            "resumes with PSYNC from that offset"};
  }
  if (layout == "appendonlydir") {
    return {"full",
            "the node's output is a multi-part AOF (appendonlydir): redis-server does not restore "
            "replication ids from an AOF, so the replica full-syncs from its master"};
  }
  return {"full", "the node's output is a native snapshot (dump.skn) only, which redis-server "
                  "does not load"};
}

}  // namespace shardkit::loader
