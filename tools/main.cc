// shardkit: persistence and recovery for Redis-compatible shards.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>

#include "tools/command.h"
#include "tools/exit_codes.h"

namespace shardkit::tools {

static std::map<std::string, CommandAdder>& Registry() {
  static std::map<std::string, CommandAdder> registry;
  return registry;
}

CommandRegistration::CommandRegistration(const char* name, CommandAdder adder) {
  Registry()[name] = adder;
}

void AddRegisteredCommands(CLI::App& app, CommandEnv& env) {
  for (auto& [name, adder] : Registry()) adder(app, env);
}

}  // namespace shardkit::tools

int main(int argc, char** argv) {
  using namespace shardkit::tools;
  CLI::App app{"shardkit: verify, inspect, repair and recover Redis persistence files"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "shardkit 0.1.0");
  CommandEnv env;
  const char* env_backend = std::getenv("SHARDKIT_IO_BACKEND");
  env.io_backend = env_backend != nullptr ? env_backend : "auto";
  app.add_option("--io-backend", env.io_backend,
                 "I/O backend: auto (probe io_uring, fall back to pread), uring or pread; "
                 "default from SHARDKIT_IO_BACKEND")
      ->check(CLI::IsMember({"auto", "uring", "pread"}));
  AddRegisteredCommands(app, env);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsageOrIo;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shardkit: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return env.exit_code;
}
