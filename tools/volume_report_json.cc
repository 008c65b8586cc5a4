#include "tools/volume_report_json.h"

#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/hex.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::tools {
// A namespace of its own: the CLI compiles tools/*.cc as one unity file, and
// plan_json.cc has file-local helpers of similar names.
namespace volume_report_json {
namespace {

using loader::SourceScan;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Writing.

// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF), as nlohmann-json's dump requires of a string.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // fewer than n continuation bytes left
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

json Bytes(const std::string& s) {
  if (IsUtf8(s)) return s;
  return {{"hex", HexBytes(s)}};
}

template <typename Strings>
json BytesList(const Strings& values) {
  json out = json::array();
  for (const std::string& v : values) out.push_back(Bytes(v));
  return out;
}

json OptionalBytes(const std::optional<std::string>& s) { return s ? Bytes(*s) : json(nullptr); }

json StatusJson(const Status& s) {
  if (s.ok()) return nullptr;
  return {{"code", StatusCodeName(s.code())}, {"message", Bytes(std::string(s.message()))}};
}

json SlotRanges(const loader::SlotSet& slots) {
  json out = json::array();
  for (const loader::SlotRange& r : slots.Ranges()) out.push_back({r.first, r.last});
  return out;
}

json SummaryJson(const formats::rdb::RdbSummary& s) {
  json j = {{"magic", s.header.magic == formats::rdb::Magic::kValkey ? "valkey" : "redis"},
            {"version", s.header.version},
            {"keys", s.keys},
            {"eof_offset", s.eof_offset},
            {"end_offset", s.end_offset},
            {"crc", formats::rdb::CrcStatusName(s.crc)},
            {"crc_stored", s.crc_stored},
            {"crc_computed", s.crc_computed},
            {"producer", Bytes(s.producer)},
            {"vendor", formats::rdb::ProducerName(s.vendor)},
            {"vendor_named_by", Bytes(s.vendor_named_by)},
            {"enterprise_records", s.enterprise_records}};
  j["split_at"] = s.split_at ? json(*s.split_at) : json(nullptr);
  return j;
}

json ScanJson(const SourceScan& s) {
  json aux = json::array();
  for (const auto& [key, value] : s.aux) aux.push_back({Bytes(key), Bytes(value)});
  json stats = json::array();
  for (int slot = 0; slot < loader::kSlotCount; ++slot) {
    if (s.stats.bytes[slot] != 0 || s.stats.keys[slot] != 0) {
      stats.push_back({slot, s.stats.bytes[slot], s.stats.keys[slot]});
    }
  }
  return {{"summary", SummaryJson(s.summary)},
          {"aux", aux},
          {"slot_stats", stats},
          {"present_slots", SlotRanges(s.present_slots)},
          {"keys", s.keys},
          {"bytes", s.bytes},
          {"keys_other_dbs", s.keys_other_dbs},
          {"keys_expired", s.keys_expired},
          {"functions", BytesList(s.functions)},
          {"modules", BytesList(s.modules)},
          {"repl_id", Bytes(s.repl_id)},
          {"repl_offset", s.repl_offset},
          {"has_repl_offset", s.has_repl_offset},
          {"ctime_s", s.ctime_s},
          {"commands", s.commands},
          {"flush_file", s.flush_file},
          {"flush_end_offset", s.flush_end_offset},
          {"truncated_tail", s.truncated_tail},
          {"estimated", s.estimated},
          {"rdb_part_bytes", s.rdb_part_bytes},
          {"bytes_read", s.bytes_read}};
}

json OptionalScan(const std::optional<SourceScan>& s) { return s ? ScanJson(*s) : json(nullptr); }

json CandidateJson(const loader::SourceCandidate& c) {
  json files = json::array();
  for (const loader::SourceFile& f : c.files) {
    files.push_back({{"path", Bytes(f.path)}, {"bytes", f.bytes}, {"mtime_ms", f.mtime_ms}});
  }
  return {{"kind", loader::SourceKindName(c.kind)}, {"path", Bytes(c.path)},
          {"rdb_path", Bytes(c.rdb_path)},          {"files", files},
          {"has_log_commands", c.has_log_commands}, {"newest_mtime_ms", c.newest_mtime_ms},
          {"health", StatusJson(c.health)},         {"scan", OptionalScan(c.scan)}};
}

json FilesJson(const loader::VolumeFiles& f) {
  const loader::RedisConfSettings& c = f.conf;
  json conf = {{"dir", OptionalBytes(c.dir)},
               {"dbfilename", OptionalBytes(c.dbfilename)},
               {"appendonly", c.appendonly ? json(*c.appendonly) : json(nullptr)},
               {"appenddirname", OptionalBytes(c.appenddirname)},
               {"appendfilename", OptionalBytes(c.appendfilename)},
               {"cluster_config_file", OptionalBytes(c.cluster_config_file)},
               {"replicaof", OptionalBytes(c.replicaof)}};
  return {{"dir", Bytes(f.dir)},
          {"real_dir", Bytes(f.real_dir)},
          {"redis_conf", OptionalBytes(f.redis_conf)},
          {"nodes_conf", OptionalBytes(f.nodes_conf)},
          {"rdb", OptionalBytes(f.rdb)},
          {"aof_dir", OptionalBytes(f.aof_dir)},
          {"aof_manifest", OptionalBytes(f.aof_manifest)},
          {"legacy_aof", OptionalBytes(f.legacy_aof)},
          {"native", OptionalBytes(f.native)},
          {"conf", conf},
          {"notes", BytesList(f.notes)}};
}

json NodesConfJson(const loader::NodesConf& conf) {
  json nodes = json::array();
  for (const loader::ClusterNode& n : conf.nodes) {
    nodes.push_back({{"id", Bytes(n.id)},
                     {"ip", Bytes(n.ip)},
                     {"port", n.port},
                     {"cluster_port", n.cluster_port},
                     {"hostname", Bytes(n.hostname)},
                     {"address_aux", Bytes(n.address_aux)},
                     {"flags", BytesList(n.flags)},
                     {"master_id", Bytes(n.master_id)},
                     {"ping_sent", n.ping_sent},
                     {"pong_received", n.pong_received},
                     {"config_epoch", n.config_epoch},
                     {"connected", n.connected},
                     {"slots", SlotRanges(n.slots)},
                     {"migrations", BytesList(n.migrations)}});
  }
  return {{"nodes", nodes},
          {"current_epoch", conf.current_epoch},
          {"last_vote_epoch", conf.last_vote_epoch}};
}

json HeaderPassJson(const loader::VolumeHeaderPass& pass) {
  json candidates = json::array();
  for (const loader::HeaderScan& h : pass.candidates) {
    candidates.push_back({{"health", StatusJson(h.health)},
                          {"has_log_commands", h.has_log_commands},
                          {"scan", OptionalScan(h.scan)}});
  }
  return {{"bytes_read", pass.bytes_read}, {"candidates", candidates}};
}

json VolumeJson(const loader::VolumeReport& v,
                const std::optional<loader::VolumeHeaderPass>& pass) {
  json candidates = json::array();
  for (const loader::SourceCandidate& c : v.candidates) candidates.push_back(CandidateJson(c));
  json j = {{"files", FilesJson(v.files)},
            {"nodes_conf", v.nodes ? NodesConfJson(*v.nodes) : json(nullptr)},
            {"nodes_status", StatusJson(v.nodes_status)},
            {"node_id", Bytes(v.node_id)},
            {"is_master", v.is_master},
            {"master_id", Bytes(v.master_id)},
            {"aof_enabled", v.aof_enabled},
            {"candidates", candidates},
            {"header_pass", pass ? HeaderPassJson(*pass) : json(nullptr)}};
  if (v.enterprise.has_value()) {
    j["enterprise"] = {{"uid", v.enterprise->name.uid},
                       {"kind", loader::EnterpriseFileKindName(v.enterprise->name.kind)},
                       {"prev", v.enterprise->name.prev},
                       {"enterprise_volume", v.enterprise->enterprise_volume}};
  } else {
    j["enterprise"] = nullptr;
  }
  return j;
}

json EnterpriseJson(const loader::EnterpriseVolume& e) {
  json files = json::array();
  for (const loader::EnterpriseShardFile& f : e.shard_files) {
    files.push_back({{"uid", f.name.uid},
                     {"kind", loader::EnterpriseFileKindName(f.name.kind)},
                     {"prev", f.name.prev},
                     {"path", Bytes(f.path)},
                     {"manifest", Bytes(f.manifest)},
                     {"bytes", f.bytes},
                     {"mtime_ms", f.mtime_ms}});
  }
  return {
      {"path", Bytes(e.path)},
      {"real_path", Bytes(e.real_path)},
      {"kind", e.kind == loader::EnterprisePathKind::kNodeVolume ? "node-volume" : "shard-file"},
      {"shard_files", files},
      {"ccs_files", BytesList(e.ccs_files)},
      {"notes", BytesList(e.notes)}};
}

json CcsJson(const loader::CcsReport& c) {
  json dbs = json::array();
  for (const loader::CcsDatabase& db : c.databases) {
    dbs.push_back({{"uid", db.uid},
                   {"name", Bytes(db.name)},
                   {"fields", BytesList(db.fields)},
                   {"hash_slots_policy", Bytes(db.hash_slots_policy)},
                   {"redis_list", db.redis_list},
                   {"redis_list_error", Bytes(db.redis_list_error)}});
  }
  json shards = json::array();
  for (const loader::CcsShard& s : c.shards) {
    shards.push_back({{"uid", s.uid},
                      {"bdb_uid", s.bdb_uid ? json(*s.bdb_uid) : json(nullptr)},
                      {"role", Bytes(s.role)},
                      {"assigned_slots", Bytes(s.assigned_slots)}});
  }
  return {{"path", Bytes(c.path)},
          {"status", StatusJson(c.status)},
          {"databases", dbs},
          {"shards", shards}};
}

// ---------------------------------------------------------------------------
// Reading. In: a JSON value and its place in the document; every accessor
// throws FieldError naming that place and what is wrong.

struct FieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class In {
 public:
  In(const json& value, std::string where) : value_(value), where_(std::move(where)) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw FieldError((where_.empty() ? std::string("the document") : where_) + ": " + what);
  }
  const json& value() const { return value_; }
  bool IsNull() const { return value_.is_null(); }

  // The required member `key` of this object.
  In At(const char* key) const {
    if (!value_.is_object()) Fail("expected an object");
    auto it = value_.find(key);
    if (it == value_.end()) {
      throw FieldError(Child(key) + ": missing");
    }
    return In(*it, Child(key));
  }
  // Elements of this array.
  std::vector<In> Items() const {
    if (!value_.is_array()) Fail("expected an array");
    std::vector<In> out;
    out.reserve(value_.size());
    for (size_t i = 0; i < value_.size(); ++i) {
      out.emplace_back(value_[i], where_ + "[" + std::to_string(i) + "]");
    }
    return out;
  }

  template <typename T>
  T Int() const {
    static_assert(std::is_integral_v<T>);
    if (value_.is_number_unsigned()) {
      const uint64_t u = value_.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
    } else if (value_.is_number_integer()) {
      const int64_t i = value_.get<int64_t>();
      const bool fits = std::is_signed_v<T>
                            ? i >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                  i <= static_cast<int64_t>(std::numeric_limits<T>::max())
                            : i >= 0;
      if (fits) return static_cast<T>(i);
    }
    Fail("expected an integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", " +
         std::to_string(std::numeric_limits<T>::max()) + "], got " + value_.dump());
  }
  bool Bool() const {
    if (!value_.is_boolean()) Fail("expected true or false, got " + value_.dump());
    return value_.get<bool>();
  }
  // A byte string: a JSON string, or {"hex": "..."}.
  std::string Bytes() const {
    if (value_.is_string()) return value_.get<std::string>();
    if (value_.is_object() && value_.size() == 1 && value_.contains("hex") &&
        value_["hex"].is_string()) {
      return FromHex(value_["hex"].get<std::string>());
    }
    Fail("expected a string or {\"hex\": \"...\"}");
  }
  std::optional<std::string> OptionalBytes() const {
    if (IsNull()) return std::nullopt;
    return Bytes();
  }
  std::vector<std::string> BytesList() const {
    std::vector<std::string> out;
    for (const In& item : Items()) out.push_back(item.Bytes());
    return out;
  }

 private:
  std::string Child(const char* key) const { return where_.empty() ? key : where_ + "." + key; }
  std::string FromHex(const std::string& hex) const {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      Fail("\"hex\" holds a character other than 0-9 a-f");
    };
    if (hex.size() % 2 != 0) Fail("\"hex\" of odd length");
    std::string out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
      out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
  }

  const json& value_;
  std::string where_;
};

// One of `count` enum values whose name `name_of` gives.
template <typename E, typename NameOf>
E EnumNamed(const In& in, int count, NameOf name_of) {
  const std::string name = in.Bytes();
  std::string known;
  for (int i = 0; i < count; ++i) {
    const E e = static_cast<E>(i);
    if (name == name_of(e)) return e;
    known += (known.empty() ? "" : ", ") + std::string(name_of(e));
  }
  in.Fail("\"" + name + "\" is none of " + known);
}

Status StatusFrom(const In& in) {
  if (in.IsNull()) return Status();
  const StatusCode code = EnumNamed<StatusCode>(in.At("code"), 7, StatusCodeName);
  if (code == StatusCode::kOk) in.At("code").Fail("an error status cannot be OK (use null)");
  return Status(code, in.At("message").Bytes());
}

loader::SlotSet SlotRangesFrom(const In& in) {
  loader::SlotSet out;
  for (const In& r : in.Items()) {
    const std::vector<In> pair = r.Items();
    if (pair.size() != 2) r.Fail("expected [first, last]");
    const uint16_t first = pair[0].Int<uint16_t>(), last = pair[1].Int<uint16_t>();
    if (first > last || last >= loader::kSlotCount) {
      r.Fail("bad slot range [" + std::to_string(first) + ", " + std::to_string(last) + "]");
    }
    out.AddRange({first, last});
  }
  return out;
}

formats::rdb::RdbSummary SummaryFrom(const In& in) {
  formats::rdb::RdbSummary s;
  const std::string magic = in.At("magic").Bytes();
  if (magic != "redis" && magic != "valkey") in.At("magic").Fail("expected redis or valkey");
  s.header.magic = magic == "valkey" ? formats::rdb::Magic::kValkey : formats::rdb::Magic::kRedis;
  s.header.version = in.At("version").Int<int>();
  s.keys = in.At("keys").Int<uint64_t>();
  s.eof_offset = in.At("eof_offset").Int<uint64_t>();
  s.end_offset = in.At("end_offset").Int<uint64_t>();
  s.crc = EnumNamed<formats::rdb::CrcStatus>(in.At("crc"), 5, formats::rdb::CrcStatusName);
  s.crc_stored = in.At("crc_stored").Int<uint64_t>();
  s.crc_computed = in.At("crc_computed").Int<uint64_t>();
  s.producer = in.At("producer").Bytes();
  s.vendor = EnumNamed<formats::rdb::Producer>(in.At("vendor"), 5, formats::rdb::ProducerName);
  s.vendor_named_by = in.At("vendor_named_by").Bytes();
  s.enterprise_records = in.At("enterprise_records").Int<uint64_t>();
  if (!in.At("split_at").IsNull()) s.split_at = in.At("split_at").Int<uint64_t>();
  return s;
}

void SlotStatsFrom(const In& in, loader::SlotStats* stats) {
  int previous = -1;
  for (const In& row : in.Items()) {
    const std::vector<In> cells = row.Items();
    if (cells.size() != 3) row.Fail("expected [slot, bytes, keys]");
    const int slot = cells[0].Int<uint16_t>();
    if (slot >= loader::kSlotCount || slot <= previous) {
      cells[0].Fail("slot " + std::to_string(slot) + " out of range or not ascending");
    }
    previous = slot;
    stats->bytes[slot] = cells[1].Int<uint64_t>();
    stats->keys[slot] = cells[2].Int<uint64_t>();
  }
}

// `files`: the candidate's file count, which flush_file indexes.
SourceScan ScanFrom(const In& in, size_t files) {
  SourceScan s;
  s.summary = SummaryFrom(in.At("summary"));
  for (const In& pair : in.At("aux").Items()) {
    const std::vector<In> kv = pair.Items();
    if (kv.size() != 2) pair.Fail("expected [key, value]");
    if (!s.aux.emplace(kv[0].Bytes(), kv[1].Bytes()).second) pair.Fail("AUX field given twice");
  }
  SlotStatsFrom(in.At("slot_stats"), &s.stats);
  s.present_slots = SlotRangesFrom(in.At("present_slots"));
  s.keys = in.At("keys").Int<uint64_t>();
  s.bytes = in.At("bytes").Int<uint64_t>();
  s.keys_other_dbs = in.At("keys_other_dbs").Int<uint64_t>();
  s.keys_expired = in.At("keys_expired").Int<uint64_t>();
  s.functions = in.At("functions").BytesList();
  for (const In& m : in.At("modules").Items()) {
    if (!s.modules.insert(m.Bytes()).second) m.Fail("module given twice");
  }
  s.repl_id = in.At("repl_id").Bytes();
  s.repl_offset = in.At("repl_offset").Int<uint64_t>();
  s.has_repl_offset = in.At("has_repl_offset").Bool();
  s.ctime_s = in.At("ctime_s").Int<int64_t>();
  s.commands = in.At("commands").Int<uint64_t>();
  s.flush_file = in.At("flush_file").Int<int>();
  if (s.flush_file < -1 || s.flush_file >= static_cast<int>(files)) {
    in.At("flush_file")
        .Fail("not -1 or the index of one of the source's " + std::to_string(files) + " files");
  }
  s.flush_end_offset = in.At("flush_end_offset").Int<uint64_t>();
  s.truncated_tail = in.At("truncated_tail").Bool();
  s.estimated = in.At("estimated").Bool();
  s.rdb_part_bytes = in.At("rdb_part_bytes").Int<uint64_t>();
  s.bytes_read = in.At("bytes_read").Int<uint64_t>();
  return s;
}

std::optional<SourceScan> OptionalScanFrom(const In& in, size_t files) {
  if (in.IsNull()) return std::nullopt;
  return ScanFrom(in, files);
}

loader::SourceCandidate CandidateFrom(const In& in) {
  loader::SourceCandidate c;
  c.kind = EnumNamed<loader::SourceKind>(in.At("kind"), 4, loader::SourceKindName);
  c.path = in.At("path").Bytes();
  c.rdb_path = in.At("rdb_path").Bytes();
  for (const In& f : in.At("files").Items()) {
    c.files.push_back(
        {f.At("path").Bytes(), f.At("bytes").Int<uint64_t>(), f.At("mtime_ms").Int<int64_t>()});
  }
  c.has_log_commands = in.At("has_log_commands").Bool();
  c.newest_mtime_ms = in.At("newest_mtime_ms").Int<int64_t>();
  c.health = StatusFrom(in.At("health"));
  c.scan = OptionalScanFrom(in.At("scan"), c.files.size());
  return c;
}

loader::VolumeFiles FilesFrom(const In& in) {
  loader::VolumeFiles f;
  f.dir = in.At("dir").Bytes();
  f.real_dir = in.At("real_dir").Bytes();
  f.redis_conf = in.At("redis_conf").OptionalBytes();
  f.nodes_conf = in.At("nodes_conf").OptionalBytes();
  f.rdb = in.At("rdb").OptionalBytes();
  f.aof_dir = in.At("aof_dir").OptionalBytes();
  f.aof_manifest = in.At("aof_manifest").OptionalBytes();
  f.legacy_aof = in.At("legacy_aof").OptionalBytes();
  f.native = in.At("native").OptionalBytes();
  const In conf = in.At("conf");
  f.conf.dir = conf.At("dir").OptionalBytes();
  f.conf.dbfilename = conf.At("dbfilename").OptionalBytes();
  if (!conf.At("appendonly").IsNull()) f.conf.appendonly = conf.At("appendonly").Bool();
  f.conf.appenddirname = conf.At("appenddirname").OptionalBytes();
  f.conf.appendfilename = conf.At("appendfilename").OptionalBytes();
  f.conf.cluster_config_file = conf.At("cluster_config_file").OptionalBytes();
  f.conf.replicaof = conf.At("replicaof").OptionalBytes();
  f.notes = in.At("notes").BytesList();
  return f;
}

loader::NodesConf NodesConfFrom(const In& in) {
  loader::NodesConf conf;
  for (const In& n : in.At("nodes").Items()) {
    loader::ClusterNode node;
    node.id = n.At("id").Bytes();
    node.ip = n.At("ip").Bytes();
    node.port = n.At("port").Int<int>();
    node.cluster_port = n.At("cluster_port").Int<int>();
    node.hostname = n.At("hostname").Bytes();
    node.address_aux = n.At("address_aux").Bytes();
    node.flags = n.At("flags").BytesList();
    node.master_id = n.At("master_id").Bytes();
    node.ping_sent = n.At("ping_sent").Int<uint64_t>();
    node.pong_received = n.At("pong_received").Int<uint64_t>();
    node.config_epoch = n.At("config_epoch").Int<uint64_t>();
    node.connected = n.At("connected").Bool();
    node.slots = SlotRangesFrom(n.At("slots"));
    node.migrations = n.At("migrations").BytesList();
    conf.nodes.push_back(std::move(node));
  }
  conf.current_epoch = in.At("current_epoch").Int<uint64_t>();
  conf.last_vote_epoch = in.At("last_vote_epoch").Int<uint64_t>();
  return conf;
}

loader::EnterpriseShardName ShardNameFrom(const In& in) {
  loader::EnterpriseShardName name;
  name.uid = in.At("uid").Int<uint64_t>();
  name.kind =
      EnumNamed<loader::EnterpriseFileKind>(in.At("kind"), 3, loader::EnterpriseFileKindName);
  name.prev = in.At("prev").Bool();
  return name;
}

std::optional<loader::VolumeHeaderPass> HeaderPassFrom(const In& in,
                                                       const loader::VolumeReport& v) {
  if (in.IsNull()) return std::nullopt;
  loader::VolumeHeaderPass pass;
  pass.bytes_read = in.At("bytes_read").Int<uint64_t>();
  const std::vector<In> items = in.At("candidates").Items();
  if (items.size() != v.candidates.size()) {
    in.At("candidates")
        .Fail("expected one header scan per source (" + std::to_string(v.candidates.size()) +
              "), got " + std::to_string(items.size()));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    loader::HeaderScan h;
    h.health = StatusFrom(items[i].At("health"));
    h.has_log_commands = items[i].At("has_log_commands").Bool();
    h.scan = OptionalScanFrom(items[i].At("scan"), v.candidates[i].files.size());
    pass.candidates.push_back(std::move(h));
  }
  return pass;
}

loader::VolumeReport VolumeFrom(const In& in, size_t enterprise_volumes,
                                std::optional<loader::VolumeHeaderPass>* pass) {
  loader::VolumeReport v;
  v.files = FilesFrom(in.At("files"));
  const In nodes = in.At("nodes_conf");
  if (!nodes.IsNull()) {
    if (!v.files.nodes_conf) nodes.Fail("a nodes.conf but no files.nodes_conf path");
    v.nodes = NodesConfFrom(nodes);
  }
  v.nodes_status = StatusFrom(in.At("nodes_status"));
  v.node_id = in.At("node_id").Bytes();
  v.is_master = in.At("is_master").Bool();
  v.master_id = in.At("master_id").Bytes();
  v.aof_enabled = in.At("aof_enabled").Bool();
  for (const In& c : in.At("candidates").Items()) v.candidates.push_back(CandidateFrom(c));
  const In ent = in.At("enterprise");
  if (!ent.IsNull()) {
    loader::EnterpriseCopy copy;
    copy.name = ShardNameFrom(ent);
    copy.enterprise_volume = ent.At("enterprise_volume").Int<int>();
    if (copy.enterprise_volume < 0 ||
        copy.enterprise_volume >= static_cast<int>(enterprise_volumes)) {
      ent.At("enterprise_volume")
          .Fail("not the index of one of the report's " + std::to_string(enterprise_volumes) +
                " enterprise_volumes");
    }
    v.enterprise = copy;
  }
  *pass = HeaderPassFrom(in.At("header_pass"), v);
  return v;
}

loader::EnterpriseVolume EnterpriseFrom(const In& in) {
  loader::EnterpriseVolume e;
  e.path = in.At("path").Bytes();
  e.real_path = in.At("real_path").Bytes();
  const std::string kind = in.At("kind").Bytes();
  if (kind != "node-volume" && kind != "shard-file") {
    in.At("kind").Fail("expected node-volume or shard-file");
  }
  e.kind = kind == "node-volume" ? loader::EnterprisePathKind::kNodeVolume
                                 : loader::EnterprisePathKind::kShardFile;
  for (const In& f : in.At("shard_files").Items()) {
    loader::EnterpriseShardFile file;
    file.name = ShardNameFrom(f);
    file.path = f.At("path").Bytes();
    file.manifest = f.At("manifest").Bytes();
    file.bytes = f.At("bytes").Int<uint64_t>();
    file.mtime_ms = f.At("mtime_ms").Int<int64_t>();
    e.shard_files.push_back(std::move(file));
  }
  e.ccs_files = in.At("ccs_files").BytesList();
  e.notes = in.At("notes").BytesList();
  return e;
}

loader::CcsReport CcsFrom(const In& in) {
  loader::CcsReport c;
  c.path = in.At("path").Bytes();
  c.status = StatusFrom(in.At("status"));
  for (const In& d : in.At("databases").Items()) {
    loader::CcsDatabase db;
    db.uid = d.At("uid").Int<uint64_t>();
    db.name = d.At("name").Bytes();
    db.fields = d.At("fields").BytesList();
    db.hash_slots_policy = d.At("hash_slots_policy").Bytes();
    for (const In& uid : d.At("redis_list").Items()) db.redis_list.push_back(uid.Int<uint64_t>());
    db.redis_list_error = d.At("redis_list_error").Bytes();
    c.databases.push_back(std::move(db));
  }
  for (const In& s : in.At("shards").Items()) {
    loader::CcsShard shard;
    shard.uid = s.At("uid").Int<uint64_t>();
    if (!s.At("bdb_uid").IsNull()) shard.bdb_uid = s.At("bdb_uid").Int<uint64_t>();
    shard.role = s.At("role").Bytes();
    shard.assigned_slots = s.At("assigned_slots").Bytes();
    c.shards.push_back(std::move(shard));
  }
  return c;
}

loader::VolumeScanReport ReportFrom(const In& root) {
  loader::VolumeScanReport r;
  r.path = root.At("path").Bytes();
  r.estimated = root.At("estimated").Bool();
  r.now_ms = root.At("now_ms").Int<int64_t>();
  loader::Discovery& d = r.scanned;
  for (const In& e : root.At("enterprise_volumes").Items()) {
    d.enterprise_volumes.push_back(EnterpriseFrom(e));
  }
  for (const In& v : root.At("volumes").Items()) {
    r.header_passes.emplace_back();
    d.volumes.push_back(VolumeFrom(v, d.enterprise_volumes.size(), &r.header_passes.back()));
    if (r.estimated && r.header_passes.back().has_value()) {
      v.At("header_pass").Fail("a report made with --estimate has no header pass");
    }
  }
  for (const In& c : root.At("ccs").Items()) d.ccs.push_back(CcsFrom(c));
  d.warnings = root.At("warnings").BytesList();
  d.scan_bytes_read = root.At("scan_bytes_read").Int<uint64_t>();
  return r;
}

}  // namespace
}  // namespace volume_report_json

nlohmann::json VolumeReportToJson(const loader::VolumeScanReport& r) {
  using namespace volume_report_json;
  json volumes = json::array();
  for (size_t i = 0; i < r.scanned.volumes.size(); ++i) {
    volumes.push_back(VolumeJson(r.scanned.volumes[i],
                                 i < r.header_passes.size() ? r.header_passes[i] : std::nullopt));
  }
  json enterprise = json::array();
  for (const loader::EnterpriseVolume& e : r.scanned.enterprise_volumes) {
    enterprise.push_back(EnterpriseJson(e));
  }
  json ccs = json::array();
  for (const loader::CcsReport& c : r.scanned.ccs) ccs.push_back(CcsJson(c));
  return {{"format", kVolumeReportFormatTag},
          {"path", Bytes(r.path)},
          {"estimated", r.estimated},
          {"now_ms", r.now_ms},
          {"scan_bytes_read", r.scanned.scan_bytes_read},
          {"warnings", BytesList(r.scanned.warnings)},
          {"volumes", volumes},
          {"enterprise_volumes", enterprise},
          {"ccs", ccs}};
}

Result<loader::VolumeScanReport> VolumeReportFromJson(std::string_view text,
                                                      std::string_view path) {
  using namespace volume_report_json;
  const std::string where(path);
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return Status::Corruption(where + ": not a JSON object");
    auto tag = j.find("format");
    if (tag == j.end() || !tag->is_string() || *tag != kVolumeReportFormatTag) {
      return Status::Corruption(
          where + ": \"format\" is " + (tag == j.end() ? std::string("missing") : tag->dump()) +
          ", expected \"" + kVolumeReportFormatTag + "\" (not a volume report of this shardkit)");
    }
    return ReportFrom(In(j, ""));
  } catch (const FieldError& e) {
    return Status::Corruption(where + ": " + e.what());
  } catch (const json::exception& e) {
    return Status::Corruption(where + ": not JSON: " + e.what());
  }
}

}  // namespace shardkit::tools
