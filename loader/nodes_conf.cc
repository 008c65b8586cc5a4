#include "loader/nodes_conf.h"

#include <algorithm>
#include <charconv>

namespace shardkit::loader {

namespace {

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool ParseU64(std::string_view t, uint64_t* out) {
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return !t.empty() && ec == std::errc() && p == t.data() + t.size();
}

bool IsNodeId(std::string_view t) {
  return t.size() == 40 && std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

class LineError {
 public:
  LineError(std::string_view path, size_t line) : path_(path), line_(line) {}
  Status operator()(std::string_view what) const {
    return Status::Corruption(std::string(path_) + " line " + std::to_string(line_) + ": " +
                              std::string(what));
  }

 private:
  std::string_view path_;
  size_t line_;
};

// "<ip>:<port>@<cport>[,<hostname>[,aux...]]"
Status ParseAddress(std::string_view t, ClusterNode* node, const LineError& err) {
  size_t comma = t.find(',');
  std::string_view addr = t.substr(0, comma);
  if (comma != std::string_view::npos) {
    std::string_view rest = t.substr(comma + 1);
    size_t next = rest.find(',');
    node->hostname = std::string(rest.substr(0, next));
    if (next != std::string_view::npos) node->address_aux = std::string(rest.substr(next));
  }
  size_t at = addr.rfind('@');
  size_t colon = addr.rfind(':', at);
  uint64_t port = 0, cport = 0;
  if (at == std::string_view::npos || colon == std::string_view::npos ||
      !ParseU64(addr.substr(colon + 1, at - colon - 1), &port) ||
      !ParseU64(addr.substr(at + 1), &cport) || port > 65535 || cport > 65535) {
    return err("bad address \"" + std::string(t) + "\" (expected ip:port@cport)");
  }
  node->ip = std::string(addr.substr(0, colon));
  node->port = static_cast<int>(port);
  node->cluster_port = static_cast<int>(cport);
  return Status();
}

Status ParseNodeLine(const std::vector<std::string_view>& f, ClusterNode* node,
                     const LineError& err) {
  if (f.size() < 8) return err("node line has " + std::to_string(f.size()) + " fields, need 8+");
  if (!IsNodeId(f[0])) return err("bad node id \"" + std::string(f[0]) + "\"");
  node->id = std::string(f[0]);
  SK_RETURN_IF_ERROR(ParseAddress(f[1], node, err));
  size_t start = 0;
  std::string_view flags = f[2];
  while (start <= flags.size()) {
    size_t comma = flags.find(',', start);
    if (comma == std::string_view::npos) comma = flags.size();
    if (comma > start) node->flags.emplace_back(flags.substr(start, comma - start));
    start = comma + 1;
  }
  if (f[3] != "-") {
    if (!IsNodeId(f[3])) return err("bad master id \"" + std::string(f[3]) + "\"");
    node->master_id = std::string(f[3]);
  }
  if (!ParseU64(f[4], &node->ping_sent) || !ParseU64(f[5], &node->pong_received) ||
      !ParseU64(f[6], &node->config_epoch)) {
    return err("bad ping/pong/config-epoch field");
  }
  node->connected = f[7] == "connected";
  for (size_t i = 8; i < f.size(); ++i) {
    if (f[i].front() == '[') {
      node->migrations.emplace_back(f[i]);
      continue;
    }
    auto range = ParseSlotRange(f[i]);
    if (!range.ok()) return err(range.status().message());
    node->slots.AddRange(*range);
  }
  return Status();
}

}  // namespace

bool ClusterNode::HasFlag(std::string_view flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

const ClusterNode* NodesConf::myself() const {
  for (const ClusterNode& n : nodes) {
    if (n.is_myself()) return &n;
  }
  return nullptr;
}

const ClusterNode* NodesConf::Find(std::string_view id) const {
  for (const ClusterNode& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

Result<NodesConf> ParseNodesConf(std::string_view text, std::string_view path) {
  NodesConf conf;
  size_t line_no = 0;
  size_t pos = 0;
  // Bounded: each iteration consumes at least one byte of `text`.
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> f = SplitSpaces(line);
    if (f.empty()) continue;
    LineError err(path, line_no);
    if (f[0] == "vars") {
      for (size_t i = 1; i + 1 < f.size(); i += 2) {
        uint64_t v = 0;
        if (!ParseU64(f[i + 1], &v)) return err("bad vars value \"" + std::string(f[i + 1]) + "\"");
        if (f[i] == "currentEpoch") conf.current_epoch = v;
        if (f[i] == "lastVoteEpoch") conf.last_vote_epoch = v;
      }
      continue;
    }
    ClusterNode node;
    SK_RETURN_IF_ERROR(ParseNodeLine(f, &node, err));
    if (conf.Find(node.id) != nullptr) return err("node " + node.id + " listed twice");
    conf.nodes.push_back(std::move(node));
  }
  if (conf.nodes.empty()) {
    return Status::Corruption(std::string(path) + ": no node lines (empty or not a nodes.conf)");
  }
  return conf;
}

std::string FormatNodesConf(const NodesConf& conf) {
  std::string out;
  for (const ClusterNode& n : conf.nodes) {
    out += n.id + " " + n.ip + ":" + std::to_string(n.port) + "@" + std::to_string(n.cluster_port);
    if (!n.hostname.empty() || !n.address_aux.empty()) out += "," + n.hostname + n.address_aux;
    out += " ";
    for (size_t i = 0; i < n.flags.size(); ++i) out += (i ? "," : "") + n.flags[i];
    if (n.flags.empty()) out += "noflags";
    out += " " + (n.master_id.empty() ? std::string("-") : n.master_id);
    out += " " + std::to_string(n.ping_sent) + " " + std::to_string(n.pong_received) + " " +
           std::to_string(n.config_epoch) + (n.connected ? " connected" : " disconnected");
    std::string slots = n.slots.ToString();
    if (!slots.empty()) out += " " + slots;
    for (const std::string& m : n.migrations) out += " " + m;
    out += "\n";
  }
  out += "vars currentEpoch " + std::to_string(conf.current_epoch) + " lastVoteEpoch " +
         std::to_string(conf.last_vote_epoch) + "\n";
  return out;
}

}  // namespace shardkit::loader
