// Fuzz target: ziplist iterator and validator on an untrusted blob.
// Invariant: a blob that validates iterates without error to the same count.
#include <cstddef>
#include <cstdint>

#include "formats/encodings/ziplist.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_ziplist) {
  using namespace shardkit;
  using namespace shardkit::formats;
  const ByteSpan blob = fuzz::Bytes(data, size);
  uint64_t iterated = 0;
  bool iterated_ok = false;
  auto it = ZiplistIterator::Open(blob);
  if (it.ok()) {
    CompactEntry entry;
    for (size_t i = 0; i <= blob.size(); ++i) {
      auto more = it->Next(&entry);
      if (!more.ok()) break;
      if (!*more) {
        iterated_ok = true;
        break;
      }
      (void)entry.ToString();
      ++iterated;
    }
  }
  auto validated = ValidateZiplist(blob);
  if (!validated.ok()) return 0;
  SK_FUZZ_CHECK("fuzz_ziplist", iterated_ok && *validated == iterated);
  return 0;
}
