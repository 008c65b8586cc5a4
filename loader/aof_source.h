// Describing AOF source candidates for discovery: which RDB part holds the
// keys (base .rdb, or the preamble of a legacy AOF) and whether RESP commands
// follow it. Kept apart from discovery.cc because it depends on formats/aof.
#pragma once

#include "base/status.h"
#include "loader/discovery.h"

namespace shardkit::loader {

// Fills rdb_path, has_log_commands and newest_mtime_ms of an AOF candidate
// (kind and path set). Returns the reason it cannot be used, or OK.
Status DescribeAofCandidate(const VolumeReport& volume, SourceCandidate* candidate);

}  // namespace shardkit::loader
