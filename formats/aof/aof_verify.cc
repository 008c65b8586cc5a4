#include "formats/aof/aof_verify.h"

namespace shardkit::formats::aof {
namespace {

// Counts routing classes while reading.
class VerifyVisitor final : public AofVisitor {
 public:
  explicit VerifyVisitor(AofVerifyReport* report) : report_(report) {}
  Status OnCommand(const AofCommand& command) override {
    if (command.keys != nullptr) {
      ++report_->routing_counts[std::string(RoutingName(command.keys->routing))];
      if (command.keys->cross_slot) ++report_->cross_slot_commands;
    }
    return Status();
  }

 private:
  AofVerifyReport* report_;
};

AofReadOptions ReadOptionsFor(const AofVerifyOptions& options, RdbPartReader* rdb_part) {
  AofReadOptions read;
  read.limits = options.limits;
  read.allow_truncated_tail = true;  // recorded in the summary, judged below
  read.extract_keys = options.check_commands;
  read.rdb_part_reader = rdb_part;
  return read;
}

// Fills totals, the cut point and ok from what the reader saw.
void Conclude(const AofReader& reader, Status read_status, bool last_reached,
              AofVerifyReport* report) {
  report->files = reader.files();
  for (const auto& f : report->files) {
    report->commands += f.commands;
    report->transactions += f.transactions;
    report->annotations += f.annotations;
  }
  const AofFileSummary* bad = nullptr;
  std::string reason;
  if (!read_status.ok()) {
    report->error = read_status;
    if (reader.last_file() != nullptr) {
      bad = reader.last_file();
      report->error_file = bad->name;
      reason = bad->truncated ? "torn tail" : "damaged";
      if (bad->rdb_preamble && bad->resp_offset == 0) reason = "damaged RDB part";
    }
  } else if (reader.last_file() != nullptr && reader.last_file()->truncated) {
    bad = reader.last_file();
    report->truncated_tail = true;
    reason = bad->open_multi_offset.has_value() ? "transaction without EXEC at end of file"
                                                : "torn tail";
    report->error = Status::Corruption(
        bad->name + ": " + reason + " at offset " + std::to_string(bad->safe_end) + " (" +
        std::to_string(bad->bytes - bad->safe_end) + " bytes after the last complete command; " +
        std::to_string(bad->commands_before_safe_end) + " commands before it)");
    report->error_file = bad->name;
  }
  if (bad != nullptr) {
    AofCutPoint cut;
    cut.file = bad->name;
    cut.offset = bad->safe_end;
    cut.file_bytes = bad->bytes;
    cut.commands_kept = bad->commands_before_safe_end;
    // An RDB part cannot be cut (the RDB would lose its trailer): that is
    // RDB salvage, not AOF repair.
    cut.allowed = last_reached && !(bad->rdb_preamble && bad->resp_offset == 0);
    cut.reason = reason;
    report->cut = cut;
  }
  report->ok = report->error.ok();
}

}  // namespace

AofVerifyReport VerifyAofFile(ChunkSource* source, const std::string& name,
                              const AofVerifyOptions& options) {
  AofVerifyReport report;
  rdb::RdbReadOptions rdb_options;
  rdb_options.deep = options.deep_rdb;
  rdb_options.layout = options.rdb_layout;
  DefaultRdbPartReader rdb_part(rdb_options);
  VerifyVisitor visitor(&report);
  AofReader reader(ReadOptionsFor(options, &rdb_part), &visitor);
  Status s = reader.ReadFile(source, name, /*is_last=*/true);
  Conclude(reader, std::move(s), /*last_reached=*/true, &report);
  return report;
}

AofVerifyReport VerifyMultiPartAof(std::string_view manifest_text, const std::string& manifest_name,
                                   const AofFileOpener& open, const AofVerifyOptions& options) {
  AofVerifyReport report;
  report.multi_part = true;
  report.manifest_name = manifest_name;
  auto manifest = ParseAofManifest(manifest_text, manifest_name);
  if (!manifest.ok()) {
    report.error = manifest.status();
    report.error_file = manifest_name;
    return report;
  }
  report.manifest = *manifest;
  report.warnings = report.manifest.Warnings(manifest_name);
  // Every loaded file must exist before any is read (as Redis checks).
  const std::vector<const AofFileInfo*> order = report.manifest.LoadOrder();
  if (order.empty()) {
    report.error = Status::Corruption(manifest_name + ": manifest lists no base or incr file");
    report.error_file = manifest_name;
    return report;
  }
  std::vector<std::unique_ptr<ChunkSource>> sources;
  for (const AofFileInfo* f : order) {
    auto source = open(f->name);
    if (!source.ok()) {
      report.error = source.status().WithPrefix(manifest_name + " line " + std::to_string(f->line) +
                                                " names " + f->name);
      report.error_file = f->name;
      return report;
    }
    sources.push_back(std::move(source).value());
  }
  rdb::RdbReadOptions rdb_options;
  rdb_options.deep = options.deep_rdb;
  rdb_options.layout = options.rdb_layout;
  DefaultRdbPartReader rdb_part(rdb_options);
  VerifyVisitor visitor(&report);
  AofReader reader(ReadOptionsFor(options, &rdb_part), &visitor);
  Status s;
  size_t i = 0;
  for (; i < order.size() && s.ok(); ++i) {
    s = reader.ReadFile(sources[i].get(), order[i]->name, i + 1 == order.size());
  }
  // The failing file is the last of the load order only if i reached the end.
  Conclude(reader, std::move(s), i == order.size(), &report);
  return report;
}

}  // namespace shardkit::formats::aof
