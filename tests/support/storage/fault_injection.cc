#include "tests/support/storage/fault_injection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <fstream>
#include <sstream>

#include "storage/io_error.h"

namespace shardkit::storage::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kDirSync:
      return "dir-sync";
    case FaultOp::kAny:
      return "any";
  }
  return "?";
}

// The file-system half: counts, fails and records what the crash model needs.
class FaultFileSystem final : public FileSystem {
 public:
  FaultFileSystem(FaultInjectionEnv* env, FileSystem* base) : env_(env), base_(base) {}

  Result<int> Open(const std::string& path, int flags, mode_t mode) override {
    if (int e = env_->OnOperation(FaultOp::kOpen)) return IoErrorStatus(e, "open", path);
    bool existed = Exists(path);
    SK_ASSIGN_OR_RETURN(int fd, base_->Open(path, flags, mode));
    std::lock_guard lock(env_->mu_);
    env_->open_paths_[fd] = path;
    auto [it, inserted] = env_->files_.try_emplace(path);
    if (!existed) {
      it->second.synced_bytes = 0;
      env_->created_unsynced_.push_back(path);
    } else if ((flags & O_TRUNC) != 0) {
      it->second.synced_bytes = 0;
    } else if (inserted) {
      struct stat st;
      it->second.synced_bytes = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    }
    return fd;
  }
  Status Close(int fd, const std::string& path) override {
    {
      std::lock_guard lock(env_->mu_);
      env_->open_paths_.erase(fd);
    }
    return base_->Close(fd, path);
  }
  Status Fdatasync(int fd, const std::string& path) override {
    return Sync(fd, path, "fdatasync", [&] { return base_->Fdatasync(fd, path); });
  }
  Status Fsync(int fd, const std::string& path) override {
    return Sync(fd, path, "fsync", [&] { return base_->Fsync(fd, path); });
  }
  Status Rename(const std::string& source_path, const std::string& target_path) override {
    if (int e = env_->OnOperation(FaultOp::kRename)) {
      return IoErrorStatus(e, "rename", source_path + " -> " + target_path);
    }
    std::optional<std::string> old_target = Slurp(target_path);
    SK_RETURN_IF_ERROR(base_->Rename(source_path, target_path));
    std::lock_guard lock(env_->mu_);
    auto node = env_->files_.extract(source_path);
    env_->files_.erase(target_path);
    if (!node.empty()) {
      node.key() = target_path;
      env_->files_.insert(std::move(node));
    }
    env_->renames_unsynced_.push_back({source_path, target_path, std::move(old_target)});
    return Status();
  }
  Status SyncDir(const std::string& dir_path) override {
    if (int e = env_->OnOperation(FaultOp::kDirSync)) {
      return IoErrorStatus(e, "fsync directory", dir_path);
    }
    SK_RETURN_IF_ERROR(base_->SyncDir(dir_path));
    std::lock_guard lock(env_->mu_);
    std::erase_if(env_->created_unsynced_,
                  [&](const std::string& p) { return DirName(p) == dir_path; });
    std::erase_if(env_->renames_unsynced_,
                  [&](const auto& r) { return DirName(r.target) == dir_path; });
    return Status();
  }
  Status Unlink(const std::string& path) override {
    SK_RETURN_IF_ERROR(base_->Unlink(path));
    std::lock_guard lock(env_->mu_);
    env_->files_.erase(path);
    std::erase(env_->created_unsynced_, path);
    return Status();
  }
  Result<uint64_t> FileSize(int fd, const std::string& path) override {
    return base_->FileSize(fd, path);
  }
  Status Truncate(int fd, const std::string& path, uint64_t size_bytes) override {
    return base_->Truncate(fd, path, size_bytes);
  }
  Status Preallocate(int fd, const std::string& path, uint64_t size_bytes) override {
    return base_->Preallocate(fd, path, size_bytes);
  }
  uint32_t DirectIoAlignment(int fd) override { return base_->DirectIoAlignment(fd); }

 private:
  template <typename Fn>
  Status Sync(int fd, const std::string& path, const char* what, Fn real) {
    if (int e = env_->OnOperation(FaultOp::kSync)) return IoErrorStatus(e, what, path);
    SK_RETURN_IF_ERROR(real());
    struct stat st;
    if (::fstat(fd, &st) != 0) return Status();
    std::lock_guard lock(env_->mu_);
    env_->files_[path].synced_bytes = static_cast<uint64_t>(st.st_size);
    return Status();
  }

  FaultInjectionEnv* env_;
  FileSystem* base_;
};

namespace {

// The engine half: fails reads/writes before they reach the disk and
// shortens writes; completions of failed requests come back from Reap.
class FaultEngine final : public IoEngine {
 public:
  FaultEngine(FaultInjectionEnv* env, std::unique_ptr<IoEngine> base)
      : env_(env), base_(std::move(base)) {}

  IoBackendKind kind() const override { return base_->kind(); }
  bool RegisterBuffers(MutableByteSpan region) override { return base_->RegisterBuffers(region); }
  void UnregisterBuffers() override { base_->UnregisterBuffers(); }
  Status Flush() override { return base_->Flush(); }
  int in_flight() const override { return base_->in_flight() + static_cast<int>(failed_.size()); }

  Status Submit(IoRequest* request) override {
    FaultOp op = request->op == IoOp::kRead ? FaultOp::kRead : FaultOp::kWrite;
    if (int e = env_->OnOperation(op)) {
      request->result = -e;
      failed_.push_back(request);
      env_->NoteInFlight(in_flight());
      return Status();
    }
    if (op == FaultOp::kWrite) {
      int flags = ::fcntl(request->fd, F_GETFL);
      uint32_t granularity = (flags >= 0 && (flags & O_DIRECT) != 0) ? 4096 : 1;
      uint32_t length = env_->MaybeShorten(request->length, granularity);
      if (length != request->length) {
        // Submit a shorter write; the caller sees a short completion and
        // must continue it. The request's length is restored at Reap.
        shortened_[request] = request->length;
        request->length = length;
      }
    }
    SK_RETURN_IF_ERROR(base_->Submit(request));
    env_->NoteInFlight(in_flight());
    return Status();
  }

  Result<size_t> Reap(std::span<IoRequest*> out, bool wait) override {
    size_t n = 0;
    while (n < out.size() && !failed_.empty()) {
      out[n++] = failed_.front();
      failed_.pop_front();
    }
    if (n == 0) {
      SK_ASSIGN_OR_RETURN(n, base_->Reap(out, wait));
    }
    for (size_t i = 0; i < n; ++i) {
      auto it = shortened_.find(out[i]);
      if (it != shortened_.end()) {
        out[i]->length = it->second;
        shortened_.erase(it);
      }
    }
    return n;
  }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<IoEngine> base_;
  std::deque<IoRequest*> failed_;
  std::map<IoRequest*, uint32_t> shortened_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(uint64_t seed, IoEnvironment* base)
    : base_(base), fs_(new FaultFileSystem(this, base->file_system())), rng_(seed) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

FileSystem* FaultInjectionEnv::file_system() { return fs_.get(); }

Result<std::unique_ptr<IoEngine>> FaultInjectionEnv::NewEngine(IoBackendKind kind,
                                                               const IoEngineOptions& options) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<IoEngine> base, base_->NewEngine(kind, options));
  return std::unique_ptr<IoEngine>(new FaultEngine(this, std::move(base)));
}

void FaultInjectionEnv::FailNth(FaultOp op, uint64_t n, int errno_value) {
  std::lock_guard lock(mu_);
  armed_op_ = op;
  armed_at_ = counts_[static_cast<int>(op)] + n;
  armed_errno_ = errno_value;
  fired_ = false;
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard lock(mu_);
  armed_at_ = 0;
  short_write_probability_ = 0;
}

bool FaultInjectionEnv::fault_fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

void FaultInjectionEnv::SetShortWriteProbability(double p) {
  std::lock_guard lock(mu_);
  short_write_probability_ = p;
}

uint64_t FaultInjectionEnv::count(FaultOp op) const {
  std::lock_guard lock(mu_);
  return counts_[static_cast<int>(op)];
}

int FaultInjectionEnv::max_in_flight() const {
  std::lock_guard lock(mu_);
  return max_in_flight_;
}

void FaultInjectionEnv::NoteInFlight(int in_flight) {
  std::lock_guard lock(mu_);
  max_in_flight_ = std::max(max_in_flight_, in_flight);
}

int FaultInjectionEnv::OnOperation(FaultOp op) {
  std::lock_guard lock(mu_);
  uint64_t of_kind = ++counts_[static_cast<int>(op)];
  uint64_t any = ++counts_[static_cast<int>(FaultOp::kAny)];
  if (armed_at_ == 0) return 0;
  uint64_t seen = armed_op_ == FaultOp::kAny ? any : of_kind;
  if ((armed_op_ == FaultOp::kAny || armed_op_ == op) && seen == armed_at_) {
    armed_at_ = 0;
    fired_ = true;
    return armed_errno_;
  }
  return 0;
}

uint32_t FaultInjectionEnv::MaybeShorten(uint32_t length, uint32_t granularity) {
  std::lock_guard lock(mu_);
  if (short_write_probability_ <= 0 || length <= granularity) return length;
  if (std::uniform_real_distribution<double>(0, 1)(rng_) >= short_write_probability_) {
    return length;
  }
  uint64_t units = length / granularity;
  uint64_t keep =
      std::uniform_int_distribution<uint64_t>(1, units - (length % granularity ? 0 : 1))(rng_);
  return static_cast<uint32_t>(keep * granularity);
}

Status FaultInjectionEnv::SimulateCrash() {
  std::lock_guard lock(mu_);
  // 1. Drop unsynced bytes.
  for (auto& [path, record] : files_) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    if (static_cast<uint64_t>(st.st_size) > record.synced_bytes &&
        ::truncate(path.c_str(), static_cast<off_t>(record.synced_bytes)) != 0) {
      return IoErrorStatus(errno, "crash: truncate", path);
    }
  }
  // 2. Undo renames not covered by a directory fsync, newest first.
  for (auto it = renames_unsynced_.rbegin(); it != renames_unsynced_.rend(); ++it) {
    if (::rename(it->target.c_str(), it->source.c_str()) != 0) {
      return IoErrorStatus(errno, "crash: undo rename", it->target);
    }
    if (it->old_target_bytes) {
      std::ofstream out(it->target, std::ios::binary | std::ios::trunc);
      out << *it->old_target_bytes;
    }
  }
  renames_unsynced_.clear();
  // 3. Remove files created since their directory's last fsync.
  for (const std::string& path : created_unsynced_) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return IoErrorStatus(errno, "crash: unlink", path);
    }
    files_.erase(path);
  }
  created_unsynced_.clear();
  return Status();
}

}  // namespace shardkit::storage::testing
