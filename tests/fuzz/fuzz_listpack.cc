// Fuzz target: listpack iterator and validator on an untrusted blob.
// Invariants: a blob that validates iterates to the same count; rebuilding
// its entries with ListpackBuilder gives a blob that validates to the same
// entries.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/encodings/listpack.h"
#include "tests/fuzz/fuzz_util.h"

namespace fuzz_listpack {
using namespace shardkit;
using namespace shardkit::formats;

// Iterates `blob` fully; nullopt when it fails.
bool Collect(ByteSpan blob, std::vector<std::string>* out) {
  auto it = ListpackIterator::Open(blob);
  if (!it.ok()) return false;
  CompactEntry entry;
  for (size_t i = 0; i <= blob.size(); ++i) {
    auto more = it->Next(&entry);
    if (!more.ok()) return false;
    if (!*more) return true;
    out->push_back(entry.ToString());
  }
  fuzz::InvariantFailed("fuzz_listpack", "iterator returned more entries than bytes");
}
}  // namespace fuzz_listpack

SK_FUZZ_TARGET(fuzz_listpack) {
  using namespace fuzz_listpack;
  const ByteSpan blob = fuzz::Bytes(data, size);
  std::vector<std::string> entries;
  const bool iterated = Collect(blob, &entries);
  auto validated = ValidateListpack(blob);
  if (!validated.ok()) return 0;
  SK_FUZZ_CHECK("fuzz_listpack", iterated && *validated == entries.size());
  ListpackBuilder builder;
  for (const std::string& e : entries) builder.Append(e);
  const std::string rebuilt = builder.Finish();
  std::vector<std::string> again;
  SK_FUZZ_CHECK("fuzz_listpack", ValidateListpack(AsBytes(rebuilt)).ok());
  SK_FUZZ_CHECK("fuzz_listpack", Collect(AsBytes(rebuilt), &again) && again == entries);
  return 0;
}
