#include "tools/input_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "formats/native/native_format.h"
#include "storage/file_reader.h"

namespace shardkit::tools {

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kRdb:
      return "rdb";
    case InputFormat::kAof:
      return "aof";
    case InputFormat::kAofManifest:
      return "aof-manifest";
    case InputFormat::kDirectory:
      return "directory";
    case InputFormat::kEmpty:
      return "empty";
    case InputFormat::kUnknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

// Up to `max` bytes from the start of `path`.
Result<std::string> ReadHead(const std::string& path, size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  std::string head(max, '\0');
  ssize_t n;
  do {
    n = ::pread(fd, head.data(), head.size(), 0);
  } while (n < 0 && errno == EINTR);
  const int saved = errno;
  ::close(fd);
  if (n < 0) return Status::FromErrno(saved, "read", path);
  head.resize(static_cast<size_t>(n));
  return head;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool HasRdbMagic(std::string_view head) {
  return head.rfind("REDIS", 0) == 0 || head.rfind("VALKEY", 0) == 0;
}

std::string ParentDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

bool LooksLikeManifest(std::string_view head) {
  // Bounded by the head's size: each step consumes one line.
  while (!head.empty()) {
    size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (line.empty() || line[0] != '#') return line.rfind("file", 0) == 0;
    if (eol == std::string_view::npos) return false;
    head.remove_prefix(eol + 1);
  }
  return false;
}

Result<std::string> FindAofManifest(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string base = dir;
  if (fs::is_directory(dir + "/appendonlydir", ec)) base = dir + "/appendonlydir";
  std::vector<std::string> found;
  // Bounded by the directory's entries.
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".manifest") found.push_back(it->path().string());
  }
  if (ec) return Status::FromErrno(ec.value(), "list", base);
  if (found.size() != 1) {
    return Status::InvalidArgument(base +
                                   ": a multi-part AOF directory needs exactly one "
                                   "*.manifest, found " +
                                   std::to_string(found.size()));
  }
  return found[0];
}

Result<ResolvedInput> ResolveInput(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", path);
  ResolvedInput in;
  in.path = path;
  if (S_ISDIR(st.st_mode)) {
    SK_ASSIGN_OR_RETURN(in.path, FindAofManifest(path));
    in.kind = InputKind::kAofMultiPart;
    in.directory = ParentDir(in.path);
    return in;
  }
  if (EndsWith(path, ".manifest")) {
    in.kind = InputKind::kAofMultiPart;
    in.directory = ParentDir(path);
    return in;
  }
  SK_ASSIGN_OR_RETURN(std::string head, ReadHead(path, 1024));
  const bool aof_name = EndsWith(path, ".aof");
  if (head.empty()) {
    in.kind = aof_name ? InputKind::kAofFile : InputKind::kEmpty;
  } else if (formats::native::IsNativeFile(AsBytes(head))) {
    in.kind = InputKind::kNative;
  } else if (HasRdbMagic(head)) {
    in.kind = aof_name ? InputKind::kAofFile : InputKind::kRdb;
  } else if (LooksLikeManifest(head)) {
    in.kind = InputKind::kAofMultiPart;
    in.directory = ParentDir(path);
  } else {
    in.kind = InputKind::kAofFile;
  }
  return in;
}

Result<InputFormat> DetectInputFormat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", path);
  if (S_ISDIR(st.st_mode)) return InputFormat::kDirectory;
  SK_ASSIGN_OR_RETURN(std::string head, ReadHead(path, 8));
  std::string_view h(head);
  if (h.empty()) return InputFormat::kEmpty;
  if (h.rfind("REDIS", 0) == 0 || h.rfind("VALKEY", 0) == 0) return InputFormat::kRdb;
  if (h[0] == '*') return InputFormat::kAof;
  if (h.rfind("file ", 0) == 0 || h[0] == '#') return InputFormat::kAofManifest;
  return InputFormat::kUnknown;
}

Result<std::unique_ptr<ChunkSource>> OpenInput(const std::string& path,
                                               const storage::IoOptions& io,
                                               uint64_t start_offset) {
  return storage::OpenSequentialReader(path, io, start_offset);
}

std::string BackendInUse(const storage::IoOptions& io) {
  return std::string(storage::IoBackendName(storage::ResolveIoBackend(io.backend)));
}

}  // namespace shardkit::tools
