// Fuzz target: multi-part AOF manifest parsing. Invariants: every accepted
// file name is bare (no '/', not ".."); formatting an accepted manifest and
// parsing it back gives the same files in the same order.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/aof/aof_manifest.h"
#include "tests/fuzz/fuzz_util.h"

SK_FUZZ_TARGET(fuzz_aof_manifest) {
  using namespace shardkit::formats::aof;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)SplitArgs(text.substr(0, 2048));
  auto manifest = ParseAofManifest(text, "fuzz.manifest");
  if (!manifest.ok()) return 0;
  for (const AofFileInfo* f : manifest->LoadOrder()) {
    SK_FUZZ_CHECK("fuzz_aof_manifest", ValidateAofFileName(f->name).ok());
    SK_FUZZ_CHECK("fuzz_aof_manifest", f->name.find('/') == std::string::npos);
  }
  const std::string again = FormatAofManifest(*manifest);
  auto reparsed = ParseAofManifest(again, "fuzz-again.manifest");
  SK_FUZZ_CHECK("fuzz_aof_manifest", reparsed.ok());
  auto a = manifest->LoadOrder();
  auto b = reparsed->LoadOrder();
  SK_FUZZ_CHECK("fuzz_aof_manifest", a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SK_FUZZ_CHECK("fuzz_aof_manifest", a[i]->name == b[i]->name && a[i]->seq == b[i]->seq &&
                                           a[i]->type == b[i]->type);
  }
  SK_FUZZ_CHECK("fuzz_aof_manifest", manifest->history.size() == reparsed->history.size());
  return 0;
}
