// OpenPositionalReader: a file as a RandomAccessSource, read with pread at
// chosen offsets (the native snapshot reader fetches its trailer, index and
// the blocks it wants). Buffered I/O: reads are block-sized and chosen, so
// the page cache's readahead serves them well; the file size is taken once
// at open.
//
// Threading: ReadAt may be called from several threads at once (pread has
// no shared file position). Not copyable; closes the file on destruction.
// Errors: kNotFound/kIoError naming the path, the operation and the offset
// (storage/io_error.h); reading past the size taken at open is kCorruption.
// EINTR is retried; a short read is continued; a zero-byte read before the
// expected end is reported (the file shrank), never looped on.
#pragma once

#include <memory>
#include <string>

#include "base/random_access_source.h"
#include "storage/io_options.h"

namespace shardkit::storage {

Result<std::unique_ptr<RandomAccessSource>> OpenPositionalReader(const std::string& path,
                                                                 const IoOptions& options = {});

}  // namespace shardkit::storage
