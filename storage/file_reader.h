// OpenSequentialReader: a file as a ChunkSource, read front to back with
// options.queue_depth reads in flight on the chosen backend.
//
// The file is opened read-only (O_RDONLY | O_NOATIME where permitted) and is
// never modified. O_DIRECT is used when options.direct and the file system
// accept it; otherwise buffered reads (tmpfs, some overlay file systems).
// Spans handed out are in file order and valid until the next Next() call.
// Threading: the returned source is used by one thread (it owns its ring).
// Errors: kNotFound/kIoError naming the path, the operation and the offset;
// sticky after the first error.
#pragma once

#include <memory>
#include <string>

#include "base/chunk_io.h"
#include "storage/io_options.h"

namespace shardkit::storage {

// start_offset > 0: the stream is the file from that offset on (see
// SequentialReader::Open for its alignment requirement).
Result<std::unique_ptr<ChunkSource>> OpenSequentialReader(const std::string& path,
                                                          const IoOptions& options = {},
                                                          uint64_t start_offset = 0);

}  // namespace shardkit::storage
