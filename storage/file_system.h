// FileSystem: the file operations storage/ performs outside the data path
// (open, sync, rename, directory sync, unlink, size, truncate, preallocate).
//
// The data path (reads and writes) goes through an IoEngine; everything else
// goes through this interface so that the fault injector
// (tests/support/storage/fault_injection.h) can fail or record each call.
// The real implementation is PosixFileSystem() (storage/posix_file_system.cc).
//
// Threading: implementations are thread-safe. Errors: every call returns a
// Status built by IoErrorStatus, naming the operation and the path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/status.h"

namespace shardkit::storage {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(2). Returns the fd; the caller closes it with Close().
  virtual Result<int> Open(const std::string& path, int flags, mode_t mode) = 0;
  // close(2); errors are reported (a failed close may lose written data).
  virtual Status Close(int fd, const std::string& path) = 0;
  virtual Status Fdatasync(int fd, const std::string& path) = 0;
  virtual Status Fsync(int fd, const std::string& path) = 0;
  virtual Status Rename(const std::string& source_path, const std::string& target_path) = 0;
  // Opens the directory and fsyncs it, making creations and renames durable.
  virtual Status SyncDir(const std::string& dir_path) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(int fd, const std::string& path) = 0;
  virtual Status Truncate(int fd, const std::string& path, uint64_t size_bytes) = 0;
  // fallocate(fd, 0, 0, size); kNotSupported where the file system lacks it.
  virtual Status Preallocate(int fd, const std::string& path, uint64_t size_bytes) = 0;
  // The O_DIRECT alignment of an open file (statx STATX_DIOALIGN; 4096 when
  // the kernel or file system does not say). Never fails.
  virtual uint32_t DirectIoAlignment(int fd) = 0;
};

// The process-wide real file system. Never null; lives forever.
FileSystem* PosixFileSystem();

// "<dir>" of "<dir>/<name>" ("." when the path has no slash).
std::string DirName(const std::string& path);
// "<name>" of "<dir>/<name>".
std::string BaseName(const std::string& path);

}  // namespace shardkit::storage
