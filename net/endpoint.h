// Endpoint: where a node listens, as plan.json and --endpoints spell it:
// "host:port" or "host:port@busport" (host: an IPv4 address, a bracketed or
// bare IPv6 address, or a host name). The cluster bus port defaults to
// port + 10000, as Redis does.
// ResolveEndpointHost turns a host name into an address now (getaddrinfo;
// an address is returned as is), for `join`, which must tell nodes where
// their peers are today.
// Value types and pure functions; ResolveEndpointHost may block on DNS for
// as long as the system resolver's own timeout (resolv.conf).
// Errors: kInvalidArgument naming the text and what is wrong; kNotFound when
// a host name does not resolve (naming it and the resolver's reason).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace shardkit::net {

struct Endpoint {
  std::string host;  // as written, without brackets
  int port = 0;
  int bus_port = 0;  // port + 10000 unless given

  // "host:port" ("[v6]:port" for an IPv6 address).
  std::string HostPort() const;
};

Result<Endpoint> ParseEndpoint(std::string_view text);
// True when `host` is a numeric IPv4 or IPv6 address.
bool IsIpAddress(std::string_view host);
// `host` if it is an address, else its first IPv4 (then IPv6) address.
Result<std::string> ResolveEndpointHost(const std::string& host);

}  // namespace shardkit::net
