// Fuzz target: LZF. The first 3 bytes give the claimed uncompressed length
// (up to 16 MiB, as an RDB string would claim it); the rest is compressed
// input. Invariants: decompression never writes outside `out`; compressing
// the input and decompressing it gives the input back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "formats/encodings/lzf.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_lzf) {
  using namespace shardkit;
  using namespace shardkit::formats;
  if (size < 3) return 0;
  const size_t claimed = (size_t{data[0]} | size_t{data[1]} << 8 | size_t{data[2]} << 16) %
                         (4 * size + 64);  // keep allocations proportional to the input
  const ByteSpan in = fuzz::Bytes(data + 3, size - 3);
  std::vector<std::byte> out(claimed);
  (void)LzfDecompress(in, out);

  // Round trip: what we compress, we decompress to the same bytes.
  std::vector<std::byte> packed(in.size() + in.size() / 16 + 64);
  const size_t packed_size = LzfCompress(in, packed);
  if (packed_size == 0) return 0;
  std::vector<std::byte> unpacked(in.size());
  SK_FUZZ_CHECK("fuzz_lzf", LzfDecompress(ByteSpan(packed.data(), packed_size), unpacked).ok());
  SK_FUZZ_CHECK("fuzz_lzf", in.empty() || std::memcmp(unpacked.data(), in.data(), in.size()) == 0);
  return 0;
}
