#include "tools/value_sample.h"

#include <algorithm>
#include <cstdio>

#include "base/chunk_io.h"
#include "formats/rdb/rdb_format.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "loader/enterprise_layout.h"
#include "storage/file_reader.h"
#include "tools/log_sample.h"

namespace shardkit::tools {
namespace {

namespace rdb = formats::rdb;

// "hash-listpack" -> "hash", "quicklist-v2" -> "list", "zset-v1" -> "zset".
std::string Family(uint8_t type) {
  std::string name = rdb::TypeName(type);
  if (name.rfind("quicklist", 0) == 0) return "list";
  return name.substr(0, name.find('-'));
}

// One element as text: its kind, then only the fields it uses (both sides
// of a comparison render alike, so equal text means equal elements).
std::string Render(const rdb::RdbElement& e) {
  static constexpr const char* kKinds[] = {
      "string",         "list-item",       "set-member",      "zset-member",    "hash-field",
      "array-item",     "stream-entry",    "stream-meta",     "stream-group",   "stream-pending",
      "stream-consumer", "consumer-pending", "module-value",  "gcra"};
  const auto kind = static_cast<size_t>(e.kind);
  std::string out = kind < std::size(kKinds) ? kKinds[kind] : "kind-" + std::to_string(kind);
  auto add = [&out](const char* name, const std::string& v) {
    out += " " + std::string(name) + "=" + v;
  };
  // Whole strings: the comparison needs every byte (messages cut them).
  if (!e.a.empty() || e.kind == rdb::ElementKind::kString) add("a", "\"" + std::string(e.a) + "\"");
  if (!e.b.empty()) add("b", "\"" + std::string(e.b) + "\"");
  if (e.kind == rdb::ElementKind::kZsetMember) {
    char score[40];
    std::snprintf(score, sizeof(score), "%.17g", e.score);
    add("score", score);
  }
  if (e.expire_ms) add("expire_ms", std::to_string(*e.expire_ms));
  if (e.index != 0) add("index", std::to_string(e.index));
  if (e.id.ms != 0 || e.id.seq != 0) add("id", std::to_string(e.id.ms) + "-" + std::to_string(e.id.seq));
  if (e.length != 0) add("length", std::to_string(e.length));
  for (const rdb::StreamId* id : {&e.last_id, &e.first_id, &e.max_deleted_id}) {
    if (id->ms != 0 || id->seq != 0) add("sid", std::to_string(id->ms) + "-" + std::to_string(id->seq));
  }
  if (e.entries_added != 0) add("entries_added", std::to_string(e.entries_added));
  if (e.entries_read != 0) add("entries_read", std::to_string(e.entries_read));
  if (e.delivery_time_ms != 0) add("delivery_time_ms", std::to_string(e.delivery_time_ms));
  if (e.delivery_count != 0) add("delivery_count", std::to_string(e.delivery_count));
  if (e.seen_time_ms != 0) add("seen_time_ms", std::to_string(e.seen_time_ms));
  if (e.active_time_ms != 0) add("active_time_ms", std::to_string(e.active_time_ms));
  if (e.integer != 0) add("integer", std::to_string(e.integer));
  for (std::string_view f : e.fields) out += " \"" + std::string(f) + "\"";
  return out;
}

class ElementCollector final : public rdb::RdbVisitor {
 public:
  Status OnElement(const rdb::RdbEntry& /*entry*/, const rdb::RdbElement& e) override {
    elements.push_back(Render(e));
    return Status();
  }
  std::vector<std::string> elements;
};


std::string Describe(const LogicalValue& v) {
  return v.family + " of " + std::to_string(v.elements.size()) + " elements";
}

// The first element that differs, for the message.
std::string FirstDifference(const LogicalValue& want, const LogicalValue& got) {
  if (want.family != got.family) return "type " + want.family + " vs " + got.family;
  for (size_t i = 0; i < std::max(want.elements.size(), got.elements.size()); ++i) {
    const std::string a = i < want.elements.size() ? want.elements[i] : "(none)";
    const std::string b = i < got.elements.size() ? got.elements[i] : "(none)";
    if (a != b) return "element " + std::to_string(i) + ": " + a.substr(0, 160) + " vs " + b.substr(0, 160);
  }
  return "";
}

Finding KeyFinding(const LiveNode& n, std::string check, const std::string& key,
                   std::string expected, std::string found) {
  return Finding{n.index,          n.node_id,           n.endpoint.HostPort(),
                 std::move(check), "key \"" + key.substr(0, 200) + "\"", std::move(expected),
                 std::move(found)};
}

}  // namespace

Status SampleCollector::OnHeader(const rdb::RdbHeader& header) {
  version_ = header.version;
  return Status();
}

Status SampleCollector::OnEntryOwned(rdb::RdbEntry& e) {
  if (e.db != 0 || skip_all_) return Status();
  const int node = SampleNodeOf(plan_, source_, per_master_, e.key, e.HashSlot());
  if (node < 0) return Status();
  if (!known_->empty()) (*known_)[static_cast<size_t>(node)].insert(e.key);
  if (e.expire_ms && *e.expire_ms <= now_ms_ + 60'000) return Status();  // may be gone by now
  SampledKey k;
  k.key = std::move(e.key);
  k.type = e.type;
  k.value = std::move(e.value);
  k.rdb_version = version_;
  k.expire_ms = e.expire_ms;
  sink_(node, std::move(k));
  return Status();
}

uint64_t SampleKeyHash(std::string_view key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

int SampleNodeOf(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                 uint64_t per_master, std::string_view key, uint16_t slot) {
  if (!source.owned_slots.empty() && !source.owned_slots.Contains(slot)) return -1;
  const int node = plan.slots.NodeOfSlot(slot);
  if (node < 0) return -1;
  const uint64_t keys = std::max<uint64_t>(1, plan.slots.nodes[node].keys);
  if (per_master != 0 && SampleKeyHash(key) % keys >= per_master) return -1;
  return node;
}

Result<LogicalValue> DecodeValue(uint8_t type, std::string_view value, int rdb_version) {
  rdb::RdbEntry e;
  e.key = "k";
  e.type = type;
  e.value = std::string(value);
  StringSink sink;
  rdb::RdbWriterOptions wo;
  wo.version = std::clamp(rdb_version, rdb::RdbWriter::kMinWritableVersion, 14);
  // One record per writer, one writer per sampled key: the default 256 KiB
  // buffer, zeroed each time, took 8% of all the CLI's CPU in the ASan test
  // suite (perf), most of it page faults.
  wo.buffer_bytes = 4096;
  SK_ASSIGN_OR_RETURN(auto writer, rdb::RdbWriter::Create(&sink, wo));
  SK_RETURN_IF_ERROR(writer->WriteEntry(e));
  SK_RETURN_IF_ERROR(writer->Finish());
  MemoryChunkSource src(AsBytes(sink.data()));
  rdb::RdbReadOptions ro;
  ro.deep = true;
  ElementCollector c;
  SK_RETURN_IF_ERROR(rdb::ReadRdb(&src, ro, &c).status());
  LogicalValue v;
  v.family = Family(type);
  v.elements = std::move(c.elements);
  if (v.family == "set" || v.family == "zset" || v.family == "hash") {
    std::sort(v.elements.begin(), v.elements.end());
  }
  return v;
}

Result<ValueSample> SampleSourceKeys(const loader::RecoveryPlan& plan,
                                     const SampleOptions& options) {
  ValueSample out;
  out.by_node.resize(plan.slots.nodes.size());
  if (options.per_master == 0) out.known_by_node.resize(plan.slots.nodes.size());
  for (const loader::PlanSource& s : plan.sources) {
    if (s.kind == "aof-multipart" || s.kind == "aof-legacy") {
      SK_RETURN_IF_ERROR(SampleLogSource(plan, s, options, &out));
      continue;
    }
    if (s.rdb_path.empty()) continue;
    if (s.kind != "rdb") {
      return Status::NotSupported("source " + s.path + " is " + s.kind +
                                  ": only RDB and AOF sources are sampled");
    }
    SK_ASSIGN_OR_RETURN(auto in, storage::OpenSequentialReader(s.rdb_path, options.io));
    rdb::RdbReadOptions ro;
    ro.capture_values = true;
    ro.layout = loader::LayoutProducerOf(s.rdb_path);  // as recover and log_sample read it
    SampleCollector collector(plan, s, options.per_master, options.now_ms, &out.known_by_node,
                              /*skip_all=*/false, [&out](int node, SampledKey key) {
                                ++out.from_base;
                                out.by_node[static_cast<size_t>(node)].push_back(std::move(key));
                              });
    SK_RETURN_IF_ERROR(rdb::ReadRdb(in.get(), ro, &collector).status());
  }
  return out;
}

Result<std::vector<Finding>> CompareSampledKeys(
    const loader::RecoveryPlan& plan, ClusterSession& session,
    const std::vector<std::vector<SampledKey>>& samples, const std::vector<bool>& skip) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < session.nodes().size(); ++i) {
    if (i < skip.size() && skip[i]) continue;
    const LiveNode& n = session.nodes()[i];
    int errors = 0;
    net::RedisConnection& c = session.connection(i);
    if (n.master_index >= 0) SK_RETURN_IF_ERROR(c.CommandOk({"READONLY"}).status());
    const int data_node = plan.slots.DataNode(n.index).index;
    for (const SampledKey& k : samples.at(data_node)) {
      SK_ASSIGN_OR_RETURN(net::RedisValue pttl, c.Command({"PEXPIRETIME", k.key}));
      if (pttl.is_error()) {
        findings.push_back(KeyFinding(n, "key", k.key, "served by this node", pttl.ToString()));
        if (++errors >= kMaxErrorFindings) break;
        continue;
      }
      if (k.absent) {
        if (pttl.integer != -2) {
          findings.push_back(KeyFinding(n, "key", k.key, "absent (the log deletes it)", "present"));
        }
        continue;
      }
      if (pttl.integer == -2) {
        findings.push_back(KeyFinding(n, "key", k.key, "present", "absent"));
        continue;
      }
      const int64_t want_ttl = k.expire_ms.value_or(-1);
      if (pttl.integer != want_ttl) {
        findings.push_back(KeyFinding(
            n, "ttl", k.key, want_ttl < 0 ? "no expiry" : "expiry at " + std::to_string(want_ttl) + " ms",
            pttl.integer < 0 ? "no expiry" : "expiry at " + std::to_string(pttl.integer) + " ms"));
      }
      SK_ASSIGN_OR_RETURN(net::RedisValue dump, c.Command({"DUMP", k.key}));
      if (dump.is_error()) {
        findings.push_back(KeyFinding(n, "key", k.key, "served by this node", dump.ToString()));
        if (++errors >= kMaxErrorFindings) break;
        continue;
      }
      if (dump.is_nil()) {
        findings.push_back(KeyFinding(n, "key", k.key, "present", "absent"));
        continue;
      }
      // DUMP: <type><value bytes><RDB version, 2 bytes LE><CRC64, 8 bytes>.
      const std::string& p = dump.str;
      if (p.size() < 11) {
        return Status::Corruption(n.label + ": DUMP " + k.key + ": " + std::to_string(p.size()) +
                                  " bytes, too short");
      }
      const int version = static_cast<unsigned char>(p[p.size() - 10]) |
                          (static_cast<unsigned char>(p[p.size() - 9]) << 8);
      auto live = DecodeValue(static_cast<uint8_t>(p[0]),
                              std::string_view(p).substr(1, p.size() - 11), version);
      if (!live.ok()) return live.status().WithPrefix(n.label + ": DUMP " + k.key);
      auto want = DecodeValue(k.type, k.value, k.rdb_version);
      if (!want.ok()) return want.status().WithPrefix("source value of " + k.key);
      if (!(*want == *live)) {
        findings.push_back(KeyFinding(n, "value", k.key,
                                      Describe(*want) + (k.replayed ? " (after the log)" : ""),
                                      Describe(*live) + " (" + FirstDifference(*want, *live) + ")"));
      }
    }
  }
  return findings;
}

Result<std::vector<Finding>> CompareKeySets(const loader::RecoveryPlan& plan,
                                            ClusterSession& session, const ValueSample& sample,
                                            const std::vector<bool>& skip) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < session.nodes().size(); ++i) {
    if (i < skip.size() && skip[i]) continue;
    const LiveNode& n = session.nodes()[i];
    const auto& known = sample.known_by_node.at(plan.slots.DataNode(n.index).index);
    uint64_t extra = 0;
    std::string cursor = "0";
    // Bounded: SCAN ends when the cursor comes back to 0; a node holding
    // more than a billion keys is not scanned further.
    for (uint64_t round = 0; round < 1'000'000; ++round) {
      SK_ASSIGN_OR_RETURN(net::RedisValue r,
                          session.connection(i).CommandOk({"SCAN", cursor, "COUNT", "1000"}));
      if (r.elements.size() != 2) {
        return Status::Corruption(n.label + ": SCAN: unexpected reply " + r.ToString());
      }
      for (const net::RedisValue& key : r.elements[1].elements) {
        if (known.count(key.str) != 0) continue;
        if (++extra <= kMaxErrorFindings) {
          findings.push_back(KeyFinding(n, "key", key.str, "absent (in no source)", "present"));
        }
      }
      cursor = r.elements[0].str;
      if (cursor == "0") break;
    }
    if (extra > kMaxErrorFindings) {
      findings.push_back(Finding{n.index, n.node_id, n.endpoint.HostPort(), "key", "keys",
                                 "no key outside the sources",
                                 std::to_string(extra - kMaxErrorFindings) +
                                     " more keys in no source"});
    }
  }
  return findings;
}

}  // namespace shardkit::tools
