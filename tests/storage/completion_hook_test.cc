// Rewrites completion results in the engines' completion path (Debug/Asan
// builds only: SHARDKIT_FAULT_HOOKS) to force what real devices do rarely:
// short reads and writes, zero-byte reads, -EAGAIN. The reader and writer
// must deliver exactly the file's bytes anyway, on every backend.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <string>

#include "storage/io_engine.h"
#include "storage/sequential_reader.h"
#include "storage/sequential_writer.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;
using shardkit::testing::WriteFileOrDie;

#ifdef SHARDKIT_FAULT_HOOKS
std::mt19937_64 g_rng;
std::atomic<uint64_t> g_rewritten{0};
std::atomic<uint64_t> g_zero_from_offset{UINT64_MAX};

// Requests whose previous completion was forced to zero bytes. The hook
// runs on the test's thread only (the engines call it where they reap).
std::set<const IoRequest*> g_zeroed;

// Seeded: of the completions with data, 1/4 become short, 1/8 zero-byte,
// 1/8 -EAGAIN. A zero read is forced at most once per request until a
// result with data comes back for it: the reader reports a second zero read
// without progress in between as an unexpected end of file, by design.
int32_t Rewrite(const IoRequest& request, int32_t result) {
  if (result <= 1) return result;
  uint64_t dice = g_rng() % 8;
  if (dice <= 1) {
    ++g_rewritten;
    return result / 2;
  }
  if (dice == 2 && request.op == IoOp::kRead && !g_zeroed.contains(&request)) {
    ++g_rewritten;
    g_zeroed.insert(&request);
    return 0;
  }
  if (dice == 3) {
    ++g_rewritten;
    return -EAGAIN;
  }
  return result;
}

int32_t ChaosHook(const IoRequest& request, int32_t result) {
  if (request.offset >= g_zero_from_offset.load() && request.op == IoOp::kRead) return 0;
  int32_t rewritten = Rewrite(request, result);
  if (rewritten > 0) g_zeroed.erase(&request);
  return rewritten;
}

struct HookGuard {
  explicit HookGuard(uint64_t seed) {
    g_rng.seed(seed);
    g_rewritten = 0;
    g_zero_from_offset = UINT64_MAX;
    g_zeroed.clear();
    SetCompletionHookForTest(&ChaosHook);
  }
  ~HookGuard() { SetCompletionHookForTest(nullptr); }
};
#endif

class CompletionHookTest : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
#ifndef SHARDKIT_FAULT_HOOKS
    GTEST_SKIP() << "completion hooks are compiled only into Debug/Asan builds "
                    "(SHARDKIT_FAULT_HOOKS)";
#endif
    SK_SKIP_IF_NO_URING(GetParam().backend);
  }
  IoOptions Options() const {
    IoOptions o;
    o.backend = GetParam().backend;
    o.direct = GetParam().direct;
    o.register_buffers = GetParam().registered;
    o.block_bytes = 64 << 10;
    o.queue_depth = 8;
    return o;
  }
};

TEST_P(CompletionHookTest, ShortZeroAndAgainResultsStillReadEveryByte) {
#ifdef SHARDKIT_FAULT_HOOKS
  TempDir dir;
  for (uint64_t seed : {1, 2, 3, 4}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::string data = PatternBytes((2 << 20) + 4097, seed);
    WriteFileOrDie(dir.File("r"), data);
    HookGuard hook(seed);
    auto reader = SequentialReader::Open(dir.File("r"), Options());
    ASSERT_TRUE(reader.ok());
    std::string got;
    for (int guard = 0; guard < 100000; ++guard) {
      auto span = (*reader)->Next();
      ASSERT_TRUE(span.ok()) << span.status().ToString();
      if (span->empty()) break;
      got.append(AsChars(*span));
    }
    EXPECT_TRUE(got == data);
    EXPECT_GT(g_rewritten.load(), 10u);  // the hook really ran
  }
#endif
}

TEST_P(CompletionHookTest, ShortAndAgainResultsStillWriteEveryByte) {
#ifdef SHARDKIT_FAULT_HOOKS
  TempDir dir;
  for (uint64_t seed : {5, 6}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::string data = PatternBytes((1 << 20) + 333, seed);
    HookGuard hook(seed);
    auto w = SequentialWriter::Create(dir.File("w"), Options());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(AsBytes(data)).ok());
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_GT(g_rewritten.load(), 3u);
    SetCompletionHookForTest(nullptr);
    EXPECT_TRUE(ReadFileOrDie(dir.File("w")) == data);
  }
#endif
}

TEST_P(CompletionHookTest, RepeatedZeroReadIsReportedNotLoopedOn) {
#ifdef SHARDKIT_FAULT_HOOKS
  TempDir dir;
  WriteFileOrDie(dir.File("r"), PatternBytes(1 << 20));
  HookGuard hook(9);
  g_zero_from_offset = 512 << 10;
  auto reader = SequentialReader::Open(dir.File("r"), Options());
  ASSERT_TRUE(reader.ok());
  Status failure;
  for (int guard = 0; guard < 100 && failure.ok(); ++guard) {
    auto span = (*reader)->Next();
    if (!span.ok()) failure = span.status();
    if (span.ok() && span->empty()) break;
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("unexpected end of file"), std::string::npos)
      << failure.ToString();
  EXPECT_NE(failure.message().find(dir.File("r") + " at offset "), std::string::npos);
#endif
}

INSTANTIATE_TEST_SUITE_P(Backends, CompletionHookTest, AllBackendCases(), CaseName);

}  // namespace
}  // namespace shardkit::storage
