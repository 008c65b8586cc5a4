#include "storage/sequential_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "storage/file_reader.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

class SequentialReaderTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam().backend); }
  IoOptions Options(size_t block_bytes, int queue_depth) const {
    IoOptions o;
    o.backend = GetParam().backend;
    o.direct = GetParam().direct;
    o.register_buffers = GetParam().registered;
    o.block_bytes = block_bytes;
    o.queue_depth = queue_depth;
    return o;
  }
  // Reads the whole file, checking the span contract on the way.
  static std::string ReadAll(ChunkSource& source) {
    std::string out;
    for (int guard = 0; guard < 1 << 20; ++guard) {
      Result<ByteSpan> span = source.Next();
      EXPECT_TRUE(span.ok()) << span.status().ToString();
      if (!span.ok() || span->empty()) break;
      out.append(AsChars(*span));
    }
    return out;
  }
  void ExpectRoundTrip(const std::string& dir, uint64_t size, size_t block, int depth) {
    std::string path = dir + "/f" + std::to_string(size);
    std::string data = PatternBytes(size, size);
    WriteFileOrDie(path, data);
    auto reader = SequentialReader::Open(path, Options(block, depth));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->size(), size);
    std::string got = ReadAll(**reader);
    ASSERT_EQ(got.size(), data.size()) << "size " << size;
    EXPECT_TRUE(got == data) << "content differs, size " << size;
    // After the end, Next keeps returning an empty span.
    auto again = (*reader)->Next();
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->empty());
  }
};

TEST_P(SequentialReaderTest, ReadsEverySizeByteForByte) {
  TempDir dir;
  for (uint64_t size : {0ull, 1ull, 4095ull, 4096ull, 4097ull, (1ull << 20) - 1, 1ull << 20,
                        (1ull << 20) + 1, (5ull << 20) + 12345}) {
    ExpectRoundTrip(dir.path(), size, 1 << 20, 4);
  }
}

TEST_P(SequentialReaderTest, SmallBlocksDeepQueue) {
  TempDir dir;
  ExpectRoundTrip(dir.path(), (3ull << 20) + 777, 8192, 32);
  ExpectRoundTrip(dir.path(), 100000, 4096, 1);
}

// Opened at an aligned offset, the stream is the file from there on (the
// second thread of a split RDB verify); an unaligned or past-the-end offset
// is refused.
TEST_P(SequentialReaderTest, StartOffsetStreamsTheRestOfTheFile) {
  TempDir dir;
  const std::string path = dir.File("tail");
  const std::string data = PatternBytes((3ull << 20) + 4321, 7);
  WriteFileOrDie(path, data);
  for (uint64_t start : {0ull, 1ull << 20, 3ull << 20}) {
    auto reader = SequentialReader::Open(path, Options(1 << 20, 4), start);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->size(), data.size() - start);
    EXPECT_TRUE(ReadAll(**reader) == data.substr(start)) << "start " << start;
  }
  auto whole = SequentialReader::Open(path, Options(1 << 20, 4));
  ASSERT_TRUE(whole.ok());
  if ((*whole)->alignment() > 1) {
    EXPECT_EQ(SequentialReader::Open(path, Options(1 << 20, 4), (*whole)->alignment() + 1)
                  .status()
                  .code(),
              StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(SequentialReader::Open(path, Options(1 << 20, 4), 4ull << 20).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(SequentialReaderTest, UsesDirectIoWhenAsked) {
  TempDir dir;
  std::string path = dir.File("d");
  WriteFileOrDie(path, PatternBytes(10000));
  auto reader = SequentialReader::Open(path, Options(1 << 16, 2));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->direct(), GetParam().direct);  // /tmp is a disk file system here
  EXPECT_EQ((*reader)->backend(), GetParam().backend);
  ASSERT_TRUE((*reader)->Next().ok());
  bool expect_registered = GetParam().backend == IoBackendKind::kUring && GetParam().registered;
  EXPECT_EQ((*reader)->buffers_registered(), expect_registered);
}

// tmpfs rejects O_DIRECT before Linux 6.6 (the reader then falls back to
// buffered reads) and accepts it since; either way the bytes must match.
// The fallback itself is forced in fault_injection_test.cc.
TEST_P(SequentialReaderTest, TmpfsReadsByteForByte) {
  struct stat st;
  if (::stat("/dev/shm", &st) != 0 || !S_ISDIR(st.st_mode)) {
    GTEST_SKIP() << "no /dev/shm on this host";
  }
  ::setenv("TMPDIR", "/dev/shm", 1);
  TempDir dir("shardkit-shm");
  ::unsetenv("TMPDIR");
  std::string path = dir.File("t");
  std::string data = PatternBytes((2ull << 20) + 5);
  WriteFileOrDie(path, data);
  auto reader = SequentialReader::Open(path, Options(1 << 20, 4));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE(ReadAll(**reader) == data);
}

TEST_P(SequentialReaderTest, MissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  auto reader = OpenSequentialReader(dir.File("absent"), Options(1 << 20, 4));
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsNotFound());
  EXPECT_NE(reader.status().message().find("open " + dir.File("absent")), std::string::npos)
      << reader.status().ToString();
}

TEST_P(SequentialReaderTest, FileTruncatedWhileReadingIsAnError) {
  TempDir dir;
  std::string path = dir.File("shrinks");
  WriteFileOrDie(path, PatternBytes(4 << 20));
  auto reader = SequentialReader::Open(path, Options(1 << 20, 1));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->Next().ok());  // first block delivered, later ones not yet read
  ASSERT_EQ(::truncate(path.c_str(), 1 << 20), 0);
  Result<ByteSpan> next = (*reader)->Next();
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(next.status().IsIoError());
  EXPECT_NE(next.status().message().find("unexpected end of file"), std::string::npos)
      << next.status().ToString();
  EXPECT_NE(next.status().message().find(path), std::string::npos);
  // Sticky.
  EXPECT_EQ((*reader)->Next().status().ToString(), next.status().ToString());
}

TEST_P(SequentialReaderTest, RejectsBadOptions) {
  TempDir dir;
  WriteFileOrDie(dir.File("x"), "x");
  EXPECT_EQ(SequentialReader::Open(dir.File("x"), Options(1 << 20, 0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SequentialReader::Open(dir.File("x"), Options(0, 4)).status().code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, SequentialReaderTest, AllBackendCases(), CaseName);

}  // namespace
}  // namespace shardkit::storage
