// shardkit verify [--deep] [--json] [--threads N] PATH...
//
// Checks each file end to end (formats/rdb/rdb_verify.h) on up to N threads
// (default: the number of CPUs), one file per thread. Text results go to
// stderr ("OK <path> (RDB v10, 1234 keys, crc ok)" or "CORRUPT <path>:
// <error>"); --json prints JSON Lines on stdout: one object per path, in
// argument order. Exit code: 2 if any path had a usage/I/O error, else 1 if
// any is corrupt, else 3 if any is of an unsupported version/format, else 0.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "formats/rdb/rdb_verify.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/input_files.h"

namespace shardkit::tools {
namespace {

namespace rdb = formats::rdb;

struct VerifyArgs {
  std::vector<std::string> paths;
  bool deep = false;
  bool json = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

struct FileResult {
  std::string path;
  InputFormat format = InputFormat::kUnknown;
  rdb::RdbVerifyReport report;
  Status status;  // the outcome: OK, or the first error (I/O, corruption, unsupported)
  double seconds = 0;
};

// The format dispatch: RDB here; AOF inputs are the extension point.
void VerifyInput(const storage::IoOptions& io, bool deep, FileResult* result) {
  Result<InputFormat> format = DetectInputFormat(result->path);
  if (!format.ok()) {
    result->status = format.status();
    return;
  }
  result->format = *format;
  switch (*format) {
    case InputFormat::kRdb: {
      auto source = OpenInput(result->path, io);
      if (!source.ok()) {
        result->status = source.status();
        return;
      }
      rdb::RdbVerifyOptions options;
      options.deep = deep;
      result->report = rdb::VerifyRdb(source->get(), options);
      result->status = result->report.error;
      return;
    }
    case InputFormat::kEmpty:
      result->status = Status::Corruption(result->path + ": empty file");
      return;
    case InputFormat::kUnknown:
      result->status = Status::Corruption(result->path + ": not an RDB or AOF file (unknown magic)");
      return;
    default:
      result->status = Status::NotSupported(result->path + ": " +
                                            std::string(InputFormatName(*format)) +
                                            " input: verify does not read this format yet");
      return;
  }
}

std::string Hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

nlohmann::json ToJson(const FileResult& r, bool deep, const std::string& backend) {
  const rdb::RdbVerifyReport& rep = r.report;
  nlohmann::json j;
  j["path"] = r.path;
  j["ok"] = r.status.ok();
  j["format"] = std::string(InputFormatName(r.format));
  j["deep"] = deep;
  j["backend"] = backend;
  if (rep.header_read) {
    j["magic"] = rep.header.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
    j["version"] = rep.header.version;
  } else {
    j["magic"] = nullptr;
    j["version"] = nullptr;
  }
  j["producer"] = rep.producer;
  j["keys"] = rep.keys;
  j["types"] = rep.keys_per_type;
  j["expires"] = rep.keys_with_expiry;
  j["empty_keys"] = rep.empty_keys;
  j["modules"] = rep.modules;
  j["functions"] = rep.functions;
  j["crc"] = r.status.ok() ? std::string(rdb::CrcStatusName(rep.crc)) : "unknown";
  j["crc_stored"] = Hex(rep.crc_stored);
  j["crc_computed"] = Hex(rep.crc_computed);
  j["trailing_bytes"] = rep.trailing_bytes;
  j["bytes"] = rep.bytes_read;
  j["seconds"] = r.seconds;
  j["warnings"] = rep.warnings;
  if (r.status.ok()) {
    j["error"] = nullptr;
  } else {
    nlohmann::json e;
    e["code"] = std::string(StatusCodeName(r.status.code()));
    e["message"] = std::string(r.status.message());
    if (rep.error_offset.has_value()) e["offset"] = *rep.error_offset;
    else e["offset"] = nullptr;
    e["key"] = rep.error_key.empty() ? nlohmann::json(nullptr) : nlohmann::json(rep.error_key);
    j["error"] = e;
  }
  return j;
}

void PrintText(const FileResult& r) {
  const rdb::RdbVerifyReport& rep = r.report;
  if (r.status.ok()) {
    std::fprintf(stderr, "OK %s (%s, %" PRIu64 " keys, crc %s)\n", r.path.c_str(),
                 rdb::DescribeVersion(rep.header).c_str(), rep.keys,
                 std::string(rdb::CrcStatusName(rep.crc)).c_str());
    for (const auto& w : rep.warnings) std::fprintf(stderr, "  warning: %s\n", w.c_str());
    return;
  }
  const char* label = r.status.IsCorruption()      ? "CORRUPT"
                      : r.status.IsNotSupported() ? "UNSUPPORTED"
                                                  : "ERROR";
  std::fprintf(stderr, "%s %s: %s\n", label, r.path.c_str(), r.status.ToString().c_str());
  if (rep.keys > 0) {
    std::fprintf(stderr, "  %" PRIu64 " keys read soundly before the error\n", rep.keys);
  }
}

int ExitCodeOf(const std::vector<FileResult>& results) {
  bool io = false, corrupt = false, unsupported = false;
  for (const auto& r : results) {
    switch (ExitCodeFor(r.status)) {
      case kExitOk: break;
      case kExitDataCorrupt: corrupt = true; break;
      case kExitNotSupported: unsupported = true; break;
      default: io = true; break;
    }
  }
  return io ? kExitUsageOrIo : corrupt ? kExitDataCorrupt : unsupported ? kExitNotSupported : kExitOk;
}

int Run(const VerifyArgs& args, const CommandEnv& env) {
  const storage::IoOptions io = IoOptionsFor(env);
  const std::string backend = BackendInUse(io);
  std::vector<FileResult> results(args.paths.size());
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i = next++; i < results.size(); i = next++) {
      auto start = std::chrono::steady_clock::now();
      results[i].path = args.paths[i];
      VerifyInput(io, args.deep, &results[i]);
      results[i].seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  };
  const size_t threads = std::clamp<size_t>(static_cast<size_t>(std::max(args.threads, 1)), 1,
                                            results.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (const auto& r : results) {
    if (args.json) {
      std::cout << ToJson(r, args.deep, backend).dump() << "\n";
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
      "verify", "Check RDB files end to end: structure, lengths, CRC64 (--deep: every element)");
  cmd->add_option("paths", args->paths, "RDB files to verify")->required();
  cmd->add_flag("--deep", args->deep, "Decode and validate every element (ziplists, listpacks, "
                                      "intsets, streams, scores)");
  cmd->add_flag("--json", args->json, "One JSON object per file on stdout (JSON Lines)");
  cmd->add_option("--threads", args->threads, "Files verified in parallel (default: CPUs)")
      ->check(CLI::Range(1, 1024));
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(verify, AddVerify);

}  // namespace shardkit::tools
