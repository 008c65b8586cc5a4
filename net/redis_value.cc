#include "net/redis_value.h"

namespace shardkit::net {
namespace {

std::string Printable(std::string_view s, size_t max_bytes = 200) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > max_bytes) out += "...";
  return out;
}

}  // namespace

bool RedisValue::IsErrorCode(std::string_view prefix) const {
  if (kind != Kind::kError || str.size() < prefix.size()) return false;
  if (str.compare(0, prefix.size(), prefix) != 0) return false;
  return str.size() == prefix.size() || str[prefix.size()] == ' ';
}

std::string RedisValue::ToString() const {
  switch (kind) {
    case Kind::kNil:
      return "(nil)";
    case Kind::kInteger:
      return std::to_string(integer);
    case Kind::kString:
      return "\"" + Printable(str) + "\"";
    case Kind::kError:
      return "(error) " + Printable(str);
    case Kind::kStatus:
      return Printable(str);
    case Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].ToString();
      }
      return out + "]";
    }
    case Kind::kOther:
      break;
  }
  return "(unknown reply)";
}

}  // namespace shardkit::net
