#include "tests/support/redis_client.h"

#include <hiredis/hiredis.h>

#include <sys/time.h>

namespace shardkit::testing {
namespace {

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_NIL:
      out.kind = RedisReply::Kind::kNil;
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::Kind::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::kOther;
      break;
  }
  return out;
}

std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string CommandName(const std::vector<std::string>& args) {
  return args.empty() ? std::string("(empty)") : Printable(args[0]);
}

}  // namespace

std::string RedisReply::ToString() const {
  switch (kind) {
    case Kind::kNil:
      return "(nil)";
    case Kind::kInteger:
      return std::to_string(integer);
    case Kind::kString:
      return "\"" + Printable(str) + "\"";
    case Kind::kError:
      return "(error) " + str;
    case Kind::kStatus:
      return str;
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

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const std::string& host, int port,
                                                          int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, tv);
  std::string endpoint = host + ":" + std::to_string(port);
  if (c == nullptr) return Status::IoError("connect " + endpoint + ": out of memory");
  if (c->err != 0) {
    std::string msg = "connect " + endpoint + ": " + c->errstr;
    redisFree(c);
    return Status::IoError(msg);
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    redisFree(c);
    return Status::IoError("set timeout on " + endpoint);
  }
  return std::unique_ptr<RedisClient>(new RedisClient(c, std::move(endpoint)));
}

RedisClient::RedisClient(redisContext* context, std::string endpoint)
    : context_(context), endpoint_(std::move(endpoint)) {}

RedisClient::~RedisClient() { redisFree(context_); }

Status RedisClient::ContextError(std::string_view what) const {
  return Status::IoError(std::string(what) + " on " + endpoint_ + ": " +
                         (context_->err != 0 ? context_->errstr : "no reply"));
}

Status RedisClient::Append(const std::vector<std::string>& args) {
  if (context_->err != 0) return ContextError("append " + CommandName(args));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    return ContextError("append " + CommandName(args));
  }
  return Status::Ok();
}

Result<RedisReply> RedisClient::GetReply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return ContextError("read reply");
  }
  RedisReply out = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  SK_RETURN_IF_ERROR(Append(args));
  Result<RedisReply> reply = GetReply();
  if (!reply.ok()) return reply.status().WithPrefix(CommandName(args));
  return reply;
}

Status RedisClient::DrainReplies(size_t count) {
  Status first_error;
  for (size_t i = 0; i < count; ++i) {
    SK_ASSIGN_OR_RETURN(RedisReply r, GetReply());
    if (r.is_error() && first_error.ok()) {
      first_error = Status::InvalidArgument("reply " + std::to_string(i) + " of pipeline on " +
                                            endpoint_ + ": " + r.str);
    }
  }
  return first_error;
}

}  // namespace shardkit::testing
