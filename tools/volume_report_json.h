// The JSON form of a volume report (loader/volume_report.h), what
// `shardkit discover --volume-report OUT DIR` writes and `shardkit plan
// --volume-reports` reads (SPEC.md "Volume reports"): the tag "format":
// "shardkit-volume-report 1", the path, the estimate mode, now_ms, and every
// field of the volume's scan that the decision part of discover and the
// planner read (files, candidates with their health and scans, nodes.conf,
// Enterprise path and CCS reads, warnings, scan bytes, header scans).
//
// Byte strings (paths, AUX fields, function sources, error messages, CCS
// values) are JSON strings when they are valid UTF-8, else {"hex": "..."}: a
// report keeps every byte. Per-slot figures list the slots that have any.
// A Status is null (OK) or {"code": "<StatusCodeName>", "message": ...}; its
// errno is not kept (its text is in the message; nothing after discover
// reads it).
//
// Errors: VolumeReportFromJson returns kCorruption "<path>: <what>" for text
// that is not JSON, another "format" tag, and a field that is missing, of
// another type, out of its range (integers of the field's type, slots
// 0-16383, names of the known kinds, an index into a list the report has) or
// inconsistent (header scans not one per source), naming the field by its
// place in the document ("volumes[0].candidates[1].scan.keys"). JSON
// exceptions stay inside this file.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/status.h"
#include "loader/volume_report.h"

namespace shardkit::tools {

inline constexpr const char* kVolumeReportFormatTag = "shardkit-volume-report 1";

nlohmann::json VolumeReportToJson(const loader::VolumeScanReport& report);
Result<loader::VolumeScanReport> VolumeReportFromJson(std::string_view text, std::string_view path);

}  // namespace shardkit::tools
