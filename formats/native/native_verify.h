// VerifyNative: checks a native snapshot in one front-to-back pass over a
// ChunkSource (no seeks, so it runs at sequential-read speed): the header
// and its checksum; every block's header, stored and raw XXH3 and payload
// structure (entry lengths, flags, every key's slot within the block's
// range, the entry count); the meta and slot-stats blocks (the slot table
// must equal what the key blocks hold); the index (checksum, and every
// record equal to the block seen at that offset); the trailer. With
// options.deep every key block's values are also decoded and validated as
// RdbReader's deep mode does (through an in-memory RDB of the block).
//
// A block whose header is intact but whose payload is damaged is recorded in
// report.damaged and the pass goes on with the next block, so one report
// names every damaged block. A damaged block header, index or trailer stops
// the pass. The report always comes back; ok = false with the first error.
// Threading: one call per thread; independent calls may run in parallel.
// Ownership: `source` is borrowed for the call.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/native/native_format.h"

namespace shardkit::formats::native {

struct NativeVerifyOptions {
  bool deep = false;
};

struct DamagedBlock {
  BlockInfo block;
  Status error;
};

struct NativeVerifyReport {
  bool ok = false;
  bool header_read = false;
  FileHeader header;
  uint64_t blocks = 0;
  uint64_t key_blocks = 0;
  uint64_t keys = 0;  // entries in sound key blocks
  // Figures over the entries of sound key blocks, as VerifyRdb reports them:
  // keys per type (rdb::TypeName of the source's magic), keys with an expiry,
  // and how many of the 16384 hash slots hold at least one key.
  std::map<std::string, uint64_t> keys_per_type;
  uint64_t keys_with_expiry = 0;
  uint64_t slots_covered = 0;
  uint64_t functions = 0;
  uint64_t module_aux = 0;
  uint64_t raw_bytes = 0;     // payload bytes after decompression (sound blocks)
  uint64_t stored_bytes = 0;  // payload bytes as stored (all blocks seen)
  uint64_t bytes_read = 0;
  std::vector<DamagedBlock> damaged;     // every block whose payload failed
  Status error;                          // first error (OK when ok)
  std::optional<uint64_t> error_offset;  // file offset of the first error, when known
  std::optional<uint32_t> error_block;   // block number of the first error, when a block
  std::vector<std::string> warnings;
};

NativeVerifyReport VerifyNative(ChunkSource* source, const NativeVerifyOptions& options);

}  // namespace shardkit::formats::native
