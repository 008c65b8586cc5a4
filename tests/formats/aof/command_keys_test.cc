#include "formats/aof/command_keys.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <sstream>

namespace shardkit::formats::aof {
namespace {

std::vector<std::string> Split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

struct KeyCase {
  const char* command;
  std::vector<uint32_t> positions;
  Routing routing = Routing::kKeyed;
};

// One example per table entry (and per sub-command form), with the key
// positions Redis's key specs give.
std::vector<KeyCase> Cases() {
  const Routing kEvery = Routing::kEveryNode;
  const Routing kNone = Routing::kNone;
  return {
      {"SET k v PXAT 1700000000000 KEEPTTL GET", {1}},
      {"set k v NX EX 10", {1}},
      {"SETEX k 10 v", {1}},
      {"PSETEX k 10 v", {1}},
      {"SETNX k v", {1}},
      {"GETSET k v", {1}},
      {"GETDEL k", {1}},
      {"GETEX k PERSIST", {1}},
      {"APPEND k v", {1}},
      {"INCR k", {1}},
      {"DECR k", {1}},
      {"INCRBY k 5", {1}},
      {"DECRBY k 5", {1}},
      {"INCRBYFLOAT k 1.5", {1}},
      {"SETRANGE k 0 v", {1}},
      {"SETBIT k 7 1", {1}},
      {"BITFIELD k SET u8 0 255 INCRBY u8 0 1", {1}},
      {"BITOP AND dst a b c", {2, 3, 4, 5}},
      {"MSET a 1 b 2 c 3", {1, 3, 5}},
      {"MSETNX a 1 b 2", {1, 3}},
      {"DEL a b c", {1, 2, 3}},
      {"UNLINK a", {1}},
      {"EXPIRE k 10", {1}},
      {"PEXPIRE k 10", {1}},
      {"EXPIREAT k 10", {1}},
      {"PEXPIREAT k 1700000000000", {1}},
      {"PERSIST k", {1}},
      {"RENAME a b", {1, 2}},
      {"RENAMENX a b", {1, 2}},
      {"COPY a b DB 3 REPLACE", {1, 2}},
      {"MOVE k 2", {1}},
      {"RESTORE k 0 payload REPLACE ABSTTL", {1}},
      {"RESTORE-ASKING k 0 payload", {1}},
      {"SORT src BY w_* LIMIT 0 10 GET # GET store ALPHA STORE dst", {1, 13}},
      {"SORT src", {1}},
      {"LPUSH l a b", {1}},
      {"RPUSH l a", {1}},
      {"LPUSHX l a", {1}},
      {"RPUSHX l a", {1}},
      {"LPOP l 2", {1}},
      {"RPOP l", {1}},
      {"LINSERT l BEFORE a b", {1}},
      {"LSET l 0 v", {1}},
      {"LTRIM l 0 -1", {1}},
      {"LREM l 0 v", {1}},
      {"RPOPLPUSH a b", {1, 2}},
      {"BRPOPLPUSH a b 0", {1, 2}},
      {"LMOVE a b LEFT RIGHT", {1, 2}},
      {"BLMOVE a b LEFT RIGHT 0", {1, 2}},
      {"BLPOP a b 0", {1, 2}},
      {"BRPOP a 0", {1}},
      {"LMPOP 2 a b LEFT COUNT 2", {2, 3}},
      {"BLMPOP 0 2 a b RIGHT", {3, 4}},
      {"SADD s a b", {1}},
      {"SREM s a", {1}},
      {"SPOP s 3", {1}},
      {"SMOVE a b m", {1, 2}},
      {"SINTERSTORE d a b", {1, 2, 3}},
      {"SUNIONSTORE d a", {1, 2}},
      {"SDIFFSTORE d a b", {1, 2, 3}},
      {"ZADD z NX INCR 1 m", {1}},
      {"ZINCRBY z 1 m", {1}},
      {"ZREM z m", {1}},
      {"ZREMRANGEBYSCORE z 0 1", {1}},
      {"ZREMRANGEBYRANK z 0 1", {1}},
      {"ZREMRANGEBYLEX z [a [b", {1}},
      {"ZPOPMIN z 2", {1}},
      {"ZPOPMAX z", {1}},
      {"BZPOPMIN a b 0", {1, 2}},
      {"BZPOPMAX a 0", {1}},
      {"ZUNIONSTORE d 2 a b WEIGHTS 1 2", {1, 3, 4}},
      {"ZINTERSTORE d 1 a", {1, 3}},
      {"ZDIFFSTORE d 2 a b", {1, 3, 4}},
      {"ZRANGESTORE d src 0 -1", {1, 2}},
      {"ZMPOP 2 a b MIN", {2, 3}},
      {"BZMPOP 0 1 a MAX COUNT 2", {3}},
      {"HSET h f v f2 v2", {1}},
      {"HSETNX h f v", {1}},
      {"HMSET h f v", {1}},
      {"HDEL h f", {1}},
      {"HINCRBY h f 1", {1}},
      {"HINCRBYFLOAT h f 1.5", {1}},
      {"HEXPIRE h 10 FIELDS 1 f", {1}},
      {"HPEXPIRE h 10 FIELDS 1 f", {1}},
      {"HEXPIREAT h 10 FIELDS 1 f", {1}},
      {"HPEXPIREAT h 10 FIELDS 1 f", {1}},
      {"HPERSIST h FIELDS 1 f", {1}},
      {"HGETDEL h FIELDS 1 f", {1}},
      {"HGETEX h PERSIST FIELDS 1 f", {1}},
      {"HSETEX h FIELDS 1 f v", {1}},
      {"XADD s MAXLEN ~ 10 * f v", {1}},
      {"XDEL s 1-1", {1}},
      {"XTRIM s MAXLEN 10", {1}},
      {"XSETID s 5-0 ENTRIESADDED 3 MAXDELETEDID 1-0", {1}},
      {"XACK s g 1-1", {1}},
      {"XCLAIM s g c 0 1-1 TIME 5 RETRYCOUNT 1 FORCE JUSTID LASTID 1-1", {1}},
      {"XAUTOCLAIM s g c 0 0-0 COUNT 5", {1}},
      {"XGROUP CREATE s g $ MKSTREAM ENTRIESREAD 0", {2}},
      {"XGROUP SETID s g 0", {2}},
      {"XGROUP DESTROY s g", {2}},
      {"XGROUP CREATECONSUMER s g c", {2}},
      {"XGROUP DELCONSUMER s g c", {2}},
      {"XREADGROUP GROUP g c COUNT 1 STREAMS s1 s2 > >", {7, 8}},
      {"PFADD h a b", {1}},
      {"PFADD h", {1}},
      {"PFMERGE d a b", {1, 2, 3}},
      {"PFCOUNT a b", {1, 2}},
      {"PFDEBUG GETREG h", {2}},
      {"GEOADD g 13.3 38.1 p", {1}},
      {"GEORADIUS g 15 37 200 km STORE d", {1, 7}},
      {"GEORADIUS g 15 37 200 km STOREDIST d2 ASC", {1, 7}},
      {"GEORADIUSBYMEMBER g m 100 km STORE d", {1, 6}},
      {"GEOSEARCHSTORE d g FROMMEMBER m BYRADIUS 10 km", {1, 2}},
      {"EVAL body 2 a b x y", {3, 4}},
      {"EVALSHA sha 1 a x", {3}},
      {"EVAL_RO body 1 a", {3}},
      {"EVALSHA_RO sha 1 a", {3}},
      {"FCALL f 2 a b", {3, 4}},
      {"FCALL_RO f 1 a", {3}},
      {"EVAL body 0 x", {}, kEvery},
      {"FLUSHALL ASYNC", {}, kEvery},
      {"FLUSHDB", {}, kEvery},
      {"SWAPDB 0 1", {}, kEvery},
      {"SELECT 3", {}, kEvery},
      {"MULTI", {}, kEvery},
      {"EXEC", {}, kEvery},
      {"FUNCTION LOAD REPLACE code", {}, kEvery},
      {"FUNCTION DELETE lib", {}, kEvery},
      {"FUNCTION FLUSH SYNC", {}, kEvery},
      {"FUNCTION RESTORE payload FLUSH", {}, kEvery},
      {"FUNCTION LIST", {}, kNone},
      {"SCRIPT LOAD body", {}, kEvery},
      {"SCRIPT FLUSH", {}, kEvery},
      {"SCRIPT EXISTS sha", {}, kNone},
      {"PUBLISH ch msg", {}, kNone},
      {"PING", {}, kNone},
      {"XGROUP HELP", {}, kNone},
  };
}

TEST(CommandKeysTest, KeyPositionsForEveryCommandInTheTable) {
  std::set<std::string> covered;
  CommandKeys keys;
  for (const KeyCase& c : Cases()) {
    auto args = Split(c.command);
    Status s = ExtractKeys(args, &keys);
    ASSERT_TRUE(s.ok()) << c.command << ": " << s.ToString();
    EXPECT_EQ(keys.positions, c.positions) << c.command;
    EXPECT_EQ(keys.routing, c.routing) << c.command << ": " << RoutingName(keys.routing);
    std::string lower = args[0];
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    covered.insert(lower);
  }
  for (std::string_view name : KnownCommands()) {
    EXPECT_TRUE(covered.count(std::string(name))) << "no test case for " << name;
  }
}

TEST(CommandKeysTest, SlotsAndCrossSlotDetection) {
  CommandKeys keys;
  ASSERT_TRUE(ExtractKeys(Split("SET foo 1"), &keys).ok());
  EXPECT_EQ(keys.slot, 12182);
  EXPECT_FALSE(keys.cross_slot);
  ASSERT_TRUE(ExtractKeys(Split("MSET {user1000}.a 1 {user1000}.b 2"), &keys).ok());
  EXPECT_EQ(keys.slot, 3443);
  EXPECT_FALSE(keys.cross_slot);
  ASSERT_TRUE(ExtractKeys(Split("MSET foo 1 bar 2"), &keys).ok());
  EXPECT_EQ(keys.slot, 12182);
  EXPECT_TRUE(keys.cross_slot);
  auto slot = SlotOf(Split("RENAME foo bar"));
  ASSERT_FALSE(slot.ok());
  EXPECT_NE(slot.status().message().find("different hash slots"), std::string::npos);
  auto tagged = SlotOf(Split("RENAME foo{bar}{zap} bar"));
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ(*tagged, 5061);
  EXPECT_EQ(*SlotOf(Split("FLUSHALL")), -1);
}

TEST(CommandKeysTest, UnknownCommandIsAnErrorNamingIt) {
  CommandKeys keys;
  Status s = ExtractKeys(Split("FROBNICATE k"), &keys);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(s.message(), "unknown command 'FROBNICATE'");
  s = ExtractKeys(Split("XGROUP FROB s g"), &keys);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_NE(s.message().find("'XGROUP FROB'"), std::string::npos);
  s = ExtractKeys(Split("FUNCTION FROB"), &keys);
  EXPECT_TRUE(s.IsNotSupported());
  std::vector<std::string> long_name = {std::string(100, 'x')};
  s = ExtractKeys(long_name, &keys);
  EXPECT_TRUE(s.IsNotSupported());
}

TEST(CommandKeysTest, MalformedArgumentsAreCorruption) {
  CommandKeys keys;
  for (const char* bad :
       {"SET k", "DEL", "MSET a 1 b", "EVAL body 3 a b", "EVAL body x a", "EVAL body -1",
        "ZUNIONSTORE d 3 a b", "XREADGROUP GROUP g c STREAMS a b c", "XGROUP CREATE s", "RENAME a",
        "LMPOP 5 a LEFT"}) {
    Status s = ExtractKeys(Split(bad), &keys);
    EXPECT_TRUE(s.IsCorruption()) << bad << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace shardkit::formats::aof
