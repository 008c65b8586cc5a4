// A small recovery to damage: one volume holding a dump.rdb written by a
// real redis-server (the encoding-covering dataset of tests/support plus a
// few large values so a recovery runs long enough to be interrupted), and
// helpers to compare directory trees. Header-only.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "tests/reliability/child_process.h"
#include "tests/support/datasets.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {

namespace fs = std::filesystem;

// Writes <dir>/dump.rdb from a filled redis-server.
inline Status MakeRedisVolume(const std::string& dir, uint64_t seed) {
  fs::create_directories(dir);
  testing::RedisServerOptions options;
  options.dir = dir;
  SK_ASSIGN_OR_RETURN(auto server, testing::RedisServer::Start(options));
  testing::DatasetOptions data;
  data.seed = seed;
  data.keys = static_cast<size_t>(3000 * testing::TestScale());
  data.large_values = true;
  data.large_elements = static_cast<size_t>(20000 * testing::TestScale());
  data.large_string_bytes = 1u << 20;
  SK_RETURN_IF_ERROR(testing::FillDataset(server->client(), data));
  SK_RETURN_IF_ERROR(server->Save());
  return server->Shutdown(/*save=*/false);
}

// path (relative to root) -> bytes, for every regular file below root.
inline std::map<std::string, std::string> TreeContents(const std::string& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), root).string()] = testing::ReadFileOrDie(e.path().string());
    }
  }
  return out;
}

}  // namespace shardkit::reliability
