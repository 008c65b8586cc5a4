#include "formats/rdb/rdb_format.h"

#include <cstdio>

namespace shardkit::formats::rdb {

std::string FormatMagic(const RdbHeader& header) {
  char buf[16];
  if (header.magic == Magic::kValkey) {
    std::snprintf(buf, sizeof(buf), "VALKEY%03d", header.version);
  } else {
    std::snprintf(buf, sizeof(buf), "REDIS%04d", header.version);
  }
  return buf;
}

std::string DescribeVersion(const RdbHeader& header) {
  return (header.magic == Magic::kValkey ? "Valkey RDB v" : "RDB v") +
         std::to_string(header.version);
}

// Parses `digits` as a decimal number; -1 when any byte is not a digit.
static int ParseDigits(std::string_view digits) {
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

static std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// Version rules of formats-reference.md §1.1 and §8: Redis numbers 1-14,
// Valkey's own 80; Valkey reserves 12-79 for Redis formats.
Result<RdbHeader> ParseHeader(std::string_view nine) {
  if (nine.size() != kHeaderBytes) {
    return Status::Corruption("RDB header needs 9 bytes, file has " + std::to_string(nine.size()));
  }
  RdbHeader header;
  int version;
  if (nine.substr(0, 5) == "REDIS") {
    header.magic = Magic::kRedis;
    version = ParseDigits(nine.substr(5, 4));
  } else if (nine.substr(0, 6) == "VALKEY") {
    header.magic = Magic::kValkey;
    version = ParseDigits(nine.substr(6, 3));
  } else {
    return Status::Corruption("wrong signature \"" + Printable(nine) +
                              "\" (expected REDIS0001..REDIS0014 or VALKEY080)");
  }
  if (version < 1) {
    return Status::Corruption("bad RDB version digits in header \"" + Printable(nine) + "\"");
  }
  header.version = version;
  const std::string named = "RDB version " + std::to_string(version) + " (header \"" +
                            Printable(nine) + "\")";
  if (header.magic == Magic::kRedis) {
    if (version >= 80) {
      return Status::NotSupported(named + ": versions >= 80 are Valkey's and need the VALKEY magic");
    }
    if (version > kMaxRedisVersion) {
      return Status::NotSupported(named + " is newer than the newest shardkit reads (Redis RDB " +
                                  std::to_string(kMaxRedisVersion) + ", Redis 8.8)");
    }
  } else if (version != kValkeyVersion) {
    return Status::NotSupported(named + ": shardkit reads Valkey's own format only as VALKEY080 "
                                        "(Valkey 9.0/9.1)");
  }
  return header;
}

int FirstVersionWithType(uint8_t type) {
  switch (type) {
    case 0: case 1: case 2: case 3: case 4: return 1;
    case 5: case 6: case 7: return 8;
    case 9: case 10: case 11: case 12: return 2;
    case 13: return 4;
    case 14: return 7;
    case 15: return 9;
    case 16: case 17: case 18: case 19: return 10;
    case 20: case 21: return 11;
    case 22: case 23: case 24: case 25: return 12;
    case 26: return 13;
    case 27: case 28: case 29: return 14;
    default: return 0;
  }
}

bool IsKnownType(uint8_t type, const RdbHeader& header) {
  if (type == 8) return false;
  if (header.magic == Magic::kValkey) return type <= kTypeValkeyHash2;
  return FirstVersionWithType(type) != 0;
}

std::string TypeName(uint8_t type, Magic magic) {
  static constexpr const char* kNames[] = {
      "string",         "list-linked",  "set-hashtable", "zset-v1",
      "hash-hashtable", "zset-v2",      "module-pre-release", "module-value",
      "",               "hash-zipmap",  "list-ziplist",  "set-intset",
      "zset-ziplist",   "hash-ziplist", "quicklist",     "stream",
      "hash-listpack",  "zset-listpack", "quicklist-v2", "stream-v2",
      "set-listpack",   "stream-v3",    "hash-hashtable-md-pre-release",
      "hash-listpack-md-pre-release", "hash-hashtable-md", "hash-listpack-md",
      "stream-v4",      "stream-v5",    "array",         "gcra"};
  if (magic == Magic::kValkey && type == kTypeValkeyHash2) return "hash-2";
  if (type < sizeof(kNames) / sizeof(kNames[0]) && kNames[type][0] != '\0') return kNames[type];
  return "unknown-" + std::to_string(type);
}

std::string_view ForeignByteName(uint8_t byte) {
  if (byte >= 30 && byte <= 37) return "a Dragonfly extension type (30-37)";
  if (byte == 64) return "KeyDB type 64 (CRON)";
  if (byte == 101 || byte == 102) return "a legacy Redis Enterprise (Garantia) opcode";
  if (byte == 107) return "Redis Enterprise opcode 107 (RAM_LRU)";
  if (byte == 121) return "Redis Enterprise opcode 121 (SLOT_NUM)";
  if ((byte >= 200 && byte <= 203) || byte == 210 || byte == 211 || byte == 220 ||
      (byte >= 222 && byte <= 224)) {
    return "a Dragonfly extension opcode";
  }
  if (byte == 242) return "opcode 242 (Redis 8.10 hash templates / Valkey UPDATE, unverified)";
  return "";
}

std::string_view OpcodeName(uint8_t opcode, Magic magic) {
  switch (opcode) {
    case kOpEof: return "EOF";
    case kOpSelectDb: return "SELECTDB";
    case kOpExpireTime: return "EXPIRETIME";
    case kOpExpireTimeMs: return "EXPIRETIME_MS";
    case kOpResizeDb: return "RESIZEDB";
    case kOpAux: return "AUX";
    case kOpFreq: return "FREQ";
    case kOpIdle: return "IDLE";
    case kOpModuleAux: return "MODULE_AUX";
    case kOpFunctionPreGa: return "FUNCTION_PRE_GA";
    case kOpFunction2: return "FUNCTION2";
    case kOpSlotInfo: return "SLOT_INFO";
    case 243: return magic == Magic::kValkey ? "SLOT_IMPORT" : "KEY_META";
    default: return "";
  }
}

std::string ModuleIdName(uint64_t module_id) {
  static constexpr char kCharset[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char name[10];
  uint64_t id = module_id >> 10;
  for (int i = 8; i >= 0; --i) {
    name[i] = kCharset[id & 63];
    id >>= 6;
  }
  name[9] = '\0';
  return std::string(name) + "/" + std::to_string(module_id & 1023);
}

}  // namespace shardkit::formats::rdb
