// `shardkit recover --spec S --plans DIR --out OUT [--database NAME
// [--node-index K]]`: recovers every database of a recovery spec from the
// plans `plan --spec S --out DIR` wrote (tools/spec_plan.h), into
// OUT/<name>/node-K, in one run with one report and one exit status.
//
// Before anything is written: the spec is parsed and its volumes checked as
// plan did; DIR/plans.json must come from this very spec (its fingerprint:
// a spec edited since is refused, exit 2); each plan file must have the
// fingerprint the index lists (exit 1 otherwise) and read only volumes the
// spec gives its database (exit 2). Then the databases are recovered one
// after another, in spec order, each by loader::Recover with the whole
// --threads budget, so the run never has more than T source readers. A
// database that fails does not stop the others; the exit status is the
// worst (highest) of the databases'.
// --database NAME recovers that database only; with --node-index K, only
// its node K: byte-identical to what the all-at-once run writes for that
// node (one pod's share of an Indexed Job).
//
// Threading: loader::Recover's own threads; this runs on the caller's.
// Errors: printed on stderr as "shardkit recover: ..."; returns the exit code.
#pragma once

#include <string>

#include "loader/recover.h"
#include "tools/command.h"

namespace shardkit::tools {

struct SpecRecoverRequest {
  std::string spec_path;
  std::string plans_dir;
  std::string out_dir;
  std::string database;  // empty: every database
  int node_index = -1;   // only with `database`
  bool json = false;     // one JSON report on stdout
};

// `base` carries the options every database shares (threads, keep_expired,
// other_db_policy, rdb_version, output_format, io, progress); its out_dir
// and node_index are replaced per database.
int RunRecoverSpec(const SpecRecoverRequest& request, const loader::RecoverOptions& base);

}  // namespace shardkit::tools
