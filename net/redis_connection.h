// RedisConnection: one synchronous RESP2 connection to a redis-server (via
// hiredis), for shardkit's commands that talk to live nodes (check, join).
//
// Every wait is bounded: connecting by options.connect_timeout_ms, every
// command's send and reply by options.command_timeout_ms (a node that stops
// answering is an error, never a hang). Connect() authenticates when a
// password is given (AUTH <user> <password>, or AUTH <password> without a
// user, as redis-cli does) and checks the node answers PING.
//
// Every error names the node as `name` says (e.g. "node 3 (10.0.0.7:6379)").
// Errors: kIoError for a refused/timed-out connection or a broken one (after
// which the connection stays failed), kInvalidArgument for an AUTH refusal
// (wrong password, or NOAUTH: the node wants a password and none was given).
// A Redis error reply to Command() is NOT a Status error: it comes back as a
// RedisValue of kind kError (LOADING, for example, is for the caller).
// Threading: one thread at a time. Not copyable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/redis_value.h"

struct redisContext;

namespace shardkit::net {

struct ConnectOptions {
  int connect_timeout_ms = 5'000;
  int command_timeout_ms = 10'000;
  std::string user;      // empty: AUTH <password> (the default user)
  std::string password;  // empty: no AUTH
};

class RedisConnection {
 public:
  // `host` is an address or a host name; `name` labels the node in errors.
  static Result<std::unique_ptr<RedisConnection>> Connect(const std::string& host, int port,
                                                          const std::string& name,
                                                          const ConnectOptions& options);
  // The same over a unix socket (a server shardkit started itself, such as
  // check's replay server); `socket_path` must name the server's socket.
  static Result<std::unique_ptr<RedisConnection>> ConnectUnix(const std::string& socket_path,
                                                              const std::string& name,
                                                              const ConnectOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command (binary-safe arguments) and waits for its reply.
  Result<RedisValue> Command(const std::vector<std::string>& args);
  // Command() whose error reply becomes kInvalidArgument naming the node and
  // the command.
  Result<RedisValue> CommandOk(const std::vector<std::string>& args);

  // Pipelining: Append() queues a command without waiting for its reply
  // (it is sent with the next ReadReply(), or Command(), which must not be
  // called while replies are pending); ReadReply() returns the queued
  // commands' replies in order. The caller bounds how much it queues: every
  // queued command stays in memory until sent.
  Status Append(const std::vector<std::string>& args);
  Result<RedisValue> ReadReply();

  const std::string& name() const { return name_; }

 private:
  RedisConnection(redisContext* context, std::string name);
  // Takes `context` (freed on every path): checks it, sets the command
  // timeout, authenticates and PINGs.
  static Result<std::unique_ptr<RedisConnection>> Open(redisContext* context,
                                                       const std::string& name,
                                                       const ConnectOptions& options);
  Status Failure(const std::string& what) const;

  redisContext* context_;
  std::string name_;
};

}  // namespace shardkit::net
