// GroupShardsByCcs: which Redis Enterprise database (bdb) each shard that
// Discover found belongs to, by what the CCS copies it read say
// (loader/ccs_reader.h; SPEC.md "Enterprise volumes": the field names are
// inferred from RLTest's CcsMock.py and the REST API, not tested against a
// live Redis Enterprise).
//
// Steps:
// 1. Per shard uid and per readable CCS copy, the copy's answer: the
//    "bdb_uid" of its redis:<uid> hash, else every bdb whose "redis_list"
//    holds the uid (two such bdbs are two answers). A copy that says nothing
//    about the uid does not count.
// 2. A uid is mapped when every answer names the same bdb; answers that
//    differ are a disagreement (reported, and the CCS is then not used for
//    the shards holding that uid).
// 3. A shard (Discovery::shards, one or more uids: copies of one uid, or an
//    old master's file beside its replica's) is mapped when none of its uids
//    has a disagreement and its mapped uids name one bdb.
// 4. Each mapped bdb gets its name and hash-slot policy from the copies:
//    "legacy" when any readable copy says hash_slots_policy=legacy.
//
// Pure function of the Discovery (which must come from a full scan for the
// CCS to have been read); no I/O. A value type; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loader/discovery.h"

namespace shardkit::loader {

struct CcsBdb {
  uint64_t uid = 0;
  std::string name;               // "" when no copy has its name
  std::string hash_slots_policy;  // as found ("" when absent)
  bool legacy = false;            // hash_slots_policy "legacy" in some copy
  std::vector<int> shards;        // indices into Discovery::shards, ascending
};

struct CcsGrouping {
  std::vector<CcsBdb> databases;  // the bdbs some shard maps to, by uid
  // Per Discovery::shards index: index into `databases`, or -1 (not an
  // Enterprise shard, or not mapped: see why_not).
  std::vector<int> database_of;
  // Per Discovery::shards index: why an Enterprise shard is not mapped
  // ("" when mapped or not Enterprise's).
  std::vector<std::string> why_not;
  // One message per uid whose copies' answers differ.
  std::vector<std::string> disagreements;

  // True when there is at least one Enterprise shard and every one is mapped.
  bool AllMapped(const Discovery& d) const;
  // "bdb:1 \"orders\"" (or "bdb:1" without a name).
  static std::string Describe(const CcsBdb& db);
};

CcsGrouping GroupShardsByCcs(const Discovery& d);

// The refusal of the legacy slot policy (exit 3), naming the database.
std::string LegacyPolicyMessage(const CcsBdb& db);

}  // namespace shardkit::loader
