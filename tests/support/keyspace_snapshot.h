// KeyspaceSnapshot: what a redis-server holds, key by key, in a form two
// servers can be compared by: for every db 0-15 and every key its TYPE,
// `DEBUG DIGEST-VALUE` (a hash of the value that ignores encoding) and
// `PEXPIRETIME` (-1 when persistent), plus each db's DBSIZE and the loaded
// function libraries (FUNCTION LIST WITHCODE). Streams also carry XINFO
// STREAM FULL, so groups, PEL and consumers are compared too.
//
// Capture() walks each db with SCAN and pipelines the per-key commands, so
// 100k keys take seconds. The server should be quiet while it runs (keys
// that change or expire during the walk give an inconsistent picture).
//
// Threading: values. Errors: kIoError from the connection, kInvalidArgument
// for an error reply (e.g. DEBUG disabled).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/redis_client.h"

namespace shardkit::testing {

struct KeyState {
  std::string type;    // string, list, set, zset, hash, stream, ...
  std::string digest;  // DEBUG DIGEST-VALUE, 40 hex
  int64_t pexpiretime_ms = -1;
  // Streams only: XINFO STREAM key FULL, which covers what the digest does
  // not (consumer groups, PEL, consumers, last/first/max-deleted IDs).
  std::string stream_info;

  bool operator==(const KeyState&) const = default;
};

struct KeyspaceSnapshot {
  static constexpr int kDatabases = 16;

  // db -> key -> state. Only non-empty dbs have an entry.
  std::map<int, std::map<std::string, KeyState>> dbs;
  std::map<int, int64_t> dbsize;  // DBSIZE of the non-empty dbs
  std::string functions;          // library names and code, sorted by name

  // `databases` = 1 for cluster-mode servers (db 0 only, no SELECT).
  static Result<KeyspaceSnapshot> Capture(RedisClient& client, int databases = kDatabases);

  size_t KeyCount() const;
  // Human-readable differences (`this` = expected, `other` = actual), at
  // most `max_differences` lines plus a count of the rest; empty when equal.
  // `compare_stream_info` false ignores XINFO STREAM FULL (for conversions
  // to older stream types, which drop metadata such as entries-added).
  std::string Diff(const KeyspaceSnapshot& other, size_t max_differences = 20,
                   bool compare_stream_info = true) const;
};

// A key rendered printably for messages (non-printable bytes as \xNN).
std::string PrintableKey(const std::string& key);

}  // namespace shardkit::testing
