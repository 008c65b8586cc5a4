// Values stored as compact blobs (ziplist, listpack, intset, zipmap) and
// quicklists of them. Raw mode skips each blob by its string length; deep
// mode validates the blob with formats/encodings and reports its elements.
// Empty collections are not errors here: Redis skips such keys on load
// (corpus corrupt_empty_keys.rdb); callers see a key with no elements.
#include <cstdlib>
#include <string>
#include <vector>

#include "formats/encodings/intset.h"
#include "formats/encodings/listpack.h"
#include "formats/encodings/ziplist.h"
#include "formats/encodings/zipmap.h"
#include "formats/rdb/rdb_duplicates.h"
#include "formats/rdb/rdb_value_reader.h"

namespace shardkit::formats::rdb {

namespace {

// The element shape a blob holds, by type.
enum class Shape { kList, kSet, kZset, kHash, kHashTtl };

Shape ShapeOf(uint8_t type) {
  switch (type) {
    case kTypeZsetZiplist:
    case kTypeZsetListpack:
      return Shape::kZset;
    case kTypeHashZiplist:
    case kTypeHashListpack:
    case kTypeHashZipmap:
      return Shape::kHash;
    case kTypeHashListpackEx:
    case kTypeHashListpackExPreGa:
      return Shape::kHashTtl;
    case kTypeSetListpack:
    case kTypeSetIntset:
      return Shape::kSet;
    default:
      return Shape::kList;
  }
}

size_t GroupSize(Shape shape) {
  return shape == Shape::kZset || shape == Shape::kHash ? 2 : shape == Shape::kHashTtl ? 3 : 1;
}

ByteSpan Bytes(std::string_view s) { return AsBytes(s); }

// Turns a flat element list into typed elements: checks the group size,
// duplicate members/fields, zset scores (no NaN) and hash TTLs.
class GroupEmitter {
 public:
  explicit GroupEmitter(Shape shape) : shape_(shape) {}

  // Returns "" when fine, else what is wrong.
  std::string Check(const std::vector<std::string>& flat) {
    if (flat.size() % GroupSize(shape_) != 0) {
      return std::to_string(flat.size()) + " entries is not a multiple of " +
             std::to_string(GroupSize(shape_));
    }
    if (shape_ == Shape::kList) return "";
    seen_.Reset(flat.size() / GroupSize(shape_));
    for (size_t i = 0; i < flat.size(); i += GroupSize(shape_)) {
      if (!seen_.InsertView(flat[i])) return "duplicate element \"" + flat[i].substr(0, 64) + "\"";
      if (shape_ == Shape::kZset) {
        char* end = nullptr;
        const std::string& s = flat[i + 1];
        double v = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size() || v != v) {
          return "bad zset score \"" + s.substr(0, 64) + "\"";
        }
      }
      if (shape_ == Shape::kHashTtl) {
        char* end = nullptr;
        const std::string& s = flat[i + 2];
        long long ttl = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || end != s.c_str() + s.size() || ttl < 0 || ttl > 0xFFFFFFFFFFFFll) {
          return "bad hash field TTL \"" + s.substr(0, 64) + "\"";
        }
      }
    }
    return "";
  }

  RdbElement Make(const std::vector<std::string>& flat, size_t i) const {
    RdbElement e;
    e.a = flat[i];
    switch (shape_) {
      case Shape::kList:
        e.kind = ElementKind::kListItem;
        break;
      case Shape::kSet:
        e.kind = ElementKind::kSetMember;
        break;
      case Shape::kZset:
        e.kind = ElementKind::kZsetMember;
        e.score = std::strtod(flat[i + 1].c_str(), nullptr);
        break;
      case Shape::kHash:
        e.kind = ElementKind::kHashField;
        e.b = flat[i + 1];
        break;
      case Shape::kHashTtl: {
        e.kind = ElementKind::kHashField;
        e.b = flat[i + 1];
        long long ttl = std::strtoll(flat[i + 2].c_str(), nullptr, 10);
        if (ttl != 0) e.expire_ms = ttl;
        break;
      }
    }
    return e;
  }

 private:
  Shape shape_;
  DuplicateFinder seen_;
};

}  // namespace

Status ValueReader::ReadBlobValue(uint8_t type) {
  if (type == kTypeHashListpackEx) {
    SK_RETURN_IF_ERROR(ReadU64Le(in_));  // min-expire hint
  }
  const uint64_t blob_offset = in_.offset();
  SK_RETURN_IF_ERROR(Str(&scratch_a_));
  if (!deep()) return Status();
  if (scratch_a_.empty()) return CorruptAt(blob_offset, "empty " + TypeName(type) + " blob");
  return DecodeBlob(type, scratch_a_, blob_offset);
}

Status ValueReader::DecodeBlob(uint8_t type, std::string_view blob, uint64_t blob_offset) {
  switch (type) {
    case kTypeListZiplist:
    case kTypeZsetZiplist:
    case kTypeHashZiplist:
    case kTypeListQuicklist:
      return DecodeZiplist(type, blob, blob_offset);
    case kTypeSetIntset:
      return DecodeIntset(blob, blob_offset);
    case kTypeHashZipmap:
      return DecodeZipmap(blob, blob_offset);
    default:
      return DecodeListpack(type, blob, blob_offset);
  }
}

template <typename Iterator>
static Status Collect(Iterator& it, std::vector<std::string>* flat) {
  CompactEntry entry;
  // Bounded: every entry takes at least one byte of the validated blob.
  for (;;) {
    SK_ASSIGN_OR_RETURN(bool more, it.Next(&entry));
    if (!more) return Status();
    flat->push_back(entry.ToString());
  }
}

Status ValueReader::DecodeZiplist(uint8_t type, std::string_view blob, uint64_t blob_offset) {
  Result<uint64_t> count = ValidateZiplist(Bytes(blob));
  if (!count.ok()) return BlobError(blob_offset, "ziplist", count.status());
  Result<ZiplistIterator> it = ZiplistIterator::Open(Bytes(blob));
  if (!it.ok()) return BlobError(blob_offset, "ziplist", it.status());
  std::vector<std::string> flat;
  Status s = Collect(*it, &flat);
  if (!s.ok()) return BlobError(blob_offset, "ziplist", s);
  const Shape shape = type == kTypeListQuicklist ? Shape::kList : ShapeOf(type);
  GroupEmitter groups(shape);
  std::string problem = groups.Check(flat);
  if (!problem.empty()) return CorruptAt(blob_offset, "ziplist: " + problem);
  for (size_t i = 0; i < flat.size(); i += GroupSize(shape)) {
    SK_RETURN_IF_ERROR(Emit(groups.Make(flat, i)));
  }
  return Status();
}

Status ValueReader::DecodeListpack(uint8_t type, std::string_view blob, uint64_t blob_offset) {
  Result<uint64_t> count = ValidateListpack(Bytes(blob));
  if (!count.ok()) return BlobError(blob_offset, "listpack", count.status());
  Result<ListpackIterator> it = ListpackIterator::Open(Bytes(blob));
  if (!it.ok()) return BlobError(blob_offset, "listpack", it.status());
  std::vector<std::string> flat;
  Status s = Collect(*it, &flat);
  if (!s.ok()) return BlobError(blob_offset, "listpack", s);
  const Shape shape = ShapeOf(type);
  GroupEmitter groups(shape);
  std::string problem = groups.Check(flat);
  if (!problem.empty()) return CorruptAt(blob_offset, "listpack: " + problem);
  for (size_t i = 0; i < flat.size(); i += GroupSize(shape)) {
    SK_RETURN_IF_ERROR(Emit(groups.Make(flat, i)));
  }
  return Status();
}

Status ValueReader::DecodeIntset(std::string_view blob, uint64_t blob_offset) {
  Result<IntsetView> set = IntsetView::Open(Bytes(blob), /*deep=*/true);
  if (!set.ok()) return BlobError(blob_offset, "intset", set.status());
  for (uint32_t i = 0; i < set->size(); ++i) {
    std::string member = std::to_string(set->Get(i));
    RdbElement e;
    e.kind = ElementKind::kSetMember;
    e.a = member;
    SK_RETURN_IF_ERROR(Emit(e));
  }
  return Status();
}

Status ValueReader::DecodeZipmap(std::string_view blob, uint64_t blob_offset) {
  Result<ZipmapIterator> it = ZipmapIterator::Open(Bytes(blob));
  if (!it.ok()) return BlobError(blob_offset, "zipmap", it.status());
  std::vector<std::string> flat;
  std::string_view field, value;
  for (;;) {
    Result<bool> more = it->Next(&field, &value);
    if (!more.ok()) return BlobError(blob_offset, "zipmap", more.status());
    if (!*more) break;
    flat.emplace_back(field);
    flat.emplace_back(value);
  }
  GroupEmitter groups(Shape::kHash);
  std::string problem = groups.Check(flat);
  if (!problem.empty()) return CorruptAt(blob_offset, "zipmap: " + problem);
  for (size_t i = 0; i < flat.size(); i += 2) SK_RETURN_IF_ERROR(Emit(groups.Make(flat, i)));
  return Status();
}

// Quicklist v1 (14): n ziplist nodes. v2 (18): n x (container, string) where
// PACKED holds a listpack and PLAIN one raw element (§4.12, §4.13).
Status ValueReader::ReadQuicklist(uint8_t type) {
  const bool v2 = type == kTypeListQuicklist2;
  SK_ASSIGN_OR_RETURN(uint64_t nodes, Count("quicklist node count", v2 ? 2 : 1));
  for (uint64_t i = 0; i < nodes; ++i) {
    const uint64_t node_at = in_.offset();
    uint64_t container = kQuicklistNodePacked;
    if (v2) {
      SK_ASSIGN_OR_RETURN(container, Len("quicklist container"));
      if (container != kQuicklistNodePlain && container != kQuicklistNodePacked) {
        return CorruptAt(node_at, "quicklist node container " + std::to_string(container) +
                                      " (expected 1 PLAIN or 2 PACKED)");
      }
    }
    const uint64_t blob_offset = in_.offset();
    SK_RETURN_IF_ERROR(Str(&scratch_a_));
    if (!deep()) continue;
    if (scratch_a_.empty() && v2) return CorruptAt(blob_offset, "empty quicklist node");
    if (container == kQuicklistNodePlain) {
      RdbElement e;
      e.kind = ElementKind::kListItem;
      e.a = scratch_a_;
      SK_RETURN_IF_ERROR(Emit(e));
    } else if (v2) {
      SK_RETURN_IF_ERROR(DecodeListpack(kTypeListQuicklist2, scratch_a_, blob_offset));
    } else {
      SK_RETURN_IF_ERROR(DecodeZiplist(kTypeListQuicklist, scratch_a_, blob_offset));
    }
  }
  return Status();
}

}  // namespace shardkit::formats::rdb
