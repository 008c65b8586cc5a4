// CheckDigests: compares each live node's whole dataset, by Redis's own
// `DEBUG DIGEST`, with the digest `recover --digest` computed from the files
// it wrote for that node (formats/rdb/dataset_digest.h). A replica is
// compared with its master's digest (same files).
//
// A node is compared only when the answer can be exact: the report has its
// digest; no key recover wrote for it may have expired by `now_ms` (Redis
// drops a key expired at load and reclaims others at any time, so the
// digest of what it holds is then unknown); it has no layout finding
// (`skip`); and it allows DEBUG (`enable-debug-command yes|local`; an error
// reply such as "DEBUG command not allowed" is a reason, not a finding).
// Otherwise `not_checked[i]` says why, and check samples values instead.
// Ownership: borrows `session` for the call. Threading: one thread.
// Errors: a connection failure (kIoError naming the node); a mismatch is a
// Finding `digest`, never an error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/cluster_session.h"
#include "tools/layout_check.h"

namespace shardkit::tools {

struct DigestOutcome {
  std::vector<Finding> findings;
  // Parallel to session.nodes(): "" when the node's digest was compared,
  // else why it was not.
  std::vector<std::string> not_checked;
  bool all_compared() const;
};

// `expected`: one per plan node (ExpectedKeysFromReport), or empty when
// check has no --report. `skip` is parallel to session.nodes().
Result<DigestOutcome> CheckDigests(ClusterSession& session,
                                   const std::vector<ExpectedKeys>& expected,
                                   const std::vector<bool>& skip, int64_t now_ms);

}  // namespace shardkit::tools
