#include "tools/recover_report.h"

#include <cstdio>

namespace shardkit::tools {
namespace {

// [[start_ms, end_ms, keys], ...]: when the node's keys expire.
nlohmann::json ExpiringJson(const std::vector<loader::ExpiryBucket>& buckets) {
  nlohmann::json out = nlohmann::json::array();
  for (const loader::ExpiryBucket& b : buckets) out.push_back({b.start_ms, b.end_ms, b.keys});
  return out;
}

}  // namespace

nlohmann::json RecoverReportJson(const loader::RecoverReport& r,
                                 const loader::RecoveryPlan& plan) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : r.nodes) {
    nlohmann::json node = {{"index", n.index},
                     {"node_id", n.node_id},
                     {"role", n.master_index >= 0 ? "replica" : "master"},
                     {"dir", n.dir},
                     {"status", n.skipped_complete ? "already-complete" : "written"},
                     {"layout", n.layout},
                     {"keys", n.keys},
                     {"keys_with_expiry", n.keys_with_expiry},
                     {"expiring", ExpiringJson(n.expiring)},
                     {"commands", n.commands},
                     {"rdb_bytes", n.bytes},
                     {"rdb_crc64", n.rdb_crc64},
                     {"native_bytes", n.native_bytes},
                     {"slots", n.slot_count},
                     {"seconds", n.seconds}};
    if (!n.digest.empty()) node["digest"] = n.digest;
    if (!n.digest_not_computed.empty()) node["digest_not_computed"] = n.digest_not_computed;
    if (n.master_index >= 0) {
      if (plan.standalone()) node["replicaof"] = n.replicaof;
      node["master"] = plan.slots.nodes.at(n.master_index).node_id;
      node["master_index"] = n.master_index;
      node["resync"] = n.resync;
      node["resync_reason"] = n.resync_reason;
    }
    nodes.push_back(std::move(node));
  }
  return {{"plan", plan.fingerprint},
          {"shape", loader::TargetShapeName(plan.shape)},
          {"recovery_time_ms", plan.created_ms},
          {"io_backend", r.io_backend},
          {"nodes", nodes},
          {"sources", r.sources_used},
          {"source_bytes_read", r.source_bytes_read},
          {"keys_read", r.keys_read},
          {"keys_written", r.keys_written},
          {"expired_dropped", r.expired_dropped},
          {"other_db_dropped", r.other_db_dropped},
          {"other_db_moved", r.other_db_moved},
          {"duplicates_dropped", r.duplicates_dropped},
          {"spilled_bytes", r.spilled_bytes},
          {"values_in_pieces", r.values_in_pieces},
          {"non_owner_kept", r.non_owner_kept},
          {"standard_policy_differs", r.standard_policy_differs},
          {"commands_read", r.commands_read},
          {"commands_written", r.commands_written},
          {"commands_before_flush", r.commands_flushed},
          {"commands_non_owner_dropped", r.commands_non_owner},
          {"functions", r.functions},
          {"fragment_bytes_read", r.fragment_bytes_read},
          {"seconds", r.seconds},
          {"standard_policy_note",
           r.standard_policy_differs > 0 ? nlohmann::json(loader::StandardPolicySentence(r))
                                         : nlohmann::json(nullptr)},
          {"warnings", r.warnings}};
}

void PrintRecoverReport(const loader::RecoverReport& report, const loader::RecoveryPlan& plan) {
  for (const auto& n : report.nodes) {
    std::fprintf(stderr, "node %d %s: %s (%s), %llu keys, %llu log commands, %llu bytes, crc64 %s\n",
                 n.index, n.dir.c_str(), n.skipped_complete ? "already complete" : "written",
                 n.layout.c_str(), static_cast<unsigned long long>(n.keys),
                 static_cast<unsigned long long>(n.commands),
                 static_cast<unsigned long long>(n.bytes), n.rdb_crc64.c_str());
    if (n.master_index >= 0) {
      std::fprintf(stderr, "  replica of node %d: %s resync (%s)\n", n.master_index,
                   n.resync.c_str(), n.resync_reason.c_str());
      if (plan.standalone()) {
        // The replica's own port, as the plan's endpoint says.
        const std::string& ep = plan.slots.nodes.at(n.index).endpoint;
        const std::string port = ep.substr(ep.rfind(':') + 1);
        if (n.replicaof.empty()) {
          std::fprintf(stderr, "  start: in %s, redis-server --dir . --replicaof <master host> "
                               "<port> (no replica.conf: the plan has no endpoints)\n",
                       n.dir.c_str());
        } else {
          std::fprintf(stderr, "  start: in %s, redis-server --port %s --dir . --include %s\n",
                       n.dir.c_str(), port.c_str(), loader::kReplicaConfName);
        }
      }
    }
  }
  std::fprintf(stderr,
               "recover: %llu keys read, %llu written, %llu expired dropped, %llu duplicates "
               "dropped, %.2fs (%s backend)\n",
               static_cast<unsigned long long>(report.keys_read),
               static_cast<unsigned long long>(report.keys_written),
               static_cast<unsigned long long>(report.expired_dropped),
               static_cast<unsigned long long>(report.duplicates_dropped), report.seconds,
               report.io_backend.c_str());
  if (report.commands_read > 0) {
    std::fprintf(stderr,
                 "recover: %llu log commands read, %llu written, %llu before a FLUSHALL/FLUSHDB "
                 "skipped, %llu for slots their source did not own dropped\n",
                 static_cast<unsigned long long>(report.commands_read),
                 static_cast<unsigned long long>(report.commands_written),
                 static_cast<unsigned long long>(report.commands_flushed),
                 static_cast<unsigned long long>(report.commands_non_owner));
  }
  if (report.standard_policy_differs > 0) {
    std::fprintf(stderr, "recover: %s\n", loader::StandardPolicySentence(report).c_str());
  }
  for (const auto& w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

nlohmann::json SplitReportJson(const loader::SplitReport& r) {
  const loader::FragmentManifest& m = r.manifest;
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [index, n] : m.nodes) {
    nodes.push_back({{"index", index},
                     {"keys", n.keys},
                     {"commands", n.commands},
                     {"held_back", n.held},
                     {"owned_contested_keys", n.owned}});
  }
  return {{"plan", m.plan_fingerprint},
          {"source", r.source},
          {"source_path", m.source_path},
          {"dir", r.dir},
          {"status", r.skipped_complete ? "already-complete" : "written"},
          {"rdb_version", m.rdb_version},
          {"nodes", nodes},
          {"source_bytes_read", m.bytes_read},
          {"keys_read", m.keys_read},
          {"expired_dropped", m.expired_dropped},
          {"other_db_dropped", m.other_db_dropped},
          {"other_db_moved", m.other_db_moved},
          {"commands_read", m.commands_read},
          {"commands_before_flush", m.commands_flushed},
          {"functions", m.functions},
          {"fragment_bytes_written", r.bytes_written},
          {"seconds", r.seconds}};
}

void PrintSplitReport(const loader::SplitReport& r) {
  const loader::FragmentManifest& m = r.manifest;
  for (const auto& [index, n] : m.nodes) {
    std::fprintf(stderr, "source %d -> node %d: %llu keys, %llu log commands, %llu held back\n",
                 r.source, index, static_cast<unsigned long long>(n.keys),
                 static_cast<unsigned long long>(n.commands),
                 static_cast<unsigned long long>(n.held));
  }
  std::fprintf(stderr,
               "recover: source %d (%s) %s in %s: %llu keys read, %llu expired dropped, %llu "
               "bytes of fragments, %.2fs\n",
               r.source, m.source_path.c_str(),
               r.skipped_complete ? "already split" : "split", r.dir.c_str(),
               static_cast<unsigned long long>(m.keys_read),
               static_cast<unsigned long long>(m.expired_dropped),
               static_cast<unsigned long long>(r.bytes_written), r.seconds);
}

}  // namespace shardkit::tools
