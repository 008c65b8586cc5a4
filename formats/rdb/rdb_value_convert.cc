#include "formats/rdb/rdb_value_convert.h"

#include "base/byte_reader.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_value_reader.h"

namespace shardkit::formats::rdb {

namespace {

// Collects the decoded elements of one value as owned strings.
class ElementCollector final : public RdbVisitor {
 public:
  struct Item {
    std::string a, b;
    double score = 0;
  };
  Status OnElement(const RdbEntry&, const RdbElement& e) override {
    items.push_back({std::string(e.a), std::string(e.b), e.score});
    return Status();
  }
  std::vector<Item> items;
};

int NewestStreamType(int version) {
  if (version >= 14) return kTypeStreamListpacks5;
  if (version >= 13) return kTypeStreamListpacks4;
  if (version >= 11) return kTypeStreamListpacks3;
  if (version >= 10) return kTypeStreamListpacks2;
  return kTypeStreamListpacks;
}

bool IsStream(uint8_t type) {
  return type == kTypeStreamListpacks || type == kTypeStreamListpacks2 ||
         type == kTypeStreamListpacks3 || type == kTypeStreamListpacks4 ||
         type == kTypeStreamListpacks5;
}

// Copies `n` length-encoded numbers from `in` to `out` (or drops them).
Status CopyLens(ByteReader& in, int n, std::string* out) {
  for (int i = 0; i < n; ++i) {
    SK_ASSIGN_OR_RETURN(uint64_t v, ReadLength(in, "stream field"));
    if (out != nullptr) AppendLength(out, v);
  }
  return Status();
}

Status CopyBytes(ByteReader& in, size_t n, std::string* out) {
  return in.ReadAppend(out, n);
}

Status CopyString(ByteReader& in, std::string* out) {
  std::string s;
  SK_RETURN_IF_ERROR(ReadString(in, RdbLimits(), &s));
  AppendString(out, s);
  return Status();
}

// Re-encodes a stream value of type `from` as type `to` < from, dropping
// the fields `to` does not have (§4.15).
Status DowngradeStream(std::string_view value, uint8_t from, uint8_t to, std::string* out,
                       std::vector<std::string>* losses) {
  MemoryChunkSource source(AsBytes(value), value.size() + 1, "<stream value>");
  ByteReader in(&source);
  SK_ASSIGN_OR_RETURN(uint64_t nodes, ReadCount(in, "stream node count", 2));
  AppendLength(out, nodes);
  for (uint64_t i = 0; i < 2 * nodes; ++i) SK_RETURN_IF_ERROR(CopyString(in, out));
  SK_RETURN_IF_ERROR(CopyLens(in, 3, out));  // length, last id
  if (from >= kTypeStreamListpacks2) {
    SK_RETURN_IF_ERROR(CopyLens(in, 5, to >= kTypeStreamListpacks2 ? out : nullptr));
  }
  SK_ASSIGN_OR_RETURN(uint64_t groups, ReadCount(in, "stream group count", 3));
  AppendLength(out, groups);
  for (uint64_t g = 0; g < groups; ++g) {
    SK_RETURN_IF_ERROR(CopyString(in, out));
    SK_RETURN_IF_ERROR(CopyLens(in, 2, out));
    if (from >= kTypeStreamListpacks2) {
      SK_RETURN_IF_ERROR(CopyLens(in, 1, to >= kTypeStreamListpacks2 ? out : nullptr));
    }
    SK_ASSIGN_OR_RETURN(uint64_t pel, ReadCount(in, "PEL size", 25));
    AppendLength(out, pel);
    for (uint64_t p = 0; p < pel; ++p) {
      SK_RETURN_IF_ERROR(CopyBytes(in, 24, out));
      SK_RETURN_IF_ERROR(CopyLens(in, 1, out));
    }
    SK_ASSIGN_OR_RETURN(uint64_t consumers, ReadCount(in, "consumer count", 10));
    AppendLength(out, consumers);
    for (uint64_t c = 0; c < consumers; ++c) {
      SK_RETURN_IF_ERROR(CopyString(in, out));
      SK_RETURN_IF_ERROR(CopyBytes(in, 8, out));
      if (from >= kTypeStreamListpacks3) {
        std::string active;
        SK_RETURN_IF_ERROR(CopyBytes(in, 8, &active));
        if (to >= kTypeStreamListpacks3) out->append(active);
      }
      SK_ASSIGN_OR_RETURN(uint64_t owned, ReadCount(in, "consumer PEL size", 16));
      AppendLength(out, owned);
      SK_RETURN_IF_ERROR(CopyBytes(in, 16 * owned, out));
    }
    if (from >= kTypeStreamListpacks5) {
      SK_ASSIGN_OR_RETURN(uint64_t nacks, ReadCount(in, "NACK list size", 16));
      std::string dropped;
      SK_RETURN_IF_ERROR(CopyBytes(in, 16 * nacks, &dropped));
      if (to >= kTypeStreamListpacks5) {
        AppendLength(out, nacks);
        out->append(dropped);
      } else if (nacks > 0) {
        losses->push_back("stream NACK lists (XNACK state)");
      }
    }
  }
  if (from >= kTypeStreamListpacks4) {
    // IDMP state: everything left is dropped unless the target keeps it.
    std::string rest;
    SK_RETURN_IF_ERROR(in.ReadAppend(&rest, value.size() - in.offset()));
    if (to >= kTypeStreamListpacks4) out->append(rest);
    else losses->push_back("stream IDMP producer state");
  }
  if (from >= kTypeStreamListpacks3 && to < kTypeStreamListpacks3) {
    losses->push_back("stream consumer active-time");
  }
  if (from >= kTypeStreamListpacks2 && to < kTypeStreamListpacks2) {
    losses->push_back("stream first-id/max-deleted-id/entries-added/entries-read");
  }
  SK_ASSIGN_OR_RETURN(bool at_end, in.AtEnd());
  if (!at_end) return in.CorruptionAt(in.offset(), "bytes after the stream value");
  return Status();
}

// Decodes a listpack-family value and writes the plain type.
Status ToPlain(uint8_t type, std::string_view value, Magic source_magic, uint8_t* out_type,
               std::string* out) {
  MemoryChunkSource source(AsBytes(value), value.size() + 1, "<value>");
  ByteReader in(&source);
  RdbReadOptions options;
  options.deep = true;
  RdbHeader header{source_magic, 1};
  ElementCollector collector;
  RdbEntry entry;
  entry.type = type;
  ValueReader reader(&in, options, header, &collector);
  SK_RETURN_IF_ERROR(reader.Read(&entry));
  out->clear();
  AppendLength(out, collector.items.size());
  for (const auto& item : collector.items) {
    AppendString(out, item.a);
    if (type == kTypeHashListpack) AppendString(out, item.b);
    if (type == kTypeZsetListpack) AppendBinaryDouble(out, item.score);
  }
  *out_type = type == kTypeHashListpack   ? kTypeHash
              : type == kTypeZsetListpack ? kTypeZset2
              : type == kTypeSetListpack  ? kTypeSet
                                          : kTypeList;
  return Status();
}

}  // namespace

bool TypeWritableAt(uint8_t type, Magic source_magic, int target_version) {
  if (source_magic == Magic::kValkey && type == kTypeValkeyHash2) return false;
  if (type == kTypeModulePreGa || type == 8) return false;
  const int first = FirstVersionWithType(type);
  return first != 0 && first <= target_version;
}

Status ConvertValue(uint8_t type, std::string_view value, Magic source_magic, int target_version,
                    uint8_t* out_type, std::string* out_value, std::vector<std::string>* losses) {
  if (type == kTypeHashListpack || type == kTypeZsetListpack || type == kTypeSetListpack ||
      type == kTypeListQuicklist2) {
    if (type == kTypeZsetListpack && target_version < 8) {
      return Status::NotSupported("zset-listpack needs RDB >= 8 (zset-v2) to convert");
    }
    return ToPlain(type, value, source_magic, out_type, out_value);
  }
  if (IsStream(type)) {
    const uint8_t to = static_cast<uint8_t>(NewestStreamType(target_version));
    if (target_version < 9) return Status::NotSupported("streams need RDB >= 9");
    out_value->clear();
    *out_type = to;
    return DowngradeStream(value, type, to, out_value, losses);
  }
  std::string name = TypeName(type, source_magic);
  return Status::NotSupported("a " + name + " value cannot be written as RDB " +
                              std::to_string(target_version) +
                              (type >= 22 && type <= 25 ? " (hash field TTLs need RDB 12)" : ""));
}

}  // namespace shardkit::formats::rdb
