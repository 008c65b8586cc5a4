// DatasetDigest: the whole-dataset digest Redis 7.0's `DEBUG DIGEST` replies
// with (src/debug.c computeDatasetDigest), computed from an RDB file's
// decoded values, so that a live node can be compared with the file it was
// started on without reading its keys back. It is an RdbVisitor for the
// reader's deep mode (RdbReadOptions::deep = true): OnEntryStart, OnElement
// and OnEntry build one key's digest; the dataset digest is the XOR of the
// SHA-1s of the key digests of each db, each db's part mixed with its
// number, in db order.
//
// What Redis mixes, and so what the digest proves (facts of 7.0's debug.c):
//  * every key's name, its type (string, list, set, zset, hash, stream,
//    module) and its decoded elements: list order and stream order count;
//    set, zset and hash element order does not; a zset score counts as
//    printf("%.17g"); encodings do not count (an intset and a hashtable set
//    of the same members give the same digest);
//  * whether a key has an expiry, NOT its time: a changed TTL is not seen;
//  * a stream's entries (ids and fields) only: its consumer groups, PEL,
//    length and last id are not mixed;
//  * the db a key lives in; function libraries are not part of it.
// A dataset with no keys gives 20 zero bytes (40 '0' in hex).
//
// What a server holds after loading a file differs from the file where the
// loader drops keys; the options say which ones to leave out as it does:
// expired keys (a master drops keys whose expiry is before its clock at load
// time), and empty list/set/zset/hash values (7.0 skips them on load; an
// empty stream is kept). A key present twice in the file (Redis refuses to
// load such a file) cancels out: no duplicate detection here.
//
// Not computable: module values (their digest is the module's own
// callback), and types Redis 7.0 does not have (ARRAY 28, GCRA 29):
// kNotSupported naming the key. Hash field TTLs (RDB 12+) are ignored.
//
// SHA-1 comes from nettle (Debian nettle-dev): none of the libraries the
// build had before offers it (ISA-L's crypto part is not packaged), and
// nettle's plain-struct API costs no allocation per call, which matters
// here: Redis hashes every element with two to four SHA-1 calls.
//
// Threading: one thread. Errors: kNotSupported as above; nothing else (the
// reader reports the file's own errors).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb {

using Digest20 = std::array<uint8_t, 20>;

struct DatasetDigestOptions {
  // Leave out keys whose expiry is before this unix time in ms, as a master
  // loading the file at that time does (rdbLoad: expire < now). nullopt:
  // keep every key (a replica, or an AOF base loaded with its log).
  std::optional<int64_t> drop_expired_before_ms;
  // Leave out list/set/zset/hash values without elements, as Redis 7.0's
  // loader does ("skipping empty key").
  bool drop_empty_collections = true;
  // The server's zset-max-listpack-entries / -value. Redis 7.0 turns a plain
  // zset (RDB types 3 and 5) that fits these into a listpack when it loads
  // it, and a listpack stores a -0 score as the integer 0: its digest then
  // has "0" where the file says -0. Zsets stored as listpacks or ziplists
  // keep "-0" (a string there).
  uint64_t zset_max_listpack_entries = 128;
  uint64_t zset_max_listpack_value = 64;
};

class DatasetDigest final : public RdbVisitor {
 public:
  explicit DatasetDigest(DatasetDigestOptions options = {}) : options_(options) {}
  DatasetDigest(const DatasetDigest&) = delete;
  DatasetDigest& operator=(const DatasetDigest&) = delete;

  Status OnHeader(const RdbHeader& header) override {
    magic_ = header.magic;
    return Status();
  }
  Status OnEntryStart(const RdbEntry& entry) override;
  Status OnElement(const RdbEntry& entry, const RdbElement& element) override;
  Status OnEntry(const RdbEntry& entry) override;

  // The digest of every key seen so far (20 zero bytes before any).
  Digest20 Digest() const;
  // Digest() as 40 lowercase hex digits, as DEBUG DIGEST prints it.
  std::string Hex() const;

  uint64_t keys() const { return keys_; }                      // keys in the digest
  uint64_t expired_dropped() const { return expired_dropped_; }  // left out: expired
  uint64_t empty_dropped() const { return empty_dropped_; }      // left out: empty

 private:
  DatasetDigestOptions options_;
  Magic magic_ = Magic::kRedis;
  // The current key.
  Digest20 key_digest_{};
  uint32_t object_type_ = 0;
  uint64_t elements_ = 0;
  // A plain zset's -0 scores: the XOR of what turning each into 0 changes
  // in the key digest, applied in OnEntry if the loader would make it a
  // listpack; and its longest member.
  Digest20 negative_zero_fix_{};
  bool has_negative_zero_ = false;
  uint64_t longest_member_ = 0;
  // Per db: the XOR of its key digests' SHA-1s and how many keys it has.
  struct DbPart {
    Digest20 xor_of_keys{};
    uint64_t keys = 0;
  };
  std::map<uint64_t, DbPart> dbs_;
  uint64_t keys_ = 0;
  uint64_t expired_dropped_ = 0;
  uint64_t empty_dropped_ = 0;
};

// Reads the RDB in `source` deep (with `read_options`, deep forced on) and
// returns its dataset digest in hex. `source` is borrowed for the call.
// Errors: the reader's, and DatasetDigest's kNotSupported.
Result<std::string> ComputeRdbDatasetDigest(ChunkSource* source, RdbReadOptions read_options,
                                            const DatasetDigestOptions& options);

// Lower-case hex of 20 bytes.
std::string DigestHex(const Digest20& digest);

}  // namespace shardkit::formats::rdb
