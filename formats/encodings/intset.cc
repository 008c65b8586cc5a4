// Intset (formats-reference.md §5.3).
#include "formats/encodings/intset.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <string>

namespace shardkit::formats {
namespace {

Status IntsetError(size_t pos, const std::string& what) {
  return Status::Corruption("intset +" + std::to_string(pos) + ": " + what);
}

uint32_t Load32(ByteSpan b, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(b[pos + static_cast<size_t>(i)]);
  }
  return v;
}

}  // namespace

Result<IntsetView> IntsetView::Open(ByteSpan blob, bool deep) {
  if (blob.size() < 8) {
    return IntsetError(
        0, "blob of " + std::to_string(blob.size()) + " bytes is shorter than the 8-byte header");
  }
  const uint32_t width = Load32(blob, 0);
  if (width != 2 && width != 4 && width != 8) {
    return IntsetError(0, "encoding " + std::to_string(width) + " is not 2, 4 or 8");
  }
  const uint32_t count = Load32(blob, 4);
  if (count == 0) {
    return IntsetError(4, "empty intset");
  }
  const uint64_t expected = 8 + uint64_t{count} * width;
  if (expected != blob.size()) {
    return IntsetError(4, "length " + std::to_string(count) + " x " + std::to_string(width) +
                              " bytes needs a " + std::to_string(expected) + "-byte blob, found " +
                              std::to_string(blob.size()));
  }
  IntsetView view(blob, width, count);
  if (deep) {
    int64_t prev = view.Get(0);
    for (uint32_t i = 1; i < count; ++i) {
      const int64_t v = view.Get(i);
      if (v <= prev) {
        return IntsetError(8 + size_t{i} * width,
                           "element " + std::to_string(i) + " = " + std::to_string(v) +
                               " is not greater than the previous " + std::to_string(prev));
      }
      prev = v;
    }
  }
  return view;
}

int64_t IntsetView::Get(uint32_t index) const {
  assert(index < count_);
  const std::byte* p = blob_.data() + 8 + size_t{index} * width_;
  switch (width_) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

static_assert(std::endian::native == std::endian::little, "intset values are little-endian");

}  // namespace shardkit::formats
