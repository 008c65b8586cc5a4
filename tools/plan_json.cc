#include "tools/plan_json.h"

#include <limits>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "loader/ccs_grouping.h"

namespace shardkit::tools {

using nlohmann::json;

namespace {

// A plan field that is not an integer of the field's type. nlohmann's get<>
// turns a JSON float into an integer with a plain cast, which is undefined
// behaviour out of range (fuzz_plan_json: "bytes": 111111111111111111148
// parses as a double); every number in a plan is an integer, so anything
// else is refused by these readers.
struct PlanFieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T IntegerFrom(const json& v, std::string_view key) {
  static_assert(std::is_integral_v<T>);
  bool fits = false;
  T out{};
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    fits = u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    out = static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    fits = std::is_signed_v<T> ? i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                     i <= static_cast<int64_t>(std::numeric_limits<T>::max())
                               : i >= 0;
    out = static_cast<T>(i);
  }
  if (!fits) {
    throw PlanFieldError("\"" + std::string(key) + "\" must be an integer in [" +
                         std::to_string(std::numeric_limits<T>::min()) + ", " +
                         std::to_string(std::numeric_limits<T>::max()) + "], got " + v.dump());
  }
  return out;
}

// The required integer field `key` of object `j`.
template <typename T>
T IntegerAt(const json& j, const char* key) {
  return IntegerFrom<T>(j.at(key), key);
}

// The integer field `key`, or `fallback` when the object has no such field.
template <typename T>
T IntegerOr(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  return it == j.end() ? fallback : IntegerFrom<T>(*it, key);
}

json RangesJson(const loader::SlotSet& slots) {
  json out = json::array();
  for (const loader::SlotRange& r : slots.Ranges()) out.push_back({r.first, r.last});
  return out;
}

// Reads [[a,b],...] into a SlotSet; throws json errors on bad shapes.
Result<loader::SlotSet> RangesFrom(const json& j, const std::string& what) {
  loader::SlotSet set;
  if (!j.is_array()) return Status::Corruption(what + ": expected an array of [first,last]");
  for (const json& r : j) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_unsigned() ||
        !r[1].is_number_unsigned()) {
      return Status::Corruption(what + ": expected [first,last] pairs");
    }
    uint64_t a = r[0].get<uint64_t>(), b = r[1].get<uint64_t>();
    if (a > b || b >= loader::kSlotCount) {
      return Status::Corruption(what + ": bad slot range [" + std::to_string(a) + "," +
                                std::to_string(b) + "]");
    }
    set.AddRange({static_cast<uint16_t>(a), static_cast<uint16_t>(b)});
  }
  return set;
}

json FilesJson(const std::vector<loader::SourceFile>& files) {
  json out = json::array();
  for (const loader::SourceFile& f : files) {
    out.push_back({{"path", f.path}, {"bytes", f.bytes}, {"mtime_ms", f.mtime_ms}});
  }
  return out;
}

json CandidateJson(const loader::SourceCandidate& c) {
  json j = {{"kind", loader::SourceKindName(c.kind)},
            {"path", c.path},
            {"rdb_path", c.rdb_path},
            {"has_log_commands", c.has_log_commands},
            {"usable", c.health.ok()},
            {"files", FilesJson(c.files)}};
  if (!c.health.ok()) j["error"] = c.health.ToString();
  if (c.scan) {
    const loader::SourceScan& s = *c.scan;
    j["rdb_version"] = s.summary.header.version;
    j["producer"] = s.summary.producer;
    j["crc"] = formats::rdb::CrcStatusName(s.summary.crc);
    j["keys"] = s.keys;
    j["bytes"] = s.bytes;
    j["keys_other_dbs"] = s.keys_other_dbs;
    j["keys_expired"] = s.keys_expired;
    j["functions"] = s.functions.size();
    if (loader::IsAofKind(c.kind)) {
      j["log_commands"] = s.commands;
      j["truncated_tail"] = s.truncated_tail;
      if (s.flush_file >= 0) {
        j["last_flush"] = {{"file", c.files.at(static_cast<size_t>(s.flush_file)).path},
                           {"end_offset", s.flush_end_offset}};
      }
    }
    j["modules"] = s.modules;
    // "header": the RDB part read up to its first db only (discover
    // --estimate): its keys, CRC and per-slot figures were not read.
    j["scan"] = s.estimated ? "header" : "full";
    j["bytes_read"] = s.bytes_read;
    if (!s.repl_id.empty()) j["repl_id"] = s.repl_id;
    if (s.has_repl_offset) j["repl_offset"] = s.repl_offset;
  }
  return j;
}

// Sets each replica's master_index from its master's node id (master_of[i],
// "" for a master). A replica's master must be a master of the plan, and a
// replica owns no slots.
Status ResolveMasters(const std::vector<std::string>& master_of, const std::string& where,
                      loader::SlotPlan* plan) {
  for (size_t i = 0; i < master_of.size(); ++i) {
    if (master_of[i].empty()) continue;
    loader::PlannedNode& replica = plan->nodes[i];
    const std::string what = where + ": replica " + std::to_string(replica.index);
    for (const loader::PlannedNode& m : plan->nodes) {
      if (m.node_id == master_of[i] && master_of[m.index].empty()) replica.master_index = m.index;
    }
    if (replica.master_index < 0) {
      return Status::Corruption(what + " names master " + master_of[i] +
                                ", which is not a master of this plan");
    }
    if (!replica.slots.empty()) return Status::Corruption(what + " owns slots");
  }
  return Status();
}

}  // namespace

namespace {

// CCS contents are bytes from a file: JSON strings must be UTF-8, so bytes
// outside printable ASCII are written as \xHH (and a backslash as \\).
std::string JsonSafe(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

json JsonSafeAll(const std::vector<std::string>& values) {
  json out = json::array();
  for (const std::string& v : values) out.push_back(JsonSafe(v));
  return out;
}

}  // namespace

json DiscoveryToJson(const loader::Discovery& d) {
  json volumes = json::array();
  for (const loader::VolumeReport& v : d.volumes) {
    json j = {{"dir", v.files.dir},
              {"node_id", v.node_id},
              {"role", v.node_id.empty() ? "standalone" : (v.is_master ? "master" : "replica")},
              {"aof_enabled", v.aof_enabled},
              {"lineage", v.lineage},
              {"notes", v.files.notes}};
    if (!v.master_id.empty()) j["master_id"] = v.master_id;
    if (v.enterprise.has_value()) {
      j["enterprise"] = {
          {"uid", v.enterprise->name.uid},
          {"kind", loader::EnterpriseFileKindName(v.enterprise->name.kind)},
          {"prev", v.enterprise->name.prev},
          {"path", d.enterprise_volumes[v.enterprise->enterprise_volume].path}};
    }
    if (v.files.nodes_conf) j["nodes_conf"] = *v.files.nodes_conf;
    if (!v.nodes_status.ok()) j["nodes_conf_error"] = v.nodes_status.ToString();
    json cands = json::array();
    for (const auto& c : v.candidates) cands.push_back(CandidateJson(c));
    j["sources"] = cands;
    volumes.push_back(j);
  }
  const loader::CcsGrouping grouping = loader::GroupShardsByCcs(d);
  json shards = json::array();
  for (size_t si = 0; si < d.shards.size(); ++si) {
    const loader::ShardDecision& s = d.shards[si];
    json members = json::array();
    for (int vi : s.members) members.push_back(d.volumes[vi].files.dir);
    json j = {{"master_id", s.master_id},
              {"standalone", s.standalone},
              {"lineage", s.lineage},
              {"volumes", members},
              {"slots", s.slots.ToString()},
              {"slot_count", s.slots.count()},
              {"reason", s.reason},
              {"rejected", s.rejected}};
    if (!s.enterprise_uids.empty()) {
      j["enterprise_uids"] = s.enterprise_uids;
      // The database the CCS places the shard in (loader/ccs_grouping.h).
      const int db = grouping.database_of[si];
      j["ccs_bdb"] = db >= 0 ? json(grouping.databases[db].uid) : json(nullptr);
      if (db < 0 && !d.ccs.empty()) j["ccs_not_grouped"] = grouping.why_not[si];
    }
    if (const loader::SourceCandidate* c = d.Chosen(s)) {
      j["source"] = {{"volume", d.volumes[s.volume].files.dir},
                     {"kind", loader::SourceKindName(c->kind)},
                     {"path", c->path}};
    } else {
      j["source"] = nullptr;
    }
    shards.push_back(j);
  }
  json ambiguous = json::array();
  for (const loader::Ambiguity& a : d.ambiguous) {
    ambiguous.push_back({{"shards", {d.shards[a.shard_a].master_id, d.shards[a.shard_b].master_id}},
                         {"slot", a.slot},
                         {"message", a.message}});
  }
  json enterprise = json::array();
  for (const loader::EnterpriseVolume& e : d.enterprise_volumes) {
    json files = json::array();
    for (const loader::EnterpriseShardFile& f : e.shard_files) {
      files.push_back({{"uid", f.name.uid},
                       {"kind", loader::EnterpriseFileKindName(f.name.kind)},
                       {"prev", f.name.prev},
                       {"path", f.path},
                       {"manifest", f.manifest},
                       {"bytes", f.bytes},
                       {"mtime_ms", f.mtime_ms}});
    }
    enterprise.push_back(
        {{"path", e.path},
         {"real_path", e.real_path},
         {"kind", e.kind == loader::EnterprisePathKind::kNodeVolume ? "node-volume" : "shard-file"},
         {"shard_files", files},
         {"ccs", e.ccs_files},  // the cluster configuration store: listed, never user data
         {"notes", e.notes}});
  }
  json ccs = json::array();
  for (const loader::CcsReport& c : d.ccs) {
    json dbs = json::array();
    for (const loader::CcsDatabase& db : c.databases) {
      json one = {{"uid", db.uid},
                  {"name", JsonSafe(db.name)},
                  {"fields", JsonSafeAll(db.fields)},
                  {"hash_slots_policy", JsonSafe(db.hash_slots_policy)},
                  {"redis_list", db.redis_list}};
      if (!db.redis_list_error.empty()) one["redis_list_error"] = JsonSafe(db.redis_list_error);
      dbs.push_back(std::move(one));
    }
    json ccs_shards = json::array();
    for (const loader::CcsShard& sh : c.shards) {
      ccs_shards.push_back({{"uid", sh.uid},
                            {"bdb_uid", sh.bdb_uid ? json(*sh.bdb_uid) : json(nullptr)},
                            {"role", JsonSafe(sh.role)},
                            {"assigned_slots", JsonSafe(sh.assigned_slots)}});
    }
    ccs.push_back({{"path", c.path},
                   {"ok", c.status.ok()},
                   {"error", c.status.ok() ? json(nullptr) : json(c.status.ToString())},
                   {"databases", dbs},
                   {"shards", ccs_shards}});
  }
  json ccs_databases = json::array();
  for (const loader::CcsBdb& db : grouping.databases) {
    json members = json::array();
    for (int si : db.shards) members.push_back(d.shards[si].master_id);
    ccs_databases.push_back({{"uid", db.uid},
                             {"name", JsonSafe(db.name)},
                             {"hash_slots_policy", JsonSafe(db.hash_slots_policy)},
                             {"legacy", db.legacy},
                             {"shards", members}});
  }
  return {{"volumes", volumes},
          {"enterprise_volumes", enterprise},
          {"ccs", ccs},
          {"ccs_databases", ccs_databases},
          {"ccs_disagreements", grouping.disagreements},
          {"shards", shards},
          {"ambiguous", ambiguous},
          {"warnings", d.warnings},
          {"scan_bytes_read", d.scan_bytes_read},
          {"unowned_slots", d.topology.unowned_slots()},
          {"current_epoch", d.topology.current_epoch}};
}

json PlanToJson(const loader::RecoveryPlan& p) {
  json sources = json::array();
  for (const loader::PlanSource& s : p.sources) {
    sources.push_back({{"shard", s.shard},
                       {"volume", s.volume},
                       {"kind", s.kind},
                       {"path", s.path},
                       {"rdb_path", s.rdb_path},
                       {"rdb_bytes", s.rdb_bytes},
                       {"rdb_mtime_ms", s.rdb_mtime_ms},
                       {"rdb_version", s.rdb_version},
                       {"has_log_commands", s.has_log_commands},
                       {"files", FilesJson(s.files)},
                       {"flush_file", s.flush_file},
                       {"flush_end_offset", s.flush_end_offset},
                       {"keys", s.keys},
                       {"owned_slots", RangesJson(s.owned_slots)},
                       {"present_slots", RangesJson(s.present_slots)}});
  }
  json nodes = json::array();
  for (const loader::PlannedNode& n : p.slots.nodes) {
    json node = {{"index", n.index},
                 {"node_id", n.node_id},
                 {"role", n.is_replica() ? "replica" : "master"},
                 {"endpoint", n.endpoint},
                 {"slots", RangesJson(n.slots)},
                 {"slot_count", n.slots.count()},
                 {"keys", n.keys},
                 {"bytes", n.bytes}};
    if (n.is_replica()) node["master"] = p.slots.nodes.at(n.master_index).node_id;
    nodes.push_back(std::move(node));
  }
  return {{"format", p.format},
          {"fingerprint", p.fingerprint},
          {"created_ms", p.created_ms},
          {"shape", loader::TargetShapeName(p.shape)},
          {"strategy", p.slots.strategy},
          {"slot_plan_fingerprint", p.slots.fingerprint},
          {"total_keys", p.slots.total_keys},
          {"total_bytes", p.slots.total_bytes},
          {"sources", sources},
          {"nodes", nodes},
          {"slot_bytes", p.estimated ? "estimated" : "measured"},
          {"scan_bytes_read", p.scan_bytes_read},
          {"warnings", p.warnings}};
}

Result<loader::RecoveryPlan> PlanFromJson(std::string_view text, std::string_view path) {
  const std::string where(path);
  loader::RecoveryPlan p;
  try {
    json j = json::parse(text);
    if (!j.is_object()) return Status::Corruption(where + ": not a JSON object");
    if (IntegerOr<int>(j, "format", 0) != loader::kRecoveryPlanFormat) {
      return Status::NotSupported(where + ": plan format " + j.value("format", json()).dump() +
                                  " (this shardkit reads format " +
                                  std::to_string(loader::kRecoveryPlanFormat) + ")");
    }
    p.fingerprint = j.at("fingerprint").get<std::string>();
    p.created_ms = IntegerAt<int64_t>(j, "created_ms");
    // Plans written before target shapes have no "shape": a cluster.
    const std::string shape = j.value("shape", "cluster");
    if (shape == "standalone") {
      p.shape = loader::TargetShape::kStandalone;
    } else if (shape != "cluster") {
      return Status::Corruption(where + ": shape \"" + shape +
                                "\" (expected cluster or standalone)");
    }
    p.slots.strategy = j.value("strategy", "");
    p.slots.fingerprint = j.value("slot_plan_fingerprint", "");
    p.warnings = j.value("warnings", std::vector<std::string>{});
    // Plans written before estimated plans have neither: measured.
    p.estimated = j.value("slot_bytes", "measured") == "estimated";
    p.scan_bytes_read = IntegerOr<uint64_t>(j, "scan_bytes_read", 0);
    for (const json& s : j.at("sources")) {
      loader::PlanSource src;
      src.shard = s.at("shard").get<std::string>();
      src.volume = s.at("volume").get<std::string>();
      src.kind = s.at("kind").get<std::string>();
      src.path = s.at("path").get<std::string>();
      src.rdb_path = s.at("rdb_path").get<std::string>();
      src.rdb_bytes = IntegerAt<uint64_t>(s, "rdb_bytes");
      src.rdb_mtime_ms = IntegerAt<int64_t>(s, "rdb_mtime_ms");
      src.rdb_version = IntegerOr<int>(s, "rdb_version", 0);
      src.has_log_commands = s.at("has_log_commands").get<bool>();
      for (const json& f : s.at("files")) {
        src.files.push_back({f.at("path").get<std::string>(), IntegerAt<uint64_t>(f, "bytes"),
                             IntegerAt<int64_t>(f, "mtime_ms")});
      }
      if (src.files.empty()) return Status::Corruption(where + ": a source lists no files");
      src.flush_file = IntegerOr<int>(s, "flush_file", -1);
      src.flush_end_offset = IntegerOr<uint64_t>(s, "flush_end_offset", 0);
      if (src.flush_file >= static_cast<int>(src.files.size())) {
        return Status::Corruption(where + ": flush_file out of range");
      }
      src.keys = IntegerOr<uint64_t>(s, "keys", 0);
      SK_ASSIGN_OR_RETURN(src.owned_slots, RangesFrom(s.at("owned_slots"), where + " source"));
      SK_ASSIGN_OR_RETURN(src.present_slots,
                          RangesFrom(s.at("present_slots"), where + " source"));
      p.sources.push_back(std::move(src));
    }
    std::set<std::string> ids;
    std::vector<std::string> master_of;  // per node: its master's id, "" for a master
    for (const json& n : j.at("nodes")) {
      loader::PlannedNode node;
      node.index = IntegerAt<int>(n, "index");
      node.node_id = n.at("node_id").get<std::string>();
      // Plans written before replicas have no "role": every node a master.
      const std::string role = n.value("role", "master");
      if (role == "replica") {
        master_of.push_back(n.at("master").get<std::string>());
      } else if (role == "master") {
        if (n.contains("master")) {
          return Status::Corruption(where + ": node " + std::to_string(node.index) +
                                    " is a master but names a master");
        }
        master_of.emplace_back();
      } else {
        return Status::Corruption(where + ": node " + std::to_string(node.index) + " has role \"" +
                                  role + "\" (expected master or replica)");
      }
      node.endpoint = n.value("endpoint", "");
      node.keys = IntegerOr<uint64_t>(n, "keys", 0);
      node.bytes = IntegerOr<uint64_t>(n, "bytes", 0);
      SK_ASSIGN_OR_RETURN(node.slots, RangesFrom(n.at("slots"), where + " node"));
      if (node.index != static_cast<int>(p.slots.nodes.size())) {
        return Status::Corruption(where + ": node indices must be 0..N-1 in order");
      }
      if (node.node_id.size() != 40 || !ids.insert(node.node_id).second) {
        return Status::Corruption(where + ": node " + std::to_string(node.index) +
                                  " has a missing, malformed or repeated node_id");
      }
      p.slots.nodes.push_back(std::move(node));
    }
    SK_RETURN_IF_ERROR(ResolveMasters(master_of, where, &p.slots));
  } catch (const json::exception& e) {
    return Status::Corruption(where + ": " + e.what());
  } catch (const PlanFieldError& e) {
    return Status::Corruption(where + ": " + e.what());
  }
  if (p.slots.nodes.empty()) return Status::Corruption(where + ": plan has no nodes");
  if (p.standalone()) {
    int masters = 0;
    for (const auto& n : p.slots.nodes) masters += n.is_replica() ? 0 : 1;
    if (masters != 1) {
      return Status::Corruption(where + ": shape standalone with " + std::to_string(masters) +
                                " masters (expected 1)");
    }
  }
  for (int slot = 0; slot < loader::kSlotCount; ++slot) {
    int owners = 0;
    for (const auto& n : p.slots.nodes) owners += n.slots.Contains(static_cast<uint16_t>(slot));
    if (owners != 1) {
      return Status::Corruption(where + ": slot " + std::to_string(slot) + " has " +
                                std::to_string(owners) + " owners (expected exactly 1)");
    }
  }
  return p;
}

}  // namespace shardkit::tools
