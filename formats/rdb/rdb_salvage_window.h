// SourceWindow and WindowCursor: the bounded, rewindable view of a source
// that RDB salvage (rdb_salvage.h) reads through.
//
// SourceWindow pulls the source front to back, exactly once, and keeps the
// bytes from a release point onwards in owned chunks, so that a reader can
// start again at any offset after the release point (a resync candidate) and
// so that a key record's raw bytes can be copied out after it was read.
// WindowCursor is a ChunkSource over the window: optional prefix bytes (the
// RDB header a resynced reader needs), then the window from an offset, up to
// a limit.
//
// Memory: the bytes from the release point to the furthest byte pulled; a
// pull that would hold more than `max_bytes` is refused (kResourceExhausted).
// Lifetime: the window must outlive its cursors. A span a cursor hands out
// stays valid until that cursor's next Next(), as ChunkSource requires:
// Release() never frees the chunk most recently handed out.
// Threading: one thread. Errors: source errors are sticky and returned by
// every later pull (io_error() tells them apart from the size refusal).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"

namespace shardkit::formats::rdb {

class SourceWindow {
 public:
  // REQUIRES: source->size() is known; source outlives the window.
  SourceWindow(ChunkSource* source, uint64_t max_bytes);
  SourceWindow(const SourceWindow&) = delete;
  SourceWindow& operator=(const SourceWindow&) = delete;

  uint64_t size() const { return size_; }
  const std::string& name() const { return source_->name(); }
  const Status& io_error() const { return io_error_; }

  // Contiguous bytes from `offset` to the end of the chunk holding it,
  // pulling from the source as needed; empty at the end of the source.
  // REQUIRES: offset >= the release point.
  Result<ByteSpan> SpanAt(uint64_t offset);
  // Appends [offset, offset + n) to *out. REQUIRES: those bytes were pulled
  // and not released.
  void CopyOut(uint64_t offset, uint64_t n, std::string* out) const;
  // Bytes before `offset` are no longer needed (monotonic).
  void Release(uint64_t offset);

 private:
  struct Chunk {
    uint64_t offset = 0;
    std::vector<std::byte> bytes;
    uint64_t end() const { return offset + bytes.size(); }
  };
  Status Pull();
  // Index in chunks_ of the chunk holding `offset` (it must be held).
  size_t ChunkIndex(uint64_t offset) const;

  ChunkSource* source_;
  uint64_t size_;
  uint64_t max_bytes_;
  std::deque<Chunk> chunks_;
  uint64_t pulled_ = 0;       // offset after the last chunk
  uint64_t release_ = 0;      // bytes before it may be freed
  uint64_t last_served_ = 0;  // offset of the chunk SpanAt served last
  Status io_error_;
};

class WindowCursor final : public ChunkSource {
 public:
  // Serves `prefix`, then the window from `from` up to `limit` (exclusive);
  // reading past `limit` before the end of the source is kResourceExhausted.
  WindowCursor(SourceWindow* window, std::string prefix, uint64_t from, uint64_t limit);

  Result<ByteSpan> Next() override;
  const std::string& name() const override { return window_->name(); }
  std::optional<uint64_t> size() const override {
    return prefix_.size() + (window_->size() - from_);
  }

 private:
  SourceWindow* window_;
  std::string prefix_;
  bool prefix_served_ = false;
  uint64_t from_;
  uint64_t pos_;
  uint64_t limit_;
};

}  // namespace shardkit::formats::rdb
