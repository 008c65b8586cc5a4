// shardkit io-probe [--dir D] [--json]
//
// Says which I/O backend shardkit uses on this host and why, and whether
// O_DIRECT works in directory D (default "."):
//   1. the io_uring probe (storage/uring_probe.h): available, with which
//      setup flags, or unavailable with the cause and the fix;
//   2. the backend in effect: the one forced by --io-backend or
//      SHARDKIT_IO_BACKEND, else what `auto` resolves to;
//   3. O_DIRECT in D (storage/direct_io_probe.h): file system, alignment,
//      or the step that refused it;
//   4. a round trip through the real writer and reader on that backend
//      (1 MiB + 1 byte, 4 requests in flight) in D, compared byte for byte.
// Text goes to stderr, --json prints one object on stdout. Exit code 0 even
// when io_uring or O_DIRECT is unavailable (that is an answer); 2 (4 for
// ENOSPC) only when D is unusable or the round trip fails with an I/O error.
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "storage/direct_io_probe.h"
#include "storage/file_system.h"
#include "storage/io_options.h"
#include "storage/sequential_reader.h"
#include "storage/sequential_writer.h"
#include "storage/uring_probe.h"
#include "tools/command.h"
#include "tools/exit_codes.h"

namespace shardkit::tools {
namespace {

struct IoProbeArgs {
  std::string dir = ".";
  bool json = false;
};

struct BackendChoice {
  std::string requested;  // "auto", "uring", "pread"
  std::string source;     // "default", "--io-backend", "SHARDKIT_IO_BACKEND"
  storage::IoBackendKind kind = storage::IoBackendKind::kAuto;
  std::string reason;  // one line: why this backend
};

struct RoundTrip {
  Status status;
  bool writer_direct = false;
  bool reader_direct = false;
  bool buffers_registered = false;
  uint64_t bytes = 0;
};

std::string KernelRelease() {
  utsname u;
  return ::uname(&u) == 0 ? std::string(u.release) : std::string("unknown");
}

std::string UringFlags(const storage::UringProbeResult& probe) {
  return probe.defer_taskrun ? "SINGLE_ISSUER|DEFER_TASKRUN" : "no SINGLE_ISSUER/DEFER_TASKRUN";
}

// What the engine will do, phrased for an operator. main() has already put
// SHARDKIT_IO_BACKEND into env.io_backend unless --io-backend was given.
BackendChoice ChooseBackend(const CommandEnv& env, const storage::UringProbeResult& probe) {
  BackendChoice c;
  c.requested = env.io_backend.empty() ? "auto" : env.io_backend;
  const char* var = std::getenv("SHARDKIT_IO_BACKEND");
  if (c.requested == "auto") {
    c.source = "default";
  } else if (var != nullptr && c.requested == var) {
    c.source = "SHARDKIT_IO_BACKEND";
  } else {
    c.source = "--io-backend";
  }
  Result<storage::IoBackendKind> parsed = storage::ParseIoBackendKind(c.requested);
  std::string why;
  // An unparsable value was not accepted by main's check for the flag, so it
  // came from the variable: ResolveIoBackend ignores it and says so.
  c.kind = storage::ResolveIoBackend(parsed.ok() ? *parsed : storage::IoBackendKind::kAuto, &why);
  if (parsed.ok() && *parsed != storage::IoBackendKind::kAuto) {
    c.reason = "forced by " + c.source + "=" + c.requested;
    if (c.kind == storage::IoBackendKind::kUring && !probe.available) {
      c.reason += "; but io_uring is unavailable, so every I/O will fail: " + probe.why;
    }
  } else if (c.kind == storage::IoBackendKind::kUring) {
    c.reason =
        "auto: io_uring available (kernel " + KernelRelease() + ", " + UringFlags(probe) + ")";
  } else {
    c.reason = "auto: " + why +
               "; set SHARDKIT_IO_BACKEND=pread (or --io-backend pread) to skip the probe";
  }
  return c;
}

// Writes and reads back a file of 1 MiB + 1 byte in `dir` the way the
// engine does (direct where possible, 4 in flight), then removes it.
RoundTrip RunRoundTrip(const std::string& dir, storage::IoBackendKind kind) {
  RoundTrip out;
  const std::string path =
      dir + "/.shardkit-io-probe-rw." + std::to_string(static_cast<long>(::getpid()));
  std::string data((1 << 20) + 1, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 12));
  storage::IoOptions io;
  io.backend = kind;
  io.block_bytes = 256 << 10;
  io.queue_depth = 4;
  out.status = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(auto writer, storage::SequentialWriter::Create(path, io));
    SK_RETURN_IF_ERROR(writer->Append(AsBytes(data)));
    SK_RETURN_IF_ERROR(writer->Close());
    out.writer_direct = writer->direct();
    SK_ASSIGN_OR_RETURN(auto reader, storage::SequentialReader::Open(path, io));
    std::string got;
    for (int guard = 0; guard < 64; ++guard) {
      SK_ASSIGN_OR_RETURN(ByteSpan span, reader->Next());
      if (span.empty()) break;
      got.append(AsChars(span));
    }
    out.reader_direct = reader->direct();
    out.buffers_registered = reader->buffers_registered();
    out.bytes = got.size();
    if (got != data) {
      return Status::IoError("io-probe round trip " + path + ": read back " +
                             std::to_string(got.size()) + " bytes that differ from the " +
                             std::to_string(data.size()) + " written");
    }
    return Status();
  }();
  (void)storage::PosixFileSystem()->Unlink(path);
  return out;
}

nlohmann::json ToJson(const std::string& dir, const storage::UringProbeResult& probe,
                      const BackendChoice& choice, const Result<storage::DirectIoProbeResult>& d,
                      const RoundTrip& rt) {
  nlohmann::json j;
  j["kernel"] = KernelRelease();
  j["io_uring"] = {
      {"available", probe.available},
      {"single_issuer_defer_taskrun", probe.defer_taskrun},
      {"errno", probe.error},
      {"why", probe.why.empty() ? nlohmann::json(nullptr) : nlohmann::json(probe.why)}};
  j["backend"] = std::string(storage::IoBackendName(choice.kind));
  j["backend_requested"] = choice.requested;
  j["backend_source"] = choice.source;
  j["backend_reason"] = choice.reason;
  j["dir"] = dir;
  if (d.ok()) {
    j["direct_io"] = {{"supported", d->supported},
                      {"alignment", d->alignment},
                      {"file_system", d->file_system},
                      {"why", d->why.empty() ? nlohmann::json(nullptr) : nlohmann::json(d->why)},
                      {"error", nullptr}};
  } else {
    j["direct_io"] = {{"supported", false}, {"error", std::string(d.status().message())}};
  }
  j["round_trip"] = {
      {"ok", rt.status.ok()},
      {"bytes", rt.bytes},
      {"writer_direct", rt.writer_direct},
      {"reader_direct", rt.reader_direct},
      {"buffers_registered", rt.buffers_registered},
      {"error", rt.status.ok() ? nlohmann::json(nullptr) : nlohmann::json(rt.status.ToString())}};
  return j;
}

void PrintText(const std::string& dir, const storage::UringProbeResult& probe,
               const BackendChoice& choice, const Result<storage::DirectIoProbeResult>& d,
               const RoundTrip& rt) {
  std::string uring = probe.available
                          ? "available (kernel " + KernelRelease() + ", " + UringFlags(probe) + ")"
                          : probe.why;
  std::fprintf(stderr, "io_uring:   %s\n", uring.c_str());
  // The fallback reason repeats the io_uring line: say it once.
  std::string reason = choice.reason;
  if (!probe.available && reason.find(probe.why) != std::string::npos) {
    reason.replace(reason.find(probe.why), probe.why.size(),
                   "io_uring unavailable (" + std::string(std::strerror(probe.error)) + ")");
  }
  std::fprintf(stderr, "backend:    %s (%s)\n",
               std::string(storage::IoBackendName(choice.kind)).c_str(), reason.c_str());
  if (d.ok()) {
    std::string direct = d->supported ? "yes (alignment " + std::to_string(d->alignment) + " bytes)"
                                      : "no (" + d->why + "); readers and writers use buffered I/O";
    std::fprintf(stderr, "O_DIRECT:   %s in %s (%s)\n", direct.c_str(), dir.c_str(),
                 d->file_system.c_str());
  } else {
    std::fprintf(stderr, "O_DIRECT:   cannot probe %s: %s\n", dir.c_str(),
                 d.status().ToString().c_str());
  }
  if (rt.status.ok()) {
    std::fprintf(stderr, "round trip: ok (%llu bytes written and read back on %s, %s, %s)\n",
                 static_cast<unsigned long long>(rt.bytes),
                 std::string(storage::IoBackendName(choice.kind)).c_str(),
                 rt.reader_direct && rt.writer_direct ? "direct" : "buffered",
                 rt.buffers_registered ? "registered buffers" : "unregistered buffers");
  } else {
    std::fprintf(stderr, "round trip: FAILED: %s\n", rt.status.ToString().c_str());
  }
}

int Run(const IoProbeArgs& args, const CommandEnv& env) {
  const storage::UringProbeResult& probe = storage::CachedUringProbe();
  BackendChoice choice = ChooseBackend(env, probe);
  Result<storage::DirectIoProbeResult> direct = storage::ProbeDirectIo(args.dir);
  RoundTrip rt;
  if (direct.ok()) {
    rt = RunRoundTrip(args.dir, choice.kind);
  } else {
    rt.status = direct.status();
  }
  if (args.json) {
    std::cout << ToJson(args.dir, probe, choice, direct, rt).dump() << "\n";
    std::cout.flush();
  } else {
    PrintText(args.dir, probe, choice, direct, rt);
  }
  // A forced backend that cannot run here is an answer too (it is printed).
  if (rt.status.ok() || rt.status.IsNotSupported()) return kExitOk;
  return ExitCodeFor(rt.status);
}

void AddIoProbe(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<IoProbeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "io-probe",
      "Say which I/O backend is used here and why, and whether O_DIRECT works in a "
      "directory");
  cmd->add_option("--dir", args->dir, "Directory to probe O_DIRECT in (default: .)");
  cmd->add_flag("--json", args->json, "One JSON object on stdout");
  cmd->callback([args, &env] { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(io_probe, AddIoProbe);

}  // namespace shardkit::tools
