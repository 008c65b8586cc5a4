#include "formats/aof/aof_verify.h"

#include <gtest/gtest.h>

#include <map>

#include "formats/aof/aof_writer.h"
#include "tests/formats/aof/resp_text.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::aof {
namespace {

using shardkit::testing::RespCmd;

AofVerifyReport VerifyBytes(const std::string& data) {
  MemoryChunkSource source(AsBytes(data), 11, "x.aof");
  return VerifyAofFile(&source, "x.aof", {});
}

// An in-memory directory for multi-part tests.
struct MemDir {
  std::map<std::string, std::string> files;
  AofFileOpener Opener() {
    return [this](const std::string& name) -> Result<std::unique_ptr<ChunkSource>> {
      auto it = files.find(name);
      if (it == files.end()) return Status::NotFound("open " + name + ": No such file");
      return std::unique_ptr<ChunkSource>(
          std::make_unique<MemoryChunkSource>(AsBytes(it->second), 13, name));
    };
  }
  AofVerifyReport Verify() {
    return VerifyMultiPartAof(files["a.manifest"], "a.manifest", Opener(), {});
  }
};

TEST(AofVerifyTest, SoundFileIsOkWithCounts) {
  auto r = VerifyBytes(RespCmd({"SET", "a", "1"}) + "#TS:5\r\n" + RespCmd({"MULTI"}) +
                       RespCmd({"MSET", "x", "1", "y", "2"}) + RespCmd({"EXEC"}) + RespCmd({"FLUSHALL"}));
  EXPECT_TRUE(r.ok) << r.error.ToString();
  EXPECT_EQ(r.commands, 5u);
  EXPECT_EQ(r.transactions, 1u);
  EXPECT_EQ(r.annotations, 1u);
  EXPECT_EQ(r.cross_slot_commands, 1u);  // x and y hash to different slots
  EXPECT_EQ(r.routing_counts["keyed"], 2u);
  EXPECT_EQ(r.routing_counts["every-node"], 3u);
  EXPECT_FALSE(r.cut.has_value());
}

TEST(AofVerifyTest, TornTailIsReportedWithOffsetAndCommandsBefore) {
  const std::string good = RespCmd({"SET", "a", "1"}) + RespCmd({"SET", "b", "2"});
  auto r = VerifyBytes(good + "*2\r\n$3\r\nDEL\r\n$1\r");
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.truncated_tail);
  ASSERT_TRUE(r.cut.has_value());
  EXPECT_EQ(r.cut->offset, good.size());
  EXPECT_EQ(r.cut->commands_kept, 2u);
  EXPECT_TRUE(r.cut->allowed);
  EXPECT_EQ(r.cut->reason, "torn tail");
  EXPECT_NE(r.error.message().find("torn tail at offset 54 (16 bytes after the last complete "
                                   "command; 2 commands before it)"),
            std::string::npos)
      << r.error.ToString();
}

TEST(AofVerifyTest, OpenTransactionAndGarbageAndUnknownCommand) {
  const std::string good = RespCmd({"SET", "a", "1"});
  auto open_multi = VerifyBytes(good + RespCmd({"MULTI"}) + RespCmd({"INCR", "a"}));
  EXPECT_FALSE(open_multi.ok);
  EXPECT_EQ(open_multi.cut->offset, good.size());
  EXPECT_EQ(open_multi.cut->reason, "transaction without EXEC at end of file");
  auto garbage = VerifyBytes(good + "xyz" + good);
  EXPECT_FALSE(garbage.ok);
  EXPECT_FALSE(garbage.truncated_tail);
  EXPECT_EQ(garbage.cut->offset, good.size());
  EXPECT_EQ(garbage.cut->reason, "damaged");
  auto unknown = VerifyBytes(good + RespCmd({"NOSUCH", "k"}));
  EXPECT_FALSE(unknown.ok);
  EXPECT_TRUE(unknown.error.IsNotSupported());
  EXPECT_NE(unknown.error.message().find("unknown command 'NOSUCH'"), std::string::npos);
}

TEST(AofVerifyTest, MultiPartManifestProblems) {
  MemDir d;
  d.files["a.manifest"] = "file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\n";
  d.files["a.1.base.aof"] = RespCmd({"SET", "a", "1"});
  d.files["a.1.incr.aof"] = RespCmd({"SET", "b", "1"});
  auto ok = d.Verify();
  EXPECT_TRUE(ok.ok) << ok.error.ToString();
  EXPECT_EQ(ok.commands, 2u);
  EXPECT_EQ(ok.files.size(), 2u);

  MemDir missing = d;
  missing.files.erase("a.1.incr.aof");
  auto m = missing.Verify();
  EXPECT_FALSE(m.ok);
  EXPECT_TRUE(m.error.IsNotFound());
  EXPECT_NE(m.error.message().find("a.manifest line 2 names a.1.incr.aof"), std::string::npos);
  EXPECT_TRUE(m.files.empty());  // nothing read before all files are known to exist

  MemDir two_bases = d;
  two_bases.files["a.manifest"] += "file a.2.base.aof seq 2 type b\n";
  EXPECT_NE(two_bases.Verify().error.message().find("duplicate base"), std::string::npos);

  MemDir escape = d;
  escape.files["a.manifest"] = "file ../a.1.base.aof seq 1 type b\n";
  auto e = escape.Verify();
  EXPECT_TRUE(e.error.IsCorruption());
  EXPECT_NE(e.error.message().find("can't be a path"), std::string::npos);
}

TEST(AofVerifyTest, OnlyTheLastFileMayBeCut) {
  MemDir d;
  d.files["a.manifest"] = "file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\n";
  d.files["a.1.base.aof"] = RespCmd({"SET", "a", "1"}) + "*1\r\n$4\r\nPI";
  d.files["a.1.incr.aof"] = RespCmd({"SET", "b", "1"});
  auto early = d.Verify();
  EXPECT_FALSE(early.ok);
  ASSERT_TRUE(early.cut.has_value());
  EXPECT_EQ(early.cut->file, "a.1.base.aof");
  EXPECT_FALSE(early.cut->allowed);
  EXPECT_NE(early.error.message().find("not the last one"), std::string::npos)
      << early.error.ToString();

  d.files["a.1.base.aof"] = RespCmd({"SET", "a", "1"});
  d.files["a.1.incr.aof"] = RespCmd({"SET", "b", "1"}) + "*1\r\n$4\r\nPI";
  auto last = d.Verify();
  EXPECT_FALSE(last.ok);
  EXPECT_TRUE(last.truncated_tail);
  EXPECT_EQ(last.cut->file, "a.1.incr.aof");
  EXPECT_TRUE(last.cut->allowed);
  EXPECT_EQ(last.cut->offset, 27u);
}

TEST(AofVerifyTest, CorpusFiles) {
  const std::string corpus = testing::CorpusDir();
  std::string preamble = testing::ReadFileOrDie(corpus + "/redis__redis/rdb-preamble.aof");
  MemoryChunkSource s1(AsBytes(preamble));
  auto r1 = VerifyAofFile(&s1, "rdb-preamble.aof", {});
  EXPECT_TRUE(r1.ok) << r1.error.ToString();
  // Git turned every CRLF of this incr file into LF: garbage at offset 0.
  std::string lf = testing::ReadFileOrDie(
      corpus + "/Albert0i__RU301/Ex-2.2/appendonlydir/appendonly.aof.1.incr.aof");
  MemoryChunkSource s2(AsBytes(lf));
  auto r2 = VerifyAofFile(&s2, "incr.aof", {});
  EXPECT_FALSE(r2.ok);
  EXPECT_EQ(r2.cut->offset, 0u);
  EXPECT_NE(r2.error.message().find("expected a digit or \\r in argument count"), std::string::npos)
      << r2.error.ToString();
}

}  // namespace
}  // namespace shardkit::formats::aof
