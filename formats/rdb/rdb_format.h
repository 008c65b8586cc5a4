// RDB format constants shared by the reader and the writer: opcodes, object
// type bytes, the names redis-check-rdb prints for them, and the table of
// (magic, version) pairs shardkit reads and writes. Format facts are in
// ../shared/formats-reference.md §1, §3 and §8; the byte grammar in SPEC.md.
//
// Redis and Valkey gave type bytes 22/23 and opcode 243 different meanings,
// so every lookup takes the file's magic (Valkey meanings only under the
// VALKEY magic). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardkit::formats::rdb {

enum class Magic : uint8_t { kRedis, kValkey };

// Opcodes (formats-reference.md §1.3).
inline constexpr uint8_t kOpEof = 255;
inline constexpr uint8_t kOpSelectDb = 254;
inline constexpr uint8_t kOpExpireTime = 253;    // int32 seconds (RDB < 3)
inline constexpr uint8_t kOpExpireTimeMs = 252;  // int64 ms
inline constexpr uint8_t kOpResizeDb = 251;
inline constexpr uint8_t kOpAux = 250;
inline constexpr uint8_t kOpFreq = 249;
inline constexpr uint8_t kOpIdle = 248;
inline constexpr uint8_t kOpModuleAux = 247;
inline constexpr uint8_t kOpFunctionPreGa = 246;
inline constexpr uint8_t kOpFunction2 = 245;
inline constexpr uint8_t kOpSlotInfo = 244;
inline constexpr uint8_t kOpKeyMeta = 243;     // Redis >= 13
inline constexpr uint8_t kOpSlotImport = 243;  // Valkey >= 80
// Redis Enterprise only (librdb src/lib/defines.h, parser.c): each is followed
// by one length-encoded integer, which librdb reads and ignores. Read only in
// a file that is Enterprise's (JudgeRecordByte); never written.
inline constexpr uint8_t kOpEnterpriseRamLru = 107;
inline constexpr uint8_t kOpEnterpriseSlotNum = 121;

// Object type bytes (formats-reference.md §3).
inline constexpr uint8_t kTypeString = 0;
inline constexpr uint8_t kTypeList = 1;
inline constexpr uint8_t kTypeSet = 2;
inline constexpr uint8_t kTypeZset = 3;
inline constexpr uint8_t kTypeHash = 4;
inline constexpr uint8_t kTypeZset2 = 5;
inline constexpr uint8_t kTypeModulePreGa = 6;
inline constexpr uint8_t kTypeModule2 = 7;
inline constexpr uint8_t kTypeHashZipmap = 9;
inline constexpr uint8_t kTypeListZiplist = 10;
inline constexpr uint8_t kTypeSetIntset = 11;
inline constexpr uint8_t kTypeZsetZiplist = 12;
inline constexpr uint8_t kTypeHashZiplist = 13;
inline constexpr uint8_t kTypeListQuicklist = 14;
inline constexpr uint8_t kTypeStreamListpacks = 15;
inline constexpr uint8_t kTypeHashListpack = 16;
inline constexpr uint8_t kTypeZsetListpack = 17;
inline constexpr uint8_t kTypeListQuicklist2 = 18;
inline constexpr uint8_t kTypeStreamListpacks2 = 19;
inline constexpr uint8_t kTypeSetListpack = 20;
inline constexpr uint8_t kTypeStreamListpacks3 = 21;
inline constexpr uint8_t kTypeHashMetadataPreGa = 22;  // Redis magic
inline constexpr uint8_t kTypeValkeyHash2 = 22;        // Valkey magic
inline constexpr uint8_t kTypeHashListpackExPreGa = 23;
inline constexpr uint8_t kTypeHashMetadata = 24;
inline constexpr uint8_t kTypeHashListpackEx = 25;
inline constexpr uint8_t kTypeStreamListpacks4 = 26;
inline constexpr uint8_t kTypeStreamListpacks5 = 27;
inline constexpr uint8_t kTypeArray = 28;
inline constexpr uint8_t kTypeGcra = 29;  // RDB 14 builds with ENABLE_GCRA

// Quicklist v2 node containers (§5.5).
inline constexpr uint64_t kQuicklistNodePlain = 1;
inline constexpr uint64_t kQuicklistNodePacked = 2;

// Module opcode stream (§6.2).
inline constexpr uint64_t kModuleOpEof = 0;
inline constexpr uint64_t kModuleOpSint = 1;
inline constexpr uint64_t kModuleOpUint = 2;
inline constexpr uint64_t kModuleOpFloat = 3;
inline constexpr uint64_t kModuleOpDouble = 4;
inline constexpr uint64_t kModuleOpString = 5;

// Highest versions in the table.
inline constexpr int kMaxRedisVersion = 14;
inline constexpr int kValkeyVersion = 80;
inline constexpr size_t kHeaderBytes = 9;

// The parsed 9-byte header.
struct RdbHeader {
  Magic magic = Magic::kRedis;
  int version = 0;
};

// "REDIS0011", "VALKEY080".
std::string FormatMagic(const RdbHeader& header);
// "RDB v11" / "Valkey RDB v80".
std::string DescribeVersion(const RdbHeader& header);

// Parses the 9 header bytes. kCorruption for a wrong signature or digits;
// kNotSupported (naming the version) for versions outside the table:
// REDIS 15+, VALKEY other than 80, VALKEY <= 79 and REDIS >= 80.
Result<RdbHeader> ParseHeader(std::string_view nine_bytes);

// True when `type` is an object type of this magic (whatever the version:
// JudgeRecordByte decides whether the version and producer write it).
bool IsKnownType(uint8_t type, const RdbHeader& header);
// The name redis-check-rdb prints ("quicklist-v2", "hash-listpack-md"), or
// "unknown-<n>".
std::string TypeName(uint8_t type, Magic magic = Magic::kRedis);
// The first RDB version (Redis numbering) that can hold `type`; 0 if the
// type is not a Redis type.
int FirstVersionWithType(uint8_t type);
// Names byte values other writers use (Dragonfly, KeyDB, Redis Enterprise),
// or "" when the byte is simply unknown. Used to explain refusals and damage.
std::string_view ForeignByteName(uint8_t byte);
// Opcode name ("AUX", "SELECTDB", ...), or "" if not an opcode.
std::string_view OpcodeName(uint8_t opcode, Magic magic);
// The first RDB version (Redis numbering) whose writer emits `opcode`; 0 if
// it is not a Redis opcode. Valkey's SLOT_IMPORT (243) is not covered.
int FirstVersionWithOpcode(uint8_t opcode);
// The RDB version a Redis release writes, from its redis-ver AUX value
// ("7.0.15" -> 10); 0 for strings that name no release in the table of
// formats-reference.md §8 (unstable 255.255.255, dev/RC numbering such as
// 3.9.102 or 7.1.241, or anything unparsable).
int RdbVersionOfRedisRelease(std::string_view redis_ver);

// Damage or another producer's file.
//
// A record byte (type or opcode) that the file's own producer and RDB
// version never write is damage (kCorruption), not a refusal: a bootstrapper
// that branches on the exit code must fall back to a replica's copy of a
// damaged volume, not skip it as "unsupported". kNotSupported is kept for
// files that say they come from another producer whose records shardkit does
// not read. What the file says is taken only from what precedes the byte:
// the header and the AUX fields read so far (every writer puts its AUX
// fields before the first key).
enum class Producer : uint8_t {
  kRedis,            // REDIS magic, no AUX key of another producer (also: unknown)
  kValkey,           // VALKEY magic, or AUX valkey-ver
  kDragonfly,        // AUX df-ver (dragonfly src/server/rdb_save.cc RdbSaver::SaveAux)
  kRedisEnterprise,  // AUX big-used-ram, big-used-disk, ... (librdb's Enterprise dumps)
  kKeyDb,            // AUX mvcc-tstamp, keydb-subexpire-* (keydb src/rdb.cpp)
};
std::string_view ProducerName(Producer producer);  // "Redis", "Dragonfly", ...

// What a file has said about its producer so far. The reader feeds it the
// header and every AUX field, in file order.
struct ProducerClues {
  RdbHeader header;
  std::string redis_ver;   // AUX redis-ver, "" until seen
  std::string valkey_ver;  // AUX valkey-ver, "" until seen
  std::string named_by;    // the AUX key that named a non-Redis producer, e.g. "df-ver"
  Producer producer = Producer::kRedis;

  void NoteHeader(const RdbHeader& h);
  void NoteAux(std::string_view key, std::string_view value);
  // The caller found the file in `producer`'s own on-disk layout (a Redis
  // Enterprise node volume's redis/redis-<uid>.rdb): the file is that
  // producer's from its first byte, before (or without) any AUX field that
  // names it. `layout` says where, for messages ("an Enterprise layout").
  // kRedis is a no-op, and so is a VALKEY-magic file (Enterprise writes
  // Redis RDB). The layout is a presumption: an AUX field that names another
  // producer (df-ver, mvcc-tstamp) later still decides. Call after NoteHeader.
  void NoteLayout(Producer layout_producer, std::string_view layout);
  bool from_layout = false;  // producer set by NoteLayout, not by the file
};

enum class RecordByteVerdict : uint8_t {
  kRead,           // an opcode or type this file's producer and version write
  kDamage,         // one they never write: kCorruption
  kOtherProducer,  // a record of the producer the file names, which shardkit
                   // does not read: kNotSupported
};

// The one rule for a byte read where a record starts (after the key-prefix
// opcodes too). kRead means the reader has a reader for it (an opcode of
// OpcodeName or a type of IsKnownType); a MODULE_PRE_GA value judged kRead
// is still refused by the value reader (it cannot be skipped). When `why` is
// given and the verdict is not kRead, it receives what was found and what
// was expected, e.g. "record byte 210: not an opcode or type Redis writes in
// RDB v10 (it looks like a Dragonfly extension opcode, but the file does not
// say it comes from Dragonfly: no df-ver AUX field)".
RecordByteVerdict JudgeRecordByte(uint8_t byte, const ProducerClues& clues,
                                  std::string* why = nullptr);

// True for the AUX keys only Redis Enterprise writes (big-used-ram,
// big-used-disk, big-ram-overhead, big-used-data, and after SELECTDB
// bigdb-ram-keys, bigdb-disk-keys; corpus redis_ent_opcode_ram_lru.rdb).
// aof-base is not one: open-source Redis >= 7.0 writes it too.
bool IsEnterpriseAuxKey(std::string_view key);
// "RAM_LRU" / "SLOT_NUM" for Redis Enterprise's opcodes 107 / 121, else "".
std::string_view EnterpriseOpcodeName(uint8_t byte);

// Decodes a module type id (§6.1) into "<name>/<encver>", e.g. "ReJSON-RL/3".
std::string ModuleIdName(uint64_t module_id);

}  // namespace shardkit::formats::rdb
