// Fuzz target: nodes.conf parsing, and format -> parse stability.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "loader/nodes_conf.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_nodes_conf) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto conf = shardkit::loader::ParseNodesConf(text, "fuzz");
  if (!conf.ok()) return 0;
  std::string again = shardkit::loader::FormatNodesConf(*conf);
  auto reparsed = shardkit::loader::ParseNodesConf(again, "fuzz-again");
  // What we write, we must read back.
  SK_FUZZ_CHECK("fuzz_nodes_conf", reparsed.ok() && reparsed->nodes.size() == conf->nodes.size());
  return 0;
}
