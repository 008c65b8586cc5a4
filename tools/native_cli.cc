#include "tools/native_cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <map>

#include "formats/native/native_entry.h"
#include "formats/native/native_reader.h"
#include "formats/rdb/rdb_verify.h"
#include "loader/enterprise_layout.h"
#include "storage/atomic_file.h"
#include "storage/file_reader.h"
#include "storage/positional_reader.h"

namespace shardkit::tools {
namespace {

namespace native = formats::native;
namespace rdb = formats::rdb;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string FirstBytes(const std::string& path, size_t n, Status* status) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *status = Status::FromErrno(errno, "open", path);
    return "";
  }
  std::string out(n, '\0');
  ssize_t got = ::pread(fd, out.data(), n, 0);
  const int e = errno;
  ::close(fd);
  if (got < 0) {
    *status = Status::FromErrno(e, "read", path);
    return "";
  }
  out.resize(static_cast<size_t>(got));
  return out;
}

Result<ConvertTarget> ChooseTarget(const ConvertRequest& r, bool input_is_native) {
  ConvertTarget target;
  if (r.to.has_value()) {
    target = *r.to;
  } else if (EndsWith(r.output, native::kFileExtension)) {
    target = ConvertTarget::kNative;
  } else if (EndsWith(r.output, ".rdb")) {
    target = ConvertTarget::kRdb;
  } else {
    return Status::InvalidArgument("cannot tell the output format from \"" + r.output +
                                   "\": name it *.skn or *.rdb, or pass --to native|rdb");
  }
  if (input_is_native == (target == ConvertTarget::kNative)) {
    return Status::InvalidArgument(r.input + " is already " +
                                   (input_is_native ? "a native snapshot" : "an RDB file") +
                                   "; convert goes from RDB to native or back");
  }
  return target;
}

Result<ConvertResult> ToNative(const ConvertRequest& r, const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(auto source, storage::OpenSequentialReader(r.input, io));
  SK_ASSIGN_OR_RETURN(auto sink, storage::AtomicFileWriter::Create(r.output, io));
  native::NativeWriterOptions options;
  options.block_bytes = r.block_bytes;
  SK_ASSIGN_OR_RETURN(native::RdbToNativeResult done,
                      native::RdbToNative(source.get(), sink.get(), options,
                                          loader::LayoutProducerOf(r.input)));
  SK_RETURN_IF_ERROR(sink->Publish());
  ConvertResult out;
  out.target = ConvertTarget::kNative;
  out.keys = done.written.keys;
  out.input_bytes = source->size().value_or(done.source.end_offset);
  out.output_bytes = done.written.file_bytes;
  out.blocks = done.written.blocks;
  out.raw_bytes = done.written.raw_bytes;
  out.stored_bytes = done.written.stored_bytes;
  out.rdb_version = done.source.header.version;
  return out;
}

Result<ConvertResult> ToRdb(const ConvertRequest& r, const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenPositionalReader(r.input, io));
  SK_ASSIGN_OR_RETURN(auto reader, native::NativeReader::Open(file.get()));
  SK_ASSIGN_OR_RETURN(auto sink, storage::AtomicFileWriter::Create(r.output, io));
  native::NativeToRdbOptions options;
  options.rdb_version = r.rdb_version;
  options.slots = r.slots;
  SK_ASSIGN_OR_RETURN(native::NativeToRdbResult done,
                      native::NativeToRdb(*reader, sink.get(), options));
  SK_RETURN_IF_ERROR(sink->Publish());
  ConvertResult out;
  out.target = ConvertTarget::kRdb;
  out.keys = done.keys;
  out.input_bytes = file->size();
  out.output_bytes = done.rdb_bytes;
  out.blocks = done.blocks_read;
  out.stored_bytes = done.stored_bytes_read;
  out.rdb_version = done.rdb_version;
  out.losses = done.losses;
  return out;
}

// The verify error object, as for an RDB: code, message, file offset of the
// damaged block (or index record / trailer), the block number, the key a
// deep check was reading when the message quotes one, and the file.
nlohmann::json ErrorJson(const std::string& path, const native::NativeVerifyReport& rep) {
  if (rep.error.ok()) return nullptr;
  std::optional<uint64_t> reader_offset;  // inside a block's in-memory RDB: not a file offset
  std::string key;
  rdb::ParseErrorLocation(rep.error, &reader_offset, &key);
  nlohmann::json e;
  e["code"] = std::string(StatusCodeName(rep.error.code()));
  e["message"] = std::string(rep.error.message());
  e["offset"] = rep.error_offset.has_value() ? nlohmann::json(*rep.error_offset) : nullptr;
  e["block"] = rep.error_block.has_value() ? nlohmann::json(*rep.error_block) : nullptr;
  e["key"] = key.empty() ? nlohmann::json(nullptr) : nlohmann::json(key);
  e["file"] = path;
  return e;
}

nlohmann::json BlockJson(const native::BlockInfo& b) {
  return {{"number", b.number},
          {"kind", std::string(native::BlockKindName(b.kind))},
          {"db", b.db},
          {"first_slot", b.first_slot},
          {"last_slot", b.last_slot},
          {"offset", b.offset},
          {"keys", b.key_count},
          {"stored_bytes", b.stored_bytes},
          {"raw_bytes", b.raw_bytes},
          {"compression", b.compression == native::Compression::kLz4 ? "lz4" : "none"}};
}

}  // namespace

Result<bool> IsNativePath(const std::string& path) {
  Status status;
  const std::string head = FirstBytes(path, native::kFileMagic.size(), &status);
  if (!status.ok()) return status;
  return native::IsNativeFile(AsBytes(head));
}

NativeVerifyResult VerifyNativePath(const std::string& path, bool deep,
                                    const storage::IoOptions& io) {
  NativeVerifyResult result;
  result.path = path;
  const auto start = std::chrono::steady_clock::now();
  // A deeper queue keeps the disk busy while the verifying thread waits for
  // a CPU (measured on the shared 2-core VM: 32 x 1 MiB beat 8 x 1 MiB).
  storage::IoOptions deep_queue = io;
  deep_queue.queue_depth = std::max(io.queue_depth, 32);
  auto source = storage::OpenSequentialReader(path, deep_queue);
  if (!source.ok()) {
    result.report.error = source.status();
  } else {
    result.report = native::VerifyNative(source->get(), {.deep = deep});
  }
  result.seconds = SecondsSince(start);
  return result;
}

nlohmann::json NativeVerifyJson(const NativeVerifyResult& r, bool deep) {
  const native::NativeVerifyReport& rep = r.report;
  nlohmann::json j;
  j["path"] = r.path;
  j["ok"] = rep.ok;
  j["format"] = "native";
  j["deep"] = deep;
  // magic/version/producer describe the RDB the snapshot was made from.
  if (rep.header_read) {
    j["magic"] = rep.header.rdb.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
    j["version"] = rep.header.rdb.version;
    j["producer"] = rep.header.producer;
  } else {
    j["magic"] = nullptr;
    j["version"] = nullptr;
    j["producer"] = "";
  }
  j["keys"] = rep.keys;
  j["types"] = rep.keys_per_type;
  j["expires"] = rep.keys_with_expiry;
  j["empty_keys"] = nullptr;  // not counted for native snapshots
  j["modules"] = nlohmann::json::array();
  j["functions"] = rep.functions;
  j["crc"] = "n/a";  // blocks, index and trailer carry XXH3 checksums instead
  j["crc_stored"] = nullptr;
  j["crc_computed"] = nullptr;
  j["trailing_bytes"] = 0;  // bytes after the trailer are an error
  j["bytes"] = rep.bytes_read;
  j["seconds"] = r.seconds;
  j["warnings"] = rep.warnings;
  j["aof"] = nullptr;
  nlohmann::json damaged = nlohmann::json::array();
  for (const auto& d : rep.damaged) {
    nlohmann::json b = BlockJson(d.block);
    b["error"] = std::string(d.error.message());
    damaged.push_back(b);
  }
  j["native"] = {
      {"format_version",
       rep.header_read ? nlohmann::json(rep.header.format_version) : nlohmann::json(nullptr)},
      {"blocks", rep.blocks},
      {"key_blocks", rep.key_blocks},
      {"raw_bytes", rep.raw_bytes},
      {"stored_bytes", rep.stored_bytes},
      {"lz4_ratio", rep.stored_bytes == 0 ? 1.0 : double(rep.raw_bytes) / double(rep.stored_bytes)},
      {"slots_covered", rep.slots_covered},
      {"module_aux", rep.module_aux},
      {"damaged_blocks", damaged}};
  j["error"] = ErrorJson(r.path, rep);
  return j;
}

void PrintNativeVerifyText(const NativeVerifyResult& r) {
  const native::NativeVerifyReport& rep = r.report;
  if (rep.ok) {
    std::fprintf(stderr,
                 "OK %s (native v%u from %s, %" PRIu64 " keys, %" PRIu64 " blocks, %" PRIu64
                 " slots, checksums ok)\n",
                 r.path.c_str(), rep.header.format_version,
                 rdb::DescribeVersion(rep.header.rdb).c_str(), rep.keys, rep.blocks,
                 rep.slots_covered);
    for (const auto& w : rep.warnings) std::fprintf(stderr, "  warning: %s\n", w.c_str());
    return;
  }
  const char* label = rep.error.IsCorruption()     ? "CORRUPT"
                      : rep.error.IsNotSupported() ? "UNSUPPORTED"
                                                   : "ERROR";
  std::fprintf(stderr, "%s %s: %s\n", label, r.path.c_str(), rep.error.ToString().c_str());
  if (rep.error_offset.has_value()) {
    std::fprintf(
        stderr, "  first error at offset %" PRIu64 " (0x%" PRIx64 ")%s\n", *rep.error_offset,
        *rep.error_offset,
        rep.error_block.has_value() ? (", block " + std::to_string(*rep.error_block)).c_str() : "");
  }
  for (size_t i = 1; i < rep.damaged.size(); ++i) {
    std::fprintf(stderr, "  also damaged: %s\n", rep.damaged[i].error.ToString().c_str());
  }
  if (!rep.damaged.empty()) {
    std::fprintf(stderr, "  %zu damaged blocks; %" PRIu64 " keys in sound blocks\n",
                 rep.damaged.size(), rep.keys);
  } else if (rep.keys > 0) {
    std::fprintf(stderr, "  %" PRIu64 " keys read soundly before the error\n", rep.keys);
  }
}

namespace {

// Every key block in file order: verified, decoded, handed to `fn`. A block
// that fails is recorded and skipped; the walk is bounded by the index.
void ScanKeyBlocks(const native::NativeReader& reader, const NativeEntryFn& fn,
                   NativeInspectReport* r) {
  r->scanned = true;
  std::string raw;
  rdb::RdbEntry entry;
  for (const native::BlockInfo& b : reader.blocks()) {
    if (b.kind != native::BlockKind::kKeys) continue;
    Status s = reader.ReadBlock(b.number, &raw);
    native::EntryDecoder decoder(raw, b, reader.name());
    // Entries of a block are reported only once the whole block decodes, so
    // a damaged block adds nothing.
    std::vector<std::pair<rdb::RdbEntry, uint64_t>> entries;
    while (s.ok()) {
      Result<bool> more = decoder.Next(&entry);
      if (!more.ok()) {
        s = more.status();
      } else if (!*more) {
        break;
      } else {
        entries.emplace_back(std::move(entry), decoder.last_entry_bytes());
      }
    }
    if (!s.ok()) {
      r->scan_errors.push_back(std::move(s));
      continue;
    }
    for (const auto& [e, bytes] : entries) fn(e, bytes);
    ++r->blocks_scanned;
  }
}

}  // namespace

Result<NativeInspectReport> InspectNativePath(const std::string& path, const storage::IoOptions& io,
                                              const NativeEntryFn* scan) {
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenPositionalReader(path, io));
  SK_ASSIGN_OR_RETURN(auto reader, native::NativeReader::Open(file.get()));
  NativeInspectReport r;
  r.path = path;
  r.header = reader->header();
  r.file_bytes = reader->file_bytes();
  r.keys = reader->key_count();
  r.blocks = reader->blocks().size();
  r.index = reader->blocks();
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> per_db;
  for (const native::BlockInfo& b : reader->blocks()) {
    if (b.kind != native::BlockKind::kKeys) continue;
    ++r.key_blocks;
    r.raw_bytes += b.raw_bytes;
    r.stored_bytes += b.stored_bytes;
    per_db[b.db].first += b.key_count;
    per_db[b.db].second += b.raw_bytes;
  }
  r.per_db.assign(per_db.begin(), per_db.end());
  Result<native::SlotStats> stats = reader->ReadSlotStats();
  if (stats.ok()) {
    r.slots = std::move(stats).value();
  } else {
    r.slots_error = stats.status();
    r.slots = reader->EstimateSlotStatsFromIndex();
    r.slots_estimated = true;
  }
  Result<std::vector<native::MetaRecord>> meta = reader->ReadMeta();
  if (meta.ok()) {
    r.meta = std::move(meta).value();
  } else {
    r.meta_error = meta.status();
  }
  if (scan != nullptr) ScanKeyBlocks(*reader, *scan, &r);
  return r;
}

Status NativeInspectError(const NativeInspectReport& r) {
  if (!r.slots_error.ok()) return r.slots_error;
  if (!r.meta_error.ok()) return r.meta_error;
  if (!r.scan_errors.empty()) return r.scan_errors.front();
  return Status();
}

nlohmann::json NativeInspectJson(const NativeInspectReport& r, bool with_blocks) {
  nlohmann::json j;
  j["path"] = r.path;
  j["format"] = "native";
  j["format_version"] = r.header.format_version;
  j["rdb"] = rdb::FormatMagic(r.header.rdb);
  j["producer"] = r.header.producer;
  nlohmann::json aux = nlohmann::json::object();
  for (const auto& [k, v] : r.header.aux) aux[k] = v;
  j["aux"] = aux;
  j["file_bytes"] = r.file_bytes;
  j["keys"] = r.keys;
  j["blocks"] = r.blocks;
  j["key_blocks"] = r.key_blocks;
  j["raw_bytes"] = r.raw_bytes;
  j["stored_bytes"] = r.stored_bytes;
  j["lz4_ratio"] = r.stored_bytes == 0 ? 1.0 : double(r.raw_bytes) / double(r.stored_bytes);
  nlohmann::json dbs = nlohmann::json::object();
  for (const auto& [db, figures] : r.per_db) dbs[std::to_string(db)] = figures.first;
  j["keys_per_db"] = dbs;
  j["slots_estimated"] = r.slots_estimated;
  nlohmann::json slots = nlohmann::json::array();
  for (int s = 0; s < formats::kSlotCount; ++s) {
    if (r.slots.keys[s] == 0 && r.slots.bytes[s] == 0) continue;
    slots.push_back({s, r.slots.keys[s], r.slots.bytes[s]});
  }
  j["slots"] = slots;  // [slot, keys, bytes] for non-empty slots
  if (with_blocks) {
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& b : r.index) blocks.push_back(BlockJson(b));
    j["index"] = blocks;
  }
  return j;
}

Result<native::SlotStats> NativeSlotStatsPath(const std::string& path,
                                              const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(NativeInspectReport r, InspectNativePath(path, io));
  return std::move(r.slots);
}

Result<ConvertResult> ConvertPath(const ConvertRequest& request, const storage::IoOptions& io) {
  const auto start = std::chrono::steady_clock::now();
  SK_ASSIGN_OR_RETURN(bool input_is_native, IsNativePath(request.input));
  if (!input_is_native) {
    Status status;
    const std::string head = FirstBytes(request.input, 6, &status);
    SK_RETURN_IF_ERROR(status);
    if (head.rfind("REDIS", 0) != 0 && head.rfind("VALKEY", 0) != 0) {
      return Status::InvalidArgument(request.input +
                                     ": neither an RDB file nor a native snapshot (unknown magic)");
    }
  }
  SK_ASSIGN_OR_RETURN(ConvertTarget target, ChooseTarget(request, input_is_native));
  Result<ConvertResult> result =
      target == ConvertTarget::kNative ? ToNative(request, io) : ToRdb(request, io);
  if (result.ok()) result->seconds = SecondsSince(start);
  return result;
}

nlohmann::json ConvertJson(const ConvertRequest& request, const ConvertResult& r) {
  nlohmann::json j;
  j["input"] = request.input;
  j["output"] = request.output;
  j["to"] = r.target == ConvertTarget::kNative ? "native" : "rdb";
  j["rdb_version"] = r.rdb_version;
  j["keys"] = r.keys;
  j["input_bytes"] = r.input_bytes;
  j["output_bytes"] = r.output_bytes;
  j["blocks"] = r.blocks;
  if (r.target == ConvertTarget::kNative) {
    j["raw_bytes"] = r.raw_bytes;
    j["stored_bytes"] = r.stored_bytes;
    j["lz4_ratio"] = r.stored_bytes == 0 ? 1.0 : double(r.raw_bytes) / double(r.stored_bytes);
  } else {
    j["block_bytes_read"] = r.stored_bytes;  // key block headers + stored payloads read
  }
  j["losses"] = r.losses;
  j["seconds"] = r.seconds;
  return j;
}

}  // namespace shardkit::tools
