// Fuzz target: the AOF RESP reader. The first byte picks the chunk size.
// Invariants: items are contiguous and inside the input; ok_up_to never
// passes the input; re-encoding every command read (EncodeCommand) and
// reading that back gives the same commands.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/aof/aof_writer.h"
#include "formats/aof/resp_reader.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_resp {
using namespace shardkit;
using namespace shardkit::formats::aof;

// Reads every command; returns false on a reader error.
bool ReadAll(ByteSpan input, size_t chunk, std::vector<std::vector<std::string>>* commands) {
  MemoryChunkSource source(input, chunk);
  ByteReader in(&source);
  RespLimits limits;
  limits.max_bulk_bytes = uint64_t{16} << 20;
  RespReader reader(&in, limits);
  uint64_t last_end = 0;
  for (size_t i = 0; i <= input.size(); ++i) {
    auto item = reader.Next();
    if (!item.ok()) {
      SK_FUZZ_CHECK("fuzz_resp", reader.failure().kind != RespFailureKind::kNone);
      SK_FUZZ_CHECK("fuzz_resp", reader.ok_up_to() <= input.size());
      return false;
    }
    if (item->kind == RespItemKind::kEnd) return true;
    SK_FUZZ_CHECK("fuzz_resp", item->offset == last_end && item->end_offset > item->offset);
    SK_FUZZ_CHECK("fuzz_resp", item->end_offset <= input.size());
    last_end = item->end_offset;
    if (item->kind == RespItemKind::kCommand) {
      commands->emplace_back(item->args.begin(), item->args.end());
    }
  }
  fuzz::InvariantFailed("fuzz_resp", "more items than bytes");
}
}  // namespace fuzz_resp

SK_FUZZ_TARGET(fuzz_resp) {
  using namespace fuzz_resp;
  if (size < 1) return 0;
  std::vector<std::vector<std::string>> commands;
  ReadAll(fuzz::Bytes(data + 1, size - 1), fuzz::ChunkSizeFrom(data[0]), &commands);
  std::string encoded;
  for (const auto& args : commands) {
    if (!args.empty()) AppendCommand(args, &encoded);
  }
  std::vector<std::vector<std::string>> again;
  std::vector<std::vector<std::string>> expected;
  for (const auto& args : commands) {
    if (!args.empty()) expected.push_back(args);
  }
  SK_FUZZ_CHECK("fuzz_resp", ReadAll(AsBytes(encoded), 5, &again));
  SK_FUZZ_CHECK("fuzz_resp", again == expected);
  return 0;
}
