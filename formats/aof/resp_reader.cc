#include "formats/aof/resp_reader.h"

#include <algorithm>
#include <cstdio>

namespace shardkit::formats::aof {
namespace {

// "'x' (0x78)" or "0x0a" for a non-printable byte.
std::string DescribeByte(uint8_t b) {
  char buf[32];
  if (b >= 0x20 && b < 0x7f) {
    std::snprintf(buf, sizeof(buf), "'%c' (0x%02x)", static_cast<char>(b), b);
  } else {
    std::snprintf(buf, sizeof(buf), "0x%02x", b);
  }
  return buf;
}

// A digit count beyond which no uint64 fits; lines longer than this are
// garbage even before the limit check.
constexpr int kMaxDigits = 20;

}  // namespace

std::string_view RespFailureKindName(RespFailureKind kind) {
  switch (kind) {
    case RespFailureKind::kNone:
      return "none";
    case RespFailureKind::kTruncated:
      return "truncated";
    case RespFailureKind::kGarbage:
      return "garbage";
    case RespFailureKind::kIoError:
      return "io-error";
  }
  return "unknown";
}

int64_t ParseTimestampAnnotation(std::string_view annotation) {
  if (annotation.size() <= 3 || annotation.substr(0, 3) != "TS:") return -1;
  std::string_view digits = annotation.substr(3);
  if (digits.size() > 18) return -1;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

RespReader::RespReader(ByteReader* in, RespLimits limits)
    : in_(in), limits_(limits), ok_up_to_(in->offset()) {
  if (auto left = in->remaining(); left.has_value()) end_offset_ = in->offset() + *left;
}

std::optional<uint64_t> RespReader::Remaining() const {
  if (!end_offset_.has_value()) return std::nullopt;
  return *end_offset_ > in_->offset() ? *end_offset_ - in_->offset() : 0;
}

Status RespReader::Fail(RespFailureKind kind, uint64_t offset, std::string what) {
  failure_.kind = kind;
  failure_.error_offset = offset;
  failure_.item_offset = item_offset_;
  failure_.ok_up_to = ok_up_to_;
  failure_.commands_before = commands_;
  what += " (" + std::string(RespFailureKindName(kind)) + "; last complete item ends at offset " +
          std::to_string(ok_up_to_) + ", after " + std::to_string(commands_) + " commands)";
  error_ = in_->CorruptionAt(offset, what);
  return error_;
}

Status RespReader::FailFromRead(const Status& read_status, std::string_view while_doing) {
  if (!read_status.IsCorruption()) {
    failure_.kind = RespFailureKind::kIoError;
    failure_.error_offset = in_->offset();
    failure_.item_offset = item_offset_;
    failure_.ok_up_to = ok_up_to_;
    failure_.commands_before = commands_;
    error_ = read_status;
    return error_;
  }
  // ByteReader reports only the end of the stream as corruption.
  return Fail(RespFailureKind::kTruncated, in_->offset(),
              "unexpected end of file " + std::string(while_doing));
}

Result<RespItem> RespReader::Next() {
  if (!error_.ok()) return error_;
  item_offset_ = in_->offset();
  auto at_end = in_->AtEnd();
  if (!at_end.ok()) return FailFromRead(at_end.status(), "at item start");
  if (*at_end) {
    RespItem end;
    end.offset = end.end_offset = item_offset_;
    return end;
  }
  auto first = in_->ReadByte();
  if (!first.ok()) return FailFromRead(first.status(), "at item start");
  if (*first == '*') return ReadCommand(item_offset_);
  if (*first == '#') return ReadAnnotation(item_offset_);
  return Fail(RespFailureKind::kGarbage, item_offset_,
              "expected '*' (command) or '#' (annotation), got " + DescribeByte(*first));
}

// Parses "<digits>\r\n" at the start of `h`; the bytes used, or 0.
static size_t ParseNumberLine(std::string_view h, uint64_t max, uint64_t* value) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < h.size() && h[i] >= '0' && h[i] <= '9'; ++i) {
    if (i >= 18) return 0;  // long numbers take the checked path
    v = v * 10 + static_cast<uint64_t>(h[i] - '0');
  }
  if (i == 0 || i + 1 >= h.size() || h[i] != '\r' || h[i + 1] != '\n' || v > max) return 0;
  *value = v;
  return i + 2;
}

bool RespReader::TryReadNumberLineFast(uint64_t max, uint64_t* value) {
  // Common case: the whole line is in the reader's current window.
  if (const size_t used = ParseNumberLine(AsChars(in_->Buffered()), max, value); used != 0) {
    in_->Consume(used);
    return true;
  }
  std::optional<uint64_t> rem = Remaining();
  if (!rem.has_value() || *rem < 3) return false;
  auto head = in_->Peek(static_cast<size_t>(std::min<uint64_t>(*rem, 24)));
  if (!head.ok()) return false;
  const size_t used = ParseNumberLine(AsChars(*head), max, value);
  if (used == 0) return false;
  return in_->Read(used).ok();
}

bool RespReader::TryReadBulkFast(uint64_t index) {
  constexpr uint64_t kFastBulkMax = 64 << 10;
  // Common case: the whole argument is in the reader's current window:
  // parse it in place, no Peek/Fill (those were ~27% of parse + route).
  if (std::string_view w = AsChars(in_->Buffered()); w.size() >= 5 && w[0] == '$') {
    uint64_t len = 0;
    const size_t used = ParseNumberLine(w.substr(1), limits_.max_bulk_bytes, &len);
    if (used != 0 && len <= w.size() && 1 + used + len + 2 <= w.size()) {
      const size_t total = static_cast<size_t>(1 + used + len + 2);
      if (w[total - 2] != '\r' || w[total - 1] != '\n') return false;
      if (index == args_.size()) args_.emplace_back();
      args_[index].assign(w.data() + 1 + used, static_cast<size_t>(len));
      in_->Consume(total);
      return true;
    }
  }
  std::optional<uint64_t> rem = Remaining();
  if (!rem.has_value() || *rem < 5) return false;
  auto head = in_->Peek(static_cast<size_t>(std::min<uint64_t>(*rem, 24)));
  if (!head.ok() || (*head)[0] != std::byte{'$'}) return false;
  uint64_t len = 0;
  const size_t used = ParseNumberLine(AsChars(*head).substr(1), limits_.max_bulk_bytes, &len);
  if (used == 0) return false;
  const uint64_t total = 1 + used + len + 2;
  if (total > kFastBulkMax || total > *rem) return false;
  auto all = in_->Peek(static_cast<size_t>(total));
  if (!all.ok()) return false;
  std::string_view b = AsChars(*all);
  if (b[total - 2] != '\r' || b[total - 1] != '\n') return false;
  if (index == args_.size()) args_.emplace_back();
  args_[index].assign(b.data() + 1 + used, static_cast<size_t>(len));
  return in_->Read(static_cast<size_t>(total)).ok();
}

Status RespReader::ReadNumberLine(char prefix, uint64_t max, std::string_view what,
                                  uint64_t* value) {
  if (TryReadNumberLineFast(max, value)) return Status();
  uint64_t v = 0;
  int digits = 0;
  for (;;) {
    const uint64_t at = in_->offset();
    auto b = in_->ReadByte();
    if (!b.ok()) return FailFromRead(b.status(), "in " + std::string(what));
    if (*b >= '0' && *b <= '9') {
      if (++digits > kMaxDigits) {
        return Fail(RespFailureKind::kGarbage, at, std::string(what) + " has too many digits");
      }
      uint64_t d = *b - '0';
      if (d > max || v > (max - d) / 10) {
        return Fail(RespFailureKind::kGarbage, at,
                    std::string(what) + " exceeds the limit " + std::to_string(max));
      }
      v = v * 10 + d;
      continue;
    }
    if (*b == '\r' && digits > 0) break;
    return Fail(RespFailureKind::kGarbage, at,
                "expected a digit" + std::string(digits > 0 ? " or \\r" : "") + " in " +
                    std::string(what) + " after '" + std::string(1, prefix) + "', got " +
                    DescribeByte(*b));
  }
  const uint64_t at = in_->offset();
  auto lf = in_->ReadByte();
  if (!lf.ok()) return FailFromRead(lf.status(), "in " + std::string(what));
  if (*lf != '\n') {
    return Fail(RespFailureKind::kGarbage, at,
                "expected \\n after \\r in " + std::string(what) + ", got " + DescribeByte(*lf));
  }
  *value = v;
  return Status();
}

Status RespReader::ExpectCrlf(std::string_view after) {
  char got[8];
  const uint64_t at = in_->offset();
  auto cr = in_->ReadByte();
  if (!cr.ok()) return FailFromRead(cr.status(), "expecting \\r\\n after " + std::string(after));
  if (*cr != '\r') {
    std::snprintf(got, sizeof(got), "%02x", *cr);
    return Fail(RespFailureKind::kGarbage, at,
                "expected \\r\\n after " + std::string(after) + ", got: " + got);
  }
  auto lf = in_->ReadByte();
  if (!lf.ok()) return FailFromRead(lf.status(), "expecting \\r\\n after " + std::string(after));
  if (*lf != '\n') {
    std::snprintf(got, sizeof(got), "0d%02x", *lf);
    return Fail(RespFailureKind::kGarbage, at,
                "expected \\r\\n after " + std::string(after) + ", got: " + got);
  }
  return Status();
}

Status RespReader::ReadBulk(uint64_t index, uint64_t argc) {
  if (TryReadBulkFast(index)) return Status();
  const std::string where = "argument " + std::to_string(index + 1) + " of " + std::to_string(argc);
  const uint64_t at = in_->offset();
  auto prefix = in_->ReadByte();
  if (!prefix.ok()) return FailFromRead(prefix.status(), "at the start of " + where);
  if (*prefix != '$') {
    return Fail(RespFailureKind::kGarbage, at,
                "expected '$' at the start of " + where + ", got " + DescribeByte(*prefix));
  }
  uint64_t len = 0;
  SK_RETURN_IF_ERROR(ReadNumberLine('$', limits_.max_bulk_bytes, "bulk length of " + where, &len));
  if (index == args_.size()) args_.emplace_back();
  std::string& arg = args_[index];
  arg.clear();
  // Checked before reading: a length past the end of a sized source is a torn
  // tail; report it without copying the bytes that are there.
  if (auto size = in_->source_size(); size.has_value()) {
    const uint64_t left = *size >= in_->offset() ? *size - in_->offset() : 0;
    if (len > left) {
      return Fail(RespFailureKind::kTruncated, *size,
                  "unexpected end of file in " + where + ": bulk of " + std::to_string(len) +
                      " bytes, only " + std::to_string(left) + " left");
    }
  }
  // ReadAppend grows the string chunk by chunk with the bytes present.
  Status read = in_->ReadAppend(&arg, len);
  if (!read.ok()) {
    return FailFromRead(read, "in " + where + " (bulk of " + std::to_string(len) + " bytes)");
  }
  return ExpectCrlf("the " + std::to_string(len) + "-byte bulk of " + where);
}

Result<RespItem> RespReader::ReadCommand(uint64_t start) {
  uint64_t argc = 0;
  SK_RETURN_IF_ERROR(ReadNumberLine('*', limits_.max_args, "argument count", &argc));
  if (argc == 0) {
    return Fail(RespFailureKind::kGarbage, start, "command with 0 arguments");
  }
  for (uint64_t i = 0; i < argc; ++i) {
    SK_RETURN_IF_ERROR(ReadBulk(i, argc));
  }
  ++commands_;
  ok_up_to_ = in_->offset();
  RespItem item;
  item.kind = RespItemKind::kCommand;
  item.offset = start;
  item.end_offset = ok_up_to_;
  item.args = std::span<const std::string>(args_.data(), static_cast<size_t>(argc));
  return item;
}

std::string RespReader::AnnotationTooLong() const {
  return "annotation line longer than " + std::to_string(limits_.max_annotation_bytes) + " bytes";
}

Result<RespItem> RespReader::ReadAnnotation(uint64_t start) {
  annotation_.clear();
  for (;;) {
    const uint64_t at = in_->offset();
    auto b = in_->ReadByte();
    if (!b.ok()) return FailFromRead(b.status(), "in an annotation line");
    if (*b == '\n') break;
    // One byte of slack for the '\r' of the line end.
    if (annotation_.size() > limits_.max_annotation_bytes) {
      return Fail(RespFailureKind::kGarbage, at, AnnotationTooLong());
    }
    annotation_.push_back(static_cast<char>(*b));
  }
  if (!annotation_.empty() && annotation_.back() == '\r') annotation_.pop_back();
  if (annotation_.size() > limits_.max_annotation_bytes) {
    return Fail(RespFailureKind::kGarbage, start + 1 + limits_.max_annotation_bytes,
                AnnotationTooLong());
  }
  ok_up_to_ = in_->offset();
  RespItem item;
  item.kind = RespItemKind::kAnnotation;
  item.offset = start;
  item.end_offset = ok_up_to_;
  item.annotation = annotation_;
  item.timestamp = ParseTimestampAnnotation(annotation_);
  return item;
}

}  // namespace shardkit::formats::aof
