// Fuzz target: nodes.conf parsing, and format -> parse stability.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "loader/nodes_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto conf = shardkit::loader::ParseNodesConf(text, "fuzz");
  if (!conf.ok()) return 0;
  std::string again = shardkit::loader::FormatNodesConf(*conf);
  auto reparsed = shardkit::loader::ParseNodesConf(again, "fuzz-again");
  // What we write, we must read back.
  if (!reparsed.ok() || reparsed->nodes.size() != conf->nodes.size()) std::abort();
  return 0;
}
