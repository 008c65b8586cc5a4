// shardkit k8s-manifests --plan plan.json --namespace NS --image IMG
//                        --source-pvc I=CLAIM ... --scratch-pvc CLAIM
//                        [--storage-class SC] [--storage-size Q] [--name NAME]
//                        [--redis-image IMG] [--cluster-domain D]
//                        [--run-as-user UID] [--out DIR]
// Writes the Kubernetes objects that run the plan's two-phase recovery
// (tools/k8s_manifests.h): a phase-1 Job per plan source, the headless
// Service and StatefulSet whose init container assembles each node, and the
// join/check Job. With --out, one JSON file per object, each published
// atomically, named so that `kubectl apply -f DIR` applies them in order;
// without, one v1 List on stdout (`kubectl apply -f -`).
// JSON, not YAML: every value (the pods' shell scripts above all) is
// escaped by nlohmann-json, so no quoting rule of YAML can change what a
// pod runs; Kubernetes reads JSON manifests as it reads YAML.
// Exit: 0 written; 1 plan.json corrupt; 2 bad options (a plan source with no
// --source-pvc names its index), a plan whose endpoints are not the pods'
// DNS names, or an I/O error; 3 a standalone plan.
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

int Run(K8sManifestsArgs& args, const CommandEnv& env) {
  Status parsed = ParseSourceClaims(args.source_pvcs, &args.options.source_claims);
  if (!parsed.ok()) return ReportError("k8s-manifests", parsed);
  auto text = ReadSmallFile(args.plan_path, 64 << 20);
  if (!text.ok()) return ReportError("k8s-manifests", text.status());
  auto plan = PlanFromJson(*text, args.plan_path);
  if (!plan.ok()) return ReportError("k8s-manifests", plan.status());
  auto manifests = BuildK8sManifests(*plan, args.options);
  if (!manifests.ok()) {
    return ReportError("k8s-manifests", manifests.status().WithPrefix(args.plan_path));
  }
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
  std::fprintf(stderr,
               "k8s-manifests: plan %s: %zu phase-1 Jobs, StatefulSet %s of %zu pods, Job "
               "%s-join-check%s%s\n",
               plan->fingerprint.c_str(), plan->sources.size(), args.options.name.c_str(),
               plan->slots.nodes.size(), args.options.name.c_str(), args.out.empty() ? "" : " in ",
               args.out.c_str());
  std::fprintf(stderr, "  copy the plan to the scratch volume as %s before applying them\n",
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
  cmd->add_option("--plan", args->plan_path, "plan.json written by `shardkit plan`")->required();
  cmd->add_option("--namespace", o.namespace_name, "Namespace of every object")->required();
  cmd->add_option("--image", o.image, "The shardkit image (deploy/docker/Dockerfile)")->required();
  cmd->add_option("--source-pvc", args->source_pvcs,
                  "I=CLAIM: the PersistentVolumeClaim holding plan source I's old volume (its "
                  "index in plan.json's \"sources\"); one for every source, mounted read-only "
                  "at the source's volume path")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false);
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
      "Exit codes: 0 written; 1 plan.json corrupt; 2 bad options (a plan source without "
      "--source-pvc is named), plan endpoints other than the pods' DNS names, a file in --out "
      "this run does not write, or an I/O error; 3 a standalone plan; 70 internal error.");
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace
}  // namespace shardkit::tools

SHARDKIT_COMMAND(k8s_manifests, shardkit::tools::AddK8sManifests);
