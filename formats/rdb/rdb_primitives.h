// RDB primitive encodings over a ByteReader (formats-reference.md §2): the
// length encoding (6/14/32/64-bit), strings (plain, INT8/16/32, LZF), text and
// binary doubles, little-endian integers and the module opcode stream (§6.2).
//
// Every length read from the input is checked against the bytes left in the
// source (when its size is known) and against RdbLimits BEFORE anything is
// allocated, so a corrupt length can never cause a large allocation.
// Errors: kCorruption from ByteReader::CorruptionAt ("<name> offset 0x..: <what>");
// the caller appends key/type/phase context. Threading: as the ByteReader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "base/status.h"

namespace shardkit::formats::rdb {

struct RdbLimits {
  // Largest single string (key, value, container blob, LZF output) accepted.
  uint64_t max_string_bytes = uint64_t{4} << 30;
};

// Special string encodings (top bits 11 of a length byte).
inline constexpr uint64_t kEncInt8 = 0;
inline constexpr uint64_t kEncInt16 = 1;
inline constexpr uint64_t kEncInt32 = 2;
inline constexpr uint64_t kEncLzf = 3;

struct LengthOrEncoding {
  uint64_t value = 0;
  bool encoded = false;  // value is a special encoding number (kEnc*)
};

Result<LengthOrEncoding> ReadLengthOrEncoding(ByteReader& in);
// A plain length; a special encoding here is corruption naming `what`.
Result<uint64_t> ReadLength(ByteReader& in, std::string_view what);
// A count of elements each taking at least `min_bytes_each` bytes: refused
// when the source cannot hold that many.
Result<uint64_t> ReadCount(ByteReader& in, std::string_view what, uint64_t min_bytes_each);
// kCorruption unless `need` bytes remain in the source (no-op if size unknown).
Status CheckRemaining(ByteReader& in, uint64_t need, std::string_view what);

// Decodes a string into *out (replacing its contents).
Status ReadString(ByteReader& in, const RdbLimits& limits, std::string* out);
// Consumes a string without decoding it (LZF skipped by compressed length).
Status SkipString(ByteReader& in, const RdbLimits& limits);

// ZSET (type 3) score: length byte + ASCII, 253/254/255 = nan/+inf/-inf.
Result<double> ReadTextDouble(ByteReader& in);
Status SkipTextDouble(ByteReader& in);
Result<double> ReadBinaryDouble(ByteReader& in);
Result<uint64_t> ReadU64Le(ByteReader& in);
Result<int64_t> ReadI64Le(ByteReader& in);
Result<uint32_t> ReadU32Le(ByteReader& in);

// Consumes a module opcode stream up to and including its EOF (len 0).
// Any opcode > 5 is corruption.
Status SkipModuleStream(ByteReader& in, const RdbLimits& limits);

// Length encoding / string encoding for writers (shortest form, as Redis).
void AppendLength(std::string* out, uint64_t value);
// Plain or INT-encoded when the string is a canonical int32 decimal
// (never LZF: the writer copies compressed bytes through unchanged).
void AppendString(std::string* out, std::string_view value);
void AppendBinaryDouble(std::string* out, double value);
void AppendU64Le(std::string* out, uint64_t value);

}  // namespace shardkit::formats::rdb
