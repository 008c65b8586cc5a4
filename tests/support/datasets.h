// Datasets for tests against a real redis-server: server configurations that
// force each RDB encoding, and a deterministic fill that puts every kind of
// value (all types, int/embstr/raw strings, 16/32/64-bit intsets, small and
// long collections, PLAIN-sized list elements, TTLs near and far, streams
// with consumer groups/PEL/deletions/trimming, a function library, HLL,
// bitmaps, binary keys with \0 and {hash}tags, keys in all 16 dbs) into it.
//
// What encoding a value gets depends on the config it is written under; the
// representative keys (kRep*) have a fixed shape, and each RedisTestConfig
// lists the OBJECT ENCODING it must produce for them.
//
// Deterministic: the same seed and size give the same keys and values (TTLs
// are offsets from the server's clock). Sized by DatasetOptions.
// Errors: the first failing command, as a Status.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tests/support/redis_client.h"
#include "tests/support/redis_server.h"

namespace shardkit::testing {

// Representative keys in db 0, always written by FillDataset().
inline constexpr const char* kRepHashSmall = "rep:hash:small";    // 5 fields
inline constexpr const char* kRepHashLarge = "rep:hash:large";    // 1000 fields
inline constexpr const char* kRepZsetSmall = "rep:zset:small";    // 5 members
inline constexpr const char* kRepZsetLarge = "rep:zset:large";    // 1000 members
inline constexpr const char* kRepSetInt16 = "rep:set:int16";      // 20 ints < 2^15
inline constexpr const char* kRepSetInt32 = "rep:set:int32";      // 20 ints < 2^31
inline constexpr const char* kRepSetInt64 = "rep:set:int64";      // 20 ints >= 2^31
inline constexpr const char* kRepSetStrings = "rep:set:strings";  // 20 strings
inline constexpr const char* kRepListShort = "rep:list:short";    // 5 elements
inline constexpr const char* kRepListLong = "rep:list:long";      // 600 elements, some >= 100 B
inline constexpr const char* kRepStringInt = "rep:string:int";
inline constexpr const char* kRepStringEmbstr = "rep:string:embstr";
inline constexpr const char* kRepStringRaw = "rep:string:raw";    // 2000 compressible bytes
inline constexpr const char* kRepStream = "rep:stream";           // 2 groups, PEL, deletions
inline constexpr const char* kFunctionLibrary = "shardkit_testlib";

struct DatasetOptions {
  uint64_t seed = 20260101;
  // Number of ordinary keys spread over the 16 dbs (half in db 0).
  size_t keys = 3000;
  // Adds a 5 MB string and 200k-element list, hash, set and zset
  // (`large_elements` each) in db 0, under keys "large:*".
  bool large_values = false;
  size_t large_elements = 200'000;
  size_t large_string_bytes = 5u << 20;
};

struct RedisTestConfig {
  std::string name;  // a gtest-friendly identifier
  std::vector<std::pair<std::string, std::string>> config;  // redis.conf lines
  std::vector<std::vector<std::string>> setup_commands;     // run before the fill
  bool large_values = false;
  // OBJECT ENCODING the representative keys must have under this config.
  std::map<std::string, std::string> expected_encodings;
  // Quicklist shape of kRepListLong (DEBUG OBJECT ql_nodes, ql_compressed).
  size_t min_list_nodes = 1;
  bool expect_compressed_list = false;
  // kRepListLong as saved in dump.rdb (type 18): at least this many PLAIN
  // nodes (0: exactly none), and whether node blobs are LZF-compressed
  // (true: at least one; false: none).
  size_t min_plain_list_nodes = 0;
  bool expect_lzf_list_nodes = true;
  // Server keeps LFU counters (OBJECT FREQ works) / LRU idle times.
  bool lfu = false;
};

// gtest prints a parameter by its name.
inline void PrintTo(const RedisTestConfig& config, std::ostream* os) { *os << config.name; }

// Every config the RDB tests iterate over. `large` ones are included only
// when `include_large` (they take most of the time).
std::vector<RedisTestConfig> RdbTestConfigs(bool include_large = true);

// Writes the dataset. Runs the config's setup commands first if given.
Status FillDataset(RedisClient& client, const DatasetOptions& options);
Status RunSetupCommands(RedisClient& client, const RedisTestConfig& config);

// The dataset size for `config`: 3000 keys (and 200k-element large values
// when the config asks for them) times TestScale().
DatasetOptions DatasetOptionsFor(const RedisTestConfig& config);

// Starts a redis-server with the config, runs its setup commands and fills
// it with DatasetOptionsFor(config). Nothing is saved yet.
Result<std::unique_ptr<RedisServer>> StartFilledServer(const RedisTestConfig& config);

// Keys FillDataset wrote in db 0 whose collection sizes tests can check,
// with the command that returns the size (HLEN/LLEN/SCARD/ZCARD/XLEN).
std::vector<std::pair<std::string, std::string>> SizedSampleKeys(bool large_values);

}  // namespace shardkit::testing
