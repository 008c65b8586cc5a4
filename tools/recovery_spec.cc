#include "tools/recovery_spec.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "loader/enterprise_layout.h"
#include "loader/slot_plan.h"
#include "loader/slot_ranges.h"

namespace shardkit::tools {

using nlohmann::json;

namespace {

// Collects refusals while walking the spec; the first one is reported.
class SpecReader {
 public:
  explicit SpecReader(std::string_view path) : path_(path) {}

  Status Refuse(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(std::string(path_) + ": " + field + ": " + what);
  }

  // Every key of `obj` must be in `known`.
  Status OnlyKnown(const json& obj, const std::string& where,
                   std::initializer_list<const char*> known) const {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = false;
      for (const char* k : known) ok = ok || it.key() == k;
      if (!ok) {
        std::string list;
        for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
        return Refuse(where.empty() ? it.key() : where + "." + it.key(),
                      "unknown field (known: " + list + ")");
      }
    }
    return Status();
  }

  // An integer in [lo, hi] (a JSON float such as 3.0 is refused).
  Result<int> Int(const json& v, const std::string& field, int lo, int hi) const {
    int64_t i = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) return Refuse(field, RangeText(lo, hi, v));
      i = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      i = v.get<int64_t>();
    } else {
      return Refuse(field, "must be an integer, got " + v.dump());
    }
    if (i < lo || i > hi) return Refuse(field, RangeText(lo, hi, v));
    return static_cast<int>(i);
  }

  Result<bool> Bool(const json& v, const std::string& field) const {
    if (!v.is_boolean()) return Refuse(field, "must be true or false, got " + v.dump());
    return v.get<bool>();
  }

  Result<std::string> String(const json& v, const std::string& field) const {
    if (!v.is_string()) return Refuse(field, "must be a string, got " + v.dump());
    std::string s = v.get<std::string>();
    if (s.empty()) return Refuse(field, "must not be empty");
    if (s.find('\0') != std::string::npos) return Refuse(field, "must not contain a NUL byte");
    return s;
  }

 private:
  static std::string RangeText(int lo, int hi, const json& v) {
    return "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "], got " + v.dump();
  }
  std::string_view path_;
};

// "host:port" with a port in 1..65535.
bool IsEndpoint(std::string_view e) {
  const size_t colon = e.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == e.size()) return false;
  for (char c : e.substr(0, colon)) {
    if (c <= ' ' || c == ',' || c == 0x7f) return false;
  }
  int port = 0;
  for (char c : e.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return false;
    port = port * 10 + (c - '0');
  }
  return port >= 1 && port <= 65535;
}

Result<DatabaseSpec> ReadDatabase(const SpecReader& r, const json& j, const std::string& at) {
  if (!j.is_object()) return r.Refuse(at, "must be an object, got " + j.dump());
  SK_RETURN_IF_ERROR(r.OnlyKnown(j, at,
                                 {"name", "volumes", "shape", "masters", "replicas", "endpoints",
                                  "weights", "allow_missing_shards", "merge_standalone"}));
  DatabaseSpec db;
  auto field = [&](const char* key) { return at + "." + key; };
  auto it = j.find("name");
  if (it == j.end()) return r.Refuse(field("name"), "missing (every database needs a name)");
  SK_ASSIGN_OR_RETURN(db.name, r.String(*it, field("name")));
  if (!IsSafeDatabaseName(db.name)) {
    return r.Refuse(field("name"),
                    "\"" + db.name +
                        "\" is not a safe directory name (1 to 64 of A-Z a-z 0-9 . _ -, "
                        "starting with a letter or digit)");
  }
  it = j.find("volumes");
  if (it == j.end()) return r.Refuse(field("volumes"), "missing (the old nodes' directories)");
  if (!it->is_array() || it->empty()) {
    return r.Refuse(field("volumes"), "must be a non-empty array of directories");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    SK_ASSIGN_OR_RETURN(std::string v,
                        r.String((*it)[i], field("volumes") + "[" + std::to_string(i) + "]"));
    db.volumes.push_back(std::move(v));
  }
  it = j.find("shape");
  if (it == j.end()) return r.Refuse(field("shape"), "missing (\"cluster\" or \"standalone\")");
  SK_ASSIGN_OR_RETURN(std::string shape, r.String(*it, field("shape")));
  if (shape == "cluster") {
    db.shape = SpecShape::kCluster;
  } else if (shape == "standalone") {
    db.shape = SpecShape::kStandalone;
  } else {
    return r.Refuse(field("shape"), "must be \"cluster\" or \"standalone\", got \"" + shape + "\"");
  }
  it = j.find("masters");
  if (it != j.end()) {
    SK_ASSIGN_OR_RETURN(db.masters, r.Int(*it, field("masters"), 1, loader::kSlotCount));
  } else if (db.shape == SpecShape::kCluster) {
    return r.Refuse(field("masters"), "missing (the number of new masters)");
  }
  it = j.find("replicas");
  if (it != j.end()) {
    SK_ASSIGN_OR_RETURN(db.replicas, r.Int(*it, field("replicas"), 0, loader::kMaxReplicas));
  }
  for (const char* flag : {"allow_missing_shards", "merge_standalone"}) {
    it = j.find(flag);
    if (it == j.end()) continue;
    SK_ASSIGN_OR_RETURN(bool b, r.Bool(*it, field(flag)));
    (std::string_view(flag) == "allow_missing_shards" ? db.allow_missing_shards
                                                       : db.merge_standalone) = b;
  }
  it = j.find("weights");
  if (it != j.end()) {
    if (!it->is_array()) return r.Refuse(field("weights"), "must be an array of numbers");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& w = (*it)[i];
      const std::string wf = field("weights") + "[" + std::to_string(i) + "]";
      if (!w.is_number()) return r.Refuse(wf, "must be a number, got " + w.dump());
      const double d = w.get<double>();
      if (!std::isfinite(d) || d <= 0) return r.Refuse(wf, "must be positive, got " + w.dump());
      db.weights.push_back(d);
    }
    if (db.weights.size() != static_cast<size_t>(db.masters)) {
      return r.Refuse(field("weights"), std::to_string(db.weights.size()) + " weights for " +
                                            std::to_string(db.masters) + " masters");
    }
  }
  it = j.find("endpoints");
  if (db.shape == SpecShape::kStandalone) {
    // As `plan --standalone`: one master and its replicas; endpoints are
    // optional (without them no replica.conf is written) and cannot be
    // "keep" (a standalone volume has no nodes.conf to take them from).
    if (db.masters != 1) return r.Refuse(field("masters"), "a standalone database has 1 master");
    if (!db.weights.empty()) return r.Refuse(field("weights"), "a standalone database has none");
    if (it == j.end()) return db;
    if (it->is_string()) {
      return r.Refuse(field("endpoints"),
                      "\"keep\" takes endpoints from the old nodes.conf files, which a "
                      "standalone database has none of: give its endpoints (master, then "
                      "replicas) or leave them out");
    }
  } else if (it == j.end()) {
    return r.Refuse(field("endpoints"),
                    "missing (" + std::to_string(db.masters * (1 + db.replicas)) +
                        " host:port, or \"keep\" for the old masters' endpoints)");
  }
  if (it->is_string()) {
    if (it->get<std::string>() != "keep") {
      return r.Refuse(field("endpoints"),
                      "must be an array of host:port or \"keep\", got " + it->dump());
    }
    db.keep_endpoints = true;
    return db;
  }
  if (!it->is_array()) {
    return r.Refuse(field("endpoints"), "must be an array of host:port or \"keep\"");
  }
  const size_t want = static_cast<size_t>(db.masters) * static_cast<size_t>(1 + db.replicas);
  if (it->size() != want) {
    return r.Refuse(field("endpoints"),
                    std::to_string(it->size()) + " endpoints, but masters " +
                        std::to_string(db.masters) + " x (1 + replicas " +
                        std::to_string(db.replicas) + ") = " + std::to_string(want) +
                        " nodes (the masters in order, then the replicas, those of master 0 "
                        "first)");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string ef = field("endpoints") + "[" + std::to_string(i) + "]";
    SK_ASSIGN_OR_RETURN(std::string e, r.String((*it)[i], ef));
    if (!IsEndpoint(e)) return r.Refuse(ef, "\"" + e + "\" is not host:port");
    if (!seen.insert(e).second) return r.Refuse(ef, "\"" + e + "\" is given twice");
    db.endpoints.push_back(std::move(e));
  }
  return db;
}

Result<RecoverySpec> ParseValidated(std::string_view text, std::string_view path) {
  // Duplicate keys in one object would silently keep the last: refuse them.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (event == json::parse_event_t::key && !keys.empty() && duplicate.empty() &&
               parsed.is_string()) {
      if (!keys.back().insert(parsed.get<std::string>()).second) {
        duplicate = parsed.get<std::string>();
      }
    }
    return true;
  };
  json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  const SpecReader r(path);
  if (j.is_discarded()) return r.Refuse("(file)", "not valid JSON");
  if (!duplicate.empty()) return r.Refuse(duplicate, "field given twice in one object");
  if (!j.is_object()) return r.Refuse("(file)", "must be a JSON object with \"databases\"");
  SK_RETURN_IF_ERROR(r.OnlyKnown(j, "", {"format", "databases"}));
  RecoverySpec spec;
  auto it = j.find("format");
  if (it != j.end()) {
    SK_ASSIGN_OR_RETURN(spec.format, r.Int(*it, "format", 1, 1000));
    if (spec.format != kRecoverySpecFormat) {
      return r.Refuse("format", "format " + std::to_string(spec.format) +
                                    " is not one this shardkit reads (" +
                                    std::to_string(kRecoverySpecFormat) + ")");
    }
  }
  it = j.find("databases");
  if (it == j.end()) return r.Refuse("databases", "missing (the list of databases)");
  if (!it->is_array() || it->empty()) {
    return r.Refuse("databases", "must be a non-empty array of databases");
  }
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string at = "databases[" + std::to_string(i) + "]";
    SK_ASSIGN_OR_RETURN(DatabaseSpec db, ReadDatabase(r, (*it)[i], at));
    auto [prev, fresh] = names.emplace(db.name, i);
    if (!fresh) {
      return r.Refuse(at + ".name", "\"" + db.name + "\" is also the name of databases[" +
                                        std::to_string(prev->second) + "]");
    }
    spec.databases.push_back(std::move(db));
  }
  return spec;
}

}  // namespace

const DatabaseSpec* RecoverySpec::Find(std::string_view name) const {
  for (const DatabaseSpec& d : databases) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool IsSafeDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Result<RecoverySpec> ParseRecoverySpec(std::string_view text, std::string_view path) {
  try {
    return ParseValidated(text, path);
  } catch (const std::exception& e) {
    // Every access above checks the type first; this is a backstop.
    return Status::InvalidArgument(std::string(path) + ": " + e.what());
  }
}

Status CheckSpecVolumes(RecoverySpec& spec, const std::string& base_dir, std::string_view path) {
  const SpecReader r(path);
  std::map<std::string, std::string> owner;  // realpath -> field that claimed it
  for (size_t d = 0; d < spec.databases.size(); ++d) {
    DatabaseSpec& db = spec.databases[d];
    for (size_t v = 0; v < db.volumes.size(); ++v) {
      const std::string field =
          "databases[" + std::to_string(d) + "].volumes[" + std::to_string(v) + "]";
      std::string given = db.volumes[v];
      if (given[0] != '/' && !base_dir.empty()) given = base_dir + "/" + given;
      char resolved[PATH_MAX];
      if (realpath(given.c_str(), resolved) == nullptr) {
        const int err = errno;
        Status s = Status::FromErrno(err, "resolving volume", given);
        return s.WithPrefix(std::string(path) + ": " + field);
      }
      const std::string real = resolved;
      struct stat st;
      // A Redis Enterprise shard file (redis/redis-<uid>.rdb, ...) names one
      // shard copy of this database: an Enterprise node volume holds shards
      // of several databases (SPEC.md "Enterprise volumes").
      const bool enterprise_shard =
          loader::ParseEnterpriseShardName(real.substr(real.rfind('/') + 1)).has_value();
      if (stat(resolved, &st) != 0 || (!S_ISDIR(st.st_mode) && !enterprise_shard)) {
        return r.Refuse(field, real + " is not a directory (a volume is an old node's directory, "
                                      "or a Redis Enterprise shard file)");
      }
      auto [prev, fresh] = owner.emplace(real, field + " (database \"" + db.name + "\")");
      if (!fresh) {
        return r.Refuse(field, "volume " + real + " (database \"" + db.name +
                                   "\") is also claimed by " + prev->second +
                                   ": a volume belongs to one database");
      }
      db.volumes[v] = real;
    }
  }
  return Status();
}

}  // namespace shardkit::tools
