#include "storage/positional_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

// direct = true asks for O_DIRECT (the reader falls back to buffered reads
// where the file system refuses it); false reads through the page cache.
class PositionalReaderTest : public ::testing::TestWithParam<bool> {
 protected:
  IoOptions Options() const {
    IoOptions o;
    o.direct = GetParam();
    return o;
  }
};

// Offsets and lengths around the 4096-byte alignment O_DIRECT needs, and
// ranges that end at or just before the end of a file whose size is not a
// multiple of it.
std::vector<std::pair<uint64_t, size_t>> Ranges(uint64_t size) {
  std::vector<std::pair<uint64_t, size_t>> r = {
      {0, 0},       {0, 1},         {0, 4096},     {1, 4095},     {4095, 2},
      {4096, 4096}, {100, 10000},   {8191, 4097},  {0, size},     {size, 0},
      {size - 1, 1}, {size - 123, 123}, {size - 5000, 5000}, {12288, size - 12288}};
  return r;
}

TEST_P(PositionalReaderTest, ReadRangeAndReadAtReturnExactlyTheBytesAsked) {
  TempDir dir;
  const uint64_t size = 5 * 4096 + 123;
  const std::string data = PatternBytes(size, 3);
  const std::string path = dir.path() + "/f";
  WriteFileOrDie(path, data);
  auto file = OpenPositionalReader(path, Options());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->size(), size);
  ReadScratch scratch;  // one scratch reused across reads of every size
  for (auto [offset, length] : Ranges(size)) {
    SCOPED_TRACE("offset " + std::to_string(offset) + " length " + std::to_string(length));
    Result<ByteSpan> got = (*file)->ReadRange(offset, length, &scratch);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), length);
    EXPECT_EQ(AsChars(*got), std::string_view(data).substr(offset, length));
    std::string at(length, '\0');
    ASSERT_TRUE((*file)->ReadAt(offset, {reinterpret_cast<std::byte*>(at.data()), length}).ok());
    EXPECT_EQ(at, data.substr(offset, length));
  }
}

TEST_P(PositionalReaderTest, ReadsPastTheEndAreCorruptionNamingTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/short";
  WriteFileOrDie(path, PatternBytes(5000));
  auto file = OpenPositionalReader(path, Options());
  ASSERT_TRUE(file.ok());
  ReadScratch scratch;
  Result<ByteSpan> got = (*file)->ReadRange(4000, 1001, &scratch);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kCorruption);
  EXPECT_NE(got.status().message().find(path), std::string::npos) << got.status().ToString();
  EXPECT_NE(got.status().message().find("unexpected end of file"), std::string::npos);
}

TEST_P(PositionalReaderTest, AFileThatShrankAfterOpenIsAnIoErrorNotAHang) {
  TempDir dir;
  const std::string path = dir.path() + "/shrinks";
  WriteFileOrDie(path, PatternBytes(3 * 4096 + 10));
  auto file = OpenPositionalReader(path, Options());
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(::truncate(path.c_str(), 4096 + 7), 0);
  ReadScratch scratch;
  Result<ByteSpan> got = (*file)->ReadRange(100, 3 * 4096 - 100, &scratch);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIoError) << got.status().ToString();
  EXPECT_NE(got.status().message().find("shrank"), std::string::npos) << got.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Modes, PositionalReaderTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "direct" : "buffered");
                         });

}  // namespace
}  // namespace shardkit::storage
