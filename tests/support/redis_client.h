// RedisClient: a small synchronous hiredis (0.14, RESP2) connection for tests, plus the
// reply value it returns.
//
// A RedisReply is a plain copy of a hiredis reply (nil, integer, string,
// array, error, status), so it outlives the connection. Command() sends one
// command and waits for its reply; Append()/GetReply() pipeline many commands
// (send everything, then read the replies in order) for bulk fills and scans.
//
// Threading: one thread at a time. Not copyable; movable.
// Errors: a connection or protocol failure comes back as kIoError naming the
// endpoint and the command; after one the client stays failed. A Redis error
// reply is NOT a Status error: it is a RedisReply of kind kError.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct redisContext;

namespace shardkit::testing {

struct RedisReply {
  enum class Kind { kNil, kInteger, kString, kArray, kError, kStatus, kOther };
  Kind kind = Kind::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kError, kStatus
  std::vector<RedisReply> elements;

  bool is_error() const { return kind == Kind::kError; }
  bool is_nil() const { return kind == Kind::kNil; }
  bool IsStatus(std::string_view s) const { return kind == Kind::kStatus && str == s; }
  // Readable rendering for failure messages: 5, "abc", (nil), [a, b], ERR ...
  std::string ToString() const;
};

class RedisClient {
 public:
  // Connects to host:port within `timeout_ms` (also the read/write timeout).
  static Result<std::unique_ptr<RedisClient>> Connect(const std::string& host, int port,
                                                      int timeout_ms = 60'000);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (binary-safe arguments) and returns its reply.
  Result<RedisReply> Command(const std::vector<std::string>& args);
  // Pipelining: Append() buffers a command; GetReply() flushes and reads the
  // reply of the oldest command not yet read.
  Status Append(const std::vector<std::string>& args);
  Result<RedisReply> GetReply();
  // Reads the replies of `count` appended commands and fails on the first
  // error reply (the message names it). For bulk fills.
  Status DrainReplies(size_t count);

  const std::string& endpoint() const { return endpoint_; }

 private:
  RedisClient(redisContext* context, std::string endpoint);
  Status ContextError(std::string_view what) const;

  redisContext* context_;
  std::string endpoint_;
};

}  // namespace shardkit::testing
