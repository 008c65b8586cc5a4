// Fuzz target: the volume report file (tools/volume_report_json.h), which
// `plan --volume-reports` reads. Invariants: a report that parses, written
// back with VolumeReportToJson, parses again and writes the same text; and
// what any accepted report holds goes through the decision part of discover
// (MergeVolumeScanReports, DecideDiscovery), the discovery report and the
// planner without a crash (their errors are fine).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loader/recovery_plan.h"
#include "loader/volume_report.h"
#include "tests/fuzz/fuzz_util.h"
#include "tools/plan_json.h"
#include "tools/volume_report_json.h"

SK_FUZZ_TARGET(fuzz_volume_report) {
  using namespace shardkit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto report = tools::VolumeReportFromJson(text, "fuzz-report.json");
  if (!report.ok()) return 0;
  const std::string once = tools::VolumeReportToJson(*report).dump();
  auto again = tools::VolumeReportFromJson(once, "fuzz-report-again.json");
  SK_FUZZ_CHECK("fuzz_volume_report", again.ok());
  SK_FUZZ_CHECK("fuzz_volume_report", tools::VolumeReportToJson(*again).dump() == once);
  const bool estimate = report->estimated;
  std::vector<loader::NamedVolumeReport> reports;
  reports.push_back({"fuzz-report.json", std::move(*report)});
  auto discovery = loader::MergeVolumeScanReports(std::move(reports), estimate);
  if (!discovery.ok()) return 0;
  (void)tools::DiscoveryToJson(*discovery);  // built, not dumped: its strings are the file's bytes
  loader::PlanOptions options;
  options.node_count = 3;
  options.allow_missing_shards = true;
  options.merge_standalone = true;
  auto plan = loader::BuildRecoveryPlan(*discovery, options, 0);
  if (plan.ok()) (void)tools::PlanToJson(*plan);
  return 0;
}
