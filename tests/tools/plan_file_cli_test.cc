// `shardkit recover --plan` on plan files whose numbers are not integers of
// the field's type: a plan made by `shardkit plan` over a real corpus volume,
// with one number replaced. Each is refused as a corrupt plan naming the
// field (exit 1, nothing written), never converted with undefined behaviour
// (fuzz_plan_json found "bytes": 111111111111111111148, which JSON parses as
// a double, cast to uint64_t).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

namespace fs = std::filesystem;
using shardkit::testing::CliRun;
using shardkit::testing::RunShardkit;
using shardkit::testing::TempDir;

// A real old-cluster volume of the public corpus (RU301 exercise 4.1).
const std::string kVolume = std::string(SHARDKIT_SOURCE_DIR) +
                            "/../shared/corpus/public/Albert0i__RU301/Ex-4.1/7002";

class PlanFileCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kVolume + "/dump.rdb")) GTEST_SKIP() << "corpus volume missing: " << kVolume;
    const CliRun plan = RunShardkit({"plan", "--nodes", "2", "--allow-missing-shards", "--out",
                                     dir_.File("plan.json"), kVolume});
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    plan_ = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("plan.json")));
    ASSERT_TRUE(plan_.at("nodes").is_array() && plan_.at("nodes").size() == 2u);
  }

  // Writes the plan with `edit` applied as text (so a number JSON cannot
  // hold as an integer stays as written) and runs recover on it.
  CliRun RecoverWith(const std::string& path_in_plan, const std::string& raw_number) {
    nlohmann::json edited = plan_;
    const std::string marker = "\"@number@\"";
    edited[nlohmann::json::json_pointer(path_in_plan)] = "@number@";
    std::string text = edited.dump(2);
    text.replace(text.find(marker), marker.size(), raw_number);
    const std::string file = dir_.File("edited.json");
    testing::WriteFileOrDie(file, text);
    return RunShardkit({"recover", "--plan", file, "--out", dir_.File("out")});
  }

  TempDir dir_{"shardkit-plan-file"};
  nlohmann::json plan_;
};

TEST_F(PlanFileCliTest, TheUnchangedPlanRecovers) {
  const CliRun run = RecoverWith("/nodes/1/bytes", plan_["nodes"][1]["bytes"].dump());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir_.File("out/node-1")));
}

TEST_F(PlanFileCliTest, NumbersThatAreNotIntegersOfTheFieldAreRefusedByName) {
  struct Case {
    std::string field_path;
    std::string number;
    std::string field;
  };
  const Case cases[] = {
      {"/nodes/1/bytes", "111111111111111111148", "\"bytes\""},  // the fuzz input: a double
      {"/nodes/1/keys", "2.5", "\"keys\""},
      {"/nodes/0/index", "1e300", "\"index\""},
      {"/nodes/0/index", "4294967296", "\"index\""},  // past int
      {"/sources/0/rdb_bytes", "-1", "\"rdb_bytes\""},
      {"/sources/0/files/0/mtime_ms", "1.0e19", "\"mtime_ms\""},
      {"/format", "1.5", "\"format\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field_path + " = " + c.number);
    const CliRun run = RecoverWith(c.field_path, c.number);
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(c.field + " must be an integer"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("edited.json"), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(dir_.File("out/node-0"))) << "a refused plan wrote output";
  }
}

// A plan written before replicas existed has no "role": every node is a
// master, and it recovers as before.
TEST_F(PlanFileCliTest, NodesWithoutARoleAreMasters) {
  nlohmann::json old = plan_;
  for (auto& n : old["nodes"]) n.erase("role");
  testing::WriteFileOrDie(dir_.File("old.json"), old.dump(2));
  const CliRun run = RunShardkit({"recover", "--plan", dir_.File("old.json"), "--out",
                                  dir_.File("out"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto report = nlohmann::json::parse(run.out);
  ASSERT_EQ(report["nodes"].size(), 2u);
  for (const auto& n : report["nodes"]) {
    EXPECT_EQ(n["role"], "master");
    EXPECT_FALSE(n.contains("resync"));
  }
}

TEST_F(PlanFileCliTest, ReplicaRolesAreChecked) {
  const CliRun plan = RunShardkit({"plan", "--nodes", "2", "--replicas", "1",
                                   "--allow-missing-shards", "--out", dir_.File("r.json"),
                                   kVolume});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const nlohmann::json good = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("r.json")));
  ASSERT_EQ(good["nodes"].size(), 4u);
  EXPECT_EQ(good["nodes"][1]["role"], "master");
  EXPECT_EQ(good["nodes"][3]["role"], "replica");
  EXPECT_EQ(good["nodes"][3]["master"], good["nodes"][1]["node_id"]);
  EXPECT_EQ(good["nodes"][3]["slot_count"], 0);
  struct Case {
    std::string what;
    std::function<void(nlohmann::json&)> edit;
    std::string error;
  };
  const Case cases[] = {
      {"unknown role", [](nlohmann::json& p) { p["nodes"][2]["role"] = "witness"; },
       "has role \"witness\""},
      {"master naming a master",
       [](nlohmann::json& p) { p["nodes"][0]["master"] = p["nodes"][1]["node_id"]; },
       "is a master but names a master"},
      {"replica of a replica",
       [](nlohmann::json& p) { p["nodes"][2]["master"] = p["nodes"][3]["node_id"]; },
       "which is not a master of this plan"},
      {"replica without master", [](nlohmann::json& p) { p["nodes"][2].erase("master"); },
       "master"},
      {"replica owning slots",
       [](nlohmann::json& p) {
         p["nodes"][2]["slots"] = p["nodes"][0]["slots"];
         p["nodes"][0]["slots"] = nlohmann::json::array();
       },
       "owns slots"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    nlohmann::json bad = good;
    c.edit(bad);
    testing::WriteFileOrDie(dir_.File("bad.json"), bad.dump(2));
    const CliRun run =
        RunShardkit({"recover", "--plan", dir_.File("bad.json"), "--out", dir_.File("out")});
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(c.error), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(dir_.File("out/node-0"))) << "a refused plan wrote output";
  }
}

// plan.json's "shape": a cluster plan says "cluster", and a plan without the
// field (written before shapes) is one; --standalone says "standalone", with
// one master; a shape recover does not know, or a standalone plan with two
// masters, is refused as corrupt.
TEST_F(PlanFileCliTest, TheTargetShapeIsRecordedAndChecked) {
  EXPECT_EQ(plan_["shape"], "cluster");
  nlohmann::json old = plan_;
  old.erase("shape");
  testing::WriteFileOrDie(dir_.File("old.json"), old.dump(2));
  const CliRun run = RunShardkit({"recover", "--plan", dir_.File("old.json"), "--out",
                                  dir_.File("out"), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["shape"], "cluster");

  const CliRun st = RunShardkit({"plan", "--standalone", "--replicas", "1",
                                 "--allow-missing-shards", "--out", dir_.File("s.json"), kVolume});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const nlohmann::json standalone =
      nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("s.json")));
  EXPECT_EQ(standalone["shape"], "standalone");
  ASSERT_EQ(standalone["nodes"].size(), 2u);
  EXPECT_EQ(standalone["nodes"][0]["slot_count"], 16384);
  EXPECT_NE(standalone["fingerprint"], plan_["fingerprint"]);
  // check compares clusters only: a standalone plan is refused before any
  // node is contacted (exit 3, not an unreachable node's 2), saying why.
  const CliRun check = RunShardkit({"check", "--plan", dir_.File("s.json"), "--wait", "0"});
  EXPECT_EQ(check.exit_code, 3) << check.err;
  EXPECT_NE(check.err.find("a standalone plan"), std::string::npos) << check.err;

  EXPECT_EQ(RunShardkit({"plan", "--standalone", "--nodes", "2", kVolume}).exit_code, 2);
  // One volume named twice, however spelled, is refused by name.
  const CliRun twice =
      RunShardkit({"plan", "--allow-missing-shards", "--nodes", "1", kVolume, kVolume + "/."});
  EXPECT_EQ(twice.exit_code, 2) << twice.err;
  EXPECT_NE(twice.err.find("is given twice"), std::string::npos) << twice.err;
  EXPECT_EQ(RunShardkit({"plan", "--allow-missing-shards", kVolume}).exit_code, 2)
      << "neither --nodes nor --standalone";

  nlohmann::json unknown = plan_;
  unknown["shape"] = "ring";
  testing::WriteFileOrDie(dir_.File("bad.json"), unknown.dump(2));
  CliRun bad = RunShardkit({"recover", "--plan", dir_.File("bad.json"), "--out", dir_.File("o2")});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("shape \"ring\""), std::string::npos) << bad.err;
  nlohmann::json two = plan_;  // two masters
  two["shape"] = "standalone";
  testing::WriteFileOrDie(dir_.File("bad.json"), two.dump(2));
  bad = RunShardkit({"recover", "--plan", dir_.File("bad.json"), "--out", dir_.File("o2")});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("expected 1"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir_.File("o2/node-0"))) << "a refused plan wrote output";
}

// A comma-separated list option takes one word: the volumes after it stay
// volumes (`plan --endpoints a,b DIR` used to read DIR as a third endpoint
// and then refuse: "dirs ... are required"). Repeating the option adds to
// the list.
TEST_F(PlanFileCliTest, AListOptionBeforeTheVolumesLeavesThemVolumes) {
  CliRun run = RunShardkit({"plan", "--nodes", "2", "--allow-missing-shards", "--out",
                            dir_.File("listed.json"), "--endpoints",
                            "127.0.0.1:7000,127.0.0.1:7001", "--weights", "1,3", kVolume});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json plan = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("listed.json")));
  ASSERT_EQ(plan["nodes"].size(), 2u);
  EXPECT_EQ(plan["nodes"][0]["endpoint"], "127.0.0.1:7000");
  EXPECT_EQ(plan["nodes"][1]["endpoint"], "127.0.0.1:7001");
  EXPECT_LT(plan["nodes"][0]["slot_count"].get<int>(), plan["nodes"][1]["slot_count"].get<int>());
  run = RunShardkit({"plan", "--nodes", "2", "--allow-missing-shards", "--out",
                     dir_.File("repeated.json"), "--endpoints", "127.0.0.1:7000", "--endpoints",
                     "127.0.0.1:7001", kVolume});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  plan = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("repeated.json")));
  EXPECT_EQ(plan["nodes"][1]["endpoint"], "127.0.0.1:7001");
}

}  // namespace
}  // namespace shardkit
