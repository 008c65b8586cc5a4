// `shardkit discover --volume-report OUT DIR` once per volume, then `shardkit
// plan --volume-reports R...`: the plan (and --discovery-out) must be the one
// `plan DIR...` writes for the same volumes, byte for byte, with the clock
// fixed (SHARDKIT_NOW_MS), for measured and estimated plans:
//   * a real 3-master Redis Cluster (redis-server 7.0) with a replica per
//     master, one master on AOF: every node's volume;
//   * a standalone master and its replica (one replication lineage), with
//     estimated reports and with full ones (which carry header scans too);
//   * standalone volumes of different lineages (seeded RDBs), where the
//     estimating plan reads standalone volumes in full: estimated reports are
//     refused (exit 2, naming them), full ones give the plan from the
//     directories; also beside an estimated report of a cluster volume;
//   * Redis Enterprise paths (node volumes with shard copies and an
//     unreadable CCS, and a shard file named directly);
// and the refusals, before anything is written: a report that is not JSON,
// of another format tag, truncated, with a missing or out-of-range field
// (exit 1, naming the file and the field), a volume in two reports and
// reports of the other estimate mode (exit 2, naming the files).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/enterprise_rdb.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/seeded_rdb.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace volume_reports_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Every process the test starts sees the same clock (expired-key counts and
// the plan's created_ms).
class FixedClock {
 public:
  FixedClock() { ::setenv("SHARDKIT_NOW_MS", "1893456000000", 1); }  // 2030-01-01
  ~FixedClock() { ::unsetenv("SHARDKIT_NOW_MS"); }
};

struct BothPlans {
  CliRun from_dirs;
  CliRun from_reports;
};

// One `discover --volume-report` per volume into work/<name>/report-I.json.
std::vector<std::string> MakeReports(TempDir& work, const std::string& name,
                                     const std::vector<std::string>& volumes, bool estimate) {
  fs::create_directories(work.File(name));
  std::vector<std::string> reports;
  for (size_t i = 0; i < volumes.size(); ++i) {
    reports.push_back(work.File(name + "/report-" + std::to_string(i) + ".json"));
    std::vector<std::string> args = {"discover", "--volume-report", reports.back()};
    if (estimate) args.push_back("--estimate");
    args.push_back(volumes[i]);
    const CliRun run = RunShardkit(args);
    EXPECT_EQ(run.exit_code, 0) << volumes[i] << ": " << run.err;
  }
  return reports;
}

// `plan <plan_args> DIR...` and `plan <plan_args> --volume-reports R...`,
// each with --out and --discovery-out in work/<name>/.
BothPlans PlanBothWays(TempDir& work, const std::string& name,
                       const std::vector<std::string>& volumes,
                       const std::vector<std::string>& reports,
                       const std::vector<std::string>& plan_args) {
  BothPlans out;
  fs::create_directories(work.File(name));
  for (const char* from : {"dirs", "reports"}) {
    const std::string f = from;
    std::vector<std::string> args = {"plan"};
    args.insert(args.end(), plan_args.begin(), plan_args.end());
    args.insert(args.end(),
                {"--out", work.File(name + "/plan-from-" + f + ".json"), "--discovery-out",
                 work.File(name + "/discovery-from-" + f + ".json")});
    if (f == "dirs") {
      args.insert(args.end(), volumes.begin(), volumes.end());
      out.from_dirs = RunShardkit(args);
    } else {
      args.push_back("--volume-reports");
      args.insert(args.end(), reports.begin(), reports.end());
      out.from_reports = RunShardkit(args);
    }
  }
  return out;
}

// Both plans succeeded and are the same bytes, and so are both discovery
// reports; returns the plan.
json ExpectSamePlan(TempDir& work, const std::string& name, const BothPlans& plans) {
  EXPECT_EQ(plans.from_dirs.exit_code, 0) << plans.from_dirs.err;
  EXPECT_EQ(plans.from_reports.exit_code, 0) << plans.from_reports.err;
  EXPECT_EQ(plans.from_dirs.err, plans.from_reports.err);  // the summary
  for (const char* what : {"plan", "discovery"}) {
    const std::string dirs = work.File(name + "/" + what + "-from-dirs.json");
    const std::string reports = work.File(name + "/" + what + "-from-reports.json");
    if (!fs::exists(dirs) || !fs::exists(reports)) {
      ADD_FAILURE() << name << ": " << what << " missing";
      return json();
    }
    const std::string a = ReadFileOrDie(dirs), b = ReadFileOrDie(reports);
    EXPECT_TRUE(a == b) << name << ": the " << what << " from reports differs:\n"
                        << json::diff(json::parse(a), json::parse(b)).dump(2);
  }
  return json::parse(ReadFileOrDie(work.File(name + "/plan-from-dirs.json")));
}

// ---------------------------------------------------------------------------
// A real cluster: 3 masters, a replica each, master 1 on AOF.

class PlanVolumeReportsClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    clock_ = new FixedClock();
    work_ = new TempDir("shardkit-volume-reports-cluster");
    RedisClusterOptions opt;
    opt.masters = 3;
    opt.replicas_per_master = 1;
    opt.node_config = {{}, {{"appendonly", "yes"}}, {}, {}, {{"appendonly", "yes"}}, {}};
    auto c = RedisCluster::Start(opt);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    RedisCluster& cluster = **c;
    for (int i = 0; i < 900; ++i) {
      const std::string k = "key:" + std::to_string(i);
      auto r = cluster.CommandForKey(k, {"SET", k, "value-" + std::to_string(i * 7919)});
      ASSERT_TRUE(r.ok() && !r->is_error()) << k;
      if (i % 9 == 0) {
        const std::string h = "hash:" + std::to_string(i);
        ASSERT_TRUE(cluster.CommandForKey(h, {"HSET", h, "f", std::to_string(i)}).ok());
      }
    }
    ASSERT_TRUE(cluster.WaitReplicas().ok());
    ASSERT_TRUE(cluster.SaveAll().ok());
    // Log commands after the saves: the AOF master's incr file has them.
    for (int i = 0; i < 100; ++i) {
      const std::string k = "late:" + std::to_string(i);
      ASSERT_TRUE(cluster.CommandForKey(k, {"SET", k, "x"}).ok());
    }
    ASSERT_TRUE(cluster.WaitReplicas().ok());
    for (RedisServer* s : cluster.nodes()) volumes_.push_back(s->dir());
    cluster.KillAll();
    cluster_ = c->release();  // its servers' directories are the volumes
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete work_;
    delete clock_;
    cluster_ = nullptr;
    work_ = nullptr;
    clock_ = nullptr;
    volumes_.clear();
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_EQ(volumes_.size(), 6u);
  }

  static FixedClock* clock_;
  static TempDir* work_;
  static RedisCluster* cluster_;
  static std::vector<std::string> volumes_;
};

FixedClock* PlanVolumeReportsClusterTest::clock_ = nullptr;
TempDir* PlanVolumeReportsClusterTest::work_ = nullptr;
RedisCluster* PlanVolumeReportsClusterTest::cluster_ = nullptr;
std::vector<std::string> PlanVolumeReportsClusterTest::volumes_;

TEST_F(PlanVolumeReportsClusterTest, MeasuredPlanIsThePlanFromTheDirectories) {
  const auto reports = MakeReports(*work_, "measured", volumes_, /*estimate=*/false);
  const BothPlans plans =
      PlanBothWays(*work_, "measured", volumes_, reports, {"--nodes", "4", "--replicas", "1"});
  const json plan = ExpectSamePlan(*work_, "measured", plans);
  ASSERT_EQ(plan["sources"].size(), 3u);
  EXPECT_EQ(plan["slot_bytes"], "measured");
  EXPECT_EQ(plan["strategy"], "balanced-contiguous");
  EXPECT_GT(plan["total_keys"].get<int>(), 0);
  // The other strategy too: as many masters as old shards.
  const BothPlans keep = PlanBothWays(*work_, "keep", volumes_, reports, {"--nodes", "3"});
  EXPECT_EQ(ExpectSamePlan(*work_, "keep", keep)["strategy"], "keep-shards");
}

TEST_F(PlanVolumeReportsClusterTest, EstimatedPlanIsThePlanFromTheDirectories) {
  const auto reports = MakeReports(*work_, "estimated", volumes_, /*estimate=*/true);
  const BothPlans plans =
      PlanBothWays(*work_, "estimated", volumes_, reports, {"--nodes", "5", "--estimate"});
  const json plan = ExpectSamePlan(*work_, "estimated", plans);
  EXPECT_EQ(plan["slot_bytes"], "estimated");
  // Reports of the other mode are refused, naming them.
  const auto full = MakeReports(*work_, "full", {volumes_[0]}, /*estimate=*/false);
  std::vector<std::string> mixed = reports;
  mixed[0] = full[0];
  std::vector<std::string> args = {
      "plan", "--nodes", "5", "--estimate", "--out", work_->File("mixed.json"), "--volume-reports"};
  args.insert(args.end(), mixed.begin(), mixed.end());
  CliRun run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(full[0]), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("remake them with --estimate"), std::string::npos) << run.err;
  args = {"plan", "--nodes", "5", "--out", work_->File("mixed.json"), "--volume-reports"};
  args.insert(args.end(), reports.begin(), reports.end());
  run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(reports[1]), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(work_->File("mixed.json")));
}

// ---------------------------------------------------------------------------
// A standalone master and its replica: one replication lineage.

class PlanVolumeReportsLineageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    clock_ = new FixedClock();
    work_ = new TempDir("shardkit-volume-reports-lineage");
    RedisServerOptions mopt;
    mopt.dir = work_->File("master");
    fs::create_directories(mopt.dir);
    auto master = RedisServer::Start(mopt);
    ASSERT_TRUE(master.ok()) << master.status().ToString();
    RedisServerOptions ropt;
    ropt.dir = work_->File("replica");
    fs::create_directories(ropt.dir);
    ropt.config = {{"replicaof", "127.0.0.1 " + std::to_string((*master)->port())}};
    auto replica = RedisServer::Start(ropt);
    ASSERT_TRUE(replica.ok()) << replica.status().ToString();
    ASSERT_TRUE((*replica)->WaitInfoField("replication", "master_link_status", "up").ok());
    for (int i = 0; i < 700; ++i) {
      ASSERT_TRUE((*master)->CommandOk({"SET", "s:" + std::to_string(i), std::to_string(i)}).ok());
    }
    auto acked = (*master)->CommandOk({"WAIT", "1", "10000"});
    ASSERT_TRUE(acked.ok() && acked->integer == 1);
    ASSERT_TRUE((*replica)->Save().ok());
    ASSERT_TRUE((*master)->CommandOk({"SET", "after", "the replica saved"}).ok());
    ASSERT_TRUE((*master)->Save().ok());
    (*replica)->Kill9();
    (*master)->Kill9();
  }
  static void TearDownTestSuite() {
    delete work_;
    delete clock_;
    work_ = nullptr;
    clock_ = nullptr;
  }
  void SetUp() override { SHARDKIT_REQUIRE_REDIS_SERVER(); }

  static FixedClock* clock_;
  static TempDir* work_;
};

FixedClock* PlanVolumeReportsLineageTest::clock_ = nullptr;
TempDir* PlanVolumeReportsLineageTest::work_ = nullptr;

TEST_F(PlanVolumeReportsLineageTest, MeasuredAndEstimatedPlansAreThePlansFromTheDirectories) {
  const std::vector<std::string> volumes = {work_->File("replica"), work_->File("master")};
  const auto full = MakeReports(*work_, "full", volumes, /*estimate=*/false);
  const auto estimated = MakeReports(*work_, "estimated", volumes, /*estimate=*/true);
  json plan =
      ExpectSamePlan(*work_, "full", PlanBothWays(*work_, "full", volumes, full, {"--nodes", "2"}));
  ASSERT_EQ(plan["sources"].size(), 1u);
  EXPECT_EQ(plan["sources"][0]["volume"], work_->File("master"));  // the fresher copy
  EXPECT_EQ(plan["total_keys"], 701);
  // One lineage and nothing else: the estimating plan reads headers only,
  // from estimated reports and from full ones (their header scans) alike.
  plan = ExpectSamePlan(
      *work_, "estimated",
      PlanBothWays(*work_, "estimated", volumes, estimated, {"--nodes", "2", "--estimate"}));
  EXPECT_EQ(plan["slot_bytes"], "estimated");
  ExpectSamePlan(*work_, "full",
                 PlanBothWays(*work_, "full", volumes, full, {"--nodes", "2", "--estimate"}));
}

// ---------------------------------------------------------------------------
// Volumes made without a server: seeded RDBs (no replication id, so each a
// lineage of its own), a volume of the public corpus's cluster, and Redis
// Enterprise paths of the public corpus's shard file.

class PlanVolumeReportsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int v = 0; v < 2; ++v) {
      const std::string volume = work_.File("standalone-" + std::to_string(v));
      fs::create_directories(volume);
      SeededRdbOptions options;
      options.seed = 700 + v;
      options.keys = 400;
      auto rdb = MakeSeededRdb(options);
      ASSERT_TRUE(rdb.ok()) << rdb.status().ToString();
      WriteFileOrDie(volume + "/dump.rdb", *rdb);
      standalone_.push_back(volume);
    }
  }

  CliRun Plan(const std::vector<std::string>& plan_args, const std::vector<std::string>& reports) {
    std::vector<std::string> args = {"plan"};
    args.insert(args.end(), plan_args.begin(), plan_args.end());
    args.insert(args.end(), {"--out", work_.File("refused-plan.json"), "--discovery-out",
                             work_.File("refused-discovery.json"), "--volume-reports"});
    args.insert(args.end(), reports.begin(), reports.end());
    return RunShardkit(args);
  }

  // The refused plan wrote nothing.
  void ExpectNothingWritten() {
    EXPECT_FALSE(fs::exists(work_.File("refused-plan.json")));
    EXPECT_FALSE(fs::exists(work_.File("refused-discovery.json")));
  }

  FixedClock clock_;
  TempDir work_{"shardkit-volume-reports-files"};
  std::vector<std::string> standalone_;
};

TEST_F(PlanVolumeReportsFilesTest, EstimatedReportsOfVolumesToReadInFullAreRefused) {
  const std::vector<std::string> plan_args = {"--nodes", "3", "--estimate", "--merge-standalone"};
  const auto estimated = MakeReports(work_, "estimated", standalone_, /*estimate=*/true);
  const CliRun run = Plan(plan_args, estimated);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  for (const std::string& r : estimated) EXPECT_NE(run.err.find(r), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("make the reports of these volumes without --estimate"), std::string::npos)
      << run.err;
  ExpectNothingWritten();
  // Made without --estimate, they serve it: the plan --estimate makes from
  // the directories (header scans, then the full read), byte for byte.
  const auto full = MakeReports(work_, "full", standalone_, /*estimate=*/false);
  const json plan =
      ExpectSamePlan(work_, "full", PlanBothWays(work_, "full", standalone_, full, plan_args));
  EXPECT_EQ(plan["slot_bytes"], "measured");  // the full read measured them
  // One of each: only the estimated one is named.
  const CliRun mixed = Plan(plan_args, {full[0], estimated[1]});
  EXPECT_EQ(mixed.exit_code, 2) << mixed.err;
  EXPECT_NE(mixed.err.find(estimated[1]), std::string::npos) << mixed.err;
  EXPECT_EQ(mixed.err.find(full[0]), std::string::npos) << mixed.err;
}

// Damage past an RDB's header: the estimating plan's header scan passes, its
// full read of the standalone volume fails; from a full report the volume is
// rejected the same way (the header scan kept, the full read's error).
TEST_F(PlanVolumeReportsFilesTest, DamagePastTheHeaderIsFoundAsFromTheDirectories) {
  const std::string damaged = work_.File("damaged");
  fs::create_directories(damaged);
  std::string bytes = ReadFileOrDie(standalone_[1] + "/dump.rdb");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  WriteFileOrDie(damaged + "/dump.rdb", bytes);
  const std::vector<std::string> volumes = {standalone_[0], damaged};
  const auto full = MakeReports(work_, "damaged", volumes, /*estimate=*/false);
  const json plan = ExpectSamePlan(
      work_, "damaged",
      PlanBothWays(work_, "damaged", volumes, full,
                   {"--nodes", "2", "--estimate", "--merge-standalone", "--allow-missing-shards"}));
  EXPECT_EQ(plan["sources"].size(), 1u);
  const json discovery =
      json::parse(ReadFileOrDie(work_.File("damaged/discovery-from-reports.json")));
  const json& source = discovery["volumes"][1]["sources"][0];
  EXPECT_EQ(source["usable"], false) << source.dump(2);
  EXPECT_EQ(source["scan"], "header") << source.dump(2);
}

TEST_F(PlanVolumeReportsFilesTest, EstimatedClusterVolumeBesideFullStandaloneReports) {
  const std::string cluster_volume = CorpusDir() + "/Albert0i__RU301/Ex-4.1/7002";
  if (!fs::exists(cluster_volume + "/nodes.conf")) GTEST_SKIP() << "corpus missing";
  const std::vector<std::string> volumes = {standalone_[0], cluster_volume, standalone_[1]};
  auto reports = MakeReports(work_, "mixed", volumes, /*estimate=*/false);
  reports[1] = MakeReports(work_, "mixed-cluster", {cluster_volume}, /*estimate=*/true)[0];
  const json plan = ExpectSamePlan(
      work_, "mixed",
      PlanBothWays(work_, "mixed", volumes, reports,
                   {"--nodes", "2", "--estimate", "--merge-standalone", "--allow-missing-shards"}));
  EXPECT_EQ(plan["sources"].size(), 3u);
  EXPECT_EQ(plan["slot_bytes"], "estimated");
  // Measured, from full reports of all three.
  const auto full = MakeReports(work_, "measured", volumes, /*estimate=*/false);
  ExpectSamePlan(work_, "measured",
                 PlanBothWays(work_, "measured", volumes, full,
                              {"--nodes", "2", "--merge-standalone", "--allow-missing-shards"}));
}

TEST_F(PlanVolumeReportsFilesTest, EnterprisePathsGiveThePlanFromThePaths) {
  const std::string shard = CorpusDir() + "/redis__librdb/redis_ent_opcode_ram_lru.rdb";
  if (!fs::exists(shard)) GTEST_SKIP() << "corpus missing: " << shard;
  // Node volumes: node-1 holds shard 2 and a CCS that is not one
  // (unreadable: a warning), node-2 shard 2's .prev copy (the file has a
  // replication id: one lineage).
  for (const char* p : {"node-1/redis/redis-2.rdb", "node-2/redis/redis-2.rdb.prev"}) {
    fs::create_directories(fs::path(work_.File(p)).parent_path());
    fs::copy_file(shard, work_.File(p));
  }
  fs::create_directories(work_.File("node-1/ccs"));
  WriteFileOrDie(work_.File("node-1/ccs/ccs-redis.rdb"), "not an RDB");
  const std::vector<std::string> nodes = {work_.File("node-1"), work_.File("node-2")};
  const auto full = MakeReports(work_, "nodes", nodes, /*estimate=*/false);
  json plan =
      ExpectSamePlan(work_, "nodes", PlanBothWays(work_, "nodes", nodes, full, {"--nodes", "2"}));
  ASSERT_EQ(plan["sources"].size(), 1u);
  EXPECT_NE(plan.dump().find("CCS " + work_.File("node-1/ccs/ccs-redis.rdb") + " unreadable"),
            std::string::npos)
      << plan["warnings"].dump(2);
  const json discovery =
      json::parse(ReadFileOrDie(work_.File("nodes/discovery-from-reports.json")));
  EXPECT_EQ(discovery["enterprise_volumes"].size(), 2u);
  EXPECT_EQ(discovery["ccs"].size(), 1u);
  // One lineage only: estimated reports serve the estimating plan.
  const auto estimated = MakeReports(work_, "nodes-estimated", nodes, /*estimate=*/true);
  ExpectSamePlan(
      work_, "nodes-estimated",
      PlanBothWays(work_, "nodes-estimated", nodes, estimated, {"--nodes", "2", "--estimate"}));

  // Shard files named directly (one database), one of them shard 5, made
  // Enterprise's from a seeded RDB (no replication id: another lineage).
  auto shard_5 =
      MakeEnterpriseRdb(ReadFileOrDie(standalone_[0] + "/dump.rdb"), EnterpriseRdbOptions());
  ASSERT_TRUE(shard_5.ok()) << shard_5.status().ToString();
  fs::create_directories(work_.File("loose"));
  WriteFileOrDie(work_.File("loose/redis-5.rdb"), *shard_5);
  const std::vector<std::string> files = {work_.File("node-1/redis/redis-2.rdb"),
                                          work_.File("node-2/redis/redis-2.rdb.prev"),
                                          work_.File("loose/redis-5.rdb")};
  const std::vector<std::string> plan_args = {"--nodes", "2", "--merge-standalone"};
  const auto file_reports = MakeReports(work_, "files", files, /*estimate=*/false);
  plan =
      ExpectSamePlan(work_, "files", PlanBothWays(work_, "files", files, file_reports, plan_args));
  ASSERT_EQ(plan["sources"].size(), 2u);
  // Estimated: two lineages, so the standalone copies are read in full:
  // full reports serve, estimated ones are refused.
  std::vector<std::string> estimate_args = plan_args;
  estimate_args.push_back("--estimate");
  ExpectSamePlan(work_, "files-estimated",
                 PlanBothWays(work_, "files-estimated", files, file_reports, estimate_args));
  const auto header_only = MakeReports(work_, "files-header", files, /*estimate=*/true);
  const CliRun run = Plan(estimate_args, header_only);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(header_only[2]), std::string::npos) << run.err;
  ExpectNothingWritten();
}

TEST_F(PlanVolumeReportsFilesTest, BadReportsAreRefusedNamingTheFileBeforeAnythingIsWritten) {
  const auto reports = MakeReports(work_, "good", standalone_, /*estimate=*/false);
  const std::string good = ReadFileOrDie(reports[0]);
  auto expect_refused = [&](const std::string& name, const std::string& text, int code,
                            const std::string& names_this) {
    SCOPED_TRACE(name);
    const std::string file = work_.File(name + ".json");
    WriteFileOrDie(file, text);
    const CliRun run = Plan({"--nodes", "2", "--merge-standalone"}, {reports[1], file});
    EXPECT_EQ(run.exit_code, code) << run.err;
    EXPECT_NE(run.err.find(file), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(names_this), std::string::npos) << run.err;
    ExpectNothingWritten();
  };
  expect_refused("not-json", "this is not JSON {", 1, "not JSON");
  expect_refused("truncated", good.substr(0, good.size() / 2), 1, "not JSON");
  json edited = json::parse(good);
  edited["format"] = "shardkit-volume-report 2";
  expect_refused("other-tag", edited.dump(), 1, "\"format\" is \"shardkit-volume-report 2\"");
  edited = json::parse(good);
  edited.erase("format");
  expect_refused("no-tag", edited.dump(), 1, "\"format\" is missing");
  edited = json::parse(good);
  edited["volumes"][0]["candidates"][0].erase("kind");
  expect_refused("missing-field", edited.dump(), 1, "volumes[0].candidates[0].kind: missing");
  edited = json::parse(good);
  edited["volumes"][0]["candidates"][0]["scan"]["flush_file"] = 3;
  expect_refused("flush-file", edited.dump(), 1, "volumes[0].candidates[0].scan.flush_file");
  edited = json::parse(good);
  edited["volumes"][0]["candidates"][0]["scan"]["keys"] = 2.5;
  expect_refused("not-integer", edited.dump(), 1, "volumes[0].candidates[0].scan.keys");
  edited = json::parse(good);
  edited["volumes"][0]["candidates"][0]["scan"]["present_slots"] = {{5, 16384}};
  expect_refused("slot", edited.dump(), 1, "present_slots[0]: bad slot range [5, 16384]");
  edited = json::parse(good);
  edited["volumes"][0]["candidates"][0]["health"] = {{"code", "Broken"}, {"message", "x"}};
  expect_refused("status-code", edited.dump(), 1, "health.code: \"Broken\" is none of");
  // The same volume twice: in two reports made apart, or one report twice.
  const auto again = MakeReports(work_, "again", {standalone_[1]}, /*estimate=*/false);
  const CliRun twice = Plan({"--nodes", "2"}, {reports[1], again[0]});
  EXPECT_EQ(twice.exit_code, 2) << twice.err;
  EXPECT_NE(twice.err.find("is in two reports, " + reports[1] + " and " + again[0]),
            std::string::npos)
      << twice.err;
  ExpectNothingWritten();
  const CliRun same = Plan({"--nodes", "2"}, {reports[0], reports[0]});
  EXPECT_EQ(same.exit_code, 2) << same.err;
  ExpectNothingWritten();
  // A missing report: exit 2, named.
  const CliRun missing = Plan({"--nodes", "2"}, {work_.File("nowhere.json")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find(work_.File("nowhere.json")), std::string::npos) << missing.err;
  ExpectNothingWritten();
}

TEST_F(PlanVolumeReportsFilesTest, UsageErrors) {
  const auto reports = MakeReports(work_, "usage", {standalone_[0]}, /*estimate=*/false);
  // One volume per report.
  CliRun run = RunShardkit(
      {"discover", "--volume-report", work_.File("two.json"), standalone_[0], standalone_[1]});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("exactly one volume"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(work_.File("two.json")));
  run =
      RunShardkit({"discover", "--volume-report", work_.File("q.json"), "--quick", standalone_[0]});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  // Reports and directories, or reports and --spec, are exclusive.
  run = RunShardkit({"plan", "--nodes", "2", "--volume-reports", reports[0], "--", standalone_[1]});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("cannot be given with --volume-reports"), std::string::npos) << run.err;
  run = RunShardkit({"plan", "--spec", work_.File("spec.json"), "--out", work_.File("plans"),
                     "--volume-reports", reports[0]});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("--volume-reports cannot be given with --spec"), std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace volume_reports_test
}  // namespace shardkit::testing
