// Fuzz target: one append-only file (legacy RESP, or RDB preamble + RESP)
// through VerifyAofFile and AofReader. The first byte picks the chunk size.
// Invariants: the verifier's cut point lies inside the file; a file that
// verifies reads with AofReader without error (same command count).
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/aof/aof_reader.h"
#include "formats/aof/aof_verify.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_aof {
using namespace shardkit;
using namespace shardkit::formats::aof;

class Count final : public AofVisitor {
 public:
  Status OnCommand(const AofCommand& command) override {
    for (const std::string& a : command.args) bytes += a.size();
    ++commands;
    return Status();
  }
  uint64_t commands = 0;
  uint64_t bytes = 0;
};
}  // namespace fuzz_aof

SK_FUZZ_TARGET(fuzz_aof) {
  using namespace fuzz_aof;
  if (size < 1) return 0;
  const ByteSpan input = fuzz::Bytes(data + 1, size - 1);
  const size_t chunk = fuzz::ChunkSizeFrom(data[0]);
  AofVerifyOptions verify_options;
  verify_options.deep_rdb = (data[0] & 1) != 0;
  verify_options.limits.max_bulk_bytes = uint64_t{16} << 20;
  MemoryChunkSource verify_source(input, chunk);
  AofVerifyReport report = VerifyAofFile(&verify_source, "fuzz.aof", verify_options);
  if (report.cut.has_value()) SK_FUZZ_CHECK("fuzz_aof", report.cut->offset <= input.size());

  AofReadOptions read_options;
  read_options.limits = verify_options.limits;
  read_options.max_transaction_bytes = uint64_t{16} << 20;
  Count count;
  AofReader reader(read_options, &count);
  MemoryChunkSource read_source(input, chunk);
  Status read = reader.ReadFile(&read_source, "fuzz.aof", /*is_last=*/true);
  if (report.ok) {
    SK_FUZZ_CHECK("fuzz_aof", read.ok());
    SK_FUZZ_CHECK("fuzz_aof", reader.last_file() != nullptr &&
                                  reader.last_file()->commands == report.commands);
  }
  return 0;
}
