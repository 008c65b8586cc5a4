// shardkit inspect [--json] [--top N] PATH
//
// Summarises one RDB file in one raw pass (values are delimited, not
// decoded): AUX fields, keys per db and per type, bytes per type, keys with
// an expiry, the N largest keys (a bounded min-heap: memory O(N)), and how
// record bytes spread over the 16384 cluster hash slots (text: min/median/
// max and a 16-bucket histogram of 1024-slot ranges; JSON: the full array).
// Text on stderr, --json one object on stdout. Exit codes as verify.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <queue>
#include <vector>

#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_reader.h"
#include "tools/cli_common.h"
#include "tools/command.h"
#include "tools/exit_codes.h"
#include "tools/input_files.h"

namespace shardkit::tools {
namespace {

namespace rdb = formats::rdb;

struct InspectArgs {
  std::string path;
  bool json = false;
  int top = 10;
};

struct Counts {
  uint64_t keys = 0;
  uint64_t bytes = 0;
  uint64_t expires = 0;
};

struct BigKey {
  uint64_t bytes;
  uint64_t db;
  std::string key;
  std::string type;
  bool operator>(const BigKey& o) const { return bytes > o.bytes; }
};

class InspectVisitor final : public rdb::RdbVisitor {
 public:
  explicit InspectVisitor(size_t top) : top_(top) { slot_bytes_.fill(0); slot_keys_.fill(0); }

  Status OnHeader(const rdb::RdbHeader& h) override {
    header_ = h;
    return Status();
  }
  Status OnAux(std::string_view k, std::string_view v) override {
    aux_.emplace_back(std::string(k), std::string(v));
    return Status();
  }
  Status OnFunction(std::string_view) override {
    ++functions_;
    return Status();
  }
  Status OnModuleAux(uint64_t id, std::string_view raw) override {
    module_aux_[rdb::ModuleIdName(id)] += raw.size() + 1;
    return Status();
  }
  Status OnEntry(const rdb::RdbEntry& e) override {
    const uint64_t bytes = e.value_offset + e.value_bytes - e.record_offset;
    const std::string type = rdb::TypeName(e.type, header_.magic);
    Add(&per_db_[e.db], bytes, e.expire_ms.has_value());
    Add(&per_type_[type], bytes, e.expire_ms.has_value());
    Add(&total_, bytes, e.expire_ms.has_value());
    const uint16_t slot = e.HashSlot();
    slot_bytes_[slot] += bytes;
    ++slot_keys_[slot];
    if (!e.module_name.empty()) ++modules_[e.module_name];
    if (top_ > 0 && (largest_.size() < top_ || bytes > largest_.top().bytes)) {
      largest_.push(BigKey{bytes, e.db, e.key, type});
      if (largest_.size() > top_) largest_.pop();
    }
    return Status();
  }

  nlohmann::json ToJson(const rdb::RdbSummary* summary, const Status& error) const;
  void PrintText(const std::string& path, const rdb::RdbSummary* summary,
                 const Status& error) const;

 private:
  static void Add(Counts* c, uint64_t bytes, bool expires) {
    ++c->keys;
    c->bytes += bytes;
    c->expires += expires ? 1 : 0;
  }
  std::vector<BigKey> Largest() const {
    auto heap = largest_;
    std::vector<BigKey> out;
    while (!heap.empty()) {
      out.push_back(heap.top());
      heap.pop();
    }
    std::reverse(out.begin(), out.end());
    return out;
  }
  // min, median, max of bytes over all 16384 slots.
  std::array<uint64_t, 3> SlotStats() const {
    std::vector<uint64_t> sorted(slot_bytes_.begin(), slot_bytes_.end());
    std::sort(sorted.begin(), sorted.end());
    return {sorted.front(), sorted[sorted.size() / 2], sorted.back()};
  }
  std::array<uint64_t, 16> Histogram() const {
    std::array<uint64_t, 16> buckets{};
    for (int s = 0; s < formats::kSlotCount; ++s) buckets[s / 1024] += slot_bytes_[s];
    return buckets;
  }

  size_t top_;
  rdb::RdbHeader header_;
  std::vector<std::pair<std::string, std::string>> aux_;
  uint64_t functions_ = 0;
  std::map<std::string, uint64_t> module_aux_;
  std::map<std::string, uint64_t> modules_;
  std::map<uint64_t, Counts> per_db_;
  std::map<std::string, Counts> per_type_;
  Counts total_;
  std::array<uint64_t, formats::kSlotCount> slot_bytes_;
  std::array<uint32_t, formats::kSlotCount> slot_keys_;
  std::priority_queue<BigKey, std::vector<BigKey>, std::greater<BigKey>> largest_;
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xc2) return 0;  // overlong
  return n;
}

// Keys and AUX values are binary-safe; JSON strings must be UTF-8. Valid
// UTF-8 passes unchanged; any other byte becomes the text \xNN (and a
// backslash becomes \\ so the form stays unambiguous).
std::string JsonText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n > 0 && s[i] != '\\') {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    if (s[i] == '\\') {
      out += "\\\\";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
    }
    ++i;
  }
  return out;
}

nlohmann::json CountsJson(const Counts& c) {
  return {{"keys", c.keys}, {"bytes", c.bytes}, {"expires", c.expires}};
}

nlohmann::json InspectVisitor::ToJson(const rdb::RdbSummary* summary, const Status& error) const {
  nlohmann::json j;
  j["ok"] = error.ok();
  j["magic"] = header_.magic == rdb::Magic::kValkey ? "VALKEY" : "REDIS";
  j["version"] = header_.version;
  nlohmann::json aux = nlohmann::json::array();
  for (const auto& [k, v] : aux_) {
    aux.push_back({{"key", JsonText(k)}, {"value", JsonText(v)}});
  }
  j["aux"] = aux;
  j["functions"] = functions_;
  j["total"] = CountsJson(total_);
  nlohmann::json dbs = nlohmann::json::object();
  for (const auto& [db, c] : per_db_) dbs[std::to_string(db)] = CountsJson(c);
  j["dbs"] = dbs;
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [t, c] : per_type_) types[t] = CountsJson(c);
  j["types"] = types;
  j["modules"] = modules_;  // names from ModuleIdName: [A-Za-z0-9_-]
  j["module_aux_bytes"] = module_aux_;
  nlohmann::json big = nlohmann::json::array();
  for (const auto& k : Largest()) {
    big.push_back({{"key", JsonText(k.key)}, {"db", k.db}, {"type", k.type}, {"bytes", k.bytes},
                   {"slot", formats::KeyHashSlot(k.key)}});
  }
  j["largest"] = big;
  auto stats = SlotStats();
  j["slot_bytes_min"] = stats[0];
  j["slot_bytes_median"] = stats[1];
  j["slot_bytes_max"] = stats[2];
  j["slot_bytes"] = slot_bytes_;
  j["slot_keys"] = slot_keys_;
  if (summary != nullptr) {
    j["crc"] = std::string(rdb::CrcStatusName(summary->crc));
    j["end_offset"] = summary->end_offset;
  }
  j["error"] = error.ok() ? nlohmann::json(nullptr) : nlohmann::json(JsonText(error.ToString()));
  return j;
}

void InspectVisitor::PrintText(const std::string& path, const rdb::RdbSummary* summary,
                               const Status& error) const {
  std::fprintf(stderr, "%s: %s, %" PRIu64 " keys, %" PRIu64 " record bytes, %" PRIu64
               " with expiry%s%s\n",
               path.c_str(), rdb::DescribeVersion(header_).c_str(), total_.keys, total_.bytes,
               total_.expires, summary ? ", crc " : "",
               summary ? std::string(rdb::CrcStatusName(summary->crc)).c_str() : "");
  for (const auto& [k, v] : aux_) {
    std::fprintf(stderr, "  aux %s = %s\n", k.c_str(), v.substr(0, 80).c_str());
  }
  if (functions_ > 0) std::fprintf(stderr, "  %" PRIu64 " function libraries\n", functions_);
  for (const auto& [db, c] : per_db_) {
    std::fprintf(stderr, "  db %" PRIu64 ": %" PRIu64 " keys, %" PRIu64 " bytes, %" PRIu64
                 " expires\n", db, c.keys, c.bytes, c.expires);
  }
  for (const auto& [t, c] : per_type_) {
    std::fprintf(stderr, "  type %-20s %10" PRIu64 " keys %14" PRIu64 " bytes\n", t.c_str(),
                 c.keys, c.bytes);
  }
  for (const auto& [m, n] : modules_) {
    std::fprintf(stderr, "  module %s: %" PRIu64 " values (carried raw)\n", m.c_str(), n);
  }
  for (const auto& k : Largest()) {
    std::fprintf(stderr, "  large key db %" PRIu64 " %-20s %12" PRIu64 " bytes  %s\n", k.db,
                 k.type.c_str(), k.bytes, k.key.substr(0, 80).c_str());
  }
  auto stats = SlotStats();
  std::fprintf(stderr, "  slot bytes: min %" PRIu64 ", median %" PRIu64 ", max %" PRIu64 "\n",
               stats[0], stats[1], stats[2]);
  auto hist = Histogram();
  for (int b = 0; b < 16; ++b) {
    std::fprintf(stderr, "  slots %5d-%5d: %14" PRIu64 " bytes\n", b * 1024, b * 1024 + 1023,
                 hist[b]);
  }
  if (!error.ok()) std::fprintf(stderr, "ERROR %s\n", error.ToString().c_str());
}

int Run(const InspectArgs& args, const CommandEnv& env) {
  const storage::IoOptions io = IoOptionsFor(env);
  auto format = DetectInputFormat(args.path);
  if (!format.ok()) return ReportError("inspect", format.status());
  if (*format != InputFormat::kRdb) {
    return ReportError("inspect", Status::NotSupported(args.path + ": " +
                                                       std::string(InputFormatName(*format)) +
                                                       " input: inspect reads RDB files"));
  }
  auto source = OpenInput(args.path, io);
  if (!source.ok()) return ReportError("inspect", source.status());
  InspectVisitor visitor(static_cast<size_t>(args.top));
  rdb::RdbReadOptions options;
  auto summary = rdb::ReadRdb(source->get(), options, &visitor);
  const Status error = summary.ok() ? Status() : summary.status();
  const rdb::RdbSummary* s = summary.ok() ? &*summary : nullptr;
  if (args.json) {
    std::cout << visitor.ToJson(s, error).dump() << std::endl;
  } else {
    visitor.PrintText(args.path, s, error);
  }
  return ExitCodeFor(error);
}

void AddInspect(CLI::App& app, CommandEnv& env) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Summarise an RDB file: aux fields, keys and bytes per db/type, largest keys, "
                 "bytes per hash slot");
  cmd->add_option("path", args->path, "RDB file")->required();
  cmd->add_flag("--json", args->json, "One JSON object on stdout (includes all 16384 slots)");
  cmd->add_option("--top", args->top, "How many of the largest keys to list (default 10)")
      ->check(CLI::Range(0, 100000));
  cmd->callback([args, &env]() { env.exit_code = Run(*args, env); });
}

}  // namespace

SHARDKIT_COMMAND(inspect, AddInspect);

}  // namespace shardkit::tools
