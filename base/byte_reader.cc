#include "base/byte_reader.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace shardkit {

ByteReader::ByteReader(ChunkSource* source, uint64_t start_offset)
    : source_(source),
      source_size_(source->size()),
      start_offset_(start_offset),
      window_base_(start_offset) {}

// Records the first error and empties the window, so every fast path falls
// through to a slow path that returns the error.
Status ByteReader::Sticky(Status s) {
  if (error_.ok()) error_ = s;
  FeedObservers();
  window_base_ = offset();
  window_ = {};
  pos_ = 0;
  ResetObserverPositions();
  return s;
}

Status ByteReader::CorruptionAt(uint64_t offset, std::string_view what) const {
  char where[64];
  std::snprintf(where, sizeof(where), " offset 0x%" PRIx64 " (%" PRIu64 "): ", offset, offset);
  std::string msg = source_->name();
  msg.append(where).append(what);
  return Status::Corruption(std::move(msg));
}

void ByteReader::FeedObserver(int i) {
  if (pos_ > observer_fed_[i]) {
    observers_[i]->Observe(window_.subspan(observer_fed_[i], pos_ - observer_fed_[i]));
  }
  observer_fed_[i] = pos_;
}

void ByteReader::FeedObservers() {
  for (int i = 0; i < observer_count_; ++i) FeedObserver(i);
}

void ByteReader::AttachObserver(ByteObserver* observer) {
  assert(observer_count_ < kMaxObservers);
  observers_[observer_count_] = observer;
  observer_fed_[observer_count_] = pos_;  // only bytes consumed from now on
  ++observer_count_;
}

void ByteReader::DetachObserver(ByteObserver* observer) {
  for (int i = 0; i < observer_count_; ++i) {
    if (observers_[i] == observer) {
      FeedObserver(i);
      std::copy(observers_ + i + 1, observers_ + observer_count_, observers_ + i);
      std::copy(observer_fed_ + i + 1, observer_fed_ + observer_count_, observer_fed_ + i);
      --observer_count_;
      return;
    }
  }
}

// The window is about to change: every observer has been fed up to pos_.
void ByteReader::ResetObserverPositions() {
  for (int i = 0; i < observer_count_; ++i) observer_fed_[i] = 0;
}

void ByteReader::FlushObservers() { FeedObservers(); }

// Window switch after the window is fully consumed. Feeds observers first: the
// window's bytes stop being valid once the source is asked for more.
Result<bool> ByteReader::NextWindow() {
  if (!error_.ok()) return error_;
  FeedObservers();
  if (!error_.ok()) return error_;  // an observer aborted (Abort)
  const uint64_t base = offset();
  if (in_carry_ && !pending_.empty()) {
    window_ = pending_;
    pending_ = {};
  } else {
    if (eof_) return false;
    auto chunk = source_->Next();
    if (!chunk.ok()) return Sticky(std::move(chunk).take_status());
    if (chunk->empty()) {
      eof_ = true;
      window_ = {};
      pos_ = 0;
      ResetObserverPositions();
      window_base_ = base;
      in_carry_ = false;
      return false;
    }
    window_ = *chunk;
  }
  in_carry_ = false;
  pos_ = 0;
  ResetObserverPositions();
  window_base_ = base;
  return true;
}

// Gathers at least n bytes into carry_ when they straddle chunks. Only the
// unconsumed remainder and the bytes still needed are copied.
Result<bool> ByteReader::Fill(size_t n) {
  if (window_.size() - pos_ >= n) return true;
  if (!error_.ok()) return error_;
  FeedObservers();
  const uint64_t base = offset();
  std::vector<std::byte> gathered;
  gathered.reserve(std::max<size_t>(n, 64));
  gathered.insert(gathered.end(), window_.begin() + pos_, window_.end());
  bool at_end = false;
  while (gathered.size() < n) {
    if (pending_.empty()) {
      if (eof_) {
        at_end = true;
        break;
      }
      auto chunk = source_->Next();
      if (!chunk.ok()) return Sticky(std::move(chunk).take_status());
      if (chunk->empty()) {
        eof_ = true;
        at_end = true;
        break;
      }
      pending_ = *chunk;
    }
    size_t take = std::min(pending_.size(), n - gathered.size());
    gathered.insert(gathered.end(), pending_.begin(), pending_.begin() + take);
    pending_ = pending_.subspan(take);
  }
  carry_.swap(gathered);
  window_ = ByteSpan(carry_.data(), carry_.size());
  pos_ = 0;
  ResetObserverPositions();
  window_base_ = base;
  in_carry_ = true;
  return !at_end;
}

static std::string NeededMore(size_t n) {
  return "unexpected end of file (needed " + std::to_string(n) + " more bytes)";
}

Result<ByteSpan> ByteReader::Peek(size_t n) {
  if (n > kMaxContiguous) {
    return Status::InvalidArgument("ByteReader::Peek of " + std::to_string(n) + " bytes");
  }
  SK_ASSIGN_OR_RETURN(bool filled, Fill(n));
  if (!filled) return Sticky(CorruptionAt(offset(), NeededMore(n - (window_.size() - pos_))));
  return window_.subspan(pos_, n);
}

Result<ByteSpan> ByteReader::Read(size_t n) {
  SK_ASSIGN_OR_RETURN(ByteSpan view, Peek(n));
  pos_ += n;
  return view;
}

Result<uint8_t> ByteReader::ReadByte() {
  if (pos_ < window_.size()) return static_cast<uint8_t>(window_[pos_++]);
  SK_ASSIGN_OR_RETURN(ByteSpan one, Read(1));
  return static_cast<uint8_t>(one[0]);
}

Status ByteReader::ReadInto(std::byte* dst, size_t n) {
  while (n > 0) {
    size_t avail = window_.size() - pos_;
    if (avail == 0) {
      SK_ASSIGN_OR_RETURN(bool more, NextWindow());
      if (!more) return Sticky(CorruptionAt(offset(), NeededMore(n)));
      continue;
    }
    size_t take = std::min(avail, n);
    std::memcpy(dst, window_.data() + pos_, take);
    pos_ += take;
    dst += take;
    n -= take;
  }
  return Status();
}

Status ByteReader::ReadAppend(std::string* out, uint64_t n) {
  while (n > 0) {
    size_t avail = window_.size() - pos_;
    if (avail == 0) {
      SK_ASSIGN_OR_RETURN(bool more, NextWindow());
      if (!more) return Sticky(CorruptionAt(offset(), NeededMore(n)));
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(avail, n));
    if (out != nullptr) out->append(reinterpret_cast<const char*>(window_.data() + pos_), take);
    pos_ += take;
    n -= take;
  }
  return Status();
}

Result<ByteSpan> ByteReader::ReadSome(size_t max) {
  if (pos_ == window_.size()) {
    SK_ASSIGN_OR_RETURN(bool more, NextWindow());
    if (!more) return ByteSpan();
  }
  size_t take = std::min(window_.size() - pos_, max);
  ByteSpan out = window_.subspan(pos_, take);
  pos_ += take;
  return out;
}

Result<bool> ByteReader::AtEnd() {
  if (pos_ < window_.size()) return false;
  SK_ASSIGN_OR_RETURN(bool more, NextWindow());
  return !more;
}

}  // namespace shardkit
