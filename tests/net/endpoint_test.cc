// net/endpoint.h and net/info_fields.h: parsing what plan.json, --endpoints
// and INFO replies hold.
#include "net/endpoint.h"

#include <gtest/gtest.h>

#include "net/info_fields.h"
#include "net/redis_value.h"

namespace shardkit::net {
namespace {

TEST(EndpointTest, AddressPortAndDefaultBusPort) {
  auto e = ParseEndpoint("10.0.0.7:6379");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "10.0.0.7");
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(e->bus_port, 16379);
  EXPECT_EQ(e->HostPort(), "10.0.0.7:6379");
}

TEST(EndpointTest, ExplicitBusPortAndIpv6) {
  auto e = ParseEndpoint("[::1]:7000@17777");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->bus_port, 17777);
  EXPECT_EQ(e->HostPort(), "[::1]:7000");
}

TEST(EndpointTest, HostNamesAreAcceptedAndKeptAsWritten) {
  auto e = ParseEndpoint("redis-0.redis.default.svc.cluster.local:6379");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->host, "redis-0.redis.default.svc.cluster.local");
  EXPECT_FALSE(IsIpAddress(e->host));
  EXPECT_TRUE(IsIpAddress("127.0.0.2"));
}

TEST(EndpointTest, BadEndpointsAreRefusedNamingThePart) {
  for (const char* bad : {"nohost", "host:", "host:0", "host:70000", "a b:6379", "h:6379@x",
                          "h:60000"}) {
    auto e = ParseEndpoint(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.status().ToString().find(bad), std::string::npos) << e.status().ToString();
  }
}

TEST(EndpointTest, ResolvesLocalhostAndKeepsAddresses) {
  auto a = ResolveEndpointHost("127.0.0.3");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, "127.0.0.3");
  auto l = ResolveEndpointHost("localhost");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_TRUE(*l == "127.0.0.1" || *l == "::1") << *l;
  auto n = ResolveEndpointHost("no-such-host.invalid");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().ToString().find("no-such-host.invalid"), std::string::npos);
}

TEST(InfoFieldsTest, ParsesLinesAndSkipsSections) {
  InfoFields f = ParseInfoFields("# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n\r\n");
  EXPECT_EQ(InfoField(f, "role"), "slave");
  EXPECT_EQ(InfoField(f, "master_link_status"), "up");
  EXPECT_EQ(InfoField(f, "absent"), "");
}

TEST(RedisValueTest, ErrorCodesMatchTheFirstWord) {
  RedisValue v;
  v.kind = RedisValue::Kind::kError;
  v.str = "LOADING Redis is loading the dataset in memory";
  EXPECT_TRUE(v.IsErrorCode("LOADING"));
  EXPECT_FALSE(v.IsErrorCode("LOAD"));
  EXPECT_EQ(v.ToString(), "(error) LOADING Redis is loading the dataset in memory");
}

}  // namespace
}  // namespace shardkit::net
