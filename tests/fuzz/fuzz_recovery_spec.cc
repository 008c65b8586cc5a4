// Fuzz target: the recovery spec (tools/recovery_spec.h). Invariant: a spec
// that parses holds only what plan and recover rely on: safe, distinct
// names; a cluster database's endpoints are "keep" or masters * (1 +
// replicas); weights are empty or one per master; a standalone database is
// one master without endpoints or replicas. Only the text is parsed (no
// file system access: CheckSpecVolumes is not run).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"
#include "tools/recovery_spec.h"

SK_FUZZ_TARGET(fuzz_recovery_spec) {
  using namespace shardkit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = tools::ParseRecoverySpec(text, "fuzz-spec.json");
  if (!spec.ok()) {
    SK_FUZZ_CHECK("fuzz_recovery_spec", spec.status().code() == StatusCode::kInvalidArgument);
    return 0;
  }
  SK_FUZZ_CHECK("fuzz_recovery_spec", !spec->databases.empty());
  std::set<std::string> names;
  for (const tools::DatabaseSpec& db : spec->databases) {
    SK_FUZZ_CHECK("fuzz_recovery_spec", tools::IsSafeDatabaseName(db.name));
    SK_FUZZ_CHECK("fuzz_recovery_spec", names.insert(db.name).second);
    SK_FUZZ_CHECK("fuzz_recovery_spec", !db.volumes.empty());
    SK_FUZZ_CHECK("fuzz_recovery_spec", db.masters >= 1 && db.replicas >= 0);
    SK_FUZZ_CHECK("fuzz_recovery_spec",
                  db.weights.empty() || db.weights.size() == static_cast<size_t>(db.masters));
    if (db.shape == tools::SpecShape::kStandalone) {
      SK_FUZZ_CHECK("fuzz_recovery_spec", db.masters == 1 && db.replicas == 0);
      SK_FUZZ_CHECK("fuzz_recovery_spec", db.endpoints.empty() && !db.keep_endpoints);
    } else {
      SK_FUZZ_CHECK("fuzz_recovery_spec",
                    db.keep_endpoints ? db.endpoints.empty()
                                      : db.endpoints.size() == static_cast<size_t>(db.masters) *
                                                                   static_cast<size_t>(
                                                                       1 + db.replicas));
    }
  }
  return 0;
}
