#include "loader/aof_source.h"

#include <strings.h>

#include <algorithm>

#include "formats/aof/aof_manifest.h"
#include "formats/encodings/hash_slot.h"
#include "loader/enterprise_layout.h"
#include "storage/file_reader.h"
#include "storage/small_file.h"

namespace shardkit::loader {

namespace aof = formats::aof;

namespace {

Result<SourceFile> StatInside(const std::string& dir, const std::string& name) {
  SK_ASSIGN_OR_RETURN(std::optional<std::string> path, ResolveInside(dir, name));
  if (!path) return Status::NotFound(dir + "/" + name + " is listed but missing");
  SK_ASSIGN_OR_RETURN(storage::FileStat st, storage::StatFile(*path));
  return SourceFile{*path, st.bytes, st.mtime_ms};
}

// The first bytes decide, as in Redis's loader ("REDIS"/"VALKEY" = RDB part).
bool StartsWithRdb(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[9] = {};
  size_t n = std::fread(buf, 1, sizeof(buf), f);
  std::fclose(f);
  return aof::LooksLikeRdb(std::string_view(buf, n));
}

// Feeds the RDB part of an AOF file to ScanRdbStream and keeps its result.
class ScanRdbPart final : public aof::RdbPartReader {
 public:
  ScanRdbPart(SourceScan* scan, int64_t now_ms, formats::rdb::Producer layout)
      : scan_(scan), now_ms_(now_ms), layout_(layout) {}
  Result<uint64_t> ReadRdbPart(ByteReader* in) override {
    SK_ASSIGN_OR_RETURN(SourceScan part, ScanRdbStream(in, now_ms_, layout_));
    const uint64_t keys = part.keys;
    part.commands = scan_->commands;
    *scan_ = std::move(part);
    return keys;
  }

 private:
  SourceScan* scan_;
  int64_t now_ms_;
  formats::rdb::Producer layout_;
};

class ScanCommands final : public aof::AofVisitor {
 public:
  // first_file: the index (in the source's files) of the first file read.
  explicit ScanCommands(SourceScan* scan, int first_file = 0)
      : scan_(scan), file_index_(first_file - 1) {}
  Status OnFileStart(const std::string&) override {
    ++file_index_;
    return Status();
  }
  Status OnCommand(const aof::AofCommand& c) override {
    ++scan_->commands;
    if (IsFlushCommand(c)) {
      // Everything this source held before is gone: only what follows counts.
      scan_->flush_file = file_index_;
      scan_->flush_end_offset = c.end_offset;
      scan_->stats = SlotStats();
      scan_->present_slots = SlotSet();
      return Status();
    }
    if (c.keys == nullptr || c.keys->routing != aof::Routing::kKeyed) return Status();
    if (c.db != 0) {
      ++scan_->keys_other_dbs;
      return Status();
    }
    uint64_t bytes = 0;
    for (const std::string& a : c.args) bytes += a.size() + 16;
    if (!c.keys->cross_slot) {
      const auto slot = static_cast<uint16_t>(c.keys->slot);
      scan_->stats.bytes[slot] += bytes;
      scan_->present_slots.Add(slot);
      return Status();
    }
    // Keys in several slots (a standalone source's MSET, DEL...): every slot
    // is present, or recover would find keys where the plan saw none; the
    // bytes are shared among them.
    const uint64_t share = std::max<uint64_t>(1, bytes / c.keys->positions.size());
    for (uint32_t p : c.keys->positions) {
      const uint16_t slot = formats::KeyHashSlot(c.args[p]);
      scan_->stats.bytes[slot] += share;
      scan_->present_slots.Add(slot);
    }
    return Status();
  }

 private:
  SourceScan* scan_;
  int file_index_;
};

}  // namespace

bool IsFlushCommand(const aof::AofCommand& c) {
  if (c.args.empty()) return false;
  const std::string& name = c.args[0];
  return strcasecmp(name.c_str(), "flushall") == 0 ||
         (strcasecmp(name.c_str(), "flushdb") == 0 && c.db == 0);
}

Status DescribeAofCandidate(const VolumeReport& volume, SourceCandidate* c) {
  if (c->kind == SourceKind::kAofLegacy) {
    SK_ASSIGN_OR_RETURN(storage::FileStat st, storage::StatFile(c->path));
    c->files = {SourceFile{c->path, st.bytes, st.mtime_ms}};
    if (StartsWithRdb(c->path)) c->rdb_path = c->path;
    c->has_log_commands = st.bytes > 0;
    c->newest_mtime_ms = st.mtime_ms;
    return Status();
  }
  SK_ASSIGN_OR_RETURN(std::string text, storage::ReadSmallFile(c->path, 1 << 20));
  SK_ASSIGN_OR_RETURN(aof::AofManifest manifest, aof::ParseAofManifest(text, c->path));
  const std::string dir = *volume.files.aof_dir;
  bool base_is_rdb = false;
  for (const aof::AofFileInfo* info : manifest.LoadOrder()) {
    SK_RETURN_IF_ERROR(aof::ValidateAofFileName(info->name));
    SK_ASSIGN_OR_RETURN(SourceFile f, StatInside(dir, info->name));
    c->newest_mtime_ms = std::max(c->newest_mtime_ms, f.mtime_ms);
    if (info->type == aof::AofFileType::kBase) {
      base_is_rdb = StartsWithRdb(f.path);
      if (base_is_rdb) c->rdb_path = f.path;
      if (!base_is_rdb && f.bytes > 0) c->has_log_commands = true;
    } else if (f.bytes > 0) {
      c->has_log_commands = true;
    }
    c->files.push_back(std::move(f));
  }
  if (c->files.empty()) return Status::Corruption(c->path + ": manifest lists no files to load");
  return Status();
}

Result<std::vector<aof::AofFileSummary>> ReadAofFiles(const std::vector<SourceFile>& files,
                                                      const storage::IoOptions& io,
                                                      aof::RdbPartReader* rdb_part,
                                                      aof::AofVisitor* visitor,
                                                      bool extract_keys) {
  aof::AofReadOptions options;
  options.extract_keys = extract_keys;
  options.allow_truncated_tail = true;
  options.rdb_part_reader = rdb_part;
  aof::AofReader reader(options, visitor);
  for (size_t i = 0; i < files.size(); ++i) {
    SK_ASSIGN_OR_RETURN(auto source, storage::OpenSequentialReader(files[i].path, io));
    SK_RETURN_IF_ERROR(reader.ReadFile(source.get(), files[i].path, i + 1 == files.size()));
  }
  return reader.files();
}

Result<SourceScan> ScanAofSource(const SourceCandidate& c, int64_t now_ms,
                                 const storage::IoOptions& io) {
  SourceScan scan;
  ScanRdbPart part(&scan, now_ms, LayoutProducerOf(c.path));
  ScanCommands commands(&scan);
  SK_ASSIGN_OR_RETURN(auto summaries, ReadAofFiles(c.files, io, &part, &commands, true));
  scan.bytes = 0;
  for (const SourceFile& f : c.files) scan.bytes += f.bytes;
  scan.truncated_tail = !summaries.empty() && summaries.back().truncated;
  if (scan.flush_file >= 0) scan.keys = 0;  // the RDB part's keys were flushed
  scan.bytes_read = scan.bytes;
  return scan;
}

Result<SourceScan> ScanAofSourceEstimated(const SourceCandidate& c, int64_t now_ms,
                                          const storage::IoOptions& io) {
  // A legacy AOF's commands follow its RDB preamble in the same file, and a
  // RESP base is commands: only a multi-part source's RDB base can be skipped.
  if (c.kind != SourceKind::kAofMultipart || c.rdb_path.empty() || c.files.empty() ||
      c.files[0].path != c.rdb_path) {
    return ScanAofSource(c, now_ms, io);
  }
  SK_ASSIGN_OR_RETURN(SourceScan scan, ScanRdbHeader(c.rdb_path, io));
  const uint64_t base_read = scan.bytes_read;
  ScanRdbPart part(&scan, now_ms, LayoutProducerOf(c.path));
  ScanCommands commands(&scan, 1);
  const std::vector<SourceFile> logs(c.files.begin() + 1, c.files.end());
  scan.bytes = c.files[0].bytes;
  scan.bytes_read = base_read;
  if (!logs.empty()) {
    SK_ASSIGN_OR_RETURN(auto summaries, ReadAofFiles(logs, io, &part, &commands, true));
    scan.truncated_tail = !summaries.empty() && summaries.back().truncated;
    for (const SourceFile& f : logs) {
      scan.bytes += f.bytes;
      scan.bytes_read += f.bytes;
    }
  }
  if (scan.flush_file >= 0) {  // the base's keys were flushed: none of it is planned
    scan.keys = 0;
    scan.rdb_part_bytes = 0;
  }
  return scan;
}

}  // namespace shardkit::loader
