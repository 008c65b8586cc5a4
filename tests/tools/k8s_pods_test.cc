// The Kubernetes flow pod by pod, without Kubernetes: every pod that
// `shardkit k8s-manifests` describes up to the new nodes' files (a discover
// Job per old volume, the plan Job, a phase-1 Job per plan source, the
// StatefulSet's init container per node) runs its containers' commands as
// written, each in a mount namespace of its own, chrooted into a read-only
// root that holds nothing but the system's /usr, /etc, /dev, /proc, the
// shardkit binary on PATH, and the pod's volumes at their mountPaths (a
// claim: the directory standing for that PVC, read-only where the pod says
// so; emptyDir: a tmpfs). So no pod can read a volume its manifest does not
// mount: the discover Job of volume J sees only /old/J, the plan Job only
// the scratch volume, the phase-1 Job of source I only the claim its plan
// path names. Old volumes: the public corpus's 8-node cluster (4 masters, 4
// replicas), so plan sources are not volumes one for one.
// Checks: the plan the plan Job writes (and prints) is the plan one pod
// mounting every old volume makes (the flow before volume reports), byte
// for byte; every node the StatefulSet's init containers assemble is what
// one-process `recover` writes, byte for byte.
// Not emulated: the pods' uid (they run as root here), scheduling, the
// redis-server containers and the join/check Job. Needs root (unshare,
// mount, chroot); skipped otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/loader/recover_test_util.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace k8s_pods_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kNowMs = "1893456000000";

// Runs `container` of `pod` (a PodSpec) as described above. `claims` maps
// each claim name (and "data", the StatefulSet's volumeClaimTemplate) to the
// host directory standing for it; `env` adds variables.
class PodRunner {
 public:
  explicit PodRunner(std::string root) : root_(std::move(root)) { fs::create_directories(root_); }

  Result<ProcessResult> Run(const json& pod, const json& container,
                            const std::map<std::string, std::string>& claims,
                            const std::map<std::string, std::string>& env = {}) const {
    const std::string r = ShellQuote(root_);
    std::string setup = "mount -t tmpfs tmpfs " + r + "\n";
    for (const char* d : {"usr", "etc", "dev", "proc"}) {
      setup +=
          std::string("mkdir ") + r + "/" + d + "\nmount --rbind /" + d + " " + r + "/" + d + "\n";
    }
    for (const char* d : {"bin", "lib", "lib64", "sbin"}) {
      setup += std::string("ln -s usr/") + d + " " + r + "/" + d + "\n";
    }
    setup += "mkdir " + r + "/sk\ntouch " + r + "/sk/shardkit\nmount --bind " +
             ShellQuote(SHARDKIT_BINARY) + " " + r + "/sk/shardkit\n";
    std::map<std::string, json> volumes;
    for (const json& v : pod.value("volumes", json::array())) volumes[v["name"]] = v;
    for (const json& m : container.value("volumeMounts", json::array())) {
      const std::string name = m["name"];
      const std::string at = r + ShellQuote(m["mountPath"].get<std::string>());
      setup += "mkdir -p " + at + "\n";
      bool read_only = m.value("readOnly", false);
      const auto v = volumes.find(name);
      if (v != volumes.end() && v->second.contains("emptyDir")) {
        setup += "mount -t tmpfs tmpfs " + at + "\n";
        continue;
      }
      std::string claim = name;  // a volumeClaimTemplate's volume is named after it
      if (v != volumes.end()) {
        const json& pvc = v->second.at("persistentVolumeClaim");
        claim = pvc["claimName"];
        read_only = read_only || pvc.value("readOnly", false);
      }
      const std::string host = claims.at(claim);
      fs::create_directories(host);
      setup += "mount --bind " + ShellQuote(host) + " " + at + "\n";
      if (read_only) setup += "mount -o remount,bind,ro " + at + "\n";
    }
    setup += "mount -o remount,ro " + r + "\n";  // readOnlyRootFilesystem
    setup +=
        "exec chroot " + r + " /usr/bin/env -i PATH=/sk:/usr/bin:/bin SHARDKIT_NOW_MS=" + kNowMs;
    for (const auto& [key, value] : env) setup += " " + key + "=" + ShellQuote(value);
    setup += " \"$@\"\n";
    std::vector<std::string> argv = {"unshare", "--mount", "--propagation", "private",
                                     "sh",      "-ec",     setup,           "pod"};
    for (const json& arg : container.at("command")) argv.push_back(arg);
    return RunProcess(argv);
  }

 private:
  std::string root_;
};

bool PodsCanRun(const std::string& root) {
  if (geteuid() != 0) return false;
  fs::create_directories(root);
  auto r = RunProcess({"unshare", "--mount", "--propagation", "private", "sh", "-ec",
                       "mount -t tmpfs tmpfs " + ShellQuote(root) + "\nchroot / true"});
  return r.ok() && r->exit_code == 0;
}

// The objects of a `k8s-manifests` run, by kind/name.
std::map<std::string, json> Manifests(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"k8s-manifests", "--namespace",   "recovery",        "--image",
                                  "shardkit:test", "--scratch-pvc", "shardkit-scratch"};
  all.insert(all.end(), args.begin(), args.end());
  const CliRun run = RunShardkit(all);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::map<std::string, json> out;
  if (run.exit_code != 0) return out;
  const json list = json::parse(run.out);
  for (const json& item : list["items"]) {
    out[item["kind"].get<std::string>() + "/" + item["metadata"]["name"].get<std::string>()] = item;
  }
  return out;
}

class K8sPodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kCorpus + "/7000/nodes.conf")) GTEST_SKIP() << "corpus missing: " << kCorpus;
    if (!PodsCanRun(work_.File("probe"))) {
      GTEST_SKIP() << "needs root with unshare --mount and chroot (runs each pod in a mount "
                      "namespace)";
    }
    for (int j = 0; j < 8; ++j) {
      const std::string claim = "data-old-redis-" + std::to_string(j);
      claims_[claim] = kCorpus + "/" + std::to_string(7000 + j);
      claim_list_ += (j ? "," : "") + claim;
    }
    claims_["shardkit-scratch"] = work_.File("scratch");
  }

  // Runs one container of an object's pod template; expects exit 0.
  std::string RunOk(const json& object, const char* list, const std::string& container,
                    std::map<std::string, std::string> claims,
                    const std::map<std::string, std::string>& env = {}) {
    const json& pod = object["spec"]["template"]["spec"];
    for (const json& c : pod.value(list, json::array())) {
      if (c["name"] != container) continue;
      auto r = pods_.Run(pod, c, claims, env);
      EXPECT_TRUE(r.ok());
      if (!r.ok()) return "";
      EXPECT_EQ(r->exit_code, 0) << object["metadata"]["name"] << "/" << container << ":\n"
                                 << r->output;
      return r->output;
    }
    ADD_FAILURE() << "no container " << container << " in " << object["metadata"]["name"];
    return "";
  }

  // A pod that mounts every old volume at /old/J (read-only) and the scratch
  // volume, running `command`: the flow before volume reports.
  std::string RunWithEveryVolume(const std::vector<std::string>& command) {
    json pod = {{"volumes", json::array()}};
    json container = {{"command", command}, {"volumeMounts", json::array()}};
    for (int j = 0; j < 8; ++j) {
      const std::string name = "old-" + std::to_string(j);
      pod["volumes"].push_back(
          {{"name", name},
           {"persistentVolumeClaim",
            {{"claimName", "data-old-redis-" + std::to_string(j)}, {"readOnly", true}}}});
      container["volumeMounts"].push_back(
          {{"name", name}, {"mountPath", "/old/" + std::to_string(j)}, {"readOnly", true}});
    }
    pod["volumes"].push_back(
        {{"name", "scratch"}, {"persistentVolumeClaim", {{"claimName", "shardkit-scratch"}}}});
    container["volumeMounts"].push_back({{"name", "scratch"}, {"mountPath", "/scratch"}});
    auto r = pods_.Run(pod, container, claims_);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : "");
    return r.ok() ? r->output : "";
  }

  const std::string kCorpus = CorpusDir() + "/Albert0i__RU301/Ex-4.1";
  TempDir work_{"shardkit-k8s-pods"};
  PodRunner pods_{work_.File("root")};
  std::map<std::string, std::string> claims_;
  std::string claim_list_;
};

TEST_F(K8sPodsTest, EveryPodWithOnlyItsVolumesGivesTheOneProcessNodes) {
  // Before the plan: a discover Job per old volume, the plan Job.
  auto before = Manifests({"--volume-claims", claim_list_, "--nodes", "3", "--replicas", "1"});
  ASSERT_EQ(before.size(), 9u);
  for (int j = 0; j < 8; ++j) {
    RunOk(before["Job/redis-discover-" + std::to_string(j)], "containers", "discover", claims_);
  }
  const json& plan_job = before["Job/redis-plan"];
  RunOk(plan_job, "initContainers", "plan", claims_);
  const std::string printed = RunOk(plan_job, "containers", "print", claims_);
  const std::string plan_path = work_.File("scratch/plan.json");
  ASSERT_TRUE(fs::exists(plan_path));
  const std::string plan_text = ReadFileOrDie(plan_path);
  EXPECT_EQ(printed, plan_text);
  // The plan one pod mounting every volume makes, with the same flags.
  std::string endpoints;
  for (int k = 0; k < 6; ++k) {
    endpoints += (k ? "," : "") +
                 ("redis-" + std::to_string(k) + ".redis.recovery.svc.cluster." + "local:6379");
  }
  std::vector<std::string> plan = {
      "shardkit", "plan",        "--nodes", "3",     "--replicas",
      "1",        "--endpoints", endpoints, "--out", "/scratch/plan-all.json"};
  for (int j = 0; j < 8; ++j) plan.push_back("/old/" + std::to_string(j));
  RunWithEveryVolume(plan);
  EXPECT_EQ(ReadFileOrDie(work_.File("scratch/plan-all.json")), plan_text);
  const json parsed = json::parse(plan_text);
  const size_t sources = parsed["sources"].size();
  ASSERT_EQ(sources, 4u);  // one per old shard, from 8 volumes

  // The plan's objects; the phase-1 Job of source I mounts the claim of the
  // volume its plan path names.
  auto after = Manifests({"--plan", plan_path, "--volume-claims", claim_list_});
  int elsewhere = 0;  // sources not on the volume of their own index
  for (size_t i = 0; i < sources; ++i) {
    const json& job = after["Job/redis-split-" + std::to_string(i)];
    const std::string volume = parsed["sources"][i]["volume"];
    const int j = std::stoi(volume.substr(volume.rfind('/') + 1));
    elsewhere += j != static_cast<int>(i) ? 1 : 0;
    EXPECT_EQ(job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
              "data-old-redis-" + std::to_string(j));
    RunOk(job, "containers", "split", claims_);
  }
  EXPECT_GT(elsewhere, 0) << "the mapping from sources to volumes is the identity here";
  // One process, every volume: the reference nodes.
  RunWithEveryVolume(
      {"shardkit", "recover", "--plan", "/scratch/plan.json", "--out", "/scratch/one"});
  const json& sts = after["StatefulSet/redis"];
  ASSERT_EQ(sts["spec"]["replicas"], 6);
  for (int k = 0; k < 6; ++k) {
    std::map<std::string, std::string> claims = claims_;
    claims["data"] = work_.File("data-" + std::to_string(k));
    RunOk(sts, "initContainers", "assemble", claims, {{"POD_NAME", "redis-" + std::to_string(k)}});
    const std::string node = "/node-" + std::to_string(k);
    const std::string one = work_.File("scratch/one") + node;
    const std::string two = claims["data"] + node;
    const std::vector<std::string> files = FilesUnder(one);
    ASSERT_EQ(files, FilesUnder(two)) << node;
    for (const std::string& f : files) {
      EXPECT_EQ(ReadFileOrDie(one + "/" + f), ReadFileOrDie(two + "/" + f)) << node << "/" << f;
    }
    EXPECT_TRUE(fs::exists(claims["data"] + "/.shardkit-assembled"));
  }
}

}  // namespace
}  // namespace k8s_pods_test
}  // namespace shardkit::testing
