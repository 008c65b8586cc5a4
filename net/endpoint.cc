#include "net/endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <charconv>

namespace shardkit::net {
namespace {

Result<int> ParsePort(std::string_view text, std::string_view whole, const char* what) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 1 || v > 65535) {
    return Status::InvalidArgument("endpoint \"" + std::string(whole) + "\": " + what + " \"" +
                                   std::string(text) + "\" is not a number in 1..65535");
  }
  return v;
}

// A host name per RFC 1123: letters, digits, '-' and '.', not empty.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::HostPort() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool IsIpAddress(std::string_view host) {
  const std::string h(host);
  in6_addr buf{};
  return inet_pton(AF_INET, h.c_str(), &buf) == 1 || inet_pton(AF_INET6, h.c_str(), &buf) == 1;
}

Result<Endpoint> ParseEndpoint(std::string_view text) {
  std::string_view rest = text;
  Endpoint e;
  const size_t at = rest.find('@');
  std::string_view bus;
  if (at != std::string_view::npos) {
    bus = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("endpoint \"" + std::string(text) +
                                   "\": expected host:port[@busport]");
  }
  std::string_view host = rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  e.host = std::string(host);
  if (!IsIpAddress(e.host) && !IsHostName(e.host)) {
    return Status::InvalidArgument("endpoint \"" + std::string(text) + "\": host \"" + e.host +
                                   "\" is neither an IP address nor a host name");
  }
  SK_ASSIGN_OR_RETURN(e.port, ParsePort(rest.substr(colon + 1), text, "port"));
  if (at != std::string_view::npos) {
    SK_ASSIGN_OR_RETURN(e.bus_port, ParsePort(bus, text, "bus port"));
  } else {
    if (e.port + 10000 > 65535) {
      return Status::InvalidArgument("endpoint \"" + std::string(text) +
                                     "\": port + 10000 (the default cluster bus port) is past "
                                     "65535; give the bus port as host:port@busport");
    }
    e.bus_port = e.port + 10000;
  }
  return e;
}

Result<std::string> ResolveEndpointHost(const std::string& host) {
  if (IsIpAddress(host)) return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    return Status::NotFound("host \"" + host + "\" does not resolve: " + gai_strerror(rc));
  }
  std::string v4, v6;
  for (addrinfo* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (p->ai_family == AF_INET && v4.empty()) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, buf, sizeof(buf));
      v4 = buf;
    } else if (p->ai_family == AF_INET6 && v6.empty()) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, buf,
                sizeof(buf));
      v6 = buf;
    }
  }
  freeaddrinfo(res);
  if (!v4.empty()) return v4;
  if (!v6.empty()) return v6;
  return Status::NotFound("host \"" + host + "\" has no IPv4 or IPv6 address");
}

}  // namespace shardkit::net
