// BuildK8sManifests: the Kubernetes objects that run a plan's two-phase
// recovery (SPEC.md "k8s-manifests", "Recovering on Kubernetes"), as JSON,
// one object per manifest:
//   * per plan source I, a Job "<name>-split-I" (phase 1, `recover --source I
//     --fragments`) mounting that source's old PVC read-only at the plan's
//     volume path and the shared scratch PVC (plan.json, fragments);
//   * the headless Service "<name>" and the StatefulSet "<name>" (one pod per
//     plan node; its init container assembles node K = the pod's ordinal
//     from the fragments into its own PVC, then redis-server starts on it);
//   * a Job "<name>-join-check" that runs `join` then `check`.
// One Job template cannot mount a different PVC per index, hence a Job per
// source. The plan must be a cluster plan whose endpoints are the pods'
// stable DNS names (ExpectedEndpoint); anything else is refused, because the
// nodes.conf files recover writes name those endpoints.
// A pure function of its arguments; no I/O, no threading concerns.
// Errors: kInvalidArgument naming the option or plan field at fault (a
// source without a claim names its index); kNotSupported for a standalone
// plan.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/recovery_plan.h"

namespace shardkit::tools {

// Where every pod sees the shared scratch volume, and what it holds there.
inline constexpr const char* kK8sScratchDir = "/scratch";
inline constexpr const char* kK8sPlanPath = "/scratch/plan.json";
inline constexpr const char* kK8sFragmentsDir = "/scratch/fragments";
// The new nodes' port (client) and cluster bus port, inside every pod.
inline constexpr int kK8sRedisPort = 6379;
inline constexpr int kK8sBusPort = 16379;

struct K8sManifestOptions {
  std::string namespace_name;                // every object's namespace
  std::string image;                         // the shardkit image (deploy/docker/Dockerfile)
  std::string redis_image = "redis:7.0";     // the new nodes' redis-server (same major as the plan)
  std::map<int, std::string> source_claims;  // plan source index -> its old PVC
  std::string scratch_claim;                 // ReadWriteMany PVC: plan.json and fragments
  std::string storage_class;                 // new nodes' PVCs; empty = the cluster's default
  std::string storage_size;                  // new nodes' PVCs; empty = from the plan's bytes
  std::string name = "redis";                // StatefulSet, headless Service, Job name prefix
  std::string cluster_domain = "cluster.local";
  int64_t run_as_user = 999;  // uid and gid of every container (redis's in its image)
};

struct K8sManifest {
  std::string file_name;  // e.g. "10-redis-split-source-0.json"; applied in name order
  nlohmann::json object;  // one Kubernetes object
};

// "<name>-K.<name>.<namespace>.svc.<cluster_domain>:6379": the endpoint node
// K of the plan must have (pod K of the StatefulSet, through the Service).
std::string ExpectedEndpoint(const K8sManifestOptions& options, int node_index);

Result<std::vector<K8sManifest>> BuildK8sManifests(const loader::RecoveryPlan& plan,
                                                   const K8sManifestOptions& options);

}  // namespace shardkit::tools
