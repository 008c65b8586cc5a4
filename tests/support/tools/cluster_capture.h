// ClusterCapture: every key of a live Redis Cluster (TYPE, DEBUG DIGEST-VALUE,
// PEXPIRETIME, XINFO STREAM FULL for streams; KeyspaceSnapshot per master),
// where each key lives, and each master's function libraries; saved to and
// loaded from a small text file so the capture outlives the cluster.
//
// File format, one record per line, binary fields hex-encoded:
//   shardkit-keyspace 1
//   functions <hex of the libraries' names and code>
//   k <hex key> <type> <digest> <pexpiretime ms> <hex stream info or ->
// Threading: values. Errors: kIoError from connections and files,
// kCorruption for a malformed capture file (the message names the line).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/keyspace_snapshot.h"
#include "tests/support/tools/cluster_view.h"

namespace shardkit::testing::tools {

struct ClusterCapture {
  std::map<std::string, KeyState> keys;
  std::string functions;                    // of the first master
  std::vector<std::string> node_functions;  // per master
  // Keys a master holds in slots it does not own (not captured), and keys
  // held by two masters.
  uint64_t misplaced = 0;
  uint64_t duplicated = 0;
  std::vector<std::string> problems;  // one line each, for the report
};

// REQUIRES: the cluster is quiet while this runs.
Result<ClusterCapture> CaptureCluster(ClusterView& view);

Status SaveCapture(const ClusterCapture& capture, const std::string& path);
Result<ClusterCapture> LoadCapture(const std::string& path);

}  // namespace shardkit::testing::tools
