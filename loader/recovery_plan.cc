#include "loader/recovery_plan.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>

#include "loader/enterprise_databases.h"

namespace shardkit::loader {

const char* TargetShapeName(TargetShape shape) {
  return shape == TargetShape::kStandalone ? "standalone" : "cluster";
}

std::vector<int> RecoveryPlan::SourcesForNode(int index) const {
  std::vector<int> out;
  if (standalone()) {
    for (size_t i = 0; i < sources.size(); ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  const SlotSet& mine = slots.DataNode(index).slots;
  for (size_t i = 0; i < sources.size(); ++i) {
    const PlanSource& s = sources[i];
    bool relevant = s.has_log_commands;  // log commands may touch any slot
    for (const SlotRange& r : s.present_slots.Ranges()) {
      for (uint32_t slot = r.first; slot <= r.last && !relevant; ++slot) {
        relevant = mine.Contains(static_cast<uint16_t>(slot));
      }
      if (relevant) break;
    }
    if (relevant) out.push_back(static_cast<int>(i));
  }
  return out;
}

bool RecoveryPlan::UsesAof() const {
  for (const PlanSource& s : sources) {
    if (s.has_log_commands) return true;
  }
  return false;
}

namespace {

// An estimated source's RDB part: `bytes` spread over `slots`, the remainder
// one byte each on the first slots (the total stays exact).
void SpreadEvenly(uint64_t bytes, const SlotSet& slots, SlotStats* stats) {
  const uint64_t n = slots.count();
  if (n == 0 || bytes == 0) return;
  const uint64_t each = bytes / n;
  uint64_t extra = bytes % n;
  for (const SlotRange& r : slots.Ranges()) {
    for (int slot = r.first; slot <= r.last; ++slot) {
      stats->bytes[slot] += each + (extra > 0 ? 1 : 0);
      if (extra > 0) --extra;
    }
  }
}

}  // namespace

Result<RecoveryPlan> BuildRecoveryPlan(const Discovery& discovery, const PlanOptions& options,
                                       int64_t now_ms) {
  std::vector<std::string> enterprise_notes;
  SK_RETURN_IF_ERROR(CheckEnterpriseDatabases(discovery, &enterprise_notes));
  if (!discovery.ambiguous.empty() && !options.merge_standalone) {
    std::string list;
    for (const Ambiguity& a : discovery.ambiguous) list += "\n  " + a.message;
    return Status::InvalidArgument(
        "refusing to merge volumes of different databases:" + list +
        "\n(volumes of one database share a replication id; give only the volumes of one "
        "database, or --merge-standalone to merge them: the freshest copy of a key wins and "
        "keys only an older volume holds are kept)");
  }
  if (options.standalone && (options.node_count != 1 || !options.weights.empty())) {
    return Status::InvalidArgument(
        "a standalone target has one master (--nodes 1, no --weights); give it replicas with "
        "--replicas R");
  }
  RecoveryPlan plan;
  plan.shape = options.standalone ? TargetShape::kStandalone : TargetShape::kCluster;
  plan.created_ms = now_ms;
  plan.warnings = discovery.warnings;
  plan.scan_bytes_read = discovery.scan_bytes_read;
  for (std::string& n : enterprise_notes) plan.warnings.push_back(std::move(n));
  for (const Ambiguity& a : discovery.ambiguous) {
    plan.warnings.push_back("merged (--merge-standalone): " + a.message);
  }
  PlanRequest request;
  request.node_count = options.node_count;
  request.replicas = options.replicas;
  request.weights = options.weights;
  request.endpoints = options.endpoints;
  std::string missing;
  for (const ShardDecision& d : discovery.shards) {
    const SourceCandidate* c = discovery.Chosen(d);
    if (c == nullptr) {
      missing += "\n  shard " + d.master_id + " (slots " + d.slots.ToString() + "): " + d.reason;
      for (const std::string& r : d.rejected) missing += "\n    rejected " + r;
      continue;
    }
    PlanSource s;
    s.shard = d.master_id;
    s.volume = discovery.volumes[d.volume].files.dir;
    s.kind = std::string(SourceKindName(c->kind));
    s.path = c->path;
    s.rdb_path = c->rdb_path;
    s.has_log_commands = c->has_log_commands;
    s.files = c->files;
    s.owned_slots = d.slots;
    s.rdb_mtime_ms = c->newest_mtime_ms;
    if (c->scan) {
      s.present_slots = c->scan->present_slots;
      s.keys = c->scan->keys;
      s.rdb_bytes = c->scan->bytes;
      s.rdb_version = c->scan->summary.header.version;
      s.flush_file = c->scan->flush_file;
      s.flush_end_offset = c->scan->flush_end_offset;
      for (int slot = 0; slot < kSlotCount; ++slot) {
        request.stats.bytes[slot] += c->scan->stats.bytes[slot];
        request.stats.keys[slot] += c->scan->stats.keys[slot];
      }
      if (c->scan->estimated) {
        plan.estimated = true;
        s.present_slots = SlotSet();
        s.present_slots.AddRange({0, kSlotCount - 1});
        SpreadEvenly(c->scan->rdb_part_bytes, d.slots.empty() ? s.present_slots : d.slots,
                     &request.stats);
      }
    }
    if (!d.slots.empty()) request.old_shards.push_back(d.slots);
    plan.sources.push_back(std::move(s));
  }
  if (!missing.empty()) {
    if (!options.allow_missing_shards) {
      return Status::NotFound("no usable source for:" + missing +
                              "\n(give the missing volumes, or --allow-missing-shards to "
                              "recover the rest)");
    }
    plan.warnings.push_back("recovering without:" + missing);
  }
  // Keep shards whole only when every source is a cluster shard.
  if (request.old_shards.size() != plan.sources.size()) request.old_shards.clear();
  SK_ASSIGN_OR_RETURN(plan.slots, MakeSlotPlan(request));
  if (plan.standalone()) {
    // The slot statistics count db-0 keys only; the one master (and each of
    // its replicas) holds every db: report the sources' keys of every db.
    uint64_t keys = 0;
    for (const PlanSource& s : plan.sources) keys += s.keys;
    for (PlannedNode& n : plan.slots.nodes) n.keys = keys;
    plan.slots.total_keys = keys;
  }
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, plan.slots.fingerprint.data(), plan.slots.fingerprint.size());
  for (const PlanSource& s : plan.sources) {
    for (const SourceFile& f : s.files) {
      std::string id = f.path + "|" + std::to_string(f.bytes) + "|" + std::to_string(f.mtime_ms) + ";";
      XXH3_64bits_update(st, id.data(), id.size());
    }
  }
  if (plan.standalone()) {
    // Only then: a cluster plan keeps the fingerprint it had before shapes.
    const std::string shape = std::string("shape=") + TargetShapeName(plan.shape) + ";";
    XXH3_64bits_update(st, shape.data(), shape.size());
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, XXH3_64bits_digest(st));
  XXH3_freeState(st);
  plan.fingerprint = hex;
  return plan;
}

}  // namespace shardkit::loader
