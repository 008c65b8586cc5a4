// The report of one `recover` run over one plan: its --json form (SPEC.md
// "recover") and its text form on stderr. Shared by `recover --plan` and
// `recover --spec` (which prints one per database). No threading concerns.
#pragma once

#include <nlohmann/json.hpp>

#include "loader/fragments.h"
#include "loader/recover.h"
#include "loader/recovery_plan.h"

namespace shardkit::tools {

nlohmann::json RecoverReportJson(const loader::RecoverReport& report,
                                 const loader::RecoveryPlan& plan);
// Per node, then totals and warnings, on stderr.
void PrintRecoverReport(const loader::RecoverReport& report, const loader::RecoveryPlan& plan);
// Phase 1 of a two-phase recovery (`recover --source I --fragments DIR`).
nlohmann::json SplitReportJson(const loader::SplitReport& report);
void PrintSplitReport(const loader::SplitReport& report);

}  // namespace shardkit::tools
