// SalvageRdb: copies every sound key record of a damaged RDB into a new,
// sound RDB, skipping the damaged regions and resynchronising after each.
// `shardkit repair` is built on it; redis-check-rdb has no equivalent.
//
// Algorithm:
//  1. Read the source front to back with RdbReader in deep mode (every
//     element decoded and validated). Each key record that deep-verifies is
//     written to the output with RdbWriter (its raw value bytes copied
//     through, the source's RDB version, a fresh CRC64). AUX fields,
//     FUNCTION2 libraries and MODULE_AUX records are written as found;
//     RESIZEDB and SLOT_INFO hints are not (their counts would be wrong).
//  2. Damage is a reader error (kCorruption, or kNotSupported for a foreign
//     byte in the record stream), a key that repeats a key already kept in
//     the same db (a valid RDB never has one; Redis refuses to load it), an
//     empty collection (Redis never writes one; redis-check-rdb refuses it),
//     a value type the source's RDB version does not have, or a record
//     larger than options.max_record_bytes. The damaged region
//     starts at the first byte of the record being read (its first prefix
//     opcode). The key record before it is held back until then and dropped
//     too if its key is empty or it is the first copy of the duplicate (a run
//     of zeros parses as empty-key strings).
//  3. Resynchronise: try every offset after the damage start in turn. A
//     candidate is accepted when, read as the start of a record stream (the
//     source header and current db assumed), three consecutive key records
//     deep-verify completely, or the records up to a well-formed EOF trailer
//     that ends exactly at the end of the source do. Only SELECTDB (db < 16
//     or a db seen before), RESIZEDB, key records with their prefix opcodes
//     and EOF may appear. Candidate key records must look like this file's:
//     a non-empty key not yet kept, a type seen before the damage or one the
//     source version has and its producer writes (legacy encodings such as
//     zipmap are refused in RDB >= 7), a value with at least one element, an
//     expiry in [0, 2^48) ms; the first one spans at least 6 bytes. Each
//     candidate reads at most options.lookahead_bytes.
//     A random length in damaged bytes often ends on a real record boundary,
//     so a first record can swallow real records: a verified candidate
//     inside the first record of the one accepted so far wins over it
//     (repeatedly), unless it reads the same key record. A winner can itself
//     be a chance reading inside a real record's value; so when an earlier
//     winner's records have a boundary exactly at the last winner's start
//     (they lead into it), the earliest such winner is taken instead.
//  4. Continue the deep read at the accepted offset; the bytes in between are
//     reported as a dropped range. With no candidate the rest of the file is
//     dropped and the output ends there.
//
// Guarantee. Let a record's bytes be its prefix opcodes, key and value.
//  1. The output is a sound RDB of the source's version (the lowest writable
//     one for older sources): every key at most once per db, a fresh CRC64,
//     loadable by Redis. The source is only read.
//  2. Every kept key record is a complete record read from the source that
//     deep-verifies, copied byte for byte (type, value, expiry, LRU/LFU); it
//     lies outside every reported dropped range. Nothing before the record
//     that holds the first damaged byte (or the record before that one, when
//     the damaged record repeats its key) is dropped.
//  3. A source key record whose bytes the damage does not touch is kept at
//     exactly its bytes, unless it lies in a reported dropped range (the
//     resync found a later start, e.g. a record under 6 bytes) or its bytes
//     were read as part of a chance record (below).
//  4. Such a key keeps its db unless a damaged region, a dropped range or a
//     chance record lies between its db's SELECTDB and the key: the resync
//     cannot know which db it resumed in, and keeps the db of the last
//     SELECTDB read. When the keys read in that db then exceed its RESIZEDB
//     count (or a resync candidate's would), the SELECTDB of a later db was
//     lost. If every SELECTDB so far named a higher db than the one before
//     (as Redis writes them) and the records from that key on verify up to a
//     SELECTDB of the current db + 2, they are written to db + 1 (a warning
//     says so); else the rest up to the next SELECTDB is dropped ("a
//     SELECTDB was lost in damage"), or not accepted as a resync start.
// Not guaranteed: a resync candidate, or a damaged record that still parses,
// may be a chance reading of damaged or misaligned bytes (three consecutive
// records verify by chance, e.g. inside a listpack or an LZF string; or a
// damaged length makes a string swallow the next records, and the records
// read after it are chance ones until the read fails). Such a record is kept
// as read and may carry a key the source never had, or a source key with a
// damaged value; the real records its bytes cover are lost (3). Measured on
// 800 seeded damages of seeded 750-key RDB 9/10 files with keys in all 16
// dbs (repair_rdb_test, SHARDKIT_TEST_SEEDS=200): 443 of the 596,525 keys
// the damage does not touch are lost (0.07%), in 56 files; 329 of them to
// chance records read by the main read after a damaged record that still
// parsed (only the one record before a failure is held back), 45 to ranges
// dropped after a lost SELECTDB; 120 chance records are kept. Damage
// inside a string value parses and is kept (the source CRC64 mismatch is
// reported). AUX, FUNCTION2 and MODULE_AUX records are kept only before the
// first damage. options.observer receives each kept record's source bytes,
// so a caller can tell exact records from chance ones.
//
// Memory: a window of the source from the start of the current record to the
// read point (at most max_record_bytes, plus lookahead_bytes while scanning),
// the held-back record, and 16 bytes per kept key (duplicate detection).
// The source is read once, front to back.
// Ownership: `source` and `sink` are borrowed for the call; the sink gets
// Finish() (the caller publishes it). Threading: one thread.
// Errors: kNotSupported when the header cannot be read or names a version or
// magic the writer cannot produce (nothing is salvaged then); kIoError and
// kResourceExhausted from the source or sink, unchanged. Damage is never an
// error: it is reported in the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb {

// Told about each key record the salvage keeps, in source order: its source
// bytes are [entry.record_offset, entry.value_offset + entry.value_bytes) and
// entry.db is the db it is written to. For tests and tools that account for
// every kept record. Called on the salvaging thread; must not fail.
class RdbSalvageObserver {
 public:
  virtual ~RdbSalvageObserver() = default;
  virtual void OnKeyKept(const RdbEntry& entry) = 0;
};

struct RdbSalvageOptions {
  // Largest key record the salvage holds in memory; a larger record is
  // treated as damage (a damaged length usually looks like this).
  uint64_t max_record_bytes = uint64_t{512} << 20;
  // Bytes one resync candidate may read past its start.
  uint64_t lookahead_bytes = uint64_t{16} << 20;
  RdbLimits limits;
  // As RdbReadOptions::layout: the file was found in this producer's layout.
  // Without it, a resync after damage still reads Enterprise's 107/121 when
  // the AUX fields before the damage named Redis Enterprise.
  Producer layout = Producer::kRedis;
  // Optional; borrowed for the call.
  RdbSalvageObserver* observer = nullptr;
};

struct RdbDroppedRange {
  uint64_t begin = 0;  // first dropped byte
  uint64_t end = 0;    // first byte kept again (the source size if none)
  std::string reason;  // the error that found the damage
};

struct RdbSalvageReport {
  RdbHeader header;
  std::string producer;
  uint64_t source_bytes = 0;
  uint64_t output_bytes = 0;
  CrcStatus source_crc = CrcStatus::kNotChecked;  // only meaningful without damage
  bool reached_eof = false;                       // the source's EOF record was read
  uint64_t keys_kept = 0;
  uint64_t keys_dropped_parsed = 0;  // records that parsed but were dropped (step 2)
  // Sum of the RESIZEDB db sizes read (Redis writes one per db): the keys the
  // source held, when every RESIZEDB was read; nullopt without any.
  std::optional<uint64_t> keys_expected;
  uint64_t aux_kept = 0;
  // Redis Enterprise opcodes 107/121 read and not written (SPEC.md
  // "Enterprise volumes"): a sound source holding them still differs from
  // what salvage writes.
  uint64_t enterprise_records_dropped = 0;
  uint64_t functions_kept = 0;
  uint64_t resync_candidates_tried = 0;
  std::vector<RdbDroppedRange> dropped;
  std::vector<std::string> warnings;

  // True when nothing was dropped and the source CRC64 matched (or is
  // disabled/absent): the source needs no repair.
  bool sound() const {
    return dropped.empty() && keys_dropped_parsed == 0 && reached_eof &&
           (source_crc == CrcStatus::kOk || source_crc == CrcStatus::kDisabled ||
            source_crc == CrcStatus::kAbsent);
  }
  uint64_t dropped_bytes() const {
    uint64_t n = 0;
    for (const auto& r : dropped) n += r.end - r.begin;
    return n;
  }
};

// REQUIRES: source->size() is known (a file). See the file comment.
Result<RdbSalvageReport> SalvageRdb(ChunkSource* source, ChunkSink* sink,
                                    const RdbSalvageOptions& options = {});

}  // namespace shardkit::formats::rdb
