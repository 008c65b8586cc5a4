#include "loader/enterprise_databases.h"

#include <cstdio>
#include <set>

#include "loader/ccs_grouping.h"

namespace shardkit::loader {

namespace {

// A JSON string literal (the refusal quotes a recovery spec; loader/ has no
// JSON library). Bytes >= 0x80 pass through: paths and names are UTF-8 as a
// rule, and one that is not makes a spec the parser refuses, not a wrong one.
std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\u%04x", static_cast<unsigned>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// As tools/recovery_spec.h IsSafeDatabaseName: [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
bool SafeName(std::string_view name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// "2,3: /n1/redis/redis-2.rdb, /n2/redis/redis-3.rdb; slots with keys [...], N keys"
std::string DescribeShard(const Discovery& d, const ShardDecision& s) {
  const SourceCandidate* c = d.Chosen(s);
  std::string copies;
  for (int vi : s.members) copies += (copies.empty() ? "" : ", ") + d.volumes[vi].files.dir;
  std::string slots = c != nullptr && c->scan ? c->scan->present_slots.ToString() : "unknown";
  if (slots.size() > 120) slots = slots.substr(0, slots.rfind(' ', 120)) + " ...";
  std::string text = "shard " + s.master_id.substr(s.master_id.find(':') + 1) + ": " + copies +
                     "; slots with keys [" + slots + "]";
  if (c != nullptr && c->scan) text += ", " + std::to_string(c->scan->keys) + " keys";
  return text;
}

// The recovery spec that plans each (non-legacy) database of `g` apart.
std::string DerivedSpec(const Discovery& d, const CcsGrouping& g) {
  std::string out = "{\"databases\": [";
  std::set<std::string> names;
  bool first = true;
  for (const CcsBdb& db : g.databases) {
    if (db.legacy) continue;
    std::string name = SafeName(db.name) ? db.name : "bdb-" + std::to_string(db.uid);
    if (!names.insert(name).second) name += "-" + std::to_string(db.uid);
    names.insert(name);
    std::vector<std::string> volumes;
    for (int si : db.shards) {
      for (int vi : d.shards[si].members) volumes.push_back(d.volumes[vi].files.dir);
    }
    const size_t masters = db.shards.size();
    out += first ? "\n" : ",\n";
    first = false;
    out += "  {\"name\": " + JsonQuote(name);
    if (masters == 1) {
      out += ", \"shape\": \"standalone\"";
    } else {
      out += ", \"shape\": \"cluster\", \"masters\": " + std::to_string(masters) +
             ", \"replicas\": 0,\n   \"endpoints\": [";
      for (size_t m = 0; m < masters; ++m) {
        out += (m == 0 ? "" : ", ") +
               JsonQuote("<" + name + " master " + std::to_string(m) + " host:port>");
      }
      out += "]";
    }
    out += ",\n   \"volumes\": [";
    for (size_t v = 0; v < volumes.size(); ++v) out += (v == 0 ? "" : ", ") + JsonQuote(volumes[v]);
    out += "]}";
  }
  return out + "]}";
}

// Rule 1, every shard placed, several databases.
Status RefuseGrouped(const Discovery& d, const CcsGrouping& g) {
  std::string list;
  for (const CcsBdb& db : g.databases) {
    list += "\n  " + CcsGrouping::Describe(db) + " (hash_slots_policy " +
            (db.hash_slots_policy.empty() ? "not given" : db.hash_slots_policy) + "):";
    for (int si : db.shards) list += "\n    " + DescribeShard(d, d.shards[si]);
    if (db.legacy) list += "\n    left out of the spec below: " + LegacyPolicyMessage(db);
  }
  return Status::Corruption(
      "Redis Enterprise node volumes hold shards of " + std::to_string(g.databases.size()) +
      " databases; the CCS places every shard:" + list +
      "\nplan each database apart: save this recovery spec derived from the CCS as "
      "recovery.json, fill in each cluster database's endpoints (its masters in order), and "
      "run plan --spec recovery.json --out plans/:\n" +
      DerivedSpec(d, g));
}

// Rule 1, some shard the CCS does not place.
Status RefuseUngrouped(const Discovery& d, const CcsGrouping& g, size_t shard_count) {
  std::string list;
  for (size_t i = 0; i < d.shards.size(); ++i) {
    const ShardDecision& s = d.shards[i];
    if (s.enterprise_uids.empty()) continue;
    list += "\n  " + DescribeShard(d, s);
    if (!d.ccs.empty()) {
      list += g.database_of[i] >= 0
                  ? " (the CCS: " + CcsGrouping::Describe(g.databases[g.database_of[i]]) + ")"
                  : " (not grouped by the CCS: " + g.why_not[i] + ")";
    }
  }
  std::string ccs;
  for (const CcsReport& c : d.ccs) {
    for (const CcsDatabase& db : c.databases) {
      const std::string one = "bdb:" + std::to_string(db.uid) + " \"" + db.name + "\"";
      if (ccs.find(one) == std::string::npos) ccs += (ccs.empty() ? "" : ", ") + one;
    }
  }
  if (!ccs.empty()) list += "\n  the CCS names databases " + ccs;
  for (const std::string& m : g.disagreements) list += "\n  " + m;
  return Status::Corruption(
      "Redis Enterprise node volumes hold shards of several databases and no shard file says "
      "which database it belongs to; refusing to merge " +
      std::to_string(shard_count) + " shards:" + list +
      "\n(say which database each shard belongs to: give one database's shard files as the "
      "paths, e.g. plan --nodes N /vol/node-1/redis/redis-2.rdb /vol/node-2/redis/redis-4.rdb, "
      "or list them as that database's volumes in a recovery spec, plan --spec)");
}

}  // namespace

Status CheckEnterpriseDatabases(const Discovery& discovery, std::vector<std::string>* notes) {
  bool whole_volume = false;
  for (const EnterpriseVolume& v : discovery.enterprise_volumes) {
    whole_volume = whole_volume || v.kind == EnterprisePathKind::kNodeVolume;
  }
  size_t shard_count = 0;
  for (const ShardDecision& s : discovery.shards) shard_count += s.enterprise_uids.empty() ? 0 : 1;
  if (shard_count == 0) return Status();
  const CcsGrouping g = GroupShardsByCcs(discovery);
  const bool all_mapped = g.AllMapped(discovery);
  if (whole_volume && shard_count > 1) {
    if (all_mapped && g.databases.size() > 1) return RefuseGrouped(discovery, g);
    if (!all_mapped) return RefuseUngrouped(discovery, g, shard_count);
    if (notes != nullptr) {
      notes->push_back("the CCS places every one of the " + std::to_string(shard_count) +
                       " Redis Enterprise shards in " + CcsGrouping::Describe(g.databases[0]) +
                       ": planned as that one database");
    }
  }
  for (const CcsBdb& db : g.databases) {
    if (db.legacy) return Status::NotSupported(LegacyPolicyMessage(db));
  }
  return Status();
}

}  // namespace shardkit::loader
