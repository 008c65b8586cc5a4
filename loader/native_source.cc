#include "loader/native_source.h"

#include <algorithm>
#include <cstdlib>

#include "storage/positional_reader.h"

namespace shardkit::loader {

namespace native = formats::native;

Result<OpenedNativeSource> OpenNativeSource(const std::string& path,
                                            const storage::IoOptions& io) {
  OpenedNativeSource s;
  SK_ASSIGN_OR_RETURN(s.file, storage::OpenPositionalReader(path, io));
  SK_ASSIGN_OR_RETURN(s.reader, native::NativeReader::Open(s.file.get()));
  return s;
}

Result<SourceScan> ScanNativeSource(const std::string& path, const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(OpenedNativeSource src, OpenNativeSource(path, io));
  const native::NativeReader& r = *src.reader;
  SourceScan scan;
  scan.summary.header = r.header().rdb;
  scan.summary.keys = r.key_count();
  scan.summary.crc = formats::rdb::CrcStatus::kAbsent;  // blocks carry XXH3 instead
  scan.bytes = r.file_bytes();
  scan.keys = r.key_count();
  for (const auto& [key, value] : r.header().aux) {
    scan.aux[key] = value;
    if (key == "redis-ver") scan.summary.producer = "redis " + value;
    if (key == "valkey-ver") scan.summary.producer = "valkey " + value;
    if (key == "repl-id") scan.repl_id = value;
    if (key == "repl-offset") {
      scan.repl_offset = std::strtoull(value.c_str(), nullptr, 10);
      scan.has_repl_offset = true;
    }
    if (key == "ctime") scan.ctime_s = std::strtoll(value.c_str(), nullptr, 10);
  }
  // Keys outside db 0 from the index (a key block holds one db). The
  // slot-stats table covers every db; a cluster's sources hold only db 0.
  // What discover reads of a native file: everything but its key blocks
  // (header, index, slot stats, meta, trailer).
  scan.bytes_read = scan.bytes;
  for (const native::BlockInfo& b : r.blocks()) {
    if (b.kind == native::BlockKind::kKeys && b.db != 0) scan.keys_other_dbs += b.key_count;
    if (b.kind == native::BlockKind::kKeys) {
      scan.bytes_read -= std::min<uint64_t>(scan.bytes_read, b.end() - b.offset);
    }
  }
  native::SlotStats db0;
  auto stats = r.ReadSlotStats();
  if (stats.ok()) {
    db0 = std::move(*stats);
  } else {
    db0 = r.EstimateSlotStatsFromIndex();
  }
  for (int slot = 0; slot < kSlotCount; ++slot) {
    scan.stats.bytes[slot] = db0.bytes[slot];
    scan.stats.keys[slot] = db0.keys[slot];
    if (db0.keys[slot] > 0) scan.present_slots.Add(static_cast<uint16_t>(slot));
  }
  SK_ASSIGN_OR_RETURN(auto meta, r.ReadMeta());
  for (native::MetaRecord& m : meta) {
    if (m.kind == native::MetaKind::kFunction) scan.functions.push_back(std::move(m.a));
  }
  return scan;
}

Result<std::vector<std::string>> NativeFunctions(const std::string& path,
                                                 const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(OpenedNativeSource src, OpenNativeSource(path, io));
  SK_ASSIGN_OR_RETURN(auto meta, src.reader->ReadMeta());
  std::vector<std::string> out;
  for (native::MetaRecord& m : meta) {
    if (m.kind == native::MetaKind::kFunction) out.push_back(std::move(m.a));
  }
  return out;
}

}  // namespace shardkit::loader
