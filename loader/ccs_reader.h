// ReadCcs: what one copy of a Redis Enterprise cluster configuration store
// (ccs/ccs-redis.rdb, an RDB of hashes) says about its databases, reading only
// what it really holds: every hash key "bdb:<uid>" (uid decimal), the names of
// its fields (at most kMaxCcsFields each) and the value of its "name" field.
// The CCS schema is not public (SPEC.md "Enterprise volumes"): nothing else is
// interpreted, the result is reported by discover, and it is never used as
// user data nor to route keys.
//
// Errors: a CCS that cannot be read (I/O, damage, another format) is reported
// in CcsReport::status, not returned: one bad copy must not stop discover.
// Threading: none; a value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/io_options.h"

namespace shardkit::loader {

inline constexpr size_t kMaxCcsFields = 64;

struct CcsDatabase {
  uint64_t uid = 0;
  std::string name;                 // "" when the hash has no "name" field
  std::vector<std::string> fields;  // field names in file order, at most kMaxCcsFields
};

struct CcsReport {
  std::string path;
  Status status;                       // OK, or why the copy could not be read
  std::vector<CcsDatabase> databases;  // by uid
};

CcsReport ReadCcs(const std::string& path, const storage::IoOptions& io);

// One message per disagreement between readable copies: a bdb:<uid> that
// some copies hold and others do not, or different names for one uid.
std::vector<std::string> CompareCcsCopies(const std::vector<CcsReport>& copies);

}  // namespace shardkit::loader
