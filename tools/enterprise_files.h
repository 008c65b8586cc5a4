// WriteEnterpriseFiles (`recover --plan P --out DIR --enterprise-files`):
// recover's output also in Redis Enterprise's own naming (SPEC.md
// "Enterprise volumes"), for a Redis Enterprise cluster to recover from:
//
//   DIR/redis/redis-<uid>.rdb   node K's dump.rdb (a hard link; a copy when
//                               linking fails), uid = K + 1
//   DIR/redis/data_files.json   {"data_files": [...], "status": "ready"}: per
//                               file filename, last_modified (seconds, a
//                               float), node_uid, shard_role (master|slave),
//                               shard_slots ("0-8191"; ranges joined by ","),
//                               shard_uid, size: the shape of the REST API's
//                               database recovery plan (GET
//                               /v1/bdbs/{uid}/actions/recover)
//
// shard_uid and node_uid are K + 1: shardkit numbers the new shards (and
// the nodes holding them) in plan order; which Enterprise node hosts a shard
// is the operator's to decide. Written after every node is complete:
// data_files.json last, atomically (its directory fsync also makes the links
// durable). A rerun replaces the links.
//
// Errors: kInvalidArgument when a node of the plan is missing from the
// report (--node-index) or has no dump.rdb (appendonlydir or native-only
// output); kIoError naming the path otherwise.
// Threading: none.
#pragma once

#include <string>

#include "base/status.h"
#include "loader/recover.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"

namespace shardkit::tools {

inline constexpr const char* kEnterpriseDataFilesName = "data_files.json";

Status WriteEnterpriseFiles(const loader::RecoveryPlan& plan, const loader::RecoverReport& report,
                            const std::string& out_dir, const storage::IoOptions& io);

}  // namespace shardkit::tools
