#include "loader/nodes_conf.h"

#include <gtest/gtest.h>

#include "loader/cluster_topology.h"
#include "tests/support/temp_dir.h"

namespace shardkit::loader {
namespace {

std::string Ex41(int port) {
  return testing::CorpusDir() + "/Albert0i__RU301/Ex-4.1/" + std::to_string(port) + "/nodes.conf";
}

TEST(NodesConfTest, ParsesRealRedis72ClusterFile) {
  std::string text = testing::ReadFileOrDie(Ex41(7000));
  auto conf = ParseNodesConf(text, "7000/nodes.conf");
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_EQ(conf->nodes.size(), 8u);
  EXPECT_EQ(conf->current_epoch, 7u);
  const ClusterNode* me = conf->myself();
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(me->id, "8707764c57248441952491fc7f3dd11eabc07407");
  EXPECT_EQ(me->port, 7000);
  EXPECT_EQ(me->cluster_port, 17000);
  EXPECT_TRUE(me->is_master());
  EXPECT_EQ(me->config_epoch, 1u);
  EXPECT_EQ(me->slots.ToString(), "1365-5460");
  const ClusterNode* failed = conf->Find("7b0a59ad33221f22bf6e2bc8f98ff83ef480b0c1");
  ASSERT_NE(failed, nullptr);
  EXPECT_TRUE(failed->HasFlag("fail"));
  EXPECT_EQ(failed->slots.ToString(), "0-1364 5461-6826 10923-12287");
  const ClusterNode* replica = conf->Find("ad90852ef2fb07376b059eae5f02ea285d601869");
  ASSERT_NE(replica, nullptr);
  EXPECT_TRUE(replica->is_replica());
  EXPECT_EQ(replica->master_id, me->id);
  EXPECT_EQ(replica->address_aux,
            ",tls-port=0,shard-id=4d8735a0fd787f72e68ce6e87d449f4e86ab91a3");
}

TEST(NodesConfTest, FormatThenParseKeepsEveryField) {
  auto conf = ParseNodesConf(testing::ReadFileOrDie(Ex41(7001)), "x");
  ASSERT_TRUE(conf.ok());
  std::string text = FormatNodesConf(*conf);
  auto again = ParseNodesConf(text, "y");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  ASSERT_EQ(again->nodes.size(), conf->nodes.size());
  for (size_t i = 0; i < conf->nodes.size(); ++i) {
    EXPECT_EQ(again->nodes[i].id, conf->nodes[i].id);
    EXPECT_EQ(again->nodes[i].slots, conf->nodes[i].slots);
    EXPECT_EQ(again->nodes[i].flags, conf->nodes[i].flags);
    EXPECT_EQ(again->nodes[i].master_id, conf->nodes[i].master_id);
    EXPECT_EQ(again->nodes[i].address_aux, conf->nodes[i].address_aux);
  }
  EXPECT_EQ(FormatNodesConf(*again), text);
}

TEST(NodesConfTest, MigratingEntriesAreKeptButNotOwned) {
  std::string line =
      "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001 myself,master - 0 0 1 "
      "connected 0-10 [11->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\nvars currentEpoch 1 "
      "lastVoteEpoch 0\n";
  auto conf = ParseNodesConf(line, "m");
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_EQ(conf->nodes[0].slots.ToString(), "0-10");
  ASSERT_EQ(conf->nodes[0].migrations.size(), 1u);
}

TEST(NodesConfTest, BadLinesNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"", "no node lines"},
      {"abc 1.2.3.4:1@2 master - 0 0 1 connected\n", "line 1: bad node id"},
      {"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:x@2 master - 0 0 1 connected\n",
       "bad address"},
      {"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0 1 connected 5-16384\n",
       "bad slot range"},
      {"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 1.2.3.4:1@2 master - 0 0\n", "need 8+"},
  };
  for (const Case& c : cases) {
    auto conf = ParseNodesConf(c.text, "vol/nodes.conf");
    ASSERT_FALSE(conf.ok()) << c.text;
    EXPECT_TRUE(conf.status().IsCorruption());
    EXPECT_NE(conf.status().message().find(c.expect), std::string::npos)
        << conf.status().ToString();
    EXPECT_NE(conf.status().message().find("vol/nodes.conf"), std::string::npos);
  }
}

TEST(ClusterTopologyTest, MergesEightRealFilesByHighestEpoch) {
  std::vector<NamedNodesConf> files;
  for (int port = 7000; port <= 7007; ++port) {
    auto conf = ParseNodesConf(testing::ReadFileOrDie(Ex41(port)), Ex41(port));
    ASSERT_TRUE(conf.ok()) << conf.status().ToString();
    files.push_back({Ex41(port), std::move(*conf)});
  }
  ClusterTopology topo = MergeTopology(files);
  EXPECT_TRUE(topo.conflicts.empty());
  EXPECT_EQ(topo.unowned_slots(), 0u);
  ASSERT_EQ(topo.shards.size(), 4u);
  // Sorted by first slot: the failed master (epoch 7) owns slot 0.
  EXPECT_EQ(topo.shards[0].master_id, "7b0a59ad33221f22bf6e2bc8f98ff83ef480b0c1");
  EXPECT_EQ(topo.shards[0].config_epoch, 7u);
  EXPECT_EQ(topo.shards[0].slots.count(), 1365u + 1366u + 1365u);
  EXPECT_EQ(topo.shards[1].master_id, "8707764c57248441952491fc7f3dd11eabc07407");
  ASSERT_EQ(topo.shards[1].replica_ids.size(), 1u);
  EXPECT_EQ(topo.shards[1].replica_ids[0], "ad90852ef2fb07376b059eae5f02ea285d601869");
  const OldShard* s = topo.ShardOfNode("ad90852ef2fb07376b059eae5f02ea285d601869");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->master_id, topo.shards[1].master_id);
}

TEST(ClusterTopologyTest, StaleViewLosesToHigherEpochAndTiesAreReported) {
  const std::string a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  auto stale = ParseNodesConf(a + " 1.1.1.1:1@2 myself,master - 0 0 3 connected 0-100\n", "a");
  auto fresh = ParseNodesConf(b + " 1.1.1.2:1@2 myself,master - 0 0 5 connected 50-60\n", "b");
  ASSERT_TRUE(stale.ok() && fresh.ok());
  ClusterTopology topo = MergeTopology({{"a", *stale}, {"b", *fresh}});
  EXPECT_EQ(topo.shards.size(), 2u);
  EXPECT_EQ(topo.shards[topo.slot_shard[55]].master_id, b);
  EXPECT_EQ(topo.shards[topo.slot_shard[49]].master_id, a);
  EXPECT_EQ(topo.shards[topo.slot_shard[61]].master_id, a);
  EXPECT_TRUE(topo.conflicts.empty());

  auto tie = ParseNodesConf(b + " 1.1.1.2:1@2 myself,master - 0 0 3 connected 100\n", "c");
  ASSERT_TRUE(tie.ok());
  ClusterTopology t2 = MergeTopology({{"a", *stale}, {"c", *tie}});
  ASSERT_EQ(t2.conflicts.size(), 1u);
  EXPECT_NE(t2.conflicts[0].find("same config epoch 3"), std::string::npos);
  EXPECT_EQ(t2.shards[t2.slot_shard[100]].master_id, a);  // smaller id wins
}

}  // namespace
}  // namespace shardkit::loader
