#include "formats/aof/aof_manifest.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace shardkit::formats::aof {
namespace {

std::string ErrorOf(std::string_view text) {
  auto m = ParseAofManifest(text, "m.manifest");
  if (m.ok()) return "OK";
  EXPECT_TRUE(m.status().IsCorruption());
  return std::string(m.status().message());
}

bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(AofManifestTest, ParsesRealRedis72Manifest) {
  std::string text = testing::ReadFileOrDie(
      testing::CorpusDir() + "/Albert0i__RU301/Ex-3.2/appendonlydir/primary.aof.manifest");
  auto m = ParseAofManifest(text, "primary.aof.manifest");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(m->base.has_value());
  EXPECT_EQ(m->base->name, "primary.aof.3.base.rdb");
  EXPECT_EQ(m->base->seq, 3u);
  ASSERT_EQ(m->incr.size(), 1u);
  EXPECT_EQ(m->incr[0].name, "primary.aof.3.incr.aof");
  auto order = m->LoadOrder();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0]->type, AofFileType::kBase);
  EXPECT_EQ(order[1]->type, AofFileType::kIncr);
  EXPECT_EQ(FormatAofManifest(*m), text);
}

TEST(AofManifestTest, HistoryIsListedButNotLoadedAndKeysAreCaseInsensitive) {
  auto m = ParseAofManifest(
      "# comment\nfile a.1.base.rdb seq 1 type h\nFILE a.2.base.rdb SEQ 2 TYPE b\n"
      "file a.2.incr.aof seq 2 type i\nfile a.3.incr.aof seq 3 type i startoffset 10 endoffset "
      "99 future-key value\n",
      "m");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->history.size(), 1u);
  auto order = m->LoadOrder();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0]->name, "a.2.base.rdb");
  EXPECT_EQ(order[1]->name, "a.2.incr.aof");
  EXPECT_EQ(order[2]->name, "a.3.incr.aof");
  EXPECT_EQ(order[2]->start_offset, 10);
  EXPECT_EQ(order[2]->end_offset, 99);
  EXPECT_EQ(order[2]->line, 5);
  // The unknown key is ignored, as Redis does, and reported.
  EXPECT_EQ(m->Warnings("m"),
            std::vector<std::string>{"m line 5: unknown key \"future-key\" ignored (as Redis does)"});
}

TEST(AofManifestTest, BadManifestsAreRefusedWithLineAndReason) {
  EXPECT_TRUE(Contains(ErrorOf(""), "empty AOF manifest"));
  EXPECT_TRUE(Contains(ErrorOf("# only a comment\n"), "empty AOF manifest"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type b\nfile b seq 2 type b\n"),
                       "line 2: duplicate base file (first on line 1)"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 2 type i\nfile b seq 2 type i\n"),
                       "line 2: non-monotonic incr sequence number 2 after 2"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 3 type i\nfile b seq 1 type i\n"), "non-monotonic"));
  EXPECT_TRUE(Contains(ErrorOf("file ../etc/passwd seq 1 type b\n"), "can't be a path"));
  EXPECT_TRUE(Contains(ErrorOf("file .. seq 1 type b\n"), "leaves the directory"));
  EXPECT_TRUE(Contains(ErrorOf("file /etc/passwd seq 1 type b\n"), "can't be a path"));
  EXPECT_TRUE(Contains(ErrorOf("file a\\\\b seq 1 type b\n"), "can't be a path"));
  EXPECT_TRUE(Contains(ErrorOf("file \"a\\\\b\" seq 1 type b\n"), "can't be a path"));
  EXPECT_TRUE(Contains(ErrorOf("file \"a seq 1 type b\n"), "unbalanced double quotes"));
  EXPECT_TRUE(Contains(ErrorOf("file 'a seq 1 type b\n"), "unbalanced single quotes"));
  EXPECT_TRUE(Contains(ErrorOf("file \"a\"b seq 1 type b\n"), "closing quote"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type\n"), "5 tokens"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1\n"), "4 tokens"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type b x\n"), "7 tokens"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 0 type b\n"), "seq must be a positive integer"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq x1 type b\n"), "seq must be a positive integer"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type z\n"), "unknown AOF file type \"z\""));
  EXPECT_TRUE(Contains(ErrorOf("name a seq 1 type b\n"), "missing file"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type b\n\n"), "line 2: invalid AOF manifest format"));
  EXPECT_TRUE(
      Contains(ErrorOf("file a seq 1 type b startoffset x\n"), "startoffset must be an integer"));
  EXPECT_TRUE(Contains(ErrorOf("file a seq 1 type b startoffset x1\n"), "startoffset must be"));
  std::string long_line = "file " + std::string(1100, 'a') + " seq 1 type b\n";
  EXPECT_TRUE(Contains(ErrorOf(long_line), "line 1: line longer than 1024 bytes"));
}

TEST(AofManifestTest, SplitArgsFollowsSdsSplitArgs) {
  auto t = SplitArgs("  a \"b c\" 'd e' \"\\x41\\n\\t\\\\\\\"\" 'it\\'s' x\"y z\"w ");
  // x"y z"w: the closing quote is followed by 'w', which is an error.
  EXPECT_FALSE(t.ok());
  t = SplitArgs("  a \"b c\" 'd e' \"\\x41\\n\\t\\\\\\\"\" 'it\\'s' x\"y z\"");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, (std::vector<std::string>{"a", "b c", "d e", "A\n\t\\\"", "it's", "xy z"}));
  EXPECT_TRUE(SplitArgs("")->empty());
  EXPECT_TRUE(SplitArgs(" \t ")->empty());
}

TEST(AofManifestTest, QuotesOnlyWhenNeededAndRoundTrips) {
  EXPECT_EQ(QuoteManifestName("appendonly.aof.1.base.rdb"), "appendonly.aof.1.base.rdb");
  EXPECT_EQ(QuoteManifestName("my file"), "\"my file\"");
  EXPECT_EQ(QuoteManifestName("a\"b\n\x01"), "\"a\\\"b\\n\\x01\"");
  AofManifest m;
  m.base = AofFileInfo{"base with space.rdb", 4, AofFileType::kBase, {}, {}, 0, {}};
  m.incr.push_back(AofFileInfo{"in\tcr\x7f.aof", 4, AofFileType::kIncr, {}, {}, 0, {}});
  m.incr.push_back(AofFileInfo{"plain.aof", 5, AofFileType::kIncr, 1, 2, 0, {}});
  std::string text = FormatAofManifest(m);
  EXPECT_EQ(text,
            "file \"base with space.rdb\" seq 4 type b\n"
            "file \"in\\tcr\\x7f.aof\" seq 4 type i\n"
            "file plain.aof seq 5 type i startoffset 1 endoffset 2\n");
  auto back = ParseAofManifest(text, "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->base->name, "base with space.rdb");
  EXPECT_EQ(back->incr[0].name, "in\tcr\x7f.aof");
  EXPECT_EQ(back->incr[1].end_offset, 2);
}

TEST(AofManifestTest, FileNamesDeriveFromAppendFilename) {
  EXPECT_EQ(BaseFileName("appendonly.aof", 1, true), "appendonly.aof.1.base.rdb");
  EXPECT_EQ(BaseFileName("appendonly.aof", 2, false), "appendonly.aof.2.base.aof");
  EXPECT_EQ(IncrFileName("appendonly.aof", 3), "appendonly.aof.3.incr.aof");
  EXPECT_EQ(ManifestFileName("appendonly.aof"), "appendonly.aof.manifest");
}

}  // namespace
}  // namespace shardkit::formats::aof
