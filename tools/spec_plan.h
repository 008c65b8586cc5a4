// `shardkit plan --spec S --out DIR`: one recovery plan per database of a
// recovery spec (tools/recovery_spec.h), written as DIR/<name>.plan.json
// (atomically, each exactly what `plan` writes for that database's flags),
// then the index DIR/plans.json (tools/plans_index.h), last.
//
// Order of work: the spec is parsed and its volumes checked; then every
// database is discovered and planned; only when every plan is made is
// anything written. A bad spec, a volume claimed twice, or a database that
// cannot be planned leaves DIR untouched. Every plan gets the same recovery
// time (created_ms).
//
// `"endpoints": "keep"`: new master i keeps old shard i's slots (the plan's
// keep-shards strategy, which needs masters == the old shard count) and its
// master's endpoint from nodes.conf; replica r of master i takes the
// endpoint of the old shard's r-th replica (by node id). Refused, naming the
// field, when the counts differ, a source is standalone, or an old endpoint
// is unknown.
//
// Threading: discovery scans on `threads` threads, one database at a time.
// Errors: printed as "shardkit plan: ..." on stderr; the exit code is
// returned (2 for a bad spec or unplannable database, 1 for a corrupt
// chosen source, as `plan`).
#pragma once

#include <string>

#include "tools/command.h"

namespace shardkit::tools {

int RunPlanSpec(const std::string& spec_path, const std::string& out_dir, int threads,
                const CommandEnv& env);

}  // namespace shardkit::tools
