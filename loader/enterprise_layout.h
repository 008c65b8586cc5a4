// Redis Enterprise's on-disk layout, by names only (SPEC.md "Enterprise
// volumes"; documented by Redis for the persistent path
// /var/opt/redislabs/persist, the rest inferred from the public record):
//
//   <volume>/redis/redis-<uid>.rdb              one shard's snapshot
//   <volume>/redis/appendonly-<uid>.aof         one shard's log
//   <volume>/redis/appendonly-<uid>.aof.dir/    a multi-part log (manifest inside)
//   any of them + ".prev"                       a copy left by an earlier recovery
//   <volume>/ccs/ccs-redis.rdb                  the cluster configuration store (never user data)
//
// Pure functions over names; no I/O. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/rdb/rdb_format.h"

namespace shardkit::loader {

enum class EnterpriseFileKind : uint8_t { kRdb, kAof, kAofDir };
std::string_view EnterpriseFileKindName(EnterpriseFileKind kind);  // "rdb", "aof", "aof-dir"

struct EnterpriseShardName {
  uint64_t uid = 0;
  EnterpriseFileKind kind = EnterpriseFileKind::kRdb;
  bool prev = false;  // ".prev" suffix
};

// "redis-4.rdb" -> {4, kRdb}; "appendonly-12.aof.dir.prev" -> {12, kAofDir,
// prev}. nullopt for any other name (uids are 1-18 decimal digits, no sign,
// no leading zero).
std::optional<EnterpriseShardName> ParseEnterpriseShardName(std::string_view file_name);

// True when `path` names a shard file in an Enterprise layout: a shard name
// (above) whose parent directory is named "redis", or any file inside such a
// redis/appendonly-<uid>.aof.dir/. Known ambiguity: an open-source install
// with `dir /var/lib/redis` and `dbfilename redis-6379.rdb` matches too; for
// such a file this only means bytes 107/121 are read as Enterprise opcodes
// instead of being damage (the CRC-64 still catches damage).
bool InEnterpriseLayout(std::string_view path);

// kRedisEnterprise when InEnterpriseLayout(path), else kRedis: the value for
// RdbReadOptions::layout.
formats::rdb::Producer LayoutProducerOf(std::string_view path);

}  // namespace shardkit::loader
