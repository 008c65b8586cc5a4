// Path-level entry points for the native snapshot format, for the commands
// (convert here; verify, inspect, plan and recover dispatch to these with one
// call when the input starts with the native magic). Each entry point opens
// the file on the configured backend, runs the formats/native code and
// returns a report; the *Json / Print* helpers render a report in the shape
// the commands use (JSON on stdout, text on stderr).
//
// Threading: every function may run on any thread; independent calls may
// run in parallel. Errors: as a Status in the report or Result (kNotFound /
// kIoError naming the path, kCorruption naming block, offset and slots).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "formats/native/native_convert.h"
#include "formats/native/native_entry.h"
#include "formats/native/native_format.h"
#include "formats/native/native_verify.h"
#include "storage/io_options.h"

namespace shardkit::tools {

// True when the file at `path` starts with "SKNATIVE" (reads 8 bytes).
Result<bool> IsNativePath(const std::string& path);

// verify: one sequential pass (formats/native/native_verify.h). The report
// always comes back; report.error holds I/O errors too.
struct NativeVerifyResult {
  std::string path;
  formats::native::NativeVerifyReport report;
  double seconds = 0;
};
NativeVerifyResult VerifyNativePath(const std::string& path, bool deep,
                                    const storage::IoOptions& io);
// The verify JSON object (same top-level keys as an RDB's where they apply:
// path, ok, format "native", keys, bytes, seconds, warnings, error{code,
// message, offset, block}) plus "native": blocks, damaged blocks, ratio.
nlohmann::json NativeVerifyJson(const NativeVerifyResult& result, bool deep);
// "OK <path> (native v1 from RDB v11, N keys, B blocks)" or "CORRUPT ...",
// one line per damaged block.
void PrintNativeVerifyText(const NativeVerifyResult& result);

// inspect / plan: the header, the index, the slot-stats block and the meta
// block (a few small reads). With a `scan` callback inspect also reads every
// key block (checksums verified) and calls it for each entry in file order
// with the entry's bytes in the block payload (the unit of the slot-stats
// table); a damaged block is skipped and listed in scan_errors, the rest
// still scanned.
struct NativeInspectReport {
  std::string path;
  formats::native::FileHeader header;
  uint64_t file_bytes = 0;
  uint64_t keys = 0;
  uint64_t blocks = 0;
  uint64_t key_blocks = 0;
  uint64_t raw_bytes = 0;     // key block payloads, uncompressed (= entry bytes)
  uint64_t stored_bytes = 0;  // key block payloads as stored
  // db -> {keys, raw (entry) bytes}, ascending, from the index.
  std::vector<std::pair<uint32_t, std::pair<uint64_t, uint64_t>>> per_db;
  formats::native::SlotStats slots;               // exact (slot-stats block) or estimated
  bool slots_estimated = false;                   // true when the slot-stats block was damaged
  Status slots_error;                             // why the slot-stats block could not be used
  std::vector<formats::native::MetaRecord> meta;  // functions, module AUX, late AUX
  Status meta_error;                              // a damaged meta block
  std::vector<formats::native::BlockInfo> index;
  bool scanned = false;
  uint64_t blocks_scanned = 0;      // key blocks read soundly by the scan
  std::vector<Status> scan_errors;  // one per key block the scan could not read
};
using NativeEntryFn = std::function<void(const formats::rdb::RdbEntry& entry, uint64_t bytes)>;
// `scan` may be null (index-only). Errors: the file cannot be opened, or its
// trailer, index or header is damaged (the report cannot be built).
Result<NativeInspectReport> InspectNativePath(const std::string& path, const storage::IoOptions& io,
                                              const NativeEntryFn* scan = nullptr);
nlohmann::json NativeInspectJson(const NativeInspectReport& report, bool with_blocks);
// The first problem the report records (slot-stats, meta or a scanned
// block), or OK.
Status NativeInspectError(const NativeInspectReport& report);

// plan: per-slot keys and bytes, from the index (exact when the slot-stats
// block is sound).
Result<formats::native::SlotStats> NativeSlotStatsPath(const std::string& path,
                                                       const storage::IoOptions& io);

// convert, in both directions. Output is published atomically.
enum class ConvertTarget { kNative, kRdb };
struct ConvertRequest {
  std::string input;
  std::string output;
  std::optional<ConvertTarget> to;  // else by output extension (.skn / .rdb)
  int rdb_version = 0;              // native -> RDB; 0 = the source's version
  uint32_t block_bytes = formats::native::kDefaultBlockTargetBytes;
  std::optional<formats::native::SlotSet> slots;  // native -> RDB: only these slots
};
struct ConvertResult {
  ConvertTarget target = ConvertTarget::kNative;
  uint64_t keys = 0;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  uint64_t blocks = 0;
  uint64_t raw_bytes = 0;     // to native: block payloads before LZ4
  uint64_t stored_bytes = 0;  // to native: block payloads after LZ4; to RDB: key block bytes read
  int rdb_version = 0;        // the RDB read or written
  std::vector<std::string> losses;
  double seconds = 0;
};
Result<ConvertResult> ConvertPath(const ConvertRequest& request, const storage::IoOptions& io);
nlohmann::json ConvertJson(const ConvertRequest& request, const ConvertResult& result);

}  // namespace shardkit::tools
