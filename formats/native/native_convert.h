// Conversions between RDB and the native format, stream to stream.
//
// RdbToNative reads an RDB in raw mode with value capture (values are never
// decoded, so every value's bytes are carried unchanged) and writes a native
// snapshot: AUX fields into the header, FUNCTION2 and MODULE_AUX records
// into the meta block, keys bucketed by (db, slot range) into blocks.
// NativeToRdb writes an RDB from a NativeReader: the AUX fields, the meta
// records placed before the keys, the key blocks in (db, slot) order with a
// SELECTDB per db change, the meta records placed after the keys, EOF and
// CRC64. Values are copied byte for byte when the target version is the
// source's; RdbWriter converts what an older target cannot hold (listed in
// losses). Key order differs from the source RDB (slot order), which Redis
// does not care about.
//
// Not carried: RESIZEDB and SLOT_INFO hints (rebuilt by Redis on load);
// FUNCTION_PRE_GA records and Valkey SLOT_IMPORT records are refused
// (kNotSupported) rather than dropped silently.
//
// Ownership: sources, sinks and the reader are borrowed for the call.
// Threading: one call per thread. Errors: those of the reader, writer and
// sink, unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/native/native_format.h"
#include "formats/native/native_reader.h"
#include "formats/native/native_writer.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::native {

struct RdbToNativeResult {
  rdb::RdbSummary source;
  NativeWriteStats written;
};

// `layout`: RdbReadOptions::layout of the source (an Enterprise shard file's
// opcodes 107/121 are read and not carried).
Result<RdbToNativeResult> RdbToNative(ChunkSource* rdb_source, ChunkSink* native_sink,
                                      const NativeWriterOptions& options,
                                      rdb::Producer layout = rdb::Producer::kRedis);

struct NativeToRdbOptions {
  int rdb_version = 0;  // 0: the source's version (7 for sources older than 7; at most 14)
  std::optional<SlotSet> slots;     // only the key blocks (and keys) of these slots
  bool checksum = true;
};

struct NativeToRdbResult {
  int rdb_version = 0;
  uint64_t keys = 0;
  uint64_t blocks_read = 0;
  uint64_t stored_bytes_read = 0;  // block headers + stored payloads read
  uint64_t rdb_bytes = 0;
  std::vector<std::string> losses;
};

Result<NativeToRdbResult> NativeToRdb(const NativeReader& reader, ChunkSink* rdb_sink,
                                      const NativeToRdbOptions& options);

}  // namespace shardkit::formats::native
