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

// inspect / plan: the index and the slot-stats block only (no key block read).
struct NativeInspectReport {
  std::string path;
  formats::native::FileHeader header;
  uint64_t file_bytes = 0;
  uint64_t keys = 0;
  uint64_t blocks = 0;
  uint64_t key_blocks = 0;
  uint64_t raw_bytes = 0;     // key block payloads, uncompressed
  uint64_t stored_bytes = 0;  // key block payloads as stored
  std::vector<std::pair<uint32_t, uint64_t>> keys_per_db;  // db -> keys, ascending
  formats::native::SlotStats slots;  // exact (slot-stats block) or estimated
  bool slots_estimated = false;      // true when the slot-stats block was damaged
  std::vector<formats::native::BlockInfo> index;
};
Result<NativeInspectReport> InspectNativePath(const std::string& path,
                                              const storage::IoOptions& io);
nlohmann::json NativeInspectJson(const NativeInspectReport& report, bool with_blocks);

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
