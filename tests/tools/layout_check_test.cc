// The key count arithmetic of `check` (tools/layout_check.h): what recover's
// report says of a node with log commands (not known until replayed), and
// the DBSIZE range once tools/log_count.h has filled what the log changes:
// base keys written less those the log touches and those that may have
// expired, plus the keys the replay leaves, plus up to the uncertain ones.
#include "tools/layout_check.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "loader/expiry_histogram.h"

namespace shardkit::tools {
namespace {

loader::RecoveryPlan TwoNodePlan() {
  loader::RecoveryPlan plan;
  plan.fingerprint = "fp";
  plan.created_ms = 1'000'000;
  plan.slots.nodes.resize(2);
  plan.slots.nodes[1].index = 1;
  return plan;
}

TEST(LayoutCheckCountTest, NodeWithLogCommandsIsUnknownUntilReplayed) {
  const nlohmann::json report = {
      {"plan", "fp"},
      {"nodes",
       {{{"index", 0}, {"status", "written"}, {"keys", 5}, {"commands", 0},
         {"expiring", nlohmann::json::array()}},
        {{"index", 1}, {"status", "written"}, {"keys", 7}, {"commands", 3},
         {"expiring", {{2'000'000, 2'001'000, 1}}}}}}};
  auto e = ExpectedKeysFromReport(report.dump(), "recover.json", TwoNodePlan());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE((*e)[0].known);
  EXPECT_FALSE((*e)[0].has_log);
  EXPECT_FALSE((*e)[1].known);
  EXPECT_TRUE((*e)[1].has_log);
  EXPECT_EQ((*e)[1].written, 7u);
  ASSERT_EQ((*e)[1].expiring.size(), 1u);
  EXPECT_NE((*e)[1].unknown_reason.find("not replayed"), std::string::npos)
      << (*e)[1].unknown_reason;
}

TEST(LayoutCheckCountTest, RangeTakesTouchedKeysOutAndAddsTheReplay) {
  const int64_t anchor = 1'000'000;
  loader::ExpiryHistogram all(anchor), touched(anchor);
  all.Add(anchor + 5'500);  // due at now, untouched
  all.Add(anchor + 5'700);  // due at now, touched by the log
  all.Add(anchor + 3'600'000LL * 48);  // far ahead
  touched.Add(anchor + 5'700);
  ExpectedKeys e;
  e.known = true;
  e.has_log = true;
  e.written = 10;
  e.expiring = all.Buckets();
  e.log.base_touched = 3;
  e.log.base_touched_expiring = touched.Buckets();
  e.log.replayed = 4;
  e.log.uncertain = 2;
  const KeyRange r = ExpectedRange(e, anchor + 6'000);
  EXPECT_EQ(r.due, 1u);               // the touched due key is not counted twice
  EXPECT_EQ(r.low, 10u - 3 - 1 + 4);  // 10 written - 3 touched - 1 due + 4 replayed
  EXPECT_EQ(r.high, 10u - 3 + 4 + 2);
  EXPECT_EQ(r.Text(), "10..13");
  // Before anything is due and with no uncertain closure: exact.
  e.log.uncertain = 0;
  const KeyRange exact = ExpectedRange(e, anchor);
  EXPECT_EQ(exact.low, exact.high);
  EXPECT_EQ(exact.Text(), "11");
}

TEST(LayoutCheckCountTest, NodeWithoutLogKeepsTheWrittenRange) {
  loader::ExpiryHistogram all(0);
  all.Add(1'500);
  ExpectedKeys e;
  e.known = true;
  e.written = 4;
  e.expiring = all.Buckets();
  EXPECT_EQ(ExpectedRange(e, 0).Text(), "4");
  EXPECT_EQ(ExpectedRange(e, 1'000).Text(), "3..4");
}

}  // namespace
}  // namespace shardkit::tools
