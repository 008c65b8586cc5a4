// RESP text for the AOF tests, written out by hand (independent of
// formats/aof's own encoder, which the reader tests must not trust).
#pragma once

#include <string>
#include <vector>

namespace shardkit::testing {

// One command as a RESP array of bulk strings.
inline std::string RespCmd(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

}  // namespace shardkit::testing
