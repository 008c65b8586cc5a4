// `shardkit plan --discovery-out FILE`: the discovery report from plan's own
// scan, so a bootstrapper that keeps both reads every source once. It must be
// what `discover --json` reports for the same volumes, be written even when
// the plan itself is refused (it says why), and fail cleanly when it cannot
// be written. Volumes: the 8-node old cluster of the public corpus (RU301
// exercise 4.1), read in place.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit {
namespace {

namespace fs = std::filesystem;
using shardkit::testing::CliRun;
using shardkit::testing::RunShardkit;
using shardkit::testing::TempDir;

const std::string kCluster =
    std::string(SHARDKIT_SOURCE_DIR) + "/../shared/corpus/public/Albert0i__RU301/Ex-4.1";

std::vector<std::string> Volumes() {
  std::vector<std::string> v;
  for (int port = 7000; port <= 7007; ++port) v.push_back(kCluster + "/" + std::to_string(port));
  return v;
}

class PlanDiscoveryOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kCluster + "/7000/nodes.conf")) GTEST_SKIP() << "corpus missing: " << kCluster;
  }
  TempDir dir_{"shardkit-plan-discovery"};
};

TEST_F(PlanDiscoveryOutTest, IsWhatDiscoverJsonReports) {
  std::vector<std::string> plan = {"plan", "--nodes", "3", "--out", dir_.File("plan.json"),
                                   "--discovery-out", dir_.File("discovery.json")};
  for (const std::string& v : Volumes()) plan.push_back(v);
  const CliRun planned = RunShardkit(plan);
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  std::vector<std::string> discover = {"discover", "--json"};
  for (const std::string& v : Volumes()) discover.push_back(v);
  const CliRun discovered = RunShardkit(discover);
  ASSERT_EQ(discovered.exit_code, 0) << discovered.err;

  const auto from_plan = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("discovery.json")));
  const auto from_discover = nlohmann::json::parse(discovered.out);
  ASSERT_EQ(from_discover["shards"].size(), 4u);  // 4 masters, 4 replicas
  EXPECT_EQ(from_plan, from_discover) << nlohmann::json::diff(from_discover, from_plan).dump(2);
  // And the plan is the one made without the option.
  std::vector<std::string> plain = {"plan", "--nodes", "3", "--out", dir_.File("plain-plan.json")};
  for (const std::string& v : Volumes()) plain.push_back(v);
  ASSERT_EQ(RunShardkit(plain).exit_code, 0);
  auto with = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("plan.json")));
  auto without = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("plain-plan.json")));
  with.erase("created_ms");  // when each plan was made
  without.erase("created_ms");
  EXPECT_EQ(with, without);
}

TEST_F(PlanDiscoveryOutTest, IsWrittenWhenThePlanIsRefused) {
  // One volume only: the other shards have no source (exit 2).
  const CliRun planned = RunShardkit({"plan", "--nodes", "3", "--out", dir_.File("plan.json"),
                                      "--discovery-out", dir_.File("discovery.json"),
                                      kCluster + "/7002"});
  EXPECT_EQ(planned.exit_code, 2) << planned.err;
  EXPECT_NE(planned.err.find("no usable source"), std::string::npos) << planned.err;
  EXPECT_FALSE(fs::exists(dir_.File("plan.json")));
  const auto report = nlohmann::json::parse(testing::ReadFileOrDie(dir_.File("discovery.json")));
  ASSERT_EQ(report["volumes"].size(), 1u);
  EXPECT_EQ(report["shards"].size(), 4u);
}

TEST_F(PlanDiscoveryOutTest, AnUnwritablePathFailsNamingItAndWritesNoPlan) {
  const std::string bad = dir_.File("no-such-dir/discovery.json");
  std::vector<std::string> plan = {"plan", "--nodes", "3", "--out", dir_.File("plan.json"),
                                   "--discovery-out", bad};
  for (const std::string& v : Volumes()) plan.push_back(v);
  const CliRun planned = RunShardkit(plan);
  EXPECT_EQ(planned.exit_code, 2) << planned.err;
  EXPECT_NE(planned.err.find(bad), std::string::npos) << planned.err;
  EXPECT_FALSE(fs::exists(dir_.File("plan.json")));
}

}  // namespace
}  // namespace shardkit
