#include "formats/aof/resp_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/formats/aof/resp_text.h"

namespace shardkit::formats::aof {
namespace {

using shardkit::testing::RespCmd;

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::vector<int64_t> timestamps;
  Status status;
  RespFailure failure;
  uint64_t ok_up_to = 0;
};

Parsed ParseAll(const std::string& data, size_t chunk = 1 << 20, RespLimits limits = {}) {
  MemoryChunkSource source(AsBytes(data), chunk, "test.aof");
  ByteReader in(&source);
  RespReader reader(&in, limits);
  Parsed out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto item = reader.Next();
    if (!item.ok()) {
      out.status = item.status();
      break;
    }
    if (item->kind == RespItemKind::kEnd) break;
    if (item->kind == RespItemKind::kCommand) {
      out.commands.emplace_back(item->args.begin(), item->args.end());
    } else {
      out.timestamps.push_back(item->timestamp);
    }
  }
  out.failure = reader.failure();
  out.ok_up_to = reader.ok_up_to();
  return out;
}

TEST(RespReaderTest, ReadsCommandsAndAnnotationsAcrossEveryChunkSize) {
  const std::string data = RespCmd({"SELECT", "0"}) + "#TS:1700000000\r\n" +
                           RespCmd({"SET", "k", std::string("a\r\nb\0c", 6)}) + "#note\r\n" +
                           RespCmd({"DEL", ""});
  for (size_t chunk = 1; chunk <= data.size(); ++chunk) {
    Parsed p = ParseAll(data, chunk);
    ASSERT_TRUE(p.status.ok()) << "chunk " << chunk << ": " << p.status.ToString();
    ASSERT_EQ(p.commands.size(), 3u);
    EXPECT_EQ(p.commands[0], (std::vector<std::string>{"SELECT", "0"}));
    EXPECT_EQ(p.commands[1][2], std::string("a\r\nb\0c", 6));
    EXPECT_EQ(p.commands[2], (std::vector<std::string>{"DEL", ""}));
    EXPECT_EQ(p.timestamps, (std::vector<int64_t>{1700000000, -1}));
    EXPECT_EQ(p.ok_up_to, data.size());
    EXPECT_EQ(p.failure.kind, RespFailureKind::kNone);
  }
}

TEST(RespReaderTest, ItemOffsetsAreExact) {
  const std::string a = RespCmd({"SET", "a", "1"});
  const std::string ts = "#TS:5\r\n";
  const std::string data = a + ts + RespCmd({"DEL", "a"});
  MemoryChunkSource source(AsBytes(data), 3);
  ByteReader in(&source);
  RespReader reader(&in);
  auto i1 = reader.Next();
  ASSERT_TRUE(i1.ok());
  EXPECT_EQ(i1->offset, 0u);
  EXPECT_EQ(i1->end_offset, a.size());
  auto i2 = reader.Next();
  ASSERT_TRUE(i2.ok());
  EXPECT_EQ(i2->kind, RespItemKind::kAnnotation);
  EXPECT_EQ(i2->annotation, "TS:5");
  EXPECT_EQ(i2->timestamp, 5);
  EXPECT_EQ(i2->offset, a.size());
  auto i3 = reader.Next();
  ASSERT_TRUE(i3.ok());
  EXPECT_EQ(i3->offset, a.size() + ts.size());
  EXPECT_EQ(reader.commands(), 2u);
  auto end = reader.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->kind, RespItemKind::kEnd);
}

TEST(RespReaderTest, TruncationAtEveryOffsetIsReportedAsTruncated) {
  const std::string c1 = RespCmd({"SET", "key", "value"});
  const std::string c2 = RespCmd({"MSET", "a", "1", "b", "22"});
  const std::string ts = "#TS:99\r\n";
  const std::string data = c1 + ts + c2;
  // Boundaries where a cut leaves only complete items.
  const std::vector<size_t> clean = {0, c1.size(), c1.size() + ts.size(), data.size()};
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    for (size_t chunk : {size_t{1}, size_t{4}, size_t{1} << 20}) {
      Parsed p = ParseAll(data.substr(0, cut), chunk);
      bool is_clean = std::find(clean.begin(), clean.end(), cut) != clean.end();
      if (is_clean) {
        EXPECT_TRUE(p.status.ok()) << "cut " << cut << ": " << p.status.ToString();
        continue;
      }
      ASSERT_FALSE(p.status.ok()) << "cut " << cut;
      EXPECT_TRUE(p.status.IsCorruption());
      EXPECT_EQ(p.failure.kind, RespFailureKind::kTruncated)
          << "cut " << cut << " " << p.status.ToString();
      EXPECT_EQ(p.failure.error_offset, cut) << p.status.ToString();
      size_t expect_ok =
          cut < c1.size() ? 0 : (cut < c1.size() + ts.size() ? c1.size() : c1.size() + ts.size());
      EXPECT_EQ(p.failure.ok_up_to, expect_ok) << "cut " << cut;
      EXPECT_EQ(p.failure.commands_before, cut < c1.size() ? 0u : 1u) << "cut " << cut;
      EXPECT_NE(p.status.message().find("truncated"), std::string::npos);
    }
  }
}

struct GarbageCase {
  const char* name;
  std::string data;
  uint64_t error_offset;
  uint64_t ok_up_to;
  const char* message;
};

TEST(RespReaderTest, EveryGarbageKindIsReportedWithOffsetAndExpectation) {
  const std::string ok = RespCmd({"SET", "a", "1"});  // 27 bytes
  const uint64_t n = ok.size();
  std::vector<GarbageCase> cases = {
      {"bad item prefix", ok + "x", n, n, "expected '*' (command) or '#' (annotation), got 'x'"},
      {"bad argc digit", ok + "*2x\r\n", n + 2, n, "expected a digit or \\r in argument count"},
      {"empty argc", ok + "*\r\n", n + 1, n, "expected a digit in argument count"},
      {"negative argc", ok + "*-1\r\n", n + 1, n, "got '-'"},
      {"zero argc", ok + "*0\r\n", n, n, "command with 0 arguments"},
      {"bare LF after argc", ok + "*1\n$1\r\na\r\n", n + 2, n, "expected a digit or \\r"},
      {"CR without LF", ok + "*1\rx", n + 3, n, "expected \\n after \\r in argument count"},
      {"bad bulk prefix", ok + "*1\r\n+OK\r\n", n + 4, n,
       "expected '$' at the start of argument 1"},
      {"bad bulk digit", ok + "*1\r\n$1a\r\n", n + 6, n, "bulk length of argument 1 of 1"},
      {"missing CRLF after bulk", ok + "*1\r\n$1\r\nab\r\n", n + 9, n,
       "expected \\r\\n after the 1-byte bulk of argument 1 of 1, got: 62"},
      {"LF instead of CRLF", ok + "*1\r\n$1\r\na\n$", n + 9, n, "got: 0a"},
      {"CR then garbage", ok + "*1\r\n$1\r\na\rx", n + 9, n, "got: 0d78"},
      {"argc over limit", ok + "*1048577\r\n", n + 7, n, "argument count exceeds the limit"},
      {"bulk over limit", ok + "*1\r\n$536870913\r\n", n + 13, n, "exceeds the limit 536870912"},
      {"too many digits", ok + "*1\r\n$000000000000000000001\r\n", n + 25, n, "too many digits"},
  };
  for (const auto& c : cases) {
    Parsed p = ParseAll(c.data, 5);
    ASSERT_FALSE(p.status.ok()) << c.name;
    EXPECT_TRUE(p.status.IsCorruption()) << c.name;
    EXPECT_EQ(p.failure.kind, RespFailureKind::kGarbage) << c.name << ": " << p.status.ToString();
    EXPECT_EQ(p.failure.error_offset, c.error_offset) << c.name << ": " << p.status.ToString();
    EXPECT_EQ(p.failure.ok_up_to, c.ok_up_to) << c.name;
    EXPECT_EQ(p.failure.commands_before, 1u) << c.name;
    EXPECT_NE(p.status.message().find(c.message), std::string::npos)
        << c.name << ": " << p.status.ToString();
    EXPECT_NE(p.status.message().find("test.aof offset 0x"), std::string::npos) << c.name;
    EXPECT_NE(p.status.message().find("last complete item ends at offset " + std::to_string(n)),
              std::string::npos)
        << c.name;
  }
}

TEST(RespReaderTest, ErrorIsSticky) {
  std::string data = "garbage";
  MemoryChunkSource source(AsBytes(data));
  ByteReader in(&source);
  RespReader reader(&in);
  auto first = reader.Next();
  auto second = reader.Next();
  ASSERT_FALSE(first.ok());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(first.status().ToString(), second.status().ToString());
}

TEST(RespReaderTest, HugeDeclaredBulkInSmallSourceIsTruncatedWithoutAllocation) {
  std::string data = RespCmd({"PING"}) + "*2\r\n$3\r\nSET\r\n$500000000\r\nabc";
  Parsed p = ParseAll(data);
  EXPECT_EQ(p.failure.kind, RespFailureKind::kTruncated);
  EXPECT_EQ(p.failure.error_offset, data.size());
  EXPECT_NE(p.status.message().find("bulk of 500000000 bytes, only 3 left"), std::string::npos)
      << p.status.ToString();
}

TEST(RespReaderTest, LimitsAreConfigurable) {
  RespLimits limits;
  limits.max_args = 2;
  limits.max_bulk_bytes = 3;
  EXPECT_TRUE(ParseAll(RespCmd({"GET", "abc"}), 7, limits).status.ok());
  Parsed many = ParseAll(RespCmd({"DEL", "a", "b"}), 7, limits);
  EXPECT_NE(many.status.message().find("argument count exceeds the limit 2"), std::string::npos);
  Parsed big = ParseAll(RespCmd({"GET", "abcd"}), 7, limits);
  EXPECT_NE(big.status.message().find("exceeds the limit 3"), std::string::npos);
  limits.max_annotation_bytes = 4;
  EXPECT_TRUE(ParseAll("#abcd\r\n", 7, limits).status.ok());
  Parsed long_line = ParseAll("#abcde\r\n", 7, limits);
  EXPECT_EQ(long_line.failure.kind, RespFailureKind::kGarbage);
  EXPECT_NE(long_line.status.message().find("annotation line longer than 4"), std::string::npos);
}

TEST(RespReaderTest, TimestampAnnotationParsing) {
  EXPECT_EQ(ParseTimestampAnnotation("TS:0"), 0);
  EXPECT_EQ(ParseTimestampAnnotation("TS:1628217470"), 1628217470);
  EXPECT_EQ(ParseTimestampAnnotation("TS:"), -1);
  EXPECT_EQ(ParseTimestampAnnotation("TS:12a"), -1);
  EXPECT_EQ(ParseTimestampAnnotation("XS:12"), -1);
  EXPECT_EQ(ParseTimestampAnnotation("TS:-5"), -1);
}

}  // namespace
}  // namespace shardkit::formats::aof
