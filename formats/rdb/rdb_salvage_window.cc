#include "formats/rdb/rdb_salvage_window.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace shardkit::formats::rdb {

SourceWindow::SourceWindow(ChunkSource* source, uint64_t max_bytes)
    : source_(source), size_(source->size().value_or(0)), max_bytes_(max_bytes) {}

Status SourceWindow::Pull() {
  if (!io_error_.ok()) return io_error_;
  if (pulled_ - release_ >= max_bytes_) {
    return Status::ResourceExhausted(name() + ": salvage window of " +
                                     std::to_string(max_bytes_) + " bytes from offset " +
                                     std::to_string(release_) + " is full");
  }
  Result<ByteSpan> span = source_->Next();
  if (!span.ok()) {
    io_error_ = span.status();
    return io_error_;
  }
  if (span->empty()) return Status();
  Chunk chunk;
  chunk.offset = pulled_;
  chunk.bytes.assign(span->begin(), span->end());
  pulled_ += span->size();
  chunks_.push_back(std::move(chunk));
  return Status();
}

size_t SourceWindow::ChunkIndex(uint64_t offset) const {
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), offset,
                             [](uint64_t o, const Chunk& c) { return o < c.offset; });
  assert(it != chunks_.begin());
  return static_cast<size_t>(it - chunks_.begin()) - 1;
}

Result<ByteSpan> SourceWindow::SpanAt(uint64_t offset) {
  assert(offset >= release_ || chunks_.empty() || offset >= chunks_.front().offset);
  // Each pull adds at least one byte or ends the loop (end of source).
  while (offset >= pulled_) {
    if (pulled_ >= size_) return ByteSpan();
    const uint64_t before = pulled_;
    SK_RETURN_IF_ERROR(Pull());
    if (pulled_ == before) return ByteSpan();  // the source ended early
  }
  const Chunk& chunk = chunks_[ChunkIndex(offset)];
  last_served_ = chunk.offset;
  const size_t at = static_cast<size_t>(offset - chunk.offset);
  return ByteSpan(chunk.bytes).subspan(at);
}

void SourceWindow::CopyOut(uint64_t offset, uint64_t n, std::string* out) const {
  assert(offset + n <= pulled_);
  if (n == 0) return;
  for (size_t i = ChunkIndex(offset); n > 0 && i < chunks_.size(); ++i) {
    const Chunk& chunk = chunks_[i];
    const size_t at = static_cast<size_t>(offset - chunk.offset);
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n, chunk.bytes.size() - at));
    out->append(reinterpret_cast<const char*>(chunk.bytes.data()) + at, take);
    offset += take;
    n -= take;
  }
  assert(n == 0);
}

void SourceWindow::Release(uint64_t offset) {
  release_ = std::max(release_, offset);
  while (!chunks_.empty() && chunks_.front().end() <= release_ &&
         chunks_.front().offset < last_served_) {
    chunks_.pop_front();
  }
}

WindowCursor::WindowCursor(SourceWindow* window, std::string prefix, uint64_t from,
                           uint64_t limit)
    : window_(window), prefix_(std::move(prefix)), from_(from), pos_(from), limit_(limit) {}

Result<ByteSpan> WindowCursor::Next() {
  if (!prefix_served_) {
    prefix_served_ = true;
    if (!prefix_.empty()) return AsBytes(prefix_);
  }
  if (pos_ >= window_->size()) return ByteSpan();
  if (pos_ >= limit_) {
    return Status::ResourceExhausted(window_->name() + ": resync lookahead ends at offset " +
                                     std::to_string(limit_));
  }
  SK_ASSIGN_OR_RETURN(ByteSpan span, window_->SpanAt(pos_));
  if (span.size() > limit_ - pos_) span = span.first(static_cast<size_t>(limit_ - pos_));
  pos_ += span.size();
  return span;
}

}  // namespace shardkit::formats::rdb
