// RdbReader: streams one RDB file (or an RDB embedded in a larger stream,
// e.g. an AOF preamble or a multi-part AOF base) from its 9-byte header up
// to and including the CRC64 trailer, and reports every record to a visitor.
//
// Modes:
//  * raw (options.deep = false): key records are delimited WITHOUT decoding
//    value contents where the layout allows (strings skipped by length, LZF
//    by compressed length; collections walked by their element lengths);
//    with options.capture_values the value's serialized bytes are handed over
//    in RdbEntry::value for byte-exact copy-through.
//  * deep (options.deep = true): every element is decoded and validated
//    (ziplist, listpack, intset, zipmap, quicklist nodes incl. compressed,
//    zset scores (NaN refused), streams with the §4.15 checks, hash field
//    expiry types, ARRAY) and reported through RdbVisitor::OnElement.
// Peak memory: ByteReader buffers plus the largest single value (deep mode,
// or raw mode with capture) / the largest single string (raw, no capture).
//
// The reader stops right after the CRC (version >= 5) or the EOF opcode and
// leaves `in` positioned there: RdbSummary::end_offset is where a caller
// continues (the RESP tail of a preamble AOF). Bytes after it are not read.
// CRC64 is computed with a Crc64Observer attached to `in` for the duration
// of Read(); a stored 0 means "checksum disabled" and is reported, not
// checked. Expired keys are reported, never dropped.
//
// Ownership: `in` and `visitor` are borrowed for the call.
// Threading: one thread.
// Errors: kCorruption "<file> offset 0x<hex> (<dec>): <what> (key "<key>",
// type <name>, while <phase>)", also for a record byte the file's own
// producer and RDB version never write (JudgeRecordByte in rdb_format.h:
// a Dragonfly opcode in a file that does not say it is Dragonfly's, a type
// newer than the version) and for a header version the file's own AUX
// redis-ver contradicts; kNotSupported for versions outside the table
// (naming the version and the producer), for records of another producer the
// file names (Dragonfly, KeyDB, Redis Enterprise's legacy 101/102; its
// 107/121 are read in a file that is Enterprise's) and for values that cannot
// be skipped (MODULE_PRE_GA in a Redis 4.0 RC file); any visitor error is
// returned unchanged.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_format.h"
#include "formats/rdb/rdb_primitives.h"

namespace shardkit::formats::rdb {

enum class CrcStatus : uint8_t {
  kOk,        // stored CRC matches
  kDisabled,  // stored CRC is 0 (rdbchecksum no)
  kAbsent,    // version < 5: no trailer
  kMismatch,  // only when options.fail_on_crc_mismatch is false
  kNotChecked,  // options.verify_crc = false
};
std::string_view CrcStatusName(CrcStatus status);

// What a reader knows between two records that a read starting in the middle
// of the file needs: the header and what the file said about its producer
// (JudgeRecordByte's input). Used by VerifyRdb's split read (rdb_verify.cc).
struct RdbResumeState {
  ProducerClues clues;  // clues.header is the file's header
  uint64_t offset = 0;  // the record start this state holds at
  // RdbSplit::AtSplit: the Crc64 of the bytes the read covered, up to
  // `offset`. RdbReadOptions::resume: the Crc64 of bytes [0, offset) when
  // known (the read's CRC then covers the whole file and is checked against
  // the trailer as a whole-file read's is), else 0 (it covers [offset, ...)).
  uint64_t crc = 0;
};
// True when two states read records alike (same header and clues).
bool SameReadState(const RdbResumeState& a, const RdbResumeState& b);

// RdbSplit lets a read end at a record start from which another thread
// reads the rest of the file (RdbReadOptions::split).
// Threading: `offset` may be written by other threads at any time; the
// callbacks run on the reading thread.
class RdbSplit {
 public:
  virtual ~RdbSplit() = default;
  // Once, where the first key record starts (its first prefix opcode): the
  // state a read of the rest of the file starts from.
  virtual void OnFirstKey(const RdbResumeState& state) = 0;
  // Called at each record start `at` >= `offset`: returns the record start
  // where the read may end next (and leaves `offset` equal to it, or to
  // UINT64_MAX for none). A result above `at` means "not there yet".
  virtual uint64_t SplitOffset(uint64_t at) = 0;
  // Called when SplitOffset returned `at` itself: with the state when no key
  // prefix opcode is pending there, else with nullptr. Returning true ends
  // the read there (RdbSummary::split_at); false reads on, watching
  // `offset` (which the call may have moved) as before.
  virtual bool AtSplit(const RdbResumeState* state) = 0;
  // UINT64_MAX: the reader does not call SplitOffset.
  std::atomic<uint64_t> offset{UINT64_MAX};
};

struct RdbReadOptions {
  bool deep = false;            // decode and validate every element
  bool capture_values = false;  // raw mode: fill RdbEntry::value
  // Raw mode with capture: 0 holds every value whole in RdbEntry::value
  // (peak memory = the largest value). N > 0 hands a value over in pieces of
  // at least N bytes as it is read (RdbVisitor::OnValuePiece, then the
  // record with part kLast), so a multi-GB value never sits in memory;
  // values under N bytes still come whole (part kWhole).
  size_t value_piece_bytes = 0;
  bool verify_crc = true;
  bool fail_on_crc_mismatch = true;  // else report kMismatch in the summary
  // The producer whose own on-disk layout the caller found the file in
  // (kRedisEnterprise: a node volume's redis/redis-<uid>.rdb, appendonly-
  // <uid>.aof...). Its records are read from the first byte on, even before
  // (or without) an AUX field that names it: Enterprise's opcodes 107/121
  // may precede its AUX fields. kRedis: no layout known; the file's own AUX
  // fields decide (ProducerClues).
  Producer layout = Producer::kRedis;
  RdbLimits limits;
  // Split reads (VerifyRdb's threads). `split`: may end the read at a
  // record start (see RdbSplit). `resume`: `in` is positioned at a record
  // start, not at the header; records are read from there with this state
  // (no header, OnHeader not called) up to and including the trailer, whose
  // crc_computed covers the bytes read, continuing resume->crc (see
  // RdbResumeState). Borrowed for the read.
  RdbSplit* split = nullptr;
  const RdbResumeState* resume = nullptr;
};

struct RdbSummary {
  RdbHeader header;
  uint64_t keys = 0;
  uint64_t eof_offset = 0;  // offset of the EOF opcode
  uint64_t end_offset = 0;  // first byte after the trailer
  CrcStatus crc = CrcStatus::kAbsent;
  uint64_t crc_stored = 0;
  uint64_t crc_computed = 0;
  std::string producer;  // "redis 7.2.4" / "valkey 9.0.1" from AUX, or ""
  // What the file says wrote it (or the layout it was found in), and the
  // AUX key or layout that said so ("big-used-ram"); "" for kRedis.
  Producer vendor = Producer::kRedis;
  std::string vendor_named_by;
  uint64_t enterprise_records = 0;  // Redis Enterprise opcodes 107/121 read
  // Set when the read ended at RdbReadOptions::split's offset: the records
  // before it were read; crc_computed covers bytes [0, split_at); the
  // trailer fields are unset and OnEnd was not called.
  std::optional<uint64_t> split_at;
};

// Callbacks in file order. Default implementations accept and ignore.
// Returning a non-OK Status stops the read with that Status.
class RdbVisitor {
 public:
  virtual ~RdbVisitor() = default;
  virtual Status OnHeader(const RdbHeader& /*header*/) { return Status(); }
  virtual Status OnAux(std::string_view /*key*/, std::string_view /*value*/) { return Status(); }
  virtual Status OnSelectDb(uint64_t /*db*/) { return Status(); }
  virtual Status OnResizeDb(uint64_t /*db_size*/, uint64_t /*expires_size*/) { return Status(); }
  virtual Status OnSlotInfo(uint64_t /*slot*/, uint64_t /*slot_size*/, uint64_t /*expires*/) {
    return Status();
  }
  // FUNCTION2: the library source.
  virtual Status OnFunction(std::string_view /*library_code*/) { return Status(); }
  // FUNCTION_PRE_GA (Redis 7.0 RCs; GA Redis refuses to load it).
  virtual Status OnFunctionPreGa(std::string_view /*name*/, std::string_view /*code*/) {
    return Status();
  }
  // MODULE_AUX: `raw` = every byte after the opcode byte (module id, when,
  // opcode stream), for pass-through by RdbWriter::WriteModuleAux.
  virtual Status OnModuleAux(uint64_t /*module_id*/, std::string_view /*raw*/) {
    return Status();
  }
  // Redis Enterprise RAM_LRU (107) / SLOT_NUM (121) and its integer, in a
  // file that is Enterprise's. Not key data: never written by shardkit.
  virtual Status OnEnterpriseOpcode(uint8_t /*opcode*/, uint64_t /*value*/) { return Status(); }
  // Valkey SLOT_IMPORT: `raw` = the bytes after the opcode byte.
  virtual Status OnSlotImport(std::string_view /*raw*/) { return Status(); }
  // Deep mode: called before the value is decoded (entry has key, type,
  // expiry, LRU/LFU; not yet value/value_bytes).
  virtual Status OnEntryStart(const RdbEntry& /*entry*/) { return Status(); }
  // Deep mode: one decoded element of the current entry.
  virtual Status OnElement(const RdbEntry& /*entry*/, const RdbElement& /*element*/) {
    return Status();
  }
  // A complete key record (both modes).
  virtual Status OnEntry(const RdbEntry& /*entry*/) { return Status(); }
  // The reader calls this one: a complete key record whose strings the
  // visitor may take (swap or move them out; the reader resets every field
  // before the next record). Visitors that keep entries override it to save
  // a copy of every key and value; the default calls OnEntry.
  virtual Status OnEntryOwned(RdbEntry& entry) { return OnEntry(entry); }
  // With options.value_piece_bytes: the next piece of the current record's
  // value, in order (entry.part kFirst, then kMiddle; the record itself
  // follows through OnEntryOwned with part kLast). entry has the key, type,
  // expiry, LRU/LFU and key_meta; entry.value holds just this piece, which
  // the visitor may take (swap it out); every other field must be left as
  // it is (later pieces and error messages use them). Called while the
  // value is being parsed: a non-OK Status stops the read at the next
  // buffer switch and is returned by Read. The default refuses.
  virtual Status OnValuePiece(RdbEntry& entry) {
    return Status::InvalidArgument("key \"" + entry.key.substr(0, 128) +
                                   "\": this visitor does not take values in pieces");
  }
  virtual Status OnEnd(const RdbSummary& /*summary*/) { return Status(); }
};

class RdbReader {
 public:
  // REQUIRES: `in` is positioned at the RDB header and outlives the reader.
  RdbReader(ByteReader* in, RdbReadOptions options);
  RdbReader(const RdbReader&) = delete;
  RdbReader& operator=(const RdbReader&) = delete;

  // Reads header .. trailer. Call once.
  Result<RdbSummary> Read(RdbVisitor* visitor);

 private:
  class Impl;
  ByteReader* in_;
  RdbReadOptions options_;
};

// Convenience: a ByteReader over `source`, then RdbReader::Read.
Result<RdbSummary> ReadRdb(ChunkSource* source, const RdbReadOptions& options,
                           RdbVisitor* visitor);

}  // namespace shardkit::formats::rdb
