// ProbeDirectIo: does O_DIRECT work in a directory, and with which alignment?
//
// Creates "<dir>/.shardkit-io-probe.<pid>", opens it with O_DIRECT, writes
// one aligned block, reads it back with O_DIRECT and compares, then removes
// the file. The answer says which step refused direct I/O and with which
// errno (EINVAL at open: a file system without O_DIRECT; EINVAL at the first
// I/O: the alignment is stricter than reported), so that `shardkit io-probe`
// can explain why readers and writers there fall back to buffered I/O.
//
// Threading: thread-safe (no shared state). Errors: the returned Status is
// an error only when the directory itself is unusable (missing, read-only,
// full); direct I/O being refused is a normal answer, not an error.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace shardkit::storage {

struct DirectIoProbeResult {
  bool supported = false;
  // The O_DIRECT alignment the file system reports (statx STATX_DIOALIGN,
  // else 4096), for offsets, lengths and memory.
  uint32_t alignment = 0;
  // "ext4", "xfs", "tmpfs", ... or "unknown (0x...)" from statfs f_type.
  std::string file_system;
  // When unsupported: the refused step and errno ("open with O_DIRECT:
  // Invalid argument").
  std::string why;
};

// REQUIRES: dir_path names a directory the caller may create files in.
Result<DirectIoProbeResult> ProbeDirectIo(const std::string& dir_path);

// The file system type of `path` as a name (statfs f_type), or
// "unknown (0x<magic>)"; "unknown" if statfs fails.
std::string FileSystemName(const std::string& path);

}  // namespace shardkit::storage
