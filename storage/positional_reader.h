// OpenPositionalReader: a file as a RandomAccessSource, read with pread at
// chosen offsets (the native snapshot reader fetches its trailer, index and
// the blocks it wants). With options.direct (the default) the file is opened
// O_DIRECT where the file system allows it (else buffered: EINVAL at open or
// at a first aligned read made at open, or an alignment above
// ReadScratch::kAlignment): ReadRange then reads the
// aligned window around a block straight into the caller's scratch, with no
// page-cache copy (a buffered pread's copy was 22% of the CPU of a recover
// from native sources); ReadAt goes through a bounce buffer. Readers keep
// several block reads in flight by reading from several threads. The file
// size is taken once at open.
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
