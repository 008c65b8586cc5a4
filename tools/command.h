// Sub-command registration for the shardkit CLI. Each command lives in its
// own tools/cmd_<name>.cc and registers itself with SHARDKIT_COMMAND; main.cc
// builds the CLI11 app from the registry. The callback a command installs
// stores its exit code in env->exit_code.
//
// Conventions every command follows (SPEC.md "CLI"): machine-readable output
// (--json) on stdout, human text and progress on stderr, never a prompt.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace shardkit::tools {

struct CommandEnv {
  std::string io_backend;  // "auto", "uring" or "pread" (--io-backend / SHARDKIT_IO_BACKEND)
  int exit_code = 0;
};

using CommandAdder = void (*)(CLI::App& app, CommandEnv& env);

struct CommandRegistration {
  CommandRegistration(const char* name, CommandAdder adder);
};

// Calls every registered adder in name order.
void AddRegisteredCommands(CLI::App& app, CommandEnv& env);

}  // namespace shardkit::tools

#define SHARDKIT_COMMAND(name, adder) \
  static ::shardkit::tools::CommandRegistration sk_command_registration_##name(#name, adder)
