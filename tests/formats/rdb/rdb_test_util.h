// Helpers shared by the RDB tests: run the reader over bytes, collect
// entries and elements, list the RDB files of the public corpus.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/encodings/crc64.h"
#include "formats/rdb/rdb_format.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb::testing {

// A whole file around `body`: magic + body + EOF (+ CRC-64 when `crc`).
inline std::string Frame(const std::string& magic, const std::string& body, bool crc = true) {
  std::string out = magic + body;
  out.push_back(static_cast<char>(kOpEof));
  if (crc) AppendU64Le(&out, Crc64(0, AsBytes(out)));
  return out;
}

// Records everything the reader reports.
class RecordingVisitor : public RdbVisitor {
 public:
  Status OnAux(std::string_view k, std::string_view v) override {
    aux.emplace_back(std::string(k), std::string(v));
    return Status();
  }
  Status OnFunction(std::string_view code) override {
    functions.emplace_back(code);
    return Status();
  }
  Status OnModuleAux(uint64_t, std::string_view raw) override {
    module_aux.emplace_back(raw);
    return Status();
  }
  Status OnElement(const RdbEntry& e, const RdbElement& el) override {
    std::string text = el.kind == ElementKind::kZsetMember
                           ? std::string(el.a) + "=" + FormatScore(el.score)
                       : el.kind == ElementKind::kHashField ? std::string(el.a) + "=" + std::string(el.b)
                                                            : std::string(el.a);
    elements[e.key].push_back(text);
    ++element_count;
    return Status();
  }
  Status OnEntry(const RdbEntry& e) override {
    entries.push_back(e);
    return Status();
  }
  static std::string FormatScore(double d) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    return buf;
  }

  std::vector<std::pair<std::string, std::string>> aux;
  std::vector<std::string> functions;
  std::vector<std::string> module_aux;
  std::vector<RdbEntry> entries;
  std::map<std::string, std::vector<std::string>> elements;
  uint64_t element_count = 0;
};

inline Result<RdbSummary> ReadBytes(const std::string& bytes, const RdbReadOptions& options,
                                    RdbVisitor* visitor, size_t chunk = 1 << 20) {
  MemoryChunkSource source(AsBytes(bytes), chunk, "test.rdb");
  return ReadRdb(&source, options, visitor);
}

inline bool HasRdbMagic(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[6] = {};
  size_t n = std::fread(buf, 1, 6, f);
  std::fclose(f);
  std::string head(buf, n);
  return head.rfind("REDIS", 0) == 0 || head.rfind("VALKEY", 0) == 0;
}

// Corpus-relative paths of every file starting with an RDB magic, sorted.
inline std::vector<std::string> CorpusRdbFiles(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    if (HasRdbMagic(e.path().string())) {
      out.push_back(std::filesystem::relative(e.path(), root).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace shardkit::formats::rdb::testing
