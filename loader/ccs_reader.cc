#include "loader/ccs_reader.h"

#include <algorithm>
#include <map>

#include "formats/rdb/rdb_reader.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace {

namespace rdb = formats::rdb;

// "bdb:12" -> 12; false for anything else.
bool ParseBdbKey(std::string_view key, uint64_t* uid) {
  if (key.substr(0, 4) != "bdb:" || key.size() == 4 || key.size() > 4 + 18) return false;
  uint64_t value = 0;
  for (char c : key.substr(4)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *uid = value;
  return true;
}

// Collects the fields of every bdb:<uid> hash (deep mode decodes them).
class CcsVisitor final : public rdb::RdbVisitor {
 public:
  Status OnElement(const rdb::RdbEntry& entry, const rdb::RdbElement& element) override {
    uint64_t uid = 0;
    if (element.kind != rdb::ElementKind::kHashField || entry.db != 0 ||
        !ParseBdbKey(entry.key, &uid)) {
      return Status();
    }
    CcsDatabase& db = by_uid_[uid];
    db.uid = uid;
    if (element.a == "name") db.name = std::string(element.b);
    if (db.fields.size() < kMaxCcsFields) db.fields.emplace_back(element.a);
    return Status();
  }
  std::vector<CcsDatabase> Take() {
    std::vector<CcsDatabase> out;
    for (auto& [uid, db] : by_uid_) out.push_back(std::move(db));
    return out;
  }

 private:
  std::map<uint64_t, CcsDatabase> by_uid_;
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
  if (read.ok()) report.databases = visitor.Take();
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
