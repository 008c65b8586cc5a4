// shardkit verify [--deep] [--json] [--threads N] PATH...
//
// Checks each path end to end on up to N threads (default: the number of
// CPUs), one path per thread; when N is at least twice the number of paths,
// an RDB file of 64 MiB or more is read by N / paths threads (VerifyRdb's
// split read, formats/rdb/rdb_verify.h), with the same result as one. What a path is follows
// ResolveInput (tools/input_files.h): an RDB file (formats/rdb/rdb_verify.h), a legacy AOF with or
// without an RDB preamble, or a multi-part AOF given as its directory, its appendonlydir's parent
// or its manifest (formats/aof/aof_verify.h: RESP structure, MULTI/EXEC balance, known commands,
// manifest consistency, the RDB part checked as an RDB, deep with
// --deep), or a native snapshot recognised by its magic whatever its name
// (formats/native/native_verify.h: header, every block's XXH3 checksums and
// payload structure, slot table, index and trailer; with --deep every value
// decoded as RDB deep mode does). Text results go to stderr ("OK <path> (...)" or "CORRUPT <path>:
// <error>"); --json prints JSON Lines on stdout: one object per path, in
// argument order, the same fields for every format ("format" tells which;
// "aof" is null for RDB and native; "native" is non-null only for native
// snapshots). Exit code: 2 if any path had a usage/I/O error,
// else 1 if any is corrupt, else 3 if any is of an unsupported
// version/format, else 0.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "formats/aof/aof_verify.h"
#include "formats/rdb/rdb_verify.h"
#include "loader/enterprise_layout.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/input_files.h"
#include "tools/native_cli.h"

namespace shardkit::tools {
namespace {

namespace aof = formats::aof;
namespace rdb = formats::rdb;

constexpr size_t kMaxManifestBytes = 1 << 20;

struct VerifyArgs {
  std::vector<std::string> paths;
  bool deep = false;
  bool json = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

struct FileResult {
  std::string path;
  std::string format = "unknown";  // "rdb", "aof", "aof-multi-part", "native", "empty"
  rdb::RdbVerifyReport rdb;        // format "rdb"
  aof::AofVerifyReport aof;        // formats "aof", "aof-multi-part"
  NativeVerifyResult native;       // format "native"
  bool is_aof = false;
  bool is_native = false;
  Status status;  // the outcome: OK, or the first error (I/O, corruption, unsupported)
  std::optional<uint64_t> error_offset;
  std::string error_key;
  std::string error_file;
  double seconds = 0;
};

// "AUX big-used-ram" or "an Enterprise layout".
std::string EnterpriseNamedBy(const std::string& named_by) {
  return named_by.rfind("an ", 0) == 0 ? "found in " + named_by : "AUX " + named_by;
}

// One file's options: `split_threads` (>= 2) lets an RDB file be read by
// that many threads.
struct VerifyFileOptions {
  bool deep = false;
  int split_threads = 1;
};

void VerifyRdbFile(const storage::IoOptions& io, const VerifyFileOptions& file,
                   FileResult* result) {
  result->format = "rdb";
  auto source = OpenInput(result->path, io);
  if (!source.ok()) {
    result->status = source.status();
    return;
  }
  rdb::RdbVerifyOptions options;
  options.deep = file.deep;
  options.layout = loader::LayoutProducerOf(result->path);
  if (file.split_threads >= 2) {
    options.split.threads = file.split_threads;
    options.split.open_at = [&](uint64_t offset) { return OpenInput(result->path, io, offset); };
  }
  result->rdb = rdb::VerifyRdb(source->get(), options);
  result->status = result->rdb.error;
  result->error_offset = result->rdb.error_offset;
  result->error_key = result->rdb.error_key;
  if (!result->status.ok()) result->error_file = result->path;
}

// Legacy single file or multi-part log; fills result->aof.
void VerifyAofInput(const storage::IoOptions& io, bool deep, const ResolvedInput& in,
                    FileResult* result) {
  result->is_aof = true;
  aof::AofVerifyOptions options;
  options.deep_rdb = deep;
  options.rdb_layout = loader::LayoutProducerOf(in.path);
  if (in.kind == InputKind::kAofFile) {
    result->format = "aof";
    auto source = OpenInput(in.path, io);
    if (!source.ok()) {
      result->status = source.status();
      return;
    }
    result->aof = aof::VerifyAofFile(source->get(), in.path, options);
  } else {
    result->format = "aof-multi-part";
    auto text = ReadSmallFile(in.path, kMaxManifestBytes);
    if (!text.ok()) {
      result->status = text.status();
      return;
    }
    aof::AofFileOpener open = [&](const std::string& name) {
      return OpenInput(in.directory + "/" + name, io);
    };
    result->aof = aof::VerifyMultiPartAof(*text, in.path, open, options);
  }
  const aof::AofVerifyReport& rep = result->aof;
  result->status = rep.error;
  result->error_file = rep.error_file;
  // A file the manifest lists but the directory lacks makes the log
  // inconsistent (Redis refuses to load it): data damage, not a usage error.
  if (rep.error.IsNotFound() && rep.multi_part && rep.error_file != rep.manifest_name) {
    result->status = Status::Corruption(std::string(rep.error.message()));
  }
  rdb::ParseErrorLocation(rep.error, &result->error_offset, &result->error_key);
  if (rep.truncated_tail && rep.cut.has_value()) result->error_offset = rep.cut->offset;
}

void VerifyNativeFile(const storage::IoOptions& io, bool deep, FileResult* result) {
  result->format = "native";
  result->is_native = true;
  result->native = VerifyNativePath(result->path, deep, io);
  const formats::native::NativeVerifyReport& rep = result->native.report;
  result->status = rep.error;
  result->error_offset = rep.error_offset;
  // A deep error quotes the key RdbReader was reading; the offset stays the
  // damaged block's file offset (the reader's own offset is inside the block).
  std::optional<uint64_t> unused_offset;
  rdb::ParseErrorLocation(rep.error, &unused_offset, &result->error_key);
  if (!result->status.ok()) result->error_file = result->path;
}

void VerifyPath(const storage::IoOptions& io, const VerifyFileOptions& file, FileResult* result) {
  const bool deep = file.deep;
  Result<ResolvedInput> in = ResolveInput(result->path);
  if (!in.ok()) {
    result->status = in.status();
    return;
  }
  switch (in->kind) {
    case InputKind::kRdb:
      VerifyRdbFile(io, file, result);
      return;
    case InputKind::kAofFile:
    case InputKind::kAofMultiPart:
      VerifyAofInput(io, deep, *in, result);
      return;
    case InputKind::kNative:
      VerifyNativeFile(io, deep, result);
      return;
    case InputKind::kEmpty:
      result->format = "empty";
      result->status =
          Status::Corruption(result->path + ": empty file (not an RDB, AOF or native snapshot)");
      return;
  }
}

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

nlohmann::json AofJson(const aof::AofVerifyReport& rep) {
  nlohmann::json j;
  j["multi_part"] = rep.multi_part;
  j["manifest"] = rep.multi_part ? nlohmann::json(rep.manifest_name) : nlohmann::json(nullptr);
  nlohmann::json files = nlohmann::json::array();
  for (const aof::AofFileSummary& f : rep.files) {
    files.push_back({{"name", f.name},
                     {"bytes", f.bytes},
                     {"rdb_preamble", f.rdb_preamble},
                     {"rdb_keys", f.rdb_keys},
                     {"commands", f.commands},
                     {"transactions", f.transactions},
                     {"annotations", f.annotations},
                     {"first_timestamp", f.first_timestamp},
                     {"last_timestamp", f.last_timestamp},
                     {"truncated", f.truncated},
                     {"safe_end", f.safe_end}});
  }
  j["files"] = files;
  j["commands"] = rep.commands;
  j["transactions"] = rep.transactions;
  j["annotations"] = rep.annotations;
  j["cross_slot_commands"] = rep.cross_slot_commands;
  j["routing"] = rep.routing_counts;
  j["truncated_tail"] = rep.truncated_tail;
  if (rep.cut.has_value()) {
    j["cut"] = {{"file", rep.cut->file},
                {"offset", rep.cut->offset},
                {"file_bytes", rep.cut->file_bytes},
                {"commands_before", rep.cut->commands_kept},
                {"allowed", rep.cut->allowed},
                {"reason", rep.cut->reason}};
  } else {
    j["cut"] = nullptr;
  }
  return j;
}

uint64_t AofRdbKeys(const aof::AofVerifyReport& rep) {
  uint64_t keys = 0;
  for (const auto& f : rep.files) keys += f.rdb_keys;
  return keys;
}

uint64_t AofBytes(const aof::AofVerifyReport& rep) {
  uint64_t bytes = 0;
  for (const auto& f : rep.files) bytes += f.bytes;
  return bytes;
}

// One shape for every format: RDB fields describe the RDB file (or, for an
// AOF, are null/zero except "keys" = keys of its RDB parts); "aof" is null
// for an RDB.
nlohmann::json ToJson(const FileResult& r, bool deep, const std::string& backend) {
  if (r.is_native) {
    nlohmann::json j = NativeVerifyJson(r.native, deep);
    j["backend"] = backend;
    return j;
  }
  const rdb::RdbVerifyReport& rep = r.rdb;
  nlohmann::json j;
  j["path"] = r.path;
  j["ok"] = r.status.ok();
  j["format"] = r.format;
  j["deep"] = deep;
  j["backend"] = backend;
  if (!r.is_aof && rep.header_read) {
    j["magic"] = rep.header.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
    j["version"] = rep.header.version;
  } else {
    j["magic"] = nullptr;
    j["version"] = nullptr;
  }
  j["producer"] = rep.producer;
  // Redis Enterprise: what said so (an AUX key or "an Enterprise layout") and
  // how many of its opcodes 107/121 were read; null for any other file.
  if (!r.is_aof && rep.vendor == rdb::Producer::kRedisEnterprise) {
    j["enterprise"] = {{"named_by", rep.vendor_named_by}, {"records", rep.enterprise_records}};
  } else {
    j["enterprise"] = nullptr;
  }
  j["keys"] = r.is_aof ? AofRdbKeys(r.aof) : rep.keys;
  j["types"] = rep.keys_per_type;
  j["expires"] = rep.keys_with_expiry;
  j["empty_keys"] = rep.empty_keys;
  j["modules"] = rep.modules;
  j["functions"] = rep.functions;
  j["crc"] = r.is_aof        ? "n/a"
             : r.status.ok() ? std::string(rdb::CrcStatusName(rep.crc))
                             : "unknown";
  j["crc_stored"] = Hex(rep.crc_stored);
  j["crc_computed"] = Hex(rep.crc_computed);
  j["trailing_bytes"] = rep.trailing_bytes;
  j["bytes"] = r.is_aof ? AofBytes(r.aof) : rep.bytes_read;
  j["seconds"] = r.seconds;
  // Where the second piece began when an RDB file was read by several threads.
  j["split_at"] = !r.is_aof && rep.split_at.has_value() ? nlohmann::json(*rep.split_at) : nullptr;
  j["pieces"] = r.format == "rdb" ? rep.pieces : 0;
  j["warnings"] = r.is_aof ? r.aof.warnings : rep.warnings;
  j["aof"] = r.is_aof ? AofJson(r.aof) : nlohmann::json(nullptr);
  j["native"] = nullptr;
  if (r.status.ok()) {
    j["error"] = nullptr;
  } else {
    nlohmann::json e;
    e["code"] = std::string(StatusCodeName(r.status.code()));
    e["message"] = std::string(r.status.message());
    e["offset"] = r.error_offset.has_value() ? nlohmann::json(*r.error_offset) : nullptr;
    e["key"] = r.error_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error_key);
    e["file"] = r.error_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error_file);
    j["error"] = e;
  }
  return j;
}

std::string AofSummaryText(const aof::AofVerifyReport& rep) {
  std::string text =
      rep.multi_part ? "AOF multi-part, " + std::to_string(rep.files.size()) + " files" : "AOF";
  for (const auto& f : rep.files) {
    if (f.rdb_preamble) {
      text += (rep.multi_part ? ", RDB part of " + f.name : std::string(", RDB preamble")) +
              " with " + std::to_string(f.rdb_keys) + " keys";
    }
  }
  return text + ", " + std::to_string(rep.commands) + " commands, " +
         std::to_string(rep.transactions) + " transactions";
}

void PrintText(const FileResult& r) {
  if (r.is_native) {
    PrintNativeVerifyText(r.native);
    return;
  }
  if (r.status.ok()) {
    if (r.is_aof) {
      std::fprintf(stderr, "OK %s (%s)\n", r.path.c_str(), AofSummaryText(r.aof).c_str());
      for (const auto& w : r.aof.warnings) std::fprintf(stderr, "  warning: %s\n", w.c_str());
      return;
    }
    std::fprintf(stderr, "OK %s (%s, %" PRIu64 " keys, crc %s)\n", r.path.c_str(),
                 rdb::DescribeVersion(r.rdb.header).c_str(), r.rdb.keys,
                 std::string(rdb::CrcStatusName(r.rdb.crc)).c_str());
    if (r.rdb.vendor == rdb::Producer::kRedisEnterprise) {
      std::fprintf(stderr, "  Redis Enterprise shard file (%s; %" PRIu64
                           " RAM_LRU/SLOT_NUM records read, not carried into outputs)\n",
                   EnterpriseNamedBy(r.rdb.vendor_named_by).c_str(), r.rdb.enterprise_records);
    }
    for (const auto& w : r.rdb.warnings) std::fprintf(stderr, "  warning: %s\n", w.c_str());
    return;
  }
  const char* label = r.status.IsCorruption()     ? "CORRUPT"
                      : r.status.IsNotSupported() ? "UNSUPPORTED"
                                                  : "ERROR";
  std::fprintf(stderr, "%s %s: %s\n", label, r.path.c_str(), r.status.ToString().c_str());
  if (r.is_aof && r.aof.cut.has_value() && r.status.IsCorruption()) {
    const aof::AofCutPoint& cut = r.aof.cut.value();
    std::fprintf(stderr,
                 "  last sound point: %s offset %" PRIu64 " of %" PRIu64 " after %" PRIu64
                 " commands (%s; `shardkit repair` %s cut there)\n",
                 cut.file.c_str(), cut.offset, cut.file_bytes, cut.commands_kept,
                 cut.reason.c_str(), cut.allowed ? "can" : "cannot");
  } else if (!r.is_aof && r.rdb.keys > 0) {
    std::fprintf(stderr, "  %" PRIu64 " keys read soundly before the error\n", r.rdb.keys);
  }
}

int ExitCodeOf(const std::vector<FileResult>& results) {
  InputsExitCode code;
  for (const auto& r : results) code.Add(ExitCodeFor(r.status));
  return code.code();
}

int Run(const VerifyArgs& args, const CommandEnv& env) {
  const storage::IoOptions io = IoOptionsFor(env);
  const std::string backend = BackendInUse(io);
  std::vector<FileResult> results(args.paths.size());
  std::atomic<size_t> next{0};
  VerifyFileOptions file;
  file.deep = args.deep;
  file.split_threads = static_cast<int>(static_cast<size_t>(std::max(args.threads, 1)) /
                                        std::max<size_t>(results.size(), 1));
  auto worker = [&]() {
    for (size_t i = next++; i < results.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
      results[i].path = args.paths[i];
      VerifyPath(io, file, &results[i]);
      results[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  };
  const size_t threads =
      std::clamp<size_t>(static_cast<size_t>(std::max(args.threads, 1)), 1, results.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (const auto& r : results) {
    if (args.json) {
      // Messages may quote binary bytes (an AOF command name): invalid UTF-8
      // becomes U+FFFD rather than an exception.
      std::cout << ToJson(r, args.deep, backend)
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    } else {
      PrintText(r);
    }
  }
  std::cout.flush();
  return ExitCodeOf(results);
}

void AddVerify(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Check RDB files, AOFs (legacy file, multi-part directory or manifest) and native "
      "snapshots (*.skn) end to end");
  cmd->add_option("paths", args->paths,
                  "RDB files, AOF files, multi-part AOF directories or manifests, native snapshots")
      ->required();
  cmd->add_flag("--deep", args->deep,
                "Decode and validate every RDB element (ziplists, "
                "listpacks, intsets, streams, scores), also in AOF RDB parts "
                "and native key blocks");
  cmd->add_flag("--json", args->json, "One JSON object per path on stdout (JSON Lines)");
  cmd->add_option("--threads", args->threads,
                  "Threads (default: CPUs): paths verified in parallel; with at least two per "
                  "path, an RDB file of 64 MiB or more is read by that many")
      ->check(CLI::Range(1, 1024));
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(verify, AddVerify);

}  // namespace shardkit::tools
