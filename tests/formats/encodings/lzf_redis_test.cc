// LZF against a real redis-server 7.0, both directions: strings we compress
// are accepted by RESTORE and read back intact; strings Redis compresses in
// DUMP payloads decompress with LzfDecompress.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/encodings/crc64.h"
#include "formats/encodings/lzf.h"
#include "tests/support/redis_server.h"

namespace shardkit::formats {
namespace {

using shardkit::testing::RedisServer;
using shardkit::testing::RedisServerOptions;

// RDB length encoding (formats-reference.md §2.1): 6-bit, 14-bit BE, 32-bit BE.
std::string RdbLength(size_t n) {
  std::string s;
  if (n < 64) {
    s.push_back(static_cast<char>(n));
  } else if (n < 16384) {
    s.push_back(static_cast<char>(0x40 | (n >> 8)));
    s.push_back(static_cast<char>(n & 0xff));
  } else {
    s.push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) {
      s.push_back(static_cast<char>((n >> shift) & 0xff));
    }
  }
  return s;
}

// Reads an RDB length at *pos (the three plain forms only).
size_t ReadRdbLength(const std::string& s, size_t* pos) {
  const uint8_t b = static_cast<uint8_t>(s.at(*pos));
  if ((b >> 6) == 0) {
    *pos += 1;
    return b & 0x3f;
  }
  if ((b >> 6) == 1) {
    size_t n = (size_t{b & 0x3fu} << 8) | static_cast<uint8_t>(s.at(*pos + 1));
    *pos += 2;
    return n;
  }
  EXPECT_EQ(b, 0x80);
  size_t n = 0;
  for (int i = 1; i <= 4; ++i) {
    n = (n << 8) | static_cast<uint8_t>(s.at(*pos + static_cast<size_t>(i)));
  }
  *pos += 5;
  return n;
}

// DUMP payload of a string value stored LZF-compressed: type 0, 0xC3, clen,
// len, data, RDB version (u16le), CRC64 (u64le) of everything before it.
std::string LzfDumpPayload(const std::string& plain, const std::string& packed) {
  std::string p(1, '\0');
  p.push_back(static_cast<char>(0xc3));
  p += RdbLength(packed.size()) + RdbLength(plain.size()) + packed;
  p.push_back(9);  // RDB version 9: accepted by every Redis >= 5
  p.push_back(0);
  uint64_t crc = Crc64(0, AsBytes(p));
  for (int i = 0; i < 8; ++i) {
    p.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  }
  return p;
}

std::vector<std::string> Inputs() {
  std::vector<std::string> inputs;
  inputs.push_back(std::string(5000, 'a'));
  std::string json;
  for (int i = 0; json.size() < 200000; ++i) {
    json += "{\"id\":" + std::to_string(i) + ",\"name\":\"user" + std::to_string(i % 97) + "\"},";
  }
  inputs.push_back(json);
  std::mt19937 rng(17);
  std::string mixed;
  while (mixed.size() < 50000) {
    mixed += json.substr(rng() % 100000, rng() % 200);
    for (int i = rng() % 20; i > 0; --i) {
      mixed.push_back(static_cast<char>(rng()));
    }
  }
  inputs.push_back(mixed);
  return inputs;
}

class LzfRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    auto server = RedisServer::Start(RedisServerOptions{});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  std::unique_ptr<RedisServer> server_;
};

TEST_F(LzfRedisTest, RedisRestoresOurCompressedStrings) {
  int index = 0;
  for (const std::string& plain : Inputs()) {
    std::string packed(plain.size(), '\0');
    packed.resize(
        LzfCompress(AsBytes(plain),
                    MutableByteSpan(reinterpret_cast<std::byte*>(packed.data()), packed.size())));
    ASSERT_GT(packed.size(), 0u);
    const std::string key = "k" + std::to_string(index++);
    auto restored = server_->CommandOk({"RESTORE", key, "0", LzfDumpPayload(plain, packed)});
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    auto value = server_->CommandOk({"GET", key});
    ASSERT_TRUE(value.ok()) << value.status().ToString();
    ASSERT_EQ(value->str.size(), plain.size());
    EXPECT_TRUE(value->str == plain) << key;
  }
}

TEST_F(LzfRedisTest, WeDecompressRedisCompressedStrings) {
  int index = 0;
  for (const std::string& plain : Inputs()) {
    const std::string key = "r" + std::to_string(index++);
    ASSERT_TRUE(server_->CommandOk({"SET", key, plain}).ok());
    auto dump = server_->CommandOk({"DUMP", key});
    ASSERT_TRUE(dump.ok()) << dump.status().ToString();
    const std::string& payload = dump->str;
    ASSERT_GE(payload.size(), 3u);
    ASSERT_EQ(payload[0], 0);                                  // string type
    ASSERT_EQ(static_cast<uint8_t>(payload[1]), 0xc3) << key;  // LZF-encoded
    size_t pos = 2;
    const size_t clen = ReadRdbLength(payload, &pos);
    const size_t len = ReadRdbLength(payload, &pos);
    ASSERT_EQ(len, plain.size());
    ASSERT_LE(pos + clen, payload.size());
    std::string out(len, '\0');
    Status s = LzfDecompress(AsBytes(std::string_view(payload).substr(pos, clen)),
                             MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), len));
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(out == plain) << key;
  }
}

}  // namespace
}  // namespace shardkit::formats
