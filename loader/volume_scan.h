// ScanVolume: what one old node's volume (a directory) holds, by file names
// only (no data is parsed here).
//
// Looks for redis.conf (optional; its dir/dbfilename/appendonly/appenddirname/
// appendfilename/cluster-config-file settings redirect the names below when
// they point inside the volume), nodes.conf, the RDB (dump.rdb), the
// multi-part AOF directory (appendonlydir/ with its manifest) and a legacy
// single-file AOF (appendonly.aof), and native snapshots (*.skn in the root;
// the newest by modification time is taken, the others are noted).
//
// Boundaries: the volume is untrusted. A name that is absolute, contains
// "..", or resolves (through symlinks) outside the volume is refused with a
// kInvalidArgument naming it. Nothing is opened for writing.
// A value type; no threading concerns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace shardkit::loader {

struct RedisConfSettings {
  std::optional<std::string> dir;
  std::optional<std::string> dbfilename;
  std::optional<bool> appendonly;
  std::optional<std::string> appenddirname;
  std::optional<std::string> appendfilename;
  std::optional<std::string> cluster_config_file;
  // `replicaof` / `slaveof` ("host port"): a standalone replica's volume.
  std::optional<std::string> replicaof;
};

struct VolumeFiles {
  std::string dir;                          // as given
  std::string real_dir;                     // realpath
  std::optional<std::string> redis_conf;    // paths are absolute, inside real_dir
  std::optional<std::string> nodes_conf;
  std::optional<std::string> rdb;
  std::optional<std::string> aof_dir;       // multi-part directory
  std::optional<std::string> aof_manifest;  // its manifest
  std::optional<std::string> legacy_aof;    // appendonly.aof
  std::optional<std::string> native;        // newest *.skn in the volume's root
  RedisConfSettings conf;
  std::vector<std::string> notes;           // what was ignored and why
};

// Parses the settings shardkit cares about from redis.conf text (other
// directives are ignored). kCorruption on an unterminated quote.
Result<RedisConfSettings> ParseRedisConf(std::string_view text, std::string_view path);

Result<VolumeFiles> ScanVolume(const std::string& dir);

// Resolves `name` (relative to real_dir) and checks it stays inside it.
// Returns the absolute path, or nullopt when nothing exists there.
Result<std::optional<std::string>> ResolveInside(const std::string& real_dir,
                                                 const std::string& name);

}  // namespace shardkit::loader
