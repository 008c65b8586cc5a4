#include "formats/aof/aof_reader.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/formats/aof/resp_text.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::aof {
namespace {

using shardkit::testing::RespCmd;

struct Seen {
  std::string file;
  int db;
  bool txn;
  std::vector<std::string> args;
};

class Collector : public AofVisitor {
 public:
  Status OnCommand(const AofCommand& c) override {
    seen.push_back({*c.file, c.db, c.in_transaction, {c.args.begin(), c.args.end()}});
    if (c.keys != nullptr) ++by_routing[c.keys->routing];
    return Status();
  }
  Status OnAnnotation(const std::string&, uint64_t, int64_t ts) override {
    timestamps.push_back(ts);
    return Status();
  }
  std::vector<Seen> seen;
  std::vector<int64_t> timestamps;
  std::map<Routing, int> by_routing;
};

Status ReadOne(const std::string& data, Collector* out, AofReadOptions options = {},
               size_t chunk = 7, bool is_last = true, AofReader** keep = nullptr) {
  static std::unique_ptr<AofReader> reader;
  reader = std::make_unique<AofReader>(options, out);
  MemoryChunkSource source(AsBytes(data), chunk, "f.aof");
  Status s = reader->ReadFile(&source, "f.aof", is_last);
  if (keep != nullptr) *keep = reader.get();
  return s;
}

TEST(AofReaderTest, DeliversCommandsWithDbAndCompleteTransactions) {
  std::string data = RespCmd({"SELECT", "2"}) + RespCmd({"SET", "a", "1"}) + "#TS:10\r\n" + RespCmd({"MULTI"}) +
                     RespCmd({"INCR", "a"}) + RespCmd({"SELECT", "5"}) + RespCmd({"DEL", "b"}) + RespCmd({"EXEC"}) +
                     RespCmd({"SET", "c", "2"});
  Collector c;
  AofReader* reader = nullptr;
  ASSERT_TRUE(ReadOne(data, &c, {}, 7, true, &reader).ok());
  ASSERT_EQ(c.seen.size(), 8u);
  EXPECT_EQ(c.seen[1].db, 2);
  EXPECT_EQ(c.seen[2].args[0], "MULTI");
  EXPECT_TRUE(c.seen[2].txn);
  EXPECT_EQ(c.seen[4].args[0], "SELECT");
  EXPECT_EQ(c.seen[5].db, 5);  // DEL after SELECT inside the transaction
  EXPECT_EQ(c.seen[6].args[0], "EXEC");
  EXPECT_FALSE(c.seen[7].txn);
  EXPECT_EQ(c.seen[7].db, 5);
  EXPECT_EQ(c.timestamps, (std::vector<int64_t>{10}));
  const AofFileSummary& s = *reader->last_file();
  EXPECT_EQ(s.commands, 8u);
  EXPECT_EQ(s.transactions, 1u);
  EXPECT_EQ(s.safe_end, data.size());
  EXPECT_EQ(s.bytes, data.size());
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(s.first_timestamp, 10);
}

TEST(AofReaderTest, DbResetsAtEachFile) {
  Collector c;
  AofReader reader({}, &c);
  std::string f1 = RespCmd({"SELECT", "3"}) + RespCmd({"SET", "a", "1"});
  std::string f2 = RespCmd({"SET", "b", "1"});
  MemoryChunkSource s1(AsBytes(f1)), s2(AsBytes(f2));
  ASSERT_TRUE(reader.ReadFile(&s1, "one", false).ok());
  ASSERT_TRUE(reader.ReadFile(&s2, "two", true).ok());
  ASSERT_EQ(c.seen.size(), 3u);
  EXPECT_EQ(c.seen[1].db, 3);
  EXPECT_EQ(c.seen[2].db, 0);
  EXPECT_EQ(c.seen[2].file, "two");
}

TEST(AofReaderTest, OpenTransactionAtEndOfLastFileIsDropped) {
  const std::string head = RespCmd({"SET", "a", "1"});
  const std::string data = head + RespCmd({"MULTI"}) + RespCmd({"SET", "b", "2"});
  Collector c;
  AofReader* reader = nullptr;
  ASSERT_TRUE(ReadOne(data, &c, {}, 7, true, &reader).ok());
  ASSERT_EQ(c.seen.size(), 1u);
  const AofFileSummary& s = *reader->last_file();
  EXPECT_TRUE(s.truncated);
  EXPECT_EQ(s.safe_end, head.size());
  EXPECT_EQ(s.commands_before_safe_end, 1u);
  EXPECT_EQ(s.open_multi_offset, head.size());
  // Not tolerated when not the last file, nor when the option is off.
  Collector c2;
  Status st = ReadOne(data, &c2, {}, 7, false);
  EXPECT_TRUE(st.IsCorruption());
  EXPECT_NE(st.message().find("inside the transaction opened by MULTI at offset 27"),
            std::string::npos)
      << st.ToString();
  AofReadOptions strict;
  strict.allow_truncated_tail = false;
  EXPECT_TRUE(ReadOne(data, &c2, strict).IsCorruption());
}

TEST(AofReaderTest, TornTailAtEveryOffsetKeepsExactlyTheCompletePrefix) {
  std::vector<std::string> cmds = {RespCmd({"SET", "a", "1"}), RespCmd({"MULTI"}), RespCmd({"INCR", "a"}),
                                   RespCmd({"EXEC"}), RespCmd({"DEL", "a"})};
  std::string data;
  for (const auto& c : cmds) data += c;
  const size_t b1 = cmds[0].size(), b2 = b1 + cmds[1].size() + cmds[2].size() + cmds[3].size();
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    Collector c;
    AofReader* reader = nullptr;
    Status st = ReadOne(data.substr(0, cut), &c, {}, 3, true, &reader);
    ASSERT_TRUE(st.ok()) << cut << ": " << st.ToString();
    size_t expect_end = cut < b1 ? 0 : (cut < b2 ? b1 : (cut < data.size() ? b2 : data.size()));
    size_t expect_delivered = cut < b1 ? 0 : (cut < b2 ? 1 : (cut < data.size() ? 4 : 5));
    EXPECT_EQ(reader->last_file()->safe_end, expect_end) << "cut " << cut;
    EXPECT_EQ(c.seen.size(), expect_delivered) << "cut " << cut;
    EXPECT_EQ(reader->last_file()->truncated, cut != expect_end) << "cut " << cut;
    // A torn file that is not the last is an error.
    Collector c2;
    Status not_last = ReadOne(data.substr(0, cut), &c2, {}, 3, false);
    EXPECT_EQ(not_last.ok(), cut == expect_end) << "cut " << cut << " " << not_last.ToString();
  }
}

TEST(AofReaderTest, TransactionFormatErrors) {
  Collector c;
  Status nested = ReadOne(RespCmd({"MULTI"}) + RespCmd({"MULTI"}), &c);
  EXPECT_TRUE(nested.IsCorruption());
  EXPECT_NE(nested.message().find("offset 0xf (15): MULTI inside an open transaction"),
            std::string::npos)
      << nested.ToString();
  Status lone_exec = ReadOne(RespCmd({"SET", "a", "b"}) + RespCmd({"EXEC"}), &c);
  EXPECT_NE(lone_exec.message().find("EXEC without MULTI (last sound point: offset 27, after 1"),
            std::string::npos)
      << lone_exec.ToString();
  Status bad_select = ReadOne(RespCmd({"SELECT", "x"}), &c);
  EXPECT_NE(bad_select.message().find("SELECT of a bad db index \"x\""), std::string::npos);
  Status garbage = ReadOne(RespCmd({"SET", "a", "b"}) + "garbage", &c);
  EXPECT_TRUE(garbage.IsCorruption());
  EXPECT_NE(garbage.message().find("offset 0x1b (27): expected '*'"), std::string::npos)
      << garbage.ToString();
}

TEST(AofReaderTest, UnknownCommandNamesItAndTheOffset) {
  AofReadOptions options;
  options.extract_keys = true;
  Collector c;
  Status s = ReadOne(RespCmd({"SET", "a", "b"}) + RespCmd({"FROB", "x"}), &c, options);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(s.message(), "f.aof offset 0x1b (27): unknown command 'FROB'");
}

TEST(AofReaderTest, ReadsRdbPreambleThenRespTail) {
  std::string data =
      testing::ReadFileOrDie(testing::CorpusDir() + "/redis__redis/rdb-preamble.aof");
  for (size_t chunk : {size_t{1}, size_t{5}, size_t{4096}}) {
    Collector c;
    AofReader* reader = nullptr;
    Status s = ReadOne(data, &c, {}, chunk, true, &reader);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const AofFileSummary& f = *reader->last_file();
    EXPECT_TRUE(f.rdb_preamble);
    EXPECT_EQ(f.rdb_keys, 2u);
    EXPECT_EQ(f.resp_offset, 109u + 8u);  // per MANIFEST.md: 169 bytes, 52 after the checksum
    EXPECT_EQ(f.bytes, 169u);
    ASSERT_EQ(c.seen.size(), 2u);
    EXPECT_EQ(c.seen[0].args[0], "SELECT");
    EXPECT_EQ(c.seen[1].args[0], "set");  // as written by the test suite
  }
}

TEST(AofReaderTest, PreambleIsPluggable) {
  class FakeRdb : public RdbPartReader {
   public:
    Result<uint64_t> ReadRdbPart(ByteReader* in) override {
      SK_RETURN_IF_ERROR(in->Skip(9));
      return uint64_t{42};
    }
  } fake;
  AofReadOptions options;
  options.rdb_part_reader = &fake;
  Collector c;
  AofReader* reader = nullptr;
  ASSERT_TRUE(ReadOne("REDIS0011" + RespCmd({"SET", "k", "v"}), &c, options, 4, true, &reader).ok());
  EXPECT_EQ(reader->last_file()->rdb_keys, 42u);
  EXPECT_EQ(c.seen.size(), 1u);
}

TEST(AofReaderTest, CorpusTimestampedAofHasNoUnknownCommand) {
  std::string data = testing::ReadFileOrDie(testing::CorpusDir() +
                                            "/leonchen83__redis-replicator/appendonly-with-ts.aof");
  AofReadOptions options;
  options.extract_keys = true;
  Collector c;
  AofReader* reader = nullptr;
  Status s = ReadOne(data, &c, options, 1000, true, &reader);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(reader->last_file()->commands, 65u);
  EXPECT_EQ(reader->last_file()->annotations, 54u);
  EXPECT_EQ(c.timestamps.size(), 54u);
  EXPECT_FALSE(reader->last_file()->truncated);
}

TEST(AofReaderTest, MultiPartCorpusDirectory) {
  const std::string dir =
      testing::CorpusDir() + "/pixelcaliber__3-node-redis-cluster/appendonlydir";
  auto manifest =
      ParseAofManifest(testing::ReadFileOrDie(dir + "/appendonly.aof.manifest"), "manifest");
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  std::vector<std::string> blobs;
  blobs.reserve(4);
  AofFileOpener open = [&](const std::string& name) -> Result<std::unique_ptr<ChunkSource>> {
    blobs.push_back(testing::ReadFileOrDie(dir + "/" + name));
    return std::unique_ptr<ChunkSource>(
        std::make_unique<MemoryChunkSource>(AsBytes(blobs.back()), 64, name));
  };
  AofReadOptions options;
  options.extract_keys = true;
  Collector c;
  AofReader reader(options, &c);
  Status s = ReadMultiPartAof(*manifest, open, &reader);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(reader.files().size(), 2u);
  EXPECT_TRUE(reader.files()[0].rdb_preamble);
  EXPECT_FALSE(reader.files()[1].rdb_preamble);
  EXPECT_EQ(reader.files()[1].bytes, blobs[1].size());
}

}  // namespace
}  // namespace shardkit::formats::aof
