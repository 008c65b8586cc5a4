// CheckEnterpriseDatabases: whether the Redis Enterprise shards a Discovery
// found may be planned as one database (SPEC.md "Enterprise volumes",
// *Databases kept apart*). No shard file says which database it belongs to;
// the CCS does (loader/ccs_grouping.h). BuildRecoveryPlan calls it first.
//
// Rules, in this order:
// 1. Whole node volumes holding more than one Enterprise shard:
//    * the CCS maps every shard to one database: planned as that database
//      (a note names it);
//    * the CCS maps every shard, to several databases: refused (kCorruption,
//      exit 1), quoting each database's shards and a recovery spec derived
//      from the CCS (every database but the legacy-policy ones, one volume
//      per shard copy; cluster databases' endpoints are left to fill in), to
//      plan each database apart with `plan --spec`;
//    * else: refused (kCorruption, exit 1) listing every shard with its
//      copies, key slots and why the CCS does not place it.
// 2. A shard the CCS places in a database whose hash_slots_policy is
//    "legacy" (slots 1-4096, crc12): refused (kNotSupported, exit 3), naming
//    the database.
// Shard files or redis/ directories named by the caller (not whole node
// volumes) are taken as one database, as before; rule 2 still applies.
//
// Pure function of the Discovery; no I/O. No threading concerns.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "loader/discovery.h"

namespace shardkit::loader {

// `notes` receives what the CCS decided (a line per note), may be null.
Status CheckEnterpriseDatabases(const Discovery& discovery, std::vector<std::string>* notes);

}  // namespace shardkit::loader
