#include "net/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>

namespace shardkit::net {
namespace {

timeval Millis(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

RedisValue Convert(const redisReply* r) {
  RedisValue out;
  switch (r->type) {
    case REDIS_REPLY_NIL:
      out.kind = RedisValue::Kind::kNil;
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisValue::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = RedisValue::Kind::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisValue::Kind::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = RedisValue::Kind::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisValue::Kind::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.kind = RedisValue::Kind::kOther;
      break;
  }
  return out;
}

}  // namespace

RedisConnection::RedisConnection(redisContext* context, std::string name)
    : context_(context), name_(std::move(name)) {}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const std::string& host,
                                                                  int port,
                                                                  const std::string& name,
                                                                  const ConnectOptions& options) {
  return Open(redisConnectWithTimeout(host.c_str(), port, Millis(options.connect_timeout_ms)), name,
              options);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::ConnectUnix(
    const std::string& socket_path, const std::string& name, const ConnectOptions& options) {
  return Open(redisConnectUnixWithTimeout(socket_path.c_str(), Millis(options.connect_timeout_ms)),
              name, options);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(redisContext* c,
                                                               const std::string& name,
                                                               const ConnectOptions& options) {
  if (c == nullptr) return Status::ResourceExhausted(name + ": cannot allocate a connection");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return Status::IoError(name + ": cannot connect within " +
                           std::to_string(options.connect_timeout_ms) + " ms: " + why);
  }
  if (redisSetTimeout(c, Millis(options.command_timeout_ms)) != REDIS_OK) {
    redisFree(c);
    return Status::IoError(name + ": cannot set the command timeout");
  }
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c, name));
  if (!options.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options.user.empty()) auth.push_back(options.user);
    auth.push_back(options.password);
    SK_ASSIGN_OR_RETURN(RedisValue r, conn->Command(auth));
    if (r.is_error()) {
      return Status::InvalidArgument(name + ": authentication failed" +
                                     (options.user.empty() ? "" : " as user \"" + options.user + "\"") +
                                     ": " + r.str);
    }
  }
  SK_ASSIGN_OR_RETURN(RedisValue pong, conn->Command({"PING"}));
  if (pong.IsErrorCode("NOAUTH")) {
    return Status::InvalidArgument(name + ": the node requires a password (--password or "
                                   "REDISCLI_AUTH): " + pong.str);
  }
  if (pong.is_error() && !pong.IsErrorCode("LOADING")) {
    return Status::InvalidArgument(name + ": PING: " + pong.str);
  }
  return conn;
}

Status RedisConnection::Failure(const std::string& what) const {
  const bool timeout = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  return Status::IoError(name_ + ": " + what + ": " +
                         (timeout ? std::string("no reply within the command timeout")
                                  : std::string(context_->errstr)));
}

Result<RedisValue> RedisConnection::Command(const std::vector<std::string>& args) {
  if (context_->err != 0) return Failure("connection already failed");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (reply == nullptr) return Failure(args.empty() ? "(empty command)" : args[0]);
  RedisValue v = Convert(reply);
  freeReplyObject(reply);
  return v;
}

Status RedisConnection::Append(const std::vector<std::string>& args) {
  if (context_->err != 0) return Failure("connection already failed");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(),
                             lens.data()) != REDIS_OK) {
    return Failure(args.empty() ? "(empty command)" : args[0]);
  }
  return Status();
}

Result<RedisValue> RedisConnection::ReadReply() {
  if (context_->err != 0) return Failure("connection already failed");
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return Failure("reading a pipelined reply");
  }
  auto* reply = static_cast<redisReply*>(raw);
  RedisValue v = Convert(reply);
  freeReplyObject(reply);
  return v;
}

Result<RedisValue> RedisConnection::CommandOk(const std::vector<std::string>& args) {
  SK_ASSIGN_OR_RETURN(RedisValue v, Command(args));
  if (v.is_error()) {
    std::string cmd;
    for (size_t i = 0; i < args.size() && i < 3; ++i) cmd += (i ? " " : "") + args[i];
    return Status::InvalidArgument(name_ + ": " + cmd + ": " + v.str);
  }
  return v;
}

}  // namespace shardkit::net
