#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace shardkit {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kIoError:
      return "IoError";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotSupported:
      return "NotSupported";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string message) {
  assert(code != StatusCode::kOk);
  state_ = std::make_unique<State>(State{code, 0, std::move(message)});
}

Status Status::FromErrno(int errno_value, std::string_view operation, std::string_view path) {
  StatusCode code = StatusCode::kIoError;
  switch (errno_value) {
    case ENOENT:
      code = StatusCode::kNotFound;
      break;
    case ENOSPC:
    case EDQUOT:
      code = StatusCode::kResourceExhausted;
      break;
    default:
      code = StatusCode::kIoError;
      break;
  }
  std::string msg;
  msg.reserve(operation.size() + path.size() + 48);
  msg.append(operation).append(" ").append(path).append(": ").append(std::strerror(errno_value));
  Status s(code, std::move(msg));
  s.state_->errno_value = errno_value;
  return s;
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  }
  return *this;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(state_->code));
  out.append(": ").append(state_->message);
  return out;
}

Status Status::WithPrefix(std::string_view prefix) const {
  if (ok()) return Status();
  Status s(state_->code, std::string(prefix) + ": " + state_->message);
  s.state_->errno_value = state_->errno_value;
  return s;
}

}  // namespace shardkit
