#include "net/info_fields.h"

namespace shardkit::net {

InfoFields ParseInfoFields(std::string_view text) {
  InfoFields out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
  return out;
}

std::string InfoField(const InfoFields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

}  // namespace shardkit::net
