// Status and Result<T>: the one error type of the shardkit engine.
//
// A Status is a code plus a message that carries everything an operator needs
// (file, operation, byte offset, errno text; for formats the key and what was
// expected). OK costs one null pointer. Result<T> holds either a value or a
// non-OK Status. Both are [[nodiscard]]. The engine never throws; tools/ maps
// codes to exit codes in one table (tools/exit_codes.h, printed in SPEC.md).
//
// Threading: values; safe to move between threads, not to share mutably.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shardkit {

enum class StatusCode : int {
  kOk = 0,
  kIoError,            // a system call failed (errno text in the message)
  kCorruption,         // input bytes violate the format
  kNotFound,           // a named file or object does not exist
  kInvalidArgument,    // caller or user gave a bad argument
  kNotSupported,       // valid input we refuse (e.g. an RDB version newer than we read)
  kResourceExhausted,  // ENOSPC, memory or size limits
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) {
    return Status(StatusCode::kCorruption, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotSupported(std::string msg) {
    return Status(StatusCode::kNotSupported, std::move(msg));
  }
  static Status ResourceExhausted(std::string msg) {
    return Status(StatusCode::kResourceExhausted, std::move(msg));
  }
  // Builds the Status for a failed system call. The only place errno becomes
  // a Status: ENOENT -> kNotFound, ENOSPC/EDQUOT -> kResourceExhausted,
  // everything else -> kIoError. Message: "<operation> <path>: <strerror>".
  static Status FromErrno(int errno_value, std::string_view operation, std::string_view path);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  // The message without the code name; empty when OK.
  std::string_view message() const { return state_ ? std::string_view(state_->message) : ""; }
  // errno of a FromErrno status, else 0.
  int errno_value() const { return state_ ? state_->errno_value : 0; }
  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (same code, errno).
  Status WithPrefix(std::string_view prefix) const;

  bool IsCorruption() const { return code() == StatusCode::kCorruption; }
  bool IsIoError() const { return code() == StatusCode::kIoError; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsNotSupported() const { return code() == StatusCode::kNotSupported; }

 private:
  struct State {
    StatusCode code;
    int errno_value;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

// Result<T>: a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  Status take_status() && { return ok() ? Status() : std::move(std::get<1>(v_)); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline Status AsStatus(Status&& s) { return std::move(s); }
inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(Result<T>&& r) {
  return std::move(r).take_status();
}
}  // namespace internal

}  // namespace shardkit

#define SK_CONCAT_INNER_(a, b) a##b
#define SK_CONCAT_(a, b) SK_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (a Status or Result) is not OK.
// The local's name is unique per expansion, so nesting never shadows.
#define SK_RETURN_IF_ERROR(expr) SK_RETURN_IF_ERROR_IMPL_(SK_CONCAT_(sk_status_, __COUNTER__), expr)
#define SK_RETURN_IF_ERROR_IMPL_(var, expr)                       \
  do {                                                            \
    ::shardkit::Status var = ::shardkit::internal::AsStatus(expr); \
    if (!var.ok()) return var;                                    \
  } while (0)

// `lhs = value of expr` or return its Status. lhs may declare: `auto x`.
#define SK_ASSIGN_OR_RETURN(lhs, expr) \
  SK_ASSIGN_OR_RETURN_IMPL_(SK_CONCAT_(sk_result_, __COUNTER__), lhs, expr)
#define SK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).take_status(); \
  lhs = std::move(tmp).value()
