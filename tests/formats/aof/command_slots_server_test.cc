// Routing against the real thing: CLUSTER KEYSLOT of a redis-server 7.0
// started with cluster-enabled yes, for random keys with and without tags.
#include <gtest/gtest.h>

#include <random>

#include "formats/aof/command_keys.h"
#include "tests/support/redis_server.h"

namespace shardkit::formats::aof {
namespace {

std::string RandomKey(std::mt19937_64& rng) {
  static const char kAlphabet[] = "abcxyz019{}:._- \x01\xff";
  std::uniform_int_distribution<int> len(0, 24);
  std::uniform_int_distribution<int> pick(0, sizeof(kAlphabet) - 2);
  std::string key;
  for (int i = len(rng); i > 0; --i) key.push_back(kAlphabet[pick(rng)]);
  switch (rng() % 4) {
    case 0:
      key = "{" + key.substr(0, key.size() / 2) + "}" + key;  // a leading tag
      break;
    case 1:
      key = "user:{" + std::to_string(rng() % 1000) + "}:" + key;
      break;
    default:
      break;
  }
  return key;
}

TEST(CommandSlotsServerTest, SlotsMatchClusterKeyslotOfRealServer) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  testing::RedisServerOptions options;
  options.config = {{"cluster-enabled", "yes"}};
  // Cluster mode refuses ports above 55535 (its bus port is port + 10000);
  // the harness picks any free port, so retry a bounded number of times.
  auto server = testing::RedisServer::Start(options);
  for (int attempt = 0; attempt < 10 && !server.ok() &&
                        server.status().message().find("port number too high") != std::string::npos;
       ++attempt) {
    server = testing::RedisServer::Start(options);
  }
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint64_t seed = std::random_device{}();
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::string> keys = {"foo", "{user1000}.following", "foo{}{bar}", "{}foo", ""};
  for (int i = 0; i < 400; ++i) keys.push_back(RandomKey(rng));
  auto& client = (*server)->client();
  for (const auto& k : keys) ASSERT_TRUE(client.Append({"CLUSTER", "KEYSLOT", k}).ok());
  CommandKeys routed;
  for (const auto& k : keys) {
    auto reply = client.GetReply();
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_EQ(reply->kind, testing::RedisReply::Kind::kInteger) << reply->ToString();
    std::vector<std::string> cmd = {"SET", k, "v"};
    ASSERT_TRUE(ExtractKeys(cmd, &routed).ok());
    EXPECT_EQ(routed.slot, reply->integer) << "key \"" << k << "\"";
  }
}

}  // namespace
}  // namespace shardkit::formats::aof
