#include "storage/direct_io_probe.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "storage/aligned_buffer.h"
#include "storage/file_system.h"
#include "storage/io_error.h"

namespace shardkit::storage {
namespace {

std::string Refused(const char* step, int errno_value) {
  return std::string(step) + ": " + std::strerror(errno_value);
}

// Writes one aligned block of block_bytes through `fd` (opened O_DIRECT) and reads it back.
// Returns "" when both worked and the bytes match, else the refused step.
std::string RoundTrip(int fd, uint32_t block_bytes) {
  Result<AlignedRegion> region = AlignedRegion::Allocate(size_t{block_bytes} * 2, block_bytes);
  if (!region.ok()) return std::string(region.status().message());
  std::byte* out = region->data();
  std::byte* in = region->data() + block_bytes;
  for (uint32_t i = 0; i < block_bytes; ++i) out[i] = static_cast<std::byte>(i * 7 + 1);
  std::memset(in, 0, block_bytes);
  ssize_t n = ::pwrite(fd, out, block_bytes, 0);
  if (n < 0) return Refused("write with O_DIRECT", errno);
  if (static_cast<uint32_t>(n) != block_bytes) return "write with O_DIRECT: short write";
  n = ::pread(fd, in, block_bytes, 0);
  if (n < 0) return Refused("read with O_DIRECT", errno);
  if (static_cast<uint32_t>(n) != block_bytes || std::memcmp(in, out, block_bytes) != 0) {
    return "read with O_DIRECT: the bytes read back differ from those written";
  }
  return "";
}

}  // namespace

std::string FileSystemName(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<unsigned long>(st.f_type)) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
      return "ext4";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case RAMFS_MAGIC:
      return "ramfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlay";
    case F2FS_SUPER_MAGIC:
      return "f2fs";
    case NFS_SUPER_MAGIC:
      return "nfs";
    case FUSE_SUPER_MAGIC:
      return "fuse";
    default:
      break;
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "unknown (0x%lx)", static_cast<unsigned long>(st.f_type));
  return buf;
}

Result<DirectIoProbeResult> ProbeDirectIo(const std::string& dir_path) {
  FileSystem* fs = PosixFileSystem();
  DirectIoProbeResult out;
  out.file_system = FileSystemName(dir_path);
  const std::string path =
      dir_path + "/.shardkit-io-probe." + std::to_string(static_cast<long>(::getpid()));
  const int flags = O_RDWR | O_CREAT | O_EXCL;
  Result<int> fd = fs->Open(path, flags | O_DIRECT, 0600);
  if (!fd.ok() && fd.status().errno_value() == EINVAL) {
    // The file system refuses O_DIRECT at open (tmpfs before Linux 6.6).
    // The buffered open below still tells whether the directory is usable.
    out.why = Refused("open with O_DIRECT", EINVAL);
    fd = fs->Open(path, flags, 0600);
    SK_RETURN_IF_ERROR(fd.status());
    out.alignment = fs->DirectIoAlignment(*fd);
  } else {
    SK_RETURN_IF_ERROR(fd.status());
    out.alignment = fs->DirectIoAlignment(*fd);
    out.why = RoundTrip(*fd, out.alignment < 4096 ? 4096 : out.alignment);
    out.supported = out.why.empty();
  }
  Status closed = fs->Close(*fd, path);
  Status removed = fs->Unlink(path);
  SK_RETURN_IF_ERROR(closed);
  SK_RETURN_IF_ERROR(removed);
  return out;
}

}  // namespace shardkit::storage
