// ScanEnterprisePath: what a path given to discover/plan holds when it is
// Redis Enterprise's (loader/enterprise_layout.h has the names), by names
// only (no data is parsed here).
//
// A path is Enterprise's when it is
//  * a node volume's root: it has a redis/ directory holding at least one
//    shard file (redis-<uid>.rdb, appendonly-<uid>.aof, appendonly-<uid>.aof.dir/,
//    each optionally ".prev"), and no nodes.conf/redis.conf/dump.rdb/
//    appendonlydir of its own (an open-source volume wins);
//  * that redis/ directory itself (without those open-source files either:
//    an open-source server's dir is often /var/lib/redis);
//  * one shard file or multi-part directory (a shard name; not required to
//    sit in redis/: naming it says it is a shard of one database).
// Every shard file or directory found is listed (each is one copy of one
// shard, kept apart: the freshest-copy rule chooses later), and every
// ccs/ccs-redis.rdb (the cluster configuration store, never user data).
// A multi-part directory's manifest is appendonly-<uid>.aof.manifest, else
// the only *.manifest inside it (inferred: Redis names it after
// appendfilename); one without a manifest is listed with a note and no
// manifest.
//
// Boundaries: as ScanVolume, a name that resolves (through symlinks) outside
// the given path is skipped with a note. Nothing is opened for writing.
// Errors: kIoError/kNotFound for a path that cannot be listed or stat'ed.
// A value type; no threading concerns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/enterprise_layout.h"

namespace shardkit::loader {

struct EnterpriseShardFile {
  EnterpriseShardName name;      // uid, kind, .prev
  std::string path;              // absolute (realpath): the file or the directory
  std::string manifest;          // kAofDir: its manifest, "" if none
  uint64_t bytes = 0;            // file size (kAofDir: the sum of its regular files)
  int64_t mtime_ms = 0;          // newest mtime (kAofDir: of its files)
};

enum class EnterprisePathKind : uint8_t {
  kNodeVolume,  // the root or its redis/ directory: may hold several databases
  kShardFile,   // one shard file or multi-part directory named by the caller
};

struct EnterpriseVolume {
  std::string path;       // as given
  std::string real_path;  // realpath
  EnterprisePathKind kind = EnterprisePathKind::kNodeVolume;
  std::vector<EnterpriseShardFile> shard_files;  // by uid, then kind, then .prev last
  std::vector<std::string> ccs_files;            // ccs/ccs-redis.rdb (and .prev copies)
  std::vector<std::string> notes;                // what was skipped and why
};

// nullopt when `path` is not Enterprise's (see above), so that the caller
// scans it as an open-source volume.
Result<std::optional<EnterpriseVolume>> ScanEnterprisePath(const std::string& path);

}  // namespace shardkit::loader
