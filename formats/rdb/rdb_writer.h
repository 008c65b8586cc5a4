// RdbWriter: emits an RDB file to any ChunkSink: header, AUX fields,
// FUNCTION2 and MODULE_AUX pass-through, SELECTDB/RESIZEDB, key records
// (EXPIRETIME_MS, IDLE/FREQ, raw value copy-through), EOF and the CRC64.
// Tools publish the output atomically by handing an storage::AtomicFileWriter
// as the sink and calling Publish() after Finish().
//
// Version choice is explicit: options.version is the RDB version written
// (the tools default to the source's version; redis-server 7.0 reads up to
// RDB 10, so output meant for 7.0 must be written as 9 or 10). Writable:
// REDIS magic, versions 7 to 14. A value whose type the target version
// cannot express is converted when that is possible, else refused:
//   hash/zset/set listpack (16/17/20) -> plain hash 4 / zset 5 / set 2;
//   quicklist v2 (18) -> plain list 1;
//   stream 27/26/21/19 -> the newest stream type the target has, dropping
//   the newer metadata (NACK lists, IDMP state, consumer active time,
//   first/max-deleted IDs, entries-read counters);
// IDLE/FREQ are dropped below RDB 9 and KEY_META below RDB 13. Everything
// dropped is listed in losses(). Hash field TTL types (22-25), ARRAY (28),
// Valkey HASH_2 and MODULE values below RDB 8 are refused (kNotSupported).
//
// Ownership: the sink is borrowed and must outlive the writer.
// Threading: one thread. Errors: sink errors (sticky), kNotSupported for
// values the target cannot hold, kCorruption when a value to convert does not
// parse, kInvalidArgument for misuse (e.g. an unsupported target version).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_writer.h"
#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::formats::rdb {

struct RdbWriterOptions {
  int version = 10;       // RDB version written (REDIS magic, 7..14)
  bool checksum = true;   // false writes a zero CRC (rdbchecksum no)
  // Records only (recover's fragments, loader/fragments.h): no magic and
  // version at Create, and Finish writes no EOF and no CRC trailer;
  // checksum() is then the CRC-64 of the records written.
  bool body_only = false;
  // The write buffer, allocated (and zeroed) once per writer. A writer of
  // one small record (check's value decoding, tools/value_sample.cc) asks
  // for little: a large value is handed to the sink whole anyway.
  size_t buffer_bytes = 256 << 10;
};

class RdbWriter {
 public:
  static constexpr int kMinWritableVersion = 7;

  // Writes the header. REQUIRES: sink outlives the writer.
  static Result<std::unique_ptr<RdbWriter>> Create(ChunkSink* sink,
                                                   const RdbWriterOptions& options);
  RdbWriter(const RdbWriter&) = delete;
  RdbWriter& operator=(const RdbWriter&) = delete;

  int version() const { return options_.version; }

  Status WriteAux(std::string_view key, std::string_view value);
  Status WriteSelectDb(uint64_t db);
  Status WriteResizeDb(uint64_t db_size, uint64_t expires_size);
  // FUNCTION2 library (RDB >= 10).
  Status WriteFunction(std::string_view library_code);
  // MODULE_AUX pass-through: `raw` as RdbVisitor::OnModuleAux gives it (RDB >= 9).
  Status WriteModuleAux(std::string_view raw);
  // A key record. entry.value must hold the raw value bytes (reader in raw
  // mode with capture_values). `source_magic` tells how to read type 22/23.
  // The caller writes SELECTDB when entry.db changes (entry.db is not used).
  Status WriteEntry(const RdbEntry& entry, Magic source_magic = Magic::kRedis);
  // A key record whose value arrives in pieces (RdbReadOptions::
  // value_piece_bytes): WriteEntryStart writes the record's prefix and
  // entry.value (the first piece), AppendValuePiece each later piece in
  // order; the record is complete after the last one. The value is copied
  // through as it is: a type this version cannot hold unconverted is
  // kNotSupported (conversion needs the whole value).
  Status WriteEntryStart(const RdbEntry& entry, Magic source_magic = Magic::kRedis);
  Status AppendValuePiece(std::string_view bytes) { return out_.Append(bytes); }
  // Whole records serialized earlier by a writer of this version (a
  // fragment's held-back record), copied and hashed as they are.
  Status AppendRecordBytes(ByteSpan bytes) { return out_.Append(bytes); }
  // A run of records serialized earlier by a body_only writer of this
  // version, whose CRC-64 the caller knows (it checked it while reading
  // them): BeginPrehashed, AppendPrehashed for each chunk in order, then
  // EndPrehashed with their CRC and length, which extends the checksum by
  // Crc64Combine instead of hashing the bytes again. No other call in
  // between. kInvalidArgument when the length differs from what was appended.
  void BeginPrehashed();
  Status AppendPrehashed(ByteSpan bytes);
  Status EndPrehashed(uint64_t crc, uint64_t length);
  // EOF + CRC64 (none with body_only), then sink->Finish(). No calls after this.
  Status Finish();

  // Bytes written so far.
  uint64_t offset() const { return out_.offset(); }
  // After Finish: the CRC-64 written in the trailer (0 with checksum off).
  // Not a CRC of the whole file: that is 0 for every intact RDB (the CRC
  // residue of a message followed by its own reflected CRC).
  uint64_t checksum() const { return checksum_; }
  // After Finish: the CRC-64 of every byte written, trailer included (what
  // a file checksum over the output gives; 0 for an intact RDB with a
  // checksum, the CRC residue).
  uint64_t file_crc() const { return file_crc_; }
  // What conversions dropped (one line per kind, with counts).
  std::vector<std::string> losses() const;

 private:
  RdbWriter(ChunkSink* sink, const RdbWriterOptions& options);
  void NoteLoss(const std::string& what);
  Status WritePrefix(const RdbEntry& entry, uint8_t type);

  RdbWriterOptions options_;
  ByteWriter out_;
  Crc64Observer crc_;
  std::string record_;
  std::vector<std::pair<std::string, uint64_t>> losses_;
  bool finished_ = false;
  uint64_t checksum_ = 0;
  uint64_t file_crc_ = 0;
  bool prehashed_ = false;           // between BeginPrehashed and EndPrehashed
  uint64_t prehashed_start_ = 0;     // offset() at BeginPrehashed
};

}  // namespace shardkit::formats::rdb
