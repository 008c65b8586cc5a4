// The recovery spec parser (tools/recovery_spec.h): a good spec parses to
// what it says; every refusal is kInvalidArgument (exit 2) and names the
// field as a JSON path. CheckSpecVolumes refuses missing volumes and a
// volume claimed twice, comparing realpaths (a symlink or "a/../a" is the
// same volume).
#include "tools/recovery_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.h"

namespace shardkit::tools {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json GoodSpec() {
  return json::parse(R"({
    "format": 1,
    "databases": [
      {"name": "orders", "volumes": ["/v/a", "/v/b", "/v/c"], "shape": "cluster",
       "masters": 3, "replicas": 1,
       "endpoints": ["h0:7000", "h1:7000", "h2:7000", "h3:7000", "h4:7000", "h5:7000"],
       "weights": [1, 1, 2.5], "allow_missing_shards": true, "merge_standalone": false},
      {"name": "cache", "volumes": ["/v/cache"], "shape": "standalone"},
      {"name": "sessions.v2", "volumes": ["/v/s1"], "shape": "cluster", "masters": 2,
       "endpoints": "keep"}
    ]})");
}

Result<RecoverySpec> Parse(const json& j) { return ParseRecoverySpec(j.dump(), "spec.json"); }

// Expects a kInvalidArgument refusal whose message names `field`.
void ExpectRefused(const Result<RecoverySpec>& r, const std::string& field,
                   const std::string& also = "") {
  ASSERT_FALSE(r.ok()) << "accepted; expected a refusal naming " << field;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  const std::string msg(r.status().message());
  EXPECT_EQ(msg.rfind("spec.json: " + field + ": ", 0), 0u) << msg;
  if (!also.empty()) {
    EXPECT_NE(msg.find(also), std::string::npos) << msg;
  }
}

TEST(RecoverySpecTest, AGoodSpecParsesToWhatItSays) {
  auto r = Parse(GoodSpec());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->databases.size(), 3u);
  const DatabaseSpec& orders = r->databases[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.volumes.size(), 3u);
  EXPECT_EQ(orders.shape, SpecShape::kCluster);
  EXPECT_EQ(orders.masters, 3);
  EXPECT_EQ(orders.replicas, 1);
  EXPECT_EQ(orders.endpoints.size(), 6u);
  EXPECT_FALSE(orders.keep_endpoints);
  EXPECT_EQ(orders.weights, (std::vector<double>{1, 1, 2.5}));
  EXPECT_TRUE(orders.allow_missing_shards);
  EXPECT_FALSE(orders.merge_standalone);
  const DatabaseSpec& cache = r->databases[1];
  EXPECT_EQ(cache.shape, SpecShape::kStandalone);
  EXPECT_EQ(cache.masters, 1);
  EXPECT_EQ(cache.replicas, 0);
  EXPECT_TRUE(cache.endpoints.empty());
  EXPECT_TRUE(r->databases[2].keep_endpoints);
  EXPECT_EQ(r->Find("cache"), &r->databases[1]);
  EXPECT_EQ(r->Find("nope"), nullptr);
}

TEST(RecoverySpecTest, UnknownFieldsAreRefusedAtEveryLevel) {
  json j = GoodSpec();
  j["dtabases"] = json::array();
  ExpectRefused(Parse(j), "dtabases", "unknown field");
  j = GoodSpec();
  j["databases"][1]["replica"] = 1;
  ExpectRefused(Parse(j), "databases[1].replica", "unknown field");
  j = GoodSpec();
  j["databases"][0]["Masters"] = 3;
  ExpectRefused(Parse(j), "databases[0].Masters", "unknown field");
}

TEST(RecoverySpecTest, MissingRequiredFieldsAreNamed) {
  ExpectRefused(Parse(json::object()), "databases", "missing");
  for (const char* key : {"name", "volumes", "shape", "masters", "endpoints"}) {
    SCOPED_TRACE(key);
    json j = GoodSpec();
    j["databases"][0].erase(key);
    ExpectRefused(Parse(j), std::string("databases[0].") + key, "missing");
  }
  json j = GoodSpec();
  j["databases"] = json::array();
  ExpectRefused(Parse(j), "databases", "non-empty");
  j = GoodSpec();
  j["databases"][0]["volumes"] = json::array();
  ExpectRefused(Parse(j), "databases[0].volumes", "non-empty");
}

TEST(RecoverySpecTest, DuplicateNamesAreRefused) {
  json j = GoodSpec();
  j["databases"][2]["name"] = "orders";
  ExpectRefused(Parse(j), "databases[2].name", "databases[0]");
}

TEST(RecoverySpecTest, NamesMustBeSafeDirectoryNames) {
  for (const char* bad : {"..", ".", ".hidden", "a/b", "a b", "-x", "naïve", "a\\b", ""}) {
    SCOPED_TRACE(bad);
    json j = GoodSpec();
    j["databases"][1]["name"] = bad;
    ExpectRefused(Parse(j), "databases[1].name");
  }
  json j = GoodSpec();
  j["databases"][1]["name"] = std::string(65, 'a');
  ExpectRefused(Parse(j), "databases[1].name", "safe directory name");
  EXPECT_TRUE(IsSafeDatabaseName(std::string(64, 'a')));
  EXPECT_TRUE(IsSafeDatabaseName("A-1_b.c"));
}

TEST(RecoverySpecTest, TheEndpointCountMustBeMastersTimesOnePlusReplicas) {
  json j = GoodSpec();
  j["databases"][0]["endpoints"].erase(5);
  ExpectRefused(Parse(j), "databases[0].endpoints", "= 6 nodes");
  j = GoodSpec();
  j["databases"][0]["replicas"] = 0;  // 6 endpoints for 3 masters
  ExpectRefused(Parse(j), "databases[0].endpoints", "6 endpoints, but masters 3 x (1 + replicas 0) = 3");
}

TEST(RecoverySpecTest, BadEndpointsAreNamedByIndex) {
  json j = GoodSpec();
  j["databases"][0]["endpoints"][3] = "no-port";
  ExpectRefused(Parse(j), "databases[0].endpoints[3]", "host:port");
  j = GoodSpec();
  j["databases"][0]["endpoints"][4] = "h:70000";
  ExpectRefused(Parse(j), "databases[0].endpoints[4]", "host:port");
  j = GoodSpec();
  j["databases"][0]["endpoints"][5] = "h0:7000";
  ExpectRefused(Parse(j), "databases[0].endpoints[5]", "twice");
  j = GoodSpec();
  j["databases"][0]["endpoints"] = "old";
  ExpectRefused(Parse(j), "databases[0].endpoints", "\"keep\"");
  j = GoodSpec();
  j["databases"][0]["endpoints"] = 6;
  ExpectRefused(Parse(j), "databases[0].endpoints");
}

TEST(RecoverySpecTest, TypesAndRangesAreStrict) {
  struct Case {
    const char* key;
    json value;
  };
  for (const Case& c : {Case{"masters", 3.0}, Case{"masters", "3"}, Case{"masters", 0},
                        Case{"masters", 16385}, Case{"replicas", -1}, Case{"replicas", 17},
                        Case{"allow_missing_shards", 1}, Case{"merge_standalone", "yes"},
                        Case{"shape", "sharded"}, Case{"shape", 1},
                        Case{"weights", json::array({1, 1})}, Case{"weights", json::array({1, 0, 1})},
                        Case{"weights", "1,1,1"}, Case{"name", 7}}) {
    SCOPED_TRACE(std::string(c.key) + " = " + c.value.dump());
    json j = GoodSpec();
    j["databases"][0][c.key] = c.value;
    auto r = Parse(j);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("databases[0].") + c.key),
              std::string::npos)
        << r.status().ToString();
  }
  json j = GoodSpec();
  j["databases"][0]["volumes"][1] = 5;
  ExpectRefused(Parse(j), "databases[0].volumes[1]", "string");
  j = GoodSpec();
  j["format"] = 2;
  ExpectRefused(Parse(j), "format");
  j = GoodSpec();
  j["databases"][1] = "cache";
  ExpectRefused(Parse(j), "databases[1]", "object");
}

TEST(RecoverySpecTest, AStandaloneDatabaseIsOneMasterWithItsReplicas) {
  json j = GoodSpec();
  j["databases"][1]["masters"] = 1;
  EXPECT_TRUE(Parse(j).ok());
  j["databases"][1]["masters"] = 2;
  ExpectRefused(Parse(j), "databases[1].masters", "1 master");
  // As plan --standalone: replicas, with or without endpoints (master, then
  // replicas); never "keep" (a standalone volume has no nodes.conf).
  j = GoodSpec();
  j["databases"][1]["replicas"] = 1;
  auto with_replicas = Parse(j);
  ASSERT_TRUE(with_replicas.ok()) << with_replicas.status().ToString();
  EXPECT_EQ(with_replicas->databases[1].replicas, 1);
  j["databases"][1]["endpoints"] = json::array({"h:1", "h:2"});
  auto with_endpoints = Parse(j);
  ASSERT_TRUE(with_endpoints.ok()) << with_endpoints.status().ToString();
  EXPECT_EQ(with_endpoints->databases[1].endpoints.size(), 2u);
  j["databases"][1]["endpoints"] = json::array({"h:1"});
  ExpectRefused(Parse(j), "databases[1].endpoints", "2 nodes");
  j["databases"][1]["endpoints"] = "keep";
  ExpectRefused(Parse(j), "databases[1].endpoints", "nodes.conf");
  j = GoodSpec();
  j["databases"][1]["weights"] = json::array({1});
  ExpectRefused(Parse(j), "databases[1].weights");
}

TEST(RecoverySpecTest, NotJsonAndDuplicateKeysAreRefused) {
  auto r = ParseRecoverySpec("{\"databases\": [", "spec.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = ParseRecoverySpec("[]", "spec.json");
  ASSERT_FALSE(r.ok());
  std::string text = GoodSpec().dump();
  text.replace(text.find("\"masters\":3"), 0, "\"masters\":4,");
  ExpectRefused(ParseRecoverySpec(text, "spec.json"), "masters", "twice");
}

class RecoverySpecVolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"a", "b", "c"}) fs::create_directories(dir_.File(v));
  }
  RecoverySpec TwoDatabases(const std::string& first, const std::string& second) {
    json j = json::parse(R"({"databases": [
      {"name": "one", "volumes": [], "shape": "standalone"},
      {"name": "two", "volumes": [], "shape": "standalone"}]})");
    j["databases"][0]["volumes"].push_back(first);
    j["databases"][1]["volumes"].push_back(second);
    auto r = Parse(j);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RecoverySpec();
  }
  testing::TempDir dir_{"shardkit-spec-volumes"};
};

TEST_F(RecoverySpecVolumesTest, VolumesBecomeRealpathsRelativeToTheSpecDirectory) {
  RecoverySpec spec = TwoDatabases("a", dir_.File("b"));
  ASSERT_TRUE(CheckSpecVolumes(spec, dir_.path(), "spec.json").ok());
  EXPECT_EQ(spec.databases[0].volumes[0], fs::canonical(dir_.File("a")).string());
  EXPECT_EQ(spec.databases[1].volumes[0], fs::canonical(dir_.File("b")).string());
}

TEST_F(RecoverySpecVolumesTest, AVolumeClaimedByTwoDatabasesIsRefused) {
  fs::create_directory_symlink(dir_.File("a"), dir_.File("link-to-a"));
  RecoverySpec spec = TwoDatabases(dir_.File("a"), dir_.File("link-to-a"));
  Status s = CheckSpecVolumes(spec, dir_.path(), "spec.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("spec.json: databases[1].volumes[0]: ", 0), 0u)
      << s.ToString();
  EXPECT_NE(s.message().find("databases[0].volumes[0] (database \"one\")"), std::string::npos)
      << s.ToString();
  spec = TwoDatabases(dir_.File("b"), dir_.File("c/../b"));
  EXPECT_FALSE(CheckSpecVolumes(spec, dir_.path(), "spec.json").ok());
}

TEST_F(RecoverySpecVolumesTest, MissingAndNonDirectoryVolumesAreNamed) {
  RecoverySpec spec = TwoDatabases(dir_.File("a"), dir_.File("missing"));
  Status s = CheckSpecVolumes(spec, dir_.path(), "spec.json");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("databases[1].volumes[0]"), std::string::npos) << s.ToString();
  testing::WriteFileOrDie(dir_.File("file"), "x");
  spec = TwoDatabases(dir_.File("file"), dir_.File("a"));
  s = CheckSpecVolumes(spec, dir_.path(), "spec.json");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("databases[0].volumes[0]"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace shardkit::tools
