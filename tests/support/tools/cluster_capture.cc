#include "tests/support/tools/cluster_capture.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/hex.h"

namespace shardkit::testing::tools {
namespace {

// "-" stands for empty bytes in the capture file.
std::string Hex(const std::string& bytes) { return bytes.empty() ? "-" : HexBytes(bytes); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool Unhex(const std::string& hex, std::string& out) {
  out.clear();
  if (hex == "-") return true;
  if (hex.size() % 2 != 0) return false;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]);
    const int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// Keys master `i` holds in slots it does not own: DBSIZE minus the keys of
// its own slots (CLUSTER COUNTKEYSINSLOT, pipelined).
Result<uint64_t> CountMisplaced(ClusterView& view, size_t i) {
  RedisClient& c = view.client(i);
  SK_ASSIGN_OR_RETURN(RedisReply size, c.Command({"DBSIZE"}));
  const std::vector<uint16_t> slots = view.SlotsOf(i);
  for (uint16_t s : slots)
    SK_RETURN_IF_ERROR(c.Append({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(s)}));
  int64_t owned = 0;
  for (size_t k = 0; k < slots.size(); ++k) {
    SK_ASSIGN_OR_RETURN(RedisReply n, c.GetReply());
    if (n.is_error()) return Status::InvalidArgument("CLUSTER COUNTKEYSINSLOT: " + n.str);
    owned += n.integer;
  }
  return static_cast<uint64_t>(size.integer > owned ? size.integer - owned : 0);
}

}  // namespace

Result<ClusterCapture> CaptureCluster(ClusterView& view) {
  ClusterCapture out;
  for (size_t i = 0; i < view.master_count(); ++i) {
    const std::string where = view.master(i).ToString();
    SK_ASSIGN_OR_RETURN(uint64_t misplaced, CountMisplaced(view, i));
    if (misplaced > 0) {
      // Commands on such keys answer MOVED, so the node cannot be walked.
      out.misplaced += misplaced;
      out.problems.push_back(where + ": " + std::to_string(misplaced) +
                             " keys in slots it does not own; node not captured");
      out.node_functions.push_back("");
      continue;
    }
    SK_ASSIGN_OR_RETURN(KeyspaceSnapshot snap, KeyspaceSnapshot::Capture(view.client(i), 1));
    for (auto& [key, state] : snap.dbs[0]) {
      auto [it, inserted] = out.keys.emplace(key, state);
      if (!inserted) {
        ++out.duplicated;
        if (out.problems.size() < 100) {
          out.problems.push_back(where + ": key " + PrintableKey(key) +
                                 " also held by another master");
        }
      }
    }
    if (i == 0) out.functions = snap.functions;
    out.node_functions.push_back(snap.functions);
  }
  return out;
}

Status SaveCapture(const ClusterCapture& capture, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::FromErrno(errno, "create", path);
  f << "shardkit-keyspace 1\n"
    << "functions " << Hex(capture.functions) << "\n";
  for (const auto& [key, s] : capture.keys) {
    f << "k " << Hex(key) << ' ' << s.type << ' ' << (s.digest.empty() ? "-" : s.digest) << ' '
      << s.pexpiretime_ms << ' ' << Hex(s.stream_info) << '\n';
  }
  f.flush();
  if (!f) return Status::IoError("write " + path + " failed");
  return Status::Ok();
}

Result<ClusterCapture> LoadCapture(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::FromErrno(errno, "open", path);
  ClusterCapture out;
  std::string line;
  uint64_t number = 0;
  auto bad = [&](const std::string& why) {
    return Status::Corruption(path + " line " + std::to_string(number) + ": " + why);
  };
  while (std::getline(f, line)) {
    ++number;
    std::istringstream in(line);
    std::string tag;
    in >> tag;
    if (number == 1) {
      if (line != "shardkit-keyspace 1") return bad("not a keyspace capture (version 1)");
      continue;
    }
    if (tag == "functions") {
      std::string hex;
      in >> hex;
      if (!Unhex(hex, out.functions)) return bad("bad hex in functions");
      continue;
    }
    if (tag != "k") return bad("unknown record \"" + tag + "\"");
    std::string key_hex, stream_hex, key;
    KeyState s;
    if (!(in >> key_hex >> s.type >> s.digest >> s.pexpiretime_ms >> stream_hex)) {
      return bad("expected: k <hex key> <type> <digest> <pexpiretime> <hex stream info>");
    }
    if (s.digest == "-") s.digest.clear();
    if (!Unhex(key_hex, key) || !Unhex(stream_hex, s.stream_info)) return bad("bad hex");
    out.keys.emplace(std::move(key), std::move(s));
  }
  if (number == 0) return bad("empty file");
  return out;
}

}  // namespace shardkit::testing::tools
