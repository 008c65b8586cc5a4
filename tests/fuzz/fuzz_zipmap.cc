// Fuzz target: zipmap iterator. Invariant: views stay inside the blob, and a
// header count below 254 that iterated cleanly equals the pairs seen.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/encodings/zipmap.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_zipmap) {
  using namespace shardkit;
  using namespace shardkit::formats;
  const ByteSpan blob = fuzz::Bytes(data, size);
  auto it = ZipmapIterator::Open(blob);
  if (!it.ok()) return 0;
  const char* begin = reinterpret_cast<const char*>(data);
  auto inside = [&](std::string_view v) {
    return v.empty() || (v.data() >= begin && v.data() + v.size() <= begin + size);
  };
  std::string_view field, value;
  uint64_t pairs = 0;
  for (size_t i = 0; i <= size; ++i) {
    auto more = it->Next(&field, &value);
    if (!more.ok()) return 0;
    if (!*more) {
      if (it->header_count() < 254) SK_FUZZ_CHECK("fuzz_zipmap", pairs == it->header_count());
      return 0;
    }
    SK_FUZZ_CHECK("fuzz_zipmap", inside(field) && inside(value));
    ++pairs;
  }
  fuzz::InvariantFailed("fuzz_zipmap", "more pairs than bytes");
}
