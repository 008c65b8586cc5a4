// Fuzz target: the two-phase recovery's fragment files (loader/fragments.h),
// which phase 2 reads from a shared volume: fragment.txt (its parser, and
// format -> parse stability), node-K.owned and node-K.held-index. The first
// byte picks the parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "loader/fragments.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_fragments) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto m = shardkit::loader::ParseFragmentManifest(text, "fuzz");
      if (!m.ok()) return 0;
      const std::string again = shardkit::loader::FormatFragmentManifest(*m);
      auto reparsed = shardkit::loader::ParseFragmentManifest(again, "fuzz-again");
      // What we write, we must read back, to the same text.
      SK_FUZZ_CHECK("fuzz_fragments",
                    reparsed.ok() && shardkit::loader::FormatFragmentManifest(*reparsed) == again);
      break;
    }
    case 1: {
      auto keys = shardkit::loader::ParseOwnedKeys(text, "fuzz");
      if (!keys.ok()) return 0;
      std::string again;
      for (const auto& k : *keys) shardkit::loader::AppendOwnedKey(k.db, k.key, &again);
      SK_FUZZ_CHECK("fuzz_fragments", again == text);
      break;
    }
    default: {
      auto records = shardkit::loader::ParseHeldIndex(text, "fuzz");
      if (!records.ok()) return 0;
      std::string again;
      for (const auto& r : *records) shardkit::loader::AppendHeldRecord(r, &again);
      // The expiry flag byte may be any non-zero value on input; written back as 1.
      SK_FUZZ_CHECK("fuzz_fragments", again.size() == text.size());
      break;
    }
  }
  return 0;
}
