// AofWriter: writes commands as RESP (formats-reference §10.1) to a
// ChunkSink, emitting SELECT only when the db changes and optional #TS:
// annotations; and WriteMultiPartAof, which produces a Redis 7 multi-part
// directory: base file, incr file, manifest.
//
// Publishing protocol (WriteMultiPartAof), the order Redis uses so that a
// crash never leaves a manifest naming a file that is not complete:
//   1. base file: create, fill (caller's callback, e.g. an rdb::RdbWriter or
//      an AofWriter), finish, publish;
//   2. incr file: the same;
//   3. the manifest last: create, write, finish, publish.
// The format layer only produces bytes: `create` and `publish` come from the
// caller (tools/ and loader/ back them with storage::AtomicFileWriter, whose
// Publish() is rename + directory fsync). A failure stops at that step; files
// already published are left for the caller to remove or reuse.
//
// Ownership: the sink (AofWriter) is borrowed and must outlive the writer.
// Threading: one thread. Errors: sink errors (sticky), callback errors
// unchanged, kInvalidArgument for an empty command or bad names.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/byte_writer.h"
#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/aof/aof_manifest.h"

namespace shardkit::formats::aof {

// The RESP encoding of one command.
std::string EncodeCommand(std::span<const std::string> args);
void AppendCommand(std::span<const std::string> args, std::string* out);

class AofWriter {
 public:
  explicit AofWriter(ChunkSink* sink) : out_(sink) {}
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // Writes SELECT <db> first when `db` differs from the last one written
  // (none is assumed at the start, as each loaded file starts in db 0).
  Status Write(int db, std::span<const std::string> args);
  // For a piece of a file that another writer continues (recover's
  // fragments, loader/fragments.h): the first Write emits no SELECT and
  // adopts its db. first_db() is that db (-1 before any Write), db() the
  // db of the last Write.
  void AdoptFirstDb() { adopt_first_db_ = true; }
  int first_db() const { return first_db_; }
  int db() const { return db_; }
  // Writes the command as is (no SELECT tracking).
  Status WriteRaw(std::span<const std::string> args);
  Status WriteTimestamp(int64_t unix_seconds);
  // Hands buffered bytes to the sink (not durable).
  Status Flush() { return out_.Flush(); }
  // Flushes and finishes the sink (durable for files).
  Status Finish() { return out_.Finish(); }
  uint64_t offset() const { return out_.offset(); }

 private:
  ByteWriter out_;
  int db_ = 0;
  bool adopt_first_db_ = false;
  int first_db_ = -1;
  std::string buffer_;
};

struct MultiPartAofSpec {
  std::string prefix = "appendonly.aof";  // Redis's appendfilename
  uint64_t seq = 1;
  bool base_is_rdb = true;  // .base.rdb, else .base.aof (RESP)
  bool with_incr = true;
};

struct MultiPartAofCallbacks {
  // Opens a sink for file `name` (bare name) in the target directory.
  std::function<Result<std::unique_ptr<ChunkSink>>(const std::string& name)> create;
  // Makes a finished sink visible under its name, atomically.
  std::function<Status(ChunkSink* sink)> publish;
};

struct MultiPartAofResult {
  AofManifest manifest;
  std::string manifest_name;
};

// Writes base, incr (when spec.with_incr), manifest, in that order.
// `write_base` fills the base sink (it must not Finish it);
// `write_incr` fills the incr file through an AofWriter.
Result<MultiPartAofResult> WriteMultiPartAof(const MultiPartAofSpec& spec,
                                             const MultiPartAofCallbacks& callbacks,
                                             const std::function<Status(ChunkSink*)>& write_base,
                                             const std::function<Status(AofWriter*)>& write_incr);

}  // namespace shardkit::formats::aof
