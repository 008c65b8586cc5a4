// ReadCcs: what one copy of a Redis Enterprise cluster configuration store
// (ccs/ccs-redis.rdb, an RDB of hashes) says about its databases and shards,
// reading only what it really holds, in db 0:
//  * every hash "bdb:<uid>" (uid decimal): the names of its fields (at most
//    kMaxCcsFields), and the values of "name", "redis_list" (the
//    comma-separated uids of the database's shards) and "hash_slots_policy"
//    ("legacy" or "16k");
//  * every hash "redis:<uid>" (one per shard): "bdb_uid", "role" and
//    "assigned_slots".
// The CCS schema is not public: these field names are inferred from Redis
// Labs' test mock (RLTest, RLTest/Enterprise/CcsMock.py) and the REST API's
// bdb object (SPEC.md "Enterprise volumes"). Nothing else is interpreted; the
// result is reported by discover, groups shards into databases
// (loader/ccs_grouping.h), and is never used as user data nor to route keys.
//
// Errors: a CCS that cannot be read (I/O, damage, another format) is reported
// in CcsReport::status, not returned: one bad copy must not stop discover.
// Threading: none; a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/io_options.h"

namespace shardkit::loader {

inline constexpr size_t kMaxCcsFields = 64;
inline constexpr size_t kMaxCcsRedisList = 4096;  // uids kept per redis_list

struct CcsDatabase {
  uint64_t uid = 0;
  std::string name;                  // "" when the hash has no "name" field
  std::vector<std::string> fields;   // field names in file order, at most kMaxCcsFields
  std::string hash_slots_policy;     // "" when absent
  std::vector<uint64_t> redis_list;  // its shards' uids, in the field's order
  std::string redis_list_error;      // why (part of) redis_list was not read, else ""
};

// One "redis:<uid>" hash: a shard of some database.
struct CcsShard {
  uint64_t uid = 0;
  std::optional<uint64_t> bdb_uid;  // absent or not a decimal uid: nullopt
  std::string role;                 // "master", "slave", or "" when absent
  std::string assigned_slots;       // e.g. "0-5460", as found ("" when absent)
};

struct CcsReport {
  std::string path;
  Status status;                       // OK, or why the copy could not be read
  std::vector<CcsDatabase> databases;  // by uid
  std::vector<CcsShard> shards;        // by uid
};

CcsReport ReadCcs(const std::string& path, const storage::IoOptions& io);

// One message per disagreement between readable copies: a bdb:<uid> that
// some copies hold and others do not, or different names for one uid.
std::vector<std::string> CompareCcsCopies(const std::vector<CcsReport>& copies);

}  // namespace shardkit::loader
