#include "formats/aof/aof_reader.h"

#include <strings.h>

namespace shardkit::formats::aof {
namespace {

bool NameIs(const std::string& arg, const char* name) { return strcasecmp(arg.c_str(), name) == 0; }

struct BufferedCommand {
  std::vector<std::string> args;
  uint64_t offset = 0;
  uint64_t end_offset = 0;
};

}  // namespace

bool LooksLikeRdb(std::string_view head) {
  return head.substr(0, 5) == "REDIS" || head.substr(0, 6) == "VALKEY";
}

Result<uint64_t> DefaultRdbPartReader::ReadRdbPart(ByteReader* in) {
  rdb::RdbReader reader(in, options_);
  SK_ASSIGN_OR_RETURN(rdb::RdbSummary summary, reader.Read(visitor_));
  return summary.keys;
}

// Reads one file. Phases: optional RDB part, then RESP items until the end;
// MULTI..EXEC blocks are buffered and delivered at EXEC. Every complete
// command outside a transaction (and every annotation there) moves the safe
// cut point forward.
class AofReader::FileState {
 public:
  FileState(AofReader* owner, ChunkSource* source, AofFileSummary* summary, bool is_last)
      : owner_(owner), in_(source), summary_(summary), is_last_(is_last) {}

  Status Run() {
    SK_RETURN_IF_ERROR(MaybeReadRdbPart());
    RespReader resp(&in_, owner_->options_.limits);
    summary_->resp_offset = summary_->safe_end = in_.offset();
    for (;;) {
      auto item = resp.Next();
      if (!item.ok()) return OnRespFailure(resp, item.status());
      if (item->kind == RespItemKind::kEnd) break;
      if (item->kind == RespItemKind::kAnnotation) {
        SK_RETURN_IF_ERROR(OnAnnotation(*item));
      } else {
        SK_RETURN_IF_ERROR(OnCommand(*item));
      }
    }
    summary_->bytes = in_.offset();
    if (in_multi_) return OnOpenTransactionAtEnd();
    return Status();
  }

 private:
  Status MaybeReadRdbPart() {
    SK_ASSIGN_OR_RETURN(bool empty, in_.AtEnd());
    if (empty) return Status();
    SK_ASSIGN_OR_RETURN(ByteSpan first, in_.Peek(1));
    const char c = static_cast<char>(first[0]);
    if (c != 'R' && c != 'V') return Status();  // RESP (or garbage RESP reports)
    auto head = in_.Peek(c == 'R' ? 5 : 6);
    if (!head.ok() || !LooksLikeRdb(AsChars(*head))) return Status();
    summary_->rdb_preamble = true;
    RdbPartReader* part = owner_->options_.rdb_part_reader != nullptr
                              ? owner_->options_.rdb_part_reader
                              : &owner_->default_rdb_;
    auto keys = part->ReadRdbPart(&in_);
    if (!keys.ok()) {
      summary_->failure.kind = RespFailureKind::kGarbage;
      summary_->failure.error_offset = in_.offset();
      return keys.status().WithPrefix("RDB part of AOF " + summary_->name);
    }
    summary_->rdb_keys = *keys;
    return Status();
  }

  Status OnAnnotation(const RespItem& item) {
    ++summary_->annotations;
    if (item.timestamp >= 0) {
      if (summary_->first_timestamp < 0) summary_->first_timestamp = item.timestamp;
      summary_->last_timestamp = item.timestamp;
    }
    if (!in_multi_) MarkSafe(item.end_offset);
    return owner_->visitor_->OnAnnotation(summary_->name, item.offset, item.timestamp);
  }

  Status OnCommand(const RespItem& item) {
    ++summary_->commands;
    const std::string& name = item.args[0];
    if (NameIs(name, "multi")) {
      if (in_multi_) return FormatError(item.offset, "MULTI inside an open transaction");
      in_multi_ = true;
      multi_offset_ = item.offset;
      return Buffer(item);
    }
    if (NameIs(name, "exec")) {
      if (!in_multi_) return FormatError(item.offset, "EXEC without MULTI");
      SK_RETURN_IF_ERROR(Buffer(item));
      in_multi_ = false;
      for (size_t i = 0; i < txn_.size(); ++i) {
        const BufferedCommand& c = txn_[i];
        SK_RETURN_IF_ERROR(Deliver(c.args, c.offset, c.end_offset, true));
      }
      txn_.clear();
      txn_bytes_ = 0;
      ++summary_->transactions;
      MarkSafe(item.end_offset);
      return Status();
    }
    if (in_multi_) return Buffer(item);
    SK_RETURN_IF_ERROR(Deliver(item.args, item.offset, item.end_offset, false));
    MarkSafe(item.end_offset);
    return Status();
  }

  void MarkSafe(uint64_t end) {
    summary_->safe_end = end;
    summary_->commands_before_safe_end = summary_->commands;
  }

  Status Buffer(const RespItem& item) {
    for (const auto& a : item.args) txn_bytes_ += a.size() + 16;
    if (txn_bytes_ > owner_->options_.max_transaction_bytes) {
      return Status::ResourceExhausted("AOF " + summary_->name + ": transaction opened at offset " +
                                       std::to_string(multi_offset_) + " exceeds " +
                                       std::to_string(owner_->options_.max_transaction_bytes) +
                                       " buffered bytes");
    }
    txn_.push_back(
        BufferedCommand{{item.args.begin(), item.args.end()}, item.offset, item.end_offset});
    return Status();
  }

  Status Deliver(std::span<const std::string> args, uint64_t offset, uint64_t end, bool txn) {
    if (NameIs(args[0], "select")) {
      if (args.size() != 2)
        return FormatError(offset, "SELECT with " + std::to_string(args.size() - 1) + " arguments");
      int db = 0;
      bool ok = !args[1].empty() && args[1].size() <= 9;
      for (char ch : args[1]) ok = ok && ch >= '0' && ch <= '9';
      if (!ok)
        return FormatError(offset, "SELECT of a bad db index \"" + args[1].substr(0, 32) + "\"");
      db = std::stoi(args[1]);
      db_ = db;
    }
    AofCommand command;
    command.args = args;
    command.db = db_;
    command.file = &summary_->name;
    command.offset = offset;
    command.end_offset = end;
    command.in_transaction = txn;
    if (owner_->options_.extract_keys) {
      Status s = ExtractKeys(args, &keys_);
      if (!s.ok())
        return Status(s.code(), std::string(in_.CorruptionAt(offset, s.message()).message()));
      command.keys = &keys_;
    }
    ++summary_->commands_delivered;
    ++owner_->delivered_;
    return owner_->visitor_->OnCommand(command);
  }

  Status FormatError(uint64_t offset, const std::string& what) {
    summary_->failure.kind = RespFailureKind::kGarbage;
    summary_->failure.error_offset = offset;
    summary_->failure.item_offset = offset;
    summary_->failure.ok_up_to = summary_->safe_end;
    summary_->failure.commands_before = summary_->commands_before_safe_end;
    return in_.CorruptionAt(
        offset, what + " (last sound point: offset " + std::to_string(summary_->safe_end) +
                    ", after " + std::to_string(summary_->commands_before_safe_end) + " commands)");
  }

  Status OnRespFailure(const RespReader& resp, const Status& status) {
    summary_->failure = resp.failure();
    summary_->bytes = in_.offset();
    if (in_multi_) summary_->open_multi_offset = multi_offset_;
    if (summary_->failure.kind != RespFailureKind::kTruncated) return status;
    summary_->truncated = true;
    if (is_last_ && owner_->options_.allow_truncated_tail) return Status();
    return status.WithPrefix(is_last_ ? "torn tail" : "truncated file that is not the last one");
  }

  Status OnOpenTransactionAtEnd() {
    summary_->truncated = true;
    summary_->open_multi_offset = multi_offset_;
    summary_->failure.kind = RespFailureKind::kTruncated;
    summary_->failure.error_offset = summary_->bytes;
    summary_->failure.item_offset = multi_offset_;
    summary_->failure.ok_up_to = summary_->safe_end;
    summary_->failure.commands_before = summary_->commands_before_safe_end;
    if (is_last_ && owner_->options_.allow_truncated_tail) return Status();
    return in_.CorruptionAt(summary_->bytes,
                            "end of file inside the transaction opened by MULTI at offset " +
                                std::to_string(multi_offset_) +
                                (is_last_ ? "" : " (not the last file)"));
  }

  AofReader* owner_;
  ByteReader in_;
  AofFileSummary* summary_;
  bool is_last_;
  int db_ = 0;
  bool in_multi_ = false;
  uint64_t multi_offset_ = 0;
  std::vector<BufferedCommand> txn_;
  uint64_t txn_bytes_ = 0;
  CommandKeys keys_;
};

AofReader::AofReader(AofReadOptions options, AofVisitor* visitor)
    : options_(options), visitor_(visitor) {}

Status AofReader::ReadFile(ChunkSource* source, const std::string& name, bool is_last) {
  files_.emplace_back();
  files_.back().name = name;
  SK_RETURN_IF_ERROR(visitor_->OnFileStart(name));
  FileState state(this, source, &files_.back(), is_last);
  SK_RETURN_IF_ERROR(state.Run());
  return visitor_->OnFileEnd(files_.back());
}

Status ReadMultiPartAof(const AofManifest& manifest, const AofFileOpener& open, AofReader* reader) {
  std::vector<const AofFileInfo*> order = manifest.LoadOrder();
  for (size_t i = 0; i < order.size(); ++i) {
    SK_RETURN_IF_ERROR(ValidateAofFileName(order[i]->name));
    SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source, open(order[i]->name));
    SK_RETURN_IF_ERROR(reader->ReadFile(source.get(), order[i]->name, i + 1 == order.size()));
  }
  return Status();
}

}  // namespace shardkit::formats::aof
