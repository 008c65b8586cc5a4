#include "storage/positional_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "storage/io_error.h"

namespace shardkit::storage {
namespace {

class PreadSource final : public RandomAccessSource {
 public:
  PreadSource(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  ~PreadSource() override { ::close(fd_); }
  PreadSource(const PreadSource&) = delete;
  PreadSource& operator=(const PreadSource&) = delete;

  Status ReadAt(uint64_t offset, MutableByteSpan dst) const override {
    if (offset > size_ || dst.size() > size_ - offset) {
      return Status::Corruption(path_ + ": read of " + std::to_string(dst.size()) +
                                " bytes at offset " + std::to_string(offset) +
                                " runs past the end of the file (" + std::to_string(size_) +
                                " bytes): unexpected end of file");
    }
    size_t done = 0;
    // Bounded: every iteration either advances or returns.
    while (done < dst.size()) {
      const ssize_t n = ::pread(fd_, dst.data() + done, dst.size() - done,
                                static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoErrorStatus(errno, "read", path_, static_cast<int64_t>(offset + done));
      }
      if (n == 0) {
        return Status::IoError("read " + path_ + " at offset " + std::to_string(offset + done) +
                               ": end of file before the " + std::to_string(size_) +
                               " bytes seen at open (the file shrank)");
      }
      done += static_cast<size_t>(n);
    }
    return Status();
  }
  uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<RandomAccessSource>> OpenPositionalReader(const std::string& path,
                                                                 const IoOptions& /*options*/) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return IoErrorStatus(e, "fstat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  return std::unique_ptr<RandomAccessSource>(
      new PreadSource(fd, static_cast<uint64_t>(st.st_size), path));
}

}  // namespace shardkit::storage
