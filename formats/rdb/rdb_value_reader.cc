#include "formats/rdb/rdb_value_reader.h"

#include <cmath>
#include <cstdio>

#include "formats/rdb/rdb_duplicates.h"

namespace shardkit::formats::rdb {

Status ValueReader::Str(std::string* out) {
  if (deep()) return ReadString(in_, options_.limits, out);
  return SkipString(in_, options_.limits);
}

Status ValueReader::BlobError(uint64_t blob_offset, std::string_view kind,
                              const Status& s) const {
  return in_.CorruptionAt(blob_offset, std::string(kind) + " in value: " + std::string(s.message()));
}

Status ValueReader::Read(RdbEntry* entry) {
  entry_ = entry;
  const uint8_t type = entry->type;
  if (header_.magic == Magic::kValkey && type == kTypeValkeyHash2) return ReadHashWithTtls(type);
  switch (type) {
    case kTypeString: {
      SK_RETURN_IF_ERROR(Str(&scratch_a_));
      if (!deep()) return Status();
      RdbElement e;
      e.kind = ElementKind::kString;
      e.a = scratch_a_;
      return Emit(e);
    }
    case kTypeList:
    case kTypeSet:
    case kTypeZset:
    case kTypeHash:
    case kTypeZset2:
      return ReadPlainCollection(type);
    case kTypeModulePreGa:
      return ReadModule(true);
    case kTypeModule2:
      return ReadModule(false);
    case kTypeHashZipmap:
    case kTypeListZiplist:
    case kTypeSetIntset:
    case kTypeZsetZiplist:
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeZsetListpack:
    case kTypeSetListpack:
    case kTypeHashListpackExPreGa:
    case kTypeHashListpackEx:
      return ReadBlobValue(type);
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return ReadQuicklist(type);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
    case kTypeStreamListpacks4:
    case kTypeStreamListpacks5:
      return ReadStream(type);
    case kTypeHashMetadataPreGa:
    case kTypeHashMetadata:
      return ReadHashWithTtls(type);
    case kTypeArray:
      return ReadArray();
    case kTypeGcra: {
      SK_ASSIGN_OR_RETURN(uint64_t tat, Len("GCRA arrival time"));
      if (!deep()) return Status();
      RdbElement e;
      e.kind = ElementKind::kGcra;
      e.integer = tat;
      return Emit(e);
    }
    default:
      return CorruptAt(in_.offset(), "unknown object type " + std::to_string(type));
  }
}

// Types 1-5: a count, then strings (and scores). Deep mode rejects NaN
// scores and duplicate members/fields, as Redis' loader does.
Status ValueReader::ReadPlainCollection(uint8_t type) {
  const bool pairs = type == kTypeHash;
  const bool zset = type == kTypeZset || type == kTypeZset2;
  const uint64_t min_bytes = type == kTypeZset2 ? 9 : (pairs || zset) ? 2 : 1;
  SK_ASSIGN_OR_RETURN(uint64_t n, Count("element count", min_bytes));
  const bool check_dups = deep() && type != kTypeList;
  DuplicateFinder seen;
  if (check_dups) seen.Reset(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t at = in_.offset();
    SK_RETURN_IF_ERROR(Str(&scratch_a_));
    RdbElement e;
    e.a = scratch_a_;
    if (pairs) {
      SK_RETURN_IF_ERROR(Str(&scratch_b_));
      e.kind = ElementKind::kHashField;
      e.b = scratch_b_;
    } else if (zset) {
      e.kind = ElementKind::kZsetMember;
      if (type == kTypeZset2) {
        SK_ASSIGN_OR_RETURN(e.score, ReadBinaryDouble(in_));
      } else if (deep()) {
        SK_ASSIGN_OR_RETURN(e.score, ReadTextDouble(in_));
      } else {
        SK_RETURN_IF_ERROR(SkipTextDouble(in_));
      }
      if (deep() && std::isnan(e.score)) return CorruptAt(at, "zset member with NaN score");
    } else {
      e.kind = type == kTypeList ? ElementKind::kListItem : ElementKind::kSetMember;
    }
    if (!deep()) continue;
    if (check_dups && !seen.InsertCopy(scratch_a_)) {
      return CorruptAt(at, "duplicate " + std::string(pairs ? "hash field" : "member") + " \"" +
                               scratch_a_.substr(0, 64) + "\"");
    }
    SK_RETURN_IF_ERROR(Emit(e));
  }
  return Status();
}

// MODULE_2: module id, then an opcode stream ending with 0; carried raw.
// MODULE_PRE_GA has no terminator and cannot be skipped.
Status ValueReader::ReadModule(bool pre_ga) {
  const uint64_t at = in_.offset();
  SK_ASSIGN_OR_RETURN(uint64_t id, Len("module id"));
  entry_->module_name = ModuleIdName(id);
  if (pre_ga) {
    Status where = in_.CorruptionAt(
        at, "MODULE_PRE_GA value (type 6, Redis 4.0 release candidates) of module '" +
                entry_->module_name + "' has no terminator and cannot be skipped without the module");
    return Status::NotSupported(std::string(where.message()));
  }
  SK_RETURN_IF_ERROR(SkipModuleStream(in_, options_.limits));
  if (!deep()) return Status();
  RdbElement e;
  e.kind = ElementKind::kModuleValue;
  e.a = entry_->module_name;
  return Emit(e);
}

// Types 22 (Redis pre-GA: absolute TTL; Valkey HASH_2: u64 expiry after the
// value) and 24 (relative TTL + min-expire), formats-reference.md §4.16-4.17.
Status ValueReader::ReadHashWithTtls(uint8_t type) {
  const bool valkey = header_.magic == Magic::kValkey;
  uint64_t min_expire = 0;
  if (type == kTypeHashMetadata) {
    SK_ASSIGN_OR_RETURN(min_expire, ReadU64Le(in_));
  }
  SK_ASSIGN_OR_RETURN(uint64_t n, Count("hash field count", valkey ? 10 : 3));
  DuplicateFinder seen;
  if (deep()) seen.Reset(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t at = in_.offset();
    std::optional<int64_t> expire;
    if (!valkey) {
      SK_ASSIGN_OR_RETURN(uint64_t ttl, Len("field TTL"));
      if (ttl != 0) {
        expire = static_cast<int64_t>(type == kTypeHashMetadata ? ttl + min_expire - 1 : ttl);
      }
    }
    SK_RETURN_IF_ERROR(Str(&scratch_a_));
    SK_RETURN_IF_ERROR(Str(&scratch_b_));
    if (valkey) {
      SK_ASSIGN_OR_RETURN(uint64_t raw, ReadU64Le(in_));
      if (raw != UINT64_MAX) expire = static_cast<int64_t>(raw);
    }
    if (!deep()) continue;
    if (expire.has_value() && static_cast<uint64_t>(*expire) > 0xFFFFFFFFFFFFull) {
      return CorruptAt(at, "hash field expiry " + std::to_string(*expire) + " out of range");
    }
    if (!seen.InsertCopy(scratch_a_)) {
      return CorruptAt(at, "duplicate hash field \"" + scratch_a_.substr(0, 64) + "\"");
    }
    RdbElement e;
    e.kind = ElementKind::kHashField;
    e.a = scratch_a_;
    e.b = scratch_b_;
    e.expire_ms = expire;
    SK_RETURN_IF_ERROR(Emit(e));
  }
  return Status();
}

// ARRAY (28): count, insert-index flag [+ index], count x (index, tag, value).
Status ValueReader::ReadArray() {
  const uint64_t at = in_.offset();
  SK_ASSIGN_OR_RETURN(uint64_t n, Count("array element count", 3));
  if (n == 0) return CorruptAt(at, "empty array");
  SK_ASSIGN_OR_RETURN(uint64_t has_insert, Len("array insert-index flag"));
  if (has_insert > 1) return CorruptAt(at, "array insert-index flag " + std::to_string(has_insert));
  if (has_insert == 1) SK_RETURN_IF_ERROR(Len("array insert index"));
  uint64_t previous = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t elem_at = in_.offset();
    SK_ASSIGN_OR_RETURN(uint64_t index, Len("array index"));
    SK_ASSIGN_OR_RETURN(uint64_t tag, Len("array element tag"));
    RdbElement e;
    e.kind = ElementKind::kArrayItem;
    e.index = index;
    if (tag == 0 || tag == 3) {
      SK_RETURN_IF_ERROR(Str(&scratch_a_));
    } else if (tag == 1) {
      SK_ASSIGN_OR_RETURN(int64_t v, ReadI64Le(in_));
      scratch_a_ = std::to_string(v);
    } else if (tag == 2) {
      SK_ASSIGN_OR_RETURN(double v, ReadBinaryDouble(in_));
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", v);
      scratch_a_ = buf;
    } else {
      return CorruptAt(elem_at, "unknown array element tag " + std::to_string(tag));
    }
    if (!deep()) continue;
    if (i > 0 && index <= previous) {
      return CorruptAt(elem_at, "array indices not ascending (" + std::to_string(index) +
                                    " after " + std::to_string(previous) + ")");
    }
    previous = index;
    e.a = scratch_a_;
    SK_RETURN_IF_ERROR(Emit(e));
  }
  return Status();
}

}  // namespace shardkit::formats::rdb
