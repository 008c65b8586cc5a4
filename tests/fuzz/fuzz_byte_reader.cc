// Fuzz target: ByteReader driven by the input itself (the first bytes choose
// chunk size and the read pattern), checking it never reads past the source
// and returns the same bytes whatever the chunking.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/byte_reader.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_byte_reader) {
  if (size < 2) return 0;
  const size_t chunk = data[0] % 17 + 1;
  shardkit::ByteSpan input(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  shardkit::MemoryChunkSource source(input, chunk);
  shardkit::ByteReader reader(&source);
  std::string got;
  for (size_t i = 0; i < input.size() * 2 + 4; ++i) {
    const uint8_t op = static_cast<uint8_t>(input[i % input.size()]);
    const size_t n = op % 23;
    auto r = (op & 0x80) ? reader.Peek(n) : reader.Read(n);
    if (!r.ok()) break;
    if (!(op & 0x80)) got.append(shardkit::AsChars(*r));
  }
  SK_FUZZ_CHECK("fuzz_byte_reader",
                got == std::string(shardkit::AsChars(input.subspan(0, got.size()))));
  return 0;
}
