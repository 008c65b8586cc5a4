// Helpers shared by the RDB fuzz targets (fuzz_rdb_raw, fuzz_rdb_enterprise):
// a visitor keeping the records read, and the copy of those records through
// RdbWriter that both targets read back. Like fuzz_util.h, nothing here may
// depend on libFuzzer (tests/reliability compiles the targets too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"

namespace shardkit::fuzz {

// The first 4096 records read (bounded memory whatever the input).
class CollectEntries final : public formats::rdb::RdbVisitor {
 public:
  Status OnEntry(const formats::rdb::RdbEntry& entry) override {
    if (entries.size() < 4096) entries.push_back(entry);
    return Status();
  }
  std::vector<formats::rdb::RdbEntry> entries;
};

struct RewrittenRdb {
  std::string bytes;
  bool converted = false;  // the writer reported a conversion loss: values may differ
};

// Every record of a REDIS-magic file of a version RdbWriter writes (7-14),
// written again at that version, SELECTDB where the db changes. nullopt when
// that does not apply: another magic or version, more records than were
// kept, or a value the writer refuses.
inline std::optional<RewrittenRdb> RewriteThroughWriter(
    const formats::rdb::RdbSummary& summary,
    const std::vector<formats::rdb::RdbEntry>& entries) {
  namespace rdb = formats::rdb;
  if (summary.header.magic != rdb::Magic::kRedis || summary.header.version < 7 ||
      summary.header.version > 14 || entries.size() != summary.keys) {
    return std::nullopt;
  }
  StringSink sink;
  rdb::RdbWriterOptions writer_options;
  writer_options.version = summary.header.version;
  auto writer = rdb::RdbWriter::Create(&sink, writer_options);
  if (!writer.ok()) return std::nullopt;
  uint64_t db = UINT64_MAX;
  for (const rdb::RdbEntry& entry : entries) {
    if (entry.db != db) {
      if (!(*writer)->WriteSelectDb(entry.db).ok()) return std::nullopt;
      db = entry.db;
    }
    if (!(*writer)->WriteEntry(entry).ok()) return std::nullopt;
  }
  if (!(*writer)->Finish().ok()) return std::nullopt;
  return RewrittenRdb{sink.data(), !(*writer)->losses().empty()};
}

}  // namespace shardkit::fuzz
