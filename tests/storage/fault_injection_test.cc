// The storage guarantees under injected faults: every I/O error reaches the
// caller naming the file and the operation, atomic publish never exposes a
// torn or partial file (also across a simulated crash), direct I/O falls
// back to buffered when refused, and short writes are continued.
#include "tests/support/storage/fault_injection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "storage/atomic_file.h"
#include "storage/file_reader.h"
#include "storage/sequential_reader.h"
#include "storage/sequential_writer.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::storage::testing::FaultInjectionEnv;
using shardkit::storage::testing::FaultOp;
using shardkit::storage::testing::FaultOpName;
using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

// Loop bound: far more I/O points than any case here has.
constexpr int kMaxFaultPoints = 500;

class FaultInjectionTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam().backend); }
  IoOptions Options(IoEnvironment* env, size_t block_bytes = 64 << 10, int depth = 4) const {
    IoOptions o;
    o.backend = GetParam().backend;
    o.direct = GetParam().direct;
    o.register_buffers = GetParam().registered;
    o.block_bytes = block_bytes;
    o.queue_depth = depth;
    o.environment = env;
    return o;
  }
  static bool NoTemporaries(const std::string& dir) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().filename().string().find(".tmp.") != std::string::npos) return false;
    }
    return true;
  }
};

// Reads `path` through `options`; returns the bytes or the first error.
Result<std::string> ReadThrough(const std::string& path, const IoOptions& options) {
  SK_ASSIGN_OR_RETURN(auto reader, OpenSequentialReader(path, options));
  std::string out;
  for (int guard = 0; guard < 1 << 20; ++guard) {
    SK_ASSIGN_OR_RETURN(ByteSpan span, reader->Next());
    if (span.empty()) return out;
    out.append(AsChars(span));
  }
  return Status::IoError("reader never ended");
}

Status WriteAndPublish(const std::string& path, const std::string& data,
                       const IoOptions& options) {
  SK_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Create(path, options));
  for (size_t pos = 0; pos < data.size(); pos += 10000) {
    SK_RETURN_IF_ERROR(writer->Append(AsBytes(std::string_view(data).substr(pos, 10000))));
  }
  return writer->Publish();
}

TEST_P(FaultInjectionTest, EveryReadFaultIsReportedWithPathAndOperation) {
  TempDir dir;
  std::string path = dir.File("dump.rdb");
  std::string data = PatternBytes((300 << 10) + 123);
  WriteFileOrDie(path, data);
  for (int errno_value : {EIO, ENOSPC}) {
    bool succeeded = false;
    for (int n = 1; n <= kMaxFaultPoints && !succeeded; ++n) {
      SCOPED_TRACE("fault point " + std::to_string(n) + " errno " + std::to_string(errno_value));
      FaultInjectionEnv env(n);
      env.FailNth(FaultOp::kAny, n, errno_value);
      Result<std::string> got = ReadThrough(path, Options(&env));
      if (!env.fault_fired()) {
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_TRUE(*got == data);
        EXPECT_GT(n, 2);  // at least the open and one read were failed once
        succeeded = true;
        break;
      }
      ASSERT_FALSE(got.ok()) << "fault swallowed";
      EXPECT_EQ(got.status().errno_value(), errno_value);
      std::string msg(got.status().message());
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      bool names_op = msg.rfind("open ", 0) == 0 || msg.rfind("read ", 0) == 0;
      EXPECT_TRUE(names_op) << msg;
      if (msg.rfind("read ", 0) == 0) {
        EXPECT_NE(msg.find(" at offset "), std::string::npos) << msg;
      }
    }
    EXPECT_TRUE(succeeded);
  }
}

TEST_P(FaultInjectionTest, PublishFaultAtEveryPointLeavesOldOrNewNeverTorn) {
  TempDir dir;
  std::string path = dir.File("dump.rdb");
  std::string old_data = "old complete file";
  std::string new_data = PatternBytes((200 << 10) + 77);
  bool succeeded = false;
  for (int n = 1; n <= kMaxFaultPoints && !succeeded; ++n) {
    SCOPED_TRACE("fault point " + std::to_string(n));
    WriteFileOrDie(path, old_data);
    FaultInjectionEnv env(n);
    env.FailNth(FaultOp::kAny, n, n % 2 == 0 ? ENOSPC : EIO);
    Status s = WriteAndPublish(path, new_data, Options(&env));
    std::string visible = ReadFileOrDie(path);
    EXPECT_TRUE(NoTemporaries(dir.path()));
    if (!env.fault_fired()) {
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_TRUE(visible == new_data);
      succeeded = true;
    } else {
      ASSERT_FALSE(s.ok()) << "fault swallowed";
      std::string msg(s.message());
      EXPECT_NE(msg.find("dump.rdb"), std::string::npos) << msg;
      bool names_op = false;
      const std::string dir_sync = "publish " + path + ": fsync directory ";
      for (const std::string op : {"open ", "write ", "fdatasync ", "rename ", dir_sync.c_str()}) {
        names_op = names_op || msg.rfind(op, 0) == 0;
      }
      EXPECT_TRUE(names_op) << msg;
      // Only a failed directory fsync comes after the rename.
      if (msg.rfind(dir_sync, 0) == 0) {
        EXPECT_TRUE(visible == new_data);
      } else {
        EXPECT_EQ(visible, old_data) << msg;
      }
    }
    // And across a crash right now: old or new, complete.
    ASSERT_TRUE(env.SimulateCrash().ok());
    std::string after = ReadFileOrDie(path);
    EXPECT_TRUE(after == old_data || (after == new_data && s.ok()))
        << "after crash: " << after.size() << " bytes";
    EXPECT_TRUE(NoTemporaries(dir.path()));
  }
  EXPECT_TRUE(succeeded);
}

TEST_P(FaultInjectionTest, CrashBeforeDirectorySyncRevertsToTheOldFile) {
  TempDir dir;
  std::string path = dir.File("nodes.conf");
  WriteFileOrDie(path, "old");
  FaultInjectionEnv env(1);
  env.FailNth(FaultOp::kDirSync, 1, EIO);
  Status s = WriteAndPublish(path, "new contents", Options(&env));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("publish " + path + ": fsync directory " + dir.path()),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(ReadFileOrDie(path), "new contents");
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_EQ(ReadFileOrDie(path), "old");
}

TEST_P(FaultInjectionTest, PublishedFileSurvivesACrash) {
  TempDir dir;
  std::string path = dir.File("dump.rdb");
  WriteFileOrDie(path, "old");
  FaultInjectionEnv env(1);
  std::string data = PatternBytes(123457);
  ASSERT_TRUE(WriteAndPublish(path, data, Options(&env)).ok());
  ASSERT_TRUE(env.SimulateCrash().ok());
  EXPECT_TRUE(ReadFileOrDie(path) == data);
}

TEST_P(FaultInjectionTest, ShortWritesAreContinued) {
  TempDir dir;
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    FaultInjectionEnv env(seed);
    env.SetShortWriteProbability(0.5);
    std::string data = PatternBytes((1 << 20) + 4097, seed);
    auto w = SequentialWriter::Create(dir.File("s"), Options(&env));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_TRUE(ReadFileOrDie(dir.File("s")) == data);
  }
}

TEST_P(FaultInjectionTest, DirectRefusedAtOpenFallsBackToBuffered) {
  if (!GetParam().direct) GTEST_SKIP() << "only meaningful with O_DIRECT requested";
  TempDir dir;
  std::string path = dir.File("f");
  std::string data = PatternBytes(300000);
  WriteFileOrDie(path, data);
  FaultInjectionEnv env(1);
  env.FailNth(FaultOp::kOpen, 1, EINVAL);  // what tmpfs said before Linux 6.6
  auto reader = SequentialReader::Open(path, Options(&env));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_FALSE((*reader)->direct());
  std::string got;
  for (auto span = (*reader)->Next(); span.ok() && !span->empty(); span = (*reader)->Next()) {
    got.append(AsChars(*span));
  }
  EXPECT_TRUE(got == data);

  env.FailNth(FaultOp::kOpen, 1, EINVAL);
  auto w = SequentialWriter::Create(dir.File("g"), Options(&env));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE((*w)->direct());
  ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_TRUE(ReadFileOrDie(dir.File("g")) == data);
}

TEST_P(FaultInjectionTest, DirectRefusedAtFirstIoFallsBackToBuffered) {
  if (!GetParam().direct) GTEST_SKIP() << "only meaningful with O_DIRECT requested";
  TempDir dir;
  std::string path = dir.File("f");
  std::string data = PatternBytes(500000);
  WriteFileOrDie(path, data);
  FaultInjectionEnv env(1);
  env.FailNth(FaultOp::kRead, 1, EINVAL);
  Result<std::string> got = ReadThrough(path, Options(&env));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_TRUE(env.fault_fired());

  env.FailNth(FaultOp::kWrite, 1, EINVAL);
  auto w = SequentialWriter::Create(dir.File("g"), Options(&env));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_FALSE((*w)->direct());
  EXPECT_TRUE(ReadFileOrDie(dir.File("g")) == data);
}

TEST_P(FaultInjectionTest, WriterErrorIsStickyAndNamesTheOffset) {
  TempDir dir;
  FaultInjectionEnv env(1);
  env.FailNth(FaultOp::kWrite, 2, EIO);
  auto w = SequentialWriter::Create(dir.File("w"), Options(&env, 64 << 10, 1));
  ASSERT_TRUE(w.ok());
  std::string data = PatternBytes(1 << 20);
  Status s = (*w)->Append(AsBytes(data));
  if (s.ok()) s = (*w)->Finish();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("write " + dir.File("w") + " at offset 65536"), std::string::npos)
      << s.ToString();
  EXPECT_EQ((*w)->Append(AsBytes("x")).ToString(), s.ToString());
  EXPECT_EQ((*w)->Finish().ToString(), s.ToString());
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultInjectionTest, AllBackendCases(), CaseName);

}  // namespace
}  // namespace shardkit::storage
