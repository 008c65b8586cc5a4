// Readers and writers keep queue_depth requests in flight (the point of the
// io_uring backend): the fault-injecting environment, with no fault armed,
// records the most requests an engine held at once.
#include <gtest/gtest.h>

#include <string>

#include "storage/sequential_reader.h"
#include "storage/sequential_writer.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/storage/fault_injection.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::storage::testing::FaultInjectionEnv;
using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

class QueueDepthTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam().backend); }
  IoOptions Options(IoEnvironment* env, int depth) const {
    IoOptions o;
    o.backend = GetParam().backend;
    o.direct = GetParam().direct;
    o.register_buffers = GetParam().registered;
    o.block_bytes = 64 << 10;
    o.queue_depth = depth;
    o.environment = env;
    return o;
  }
};

TEST_P(QueueDepthTest, ReaderKeepsQueueDepthReadsInFlight) {
  TempDir dir;
  std::string data = PatternBytes((2 << 20) + 100);  // 32 blocks of 64 KiB + 100
  WriteFileOrDie(dir.File("r"), data);
  for (int depth : {1, 3, 8}) {
    SCOPED_TRACE("queue depth " + std::to_string(depth));
    FaultInjectionEnv env;
    auto reader = SequentialReader::Open(dir.File("r"), Options(&env, depth));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::string got;
    for (int guard = 0; guard < 1000; ++guard) {
      auto span = (*reader)->Next();
      ASSERT_TRUE(span.ok()) << span.status().ToString();
      if (span->empty()) break;
      got.append(AsChars(*span));
    }
    EXPECT_TRUE(got == data);
    EXPECT_EQ(env.max_in_flight(), depth);
    EXPECT_EQ(env.count(testing::FaultOp::kRead), 33u);  // 32 blocks + the 100-byte tail
  }
}

TEST_P(QueueDepthTest, ReaderOfASmallFileUsesNoMoreSlotsThanBlocks) {
  TempDir dir;
  std::string data = PatternBytes((2 << 16) + 1);  // 3 blocks
  WriteFileOrDie(dir.File("r"), data);
  FaultInjectionEnv env;
  auto reader = SequentialReader::Open(dir.File("r"), Options(&env, 8));
  ASSERT_TRUE(reader.ok());
  std::string got;
  for (auto span = (*reader)->Next(); span.ok() && !span->empty(); span = (*reader)->Next()) {
    got.append(AsChars(*span));
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(env.max_in_flight(), 3);
}

TEST_P(QueueDepthTest, WriterKeepsQueueDepthWritesInFlight) {
  TempDir dir;
  std::string data = PatternBytes((2 << 20) + 100);
  for (int depth : {1, 4, 8}) {
    SCOPED_TRACE("queue depth " + std::to_string(depth));
    FaultInjectionEnv env;
    auto w = SequentialWriter::Create(dir.File("w"), Options(&env, depth));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_TRUE(ReadFileOrDie(dir.File("w")) == data);
    EXPECT_EQ(env.max_in_flight(), depth);
    EXPECT_EQ(env.count(testing::FaultOp::kWrite), 33u);  // 32 full blocks + the tail
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueDepthTest, AllBackendCases(), CaseName);

}  // namespace
}  // namespace shardkit::storage
