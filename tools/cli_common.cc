#include "tools/cli_common.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "storage/atomic_file.h"
#include "tools/exit_codes.h"

namespace shardkit::tools {

storage::IoOptions IoOptionsFor(const CommandEnv& env) {
  storage::IoOptions io;
  auto kind = storage::ParseIoBackendKind(env.io_backend);
  if (kind.ok()) io.backend = *kind;
  return io;
}

int64_t NowMs() {
  if (const char* fixed = std::getenv("SHARDKIT_NOW_MS")) return std::strtoll(fixed, nullptr, 10);
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status WriteFileAtomically(const std::string& path, std::string_view data,
                           const storage::IoOptions& io) {
  SK_ASSIGN_OR_RETURN(auto writer, storage::AtomicFileWriter::Create(path, io));
  SK_RETURN_IF_ERROR(writer->Append(AsBytes(data)));
  return writer->Publish();
}

int ReportError(std::string_view command, const Status& status) {
  std::fprintf(stderr, "shardkit %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               status.ToString().c_str());
  return ExitCodeFor(status);
}

}  // namespace shardkit::tools
