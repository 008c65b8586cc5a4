// InfoFields: the `field:value` lines of an INFO or CLUSTER INFO reply.
// A value type; no threading concerns.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace shardkit::net {

using InfoFields = std::map<std::string, std::string, std::less<>>;

// Lines without ':' and "# Section" headers are skipped; "\r" is dropped.
InfoFields ParseInfoFields(std::string_view text);
// The field's value, or "" when absent.
std::string InfoField(const InfoFields& fields, std::string_view name);

}  // namespace shardkit::net
