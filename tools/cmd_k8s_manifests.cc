// shardkit k8s-manifests --plan plan.json --namespace NS --image IMG
//                        (--source-pvc I=CLAIM ... | --volume-claims C0,C1,...)
//                        --scratch-pvc CLAIM
//                        [--storage-class SC] [--storage-size Q] [--name NAME]
//                        [--redis-image IMG] [--cluster-domain D]
//                        [--run-as-user UID] [--out DIR]
// shardkit k8s-manifests --volume-claims C0,C1,... --nodes N [--replicas R]
//                        [--estimate] [--merge-standalone] [--allow-missing-shards]
//                        --namespace NS --image IMG --scratch-pvc CLAIM [...] [--out DIR]
// Writes the Kubernetes objects that run the plan's two-phase recovery
// (tools/k8s_manifests.h): a phase-1 Job per plan source, the headless
// Service and StatefulSet whose init container assembles each node, and the
// join/check Job. Without --plan, what comes before it: a discover Job per
// old volume (claim J mounted alone at /old/J) and the plan Job that plans
// from their reports. With --out, one JSON file per object, each published
// atomically, named so that `kubectl apply -f DIR` applies them in order;
// without, one v1 List on stdout (`kubectl apply -f -`).
// JSON, not YAML: every value (the pods' shell scripts above all) is
// escaped by nlohmann-json, so no quoting rule of YAML can change what a
// pod runs; Kubernetes reads JSON manifests as it reads YAML.
// Exit: 0 written; 1 plan.json corrupt; 2 bad options (a plan source with no
// claim names its index), a plan whose endpoints are not the pods' DNS
// names, or an I/O error; 3 a standalone plan.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <system_error>

#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/k8s_manifests.h"
#include "tools/plan_json.h"

namespace shardkit::tools {
namespace {

namespace fs = std::filesystem;

struct K8sManifestsArgs {
  std::string plan_path;
  std::vector<std::string> source_pvcs;  // "I=CLAIM"
  std::string out;
  K8sManifestOptions options;
  K8sPlanJobOptions plan_job;  // without --plan
};

Status ParseSourceClaims(const std::vector<std::string>& specs, std::map<int, std::string>* out) {
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    int index = -1;
    if (eq != std::string::npos && eq > 0 && eq <= 5 &&
        spec.find_first_not_of("0123456789") == eq) {
      index = std::stoi(spec.substr(0, eq));
    }
    if (index < 0 || eq + 1 >= spec.size()) {
      return Status::InvalidArgument("--source-pvc " + spec +
                                     ": expected I=CLAIM (I the plan source's index)");
    }
    if (!out->emplace(index, spec.substr(eq + 1)).second) {
      return Status::InvalidArgument("--source-pvc: source " + std::to_string(index) +
                                     " is given twice");
    }
  }
  return Status::Ok();
}

// The directory must hold no manifest this run does not write: `kubectl
// apply -f DIR` would apply a stale one (a Job of an earlier plan's source).
Status CheckOutDir(const std::string& dir, const std::vector<K8sManifest>& manifests) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("creating " + dir + ": " + ec.message());
  std::set<std::string> ours;
  for (const K8sManifest& m : manifests) ours.insert(m.file_name);
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    const std::string name = e.path().filename().string();
    if ((ext == ".json" || ext == ".yaml" || ext == ".yml") && ours.count(name) == 0) {
      return Status::InvalidArgument(dir + " holds " + name +
                                     ", which this plan's manifests do not replace: use an "
                                     "empty directory");
    }
  }
  if (ec) return Status::IoError("listing " + dir + ": " + ec.message());
  return Status::Ok();
}

// The objects of the plan (with --plan), or of the steps before it.
Result<std::vector<K8sManifest>> Build(const K8sManifestsArgs& args, const CLI::App& cmd,
                                       loader::RecoveryPlan* plan) {
  if (args.plan_path.empty()) {
    if (cmd.count("--volume-claims") == 0 || cmd.count("--nodes") == 0) {
      return Status::InvalidArgument(
          "give --plan plan.json (the objects that run it), or --volume-claims and --nodes "
          "(the discover and plan Jobs that make it)");
    }
    return BuildK8sPlanManifests(args.options, args.plan_job);
  }
  for (const char* flag :
       {"--nodes", "--replicas", "--estimate", "--merge-standalone", "--allow-missing-shards"}) {
    if (cmd.count(flag) > 0) {
      return Status::InvalidArgument(std::string(flag) +
                                     " is for the plan Job, made without --plan; the plan "
                                     "already says it");
    }
  }
  SK_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(args.plan_path, 64 << 20));
  SK_ASSIGN_OR_RETURN(*plan, PlanFromJson(text, args.plan_path));
  auto manifests = BuildK8sManifests(*plan, args.options);
  if (!manifests.ok()) return manifests.status().WithPrefix(args.plan_path);
  return manifests;
}

int Run(K8sManifestsArgs& args, const CLI::App& cmd, const CommandEnv& env) {
  Status parsed = ParseSourceClaims(args.source_pvcs, &args.options.source_claims);
  if (!parsed.ok()) return ReportError("k8s-manifests", parsed);
  loader::RecoveryPlan plan;
  auto manifests = Build(args, cmd, &plan);
  if (!manifests.ok()) return ReportError("k8s-manifests", manifests.status());
  if (args.out.empty()) {
    nlohmann::json list = {
        {"apiVersion", "v1"}, {"kind", "List"}, {"items", nlohmann::json::array()}};
    for (const K8sManifest& m : *manifests) list["items"].push_back(m.object);
    std::cout << list.dump(2) << std::endl;
  } else {
    Status s = CheckOutDir(args.out, *manifests);
    if (!s.ok()) return ReportError("k8s-manifests", s);
    for (const K8sManifest& m : *manifests) {
      const std::string path = args.out + "/" + m.file_name;
      s = WriteFileAtomically(path, m.object.dump(2) + "\n", IoOptionsFor(env));
      if (!s.ok()) return ReportError("k8s-manifests", s.WithPrefix("writing " + path));
    }
  }
  const char* in = args.out.empty() ? "" : " in ";
  if (args.plan_path.empty()) {
    std::fprintf(stderr, "k8s-manifests: %zu discover Jobs (claim J at %s/J), Job %s-plan%s%s\n",
                 args.options.volume_claims.size(), kK8sOldVolumesDir, args.options.name.c_str(),
                 in, args.out.c_str());
    std::fprintf(stderr,
                 "  the plan Job writes %s and prints it: kubectl logs job/%s-plan -c print > "
                 "plan.json, then k8s-manifests --plan plan.json --volume-claims (the same "
                 "claims) into another directory\n",
                 kK8sPlanPath, args.options.name.c_str());
    return kExitOk;
  }
  std::fprintf(stderr,
               "k8s-manifests: plan %s: %zu phase-1 Jobs, StatefulSet %s of %zu pods, Job "
               "%s-join-check%s%s\n",
               plan.fingerprint.c_str(), plan.sources.size(), args.options.name.c_str(),
               plan.slots.nodes.size(), args.options.name.c_str(), in, args.out.c_str());
  std::fprintf(stderr, "  the plan must be on the scratch volume as %s before they run\n",
               kK8sPlanPath);
  return kExitOk;
}

void AddK8sManifests(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<K8sManifestsArgs>();
  K8sManifestOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand(
      "k8s-manifests",
      "Write the Kubernetes objects that run a plan's two-phase recovery: a phase-1 Job per "
      "old volume, the new StatefulSet (its init container assembles each node) with its "
      "headless Service, and a join/check Job");
  cmd->add_option("--plan", args->plan_path,
                  "plan.json written by `shardkit plan`; without it, the discover and plan Jobs "
                  "that make it (--volume-claims, --nodes)");
  cmd->add_option("--namespace", o.namespace_name, "Namespace of every object")->required();
  cmd->add_option("--image", o.image, "The shardkit image (deploy/docker/Dockerfile)")->required();
  cmd->add_option("--source-pvc", args->source_pvcs,
                  "I=CLAIM: the PersistentVolumeClaim holding plan source I's old volume (its "
                  "index in plan.json's \"sources\"); one for every source, mounted read-only "
                  "at the source's volume path (or --volume-claims)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--volume-claims", o.volume_claims,
                  "C0,C1,...: the old volumes' PersistentVolumeClaims; claim J is mounted "
                  "read-only at /old/J by its discover Job and, with --plan, by the phase-1 Job "
                  "of each source whose plan path is /old/J")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--nodes", args->plan_job.nodes,
                  "Without --plan: the plan Job's new masters (plan --nodes)");
  cmd->add_option("--replicas", args->plan_job.replicas,
                  "Without --plan: replicas per master (plan --replicas, default 0)");
  cmd->add_flag("--estimate", args->plan_job.estimate,
                "Without --plan: discover --estimate and plan --estimate (SPEC.md \"Estimated "
                "plans\", \"Volume reports\")");
  cmd->add_flag("--merge-standalone", args->plan_job.merge_standalone,
                "Without --plan: plan --merge-standalone");
  cmd->add_flag("--allow-missing-shards", args->plan_job.allow_missing_shards,
                "Without --plan: plan --allow-missing-shards");
  cmd->add_option("--scratch-pvc", o.scratch_claim,
                  "A ReadWriteMany PersistentVolumeClaim holding plan.json (at its root) and "
                  "the fragments")
      ->required();
  cmd->add_option("--storage-class", o.storage_class,
                  "StorageClass of the new nodes' volumes (default: the cluster's default)");
  cmd->add_option("--storage-size", o.storage_size,
                  "Size of each new node's volume (default: 3x the largest node's bytes in the "
                  "plan, at least 1Gi)");
  cmd->add_option("--name", o.name,
                  "Name of the StatefulSet and its headless Service, prefix of the Jobs "
                  "(default redis)");
  cmd->add_option("--redis-image", o.redis_image,
                  "The new nodes' redis-server image, of the plan's Redis major version "
                  "(default redis:7.0)");
  cmd->add_option("--cluster-domain", o.cluster_domain,
                  "The cluster's DNS domain (default cluster.local)");
  cmd->add_option("--run-as-user", o.run_as_user,
                  "uid and gid of every container, owner of the old volumes' files (default "
                  "999, redis in the official image)");
  cmd->add_option("--out", args->out,
                  "Write one JSON file per object into this directory (atomically) instead of "
                  "one List on stdout");
  cmd->footer(
      "The plan must be a cluster plan made with `plan --endpoints` of the pods' DNS names: "
      "node K at <name>-K.<name>.<namespace>.svc.<cluster-domain>:6379.\n"
      "Without --plan: the discover Job of each old volume (--volume-claims, claim J at "
      "/old/J) and the plan Job (--nodes, --replicas, ...) whose plan uses those DNS names.\n"
      "Exit codes: 0 written; 1 plan.json corrupt; 2 bad options (a plan source without a "
      "claim is named), plan endpoints other than the pods' DNS names, a file in --out "
      "this run does not write, or an I/O error; 3 a standalone plan; 70 internal error.");
  cmd->callback([args, cmd, &env] { env.exit_code = Run(*args, *cmd, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(k8s_manifests, shardkit::tools::AddK8sManifests);
