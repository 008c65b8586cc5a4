#include "loader/volume_report.h"

#include <map>
#include <utility>

namespace shardkit::loader {

Result<VolumeScanReport> MakeVolumeScanReport(const std::string& path,
                                              const DiscoverOptions& options) {
  if (!options.scan) return Status::InvalidArgument("a volume report needs the scan (no --quick)");
  VolumeScanReport report;
  report.path = path;
  report.estimated = options.estimate;
  report.now_ms = options.now_ms;
  SK_ASSIGN_OR_RETURN(report.scanned, ListVolumes({path}));
  std::vector<VolumeReport>& volumes = report.scanned.volumes;
  report.header_passes.resize(volumes.size());
  if (!options.estimate) {
    // The header scans a merge with estimate needs of a standalone volume
    // (the header comment): on a copy of the listed volume, so the full
    // scans below start from the same candidates.
    DiscoverOptions header = options;
    header.estimate = true;
    for (size_t i = 0; i < volumes.size(); ++i) {
      if (volumes[i].nodes) continue;
      std::vector<VolumeReport> copy = {volumes[i]};
      VolumeHeaderPass pass;
      pass.bytes_read = ScanVolumeCandidates(&copy, header);
      for (SourceCandidate& c : copy[0].candidates) {
        pass.candidates.push_back({std::move(c.health), std::move(c.scan), c.has_log_commands});
      }
      report.header_passes[i] = std::move(pass);
    }
  }
  report.scanned.scan_bytes_read = ScanVolumeCandidates(&volumes, options);
  ReadCcsCopies(&report.scanned, options);
  return report;
}

namespace {

// What a candidate that was fully scanned looked like after its header scan
// alone.
void TakeHeaderScan(const HeaderScan& header, SourceCandidate* c) {
  c->health = header.health;
  c->scan = header.scan;
  c->has_log_commands = header.has_log_commands;
}

// The candidate states of the estimating Discover's standalone volume after
// the header pass and the full rescan (ScanVolumeCandidates keeps a failed
// scan's previous state but its health), from the report's full scans and
// header scans. Returns what the rescan read.
uint64_t HeaderThenFull(const VolumeHeaderPass& pass, VolumeReport* v) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < v->candidates.size(); ++i) {
    SourceCandidate& c = v->candidates[i];
    const HeaderScan& header = pass.candidates[i];
    if (!header.health.ok()) {  // unusable before the rescan: not read again
      TakeHeaderScan(header, &c);
      continue;
    }
    if (c.health.ok()) {  // the full scan succeeded (or there was nothing to read)
      if (c.scan) bytes += c.scan->bytes_read;
      continue;
    }
    for (const SourceFile& f : c.files) bytes += f.bytes;  // the full scan failed
    Status failed = std::move(c.health);
    TakeHeaderScan(header, &c);
    c.health = std::move(failed);
  }
  return bytes;
}

std::string Names(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += "\n  " + s;
  return out;
}

// Refuses a volume in two reports, and reports of the other estimate mode
// (the header comment).
Status CheckReports(const std::vector<NamedVolumeReport>& reports, bool estimate) {
  if (reports.empty()) return Status::InvalidArgument("no volume reports given");
  std::map<std::string, std::string> seen;  // real path -> report file
  std::vector<std::string> wrong_mode;
  for (const NamedVolumeReport& r : reports) {
    for (const VolumeReport& v : r.report.scanned.volumes) {
      auto [at, fresh] = seen.emplace(v.files.real_dir, r.file);
      if (!fresh) {
        return Status::InvalidArgument("volume " + v.files.real_dir + " is in two reports, " +
                                       at->second + " and " + r.file +
                                       ": give each volume's report once");
      }
      const bool cluster_volume_in_full = estimate && !r.report.estimated && v.nodes.has_value();
      if (cluster_volume_in_full || (!estimate && r.report.estimated)) {
        wrong_mode.push_back(r.file + " (volume " + v.files.dir + ")");
        break;
      }
    }
  }
  if (wrong_mode.empty()) return Status::Ok();
  if (estimate) {
    return Status::InvalidArgument(
        "plan --estimate needs the reports of volumes with a nodes.conf made with "
        "`discover --volume-report OUT --estimate`; these were made without it:" +
        Names(wrong_mode) + "\n(remake them with --estimate, or plan without --estimate)");
  }
  return Status::InvalidArgument(
      "these reports were made with `discover --estimate` (header scans only), and plan "
      "without --estimate needs every source read in full:" +
      Names(wrong_mode) + "\n(remake them without --estimate, or plan with --estimate)");
}

}  // namespace

Result<Discovery> MergeVolumeScanReports(std::vector<NamedVolumeReport> reports, bool estimate) {
  SK_RETURN_IF_ERROR(CheckReports(reports, estimate));
  Discovery out;
  // Per merged volume: its report, and (a report made without estimate,
  // merged with it) its header pass and full scans, until the rescan is
  // decided.
  struct Origin {
    const NamedVolumeReport* report = nullptr;
    const VolumeHeaderPass* pass = nullptr;
    std::vector<SourceCandidate> full;
  };
  std::vector<Origin> origins;
  for (NamedVolumeReport& named : reports) {
    VolumeScanReport& r = named.report;
    if (r.header_passes.size() != r.scanned.volumes.size()) {
      return Status::Corruption(named.file + ": header passes do not match its volumes");
    }
    const int enterprise_base = static_cast<int>(out.enterprise_volumes.size());
    const bool use_header = estimate && !r.estimated;
    out.scan_bytes_read += use_header ? 0 : r.scanned.scan_bytes_read;
    for (size_t vi = 0; vi < r.scanned.volumes.size(); ++vi) {
      VolumeReport& v = r.scanned.volumes[vi];
      if (v.enterprise.has_value()) v.enterprise->enterprise_volume += enterprise_base;
      Origin origin;
      origin.report = &named;
      if (use_header) {
        const std::optional<VolumeHeaderPass>& pass = r.header_passes[vi];
        if (!pass.has_value() || pass->candidates.size() != v.candidates.size()) {
          return Status::Corruption(named.file + ": volume " + v.files.dir +
                                    " has no header scans for each of its sources");
        }
        origin.pass = &*pass;
        origin.full = v.candidates;
        for (size_t ci = 0; ci < v.candidates.size(); ++ci) {
          TakeHeaderScan(pass->candidates[ci], &v.candidates[ci]);
        }
        out.scan_bytes_read += pass->bytes_read;
      }
      origins.push_back(std::move(origin));
      out.volumes.push_back(std::move(v));
    }
    for (EnterpriseVolume& e : r.scanned.enterprise_volumes) {
      out.enterprise_volumes.push_back(std::move(e));
    }
    for (CcsReport& c : r.scanned.ccs) out.ccs.push_back(std::move(c));
    for (std::string& w : r.scanned.warnings) out.warnings.push_back(std::move(w));
  }
  for (const VolumeReport& v : out.volumes) {
    if (v.enterprise.has_value() &&
        (v.enterprise->enterprise_volume < 0 ||
         v.enterprise->enterprise_volume >= static_cast<int>(out.enterprise_volumes.size()))) {
      return Status::Corruption("volume " + v.files.dir + ": Enterprise path index out of range");
    }
  }
  if (estimate) {
    std::vector<std::string> header_only;
    for (int vi : StandaloneVolumesToRescan(out.volumes)) {
      Origin& o = origins[vi];
      if (o.pass == nullptr) {
        header_only.push_back(o.report->file + " (volume " + out.volumes[vi].files.dir + ")");
        continue;
      }
      out.volumes[vi].candidates = std::move(o.full);
      out.scan_bytes_read += HeaderThenFull(*o.pass, &out.volumes[vi]);
    }
    if (!header_only.empty()) {
      return Status::InvalidArgument(
          "plan --estimate reads standalone volumes (no nodes.conf; Redis Enterprise shard "
          "copies) in full unless they are the only volumes and of one replication lineage "
          "(SPEC.md \"Estimated plans\"), and these reports hold header scans only:" +
          Names(header_only) +
          "\n(make the reports of these volumes without --estimate: `shardkit discover "
          "--volume-report OUT DIR`)");
    }
  }
  DecideDiscovery(&out);
  return out;
}

}  // namespace shardkit::loader
