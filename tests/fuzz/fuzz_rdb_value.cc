// Fuzz target: one RDB value of any type in deep mode, without the file
// around it. Input: type byte, then the serialized value. The target wraps
// it into a minimal RDB 12 file (header, key "k", value, EOF, CRC disabled)
// so mutations hit the value decoders (quicklist nodes, stream listpacks,
// hash field TTLs, ...) instead of the header. Invariant: deep acceptance
// implies raw acceptance with the same value size.
#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/rdb/rdb_reader.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_rdb_value {
using namespace shardkit;
using namespace shardkit::formats::rdb;

class LastEntry final : public RdbVisitor {
 public:
  Status OnEntry(const RdbEntry& entry) override {
    value_bytes = entry.value_bytes;
    ++entries;
    return Status();
  }
  uint64_t value_bytes = 0;
  uint64_t entries = 0;
};
}  // namespace fuzz_rdb_value

SK_FUZZ_TARGET(fuzz_rdb_value) {
  using namespace fuzz_rdb_value;
  if (size < 1) return 0;
  std::string file = "REDIS0012";
  file.push_back(static_cast<char>(data[0]));  // type
  file += std::string("\x01k", 2);             // key "k"
  file.append(reinterpret_cast<const char*>(data + 1), size - 1);
  file.push_back(static_cast<char>(0xFF));     // EOF
  file.append(8, '\0');                        // checksum disabled
  RdbReadOptions deep;
  deep.deep = true;
  deep.limits.max_string_bytes = uint64_t{64} << 20;
  MemoryChunkSource source(AsBytes(file), 7);
  LastEntry deep_seen;
  auto summary = ReadRdb(&source, deep, &deep_seen);
  if (!summary.ok()) return 0;
  RdbReadOptions raw;
  raw.limits = deep.limits;
  MemoryChunkSource raw_source(AsBytes(file));
  LastEntry raw_seen;
  auto raw_summary = ReadRdb(&raw_source, raw, &raw_seen);
  SK_FUZZ_CHECK("fuzz_rdb_value", raw_summary.ok());
  SK_FUZZ_CHECK("fuzz_rdb_value", raw_seen.entries == deep_seen.entries);
  SK_FUZZ_CHECK("fuzz_rdb_value", raw_seen.value_bytes == deep_seen.value_bytes);
  return 0;
}
