#include "tools/input_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "storage/file_reader.h"

namespace shardkit::tools {

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kRdb: return "rdb";
    case InputFormat::kAof: return "aof";
    case InputFormat::kAofManifest: return "aof-manifest";
    case InputFormat::kDirectory: return "directory";
    case InputFormat::kEmpty: return "empty";
    case InputFormat::kUnknown: return "unknown";
  }
  return "unknown";
}

Result<InputFormat> DetectInputFormat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", path);
  if (S_ISDIR(st.st_mode)) return InputFormat::kDirectory;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  char head[8] = {};
  ssize_t n;
  do {
    n = ::pread(fd, head, sizeof(head), 0);
  } while (n < 0 && errno == EINTR);
  const int saved = errno;
  ::close(fd);
  if (n < 0) return Status::FromErrno(saved, "read", path);
  std::string_view h(head, static_cast<size_t>(n));
  if (h.empty()) return InputFormat::kEmpty;
  if (h.rfind("REDIS", 0) == 0 || h.rfind("VALKEY", 0) == 0) return InputFormat::kRdb;
  if (h[0] == '*') return InputFormat::kAof;
  if (h.rfind("file ", 0) == 0 || h[0] == '#') return InputFormat::kAofManifest;
  return InputFormat::kUnknown;
}

Result<std::unique_ptr<ChunkSource>> OpenInput(const std::string& path,
                                               const storage::IoOptions& io) {
  return storage::OpenSequentialReader(path, io);
}

std::string BackendInUse(const storage::IoOptions& io) {
  return std::string(storage::IoBackendName(storage::ResolveIoBackend(io.backend)));
}

}  // namespace shardkit::tools
