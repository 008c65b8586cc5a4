#include "loader/slot_plan.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace shardkit::loader {
namespace {

// Every slot belongs to exactly one node.
void ExpectPartition(const SlotPlan& plan) {
  for (int s = 0; s < kSlotCount; ++s) {
    int owners = 0;
    for (const PlannedNode& n : plan.nodes) owners += n.slots.Contains(s) ? 1 : 0;
    ASSERT_EQ(owners, 1) << "slot " << s;
  }
}

TEST(SlotPlanTest, BalancesSkewedBytesIntoContiguousRanges) {
  PlanRequest req;
  req.node_count = 5;
  std::mt19937_64 rng(42);
  for (int s = 0; s < kSlotCount; ++s) {
    // The first quarter of the slots holds most of the bytes.
    req.stats.bytes[s] = (s < 4096 ? 10000 : 100) + rng() % 50;
    req.stats.keys[s] = 1;
  }
  auto plan = MakeSlotPlan(req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ExpectPartition(*plan);
  EXPECT_EQ(plan->strategy, "balanced-contiguous");
  const double ideal = static_cast<double>(plan->total_bytes) / 5;
  for (const PlannedNode& n : plan->nodes) {
    EXPECT_EQ(n.slots.Ranges().size(), 1u) << "node " << n.index << " not contiguous";
    EXPECT_NEAR(static_cast<double>(n.bytes), ideal, ideal * 0.01) << "node " << n.index;
    EXPECT_EQ(n.node_id.size(), 40u);
  }
  EXPECT_EQ(plan->total_keys, static_cast<uint64_t>(kSlotCount));
}

TEST(SlotPlanTest, IsDeterministicAndIdsDifferPerInput) {
  PlanRequest req;
  req.node_count = 3;
  req.stats.bytes.fill(7);
  auto a = MakeSlotPlan(req);
  auto b = MakeSlotPlan(req);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a->nodes[i].node_id, b->nodes[i].node_id);
    EXPECT_EQ(a->nodes[i].slots, b->nodes[i].slots);
  }
  EXPECT_NE(a->nodes[0].node_id, a->nodes[1].node_id);
  req.stats.bytes[5] = 8;
  auto c = MakeSlotPlan(req);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->nodes[0].node_id, a->nodes[0].node_id);
}

TEST(SlotPlanTest, WeightsShiftTheShare) {
  PlanRequest req;
  req.node_count = 2;
  req.weights = {3, 1};
  req.stats.bytes.fill(1);
  auto plan = MakeSlotPlan(req);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->nodes[0].slots.count(), 12288u);
  EXPECT_EQ(plan->nodes[1].slots.count(), 4096u);
}

TEST(SlotPlanTest, EmptyDataSplitsSlotsEvenlyAndEveryNodeGetsOne) {
  PlanRequest req;
  req.node_count = 3;
  auto plan = MakeSlotPlan(req);
  ASSERT_TRUE(plan.ok());
  ExpectPartition(*plan);
  EXPECT_EQ(plan->nodes[0].slots.ToString(), "0-5460");
  EXPECT_EQ(plan->nodes[1].slots.ToString(), "5461-10922");
  EXPECT_EQ(plan->nodes[2].slots.ToString(), "10923-16383");

  PlanRequest one_hot;
  one_hot.node_count = 4;
  one_hot.stats.bytes[0] = 1000000;  // all bytes in slot 0
  auto p2 = MakeSlotPlan(one_hot);
  ASSERT_TRUE(p2.ok());
  ExpectPartition(*p2);
  for (const PlannedNode& n : p2->nodes) EXPECT_GE(n.slots.count(), 1u);
}

TEST(SlotPlanTest, SameCountKeepsOldShardsAndAssignsOrphans) {
  PlanRequest req;
  req.node_count = 2;
  SlotSet a, b;
  a.AddRange({0, 99});
  a.AddRange({200, 300});
  b.AddRange({301, 16383});
  req.old_shards = {a, b};
  auto plan = MakeSlotPlan(req);
  ASSERT_TRUE(plan.ok());
  ExpectPartition(*plan);
  EXPECT_EQ(plan->strategy, "keep-shards");
  EXPECT_EQ(plan->nodes[0].slots.ToString(), "0-300");  // orphans 100-199 to the smaller node
  EXPECT_EQ(plan->nodes[1].slots, b);
}

TEST(SlotPlanTest, RejectsBadRequests) {
  PlanRequest req;
  req.node_count = 0;
  EXPECT_FALSE(MakeSlotPlan(req).ok());
  req.node_count = 2;
  req.weights = {1};
  EXPECT_FALSE(MakeSlotPlan(req).ok());
  req.weights = {1, -1};
  EXPECT_FALSE(MakeSlotPlan(req).ok());
  req.weights = {};
  req.endpoints = {"a:1"};
  EXPECT_FALSE(MakeSlotPlan(req).ok());
}

TEST(SlotPlanTest, ReplicasFollowTheMastersAndOwnNoSlots) {
  PlanRequest req;
  req.node_count = 3;
  req.replicas = 2;
  req.stats.bytes.fill(7);
  req.stats.keys.fill(1);
  for (int i = 0; i < 9; ++i) req.endpoints.push_back("10.0.0." + std::to_string(i) + ":6379");
  auto plan = MakeSlotPlan(req);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->nodes.size(), 9u);
  ExpectPartition(*plan);
  EXPECT_TRUE(plan->HasReplicas());
  EXPECT_EQ(plan->total_keys, static_cast<uint64_t>(kSlotCount));  // masters only
  for (int i = 0; i < 9; ++i) {
    const PlannedNode& n = plan->nodes[i];
    EXPECT_EQ(n.index, i);
    EXPECT_EQ(n.endpoint, req.endpoints[i]);
    EXPECT_EQ(n.node_id.size(), 40u);
    if (i < 3) {
      EXPECT_FALSE(n.is_replica());
      EXPECT_EQ(&plan->DataNode(i), &n);
      continue;
    }
    // Node 3 + m*2 + k is replica k of master m.
    EXPECT_EQ(n.master_index, (i - 3) / 2) << i;
    EXPECT_TRUE(n.slots.empty());
    EXPECT_EQ(n.keys, plan->nodes[n.master_index].keys);
    EXPECT_EQ(&plan->DataNode(i), &plan->nodes[n.master_index]);
  }
  // Deterministic, and every id distinct.
  auto again = MakeSlotPlan(req);
  ASSERT_TRUE(again.ok());
  std::set<std::string> ids;
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(again->nodes[i].node_id, plan->nodes[i].node_id);
    ids.insert(plan->nodes[i].node_id);
  }
  EXPECT_EQ(ids.size(), 9u);
}

TEST(SlotPlanTest, NoReplicasKeepsTheFingerprintAndIds) {
  // Ids of a plan without replicas are what they were before replicas
  // existed: its recover outputs do not change.
  PlanRequest req;
  req.node_count = 3;
  req.stats.bytes.fill(7);
  auto before = MakeSlotPlan(req);
  req.replicas = 0;
  auto zero = MakeSlotPlan(req);
  req.replicas = 1;
  auto one = MakeSlotPlan(req);
  ASSERT_TRUE(before.ok() && zero.ok() && one.ok());
  EXPECT_EQ(zero->fingerprint, before->fingerprint);
  EXPECT_EQ(zero->nodes.size(), 3u);
  EXPECT_FALSE(zero->HasReplicas());
  EXPECT_NE(one->fingerprint, before->fingerprint);
  EXPECT_EQ(one->nodes.size(), 6u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(one->nodes[i].slots, before->nodes[i].slots);
}

TEST(SlotPlanTest, ReplicasNeedEndpointsForEveryNode) {
  PlanRequest req;
  req.node_count = 2;
  req.replicas = 1;
  req.endpoints = {"a:1", "a:2"};  // the masters' only
  auto plan = MakeSlotPlan(req);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().ToString().find("got 2 endpoints for 4 nodes"), std::string::npos)
      << plan.status().ToString();
  req.endpoints = {};
  req.replicas = -1;
  EXPECT_FALSE(MakeSlotPlan(req).ok());
  req.replicas = kMaxReplicas + 1;
  EXPECT_FALSE(MakeSlotPlan(req).ok());
}

}  // namespace
}  // namespace shardkit::loader
