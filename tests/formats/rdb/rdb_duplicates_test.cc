// DuplicateFinder: exact answers across table growth, in both modes, and
// after Reset; and deep mode still refuses a duplicate far into a long set.
#include "formats/rdb/rdb_duplicates.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "tests/formats/rdb/rdb_test_util.h"

namespace shardkit::formats::rdb {
namespace {

TEST(DuplicateFinderTest, FindsEveryRepeatAcrossGrowthInBothModes) {
  std::vector<std::string> members;
  for (int i = 0; i < 5000; ++i) members.push_back("member:" + std::to_string(i * 7919));
  members.push_back("");  // the empty string is a member like any other
  DuplicateFinder copies, views;
  copies.Reset(4);  // far too small: the table must grow many times
  views.Reset(4);
  for (const std::string& m : members) {
    ASSERT_TRUE(copies.InsertCopy(std::string(m))) << m;  // temporary: must be copied
    ASSERT_TRUE(views.InsertView(m)) << m;
  }
  for (size_t i = 0; i < members.size(); i += 97) {
    EXPECT_FALSE(copies.InsertCopy(members[i])) << members[i];
    EXPECT_FALSE(views.InsertView(members[i])) << members[i];
  }
  EXPECT_TRUE(copies.InsertCopy("member:1"));  // a prefix-sharing new member
  copies.Reset(0);
  EXPECT_TRUE(copies.InsertCopy(members[0]));  // forgotten after Reset
  EXPECT_FALSE(copies.InsertCopy(members[0]));
}

TEST(DuplicateFinderTest, DeepModeRefusesADuplicateDeepInALongSet) {
  std::string body(1, static_cast<char>(kTypeSet));
  AppendString(&body, "s");
  AppendLength(&body, 3001);
  for (int i = 0; i < 3000; ++i) AppendString(&body, "m" + std::to_string(i));
  AppendString(&body, "m1234");
  std::string file = "REDIS0011" + body;
  file.push_back(static_cast<char>(kOpEof));
  AppendU64Le(&file, Crc64(0, AsBytes(file)));
  RdbReadOptions deep;
  deep.deep = true;
  Status s = testing::ReadBytes(file, deep, nullptr).status();
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("duplicate member \"m1234\""), std::string::npos) << s.ToString();
  EXPECT_TRUE(testing::ReadBytes(file, RdbReadOptions(), nullptr).ok());
}

}  // namespace
}  // namespace shardkit::formats::rdb
