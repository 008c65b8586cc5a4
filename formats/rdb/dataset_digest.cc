// DatasetDigest: Redis 7.0's DEBUG DIGEST over decoded RDB values (see the
// header). Two primitives, as Redis defines them (src/debug.c):
//   Xor(d, data): d ^= SHA1(data)            (order-free: sets, hash fields)
//   Mix(d, data): d = SHA1(d ^ SHA1(data))   (ordered: lists, streams, the key)
// Where Redis folds a 20-byte digest into another (a zset member's or hash
// field's small digest into the key's, a key's into the dataset's) it uses
// Xor too: the SHA-1 of that digest is xored in, not the digest itself.
#include "formats/rdb/dataset_digest.h"

#include <nettle/sha1.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "base/hex.h"

namespace shardkit::formats::rdb {
namespace {

// Redis's object type numbers (server.h OBJ_*), which the digest mixes.
constexpr uint32_t kObjString = 0;
constexpr uint32_t kObjList = 1;
constexpr uint32_t kObjSet = 2;
constexpr uint32_t kObjZset = 3;
constexpr uint32_t kObjHash = 4;
constexpr uint32_t kObjModule = 5;
constexpr uint32_t kObjStream = 6;
constexpr uint32_t kObjNone = 0xffffffff;

// The Redis object type an RDB type byte loads as; kObjNone if Redis 7.0
// has none (ARRAY, GCRA).
uint32_t ObjectTypeOf(uint8_t type, Magic magic) {
  if (magic == Magic::kValkey && type == kTypeValkeyHash2) return kObjHash;
  switch (type) {
    case kTypeString:
      return kObjString;
    case kTypeList:
    case kTypeListZiplist:
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return kObjList;
    case kTypeSet:
    case kTypeSetIntset:
    case kTypeSetListpack:
      return kObjSet;
    case kTypeZset:
    case kTypeZset2:
    case kTypeZsetZiplist:
    case kTypeZsetListpack:
      return kObjZset;
    case kTypeHash:
    case kTypeHashZipmap:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeHashMetadataPreGa:
    case kTypeHashListpackExPreGa:
    case kTypeHashMetadata:
    case kTypeHashListpackEx:
      return kObjHash;
    case kTypeModulePreGa:
    case kTypeModule2:
      return kObjModule;
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
    case kTypeStreamListpacks4:
    case kTypeStreamListpacks5:
      return kObjStream;
    default:
      return kObjNone;
  }
}

Digest20 Sha1(std::string_view data) {
  sha1_ctx ctx;
  sha1_init(&ctx);
  sha1_update(&ctx, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
  Digest20 out;
  sha1_digest(&ctx, out.size(), out.data());
  return out;
}

std::string_view AsView(const Digest20& digest) {
  return std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size());
}

void XorInto(Digest20& digest, const Digest20& other) {
  for (size_t i = 0; i < digest.size(); ++i) digest[i] ^= other[i];
}

void Xor(Digest20& digest, std::string_view data) { XorInto(digest, Sha1(data)); }

void Mix(Digest20& digest, std::string_view data) {
  Xor(digest, data);
  digest = Sha1(AsView(digest));
}

// 4 bytes, big-endian (Redis mixes htonl(value)).
std::string_view BigEndian32(uint32_t value, char (&buf)[4]) {
  buf[0] = static_cast<char>(value >> 24);
  buf[1] = static_cast<char>(value >> 16);
  buf[2] = static_cast<char>(value >> 8);
  buf[3] = static_cast<char>(value);
  return std::string_view(buf, 4);
}

// A zset member's small digest: its name, then its score as "%.17g".
Digest20 ZsetPairDigest(std::string_view member, double score) {
  char text[64];
  const int n = std::snprintf(text, sizeof(text), "%.17g", score);
  Digest20 pair{};
  Mix(pair, member);
  Mix(pair, std::string_view(text, static_cast<size_t>(n)));
  return pair;
}

bool IsCollection(uint32_t object_type) {
  return object_type == kObjList || object_type == kObjSet || object_type == kObjZset ||
         object_type == kObjHash;
}

}  // namespace

std::string DigestHex(const Digest20& digest) {
  return HexBytes(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Status DatasetDigest::OnEntryStart(const RdbEntry& entry) {
  object_type_ = ObjectTypeOf(entry.type, magic_);
  if (object_type_ == kObjNone || object_type_ == kObjModule) {
    return Status::NotSupported(
        "key \"" + entry.key.substr(0, 128) + "\" (db " + std::to_string(entry.db) + ", type " +
        TypeName(entry.type, magic_) +
        "): its dataset digest cannot be computed (Redis 7.0 " +
        (object_type_ == kObjModule ? "asks the module for it" : "has no such type") + ")");
  }
  key_digest_.fill(0);
  elements_ = 0;
  negative_zero_fix_.fill(0);
  has_negative_zero_ = false;
  longest_member_ = 0;
  Mix(key_digest_, entry.key);
  char buf[4];
  Mix(key_digest_, BigEndian32(object_type_, buf));
  return Status();
}

Status DatasetDigest::OnElement(const RdbEntry& /*entry*/, const RdbElement& element) {
  switch (element.kind) {
    case ElementKind::kString:
    case ElementKind::kListItem:
      Mix(key_digest_, element.a);
      break;
    case ElementKind::kSetMember:
      Xor(key_digest_, element.a);
      break;
    case ElementKind::kZsetMember: {
      const Digest20 pair = ZsetPairDigest(element.a, element.score);
      Xor(key_digest_, AsView(pair));
      if (element.score == 0 && std::signbit(element.score)) {
        has_negative_zero_ = true;
        Xor(negative_zero_fix_, AsView(pair));
        Xor(negative_zero_fix_, AsView(ZsetPairDigest(element.a, 0.0)));
      }
      longest_member_ = std::max<uint64_t>(longest_member_, element.a.size());
      break;
    }
    case ElementKind::kHashField: {
      Digest20 pair{};
      Mix(pair, element.a);
      Mix(pair, element.b);
      Xor(key_digest_, AsView(pair));
      break;
    }
    case ElementKind::kStreamEntry: {
      char id[48];
      const int n = std::snprintf(id, sizeof(id), "%llu.%llu",
                                  static_cast<unsigned long long>(element.id.ms),
                                  static_cast<unsigned long long>(element.id.seq));
      Mix(key_digest_, std::string_view(id, static_cast<size_t>(n)));
      for (std::string_view field_or_value : element.fields) Mix(key_digest_, field_or_value);
      break;
    }
    default:
      // Stream metadata, groups, PEL and consumers are not part of the digest.
      return Status();
  }
  ++elements_;
  return Status();
}

Status DatasetDigest::OnEntry(const RdbEntry& entry) {
  if (entry.expire_ms && options_.drop_expired_before_ms &&
      *entry.expire_ms < *options_.drop_expired_before_ms) {
    ++expired_dropped_;
    return Status();
  }
  if (options_.drop_empty_collections && elements_ == 0 && IsCollection(object_type_)) {
    ++empty_dropped_;
    return Status();
  }
  if (has_negative_zero_ && (entry.type == kTypeZset || entry.type == kTypeZset2) &&
      elements_ <= options_.zset_max_listpack_entries &&
      longest_member_ <= options_.zset_max_listpack_value) {
    XorInto(key_digest_, negative_zero_fix_);
  }
  if (entry.expire_ms) Xor(key_digest_, "!!expire!!");
  DbPart& db = dbs_[entry.db];
  Xor(db.xor_of_keys, AsView(key_digest_));
  ++db.keys;
  ++keys_;
  return Status();
}

Digest20 DatasetDigest::Digest() const {
  Digest20 out{};
  for (const auto& [db, part] : dbs_) {
    if (part.keys == 0) continue;
    char buf[4];
    Mix(out, BigEndian32(static_cast<uint32_t>(db), buf));
    XorInto(out, part.xor_of_keys);
  }
  return out;
}

std::string DatasetDigest::Hex() const { return DigestHex(Digest()); }

Result<std::string> ComputeRdbDatasetDigest(ChunkSource* source, RdbReadOptions read_options,
                                            const DatasetDigestOptions& options) {
  read_options.deep = true;
  read_options.capture_values = false;
  read_options.value_piece_bytes = 0;
  DatasetDigest digest(options);
  SK_ASSIGN_OR_RETURN(RdbSummary summary, ReadRdb(source, read_options, &digest));
  (void)summary;
  return digest.Hex();
}

}  // namespace shardkit::formats::rdb
