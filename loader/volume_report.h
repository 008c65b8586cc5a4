// Volume reports: Discover's per-volume part made where one volume is
// attached (`shardkit discover --volume-report`), and its decision part made
// from the reports of every volume where none is (`shardkit plan
// --volume-reports`), so that no process needs every old volume at once
// (SPEC.md "Volume reports"). The JSON form is tools/volume_report_json.h.
//
// MakeVolumeScanReport(DIR) is ScanVolumes({DIR}) (loader/discovery.h): the
// volume's files, candidates and their scans, an Enterprise path's copies and
// CCS reads, its notes, and what the scans read. MergeVolumeScanReports puts
// the reports together as ScanVolumes of every DIR, in the order given, would
// have (volumes, Enterprise indices, warnings, scan bytes), then runs
// DecideDiscovery: for the same volumes the Discovery, and so the plan, is
// the one Discover gives, byte for byte in plan.json but for its created_ms
// (the planner's clock). The reports' own clocks (now_ms) count expired keys
// (SourceScan::keys_expired), which the discovery report shows and the plan
// does not use.
//
// The estimate rule. Discover's estimating scan reads every candidate up to
// its first key, then reads the standalone volumes (no nodes.conf; Redis
// Enterprise copies too) in full unless they are the only volumes and of one
// replication lineage (StandaloneVolumesToRescan): a decision over every
// volume, which one volume's process cannot make. Hence:
//  * a report made with estimate holds header scans only. Merged with
//    estimate and the full read needed, the merge is refused, naming the
//    reports of those standalone volumes: make them without estimate;
//  * a report of a standalone volume made without estimate holds its full
//    scans and, beside them, its header scans (a few 64 KiB blocks per
//    candidate; but what the estimate reads in full, a multi-part AOF's incr
//    files, a legacy AOF or a RESP base, is read a second time). It serves a
//    merge with estimate either way: the header scans when no full read is
//    needed, else the header scans followed by the full ones, as Discover
//    reads them (health, scans and bytes read alike);
//  * a report of a cluster volume (with nodes.conf) made without estimate
//    holds no header scans: a merge with estimate refuses it, and a merge
//    without estimate refuses every report made with estimate.
// Errors (kInvalidArgument, exit 2): those refusals, a volume in two reports
// (same real path), no report. Each names the report files.
// Threading: MakeVolumeScanReport scans on up to options.threads threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/discovery.h"

namespace shardkit::loader {

// What a header-only scan (DiscoverOptions::estimate) left in one candidate.
struct HeaderScan {
  Status health;
  std::optional<SourceScan> scan;
  bool has_log_commands = false;
};

// The header scans of one volume's candidates (parallel to its candidates)
// and what they read.
struct VolumeHeaderPass {
  std::vector<HeaderScan> candidates;
  uint64_t bytes_read = 0;
};

struct VolumeScanReport {
  std::string path;        // the directory (or Enterprise path) as given
  bool estimated = false;  // made with DiscoverOptions::estimate
  int64_t now_ms = 0;      // DiscoverOptions::now_ms of the scans
  // ScanVolumes({path}): volumes (one, or an Enterprise path's copies),
  // enterprise_volumes (none or one), ccs, warnings, scan_bytes_read; the
  // decision fields are empty.
  Discovery scanned;
  // Per scanned.volumes entry: its header scans when the report was made
  // without estimate and the volume is standalone (no nodes.conf), else
  // nullopt.
  std::vector<std::optional<VolumeHeaderPass>> header_passes;
};

// Scans one volume (options.scan must be true). Errors: as Discover's.
Result<VolumeScanReport> MakeVolumeScanReport(const std::string& path,
                                              const DiscoverOptions& options);

struct NamedVolumeReport {
  std::string file;  // where the report was read from, for messages
  VolumeScanReport report;
};

// The Discovery of every report's volume, in the order given (see above).
// `estimate`: as DiscoverOptions::estimate for the plan made from it.
Result<Discovery> MergeVolumeScanReports(std::vector<NamedVolumeReport> reports, bool estimate);

}  // namespace shardkit::loader
