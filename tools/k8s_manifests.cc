#include "tools/k8s_manifests.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace shardkit::tools {
namespace {

using nlohmann::json;

// How long a pod waits for what an earlier step produces (fragments, nodes
// answering) before it gives up with exit 2: polling every 10 s, 24 hours, as
// phase 1 of a multi-terabyte volume may take hours.
constexpr int kWaitPolls = 8640;
constexpr int kWaitPollSeconds = 10;

// RFC 1123 label: what Kubernetes requires of namespaces and of the names
// that become pod host names.
bool IsDnsLabel(std::string_view s, size_t max_size) {
  if (s.empty() || s.size() > max_size) return false;
  if (!std::isalnum(static_cast<unsigned char>(s.front())) ||
      !std::isalnum(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// RFC 1123 subdomain: PVC names and the cluster domain.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dot = std::min(s.find('.', start), s.size());
    if (!IsDnsLabel(s.substr(start, dot - start), 63)) return false;
    start = dot + 1;
  }
  return true;
}

// A Kubernetes storage quantity as people write it: a number (digits, at
// most one '.') and a binary or decimal suffix, or none (bytes). Exponent
// forms (1e9) are refused.
bool IsStorageQuantity(std::string_view s) {
  const size_t number_end = s.find_first_not_of("0123456789.");
  const std::string_view number = s.substr(0, number_end);
  const std::string_view suffix = number_end == std::string_view::npos ? "" : s.substr(number_end);
  if (number.find_first_of("0123456789") == std::string_view::npos ||
      std::count(number.begin(), number.end(), '.') > 1) {
    return false;
  }
  for (const char* allowed :
       {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"}) {
    if (suffix == allowed) return true;
  }
  return false;
}

Status CheckOptions(const K8sManifestOptions& o) {
  // 40 leaves room for "-split-<I>", "-join-check" and the pods' "-<K>".
  if (!IsDnsLabel(o.name, 40)) {
    return Status::InvalidArgument("--name " + o.name +
                                   ": expected a DNS label of at most 40 characters "
                                   "(lowercase letters, digits, '-')");
  }
  if (!IsDnsLabel(o.namespace_name, 63)) {
    return Status::InvalidArgument("--namespace " + o.namespace_name +
                                   ": expected a DNS label (lowercase letters, digits, '-')");
  }
  if (!IsDnsSubdomain(o.cluster_domain)) {
    return Status::InvalidArgument("--cluster-domain " + o.cluster_domain +
                                   ": expected a DNS name");
  }
  if (!IsDnsSubdomain(o.scratch_claim)) {
    return Status::InvalidArgument("--scratch-pvc " + o.scratch_claim +
                                   ": expected a PersistentVolumeClaim name");
  }
  for (const auto& [index, claim] : o.source_claims) {
    if (!IsDnsSubdomain(claim)) {
      return Status::InvalidArgument("--source-pvc " + std::to_string(index) + "=" + claim +
                                     ": expected a PersistentVolumeClaim name");
    }
  }
  for (size_t j = 0; j < o.volume_claims.size(); ++j) {
    if (!IsDnsSubdomain(o.volume_claims[j])) {
      return Status::InvalidArgument("--volume-claims: claim " + std::to_string(j) + " \"" +
                                     o.volume_claims[j] +
                                     "\": expected a PersistentVolumeClaim name");
    }
  }
  if (!o.storage_class.empty() && !IsDnsSubdomain(o.storage_class)) {
    return Status::InvalidArgument("--storage-class " + o.storage_class +
                                   ": expected a StorageClass name");
  }
  for (const std::string* image : {&o.image, &o.redis_image}) {
    if (image->empty() || std::any_of(image->begin(), image->end(), [](char c) {
          return std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '"';
        })) {
      return Status::InvalidArgument("image \"" + *image + "\": expected an image reference");
    }
  }
  if (!o.storage_size.empty() && !IsStorageQuantity(o.storage_size)) {
    return Status::InvalidArgument("--storage-size " + o.storage_size +
                                   ": expected a quantity such as 50Gi or 500G");
  }
  if (o.run_as_user <= 0) {
    return Status::InvalidArgument("--run-as-user " + std::to_string(o.run_as_user) +
                                   ": expected a uid above 0 (the pods run as non-root)");
  }
  return Status::Ok();
}

bool EndpointMatches(const std::string& found, const std::string& expected) {
  return found == expected || found == expected + "@" + std::to_string(kK8sBusPort);
}

// Where a split Job mounts its source's old PVC.
struct SourceMount {
  std::string claim;
  std::string path;  // the source's files are under it
};

// With volume_claims: the claim J whose mount path /old/J holds `volume`
// (the volume itself, or a shard file or directory of a Redis Enterprise
// volume), or -1.
int VolumeClaimOf(const std::string& volume, size_t claims) {
  const std::string prefix = std::string(kK8sOldVolumesDir) + "/";
  if (volume.rfind(prefix, 0) != 0) return -1;
  const std::string rest = volume.substr(prefix.size());
  const std::string index = rest.substr(0, rest.find('/'));
  if (index.empty() || index.size() > 5 ||
      index.find_first_not_of("0123456789") != std::string::npos ||
      (index.size() > 1 && index[0] == '0')) {
    return -1;
  }
  const size_t j = std::stoul(index);
  return j < claims ? static_cast<int>(j) : -1;
}

Status CheckVolumePath(int i, const std::string& volume) {
  if (volume.size() < 2 || volume.front() != '/' || volume == kK8sScratchDir ||
      volume.rfind(std::string(kK8sScratchDir) + "/", 0) == 0) {
    return Status::InvalidArgument("plan source " + std::to_string(i) + ": volume \"" + volume +
                                   "\" is not an absolute directory where its claim can be "
                                   "mounted (make the plan with absolute volume paths other "
                                   "than /scratch)");
  }
  if (volume.back() == '/' || volume.find("//") != std::string::npos ||
      volume.find("/./") != std::string::npos || volume.find("/../") != std::string::npos ||
      volume.ends_with("/.") || volume.ends_with("/..")) {
    return Status::InvalidArgument("plan source " + std::to_string(i) + ": volume \"" + volume +
                                   "\" is not a normalized path (make the plan with volume "
                                   "paths without '.', '..' or '//')");
  }
  return Status::Ok();
}

// Every source must have a claim (--source-pvc I, or the volume claim its
// path names), every --source-pvc a source, and each source's files must lie
// under the claim's mount path: recover finds the files at the plan's paths.
Result<std::vector<SourceMount>> SourceMounts(const loader::RecoveryPlan& plan,
                                              const K8sManifestOptions& o) {
  if (!o.source_claims.empty() && !o.volume_claims.empty()) {
    return Status::InvalidArgument(
        "--source-pvc and --volume-claims both given: name the old PVCs one way");
  }
  const int sources = static_cast<int>(plan.sources.size());
  std::vector<SourceMount> mounts;
  for (int i = 0; i < sources; ++i) {
    const loader::PlanSource& s = plan.sources[i];
    SK_RETURN_IF_ERROR(CheckVolumePath(i, s.volume));
    SourceMount m;
    if (!o.volume_claims.empty()) {
      const int j = VolumeClaimOf(s.volume, o.volume_claims.size());
      if (j < 0) {
        return Status::InvalidArgument(
            "plan source " + std::to_string(i) + " (volume " + s.volume +
            ") is on none of the --volume-claims volumes " + kK8sOldVolumesDir + "/0.." +
            kK8sOldVolumesDir + "/" + std::to_string(o.volume_claims.size() - 1) +
            ": make the plan from the discover Jobs' reports (k8s-manifests --volume-claims "
            "without --plan), or name each source's claim with --source-pvc I=CLAIM");
      }
      m = {o.volume_claims[j], std::string(kK8sOldVolumesDir) + "/" + std::to_string(j)};
    } else if (o.source_claims.count(i) == 0) {
      return Status::InvalidArgument("plan source " + std::to_string(i) + " (volume " + s.volume +
                                     ") has no --source-pvc " + std::to_string(i) + "=CLAIM");
    } else {
      m = {o.source_claims.at(i), s.volume};
    }
    std::vector<std::string> paths = {s.path, s.rdb_path};
    for (const loader::SourceFile& f : s.files) paths.push_back(f.path);
    for (const std::string& p : paths) {
      if (!p.empty() && p.rfind(m.path + "/", 0) != 0) {
        return Status::InvalidArgument("plan source " + std::to_string(i) + ": file " + p +
                                       " is not under " + m.path +
                                       ", where the Job mounts its claim");
      }
    }
    mounts.push_back(std::move(m));
  }
  for (const auto& [index, claim] : o.source_claims) {
    if (index < 0 || index >= sources) {
      return Status::InvalidArgument("--source-pvc " + std::to_string(index) + "=" + claim +
                                     ": the plan has sources 0.." + std::to_string(sources - 1));
    }
  }
  return mounts;
}

Status CheckPlan(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  if (plan.standalone()) {
    return Status::NotSupported(
        "a standalone plan: k8s-manifests deploys a Redis Cluster (make the plan with "
        "--nodes N)");
  }
  for (const loader::PlannedNode& n : plan.slots.nodes) {
    const std::string expected = ExpectedEndpoint(o, n.index);
    if (!EndpointMatches(n.endpoint, expected)) {
      return Status::InvalidArgument(
          "plan node " + std::to_string(n.index) + " has endpoint \"" + n.endpoint +
          "\", expected \"" + expected +
          "\": make the plan with `plan --endpoints` of the StatefulSet pods' DNS names (node K "
          "is pod " +
          o.name +
          "-K), or pass the --name/--namespace/--cluster-domain it was "
          "made for");
    }
  }
  return Status::Ok();
}

json Labels(const K8sManifestOptions& o, const std::string& component) {
  return {{"app.kubernetes.io/name", "shardkit"},
          {"app.kubernetes.io/instance", o.name},
          {"app.kubernetes.io/component", component},
          {"app.kubernetes.io/managed-by", "shardkit-k8s-manifests"}};
}

json Metadata(const K8sManifestOptions& o, const std::string& name, const std::string& component,
              const loader::RecoveryPlan& plan) {
  return {{"name", name},
          {"namespace", o.namespace_name},
          {"labels", Labels(o, component)},
          {"annotations", {{"shardkit.io/plan-fingerprint", plan.fingerprint}}}};
}

// Objects made before any plan exists (discover and plan Jobs).
json PlanlessMetadata(const K8sManifestOptions& o, const std::string& name,
                      const std::string& component) {
  return {{"name", name}, {"namespace", o.namespace_name}, {"labels", Labels(o, component)}};
}

// Every pod runs as the non-root uid/gid that owns the data (redis's in the
// official image); fsGroup makes the new nodes' PVCs writable by it.
json PodSecurity(const K8sManifestOptions& o) {
  return {{"runAsNonRoot", true},
          {"runAsUser", o.run_as_user},
          {"runAsGroup", o.run_as_user},
          {"fsGroup", o.run_as_user},
          {"fsGroupChangePolicy", "OnRootMismatch"},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

json ContainerSecurity() {
  return {{"allowPrivilegeEscalation", false},
          {"readOnlyRootFilesystem", true},
          {"capabilities", {{"drop", {"ALL"}}}}};
}

json Resources(const std::string& cpu, const std::string& memory, const std::string& limit) {
  json r = {{"requests", {{"cpu", cpu}, {"memory", memory}}}};
  if (!limit.empty()) r["limits"] = {{"memory", limit}};
  return r;
}

json ClaimVolume(const std::string& name, const std::string& claim, bool read_only) {
  return {{"name", name},
          {"persistentVolumeClaim", {{"claimName", claim}, {"readOnly", read_only}}}};
}

json Mount(const std::string& name, const std::string& path, bool read_only) {
  return {{"name", name}, {"mountPath", path}, {"readOnly", read_only}};
}

// The root file system is read-only: a writable /tmp for whatever a tool
// puts there (check's replay server directory, TMPDIR users).
json TmpVolume() { return {{"name", "tmp"}, {"emptyDir", json::object()}}; }
json TmpMount() { return Mount("tmp", "/tmp", false); }

// Refuses to run when the scratch volume's plan.json is not the plan these
// manifests were made from (its source indices would name other volumes).
std::string PlanGuard(const loader::RecoveryPlan& plan) {
  return "grep -qF '\"fingerprint\": \"" + plan.fingerprint + "\"' " + kK8sPlanPath +
         " || { echo \"" + kK8sPlanPath +
         " is not the plan these manifests were made from "
         "(fingerprint " +
         plan.fingerprint + ")\" >&2; exit 2; }\n";
}

json ShellCommand(const std::string& script) {
  return json::array({"/bin/sh", "-c", "set -eu\n" + script});
}

// Exit codes of shardkit that no retry changes (1 corrupt data, 3 refused
// input) fail the Job at once; I/O errors (2), a full disk (4) and evictions
// are retried up to backoffLimit.
json PodFailurePolicy(const std::string& container, const std::vector<int>& final_codes) {
  json fail = {
      {"action", "FailJob"},
      {"onExitCodes", {{"containerName", container}, {"operator", "In"}, {"values", final_codes}}}};
  json evicted = {
      {"action", "Ignore"},
      {"onPodConditions", json::array({{{"type", "DisruptionTarget"}, {"status", "True"}}})}};
  return {{"rules", json::array({fail, evicted})}};
}

// A Job whose one pod mounts one old volume (claim, read-only, at
// mount_path, as volume "old-<index>") and the scratch volume, and runs
// `script` in a container named `component`: the discover Jobs (label
// shardkit.io/volume-index) and the split Jobs (shardkit.io/source-index).
json OneVolumeJob(const K8sManifestOptions& o, json meta, const std::string& component,
                  const std::string& index_label, const std::string& index,
                  const std::string& claim, const std::string& mount_path,
                  const std::string& script) {
  meta["labels"][index_label] = index;
  const std::string volume = "old-" + index;
  json container = {
      {"name", component},
      {"image", o.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", ShellCommand(script)},
      {"resources", Resources("1", "512Mi", "2Gi")},
      {"securityContext", ContainerSecurity()},
      {"volumeMounts",
       {Mount(volume, mount_path, true), Mount("scratch", kK8sScratchDir, false), TmpMount()}}};
  json pod = {{"restartPolicy", "Never"},
              {"securityContext", PodSecurity(o)},
              {"enableServiceLinks", false},
              {"containers", {container}},
              {"volumes",
               {ClaimVolume(volume, claim, true), ClaimVolume("scratch", o.scratch_claim, false),
                TmpVolume()}}};
  json labels = Labels(o, component);
  labels[index_label] = index;
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", meta},
          {"spec",
           {{"backoffLimit", 3},
            {"podFailurePolicy", PodFailurePolicy(component, {1, 3})},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}}}};
}

json SplitJob(const loader::RecoveryPlan& plan, const K8sManifestOptions& o, int index,
              const SourceMount& mount) {
  const std::string i = std::to_string(index);
  const loader::PlanSource& source = plan.sources[index];
  json meta = Metadata(o, o.name + "-split-" + i, "split", plan);
  meta["annotations"]["shardkit.io/source-volume"] = source.volume;
  meta["annotations"]["shardkit.io/source-shard"] = source.shard;
  meta["annotations"]["shardkit.io/volume-claim"] = mount.claim;
  const std::string script = PlanGuard(plan) + "mkdir -p " + kK8sFragmentsDir +
                             "\nexec shardkit recover --plan " + kK8sPlanPath + " --source " + i +
                             " --fragments " + kK8sFragmentsDir + "\n";
  return OneVolumeJob(o, std::move(meta), "split", "shardkit.io/source-index", i, mount.claim,
                      mount.path, script);
}

// Before the plan: old volume J's scan, where only it is attached.
json DiscoverJob(const K8sManifestOptions& o, const K8sPlanJobOptions& p, int index) {
  const std::string j = std::to_string(index);
  const std::string volume = std::string(kK8sOldVolumesDir) + "/" + j;
  json meta = PlanlessMetadata(o, o.name + "-discover-" + j, "discover");
  meta["annotations"] = {{"shardkit.io/volume-claim", o.volume_claims[index]}};
  const std::string script = std::string("mkdir -p ") + kK8sReportsDir +
                             "\nexec shardkit discover --volume-report " + kK8sReportsDir + "/" +
                             j + ".json" + (p.estimate ? " --estimate " : " ") + volume + "\n";
  return OneVolumeJob(o, std::move(meta), "discover", "shardkit.io/volume-index", j,
                      o.volume_claims[index], volume, script);
}

// The plan from every volume's report, on the scratch volume alone: waits
// for each report (the discover Jobs publish them atomically), plans with
// the StatefulSet pods' DNS names as endpoints, then prints the plan (its
// second container) for `kubectl logs`.
std::string PlanScript(const K8sManifestOptions& o, const K8sPlanJobOptions& p) {
  const int nodes = p.nodes * (1 + p.replicas);
  std::string volumes, reports, endpoints;
  for (size_t j = 0; j < o.volume_claims.size(); ++j) {
    volumes += " " + std::to_string(j);
    reports += std::string(" ") + kK8sReportsDir + "/" + std::to_string(j) + ".json";
  }
  for (int k = 0; k < nodes; ++k) endpoints += (k ? "," : "") + ExpectedEndpoint(o, k);
  const std::string report = std::string(kK8sReportsDir) + "/$i.json";
  std::string script = "for i in" + volumes + "; do\n  n=0\n  until [ -e " + report + " ]; do\n";
  script += "    n=$((n+1)); [ $n -le " + std::to_string(kWaitPolls) + " ] || { echo \"no " +
            report + " after 24 h: did Job " + o.name + "-discover-$i fail?\" >&2; exit 2; }\n";
  script += "    [ $((n % 30)) -ne 1 ] || echo \"waiting for " + report + " (Job " + o.name +
            "-discover-$i)\" >&2\n";
  script += "    sleep " + std::to_string(kWaitPollSeconds) + "\n  done\ndone\n";
  script += "exec shardkit plan --nodes " + std::to_string(p.nodes) + " --replicas " +
            std::to_string(p.replicas) + " --endpoints " + endpoints +
            (p.estimate ? " --estimate" : "") + (p.merge_standalone ? " --merge-standalone" : "") +
            (p.allow_missing_shards ? " --allow-missing-shards" : "") + " --out " + kK8sPlanPath +
            " --volume-reports" + reports + "\n";
  return script;
}

json PlanJob(const K8sManifestOptions& o, const K8sPlanJobOptions& p) {
  json plan = {{"name", "plan"},
               {"image", o.image},
               {"imagePullPolicy", "IfNotPresent"},
               {"command", ShellCommand(PlanScript(o, p))},
               {"resources", Resources("1", "512Mi", "2Gi")},
               {"securityContext", ContainerSecurity()},
               {"volumeMounts", {Mount("scratch", kK8sScratchDir, false), TmpMount()}}};
  json print = {{"name", "print"},
                {"image", o.image},
                {"imagePullPolicy", "IfNotPresent"},
                {"command", ShellCommand(std::string("exec cat ") + kK8sPlanPath + "\n")},
                {"resources", Resources("10m", "16Mi", "")},
                {"securityContext", ContainerSecurity()},
                {"volumeMounts", {Mount("scratch", kK8sScratchDir, true)}}};
  json pod = {{"restartPolicy", "Never"},
              {"securityContext", PodSecurity(o)},
              {"enableServiceLinks", false},
              {"initContainers", {plan}},
              {"containers", {print}},
              {"volumes", {ClaimVolume("scratch", o.scratch_claim, false), TmpVolume()}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", PlanlessMetadata(o, o.name + "-plan", "plan")},
          {"spec",
           {{"backoffLimit", 2},
            {"podFailurePolicy", PodFailurePolicy("plan", {1, 3})},
            {"template", {{"metadata", {{"labels", Labels(o, "plan")}}}, {"spec", pod}}}}}};
}

json HeadlessService(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  json selector = Labels(o, "redis");
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", Metadata(o, o.name, "redis", plan)},
          {"spec",
           {{"clusterIP", "None"},
            // Pods get their DNS names while starting: join resolves them
            // before the nodes are ready.
            {"publishNotReadyAddresses", true},
            {"selector", selector},
            {"ports",
             {{{"name", "redis"}, {"port", kK8sRedisPort}, {"targetPort", kK8sRedisPort}},
              {{"name", "cluster-bus"}, {"port", kK8sBusPort}, {"targetPort", kK8sBusPort}}}}}}};
}

// The new nodes' PVC size: three times the largest node's bytes (its data,
// a BGSAVE's or AOF rewrite's temporary beside it, growth), at least 1 GiB.
std::string StorageSize(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  if (!o.storage_size.empty()) return o.storage_size;
  uint64_t largest = 0;
  for (const loader::PlannedNode& n : plan.slots.nodes) largest = std::max(largest, n.bytes);
  const uint64_t gib = uint64_t{1} << 30;
  return std::to_string(std::max<uint64_t>(1, (largest * 3 + gib - 1) / gib)) + "Gi";
}

// Phase 2 for the pod's own ordinal K. The marker /data/.shardkit-assembled
// (outside node-K) holds the fingerprint of the plan whose node was
// assembled there: once it exists redis-server owns node-K (it rewrites
// nodes.conf and dump.rdb), so a restarted pod must not assemble again
// (recover would refuse the changed directory and the pod would never
// start); a PVC left from another plan's recovery is refused (exit 2) rather
// than served. The fingerprint is read from plan.json at run time, so the
// static example (deploy/kubernetes/) runs the same script.
std::string AssembleScript(const loader::RecoveryPlan& plan) {
  std::string sources;
  for (size_t i = 0; i < plan.sources.size(); ++i) sources += " " + std::to_string(i);
  const std::string manifest = std::string(kK8sFragmentsDir) + "/source-$i/shardkit-node.txt";
  const std::string plan_path = kK8sPlanPath;
  std::string script = PlanGuard(plan);
  script += "K=\"${POD_NAME##*-}\"\n";
  script += "FP=\"$(grep -m1 -o '\"fingerprint\": \"[^\"]*\"' " + plan_path + " || true)\"\n";
  script +=
      "[ -n \"$FP\" ] || { echo \"no plan fingerprint in " + plan_path + "\" >&2; exit 2; }\n";
  script += "if [ -e /data/.shardkit-assembled ]; then\n";
  script += "  if [ \"$(cat /data/.shardkit-assembled)\" = \"$FP\" ]; then\n";
  script +=
      "    echo \"node-$K of this plan was assembled before; redis-server owns /data/node-$K\" "
      ">&2\n";
  script += "    exit 0\n  fi\n";
  script +=
      "  echo \"/data holds a node of another plan ($(cat /data/.shardkit-assembled)), not of " +
      plan_path + " ($FP): delete this pod's PVC\" >&2\n  exit 2\nfi\n";
  script += "for i in" + sources + "; do\n  n=0\n  until [ -e " + manifest + " ]; do\n";
  script += "    n=$((n+1)); [ $n -le " + std::to_string(kWaitPolls) + " ] || { echo \"no " +
            manifest + " after 24 h: did phase 1 of source $i fail?\" >&2; exit 2; }\n";
  script += "    [ $((n % 30)) -ne 1 ] || echo \"waiting for " + manifest + " (phase 1)\" >&2\n";
  script += "    sleep " + std::to_string(kWaitPollSeconds) + "\n  done\ndone\n";
  script += "shardkit recover --plan " + plan_path + " --from-fragments " + kK8sFragmentsDir +
            " --node-index \"$K\" --out /data\n";
  script += "printf '%s\\n' \"$FP\" > /data/.shardkit-assembled\nsync\n";
  return script;
}

// redis-server on node-K: cluster mode, its nodes.conf, appendonly when
// recover wrote an appendonlydir. The official image's entrypoint (which
// adds --protected-mode no without a config file) is bypassed, so it is
// given here: the nodes are reached from other pods.
std::string RedisScript() {
  return "K=\"${POD_NAME##*-}\"\n"
         "cd \"/data/node-$K\"\n"
         "set -- redis-server --port " +
         std::to_string(kK8sRedisPort) +
         " --cluster-enabled yes --cluster-config-file nodes.conf --dir \"/data/node-$K\" "
         "--protected-mode no\n"
         "if [ -d appendonlydir ]; then set -- \"$@\" --appendonly yes; fi\n"
         "exec \"$@\"\n";
}

json PodNameEnv() {
  return {{{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}};
}

std::string EndpointList(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  std::string out;
  for (const loader::PlannedNode& n : plan.slots.nodes) {
    if (!out.empty()) out += ",";
    out += ExpectedEndpoint(o, n.index);
  }
  return out;
}

json StatefulSet(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  json meta = Metadata(o, o.name, "redis", plan);
  meta["annotations"]["shardkit.io/endpoints"] = EndpointList(plan, o);
  meta["annotations"]["shardkit.io/notes"] =
      "Pod " + o.name +
      "-K is node K of the plan; the plan's endpoints are these pods' DNS "
      "names (shardkit.io/endpoints), made with `shardkit plan --endpoints` of them.";
  json assemble = {
      {"name", "assemble"},
      {"image", o.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", ShellCommand(AssembleScript(plan))},
      {"env", PodNameEnv()},
      {"resources", Resources("1", "512Mi", "2Gi")},
      {"securityContext", ContainerSecurity()},
      {"volumeMounts",
       {Mount("scratch", kK8sScratchDir, true), Mount("data", "/data", false), TmpMount()}}};
  json redis = {
      {"name", "redis"},
      {"image", o.redis_image},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", ShellCommand(RedisScript())},
      {"env", PodNameEnv()},
      {"ports",
       {{{"name", "redis"}, {"containerPort", kK8sRedisPort}},
        {{"name", "cluster-bus"}, {"containerPort", kK8sBusPort}}}},
      {"readinessProbe", {{"tcpSocket", {{"port", kK8sRedisPort}}}, {"periodSeconds", 5}}},
      {"resources", Resources("500m", "1Gi", "")},
      {"securityContext", ContainerSecurity()},
      {"volumeMounts", {Mount("data", "/data", false)}}};
  json pod = {{"securityContext", PodSecurity(o)},
              {"enableServiceLinks", false},
              {"terminationGracePeriodSeconds", 60},
              {"initContainers", {assemble}},
              {"containers", {redis}},
              {"volumes", {ClaimVolume("scratch", o.scratch_claim, true), TmpVolume()}}};
  json claim_spec = {{"accessModes", {"ReadWriteOnce"}},
                     {"resources", {{"requests", {{"storage", StorageSize(plan, o)}}}}}};
  if (!o.storage_class.empty()) claim_spec["storageClassName"] = o.storage_class;
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", meta},
          {"spec",
           {{"serviceName", o.name},
            {"replicas", plan.slots.nodes.size()},
            // Every pod at once: the nodes form one cluster only together.
            {"podManagementPolicy", "Parallel"},
            {"selector", {{"matchLabels", Labels(o, "redis")}}},
            {"template", {{"metadata", {{"labels", Labels(o, "redis")}}}, {"spec", pod}}},
            {"volumeClaimTemplates", {{{"metadata", {{"name", "data"}}}, {"spec", claim_spec}}}}}}};
}

// join (every node learns its peers' pod addresses), then check's layout
// comparison. Values are not sampled (--sample none): that needs the old
// volumes, which this pod does not mount (README of deploy/kubernetes).
json JoinCheckJob(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  const std::string endpoints = EndpointList(plan, o);
  std::string wait_nodes = "for h in";
  for (const loader::PlannedNode& n : plan.slots.nodes) {
    const std::string e = ExpectedEndpoint(o, n.index);
    wait_nodes += " " + e.substr(0, e.rfind(':'));
  }
  wait_nodes += "; do\n  n=0\n  until case \"$(redis-cli -h \"$h\" -p " +
                std::to_string(kK8sRedisPort) +
                " ping 2>&1)\" in *PONG*|*LOADING*) true;; *) false;; esac; do\n"
                "    n=$((n+1)); [ $n -le " +
                std::to_string(kWaitPolls) +
                " ] || { echo \"$h does not answer after 24 h\" >&2; exit 2; }\n"
                "    [ $((n % 30)) -ne 1 ] || echo \"waiting for $h\" >&2\n    sleep " +
                std::to_string(kWaitPollSeconds) + "\n  done\ndone\n";
  const std::string script = PlanGuard(plan) + wait_nodes + "shardkit join --plan " + kK8sPlanPath +
                             " --endpoints " + endpoints +
                             " --wait 900\nexec shardkit check --plan " + kK8sPlanPath +
                             " --endpoints " + endpoints + " --wait 300 --sample none\n";
  json container = {{"name", "join-check"},
                    {"image", o.image},
                    {"imagePullPolicy", "IfNotPresent"},
                    {"command", ShellCommand(script)},
                    {"resources", Resources("100m", "128Mi", "512Mi")},
                    {"securityContext", ContainerSecurity()},
                    {"volumeMounts", {Mount("scratch", kK8sScratchDir, true), TmpMount()}}};
  json pod = {{"restartPolicy", "Never"},
              {"securityContext", PodSecurity(o)},
              {"enableServiceLinks", false},
              {"containers", {container}},
              {"volumes", {ClaimVolume("scratch", o.scratch_claim, true), TmpVolume()}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", Metadata(o, o.name + "-join-check", "join-check", plan)},
          {"spec",
           {{"backoffLimit", 4},
            {"podFailurePolicy", PodFailurePolicy("join-check", {1, 3})},
            {"template", {{"metadata", {{"labels", Labels(o, "join-check")}}}, {"spec", pod}}}}}};
}

}  // namespace

std::string ExpectedEndpoint(const K8sManifestOptions& options, int node_index) {
  return options.name + "-" + std::to_string(node_index) + "." + options.name + "." +
         options.namespace_name + ".svc." + options.cluster_domain + ":" +
         std::to_string(kK8sRedisPort);
}

Result<std::vector<K8sManifest>> BuildK8sManifests(const loader::RecoveryPlan& plan,
                                                   const K8sManifestOptions& options) {
  SK_RETURN_IF_ERROR(CheckOptions(options));
  SK_RETURN_IF_ERROR(CheckPlan(plan, options));
  SK_ASSIGN_OR_RETURN(std::vector<SourceMount> mounts, SourceMounts(plan, options));
  std::vector<K8sManifest> out;
  for (size_t i = 0; i < plan.sources.size(); ++i) {
    out.push_back({"10-" + options.name + "-split-source-" + std::to_string(i) + ".json",
                   SplitJob(plan, options, static_cast<int>(i), mounts[i])});
  }
  out.push_back({"20-" + options.name + "-service.json", HeadlessService(plan, options)});
  out.push_back({"21-" + options.name + "-statefulset.json", StatefulSet(plan, options)});
  out.push_back({"30-" + options.name + "-join-check.json", JoinCheckJob(plan, options)});
  return out;
}

Result<std::vector<K8sManifest>> BuildK8sPlanManifests(const K8sManifestOptions& options,
                                                       const K8sPlanJobOptions& plan) {
  SK_RETURN_IF_ERROR(CheckOptions(options));
  if (options.volume_claims.empty()) {
    return Status::InvalidArgument("--volume-claims: no old volume's claim given");
  }
  if (!options.source_claims.empty()) {
    return Status::InvalidArgument("--source-pvc names a plan's sources: give it with --plan");
  }
  if (plan.nodes < 1 || plan.nodes > loader::kSlotCount) {
    return Status::InvalidArgument(
        "--nodes N (1-16384, the new masters) is required without "
        "--plan");
  }
  if (plan.replicas < 0 || plan.replicas > loader::kMaxReplicas) {
    return Status::InvalidArgument("--replicas " + std::to_string(plan.replicas) +
                                   ": expected 0.." + std::to_string(loader::kMaxReplicas));
  }
  std::vector<K8sManifest> out;
  for (size_t j = 0; j < options.volume_claims.size(); ++j) {
    out.push_back({"01-" + options.name + "-discover-volume-" + std::to_string(j) + ".json",
                   DiscoverJob(options, plan, static_cast<int>(j))});
  }
  out.push_back({"02-" + options.name + "-plan.json", PlanJob(options, plan)});
  return out;
}

}  // namespace shardkit::tools
