#include "loader/source_scan.h"

#include <algorithm>
#include <charconv>

#include "loader/enterprise_layout.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace {

class ScanVisitor : public formats::rdb::RdbVisitor {
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

// Stops the read at the first db or key: returns a Status that only the
// caller sees (stopped() tells it apart from a real error).
class HeaderVisitor final : public ScanVisitor {
 public:
  using ScanVisitor::ScanVisitor;
  Status OnHeader(const formats::rdb::RdbHeader& header) override {
    header_ = header;
    return Status();
  }
  Status OnSelectDb(uint64_t) override { return Stop(); }
  Status OnResizeDb(uint64_t, uint64_t) override { return Stop(); }
  Status OnSlotInfo(uint64_t, uint64_t, uint64_t) override { return Stop(); }
  Status OnEntry(const formats::rdb::RdbEntry&) override { return Stop(); }

  bool stopped() const { return stopped_; }
  const formats::rdb::RdbHeader& header() const { return header_; }

 private:
  Status Stop() {
    stopped_ = true;
    return Status::InvalidArgument("header read ends at the first db");
  }
  formats::rdb::RdbHeader header_;
  bool stopped_ = false;
};

constexpr size_t kHeaderBlockBytes = 64 << 10;

}  // namespace

Result<SourceScan> ScanRdbHeader(const std::string& path, const storage::IoOptions& io) {
  storage::IoOptions header_io = io;
  header_io.block_bytes = kHeaderBlockBytes;
  header_io.queue_depth = 1;
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source,
                      storage::OpenSequentialReader(path, header_io));
  ByteReader in(source.get());
  SourceScan scan;
  HeaderVisitor visitor(&scan, 0);
  formats::rdb::RdbReadOptions options;
  options.layout = LayoutProducerOf(path);
  formats::rdb::RdbReader reader(&in, options);
  Result<formats::rdb::RdbSummary> summary = reader.Read(&visitor);
  const uint64_t size = source->size() ? *source->size() : 0;
  scan.bytes = size;
  if (summary.ok()) {  // no key at all: the whole file was read, exactly
    scan.summary = std::move(*summary);
    scan.bytes_read = size;
    return scan;
  }
  if (!visitor.stopped()) return summary.status();
  scan.summary.header = visitor.header();
  scan.estimated = true;
  scan.rdb_part_bytes = size;
  // The block being parsed and the one read ahead of it.
  const uint64_t blocks = in.offset() / kHeaderBlockBytes + 2;
  scan.bytes_read = std::min<uint64_t>(size, blocks * kHeaderBlockBytes);
  return scan;
}

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
  scan.bytes_read = scan.bytes;
  return scan;
}

}  // namespace shardkit::loader
