#include "loader/ccs_reader.h"

#include <algorithm>
#include <map>

#include "formats/rdb/rdb_reader.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace {

namespace rdb = formats::rdb;

// "12" -> 12 (1-18 decimal digits); nullopt for anything else.
std::optional<uint64_t> ParseUid(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// "bdb:12" with prefix "bdb:" -> 12; nullopt for anything else ("bdb:all").
std::optional<uint64_t> ParseUidKey(std::string_view key, std::string_view prefix) {
  if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
  return ParseUid(key.substr(prefix.size()));
}

// "2,3, 4" -> {2, 3, 4}; entries that are not uids are skipped and named in
// db->redis_list_error.
void ParseRedisList(std::string_view text, CcsDatabase* db) {
  db->redis_list.clear();
  db->redis_list_error.clear();
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const std::optional<uint64_t> uid = ParseUid(item);
    if (!uid.has_value() || db->redis_list.size() >= kMaxCcsRedisList) {
      if (db->redis_list_error.empty()) {
        db->redis_list_error = uid.has_value()
                                   ? "more than " + std::to_string(kMaxCcsRedisList) + " uids"
                                   : "\"" + std::string(item.substr(0, 32)) + "\" is not a uid";
      }
      continue;
    }
    db->redis_list.push_back(*uid);
  }
}

// Collects bdb:<uid> and redis:<uid> hashes (deep mode decodes them).
class CcsVisitor final : public rdb::RdbVisitor {
 public:
  Status OnElement(const rdb::RdbEntry& entry, const rdb::RdbElement& element) override {
    if (element.kind != rdb::ElementKind::kHashField || entry.db != 0) return Status();
    if (const std::optional<uint64_t> uid = ParseUidKey(entry.key, "bdb:")) {
      OnBdbField(*uid, element.a, element.b);
    } else if (const std::optional<uint64_t> shard = ParseUidKey(entry.key, "redis:")) {
      OnShardField(*shard, element.a, element.b);
    }
    return Status();
  }
  void Take(CcsReport* report) {
    for (auto& [uid, db] : databases_) report->databases.push_back(std::move(db));
    for (auto& [uid, shard] : shards_) report->shards.push_back(std::move(shard));
  }

 private:
  void OnBdbField(uint64_t uid, std::string_view field, std::string_view value) {
    CcsDatabase& db = databases_[uid];
    db.uid = uid;
    if (field == "name") db.name = std::string(value);
    if (field == "hash_slots_policy") db.hash_slots_policy = std::string(value.substr(0, 64));
    if (field == "redis_list") ParseRedisList(value, &db);
    if (db.fields.size() < kMaxCcsFields) db.fields.emplace_back(field);
  }
  void OnShardField(uint64_t uid, std::string_view field, std::string_view value) {
    CcsShard& shard = shards_[uid];
    shard.uid = uid;
    if (field == "bdb_uid") shard.bdb_uid = ParseUid(value);
    if (field == "role") shard.role = std::string(value.substr(0, 64));
    if (field == "assigned_slots") shard.assigned_slots = std::string(value.substr(0, 256));
  }

  std::map<uint64_t, CcsDatabase> databases_;
  std::map<uint64_t, CcsShard> shards_;
};

}  // namespace

CcsReport ReadCcs(const std::string& path, const storage::IoOptions& io) {
  CcsReport report;
  report.path = path;
  auto source = storage::OpenSequentialReader(path, io);
  if (!source.ok()) {
    report.status = source.status();
    return report;
  }
  rdb::RdbReadOptions options;
  options.deep = true;
  CcsVisitor visitor;
  auto read = rdb::ReadRdb(source->get(), options, &visitor);
  report.status = read.ok() ? Status() : read.status();
  if (read.ok()) visitor.Take(&report);
  return report;
}

std::vector<std::string> CompareCcsCopies(const std::vector<CcsReport>& copies) {
  std::vector<std::string> out;
  std::map<uint64_t, std::map<std::string, std::vector<std::string>>> names;  // uid -> name -> paths
  size_t readable = 0;
  for (const CcsReport& c : copies) {
    if (!c.status.ok()) continue;
    ++readable;
    for (const CcsDatabase& db : c.databases) names[db.uid][db.name].push_back(c.path);
  }
  for (const auto& [uid, by_name] : names) {
    size_t holders = 0;
    for (const auto& [name, paths] : by_name) holders += paths.size();
    if (by_name.size() > 1) {
      std::string text = "CCS copies disagree on bdb:" + std::to_string(uid) + "'s name:";
      for (const auto& [name, paths] : by_name) {
        text += " \"" + name + "\" in " + std::to_string(paths.size()) + " cop" +
                (paths.size() == 1 ? "y (" + paths[0] + ")" : "ies");
      }
      out.push_back(std::move(text));
    } else if (holders < readable) {
      out.push_back("CCS copies disagree: bdb:" + std::to_string(uid) + " is in " +
                    std::to_string(holders) + " of " + std::to_string(readable) +
                    " readable copies");
    }
  }
  return out;
}

}  // namespace shardkit::loader
