#include "formats/rdb/rdb_format.h"

#include <cstdio>
#include <optional>

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

int FirstVersionWithOpcode(uint8_t opcode) {
  switch (opcode) {
    case kOpEof: case kOpSelectDb: case kOpExpireTime: return 1;
    case kOpExpireTimeMs: return 3;
    case kOpResizeDb: case kOpAux: return 7;
    case kOpFreq: case kOpIdle: case kOpModuleAux: return 9;
    case kOpFunctionPreGa: case kOpFunction2: return 10;
    case kOpSlotInfo: return 12;
    case kOpKeyMeta: return 13;
    default: return 0;
  }
}

// Parses "<major>.<minor>.<patch>"; false unless all three are numbers.
static bool ParseRelease(std::string_view text, int* major, int* minor, int* patch) {
  int* parts[3] = {major, minor, patch};
  for (int i = 0; i < 3; ++i) {
    const size_t dot = i < 2 ? text.find('.') : text.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 4) return false;
    *parts[i] = ParseDigits(text.substr(0, dot));
    if (*parts[i] < 0) return false;
    text.remove_prefix(i < 2 ? dot + 1 : dot);
  }
  return true;
}

// formats-reference.md §8: the RDB version each release line writes. Dev
// and RC numbering (odd minors such as 7.1.241, 3.9.x for 4.0 RCs, patch
// numbers >= 200, 255.255.255, 999.999.999) name no release: 0.
int RdbVersionOfRedisRelease(std::string_view redis_ver) {
  int major, minor, patch;
  if (!ParseRelease(redis_ver, &major, &minor, &patch) || patch >= 200) return 0;
  switch (major * 100 + minor) {
    case 206: case 208: case 300: return 6;
    case 302: return 7;
    case 400: return 8;
    case 500: case 600: case 602: return 9;
    case 700: return 10;
    case 702: return 11;
    case 704: case 800: case 802: case 804: return 12;
    case 806: return 13;
    case 808: return 14;
    default: return 0;
  }
}

std::string_view ProducerName(Producer producer) {
  switch (producer) {
    case Producer::kRedis: return "Redis";
    case Producer::kValkey: return "Valkey";
    case Producer::kDragonfly: return "Dragonfly";
    case Producer::kRedisEnterprise: return "Redis Enterprise";
    case Producer::kKeyDb: return "KeyDB";
  }
  return "?";
}

void ProducerClues::NoteHeader(const RdbHeader& h) {
  header = h;
  if (h.magic == Magic::kValkey && producer == Producer::kRedis) producer = Producer::kValkey;
}

bool IsEnterpriseAuxKey(std::string_view key) {
  return key == "big-used-ram" || key == "big-used-disk" || key == "big-ram-overhead" ||
         key == "big-used-data" || key == "bigdb-ram-keys" || key == "bigdb-disk-keys";
}

// The AUX keys only one producer writes (formats-reference.md §1.3-§1.4;
// Dragonfly: src/server/rdb_save.cc RdbSaver::SaveAux; Redis Enterprise:
// librdb test/dumps/redis_ent_opcode_ram_lru.rdb). The first one seen names
// the producer; redis-ver is written by every one of them and names none.
static std::optional<Producer> ProducerOfAuxKey(std::string_view key) {
  if (key == "df-ver") return Producer::kDragonfly;
  if (IsEnterpriseAuxKey(key)) return Producer::kRedisEnterprise;
  if (key == "mvcc-tstamp" || key == "keydb-subexpire-key" || key == "keydb-subexpire-when") {
    return Producer::kKeyDb;
  }
  if (key == "valkey-ver") return Producer::kValkey;
  return std::nullopt;
}

void ProducerClues::NoteAux(std::string_view key, std::string_view value) {
  if (key == "redis-ver") redis_ver = std::string(value);
  if (key == "valkey-ver") valkey_ver = std::string(value);
  const std::optional<Producer> named = ProducerOfAuxKey(key);
  // Valkey is only a fallback: a Dragonfly or Enterprise file may also say
  // which OSS version it is compatible with.
  const bool layout_yields = from_layout && named.has_value() && *named != producer &&
                             *named != Producer::kValkey;
  if (named.has_value() &&
      (producer == Producer::kRedis || producer == Producer::kValkey || layout_yields)) {
    producer = *named;
    named_by = std::string(key);
    from_layout = false;
  }
}

void ProducerClues::NoteLayout(Producer layout_producer, std::string_view layout) {
  if (layout_producer == Producer::kRedis || header.magic == Magic::kValkey) return;
  producer = layout_producer;
  named_by = std::string(layout);
  from_layout = true;
}

std::string_view EnterpriseOpcodeName(uint8_t byte) {
  if (byte == kOpEnterpriseRamLru) return "RAM_LRU";
  if (byte == kOpEnterpriseSlotNum) return "SLOT_NUM";
  return "";
}

namespace {

// The producer whose own records use `byte` (ForeignByteName), if any. 242
// is Valkey's UPDATE only under the VALKEY magic; Redis gives it a meaning
// only in RDB 15, which the header check already refuses.
std::optional<Producer> ForeignByteOwner(uint8_t byte, Magic magic) {
  if ((byte >= 30 && byte <= 37) || (byte >= 200 && byte <= 203) || byte == 210 || byte == 211 ||
      byte == 220 || (byte >= 222 && byte <= 224)) {
    return Producer::kDragonfly;
  }
  if (byte == 64) return Producer::kKeyDb;
  if (byte == 101 || byte == 102 || byte == 107 || byte == 121) return Producer::kRedisEnterprise;
  if (byte == 242 && magic == Magic::kValkey) return Producer::kValkey;
  return std::nullopt;
}

// The AUX key that would have said the file comes from `producer`, for
// messages ("no df-ver AUX field before it").
std::string_view NamingAuxKeys(Producer producer) {
  switch (producer) {
    case Producer::kDragonfly: return "df-ver";
    case Producer::kRedisEnterprise: return "big-used-ram or bigdb-*";
    case Producer::kKeyDb: return "mvcc-tstamp";
    case Producer::kValkey: return "valkey-ver";
    case Producer::kRedis: return "redis-ver";
  }
  return "";
}

// Only Redis 4.0 release candidates wrote MODULE_PRE_GA values (RDB 8, a
// redis-ver in the 3.9.x RC numbering, or the dev build's 999.999.999).
// A file that says it is anything else cannot hold one.
bool MayHoldPreGaModule(const ProducerClues& clues) {
  if (clues.header.magic != Magic::kRedis || clues.header.version != 8) return false;
  if (clues.producer != Producer::kRedis) return false;
  const std::string& v = clues.redis_ver;
  return v.empty() || v.rfind("3.9.", 0) == 0 || v == "999.999.999";
}

// Whether the "introduced in RDB v N" tables (§1.3, §3, §8) bind this file.
// They are Redis's numbering: Valkey's own versions (80) have their own type
// set (IsKnownType), and Dragonfly's writer numbers its files independently
// of the records it puts in them.
bool FollowsRedisNumbering(const ProducerClues& clues) {
  return clues.header.magic == Magic::kRedis && clues.producer != Producer::kDragonfly;
}

// AUX and RESIZEDB appeared in RDB 7, but Redis's loader takes them in any
// version and downgrading writers carry them into older ones: librdb wrote
// corpus redis__librdb/script_legacy.rdb as REDIS0006 with AUX fields from a
// Redis 4.0. They hold no key data, so reading them in an older file is
// harmless; every other opcode must not be newer than the file.
bool AnyVersionMetadata(uint8_t opcode) { return opcode == kOpAux || opcode == kOpResizeDb; }

// Records of other producers that shardkit reads: Redis Enterprise's RAM_LRU
// (107) and SLOT_NUM (121), each one length-encoded integer (librdb
// src/lib/parser.c __elementRamLru/__elementSlotNum read and ignore it), in
// a file that is Enterprise's. The legacy Garantia opcodes 101/102 stay
// refusals: their layout is not public.
bool ReadsForeignRecord(Producer producer, uint8_t byte) {
  return producer == Producer::kRedisEnterprise &&
         (byte == kOpEnterpriseRamLru || byte == kOpEnterpriseSlotNum);
}

// "AUX big-used-ram", or the layout the caller named ("an Enterprise layout").
std::string NamedBy(const std::string& named_by) {
  return ProducerOfAuxKey(named_by).has_value() ? "AUX " + named_by : named_by;
}

RecordByteVerdict Damage(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
  return RecordByteVerdict::kDamage;
}

}  // namespace

RecordByteVerdict JudgeRecordByte(uint8_t byte, const ProducerClues& clues, std::string* why) {
  const RdbHeader& h = clues.header;
  const bool redis_numbering = FollowsRedisNumbering(clues);
  const std::string_view opcode = OpcodeName(byte, h.magic);
  // Messages are built only on the slow paths (why != nullptr).
  auto version = [&] { return DescribeVersion(h); };
  auto head = [&] {
    return "record byte " + std::to_string(byte) + " in " + version();
  };
  auto not_written = [&](std::string_view what) {
    return ": not " + std::string(what) + " " + std::string(ProducerName(clues.producer)) +
           " writes in " + version();
  };
  if (!opcode.empty()) {
    const int first = FirstVersionWithOpcode(byte);
    if (redis_numbering && first > h.version && !AnyVersionMetadata(byte)) {
      if (why == nullptr) return RecordByteVerdict::kDamage;
      return Damage(why, head() + " is opcode " + std::string(opcode) + ", which Redis writes only "
                    "from RDB v" + std::to_string(first) + " on" + not_written("an opcode"));
    }
    return RecordByteVerdict::kRead;
  }
  if (IsKnownType(byte, h)) {
    if (byte == kTypeModulePreGa && !MayHoldPreGaModule(clues)) {
      if (why == nullptr) return RecordByteVerdict::kDamage;
      return Damage(why, head() + " is type " + TypeName(byte, h.magic) + ", which only Redis 4.0 "
                    "release candidates wrote (RDB v8, redis-ver 3.9.x)" + not_written("a type"));
    }
    const int first = FirstVersionWithType(byte);
    if (redis_numbering && first > h.version) {
      if (why == nullptr) return RecordByteVerdict::kDamage;
      return Damage(why, head() + " is type " + TypeName(byte, h.magic) + ", which Redis writes "
                    "only from RDB v" + std::to_string(first) + " on" + not_written("a type"));
    }
    return RecordByteVerdict::kRead;
  }
  const std::optional<Producer> owner = ForeignByteOwner(byte, h.magic);
  if (owner.has_value() && *owner == clues.producer) {
    if (ReadsForeignRecord(*owner, byte)) return RecordByteVerdict::kRead;
    if (why != nullptr) {
      *why = head() + " is " + std::string(ForeignByteName(byte)) + ": a record of " +
             std::string(ProducerName(*owner)) + ", which the file says wrote it (" +
             (clues.named_by.empty() ? std::string("its header") : NamedBy(clues.named_by)) +
             "), and which shardkit does not read" +
             (*owner == Producer::kValkey ? "" : " (not part of the Redis/Valkey format)");
    }
    return RecordByteVerdict::kOtherProducer;
  }
  if (why == nullptr) return RecordByteVerdict::kDamage;
  if (!owner.has_value() && ForeignByteName(byte).empty()) {
    return Damage(why, "unknown record type or opcode byte " + std::to_string(byte) + " in " +
                           version() + not_written("an opcode or type"));
  }
  std::string text = head() + not_written("an opcode or type") + " (it looks like " +
                     std::string(ForeignByteName(byte));
  if (owner.has_value()) {
    text += ", but the file does not say it comes from " + std::string(ProducerName(*owner)) +
            ": no " + std::string(NamingAuxKeys(*owner)) + " AUX field before it";
    if (*owner == Producer::kRedisEnterprise) {
      text += ", and the caller did not find it in an Enterprise layout";
    }
    if (clues.producer != Producer::kRedis) {
      text += "; it says it comes from " + std::string(ProducerName(clues.producer));
    }
  }
  return Damage(why, text + ")");
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
