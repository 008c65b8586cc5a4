// Helpers shared by the recovery tests that drive real redis-servers.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"

namespace shardkit::testing {

// Runs one command on `s` and fails the test (naming the command) unless the
// server answers with a non-error reply.
inline void RunOk(RedisServer& s, const std::vector<std::string>& args) {
  auto r = s.CommandOk(args);
  ASSERT_TRUE(r.ok()) << args[0] << ": " << r.status().ToString();
}

// A key whose slot master `node` owns: probes "{<prefix>N}" until the node
// accepts a write instead of answering MOVED.
inline std::string KeyOwnedBy(RedisServer& node, const std::string& prefix) {
  for (int i = 0; i < 100000; ++i) {
    const std::string key = "{" + prefix + std::to_string(i) + "}";
    auto r = node.client().Command({"SET", key + "probe", "1"});
    if (r.ok() && !r->is_error()) {
      EXPECT_TRUE(node.client().Command({"DEL", key + "probe"}).ok());
      return key;
    }
  }
  ADD_FAILURE() << "no key owned by port " << node.port();
  return "";
}

// "127.0.0.1:P1,127.0.0.1:P2,...", as `plan --endpoints` takes them.
inline std::string Endpoints(const std::vector<int>& ports) {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(p));
  return out;
}

// Files of a directory tree, relative names, sorted.
inline std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The JSON object a CLI run printed after any text before it (null if none).
inline nlohmann::json JsonOf(const ProcessResult& r) {
  const size_t at = r.output.find('{');
  if (at == std::string::npos) return nlohmann::json();
  return nlohmann::json::parse(r.output.substr(at), nullptr, false);
}

}  // namespace shardkit::testing
