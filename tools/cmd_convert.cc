// shardkit convert IN OUT [--to rdb|native] [--rdb-version N]
//                         [--block-size BYTES] [--slots A-B[,C-D...]] [--json]
//
// Converts an RDB file to a native snapshot or back (tools/native_cli.h).
// The direction follows OUT's extension (.skn native, .rdb RDB) unless --to
// says otherwise; the input's format is read from its first bytes. The
// output is published atomically. Text summary on stderr; --json prints one
// object on stdout. Exit codes as every command: 0 done, 1 corrupt input,
// 2 usage/I/O, 3 unsupported input, 4 out of space.
//
// shardkit convert --out-dir DIR --to native|rdb [options] IN...
// converts many files in one process (one start-up, where a sanitizer build
// pays ~0.1 s of CPU per process), each to DIR/<its name, new extension>;
// the exit code is the worst over the inputs (InputsExitCode).
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/native_cli.h"

namespace shardkit::tools {
namespace {

namespace native = formats::native;

struct ConvertArgs {
  // IN OUT, or with --out_dir every input.
  std::vector<std::string> paths;
  std::string out_dir;
  std::string to;
  int rdb_version = 0;
  std::string block_size;
  std::string slots;
  bool json = false;
};

// "1048576", "512k", "2M" -> bytes.
Result<uint32_t> ParseBlockSize(const std::string& text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str()) return Status::InvalidArgument("--block-size: not a number: " + text);
  std::string suffix(end);
  if (suffix == "k" || suffix == "K" || suffix == "KiB") v <<= 10;
  else if (suffix == "m" || suffix == "M" || suffix == "MiB") v <<= 20;
  else if (!suffix.empty()) return Status::InvalidArgument("--block-size: bad suffix: " + text);
  if (v < native::kMinBlockTargetBytes || v > native::kMaxBlockTargetBytes) {
    return Status::InvalidArgument("--block-size " + text + " outside " +
                                   std::to_string(native::kMinBlockTargetBytes) + ".." +
                                   std::to_string(native::kMaxBlockTargetBytes) + " bytes");
  }
  return static_cast<uint32_t>(v);
}

// "0-5460,10923-16383" -> a slot set.
Result<native::SlotSet> ParseSlots(const std::string& text) {
  native::SlotSet set;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    int first = 0, last = 0;
    char extra = 0;
    int n = std::sscanf(part.c_str(), "%d-%d%c", &first, &last, &extra);
    if (n == 1) last = first;
    if ((n != 1 && n != 2) || first < 0 || last < first || last >= formats::kSlotCount) {
      return Status::InvalidArgument("--slots: bad range \"" + part + "\" (A-B within 0-16383)");
    }
    set |= native::SlotRange(first, last);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return set;
}

Result<ConvertRequest> BuildRequest(const ConvertArgs& args, const std::string& input,
                                    const std::string& output) {
  ConvertRequest r;
  r.input = input;
  r.output = output;
  if (args.to == "native") r.to = ConvertTarget::kNative;
  else if (args.to == "rdb") r.to = ConvertTarget::kRdb;
  else if (!args.to.empty()) return Status::InvalidArgument("--to must be rdb or native");
  r.rdb_version = args.rdb_version;
  if (!args.block_size.empty()) {
    SK_ASSIGN_OR_RETURN(r.block_bytes, ParseBlockSize(args.block_size));
  }
  if (!args.slots.empty()) {
    SK_ASSIGN_OR_RETURN(native::SlotSet set, ParseSlots(args.slots));
    r.slots = set;
  }
  return r;
}

// Converts one file and reports it (stderr text, and with --json its line).
// Returns the exit code of this file alone.
int ConvertOne(const ConvertArgs& args, const CommandEnv& env, const std::string& input,
               const std::string& output, bool batch) {
  Result<ConvertRequest> request = BuildRequest(args, input, output);
  if (!request.ok()) return ReportError("convert", request.status());
  Result<ConvertResult> result = ConvertPath(*request, IoOptionsFor(env));
  if (!result.ok()) {
    if (batch && args.json) {
      nlohmann::json j;
      j["input"] = input;
      j["output"] = output;
      j["ok"] = false;
      j["error"] = {{"code", std::string(StatusCodeName(result.status().code()))},
                    {"message", std::string(result.status().message())}};
      std::cout << j.dump() << std::endl;
    }
    return ReportError("convert", result.status());
  }
  const ConvertResult& r = *result;
  if (r.target == ConvertTarget::kNative) {
    std::fprintf(stderr,
                 "converted %s -> %s: %" PRIu64 " keys, %" PRIu64 " blocks, %" PRIu64
                 " bytes (LZ4 %.2fx) in %.3f s\n",
                 request->input.c_str(), request->output.c_str(), r.keys, r.blocks,
                 r.output_bytes,
                 r.stored_bytes == 0 ? 1.0 : double(r.raw_bytes) / double(r.stored_bytes),
                 r.seconds);
  } else {
    std::fprintf(stderr,
                 "converted %s -> %s: %" PRIu64 " keys, RDB v%d, %" PRIu64 " bytes in %.3f s\n",
                 request->input.c_str(), request->output.c_str(), r.keys, r.rdb_version,
                 r.output_bytes, r.seconds);
  }
  for (const auto& loss : r.losses) std::fprintf(stderr, "  dropped: %s\n", loss.c_str());
  if (args.json) {
    nlohmann::json j = ConvertJson(*request, r);
    if (batch) j["ok"] = true;
    std::cout << j.dump() << std::endl;
  }
  return kExitOk;
}

// --out-dir DIR IN...: each input to DIR/<its name, extension .skn or .rdb>,
// one after another in one process; a file that fails is reported and the
// rest go on. Output names that collide are refused before any is written.
int RunBatch(const ConvertArgs& args, const CommandEnv& env) {
  if (args.to != "native" && args.to != "rdb") {
    return ReportError("convert", Status::InvalidArgument(
                                      "--out-dir needs --to native or --to rdb (the outputs' "
                                      "names are the inputs' with that extension)"));
  }
  const std::string ext = args.to == "native" ? ".skn" : ".rdb";
  std::vector<std::string> outputs;
  std::set<std::string> seen;
  for (const std::string& input : args.paths) {
    std::string name = std::filesystem::path(input).filename().string();
    if (name.empty() || name == "." || name == "..") {
      return ReportError("convert", Status::InvalidArgument("not a file name: " + input));
    }
    const std::string out =
        (std::filesystem::path(args.out_dir) / std::filesystem::path(name).replace_extension(ext))
            .string();
    if (!seen.insert(out).second) {
      return ReportError("convert",
                         Status::InvalidArgument("two inputs would both be written to " + out +
                                                 " (the second is " + input + ")"));
    }
    outputs.push_back(out);
  }
  InputsExitCode code;
  for (size_t i = 0; i < args.paths.size(); ++i) {
    code.Add(ConvertOne(args, env, args.paths[i], outputs[i], /*batch=*/true));
  }
  return code.code();
}

int Run(const ConvertArgs& args, const CommandEnv& env) {
  if (!args.out_dir.empty()) return RunBatch(args, env);
  if (args.paths.size() != 2) {
    return ReportError("convert", Status::InvalidArgument(
                                      "give IN OUT, or --out-dir DIR --to native|rdb IN..."));
  }
  return ConvertOne(args, env, args.paths[0], args.paths[1], /*batch=*/false);
}

void AddConvert(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert an RDB file to a native snapshot (.skn) or a native snapshot to RDB");
  cmd->add_option("paths", args->paths,
                  "IN OUT: an RDB file or native snapshot and the output path (*.skn native, "
                  "*.rdb RDB); with --out-dir, every input")
      ->required();
  cmd->add_option("--out-dir", args->out_dir,
                  "Convert each input to DIR/<its name>.skn (or .rdb), one after another in "
                  "one process; needs --to. Exit code: 2 if any input could not be read, else "
                  "1 if any is corrupt, else 3 if any is refused, else 0");
  cmd->add_option("--to", args->to, "Output format: native or rdb (default: by OUT's extension)")
      ->check(CLI::IsMember({"native", "rdb"}));
  cmd->add_option("--rdb-version", args->rdb_version,
                  "RDB version to write (default: the source's; 7..14)")
      ->check(CLI::Range(7, 14));
  cmd->add_option("--block-size", args->block_size,
                  "Native block size before compression (bytes, or with k/M; default 1M)");
  cmd->add_option("--slots", args->slots,
                  "Native to RDB: only these slots, e.g. 0-5460,10923-16383");
  cmd->add_flag("--json", args->json, "Print a JSON summary on stdout");
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(convert, AddConvert);

}  // namespace shardkit::tools
