#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace shardkit {
namespace {

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

// Reads the whole pattern through every API mix for many chunk sizes and
// checks bytes, offsets and that the observer saw each byte exactly once.
TEST(ByteReaderTest, MixedReadsAcrossEveryChunkSizeSeeEachByteOnce) {
  const std::string data = Pattern(5000);
  for (size_t chunk : {1, 2, 3, 7, 64, 333, 4096, 10000}) {
    MemoryChunkSource source(AsBytes(data), chunk, "mem");
    ByteReader reader(&source);
    std::string observed;
    CaptureObserver capture(&observed);
    reader.AttachObserver(&capture);
    std::string got;
    std::mt19937 rng(static_cast<uint32_t>(chunk));
    while (got.size() < data.size()) {
      size_t left = data.size() - got.size();
      size_t n = std::min<size_t>(left, rng() % 40 + 1);
      switch (rng() % 5) {
        case 0: {
          auto peek = reader.Peek(n);
          ASSERT_TRUE(peek.ok()) << peek.status().ToString();
          ASSERT_EQ(AsChars(*peek), data.substr(got.size(), n));
          auto r = reader.Read(n);
          ASSERT_TRUE(r.ok());
          got.append(AsChars(*r));
          break;
        }
        case 1: {
          std::string buf(n, '\0');
          ASSERT_TRUE(reader.ReadInto(reinterpret_cast<std::byte*>(buf.data()), n).ok());
          got += buf;
          break;
        }
        case 2:
          ASSERT_TRUE(reader.ReadAppend(&got, n).ok());
          break;
        case 3: {
          auto b = reader.ReadByte();
          ASSERT_TRUE(b.ok());
          got.push_back(static_cast<char>(*b));
          break;
        }
        default: {
          auto some = reader.ReadSome(n);
          ASSERT_TRUE(some.ok());
          ASSERT_FALSE(some->empty());
          got.append(AsChars(*some));
          break;
        }
      }
      ASSERT_EQ(reader.offset(), got.size());
    }
    EXPECT_EQ(got, data) << "chunk " << chunk;
    auto end = reader.AtEnd();
    ASSERT_TRUE(end.ok());
    EXPECT_TRUE(*end);
    reader.FlushObservers();
    EXPECT_EQ(observed, data) << "chunk " << chunk;
  }
}

TEST(ByteReaderTest, ObserverAttachedMidStreamSeesOnlyLaterBytes) {
  const std::string data = Pattern(100);
  MemoryChunkSource source(AsBytes(data), 9);
  ByteReader reader(&source);
  ASSERT_TRUE(reader.Skip(30).ok());
  std::string observed;
  CaptureObserver capture(&observed);
  reader.AttachObserver(&capture);
  ASSERT_TRUE(reader.Read(15).ok());
  reader.DetachObserver(&capture);
  ASSERT_TRUE(reader.Skip(10).ok());
  EXPECT_EQ(observed, data.substr(30, 15));
}

// Records the size of every span it is fed.
class SpanSizes final : public ByteObserver {
 public:
  void Observe(ByteSpan bytes) override {
    sizes.push_back(bytes.size());
    all.append(AsChars(bytes));
  }
  std::vector<size_t> sizes;
  std::string all;
};

// A long-lived observer (the CRC's place) beside a capture attached and
// detached per record (the raw-value capture's): each sees exactly its
// bytes, in order, and the long-lived one is fed whole chunks, not pieces cut
// at every attach/detach.
TEST(ByteReaderTest, ShortCapturesDoNotCutALongObserversSpans) {
  const std::string data = Pattern(64 << 10);
  constexpr size_t kChunk = 16 << 10;
  MemoryChunkSource source(AsBytes(data), kChunk, "mem");
  ByteReader reader(&source);
  SpanSizes crc;
  reader.AttachObserver(&crc);
  std::string captured, expected_captured;
  size_t at = 0;
  for (size_t record = 0; at < data.size(); ++record) {
    const size_t header = std::min<size_t>(5, data.size() - at);
    ASSERT_TRUE(reader.Skip(header).ok());
    at += header;
    const size_t value = std::min<size_t>(37 + record % 50, data.size() - at);
    std::string one;
    CaptureObserver capture(&one);
    reader.AttachObserver(&capture);
    ASSERT_TRUE(reader.Skip(value).ok());
    reader.DetachObserver(&capture);
    EXPECT_EQ(one, data.substr(at, value));
    captured += one;
    expected_captured += data.substr(at, value);
    at += value;
  }
  auto end = reader.AtEnd();
  ASSERT_TRUE(end.ok() && *end);
  reader.FlushObservers();
  EXPECT_EQ(crc.all, data);
  EXPECT_EQ(captured, expected_captured);
  // Only chunk switches (and straddling reads) end a span: a handful, not
  // one per record (~1,500 records here).
  EXPECT_LE(crc.sizes.size(), 2 * data.size() / kChunk + 2) << crc.sizes.size() << " spans";
}

TEST(ByteReaderTest, ReadPastEndIsCorruptionNamingOffsetAndIsSticky) {
  const std::string data = Pattern(10);
  MemoryChunkSource source(AsBytes(data), 4, "dump.rdb");
  ByteReader reader(&source);
  ASSERT_TRUE(reader.Skip(8).ok());
  auto r = reader.Read(5);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().message().find("dump.rdb offset 0x8 (8)"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("needed 3 more bytes"), std::string::npos);
  EXPECT_FALSE(reader.ReadByte().ok());
}

TEST(ByteReaderTest, SkipPastEndFails) {
  const std::string data = Pattern(10);
  MemoryChunkSource source(AsBytes(data), 3);
  ByteReader reader(&source);
  Status s = reader.Skip(11);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(ByteReaderTest, EmptySourceIsAtEnd) {
  MemoryChunkSource source(ByteSpan(), 3);
  ByteReader reader(&source);
  auto end = reader.AtEnd();
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(*end);
  auto some = reader.ReadSome(10);
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->empty());
}

TEST(StatusTest, FromErrnoMapsCodesAndNamesPath) {
  Status s = Status::FromErrno(ENOSPC, "write", "/data/out.rdb");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.errno_value(), ENOSPC);
  EXPECT_NE(s.ToString().find("write /data/out.rdb"), std::string::npos);
  EXPECT_EQ(Status::FromErrno(ENOENT, "open", "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::FromErrno(EIO, "read", "x").code(), StatusCode::kIoError);
  Status p = s.WithPrefix("publishing node-1");
  EXPECT_EQ(p.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(p.errno_value(), ENOSPC);
}

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument("odd");
  return v / 2;
}
Result<int> Quarter(int v) {
  SK_ASSIGN_OR_RETURN(int h, Half(v));
  SK_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

}  // namespace
}  // namespace shardkit
