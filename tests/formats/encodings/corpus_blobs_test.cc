// Compact containers cut out of real RDB files in the public corpus
// (../shared/corpus/public). Each blob is located by the key name that
// precedes it (key, then an RDB string length, then the blob), which is
// enough for these small single-key files; the expected contents come from
// the files' own descriptions in MANIFEST.md or from a real redis-server
// loading the same file.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "formats/encodings/intset.h"
#include "formats/encodings/listpack.h"
#include "formats/encodings/lzf.h"
#include "formats/encodings/ziplist.h"
#include "formats/encodings/zipmap.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats {
namespace {

using shardkit::testing::CorpusDir;
using shardkit::testing::ReadFileOrDie;

// Returns the RDB string stored at `pos`, decompressing it when it is
// LZF-encoded. Only 6- and 14-bit lengths occur in these files.
std::string StringAt(const std::string& file, size_t pos) {
  auto read_len = [&]() -> size_t {
    const uint8_t b = static_cast<uint8_t>(file.at(pos));
    if ((b >> 6) == 1) {
      pos += 2;
      return (size_t{b & 0x3fu} << 8) | static_cast<uint8_t>(file.at(pos - 1));
    }
    EXPECT_EQ(b >> 6, 0) << "unexpected length form at " << pos;
    pos += 1;
    return b & 0x3f;
  };
  if (static_cast<uint8_t>(file.at(pos)) == 0xc3) {
    ++pos;
    const size_t clen = read_len();
    const size_t len = read_len();
    std::string out(len, '\0');
    Status s = LzfDecompress(AsBytes(std::string_view(file).substr(pos, clen)),
                             MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), len));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  const size_t len = read_len();
  EXPECT_LE(pos + len, file.size());
  return file.substr(pos, len);
}

std::string BlobAfterKey(const std::string& file, const std::string& key) {
  const std::string marker = std::string(1, static_cast<char>(key.size())) + key;
  const size_t pos = file.find(marker);
  EXPECT_NE(pos, std::string::npos) << key;
  return pos == std::string::npos ? "" : StringAt(file, pos + marker.size());
}

std::string Corpus(const std::string& name) { return ReadFileOrDie(CorpusDir() + "/" + name); }

std::vector<std::string> ZiplistStrings(const std::string& blob) {
  std::vector<std::string> out;
  auto it = ZiplistIterator::Open(AsBytes(blob));
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  CompactEntry e;
  while (it.ok()) {
    auto more = it->Next(&e);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) {
      break;
    }
    out.push_back(e.ToString());
  }
  return out;
}

std::vector<std::string> ListpackStrings(const std::string& blob) {
  std::vector<std::string> out;
  auto it = ListpackIterator::Open(AsBytes(blob));
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  CompactEntry e;
  while (it.ok()) {
    auto more = it->Next(&e);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) {
      break;
    }
    out.push_back(e.ToString());
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ZipmapPairs(const std::string& blob, uint8_t* header_count) {
  Pairs out;
  auto it = ZipmapIterator::Open(AsBytes(blob));
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  if (!it.ok()) {
    return out;
  }
  *header_count = it->header_count();
  std::string_view field, value;
  while (true) {
    auto more = it->Next(&field, &value);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) {
      break;
    }
    out.emplace_back(field, value);
  }
  return out;
}

TEST(CorpusBlobs, HashZiplist) {
  const std::string blob = BlobAfterKey(Corpus("redis__redis/hash-ziplist.rdb"), "hash");
  EXPECT_EQ(ZiplistStrings(blob), (std::vector<std::string>{"f1", "v1", "f2", "v2"}));
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 4u);
}

TEST(CorpusBlobs, ZsetZiplistWithImmediateIntegers) {
  const std::string blob = BlobAfterKey(Corpus("redis__redis/zset-ziplist.rdb"), "zset");
  EXPECT_EQ(ZiplistStrings(blob), (std::vector<std::string>{"one", "1", "two", "2"}));
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 4u);
}

TEST(CorpusBlobs, HashZipmap) {
  uint8_t count = 0;
  const Pairs pairs =
      ZipmapPairs(BlobAfterKey(Corpus("redis__redis/hash-zipmap.rdb"), "hash"), &count);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(pairs, (Pairs{{"f1", "v1"}, {"f2", "v2"}}));
}

TEST(CorpusBlobs, ZipmapWithUnknownCount) {
  uint8_t count = 0;
  const Pairs pairs = ZipmapPairs(
      BlobAfterKey(Corpus("HDT3213__rdb/zipmap_big_len.rdb"), "zimap_doesnt_compress"), &count);
  EXPECT_GE(count, 254);
  EXPECT_EQ(pairs, (Pairs{{"MKD1G6", "2"}, {"YNNXK", "F7TI"}}));
}

TEST(CorpusBlobs, Intsets) {
  const std::string blob16 = BlobAfterKey(Corpus("HDT3213__rdb/intset_16.rdb"), "intset_16");
  auto set16 = IntsetView::Open(AsBytes(blob16), /*deep=*/true);
  ASSERT_TRUE(set16.ok()) << set16.status().ToString();
  ASSERT_EQ(set16->size(), 3u);
  EXPECT_EQ(set16->Get(0), 0x7ffc);
  EXPECT_EQ(set16->Get(2), 0x7ffe);
  const std::string blob64 = BlobAfterKey(Corpus("HDT3213__rdb/intset_64.rdb"), "intset_64");
  auto set64 = IntsetView::Open(AsBytes(blob64), /*deep=*/true);
  ASSERT_TRUE(set64.ok()) << set64.status().ToString();
  ASSERT_EQ(set64->size(), 3u);
  EXPECT_EQ(set64->Get(0), 0x7ffefffefffefffcLL);
  EXPECT_EQ(set64->Get(2), 0x7ffefffefffefffeLL);
}

// An LZF-compressed ziplist (RDB 4) and a quicklist listpack node plus an
// LZF-compressed zset listpack (RDB 10), checked against what a real
// redis-server reports after loading the same file.
class CorpusBlobsRedisTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<shardkit::testing::RedisServer>> Load(const std::string& file) {
    shardkit::testing::RedisServerOptions options;
    options.files_before_start.emplace_back("dump.rdb", file);
    return shardkit::testing::RedisServer::Start(std::move(options));
  }
  static std::vector<std::string> Strings(const shardkit::testing::RedisReply& reply) {
    std::vector<std::string> out;
    for (const auto& e : reply.elements) {
      out.push_back(e.str);
    }
    return out;
  }
};

TEST_F(CorpusBlobsRedisTest, CompressedHashZiplist) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const std::string file = Corpus("HDT3213__rdb/hash_as_ziplist.rdb");
  const std::string blob = BlobAfterKey(file, "zipmap_compresses_easily");
  auto count = ValidateZiplist(AsBytes(blob));
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  auto server = Load(file);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto all = (*server)->CommandOk({"HGETALL", "zipmap_compresses_easily"});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*count, all->elements.size());
  EXPECT_GT(all->elements.size(), 0u);
  EXPECT_EQ(ZiplistStrings(blob), Strings(*all));
}

TEST_F(CorpusBlobsRedisTest, QuicklistListpackAndCompressedZsetListpack) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  const std::string file = Corpus("HDT3213__rdb/listpack.rdb");
  auto server = Load(file);
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  // Quicklist v2: key "l", one node, container 2 (PACKED), then the listpack.
  size_t pos = file.find(std::string("\x01l\x01\x02", 4));
  ASSERT_NE(pos, std::string::npos);
  const std::string list_blob = StringAt(file, pos + 4);
  auto list_count = ValidateListpack(AsBytes(list_blob));
  ASSERT_TRUE(list_count.ok()) << list_count.status().ToString();
  auto range = (*server)->CommandOk({"LRANGE", "l", "0", "-1"});
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(*list_count, range->elements.size());
  EXPECT_GT(range->elements.size(), 0u);
  EXPECT_EQ(ListpackStrings(list_blob), Strings(*range));

  // Zset listpack (member, score, ...), LZF-compressed.
  const std::string zset_blob = BlobAfterKey(file, "z");
  auto zset_count = ValidateListpack(AsBytes(zset_blob));
  ASSERT_TRUE(zset_count.ok()) << zset_count.status().ToString();
  auto members = (*server)->CommandOk({"ZRANGE", "z", "0", "-1"});
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  std::vector<std::string> ours;
  const std::vector<std::string> entries = ListpackStrings(zset_blob);
  for (size_t i = 0; i < entries.size(); i += 2) {
    ours.push_back(entries[i]);
  }
  EXPECT_EQ(ours, Strings(*members));
  EXPECT_EQ(*zset_count, 2 * members->elements.size());
  EXPECT_GT(members->elements.size(), 0u);
}

}  // namespace
}  // namespace shardkit::formats
