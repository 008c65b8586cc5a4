#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "storage/file_system.h"
#include "storage/io_error.h"

namespace shardkit::storage {
namespace {

// Retries a system call interrupted by a signal. Bounded: EINTR cannot
// repeat forever without a signal storm, and 1000 is far beyond any.
template <typename Fn>
int RetryOnEintr(Fn fn) {
  int rc = -1;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    rc = fn();
    if (rc >= 0 || errno != EINTR) break;
  }
  return rc;
}

class PosixFs final : public FileSystem {
 public:
  Result<int> Open(const std::string& path, int flags, mode_t mode) override {
    int fd = RetryOnEintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
    if (fd < 0) return IoErrorStatus(errno, "open", path);
    return fd;
  }
  Status Close(int fd, const std::string& path) override {
    // close() is not retried on EINTR: the fd is released either way.
    if (::close(fd) != 0 && errno != EINTR) return IoErrorStatus(errno, "close", path);
    return Status();
  }
  Status Fdatasync(int fd, const std::string& path) override {
    if (RetryOnEintr([&] { return ::fdatasync(fd); }) != 0) {
      return IoErrorStatus(errno, "fdatasync", path);
    }
    return Status();
  }
  Status Fsync(int fd, const std::string& path) override {
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) return IoErrorStatus(errno, "fsync", path);
    return Status();
  }
  Status Rename(const std::string& source_path, const std::string& target_path) override {
    if (::rename(source_path.c_str(), target_path.c_str()) != 0) {
      return IoErrorStatus(errno, "rename", source_path + " -> " + target_path);
    }
    return Status();
  }
  Status SyncDir(const std::string& dir_path) override {
    int fd = RetryOnEintr(
        [&] { return ::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return IoErrorStatus(errno, "open directory", dir_path);
    Status s;
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) {
      s = IoErrorStatus(errno, "fsync directory", dir_path);
    }
    ::close(fd);
    return s;
  }
  Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return IoErrorStatus(errno, "unlink", path);
    return Status();
  }
  Result<uint64_t> FileSize(int fd, const std::string& path) override {
    struct stat st;
    if (::fstat(fd, &st) != 0) return IoErrorStatus(errno, "fstat", path);
    return static_cast<uint64_t>(st.st_size);
  }
  Status Truncate(int fd, const std::string& path, uint64_t size_bytes) override {
    if (RetryOnEintr([&] { return ::ftruncate(fd, static_cast<off_t>(size_bytes)); }) != 0) {
      return IoErrorStatus(errno, "ftruncate", path);
    }
    return Status();
  }
  Status Preallocate(int fd, const std::string& path, uint64_t size_bytes) override {
    if (size_bytes == 0) return Status();
    int rc = RetryOnEintr([&] { return ::fallocate(fd, 0, 0, static_cast<off_t>(size_bytes)); });
    if (rc != 0) {
      if (errno == EOPNOTSUPP) return Status::NotSupported("fallocate " + path + ": unsupported");
      return IoErrorStatus(errno, "fallocate", path);
    }
    return Status();
  }
  uint32_t DirectIoAlignment(int fd) override {
    struct statx stx = {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) != 0 && stx.stx_dio_offset_align != 0) {
      // One alignment for offsets, lengths and memory: the larger of the two.
      uint32_t a = stx.stx_dio_offset_align;
      if (stx.stx_dio_mem_align > a) a = stx.stx_dio_mem_align;
      return a;
    }
    return 4096;
  }
};

}  // namespace

FileSystem* PosixFileSystem() {
  static PosixFs* fs = new PosixFs();
  return fs;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace shardkit::storage
