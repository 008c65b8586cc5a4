// AofManifest: the Redis 7 multi-part AOF manifest (formats-reference §10.3):
// parse, validate, format.
//
// Grammar: one file per line, lines starting with '#' are comments, at most
// 1024 bytes a line; a line is split like a shell line (SplitArgs: double
// quotes with \n \r \t \b \a \\ \" \xHH escapes, single quotes with \') into
// an even number (>= 6) of `key value` tokens. Keys (case-insensitive):
// file, seq, type (b base, h history, i incr), startoffset, endoffset (Redis
// 8); other keys are ignored. Rules enforced by ParseAofManifest: at least one
// entry, at most one base, incr seq strictly increasing in file order, seq a
// positive integer, file names bare (ValidateAofFileName). Whether the files
// exist is checked by the caller that owns the directory.
// Load order (LoadOrder): the base, then incr files in manifest order;
// history files are never loaded.
//
// FormatAofManifest writes what Redis writes: base, history, incr lines,
// `file <name> seq <n> type <c>`, quoting a name only when it needs it.
// Threading: pure functions and values.
// Errors: kCorruption "<name> line N: <what>: <the line>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit::formats::aof {

inline constexpr size_t kManifestMaxLineBytes = 1024;

enum class AofFileType : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };

struct AofFileInfo {
  std::string name;
  uint64_t seq = 0;
  AofFileType type = AofFileType::kIncr;
  std::optional<int64_t> start_offset;  // Redis 8 replication offsets
  std::optional<int64_t> end_offset;
  int line = 0;  // 1-based line in the manifest (0 when built in memory)
  std::vector<std::string> unknown_keys;  // ignored, as Redis does; reported
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> history;
  std::vector<AofFileInfo> incr;

  // The files a loader reads, in order: base (if any), then incr.
  std::vector<const AofFileInfo*> LoadOrder() const;
  // One line per unknown key: `<manifest> line N: unknown key "k" ignored`.
  std::vector<std::string> Warnings(std::string_view manifest_name) const;
};

// sdssplitargs-style tokenizer. kCorruption for unbalanced quotes or a
// closing quote not followed by a space.
Result<std::vector<std::string>> SplitArgs(std::string_view line);

// kCorruption unless `name` is a bare file name: not empty, no '/', no '\\',
// not "." or "..", no NUL byte.
Status ValidateAofFileName(std::string_view name);

// `manifest_name` is used in error messages.
Result<AofManifest> ParseAofManifest(std::string_view text, std::string_view manifest_name);

// Quotes `name` as Redis's sdscatrepr does when it contains spaces, quotes,
// backslashes or non-printable bytes; else returns it unchanged.
std::string QuoteManifestName(std::string_view name);

std::string FormatAofManifest(const AofManifest& manifest);

// Names Redis derives from `appendfilename` (default "appendonly.aof").
std::string BaseFileName(std::string_view prefix, uint64_t seq, bool rdb);
std::string IncrFileName(std::string_view prefix, uint64_t seq);
std::string ManifestFileName(std::string_view prefix);

}  // namespace shardkit::formats::aof
