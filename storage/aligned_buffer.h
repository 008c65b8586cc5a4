// AlignedRegion: one heap region aligned for O_DIRECT, carved by its owner
// into fixed slots. Owns the memory; not copyable; movable.
// Errors: Allocate() returns kResourceExhausted when memory is short and
// kInvalidArgument for a size past the cap (checked before allocating).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

#include "base/chunk_io.h"
#include "base/status.h"

namespace shardkit::storage {

// Largest buffer region one reader or writer may allocate.
inline constexpr size_t kRegionBytesMax = size_t{1} << 30;

inline constexpr uint64_t RoundUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}
inline constexpr uint64_t RoundDown(uint64_t value, uint64_t alignment) {
  return value / alignment * alignment;
}

class AlignedRegion {
 public:
  AlignedRegion() = default;
  // REQUIRES: alignment is a power of two.
  static Result<AlignedRegion> Allocate(size_t size_bytes, size_t alignment);

  std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }
  MutableByteSpan span() const { return {data_.get(), size_}; }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t size_ = 0;
};

inline Result<AlignedRegion> AlignedRegion::Allocate(size_t size_bytes, size_t alignment) {
  if (size_bytes == 0 || size_bytes > kRegionBytesMax) {
    return Status::InvalidArgument("buffer region of " + std::to_string(size_bytes) +
                                   " bytes is outside 1.." + std::to_string(kRegionBytesMax));
  }
  size_t rounded = static_cast<size_t>(RoundUp(size_bytes, alignment));
  void* p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr) {
    return Status::ResourceExhausted("cannot allocate an aligned buffer region of " +
                                     std::to_string(rounded) + " bytes");
  }
  AlignedRegion region;
  region.data_.reset(static_cast<std::byte*>(p));
  region.size_ = rounded;
  return region;
}

}  // namespace shardkit::storage
