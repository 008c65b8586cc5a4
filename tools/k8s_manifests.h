// BuildK8sManifests: the Kubernetes objects that run a plan's two-phase
// recovery (SPEC.md "k8s-manifests", "Recovering on Kubernetes"), as JSON,
// one object per manifest:
//   * per plan source I, a Job "<name>-split-I" (phase 1, `recover --source I
//     --fragments`) mounting that source's old PVC read-only and the shared
//     scratch PVC (plan.json, fragments). The PVC is --source-pvc I's, mounted
//     at the plan's volume path; or, with volume_claims, claim J of the
//     volume the plan's path names (/old/J, where its discover Job mounted
//     it), mounted at /old/J;
//   * the headless Service "<name>" and the StatefulSet "<name>" (one pod per
//     plan node; its init container assembles node K = the pod's ordinal
//     from the fragments into its own PVC, then redis-server starts on it);
//   * a Job "<name>-join-check" that runs `join` then `check`.
// BuildK8sPlanManifests: what comes before the plan, from the old PVCs'
// names alone:
//   * per old volume J (volume_claims[J]), a Job "<name>-discover-J" mounting
//     only that PVC, read-only, at /old/J, and the scratch PVC; it writes
//     /scratch/volume-reports/J.json (`discover --volume-report`);
//   * a Job "<name>-plan" mounting only the scratch PVC: it waits for every
//     report, runs `plan --volume-reports` with --endpoints of the
//     StatefulSet pods' DNS names, writes /scratch/plan.json and prints it.
// So no pod mounts two old volumes, and source I of the plan is on the PVC
// mounted at its volume path: the split Job mounts that same PVC there.
// One Job template cannot mount a different PVC per index, hence a Job per
// volume or source. The plan must be a cluster plan whose endpoints are the
// pods' stable DNS names (ExpectedEndpoint); anything else is refused,
// because the nodes.conf files recover writes name those endpoints.
// Pure functions of their arguments; no I/O, no threading concerns.
// Errors: kInvalidArgument naming the option or plan field at fault (a
// source without a claim names its index and volume); kNotSupported for a
// standalone plan.
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
inline constexpr const char* kK8sReportsDir = "/scratch/volume-reports";
// Old volume J is mounted at /old/J by its discover Job, and so the plan
// names /old/J as the volume of the sources on it.
inline constexpr const char* kK8sOldVolumesDir = "/old";
// The new nodes' port (client) and cluster bus port, inside every pod.
inline constexpr int kK8sRedisPort = 6379;
inline constexpr int kK8sBusPort = 16379;

struct K8sManifestOptions {
  std::string namespace_name;                // every object's namespace
  std::string image;                         // the shardkit image (deploy/docker/Dockerfile)
  std::string redis_image = "redis:7.0";     // the new nodes' redis-server (same major as the plan)
  std::map<int, std::string> source_claims;  // plan source index -> its old PVC
  // The old PVCs in volume order: claim J is mounted at /old/J (both
  // builders); with a plan, instead of source_claims.
  std::vector<std::string> volume_claims;
  std::string scratch_claim;   // ReadWriteMany PVC: plan.json and fragments
  std::string storage_class;   // new nodes' PVCs; empty = the cluster's default
  std::string storage_size;    // new nodes' PVCs; empty = from the plan's bytes
  std::string name = "redis";  // StatefulSet, headless Service, Job name prefix
  std::string cluster_domain = "cluster.local";
  int64_t run_as_user = 999;  // uid and gid of every container (redis's in its image)
};

// The plan Job's `shardkit plan` flags (BuildK8sPlanManifests).
struct K8sPlanJobOptions {
  int nodes = 0;          // masters, --nodes
  int replicas = 0;       // per master, --replicas
  bool estimate = false;  // discover --estimate and plan --estimate
  bool merge_standalone = false;
  bool allow_missing_shards = false;
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

// Errors: kInvalidArgument for no volume_claims, nodes < 1, replicas
// outside 0..16, and as BuildK8sManifests for the options.
Result<std::vector<K8sManifest>> BuildK8sPlanManifests(const K8sManifestOptions& options,
                                                       const K8sPlanJobOptions& plan);

}  // namespace shardkit::tools
