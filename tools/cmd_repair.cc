// shardkit repair PATH (--out DEST | --in-place) [--truncate-to-timestamp TS] [--json]
//
// AOF repair. PATH is a legacy AOF file (RESP, or RDB preamble + RESP), a
// multi-part manifest, or a directory holding one (or holding appendonlydir/).
// Steps:
//  1. verify the log (formats/aof/aof_verify.h) without judging command names
//     (a module command Redis knows must not be cut away);
//  2. choose the cut: the last sound point of the damaged file (end of the
//     last complete command outside a transaction); with
//     --truncate-to-timestamp T also the first #TS: annotation > T of the
//     last file, whichever comes first; then re-read the kept prefix so a cut
//     inside MULTI moves back to before the MULTI;
//  3. only the last file of the load order may be cut; damage in an earlier
//     file, in an RDB part, or in the manifest is reported and nothing is
//     written;
//  4. write: --out DEST gets the cut file (a file, or a directory for a
//     multi-part log: the other files copied, the cut one written, the
//     manifest last, each atomically); --in-place first keeps the original
//     as "<name>.orig-<unix seconds>" (a hard link, so the original inode is
//     never touched; ".1", ".2", ... appended when that name is taken by
//     another file, an existing link to the original reused) and then
//     atomically replaces the file.
//
// RDB salvage (an RDB file, i.e. "REDIS" magic and a name not ending in
// .aof): formats/rdb/rdb_salvage.h writes a new RDB (source version, fresh
// CRC64) with every key record that deep-verifies, skipping each damaged
// region and resynchronising after it; the dropped byte ranges and the key
// counts are reported. A sound source (nothing dropped, CRC64 matches) is
// copied byte for byte to --out and left alone with --in-place. Output and
// backup are published as for AOF.
//
// An empty file not named *.aof is neither (verify says so too): exit 1,
// status "empty", nothing written. An empty *.aof is a sound, empty AOF.
//
// Exit codes: 0 sound (nothing cut; --out still gets a copy), 1 repaired
// (data dropped, output written) or empty (nothing written), 2
// usage/I/O/missing file, 3 not repairable
// here (nothing written: damage before the last AOF file, an unreadable RDB
// header, a Valkey RDB), 4 no space.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "formats/aof/aof_manifest.h"
#include "formats/aof/aof_reader.h"
#include "formats/aof/aof_verify.h"
#include "formats/rdb/rdb_salvage.h"
#include "loader/enterprise_layout.h"
#include "storage/atomic_file.h"
#include "storage/file_system.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/input_files.h"

namespace shardkit::tools {
namespace {

namespace aof = formats::aof;
namespace rdb = formats::rdb;
namespace fs = std::filesystem;

struct RepairArgs {
  std::string path;
  std::string out;
  bool in_place = false;
  std::optional<int64_t> truncate_to_timestamp;
  bool json = false;
};

struct RepairOutcome {
  std::string status = "sound";  // sound | repaired | unrepairable | error
  std::string format;            // aof | aof-multi-part | rdb
  std::string file;              // path of the file cut (or checked)
  std::string reason;
  uint64_t original_bytes = 0;
  uint64_t kept_bytes = 0;
  uint64_t commands_kept = 0;
  uint64_t commands_dropped = 0;
  std::vector<std::string> written;
  std::string backup;
  Status error;
  std::optional<rdb::RdbSalvageReport> salvage;  // RDB input
};

// Serves at most `limit` bytes of another source.
class PrefixSource final : public ChunkSource {
 public:
  PrefixSource(std::unique_ptr<ChunkSource> inner, uint64_t limit)
      : inner_(std::move(inner)), limit_(limit), left_(limit) {}
  Result<ByteSpan> Next() override {
    if (left_ == 0) return ByteSpan();
    SK_ASSIGN_OR_RETURN(ByteSpan span, inner_->Next());
    if (span.size() > left_) span = span.first(static_cast<size_t>(left_));
    left_ -= span.size();
    return span;
  }
  const std::string& name() const override { return inner_->name(); }
  std::optional<uint64_t> size() const override {
    auto s = inner_->size();
    if (!s.has_value()) return s;
    return std::min<uint64_t>(*s, limit_);
  }

 private:
  std::unique_ptr<ChunkSource> inner_;
  uint64_t limit_;
  uint64_t left_;
};

// Finds the first #TS: annotation whose time exceeds the limit.
class TimestampFinder final : public aof::AofVisitor {
 public:
  explicit TimestampFinder(int64_t limit) : limit_(limit) {}
  Status OnCommand(const aof::AofCommand&) override { return Status(); }
  Status OnAnnotation(const std::string&, uint64_t offset, int64_t ts) override {
    if (ts > limit_ && !found.has_value()) found = offset;
    return Status();
  }
  std::optional<uint64_t> found;

 private:
  int64_t limit_;
};

class NullVisitor final : public aof::AofVisitor {
 public:
  Status OnCommand(const aof::AofCommand&) override { return Status(); }
};

aof::AofReadOptions LenientRead() {
  aof::AofReadOptions options;
  options.allow_truncated_tail = true;
  return options;
}

// Copies the first `limit` bytes of src to dst atomically.
Status CopyPrefix(const std::string& src, const std::string& dst, uint64_t limit,
                  const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(auto source, OpenInput(src, io));
  PrefixSource prefix(std::move(source), limit);
  SK_ASSIGN_OR_RETURN(auto writer, storage::AtomicFileWriter::Create(dst, io));
  // Ends at the prefix's end: the source never hands out more than `limit`.
  for (;;) {
    SK_ASSIGN_OR_RETURN(ByteSpan span, prefix.Next());
    if (span.empty()) break;
    SK_RETURN_IF_ERROR(writer->Append(span));
  }
  return writer->Publish();
}

// Applies --truncate-to-timestamp to the last file, then re-reads the kept
// prefix so that the cut lands at a sound point (never inside MULTI).
Status RefineCut(const std::string& path, const RepairArgs& args, const storage::IoOptions& io,
                 uint64_t* cut, uint64_t* commands_kept) {
  if (args.truncate_to_timestamp.has_value()) {
    SK_ASSIGN_OR_RETURN(auto source, OpenInput(path, io));
    PrefixSource prefix(std::move(source), *cut);
    TimestampFinder finder(*args.truncate_to_timestamp);
    aof::AofReader reader(LenientRead(), &finder);
    SK_RETURN_IF_ERROR(reader.ReadFile(&prefix, path, true));
    if (finder.found.has_value()) *cut = std::min(*cut, *finder.found);
  }
  SK_ASSIGN_OR_RETURN(auto source, OpenInput(path, io));
  PrefixSource prefix(std::move(source), *cut);
  NullVisitor ignore;
  aof::AofReader reader(LenientRead(), &ignore);
  SK_RETURN_IF_ERROR(reader.ReadFile(&prefix, path, true));
  *cut = reader.last_file()->safe_end;
  *commands_kept = reader.last_file()->commands_before_safe_end;
  return Status();
}

// Backup names tried before giving up: "<name>.orig-<unix seconds>", then
// the same with ".1" ... ".<kMaxBackupSuffix>" appended.
constexpr int kMaxBackupSuffix = 99;

std::string BackupName(const std::string& path, int64_t seconds, int suffix) {
  std::string name = path + ".orig-" + std::to_string(seconds);
  if (suffix > 0) name += "." + std::to_string(suffix);
  return name;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Keeps the original beside itself (hard link; a copy where links fail). An
// existing name is never replaced: when it already is a link to the original
// (a run killed after making its backup, rerun within the same second) it is
// the backup; otherwise the next suffix is tried. The copy fallback checks
// that its name is free first (two repairs of one file at once are not
// supported).
Status KeepOriginal(const std::string& path, const storage::IoOptions& io, std::string* backup) {
  struct stat original;
  if (::stat(path.c_str(), &original) != 0) return Status::FromErrno(errno, "stat", path);
  const int64_t seconds = NowMs() / 1000;
  for (int suffix = 0; suffix <= kMaxBackupSuffix; ++suffix) {
    *backup = BackupName(path, seconds, suffix);
    if (::link(path.c_str(), backup->c_str()) == 0) {
      return storage::PosixFileSystem()->SyncDir(storage::DirName(path));
    }
    const int err = errno;
    struct stat existing;
    if (err == EEXIST) {
      if (::lstat(backup->c_str(), &existing) != 0) return Status::FromErrno(errno, "stat", *backup);
      if (SameFile(existing, original)) {
        return storage::PosixFileSystem()->SyncDir(storage::DirName(path));
      }
      continue;
    }
    if (err != EPERM && err != EXDEV && err != ENOTSUP) return Status::FromErrno(err, "link", path);
    if (::lstat(backup->c_str(), &existing) == 0) continue;
    if (errno != ENOENT) return Status::FromErrno(errno, "stat", *backup);
    return CopyPrefix(path, *backup, static_cast<uint64_t>(original.st_size), io);
  }
  return Status::InvalidArgument(path + ": backup names " + BackupName(path, seconds, 0) +
                                 " .. ." + std::to_string(kMaxBackupSuffix) +
                                 " are all taken by other files; move some away");
}

// Chooses the cut for the verified log; false when nothing may be written.
bool PlanCut(const aof::AofVerifyReport& report, const std::string& last_file_path,
             const RepairArgs& args, const storage::IoOptions& io, RepairOutcome* out,
             uint64_t* cut) {
  const aof::AofFileSummary& last = report.files.back();
  out->original_bytes = last.bytes;
  *cut = last.bytes;
  if (report.cut.has_value()) {
    out->reason = report.cut->reason + ": " + std::string(report.error.message());
    if (!report.cut->allowed) {
      out->status = "unrepairable";
      out->error =
          Status::NotSupported(report.cut->file +
                               " is damaged but is not the last file of the load order (or the "
                               "damage is in its RDB part); only the last file may be cut: " +
                               std::string(report.error.message()));
      return false;
    }
    *cut = report.cut->offset;
  }
  if (args.truncate_to_timestamp.has_value() && out->reason.empty()) {
    out->reason = "truncate-to-timestamp " + std::to_string(*args.truncate_to_timestamp);
  }
  uint64_t kept_commands = last.commands;
  out->error = RefineCut(last_file_path, args, io, cut, &kept_commands);
  if (!out->error.ok()) {
    out->status = "error";
    return false;
  }
  out->kept_bytes = *cut;
  out->commands_kept = kept_commands;
  out->commands_dropped = last.commands >= kept_commands ? last.commands - kept_commands : 0;
  out->status = *cut < last.bytes ? "repaired" : "sound";
  return true;
}

void RepairSingle(const RepairArgs& args, const storage::IoOptions& io, RepairOutcome* out) {
  out->format = "aof";
  out->file = args.path;
  auto source = OpenInput(args.path, io);
  if (!source.ok()) {
    out->status = "error";
    out->error = source.status();
    return;
  }
  aof::AofVerifyOptions options;
  options.check_commands = false;
  options.rdb_layout = loader::LayoutProducerOf(args.path);
  aof::AofVerifyReport report = aof::VerifyAofFile(source->get(), args.path, options);
  if (report.files.empty() || (!report.ok && !report.cut.has_value())) {
    out->status = "error";
    out->error = report.error;
    return;
  }
  uint64_t cut = 0;
  if (!PlanCut(report, args.path, args, io, out, &cut)) return;
  if (args.in_place) {
    if (out->status == "sound") return;
    out->error = KeepOriginal(args.path, io, &out->backup);
    if (out->error.ok()) out->error = CopyPrefix(args.path, args.path, cut, io);
    if (out->error.ok()) out->written.push_back(args.path);
    return;
  }
  std::string dest = args.out;
  std::error_code ec;
  if (fs::is_directory(dest, ec)) dest += "/" + storage::BaseName(args.path);
  out->error = CopyPrefix(args.path, dest, cut, io);
  if (out->error.ok()) out->written.push_back(dest);
}

// RDB salvage: the salvaged copy is written to a temporary beside the
// destination and published only when something was dropped; a sound source
// is copied byte for byte instead (--out) or left alone (--in-place).
void RepairRdb(const RepairArgs& args, const storage::IoOptions& io, RepairOutcome* out) {
  out->format = "rdb";
  out->file = args.path;
  out->status = "error";
  std::string dest = args.in_place ? args.path : args.out;
  std::error_code ec;
  if (!args.in_place && fs::is_directory(dest, ec)) dest += "/" + storage::BaseName(args.path);
  auto source = OpenInput(args.path, io);
  if (!source.ok()) {
    out->error = source.status();
    return;
  }
  auto writer = storage::AtomicFileWriter::Create(dest, io);
  if (!writer.ok()) {
    out->error = writer.status();
    return;
  }
  rdb::RdbSalvageOptions salvage_options;
  salvage_options.layout = loader::LayoutProducerOf(args.path);
  auto report = rdb::SalvageRdb(source->get(), writer->get(), salvage_options);
  if (!report.ok()) {
    if (report.status().IsNotSupported()) out->status = "unrepairable";
    out->error = report.status();
    return;
  }
  out->salvage = *report;
  out->original_bytes = report->source_bytes;
  out->kept_bytes = report->source_bytes - report->dropped_bytes();
  if (!report->dropped.empty()) {
    out->reason = report->dropped.front().reason;
  } else if (!report->sound()) {
    out->reason = "source CRC64 " + std::string(rdb::CrcStatusName(report->source_crc)) +
                  "; every record deep-verifies; rewritten with a fresh CRC64";
  }
  out->status = report->sound() ? "sound" : "repaired";
  // A sound Redis Enterprise file's --out copy is the rewrite: outputs never
  // hold its opcodes 107/121 (SPEC.md "Enterprise volumes"). In place, the
  // sound source is left as it is.
  if (report->sound() && report->enterprise_records_dropped > 0 && !args.in_place) {
    out->reason = std::to_string(report->enterprise_records_dropped) +
                  " Redis Enterprise RAM_LRU/SLOT_NUM records not carried into the copy";
    out->error = (*writer)->Publish();
    if (out->error.ok()) out->written.push_back(dest);
    return;
  }
  if (report->sound()) {
    writer->reset();  // removes the temporary
    if (!args.in_place) out->error = CopyPrefix(args.path, dest, report->source_bytes, io);
    if (!args.in_place && out->error.ok()) out->written.push_back(dest);
    return;
  }
  if (args.in_place) out->error = KeepOriginal(args.path, io, &out->backup);
  if (out->error.ok()) out->error = (*writer)->Publish();
  if (out->error.ok()) out->written.push_back(dest);
}

// The manifest of a directory: the single *.manifest in it (or in its
// appendonlydir/).
Result<std::string> FindManifest(const std::string& dir) {
  std::error_code ec;
  std::string base = dir;
  if (fs::is_directory(dir + "/appendonlydir", ec)) base = dir + "/appendonlydir";
  std::vector<std::string> found;
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".manifest") found.push_back(it->path().string());
  }
  if (ec) return Status::FromErrno(ec.value(), "list", base);
  if (found.size() != 1) {
    return Status::InvalidArgument(base + ": expected exactly one *.manifest, found " +
                                   std::to_string(found.size()));
  }
  return found[0];
}

void RepairMultiPart(const std::string& manifest_path, const RepairArgs& args,
                     const storage::IoOptions& io, RepairOutcome* out) {
  out->format = "aof-multi-part";
  const std::string dir = storage::DirName(manifest_path);
  auto text = ReadSmallFile(manifest_path, 1 << 20);
  if (!text.ok()) {
    out->status = "error";
    out->error = text.status();
    return;
  }
  aof::AofFileOpener open = [&](const std::string& name) {
    return OpenInput(dir + "/" + name, io);
  };
  aof::AofVerifyOptions options;
  options.check_commands = false;
  options.rdb_layout = loader::LayoutProducerOf(manifest_path);
  aof::AofVerifyReport report = aof::VerifyMultiPartAof(*text, manifest_path, open, options);
  if (!report.ok && !report.cut.has_value()) {
    out->error = report.error;
    out->status = report.error.IsCorruption() ? "unrepairable" : "error";
    if (report.error.IsCorruption())
      out->error = Status::NotSupported(std::string(report.error.message()));
    return;
  }
  const auto order = report.manifest.LoadOrder();
  const std::string last_path = dir + "/" + order.back()->name;
  out->file = last_path;
  uint64_t cut = 0;
  if (!PlanCut(report, last_path, args, io, out, &cut)) return;
  if (args.in_place) {
    if (out->status == "sound") return;
    out->error = KeepOriginal(last_path, io, &out->backup);
    if (out->error.ok()) out->error = CopyPrefix(last_path, last_path, cut, io);
    if (out->error.ok()) out->written.push_back(last_path);
    return;
  }
  std::error_code ec;
  fs::create_directories(args.out, ec);
  if (ec) {
    out->error = Status::FromErrno(ec.value(), "mkdir", args.out);
    return;
  }
  // Files first, the manifest last (history files are not carried: never loaded).
  for (size_t i = 0; i < order.size() && out->error.ok(); ++i) {
    const std::string src = dir + "/" + order[i]->name;
    const std::string dst = args.out + "/" + order[i]->name;
    const uint64_t limit = i + 1 == order.size() ? cut : report.files[i].bytes;
    out->error = CopyPrefix(src, dst, limit, io);
    if (out->error.ok()) out->written.push_back(dst);
  }
  if (!out->error.ok()) return;
  aof::AofManifest manifest = report.manifest;
  manifest.history.clear();
  const std::string dst_manifest = args.out + "/" + storage::BaseName(manifest_path);
  out->error = WriteFileAtomically(dst_manifest, aof::FormatAofManifest(manifest), io);
  if (out->error.ok()) out->written.push_back(dst_manifest);
}

// DetectInputFormat calls anything starting with '#' a manifest, but an AOF
// written with aof-timestamp-enabled starts with "#TS:". As redis-check-aof
// does, a manifest is a file whose first non-comment line starts with "file".
bool IsManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (int i = 0; i < 1024 && std::getline(in, line); ++i) {
    if (!line.empty() && line[0] == '#') continue;
    return line.rfind("file", 0) == 0;
  }
  return false;
}

int ExitFor(const RepairOutcome& out) {
  if (out.status == "empty") return kExitDataCorrupt;  // as verify answers
  if (!out.error.ok()) {
    if (out.status == "unrepairable") return kExitNotSupported;
    int code = ExitCodeFor(out.error);
    return code == kExitDataCorrupt ? kExitNotSupported : code;
  }
  return out.status == "repaired" ? kExitDataCorrupt : kExitOk;
}

// Keys the source held but the output lacks, when RESIZEDB told how many.
std::optional<uint64_t> KeysDropped(const rdb::RdbSalvageReport& r) {
  if (!r.keys_expected.has_value() || *r.keys_expected < r.keys_kept) return std::nullopt;
  return *r.keys_expected - r.keys_kept;
}

void AddSalvageJson(const RepairOutcome& out, nlohmann::json* j) {
  if (!out.salvage.has_value()) return;
  const rdb::RdbSalvageReport& r = *out.salvage;
  (*j)["rdb_version"] = r.header.version;
  (*j)["source_crc"] = rdb::CrcStatusName(r.source_crc);
  (*j)["reached_eof"] = r.reached_eof;
  (*j)["keys_kept"] = r.keys_kept;
  const auto dropped = KeysDropped(r);
  (*j)["keys_dropped"] = dropped.has_value() ? nlohmann::json(*dropped) : nlohmann::json();
  (*j)["keys_expected"] =
      r.keys_expected.has_value() ? nlohmann::json(*r.keys_expected) : nlohmann::json();
  (*j)["keys_dropped_parsed"] = r.keys_dropped_parsed;
  (*j)["aux_kept"] = r.aux_kept;
  (*j)["functions_kept"] = r.functions_kept;
  (*j)["output_bytes"] = r.output_bytes;
  (*j)["resync_candidates_tried"] = r.resync_candidates_tried;
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& d : r.dropped) {
    ranges.push_back(
        {{"begin", d.begin}, {"end", d.end}, {"bytes", d.end - d.begin}, {"reason", d.reason}});
  }
  (*j)["dropped_ranges"] = ranges;
  (*j)["warnings"] = r.warnings;
}

void PrintSalvage(const RepairOutcome& out) {
  const rdb::RdbSalvageReport& r = *out.salvage;
  const auto dropped = KeysDropped(r);
  const std::string dropped_text =
      dropped.has_value() ? std::to_string(*dropped) + " of " + std::to_string(*r.keys_expected)
                          : "an unknown number (no RESIZEDB)";
  std::fprintf(stderr, "%s %s: RDB v%d, kept %llu keys, dropped %s keys, %llu bytes in %zu range(s)\n",
               out.status.c_str(), out.file.c_str(), r.header.version,
               static_cast<unsigned long long>(r.keys_kept), dropped_text.c_str(),
               static_cast<unsigned long long>(r.dropped_bytes()), r.dropped.size());
  for (const auto& d : r.dropped) {
    std::fprintf(stderr, "  dropped bytes %llu..%llu (%llu bytes): %s\n",
                 static_cast<unsigned long long>(d.begin), static_cast<unsigned long long>(d.end),
                 static_cast<unsigned long long>(d.end - d.begin), d.reason.c_str());
  }
  if (r.dropped.empty() && !out.reason.empty()) std::fprintf(stderr, "  %s\n", out.reason.c_str());
  for (const auto& w : r.warnings) std::fprintf(stderr, "  warning: %s\n", w.c_str());
  for (const auto& w : out.written) std::fprintf(stderr, "  wrote %s\n", w.c_str());
  if (!out.backup.empty()) std::fprintf(stderr, "  original kept as %s\n", out.backup.c_str());
}

void Print(const RepairArgs& args, const RepairOutcome& out) {
  if (args.json) {
    nlohmann::json j;
    j["path"] = args.path;
    j["format"] = out.format;
    const bool kept_status = out.status == "unrepairable" || out.status == "empty";
    j["status"] = out.error.ok() || kept_status ? out.status : "error";
    j["file"] = out.file;
    j["reason"] = out.reason;
    j["original_bytes"] = out.original_bytes;
    j["kept_bytes"] = out.kept_bytes;
    j["dropped_bytes"] = out.original_bytes - out.kept_bytes;
    if (out.format == "rdb") {
      AddSalvageJson(out, &j);
    } else {
      j["cut_offset"] = out.kept_bytes;
      j["commands_kept"] = out.commands_kept;
      j["commands_dropped"] = out.commands_dropped;
    }
    j["written"] = out.written;
    j["backup"] = out.backup;
    j["error"] = out.error.ok() ? "" : out.error.ToString();
    j["exit_code"] = ExitFor(out);
    // Keys in reasons are binary: invalid UTF-8 is replaced, never thrown on.
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }
  if (!out.error.ok()) {
    std::fprintf(stderr, "shardkit repair: %s %s: %s\n", out.status.c_str(), args.path.c_str(),
                 out.error.ToString().c_str());
    return;
  }
  if (out.salvage.has_value()) {
    PrintSalvage(out);
    return;
  }
  if (out.status == "sound") {
    std::fprintf(stderr, "sound %s: nothing to cut (%llu bytes)%s\n", out.file.c_str(),
                 static_cast<unsigned long long>(out.original_bytes),
                 out.written.empty() ? "" : "; copied");
    return;
  }
  std::fprintf(stderr,
               "repaired %s: cut at offset %llu, dropped %llu bytes and %llu commands, kept %llu "
               "commands (%s)\n",
               out.file.c_str(), static_cast<unsigned long long>(out.kept_bytes),
               static_cast<unsigned long long>(out.original_bytes - out.kept_bytes),
               static_cast<unsigned long long>(out.commands_dropped),
               static_cast<unsigned long long>(out.commands_kept), out.reason.c_str());
  for (const auto& w : out.written) std::fprintf(stderr, "  wrote %s\n", w.c_str());
  if (!out.backup.empty()) std::fprintf(stderr, "  original kept as %s\n", out.backup.c_str());
}

int Run(const RepairArgs& args, const CommandEnv& env) {
  if (args.in_place == !args.out.empty()) {
    std::fprintf(stderr, "shardkit repair: give exactly one of --out DEST or --in-place\n");
    return kExitUsageOrIo;
  }
  std::error_code same_ec;
  if (!args.out.empty() && fs::equivalent(args.path, args.out, same_ec)) {
    std::fprintf(stderr, "shardkit repair: --out must differ from PATH (use --in-place)\n");
    return kExitUsageOrIo;
  }
  const storage::IoOptions io = IoOptionsFor(env);
  RepairOutcome out;
  auto format = DetectInputFormat(args.path);
  if (!format.ok()) {
    out.status = "error";
    out.error = format.status();
  } else {
    const bool aof_name = args.path.size() > 4 && args.path.ends_with(".aof");
    switch (*format) {
      case InputFormat::kAof:
        RepairSingle(args, io, &out);
        break;
      case InputFormat::kEmpty:
        if (aof_name) {
          RepairSingle(args, io, &out);  // an empty AOF is valid (as verify says)
        } else {
          out.status = "empty";
          out.error = Status::Corruption(args.path +
                                         ": empty file (neither RDB nor AOF): nothing to salvage, "
                                         "nothing written");
        }
        break;
      case InputFormat::kRdb:
        if (aof_name) {
          RepairSingle(args, io, &out);  // RDB preamble + RESP tail
        } else {
          RepairRdb(args, io, &out);
        }
        break;
      case InputFormat::kAofManifest:
        if (IsManifest(args.path)) {
          RepairMultiPart(args.path, args, io, &out);
        } else {
          RepairSingle(args, io, &out);
        }
        break;
      case InputFormat::kDirectory: {
        auto manifest = FindManifest(args.path);
        if (manifest.ok()) {
          RepairMultiPart(*manifest, args, io, &out);
        } else {
          out.status = "error";
          out.error = manifest.status();
        }
        break;
      }
      case InputFormat::kUnknown:
        out.status = "unrepairable";
        out.error = Status::NotSupported(args.path + ": not an AOF or RDB file (unknown magic)");
        break;
    }
  }
  Print(args, out);
  return ExitFor(out);
}

void AddRepair(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<RepairArgs>();
  CLI::App* cmd = app.add_subcommand(
      "repair",
      "Cut a damaged AOF back to its last complete command/transaction, or salvage every sound "
      "key of a damaged RDB (the original is never modified). Exit: 0 sound, 1 repaired (data "
      "dropped) or empty file (nothing written), 2 usage/I/O, 3 not repairable");
  cmd->add_option("path", args->path, "RDB file, AOF file, multi-part manifest, or directory")->required();
  cmd->add_option("--out", args->out, "Write the repaired copy here (file, or directory)");
  cmd->add_flag("--in-place", args->in_place,
                "Keep the original as <name>.orig-<unix time>[.N] (never replacing a file), then "
                "replace it atomically");
  cmd->add_option("--truncate-to-timestamp", args->truncate_to_timestamp,
                  "Also cut before the first #TS: annotation later than this unix time");
  cmd->add_flag("--json", args->json, "Print the outcome as one JSON object on stdout");
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(repair, AddRepair);

}  // namespace shardkit::tools
