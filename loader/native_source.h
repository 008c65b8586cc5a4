// Native snapshot sources (formats/native, "*.skn" in a volume's root, e.g.
// an archive written by `shardkit convert` or `recover --format native`).
//
// ScanNativeSource reads only the trailer, the index, the header and the
// slot-stats block: per-slot keys and bytes come from the file's own tables,
// not from reading its key blocks, so discovery and planning of a large
// native file cost a few small reads. Expired keys are not counted (that
// would need the blocks); recovery still drops them.
//
// OpenNativeSource opens the file for recovery (positional reads; the
// reader is shared by decode threads, see loader/recover_workers.cc).
// NativeFunctions returns the function libraries of the meta block.
//
// Errors: the native reader's (kCorruption naming the file, block and
// offset; kNotSupported for a newer format), kNotFound/kIoError for the file.
// Threading: independent calls may run in parallel.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/random_access_source.h"
#include "base/status.h"
#include "formats/native/native_reader.h"
#include "loader/source_scan.h"
#include "storage/io_options.h"

namespace shardkit::loader {

struct OpenedNativeSource {
  std::unique_ptr<RandomAccessSource> file;
  std::unique_ptr<formats::native::NativeReader> reader;  // reads `file`
};

Result<OpenedNativeSource> OpenNativeSource(const std::string& path,
                                            const storage::IoOptions& io);

Result<SourceScan> ScanNativeSource(const std::string& path, const storage::IoOptions& io);

Result<std::vector<std::string>> NativeFunctions(const std::string& path,
                                                 const storage::IoOptions& io);

}  // namespace shardkit::loader
