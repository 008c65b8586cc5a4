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

// Every source must have a claim, every claim a source, and each source's
// files must lie under its volume directory: that directory is where the
// Job mounts the claim, so recover finds the files at the plan's paths.
Status CheckPlan(const loader::RecoveryPlan& plan, const K8sManifestOptions& o) {
  if (plan.standalone()) {
    return Status::NotSupported(
        "a standalone plan: k8s-manifests deploys a Redis Cluster (make the plan with "
        "--nodes N)");
  }
  const int sources = static_cast<int>(plan.sources.size());
  for (int i = 0; i < sources; ++i) {
    const loader::PlanSource& s = plan.sources[i];
    if (o.source_claims.count(i) == 0) {
      return Status::InvalidArgument("plan source " + std::to_string(i) + " (volume " + s.volume +
                                     ") has no --source-pvc " + std::to_string(i) + "=CLAIM");
    }
    if (s.volume.size() < 2 || s.volume.front() != '/' || s.volume == kK8sScratchDir ||
        s.volume.rfind(std::string(kK8sScratchDir) + "/", 0) == 0) {
      return Status::InvalidArgument("plan source " + std::to_string(i) + ": volume \"" + s.volume +
                                     "\" is not an absolute directory where its claim can be "
                                     "mounted (make the plan with absolute volume paths other "
                                     "than /scratch)");
    }
    if (s.volume.back() == '/' || s.volume.find("//") != std::string::npos ||
        s.volume.find("/./") != std::string::npos || s.volume.find("/../") != std::string::npos ||
        s.volume.ends_with("/.") || s.volume.ends_with("/..")) {
      return Status::InvalidArgument("plan source " + std::to_string(i) + ": volume \"" + s.volume +
                                     "\" is not a normalized path (make the plan with volume "
                                     "paths without '.', '..' or '//')");
    }
    std::vector<std::string> paths = {s.path, s.rdb_path};
    for (const loader::SourceFile& f : s.files) paths.push_back(f.path);
    for (const std::string& p : paths) {
      if (!p.empty() && p.rfind(s.volume + "/", 0) != 0) {
        return Status::InvalidArgument("plan source " + std::to_string(i) + ": file " + p +
                                       " is not under its volume " + s.volume +
                                       ", where the Job mounts its claim");
      }
    }
  }
  for (const auto& [index, claim] : o.source_claims) {
    if (index < 0 || index >= sources) {
      return Status::InvalidArgument("--source-pvc " + std::to_string(index) + "=" + claim +
                                     ": the plan has sources 0.." + std::to_string(sources - 1));
    }
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

json SplitJob(const loader::RecoveryPlan& plan, const K8sManifestOptions& o, int index) {
  const std::string i = std::to_string(index);
  const loader::PlanSource& source = plan.sources[index];
  json meta = Metadata(o, o.name + "-split-" + i, "split", plan);
  meta["labels"]["shardkit.io/source-index"] = i;
  meta["annotations"]["shardkit.io/source-volume"] = source.volume;
  meta["annotations"]["shardkit.io/source-shard"] = source.shard;
  const std::string script = PlanGuard(plan) + "mkdir -p " + kK8sFragmentsDir +
                             "\nexec shardkit recover --plan " + kK8sPlanPath + " --source " + i +
                             " --fragments " + kK8sFragmentsDir + "\n";
  json container = {{"name", "split"},
                    {"image", o.image},
                    {"imagePullPolicy", "IfNotPresent"},
                    {"command", ShellCommand(script)},
                    {"resources", Resources("1", "512Mi", "2Gi")},
                    {"securityContext", ContainerSecurity()},
                    {"volumeMounts",
                     {Mount("old-" + i, source.volume, true),
                      Mount("scratch", kK8sScratchDir, false), TmpMount()}}};
  json pod = {{"restartPolicy", "Never"},
              {"securityContext", PodSecurity(o)},
              {"enableServiceLinks", false},
              {"containers", {container}},
              {"volumes",
               {ClaimVolume("old-" + i, o.source_claims.at(index), true),
                ClaimVolume("scratch", o.scratch_claim, false), TmpVolume()}}};
  json labels = Labels(o, "split");
  labels["shardkit.io/source-index"] = i;
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", meta},
          {"spec",
           {{"backoffLimit", 3},
            {"podFailurePolicy", PodFailurePolicy("split", {1, 3})},
            {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod}}}}}};
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
  std::vector<K8sManifest> out;
  for (size_t i = 0; i < plan.sources.size(); ++i) {
    out.push_back({"10-" + options.name + "-split-source-" + std::to_string(i) + ".json",
                   SplitJob(plan, options, static_cast<int>(i))});
  }
  out.push_back({"20-" + options.name + "-service.json", HeadlessService(plan, options)});
  out.push_back({"21-" + options.name + "-statefulset.json", StatefulSet(plan, options)});
  out.push_back({"30-" + options.name + "-join-check.json", JoinCheckJob(plan, options)});
  return out;
}

}  // namespace shardkit::tools
