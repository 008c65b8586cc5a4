// ReadSmallFile: a whole small file (manifest, nodes.conf, plan.json,
// redis.conf) in memory, refusing anything larger than max_bytes so that an
// untrusted volume cannot make shardkit allocate without bound.
// StatFile: size and mtime of a file, for change detection.
// Threading: thread-safe. Errors: naming the path and the operation.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace shardkit::storage {

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

struct FileStat {
  uint64_t bytes = 0;
  int64_t mtime_ms = 0;
};
Result<FileStat> StatFile(const std::string& path);

}  // namespace shardkit::storage
