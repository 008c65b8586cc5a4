// RedisValue: one RESP2 reply as a plain value (nil, integer, bulk string,
// array, error, status), copied out of hiredis so it outlives the connection.
// A Redis error reply is a RedisValue of kind kError, not a Status: the
// caller decides what an error reply means (LOADING, NOAUTH, ...).
// A value type; no threading concerns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shardkit::net {

struct RedisValue {
  enum class Kind { kNil, kInteger, kString, kArray, kError, kStatus, kOther };
  Kind kind = Kind::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kError, kStatus
  std::vector<RedisValue> elements;

  bool is_error() const { return kind == Kind::kError; }
  bool is_nil() const { return kind == Kind::kNil; }
  // An error reply whose first word is `prefix` ("LOADING", "NOAUTH", ...).
  bool IsErrorCode(std::string_view prefix) const;
  // Readable rendering for messages: 5, "abc", (nil), [a, b], (error) ERR ...
  std::string ToString() const;
};

}  // namespace shardkit::net
