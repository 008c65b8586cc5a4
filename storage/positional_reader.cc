#include "storage/positional_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "storage/aligned_buffer.h"
#include "storage/file_system.h"
#include "storage/io_error.h"

namespace shardkit::storage {
namespace {

class PreadSource final : public RandomAccessSource {
 public:
  // `alignment` != 0: fd was opened with O_DIRECT and every read must be
  // aligned to it (offset, length and memory).
  PreadSource(int fd, uint64_t size, std::string path, uint32_t alignment)
      : fd_(fd), size_(size), path_(std::move(path)), alignment_(alignment) {}
  ~PreadSource() override { ::close(fd_); }
  PreadSource(const PreadSource&) = delete;
  PreadSource& operator=(const PreadSource&) = delete;

  Status ReadAt(uint64_t offset, MutableByteSpan dst) const override {
    SK_RETURN_IF_ERROR(CheckRange(offset, dst.size()));
    if (alignment_ == 0) return ReadFully(offset, dst, dst.size());
    // Direct I/O: through an aligned bounce buffer (small reads of the
    // header, trailer and index; block reads use ReadRange).
    ReadScratch scratch;
    SK_ASSIGN_OR_RETURN(ByteSpan got, ReadRange(offset, dst.size(), &scratch));
    if (!got.empty()) std::memcpy(dst.data(), got.data(), got.size());
    return Status();
  }

  Result<ByteSpan> ReadRange(uint64_t offset, size_t length,
                             ReadScratch* scratch) const override {
    SK_RETURN_IF_ERROR(CheckRange(offset, length));
    if (alignment_ == 0) return RandomAccessSource::ReadRange(offset, length, scratch);
    if (length == 0) return ByteSpan();
    // The aligned window around the range; its tail may pass the end of the
    // file (a direct read there returns short, which is fine once the
    // wanted bytes are in).
    const uint64_t start = RoundDown(offset, alignment_);
    const uint64_t end = RoundUp(offset + length, alignment_);
    SK_ASSIGN_OR_RETURN(MutableByteSpan buf, scratch->Reserve(static_cast<size_t>(end - start)));
    const size_t needed = static_cast<size_t>(offset + length - start);
    SK_RETURN_IF_ERROR(ReadFully(start, buf.first(static_cast<size_t>(end - start)), needed));
    return ByteSpan(buf.data() + (offset - start), length);
  }

  uint64_t size() const override { return size_; }
  const std::string& name() const override { return path_; }

 private:
  Status CheckRange(uint64_t offset, size_t length) const {
    if (offset > size_ || length > size_ - offset) {
      return Status::Corruption(path_ + ": read of " + std::to_string(length) +
                                " bytes at offset " + std::to_string(offset) +
                                " runs past the end of the file (" + std::to_string(size_) +
                                " bytes): unexpected end of file");
    }
    return Status();
  }

  // Reads into `dst` from `offset` until at least `needed` bytes are in
  // (direct reads may stop short at the end of the file after that).
  // With O_DIRECT a short read is continued from the last aligned offset.
  Status ReadFully(uint64_t offset, MutableByteSpan dst, size_t needed) const {
    size_t done = 0;
    // Bounded: every iteration either advances or returns.
    while (done < needed) {
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
      const size_t before = done;
      done += static_cast<size_t>(n);
      if (alignment_ != 0 && done < needed) {
        done = RoundDown(done, alignment_);
        if (done <= before) {
          return Status::IoError("read " + path_ + " at offset " + std::to_string(offset + done) +
                                 ": short direct read before the " + std::to_string(size_) +
                                 " bytes seen at open (the file shrank)");
        }
      }
    }
    return Status();
  }

  int fd_;
  uint64_t size_;
  std::string path_;
  uint32_t alignment_;
};

}  // namespace

Result<std::unique_ptr<RandomAccessSource>> OpenPositionalReader(const std::string& path,
                                                                 const IoOptions& options) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOATIME | (options.direct ? O_DIRECT : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0 && errno == EPERM) {
    flags &= ~O_NOATIME;
    fd = ::open(path.c_str(), flags);
  }
  if (fd < 0 && errno == EINVAL && (flags & O_DIRECT)) {  // no O_DIRECT here
    flags &= ~O_DIRECT;
    fd = ::open(path.c_str(), flags);
  }
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
  uint32_t alignment = (flags & O_DIRECT) ? PosixFileSystem()->DirectIoAlignment(fd) : 0;
  bool buffered = alignment > ReadScratch::kAlignment;  // stricter than the scratch memory's
  if (alignment != 0 && !buffered && st.st_size > 0) {
    // Some file systems accept O_DIRECT at open and refuse it at the first
    // read (EINVAL): find out now with one aligned read of the first block.
    ReadScratch probe;
    Result<MutableByteSpan> buf = probe.Reserve(alignment);
    if (!buf.ok()) {
      ::close(fd);
      return buf.status();
    }
    ssize_t n;
    do {
      n = ::pread(fd, buf->data(), alignment, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EINVAL) {
      buffered = true;
    } else if (n < 0) {
      const int e = errno;
      ::close(fd);
      return IoErrorStatus(e, "read", path, 0);
    }
  }
  if (buffered) {
    // Linux lets F_SETFL clear O_DIRECT on the open file.
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_DIRECT) != 0) {
      const int e = errno;
      ::close(fd);
      return IoErrorStatus(e, "fcntl F_SETFL ~O_DIRECT", path);
    }
    alignment = 0;
  }
  return std::unique_ptr<RandomAccessSource>(
      new PreadSource(fd, static_cast<uint64_t>(st.st_size), path, alignment));
}

}  // namespace shardkit::storage
