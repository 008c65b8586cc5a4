#include "loader/source_scan.h"

#include <charconv>

#include "loader/enterprise_layout.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace {

class ScanVisitor final : public formats::rdb::RdbVisitor {
 public:
  ScanVisitor(SourceScan* out, int64_t now_ms) : out_(out), now_ms_(now_ms) {}

  Status OnAux(std::string_view key, std::string_view value) override {
    out_->aux[std::string(key)] = std::string(value);
    if (key == "repl-id") out_->repl_id = std::string(value);
    if (key == "repl-offset") {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), out_->repl_offset);
      out_->has_repl_offset = ec == std::errc() && p == value.data() + value.size();
    }
    if (key == "ctime") {
      std::from_chars(value.data(), value.data() + value.size(), out_->ctime_s);
    }
    return Status();
  }
  Status OnFunction(std::string_view code) override {
    out_->functions.emplace_back(code);
    return Status();
  }
  Status OnEntry(const formats::rdb::RdbEntry& e) override {
    ++out_->keys;
    if (!e.module_name.empty()) out_->modules.insert(e.module_name);
    if (e.expire_ms && *e.expire_ms < now_ms_) ++out_->keys_expired;
    if (e.db != 0) {
      ++out_->keys_other_dbs;
      return Status();
    }
    const uint16_t slot = e.HashSlot();
    out_->stats.keys[slot] += 1;
    out_->stats.bytes[slot] += e.value_offset + e.value_bytes - e.record_offset;
    out_->present_slots.Add(slot);
    return Status();
  }

 private:
  SourceScan* out_;
  int64_t now_ms_;
};

}  // namespace

Result<SourceScan> ScanRdbStream(ByteReader* in, int64_t now_ms, formats::rdb::Producer layout) {
  SourceScan scan;
  ScanVisitor visitor(&scan, now_ms);
  formats::rdb::RdbReadOptions options;
  options.layout = layout;
  formats::rdb::RdbReader reader(in, options);
  SK_ASSIGN_OR_RETURN(scan.summary, reader.Read(&visitor));
  scan.bytes = scan.summary.end_offset;
  return scan;
}

Result<SourceScan> ScanRdbSource(const std::string& path, int64_t now_ms,
                                 const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source, storage::OpenSequentialReader(path, io));
  ByteReader in(source.get());
  SK_ASSIGN_OR_RETURN(SourceScan scan, ScanRdbStream(&in, now_ms, LayoutProducerOf(path)));
  if (source->size()) scan.bytes = *source->size();
  return scan;
}

}  // namespace shardkit::loader
