// SpillSegment: the batches one source routed to one node, parked in a
// private file while the node's writer is still writing an earlier source.
//
// Why: a node's output holds its sources' entries in source order (so N
// --node-index processes write the bytes one run writes). Without parking,
// a node writer busy with source 0 stops taking source 1's batches, source
// 1's reader blocks on the full queue, and the sources are read one after
// another. With it, every source is read at once; a node writer writes the
// batches of the first unfinished source straight to its output and parks
// the others' here, then replays a segment (in order) when its source
// becomes the first unfinished one.
//
// The file lives in the node's staging directory (".spill-<position>"),
// is written through the page cache without fsync (it is never published:
// a crash discards the staging directory anyway) and is removed after the
// replay or when the object dies. Format: private to this class, native
// byte order; it is read back only by the process that wrote it.
//
// Threading: one thread (the node's writer). Errors: I/O errors name the
// file, the operation and the offset; ENOSPC is kResourceExhausted.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "loader/entry_batch.h"
#include "storage/io_options.h"

namespace shardkit::loader {

class SpillSegment {
 public:
  // Creates (truncates) `path`. `io` supplies the file system (tests inject
  // faults through it) and the reader options for the replay.
  static Result<std::unique_ptr<SpillSegment>> Create(const std::string& path,
                                                      const storage::IoOptions& io);
  ~SpillSegment();
  SpillSegment(const SpillSegment&) = delete;
  SpillSegment& operator=(const SpillSegment&) = delete;

  // Appends the batch's live entries and commands.
  Status Append(const EntryBatch& batch);
  // Hands every appended batch back, in order, to `fn` (one reused batch
  // object: valid for the call only), then removes the file.
  Status Replay(const std::function<Status(const EntryBatch&)>& fn);

  uint64_t bytes() const { return written_ + buffer_.size(); }
  uint64_t batches() const { return batches_; }

 private:
  SpillSegment(std::string path, int fd, storage::IoOptions io);
  Status FlushBuffer();
  void Remove();

  std::string path_;
  int fd_ = -1;
  storage::IoOptions io_;
  std::string buffer_;
  uint64_t written_ = 0;  // bytes written to the file
  uint64_t batches_ = 0;
  bool removed_ = false;
};

}  // namespace shardkit::loader
