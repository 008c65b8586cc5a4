#include "storage/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "storage/sequential_writer.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

class WriterTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam().backend); }
  IoOptions Options(size_t block_bytes = 1 << 20, int queue_depth = 4) const {
    IoOptions o;
    o.backend = GetParam().backend;
    o.direct = GetParam().direct;
    o.register_buffers = GetParam().registered;
    o.block_bytes = block_bytes;
    o.queue_depth = queue_depth;
    return o;
  }
  static std::string TempName(const std::string& final_path) {
    return DirName(final_path) + "/." + BaseName(final_path) + ".tmp." + std::to_string(::getpid());
  }
};

TEST_P(WriterTest, SequentialWriterRoundTripsEverySize) {
  TempDir dir;
  for (uint64_t size : {0ull, 1ull, 4095ull, 4096ull, 4097ull, (1ull << 20) - 1, 1ull << 20,
                        (1ull << 20) + 1, (5ull << 20) + 12345}) {
    std::string path = dir.File("w" + std::to_string(size));
    std::string data = PatternBytes(size, size + 7);
    auto w = SequentialWriter::Create(path, Options());
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    // Uneven appends cross block boundaries at odd places.
    size_t pos = 0;
    for (size_t step = 1; pos < data.size(); step = step * 3 + 1) {
      size_t n = std::min(step, data.size() - pos);
      ASSERT_TRUE((*w)->Append(AsBytes(std::string_view(data).substr(pos, n))).ok());
      pos += n;
    }
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_EQ((*w)->bytes_appended(), size);
    std::string got = ReadFileOrDie(path);
    ASSERT_EQ(got.size(), size);
    EXPECT_TRUE(got == data) << "size " << size;
  }
}

// Lend/Commit (the zero-copy path ByteWriter takes) mixed with Append gives
// the same file; a Commit of more than was lent is refused and sticky.
TEST_P(WriterTest, LentSpansCommitTheSameBytesAsAppend) {
  TempDir dir;
  const std::string path = dir.File("lent");
  const std::string data = PatternBytes((3ull << 20) + 4321, 99);
  auto w = SequentialWriter::Create(path, Options(1 << 20, 2));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  size_t pos = 0;
  for (int round = 0; pos < data.size(); ++round) {
    if (round % 3 == 2) {  // every third piece through Append
      const size_t n = std::min<size_t>(77777, data.size() - pos);
      ASSERT_TRUE((*w)->Append(AsBytes(std::string_view(data).substr(pos, n))).ok());
      pos += n;
      continue;
    }
    auto span = (*w)->Lend();
    ASSERT_TRUE(span.ok()) << span.status().ToString();
    ASSERT_FALSE(span->empty());
    // Fill part of the span (or all of it, which sends the slot).
    const size_t n = std::min({span->size(), data.size() - pos,
                               round % 2 == 0 ? span->size() : size_t{123457}});
    std::memcpy(span->data(), data.data() + pos, n);
    ASSERT_TRUE((*w)->Commit(n).ok());
    pos += n;
  }
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->bytes_appended(), data.size());
  EXPECT_TRUE(ReadFileOrDie(path) == data);

  auto bad = SequentialWriter::Create(dir.File("bad"), Options(1 << 20, 2));
  ASSERT_TRUE(bad.ok());
  auto span = (*bad)->Lend();
  ASSERT_TRUE(span.ok());
  Status s = (*bad)->Commit(span->size() + 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_FALSE((*bad)->Append(AsBytes("x")).ok()) << "the error is sticky";
}

TEST_P(WriterTest, PreallocatedFileEndsAtTheExactSize) {
  TempDir dir;
  IoOptions o = Options(1 << 16, 4);
  o.size_hint_bytes = 1 << 20;
  std::string data = PatternBytes(300001);
  auto w = SequentialWriter::Create(dir.File("p"), o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_TRUE(ReadFileOrDie(dir.File("p")) == data);
}

// Only io_uring preallocates (storage/io_options.h, size_hint_bytes).
TEST_P(WriterTest, SizeHintPreallocatesOnIoUringOnly) {
  TempDir dir;
  IoOptions o = Options(1 << 16, 4);
  o.size_hint_bytes = 8 << 20;
  auto w = SequentialWriter::Create(dir.File("p"), o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(dir.File("p").c_str(), &st), 0);
  if (GetParam().backend == IoBackendKind::kUring) {
    EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, uint64_t{8} << 20);
  } else {
    EXPECT_EQ(st.st_blocks, 0);
  }
  std::string data = PatternBytes(100000);
  ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_TRUE(ReadFileOrDie(dir.File("p")) == data);
}

TEST_P(WriterTest, PublishReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  std::string final_path = dir.File("dump.rdb");
  WriteFileOrDie(final_path, "old");
  std::string data = PatternBytes((2 << 20) + 3);
  auto w = AtomicFileWriter::Create(final_path, Options());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(TempName(final_path)));
  ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
  EXPECT_EQ(ReadFileOrDie(final_path), "old");  // nothing visible before Publish
  ASSERT_TRUE((*w)->Publish().ok());
  EXPECT_TRUE(ReadFileOrDie(final_path) == data);
  EXPECT_FALSE(std::filesystem::exists(TempName(final_path)));
  EXPECT_EQ((*w)->final_path(), final_path);
}

TEST_P(WriterTest, DestroyWithoutPublishRemovesTheTemporary) {
  TempDir dir;
  std::string final_path = dir.File("dump.rdb");
  WriteFileOrDie(final_path, "old");
  {
    auto w = AtomicFileWriter::Create(final_path, Options());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(AsBytes(PatternBytes(5000))).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  EXPECT_EQ(ReadFileOrDie(final_path), "old");
  EXPECT_FALSE(std::filesystem::exists(TempName(final_path)));
}

TEST_P(WriterTest, AppendAfterFinishIsRejected) {
  TempDir dir;
  auto w = SequentialWriter::Create(dir.File("f"), Options());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Finish().ok());
  Status s = (*w)->Append(AsBytes("x"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST_P(WriterTest, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto w = AtomicFileWriter::Create(dir.File("no/such/dir/f"), Options());
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(w.status().IsNotFound());
  EXPECT_NE(w.status().message().find("open"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, WriterTest, AllBackendCases(), CaseName);

}  // namespace
}  // namespace shardkit::storage
