// FillCluster: writes a reproducible dataset into a live Redis Cluster
// through a RoutedPipeline (every command goes to the master owning its key).
//
// Profiles:
//   kMixed — about `keys` keys of every type in small and large encodings
//     (strings, ints, hashes, lists, sets of ints and strings, sorted sets,
//     hash-tagged key groups, a 1 MiB string, big hash/list/set/zset every
//     2,000 keys, three streams with a consumer group, PEL and deleted
//     entries, HyperLogLog, bitmap, geo), TTLs on about a quarter of them
//     (absolute far-future PEXPIREAT and relative PX of 1 hour to 30 days),
//     and a function library loaded on every master.
//   kBulk — `keys` strings of `value_bytes` random bytes (1 in 4 with an
//     absolute far-future expiry) and, every 20th key, a hash of 8 fields of
//     value_bytes / 8: the recovery benchmarks' volume filler.
// The same seed gives the same keys and values. No TTL is shorter than one
// hour, so nothing expires during a demo.
// Threading: one thread. Errors: the first failed command.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "tests/support/tools/cluster_view.h"

namespace shardkit::testing::tools {

enum class FillProfile { kMixed, kBulk };

struct FillOptions {
  FillProfile profile = FillProfile::kMixed;
  uint64_t keys = 100'000;
  size_t value_bytes = 1024;  // kBulk only
  uint64_t seed = 1;
  // kMixed: also write the one-off keys (big string, streams, HLL, ...) and
  // load the function library; false for a second pass that updates keys.
  bool singletons = true;
};

struct FillStats {
  uint64_t commands = 0;
  uint64_t value_bytes = 0;  // payload bytes sent (keys and values)
};

Result<FillStats> FillCluster(ClusterView& view, const FillOptions& options);

}  // namespace shardkit::testing::tools
