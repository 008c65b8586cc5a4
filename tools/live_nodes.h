// LiveNodes: where the nodes of a plan listen now, and the connection
// options shared by the commands that talk to them (check, join).
//
// Addresses come from the plan's endpoints, or from --endpoints (the same
// order as the plan's nodes: masters, then replicas) when the nodes run
// elsewhere. Host names are resolved when the addresses are built.
// Connection options: --user/--password, or the REDISCLI_AUTH environment
// variable for the password (as redis-cli), and bounded connect and command
// timeouts.
// Value types; no threading concerns.
// Errors: kInvalidArgument for a plan without endpoints and no --endpoints,
// a count that does not match the plan, or a malformed endpoint; kNotFound
// for a host name that does not resolve.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/recovery_plan.h"
#include "net/endpoint.h"
#include "net/redis_connection.h"

namespace shardkit::tools {

struct LiveNode {
  int index = 0;
  std::string node_id;      // the plan's
  int master_index = -1;    // the plan's; -1 for a master
  net::Endpoint endpoint;   // as given
  std::string ip;           // endpoint.host resolved now
  std::string label;        // "node K (host:port)", for messages
};

Result<std::vector<LiveNode>> LiveNodesFor(const loader::RecoveryPlan& plan,
                                           const std::vector<std::string>& endpoints);

struct ConnectArgs {
  std::string user;
  std::string password;
  int connect_timeout_ms = 5'000;
  int command_timeout_ms = 10'000;
};
// --user, --password, --connect-timeout-ms, --command-timeout-ms.
void AddConnectFlags(CLI::App* cmd, ConnectArgs* args);
// The options for `args`; the password falls back to REDISCLI_AUTH.
net::ConnectOptions ConnectOptionsFor(const ConnectArgs& args);

}  // namespace shardkit::tools
