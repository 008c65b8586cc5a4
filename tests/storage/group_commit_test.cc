// Group commit made deterministic: the first leader's fdatasync is held
// until every other caller has queued behind it, so the second batch must
// carry all of them with exactly one more fdatasync.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/append_writer.h"
#include "storage/io_environment.h"
#include "tests/storage/storage_test_util.h"
#include "tests/support/temp_dir.h"

namespace shardkit::storage {
namespace {

using shardkit::testing::ReadFileOrDie;
using shardkit::testing::TempDir;

// A file system whose first fdatasync blocks until Release().
class GatedSyncFs final : public FileSystem {
 public:
  explicit GatedSyncFs(FileSystem* base) : base_(base) {}
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool WaitUntilSyncEntered(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return entered_; });
  }
  Status Fdatasync(int fd, const std::string& path) override {
    {
      std::unique_lock lock(mu_);
      entered_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return released_; });
    }
    return base_->Fdatasync(fd, path);
  }
  Result<int> Open(const std::string& p, int f, mode_t m) override { return base_->Open(p, f, m); }
  Status Close(int fd, const std::string& p) override { return base_->Close(fd, p); }
  Status Fsync(int fd, const std::string& p) override { return base_->Fsync(fd, p); }
  Status Rename(const std::string& a, const std::string& b) override { return base_->Rename(a, b); }
  Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }
  Status Unlink(const std::string& p) override { return base_->Unlink(p); }
  Result<uint64_t> FileSize(int fd, const std::string& p) override {
    return base_->FileSize(fd, p);
  }
  Status Truncate(int fd, const std::string& p, uint64_t n) override {
    return base_->Truncate(fd, p, n);
  }
  Status Preallocate(int fd, const std::string& p, uint64_t n) override {
    return base_->Preallocate(fd, p, n);
  }
  uint32_t DirectIoAlignment(int fd) override { return base_->DirectIoAlignment(fd); }

 private:
  FileSystem* base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

class GatedEnv final : public IoEnvironment {
 public:
  GatedSyncFs fs{DefaultIoEnvironment()->file_system()};
  FileSystem* file_system() override { return &fs; }
  Result<std::unique_ptr<IoEngine>> NewEngine(IoBackendKind kind,
                                              const IoEngineOptions& options) override {
    return DefaultIoEnvironment()->NewEngine(kind, options);
  }
};

class GroupCommitTest : public ::testing::TestWithParam<IoBackendKind> {
 protected:
  void SetUp() override { SK_SKIP_IF_NO_URING(GetParam()); }
};

TEST_P(GroupCommitTest, QueuedCallersShareOneFdatasync) {
  constexpr int kFollowers = 8;
  TempDir dir;
  GatedEnv env;
  AppendWriterOptions o;
  o.policy = FsyncPolicy::kAlways;
  o.io.backend = GetParam();
  o.io.environment = &env;
  auto w = AppendWriter::Open(dir.File("a.aof"), o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<std::thread> threads;
  // Whatever an assertion below does, the gate opens and every thread is
  // joined before the writer dies.
  struct JoinAll {
    GatedEnv& env;
    std::vector<std::thread>& threads;
    ~JoinAll() {
      env.fs.Release();
      for (auto& t : threads) t.join();
    }
  } join_all{env, threads};
  threads.emplace_back([&] { EXPECT_TRUE((*w)->Append(AsBytes("L")).ok()); });
  ASSERT_TRUE(env.fs.WaitUntilSyncEntered(std::chrono::seconds(10)));
  for (int i = 0; i < kFollowers; ++i) {
    threads.emplace_back([&, i] {
      EXPECT_TRUE((*w)->Append(AsBytes(std::string(1, static_cast<char>('a' + i)))).ok());
    });
  }
  // Wait (bounded) until all followers queued behind the blocked leader.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*w)->queued_appends() < kFollowers + 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ((*w)->queued_appends(), static_cast<size_t>(kFollowers + 1));
  EXPECT_EQ((*w)->durable_bytes(), 0u);
  EXPECT_EQ((*w)->sync_count(), 0u);
  env.fs.Release();
  for (auto& t : threads) t.join();
  threads.clear();
  EXPECT_EQ((*w)->sync_count(), 2u);  // the leader's batch, then all followers at once
  EXPECT_EQ((*w)->durable_bytes(), static_cast<uint64_t>(kFollowers + 1));
  ASSERT_TRUE((*w)->Close().ok());
  std::string data = ReadFileOrDie(dir.File("a.aof"));
  EXPECT_EQ(data.size(), static_cast<size_t>(kFollowers + 1));
  EXPECT_EQ(data[0], 'L');
  std::string followers = data.substr(1);
  std::sort(followers.begin(), followers.end());
  EXPECT_EQ(followers, "abcdefgh");  // each follower's bytes exactly once
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommitTest,
                         ::testing::Values(IoBackendKind::kUring, IoBackendKind::kPread),
                         [](const auto& p) { return std::string(IoBackendName(p.param)); });

}  // namespace
}  // namespace shardkit::storage
