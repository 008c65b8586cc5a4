// The Kubernetes manifests, validated offline: every static manifest of
// deploy/kubernetes/ and what `shardkit k8s-manifests` writes before a plan
// (--volume-claims: the discover and plan Jobs) and for a real plan (made by
// `shardkit plan` over three seeded RDB volumes) are checked against
// the Kubernetes API schemas by tests/deploy/validate_k8s.mjs (npm package
// kubernetes-models, pinned with its package-lock; installed once into
// <build>/tests/deploy-validator/), and the pods' shell scripts by `sh -n`.
// A deliberately broken set of objects must be rejected, or the validator
// proves nothing. The validating tests (K8sManifestsValidateTest) are
// skipped only when node or npm is missing; a failing install (npm ci)
// fails them. The command's refusals (K8sManifestsCliTest) need neither.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/seeded_rdb.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

namespace fs = std::filesystem;
using shardkit::testing::CliRun;
using shardkit::testing::RunShardkit;
using shardkit::testing::ShellQuote;
using shardkit::testing::TempDir;

class K8sManifestsCliTest : public ::testing::Test {
 protected:
  // A shell command's exit code and its stdout and stderr together.
  static CliRun Shell(const std::string& command) {
    CliRun run;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr) return run;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) run.out.append(buf, n);
    const int status = pclose(p);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
  }

  static CliRun Validate(const std::vector<std::string>& paths) {
    std::string command = "node " + ShellQuote(validator_dir_ + "/validate_k8s.mjs");
    for (const std::string& p : paths) command += " " + ShellQuote(p);
    return Shell(command);
  }

  static std::string DnsEndpoint(int k) {
    return "redis-" + std::to_string(k) + ".redis.recovery.svc.cluster.local:6379";
  }

  // Three old volumes (seeded RDB files, three lineages: merged), planned
  // onto 3 masters with 1 replica each at the pods' DNS names.
  void MakePlan(bool with_endpoints) {
    std::vector<std::string> args = {"plan",  "--nodes",
                                     "3",     "--replicas",
                                     "1",     "--merge-standalone",
                                     "--out", dir_.File("plan.json")};
    if (with_endpoints) {
      std::string endpoints;
      for (int k = 0; k < 6; ++k) endpoints += (k ? "," : "") + DnsEndpoint(k);
      args.push_back("--endpoints");
      args.push_back(endpoints);
    }
    for (int v = 0; v < 3; ++v) {
      const std::string volume = dir_.File("old-" + std::to_string(v));
      fs::create_directories(volume);
      testing::SeededRdbOptions options;
      options.seed = 1500 + v;
      options.keys = 300;
      auto rdb = testing::MakeSeededRdb(options);
      ASSERT_TRUE(rdb.ok()) << rdb.status().ToString();
      testing::WriteFileOrDie(volume + "/dump.rdb", *rdb);
      args.push_back(volume);
    }
    const CliRun plan = RunShardkit(args);
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    plan_ = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("plan.json")));
    ASSERT_EQ(plan_.at("sources").size(), 3u);
  }

  std::vector<std::string> ManifestArgs(const std::vector<int>& sources) {
    std::vector<std::string> args = {"k8s-manifests", "--plan",        dir_.File("plan.json"),
                                     "--namespace",   "recovery",      "--image",
                                     "shardkit:test", "--scratch-pvc", "shardkit-scratch"};
    for (int s : sources) {
      args.push_back("--source-pvc");
      args.push_back(std::to_string(s) + "=data-old-redis-" + std::to_string(s));
    }
    return args;
  }

  // `sh -n` on the script of every container that runs `/bin/sh -c SCRIPT`.
  void ExpectScriptsParse(const nlohmann::json& object) {
    const nlohmann::json& pod = object["spec"]["template"]["spec"];
    for (const char* list : {"initContainers", "containers"}) {
      if (!pod.contains(list)) continue;
      for (const nlohmann::json& c : pod[list]) {
        const nlohmann::json& command = c["command"];
        if (command.size() != 3 || command[0] != "/bin/sh") continue;
        const std::string file = dir_.File("script.sh");
        testing::WriteFileOrDie(file, command[2].get<std::string>());
        const CliRun parsed = Shell("sh -n " + ShellQuote(file));
        EXPECT_EQ(parsed.exit_code, 0) << c["name"] << ": " << parsed.out;
      }
    }
  }

  static std::string skip_reason_;
  static std::string install_error_;
  static std::string validator_dir_;
  TempDir dir_{"shardkit-k8s"};
  nlohmann::json plan_;
};

std::string K8sManifestsCliTest::skip_reason_;
std::string K8sManifestsCliTest::install_error_;
std::string K8sManifestsCliTest::validator_dir_;

// The tests that run the validator: skipped only when node or npm is missing.
class K8sManifestsValidateTest : public K8sManifestsCliTest {
 protected:
  // Installs the validator once per build directory: npm ci of the pinned
  // lock, redone only when the lock changes.
  static void SetUpTestSuite() {
    if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
      skip_reason_ = "node or npm not installed (scripts/install-deps.sh installs them)";
      return;
    }
    const std::string src = std::string(SHARDKIT_SOURCE_DIR) + "/tests/deploy";
    validator_dir_ = fs::path(SHARDKIT_BINARY).parent_path().string() + "/tests/deploy-validator";
    const std::string lock = testing::ReadFileOrDie(src + "/package-lock.json");
    const std::string stamp = validator_dir_ + "/installed-lock.json";
    // The script runs beside its node_modules: ES modules resolve packages
    // from the importing file's folder.
    fs::create_directories(validator_dir_);
    fs::copy_file(src + "/validate_k8s.mjs", validator_dir_ + "/validate_k8s.mjs",
                  fs::copy_options::overwrite_existing);
    if (fs::exists(stamp) && testing::ReadFileOrDie(stamp) == lock &&
        fs::exists(validator_dir_ + "/node_modules/kubernetes-models")) {
      return;
    }
    for (const char* f : {"package.json", "package-lock.json"}) {
      fs::copy_file(src + "/" + f, validator_dir_ + "/" + f, fs::copy_options::overwrite_existing);
    }
    const CliRun install = Shell("cd " + ShellQuote(validator_dir_) +
                                 " && npm ci --no-audit --no-fund --ignore-scripts "
                                 "--loglevel=error");
    install_error_ = install.exit_code == 0 ? "" : "npm ci failed: " + install.out;
    if (install.exit_code == 0) testing::WriteFileOrDie(stamp, lock);
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_EQ(install_error_, "");
  }
};

TEST_F(K8sManifestsValidateTest, StaticManifestsValidate) {
  const std::string dir = std::string(SHARDKIT_SOURCE_DIR) + "/deploy/kubernetes";
  const CliRun run = Validate({dir});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("11 objects, 0 invalid"), std::string::npos) << run.out;
  for (const char* kind :
       {"PersistentVolumeClaim/", "Job/redis-discover-0", "Job/redis-discover-2", "Job/redis-plan",
        "Job/redis-split-2", "Service/redis", "StatefulSet/redis", "Job/redis-join-check"}) {
    EXPECT_NE(run.out.find(kind), std::string::npos) << kind << "\n" << run.out;
  }
}

TEST_F(K8sManifestsValidateTest, GeneratedManifestsValidate) {
  MakePlan(/*with_endpoints=*/true);
  const std::string out = dir_.File("manifests");
  std::vector<std::string> args = ManifestArgs({0, 1, 2});
  args.insert(args.end(), {"--storage-class", "fast-ssd", "--out", out});
  const CliRun gen = RunShardkit(args);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const CliRun run = Validate({out});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("6 objects, 0 invalid"), std::string::npos) << run.out;

  // What the objects must say beyond their schema.
  for (int s = 0; s < 3; ++s) {
    const std::string i = std::to_string(s);
    const nlohmann::json job = nlohmann::json::parse(
        testing::ReadFileOrDie(out + "/10-redis-split-source-" + i + ".json"));
    const nlohmann::json& pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-old-redis-" + i);
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["readOnly"], true);
    const nlohmann::json& mount = pod["containers"][0]["volumeMounts"][0];
    EXPECT_EQ(mount["mountPath"], plan_["sources"][s]["volume"]);
    EXPECT_EQ(mount["readOnly"], true);
    EXPECT_NE(pod["containers"][0]["command"][2].get<std::string>().find(
                  "recover --plan /scratch/plan.json --source " + i + " --fragments "),
              std::string::npos);
    ExpectScriptsParse(job);
  }
  const nlohmann::json sts =
      nlohmann::json::parse(testing::ReadFileOrDie(out + "/21-redis-statefulset.json"));
  EXPECT_EQ(sts["spec"]["replicas"], 6);
  EXPECT_EQ(sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"], "fast-ssd");
  const std::string assemble =
      sts["spec"]["template"]["spec"]["initContainers"][0]["command"][2].get<std::string>();
  EXPECT_NE(assemble.find("--from-fragments /scratch/fragments --node-index \"$K\" --out /data"),
            std::string::npos)
      << assemble;
  EXPECT_NE(assemble.find("K=\"${POD_NAME##*-}\""), std::string::npos);
  std::string endpoints;
  for (int k = 0; k < 6; ++k) endpoints += (k ? "," : "") + DnsEndpoint(k);
  EXPECT_EQ(sts["metadata"]["annotations"]["shardkit.io/endpoints"], endpoints);
  ExpectScriptsParse(sts);
  const nlohmann::json check =
      nlohmann::json::parse(testing::ReadFileOrDie(out + "/30-redis-join-check.json"));
  const std::string script =
      check["spec"]["template"]["spec"]["containers"][0]["command"][2].get<std::string>();
  EXPECT_NE(script.find("shardkit join --plan /scratch/plan.json --endpoints " + endpoints),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("shardkit check --plan /scratch/plan.json"), std::string::npos);
  ExpectScriptsParse(check);

  // A second run into the same directory rewrites the same files.
  EXPECT_EQ(RunShardkit(args).exit_code, 0);
  // Without --out: one v1 List on stdout, valid as well.
  const CliRun listed = RunShardkit(ManifestArgs({0, 1, 2}));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  testing::WriteFileOrDie(dir_.File("list.json"), listed.out);
  const CliRun list_run = Validate({dir_.File("list.json")});
  EXPECT_EQ(list_run.exit_code, 0) << list_run.out;
  EXPECT_NE(list_run.out.find("6 objects, 0 invalid"), std::string::npos) << list_run.out;
}

// Before any plan: a discover Job per old volume, mounting only its claim
// (read-only, at /old/J), and the plan Job, mounting only the scratch volume.
TEST_F(K8sManifestsValidateTest, GeneratedDiscoverAndPlanJobsValidate) {
  const std::string out = dir_.File("before-plan");
  const CliRun gen = RunShardkit(
      {"k8s-manifests", "--volume-claims", "data-old-redis-0,data-old-redis-1,data-old-redis-2",
       "--nodes", "3", "--replicas", "1", "--merge-standalone", "--namespace", "recovery",
       "--image", "shardkit:test", "--scratch-pvc", "shardkit-scratch", "--out", out});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const CliRun run = Validate({out});
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("4 objects, 0 invalid"), std::string::npos) << run.out;
  for (int j = 0; j < 3; ++j) {
    const std::string i = std::to_string(j);
    const nlohmann::json job = nlohmann::json::parse(
        testing::ReadFileOrDie(out + "/01-redis-discover-volume-" + i + ".json"));
    const nlohmann::json& pod = job["spec"]["template"]["spec"];
    ASSERT_EQ(pod["volumes"].size(), 3u);  // its old volume, scratch, tmp
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-old-redis-" + i);
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["readOnly"], true);
    const nlohmann::json& mount = pod["containers"][0]["volumeMounts"][0];
    EXPECT_EQ(mount["mountPath"], "/old/" + i);
    EXPECT_EQ(mount["readOnly"], true);
    EXPECT_NE(pod["containers"][0]["command"][2].get<std::string>().find(
                  "discover --volume-report /scratch/volume-reports/" + i + ".json /old/" + i),
              std::string::npos);
    ExpectScriptsParse(job);
  }
  const nlohmann::json plan =
      nlohmann::json::parse(testing::ReadFileOrDie(out + "/02-redis-plan.json"));
  const nlohmann::json& pod = plan["spec"]["template"]["spec"];
  for (const nlohmann::json& v : pod["volumes"]) {
    EXPECT_NE(v["name"], "old-0") << "the plan Job mounts an old volume";
    if (v.contains("persistentVolumeClaim")) {
      EXPECT_EQ(v["persistentVolumeClaim"]["claimName"], "shardkit-scratch");
    }
  }
  std::string endpoints;
  for (int k = 0; k < 6; ++k) endpoints += (k ? "," : "") + DnsEndpoint(k);
  const std::string script = pod["initContainers"][0]["command"][2];
  EXPECT_NE(script.find("shardkit plan --nodes 3 --replicas 1 --endpoints " + endpoints +
                        " --merge-standalone --out /scratch/plan.json --volume-reports "
                        "/scratch/volume-reports/0.json /scratch/volume-reports/1.json "
                        "/scratch/volume-reports/2.json"),
            std::string::npos)
      << script;
  ExpectScriptsParse(plan);
}

// With --volume-claims, the phase-1 Job of plan source I mounts the claim of
// the volume its plan path names (/old/J), whatever I is.
TEST_F(K8sManifestsCliTest, SplitJobsMountTheClaimOfTheVolumeThePlanNames) {
  MakePlan(/*with_endpoints=*/true);
  nlohmann::json plan = plan_;
  const int volume_of_source[] = {2, 0, 1};
  for (size_t i = 0; i < plan["sources"].size(); ++i) {
    nlohmann::json& source = plan["sources"][i];
    const std::string volume = source["volume"];
    const std::string now = "/old/" + std::to_string(volume_of_source[i]);
    source["volume"] = now;
    for (const char* field : {"path", "rdb_path"}) {
      const std::string p = source[field];
      if (p.rfind(volume, 0) == 0) source[field] = now + p.substr(volume.size());
    }
    for (nlohmann::json& f : source["files"]) {
      const std::string p = f["path"];
      f["path"] = now + p.substr(volume.size());
    }
  }
  testing::WriteFileOrDie(dir_.File("old-plan.json"), plan.dump(2));
  auto args = [&](const std::string& claims) {
    return std::vector<std::string>{"k8s-manifests",   "--plan",        dir_.File("old-plan.json"),
                                    "--namespace",     "recovery",      "--image",
                                    "shardkit:test",   "--scratch-pvc", "shardkit-scratch",
                                    "--volume-claims", claims};
  };
  const CliRun listed = RunShardkit(args("pvc-a,pvc-b,pvc-c"));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const nlohmann::json list = nlohmann::json::parse(listed.out);
  const char* claims[] = {"pvc-a", "pvc-b", "pvc-c"};
  for (int i = 0; i < 3; ++i) {
    const nlohmann::json& job = list["items"][i];
    ASSERT_EQ(job["metadata"]["name"], "redis-split-" + std::to_string(i));
    const nlohmann::json& pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], claims[volume_of_source[i]]);
    EXPECT_EQ(pod["containers"][0]["volumeMounts"][0]["mountPath"],
              "/old/" + std::to_string(volume_of_source[i]));
  }
  // A volume the claims do not cover, and both ways of naming claims.
  CliRun run = RunShardkit(args("pvc-a,pvc-b"));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("plan source 0 (volume /old/2) is on none of the --volume-claims"),
            std::string::npos)
      << run.err;
  std::vector<std::string> both = args("pvc-a,pvc-b,pvc-c");
  both.insert(both.end(), {"--source-pvc", "0=pvc-a"});
  run = RunShardkit(both);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--source-pvc and --volume-claims"), std::string::npos) << run.err;
  // The plan Job's flags belong to the run without --plan.
  std::vector<std::string> nodes = args("pvc-a,pvc-b,pvc-c");
  nodes.insert(nodes.end(), {"--nodes", "3"});
  run = RunShardkit(nodes);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--nodes is for the plan Job"), std::string::npos) << run.err;
  run = RunShardkit({"k8s-manifests", "--namespace", "recovery", "--image", "shardkit:test",
                     "--scratch-pvc", "shardkit-scratch", "--volume-claims", "pvc-a"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--volume-claims and --nodes"), std::string::npos) << run.err;
}

// deploy/kubernetes/ is the example of what the command writes (3 old
// volumes at /old/I, namespace redis-recovery; the discover and plan Jobs,
// then the plan's objects): every line of every pod
// script the command writes for that plan, but the plan-fingerprint guard,
// must be in the static file, so that the two cannot drift apart.
TEST_F(K8sManifestsCliTest, StaticExampleRunsTheGeneratedScripts) {
  MakePlan(/*with_endpoints=*/true);
  nlohmann::json plan = plan_;
  for (size_t i = 0; i < plan["sources"].size(); ++i) {
    nlohmann::json& source = plan["sources"][i];
    const std::string volume = source["volume"];
    const std::string now = "/old/" + std::to_string(i);
    source["volume"] = now;
    for (const char* field : {"path", "rdb_path"}) {
      std::string p = source[field];
      if (p.rfind(volume, 0) == 0) source[field] = now + p.substr(volume.size());
    }
    for (nlohmann::json& f : source["files"]) {
      const std::string p = f["path"];
      f["path"] = now + p.substr(volume.size());
    }
  }
  for (nlohmann::json& node : plan["nodes"]) {
    std::string e = node["endpoint"];
    e.replace(e.find(".recovery."), 10, ".redis-recovery.");
    node["endpoint"] = e;
  }
  testing::WriteFileOrDie(dir_.File("example-plan.json"), plan.dump(2));
  const std::string out = dir_.File("example");
  const CliRun gen = RunShardkit(
      {"k8s-manifests", "--plan", dir_.File("example-plan.json"), "--namespace", "redis-recovery",
       "--image", "shardkit:dev", "--scratch-pvc", "shardkit-scratch", "--volume-claims",
       "data-old-redis-0,data-old-redis-1,data-old-redis-2", "--out", out});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::string before = dir_.File("example-before-plan");
  const CliRun pre = RunShardkit(
      {"k8s-manifests", "--volume-claims", "data-old-redis-0,data-old-redis-1,data-old-redis-2",
       "--nodes", "3", "--replicas", "1", "--namespace", "redis-recovery", "--image",
       "shardkit:dev", "--scratch-pvc", "shardkit-scratch", "--out", before});
  ASSERT_EQ(pre.exit_code, 0) << pre.err;
  for (const char* f : {"01-redis-discover-volume-0.json", "01-redis-discover-volume-2.json",
                        "02-redis-plan.json"}) {
    fs::copy_file(before + "/" + f, out + "/" + f);
  }
  const std::string deploy = std::string(SHARDKIT_SOURCE_DIR) + "/deploy/kubernetes/";
  const std::pair<std::string, std::string> pairs[] = {
      {"01-redis-discover-volume-0.json", "01-discover-jobs.yaml"},
      {"01-redis-discover-volume-2.json", "01-discover-jobs.yaml"},
      {"02-redis-plan.json", "02-plan-job.yaml"},
      {"10-redis-split-source-0.json", "10-split-jobs.yaml"},
      {"10-redis-split-source-2.json", "10-split-jobs.yaml"},
      {"21-redis-statefulset.json", "21-statefulset.yaml"},
      {"30-redis-join-check.json", "30-join-check-job.yaml"}};
  for (const auto& [generated, example] : pairs) {
    const nlohmann::json object =
        nlohmann::json::parse(testing::ReadFileOrDie(out + "/" + generated));
    const std::string text = testing::ReadFileOrDie(deploy + example);
    const nlohmann::json& pod = object["spec"]["template"]["spec"];
    size_t lines = 0;
    for (const char* list : {"initContainers", "containers"}) {
      if (!pod.contains(list)) continue;
      for (const nlohmann::json& c : pod[list]) {
        std::istringstream script(c["command"][2].get<std::string>());
        for (std::string line; std::getline(script, line);) {
          if (line.rfind("grep -qF '\"fingerprint\"", 0) == 0) continue;
          ++lines;
          EXPECT_NE(text.find(line), std::string::npos)
              << example << " lacks this line of " << generated << ":\n"
              << line;
        }
      }
    }
    EXPECT_GT(lines, 2u) << generated;
  }
}

TEST_F(K8sManifestsCliTest, RefusesWhatWouldNotRun) {
  MakePlan(/*with_endpoints=*/true);
  CliRun run = RunShardkit(ManifestArgs({0, 2}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("plan source 1 "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--source-pvc 1=CLAIM"), std::string::npos) << run.err;
  run = RunShardkit(ManifestArgs({0, 1, 2, 3}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--source-pvc 3="), std::string::npos) << run.err;
  std::vector<std::string> args = ManifestArgs({0, 1, 2});
  args[4] = "other-namespace";
  run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("expected \"redis-0.redis.other-namespace.svc.cluster.local:6379\""),
            std::string::npos)
      << run.err;
  args = ManifestArgs({0, 1, 2});
  args.insert(args.end(), {"--storage-size", "50 GB"});
  run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--storage-size 50 GB: expected a quantity"), std::string::npos)
      << run.err;
  // A stale manifest in --out would be applied with the new ones.
  const std::string out = dir_.File("stale");
  fs::create_directories(out);
  testing::WriteFileOrDie(out + "/10-redis-split-source-7.json", "{}");
  args = ManifestArgs({0, 1, 2});
  args.insert(args.end(), {"--out", out});
  run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("10-redis-split-source-7.json"), std::string::npos) << run.err;
  const CliRun help = RunShardkit({"k8s-manifests", "--help"});
  EXPECT_NE(help.out.find("Exit codes: 0 written; 1 plan.json corrupt; 2"), std::string::npos)
      << help.out;
}

TEST_F(K8sManifestsCliTest, PlanWithoutPodEndpointsIsRefused) {
  MakePlan(/*with_endpoints=*/false);
  const CliRun run = RunShardkit(ManifestArgs({0, 1, 2}));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("plan node 0 has endpoint \"\""), std::string::npos) << run.err;
}

// The validator bites: each broken object is rejected, naming what is wrong.
TEST_F(K8sManifestsValidateTest, BrokenManifestsAreRejected) {
  const std::string pod =
      "      restartPolicy: Never\n"
      "      containers:\n"
      "        - name: a\n"
      "          image: shardkit:test\n"
      "          resources: {requests: {cpu: 10m}}\n";
  const std::string job_head =
      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  template:\n    spec:\n";
  auto job = [&](const std::string& name, const std::string& body) {
    std::string head = job_head;
    head.replace(head.find("%s"), 2, name);
    return head + body;
  };
  struct Broken {
    std::string name;
    std::string yaml;
    std::string why;
  };
  const std::vector<Broken> broken = {
      {"sound", job("sound", pod), ""},
      {"replicas-text",
       "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: replicas-text}\nspec:\n"
       "  replicas: three\n  serviceName: x\n  selector: {matchLabels: {a: b}}\n"
       "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n"
       "        - {name: a, image: b, resources: {requests: {cpu: 1m}}}\n",
       "replicas must be integer"},
      {"no-container-name",
       job("no-container-name",
           "      restartPolicy: Never\n      containers:\n"
           "        - image: b\n"),
       "must have required property name"},
      {"unknown-field",
       job("unknown-field", pod + "          volumeMounts: [{name: v, mountPath: /v, readonly: "
                                  "true}]\n      volumes: [{name: v, emptyDir: {}}]\n"),
       "/readonly: unknown field"},
      {"restart-always",
       job("restart-always",
           "      restartPolicy: Always\n      containers:\n"
           "        - {name: a, image: b, resources: {requests: {cpu: 1m}}}\n"),
       "restartPolicy: a Job's pods need Never or OnFailure"},
      {"mount-without-volume",
       job("mount-without-volume", pod + "          volumeMounts: [{name: old-0, mountPath: "
                                         "/old/0, readOnly: true}]\n"),
       "volumeMount old-0 names no volume"},
      {"old-volume-writable",
       job("old-volume-writable",
           pod + "          volumeMounts: [{name: old-0, mountPath: /old/0, readOnly: true}]\n"
                 "      volumes: [{name: old-0, persistentVolumeClaim: {claimName: c}}]\n"),
       "an old node's volume must be a readOnly claim"},
  };
  std::string all;
  for (const Broken& b : broken) all += "---\n" + b.yaml;
  testing::WriteFileOrDie(dir_.File("broken.yaml"), all);
  const CliRun run = Validate({dir_.File("broken.yaml")});
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_NE(run.out.find("7 objects, 6 invalid"), std::string::npos) << run.out;
  for (const Broken& b : broken) {
    const std::string line_start = b.why.empty() ? "ok " : "INVALID ";
    const size_t at = run.out.find("/" + b.name + (b.why.empty() ? "\n" : ": "));
    ASSERT_NE(at, std::string::npos) << b.name << "\n" << run.out;
    const size_t line = run.out.rfind('\n', at) + 1;
    const std::string text = run.out.substr(line, run.out.find('\n', at) - line);
    EXPECT_EQ(text.rfind(line_start, 0), 0u) << text;
    EXPECT_NE(text.find(b.why), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace shardkit
