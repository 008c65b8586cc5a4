// AtomicFileWriter: writes a file so that a reader of its final name sees the
// old complete file or the new complete file, never a torn one.
//
// Protocol (Publish): 1. bytes go to "<dir>/.<name>.tmp.<pid>" (aligned
// O_DIRECT writes, several in flight, on the chosen backend); 2. fdatasync the
// temporary; 3. rename it over the final name; 4. fsync the directory. A writer
// destroyed without Publish() removes its temporary. Any failure leaves the
// final name untouched.
// Threading: one thread. Errors: naming the path and the operation (write,
// fdatasync, rename, fsync dir); sticky.
#pragma once

#include <memory>
#include <string>

#include "base/chunk_io.h"
#include "storage/io_options.h"

namespace shardkit::storage {

class AtomicFileWriter : public ChunkSink {
 public:
  // REQUIRES: the directory of final_path exists.
  static Result<std::unique_ptr<AtomicFileWriter>> Create(const std::string& final_path,
                                                          const IoOptions& options = {});
  ~AtomicFileWriter() override = default;
  // Append: see ChunkSink. Finish(): flush and fdatasync the temporary.
  // Publish(): Finish() if not done, rename, fsync the directory.
  virtual Status Publish() = 0;
  virtual const std::string& final_path() const = 0;
};

}  // namespace shardkit::storage
