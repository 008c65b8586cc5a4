// AofReader: iterates every command of an append-only log: a legacy single
// file (with or without an RDB preamble) or the files of a multi-part
// directory in load order (formats-reference §10.2, §10.3).
//
// Per file: if it starts with "REDIS" (or "VALKEY") the RDB part is handed to
// an RdbPartReader, which must leave the ByteReader right after the RDB
// trailer; RESP is read from there (RespReader). The reader tracks, as Redis's
// loader does with a fresh client per file: the current db (SELECT, reset to
// 0 at each file start) and MULTI/EXEC: commands of a transaction are
// buffered and delivered only when its EXEC is read (MULTI, the commands,
// EXEC, in order); a transaction still open at the end of the last file is
// dropped, as Redis rolls it back. Nested MULTI and EXEC without MULTI are
// format errors (redis-check-aof's rule).
//
// A file that ends inside a command or transaction ("truncated") is accepted
// only when it is the last file and options.allow_truncated_tail is set (as
// Redis with aof-load-truncated yes): its summary records the cut point
// (safe_end) and reading ends there. Any other damage is an error.
//
// Ownership: visitor, part reader and the sources are borrowed for the calls.
// AofCommand views are valid only during the OnCommand call.
// Threading: one thread.
// Errors: kCorruption "<file> offset 0x<hex> (<dec>): <what>" (RESP, MULTI,
// SELECT, RDB part); kNotSupported for an unknown command when
// options.extract_keys is set ("<file> offset ..: unknown command 'X'");
// visitor and source errors are returned unchanged. After an error the
// file's summary (last_file()) says where the last sound point is.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/aof/aof_manifest.h"
#include "formats/aof/command_keys.h"
#include "formats/aof/resp_reader.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::aof {

// Reads the RDB part of an AOF file. The default (DefaultRdbPartReader) runs
// rdb::RdbReader; tests and loaders may substitute their own.
class RdbPartReader {
 public:
  virtual ~RdbPartReader() = default;
  // REQUIRES: `in` is at the RDB header. On success `in` is right after the
  // RDB trailer. Returns the number of keys read.
  virtual Result<uint64_t> ReadRdbPart(ByteReader* in) = 0;
};

// rdb::RdbReader in raw (or deep) mode, feeding an optional visitor.
class DefaultRdbPartReader final : public RdbPartReader {
 public:
  explicit DefaultRdbPartReader(rdb::RdbReadOptions options = {},
                                rdb::RdbVisitor* visitor = nullptr)
      : options_(options), visitor_(visitor) {}
  Result<uint64_t> ReadRdbPart(ByteReader* in) override;

 private:
  rdb::RdbReadOptions options_;
  rdb::RdbVisitor* visitor_;
};

struct AofReadOptions {
  RespLimits limits;
  // Accept a torn tail (EOF inside a command or transaction) in the last file.
  bool allow_truncated_tail = true;
  // Run ExtractKeys on every command (AofCommand::keys); unknown -> error.
  bool extract_keys = false;
  // Reads RDB parts; nullptr = a DefaultRdbPartReader with default options.
  RdbPartReader* rdb_part_reader = nullptr;
  // Largest total argument bytes buffered for one open MULTI transaction.
  uint64_t max_transaction_bytes = uint64_t{1} << 30;
};

struct AofCommand {
  std::span<const std::string> args;
  int db = 0;
  const std::string* file = nullptr;
  uint64_t offset = 0;  // start of the command in its file
  uint64_t end_offset = 0;
  bool in_transaction = false;        // MULTI, EXEC and everything between them
  const CommandKeys* keys = nullptr;  // when options.extract_keys
};

struct AofFileSummary {
  std::string name;
  uint64_t bytes = 0;  // bytes consumed (file size when read to the end)
  bool rdb_preamble = false;
  uint64_t rdb_keys = 0;
  uint64_t resp_offset = 0;         // where RESP starts (after the RDB part)
  uint64_t commands = 0;            // complete commands read (incl. MULTI/EXEC)
  uint64_t commands_delivered = 0;  // handed to the visitor
  uint64_t annotations = 0;
  uint64_t transactions = 0;  // complete MULTI/EXEC blocks
  int64_t first_timestamp = -1;
  int64_t last_timestamp = -1;
  // The last sound cut point: end of the last complete command outside any
  // transaction, and how many commands precede it.
  uint64_t safe_end = 0;
  uint64_t commands_before_safe_end = 0;
  bool truncated = false;                     // ended inside a command or transaction
  std::optional<uint64_t> open_multi_offset;  // MULTI left open at the end
  RespFailure failure;                        // RESP failure details, if any
};

class AofVisitor {
 public:
  virtual ~AofVisitor() = default;
  virtual Status OnFileStart(const std::string& /*name*/) { return Status(); }
  virtual Status OnCommand(const AofCommand& command) = 0;
  // A `#` annotation; timestamp >= 0 for #TS:<unix-seconds>.
  virtual Status OnAnnotation(const std::string& /*file*/, uint64_t /*offset*/,
                              int64_t /*timestamp*/) {
    return Status();
  }
  virtual Status OnFileEnd(const AofFileSummary& /*summary*/) { return Status(); }
};

class AofReader {
 public:
  // REQUIRES: visitor (and options.rdb_part_reader) outlive the reader.
  AofReader(AofReadOptions options, AofVisitor* visitor);
  AofReader(const AofReader&) = delete;
  AofReader& operator=(const AofReader&) = delete;

  // Reads one file; call once per file in load order. `is_last` enables the
  // torn-tail tolerance. REQUIRES: source outlives the call.
  Status ReadFile(ChunkSource* source, const std::string& name, bool is_last);

  const std::vector<AofFileSummary>& files() const { return files_; }
  // Summary of the file being read or read last.
  const AofFileSummary* last_file() const { return files_.empty() ? nullptr : &files_.back(); }
  uint64_t commands_delivered() const { return delivered_; }

 private:
  class FileState;
  AofReadOptions options_;
  AofVisitor* visitor_;
  DefaultRdbPartReader default_rdb_;
  std::vector<AofFileSummary> files_;
  uint64_t delivered_ = 0;
};

// Opens a file of a multi-part directory by its bare name (tools/ and
// loader/ implement it over storage).
using AofFileOpener = std::function<Result<std::unique_ptr<ChunkSource>>(const std::string& name)>;

// Reads every file of `manifest` in load order (base, then incr).
Status ReadMultiPartAof(const AofManifest& manifest, const AofFileOpener& open, AofReader* reader);

// True when the first bytes start an RDB ("REDIS" or "VALKEY").
bool LooksLikeRdb(std::string_view head);

}  // namespace shardkit::formats::aof
