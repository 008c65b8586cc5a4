// Fuzz target: intset view. Invariants: a deep-opened set is strictly
// ascending; whatever opens deep also opens shallow with the same size.
#include <cstddef>
#include <cstdint>

#include "formats/encodings/intset.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_intset) {
  using namespace shardkit;
  using namespace shardkit::formats;
  const ByteSpan blob = fuzz::Bytes(data, size);
  auto shallow = IntsetView::Open(blob, /*deep=*/false);
  if (shallow.ok()) {
    for (uint32_t i = 0; i < shallow->size(); ++i) (void)shallow->Get(i);
  }
  auto deep = IntsetView::Open(blob, /*deep=*/true);
  if (!deep.ok()) return 0;
  SK_FUZZ_CHECK("fuzz_intset", shallow.ok() && shallow->size() == deep->size());
  for (uint32_t i = 1; i < deep->size(); ++i) {
    SK_FUZZ_CHECK("fuzz_intset", deep->Get(i - 1) < deep->Get(i));
  }
  return 0;
}
