// RespReader: streams the RESP part of an append-only file (formats-reference
// §10.1, §10.4) one item at a time: a command (`*<argc>\r\n` followed by argc
// bulk strings `$<len>\r\n<bytes>\r\n`) or an annotation line (`#...\r\n`;
// `#TS:<unix-seconds>` is parsed into a timestamp).
//
// Limits: argc and every bulk length are checked against RespLimits and
// against the bytes left in the source (when its size is known) before any
// allocation; argument storage grows only with the bytes actually read, never
// from the declared counts. Argument strings are reused between commands.
//
// Ownership: `in` is borrowed and must outlive the reader. The RespItem
// returned by Next() (and the argument views in it) stays valid until the
// next call to Next(). Threading: one thread.
// Errors: kCorruption "<file> offset 0x<hex> (<dec>): <what>, expected X,
// got Y (last complete item ends at offset N, after C commands)". After an
// error the reader is failed: failure() says whether the input ended inside an
// item (kTruncated: a torn tail, which Redis tolerates in the last file) or
// held bytes that are not RESP (kGarbage), the error offset, ok_up_to (where
// the last complete item ends) and the commands before it. Source I/O errors
// are returned unchanged with kind kIoError.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace shardkit::formats::aof {

struct RespLimits {
  // Redis's proto limits: 1M arguments per command, 512 MB per bulk string.
  uint64_t max_args = uint64_t{1} << 20;
  uint64_t max_bulk_bytes = uint64_t{512} << 20;
  // Longest `#` annotation line accepted (Redis reads lines into 1024 bytes).
  uint64_t max_annotation_bytes = 1024;
};

enum class RespItemKind : uint8_t { kCommand, kAnnotation, kEnd };

struct RespItem {
  RespItemKind kind = RespItemKind::kEnd;
  uint64_t offset = 0;      // offset of the item's first byte
  uint64_t end_offset = 0;  // offset just past the item
  // kCommand: the arguments (args[0] is the command name as written).
  std::span<const std::string> args;
  // kAnnotation: the line without '#' and CRLF; timestamp >= 0 for #TS:<n>.
  std::string_view annotation;
  int64_t timestamp = -1;
};

enum class RespFailureKind : uint8_t { kNone, kTruncated, kGarbage, kIoError };
std::string_view RespFailureKindName(RespFailureKind kind);

struct RespFailure {
  RespFailureKind kind = RespFailureKind::kNone;
  uint64_t error_offset = 0;     // where the problem was found
  uint64_t item_offset = 0;      // start of the item being read
  uint64_t ok_up_to = 0;         // end of the last complete item
  uint64_t commands_before = 0;  // complete commands before ok_up_to
};

class RespReader {
 public:
  // REQUIRES: `in` is positioned at the first RESP byte and outlives this.
  explicit RespReader(ByteReader* in, RespLimits limits = {});
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  // Reads the next item; kEnd at a clean end of stream (between items).
  Result<RespItem> Next();

  // Complete commands read so far (annotations not counted).
  uint64_t commands() const { return commands_; }
  // End offset of the last complete item (the start offset before any).
  uint64_t ok_up_to() const { return ok_up_to_; }
  // Details of the error that failed the reader; kind kNone while healthy.
  const RespFailure& failure() const { return failure_; }

 private:
  Result<RespItem> ReadCommand(uint64_t start);
  Result<RespItem> ReadAnnotation(uint64_t start);
  // Reads "<digits>\r\n" after the prefix byte into *value, bounded by max.
  Status ReadNumberLine(char prefix, uint64_t max, std::string_view what, uint64_t* value);
  Status ReadBulk(uint64_t index, uint64_t argc);
  // Fast paths over one contiguous view; false (nothing consumed) on anything
  // unusual, which the byte-wise path then reports exactly.
  bool TryReadNumberLineFast(uint64_t max, uint64_t* value);
  bool TryReadBulkFast(uint64_t index);
  Status ExpectCrlf(std::string_view after);
  std::string AnnotationTooLong() const;
  // Records the failure and returns the Status for it.
  Status Fail(RespFailureKind kind, uint64_t offset, std::string what);
  // Maps a ByteReader error: end of data -> truncated, else I/O.
  Status FailFromRead(const Status& read_status, std::string_view while_doing);

  // Bytes left before the end of a sized source (computed from the end
  // offset fixed at construction: no virtual size() call per field).
  std::optional<uint64_t> Remaining() const;

  ByteReader* in_;
  RespLimits limits_;
  std::optional<uint64_t> end_offset_;
  std::vector<std::string> args_;
  std::string annotation_;
  uint64_t commands_ = 0;
  uint64_t ok_up_to_ = 0;
  uint64_t item_offset_ = 0;
  RespFailure failure_;
  Status error_;
};

// Parses "TS:<digits>" (an annotation without '#'); -1 when not a timestamp.
int64_t ParseTimestampAnnotation(std::string_view annotation);

}  // namespace shardkit::formats::aof
