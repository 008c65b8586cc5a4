// Intset reader (formats-reference.md §5.3): u32le width (2, 4 or 8), u32le
// count, then count little-endian signed integers, strictly ascending.
#pragma once

#include <cstdint>

#include "base/chunk_io.h"
#include "base/status.h"

namespace shardkit::formats {

class IntsetView {
 public:
  // Checks width and size (8 + count*width == blob size, count > 0). With
  // `deep`, also strict ascending order. The blob must outlive the view.
  static Result<IntsetView> Open(ByteSpan blob, bool deep);
  uint32_t size() const { return count_; }
  int64_t Get(uint32_t index) const;  // REQUIRES: index < size()

 private:
  IntsetView(ByteSpan blob, uint32_t width, uint32_t count)
      : blob_(blob), width_(width), count_(count) {}
  ByteSpan blob_;
  uint32_t width_;
  uint32_t count_;
};

}  // namespace shardkit::formats
