#include "tools/live_nodes.h"

#include <cstdlib>

namespace shardkit::tools {

Result<std::vector<LiveNode>> LiveNodesFor(const loader::RecoveryPlan& plan,
                                           const std::vector<std::string>& endpoints) {
  const auto& nodes = plan.slots.nodes;
  if (!endpoints.empty() && endpoints.size() != nodes.size()) {
    return Status::InvalidArgument("got " + std::to_string(endpoints.size()) +
                                   " endpoints for the plan's " + std::to_string(nodes.size()) +
                                   " nodes (masters first, then replicas, as in the plan)");
  }
  std::vector<LiveNode> out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string& text = endpoints.empty() ? nodes[i].endpoint : endpoints[i];
    if (text.empty()) {
      return Status::InvalidArgument("node " + std::to_string(i) +
                                     " has no endpoint in the plan; give --endpoints");
    }
    LiveNode n;
    n.index = nodes[i].index;
    n.node_id = nodes[i].node_id;
    n.master_index = nodes[i].master_index;
    SK_ASSIGN_OR_RETURN(n.endpoint, net::ParseEndpoint(text));
    n.label = "node " + std::to_string(n.index) + " (" + n.endpoint.HostPort() + ")";
    auto ip = net::ResolveEndpointHost(n.endpoint.host);
    if (!ip.ok()) return ip.status().WithPrefix(n.label);
    n.ip = *ip;
    out.push_back(std::move(n));
  }
  return out;
}

void AddConnectFlags(CLI::App* cmd, ConnectArgs* args) {
  cmd->add_option("--user", args->user, "ACL user for AUTH (default: the default user)");
  cmd->add_option("--password", args->password,
                  "password for AUTH (default: the REDISCLI_AUTH environment variable)");
  cmd->add_option("--connect-timeout-ms", args->connect_timeout_ms,
                  "give up connecting to a node after this long")
      ->check(CLI::Range(1, 600'000));
  cmd->add_option("--command-timeout-ms", args->command_timeout_ms,
                  "give up waiting for a node's reply after this long")
      ->check(CLI::Range(1, 600'000));
}

net::ConnectOptions ConnectOptionsFor(const ConnectArgs& args) {
  net::ConnectOptions o;
  o.user = args.user;
  o.password = args.password;
  if (o.password.empty()) {
    const char* env = std::getenv("REDISCLI_AUTH");
    if (env != nullptr) o.password = env;
  }
  o.connect_timeout_ms = args.connect_timeout_ms;
  o.command_timeout_ms = args.command_timeout_ms;
  return o;
}

}  // namespace shardkit::tools
