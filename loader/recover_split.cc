// Phase 1 of a split recovery (loader/fragments.h): one source read once,
// routed by the recover pipeline to every master it feeds, each master's
// part written as record bytes (a body-only RdbWriter) instead of a node's
// files.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "formats/aof/aof_writer.h"
#include "formats/rdb/rdb_writer.h"
#include "loader/fragments.h"
#include "loader/recover_pipeline.h"
#include "storage/small_file.h"

namespace shardkit::loader {

namespace rdb = formats::rdb;

namespace {

std::string NodeFileName(int node, const char* suffix) {
  return "node-" + std::to_string(node) + suffix;
}

Result<std::unique_ptr<FanOutFile>> CreateFragmentFile(NodeOutput* out, const std::string& name) {
  std::vector<std::unique_ptr<NodeOutput::File>> files;
  SK_ASSIGN_OR_RETURN(files.emplace_back(), out->CreateFile(name));
  return std::make_unique<FanOutFile>(std::move(files));
}

// The node writer of phase 1: the source's batches for one master into its
// fragment files (no held-back records: they go to node-K.held after).
void RunFragmentWriter(PipelineState* state, NodeJob* job) {
  const auto start = std::chrono::steady_clock::now();
  Status s = DrainQueues(state, job);
  if (s.ok() && state->failed.load()) s = Status::IoError("cancelled after another error");
  if (s.ok() && job->writer) s = job->writer->Finish();
  if (s.ok() && job->rdb_file) s = job->rdb_file->Publish();
  if (s.ok() && job->incr_writer) s = job->incr_writer->Finish();
  if (s.ok() && job->incr_file) s = job->incr_file->Publish();
  job->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    job->status = s;
    state->Fail(s.WithPrefix("writing the fragments of node " + std::to_string(job->node->index)));
  }
}

// node-K.held and node-K.held-index: the records held back for `job`.
Status WriteHeld(NodeOutput* out, int version, NodeJob* job, NodeFragment* f) {
  std::string index;
  std::unique_ptr<FanOutFile> file;
  std::unique_ptr<rdb::RdbWriter> writer;
  for (const EntryBatch& batch : job->deferred.at(0)) {
    for (const rdb::RdbEntry& e : batch.live()) {
      if (!writer) {
        SK_ASSIGN_OR_RETURN(file, CreateFragmentFile(out, NodeFileName(job->node->index, ".held")));
        rdb::RdbWriterOptions options;
        options.version = version;
        options.body_only = true;
        SK_ASSIGN_OR_RETURN(writer, rdb::RdbWriter::Create(file.get(), options));
      }
      HeldRecord r;
      r.db = e.db;
      r.key = e.key;
      r.expire_ms = e.expire_ms;
      r.offset = writer->offset();
      SK_RETURN_IF_ERROR(writer->WriteEntry(e, batch.magic));
      r.length = writer->offset() - r.offset;
      AppendHeldRecord(r, &index);
      ++f->held;
    }
  }
  if (!writer) return Status();
  SK_RETURN_IF_ERROR(writer->Finish());
  SK_RETURN_IF_ERROR(file->Publish());
  return out->WriteSmallFile(NodeFileName(job->node->index, ".held-index"), index);
}

// node-K.owned: the keys this source owns in contested slots.
Status WriteOwned(NodeOutput* out, NodeJob* job, NodeFragment* f) {
  std::string bytes;
  for (const std::string& key : job->owner_keys) AppendOwnedKey(0, key, &bytes), ++f->owned;
  for (const auto& [db, keys] : job->owner_keys_other_dbs) {
    for (const std::string& key : keys) AppendOwnedKey(db, key, &bytes), ++f->owned;
  }
  if (f->owned == 0) return Status();
  return out->WriteSmallFile(NodeFileName(job->node->index, ".owned"), bytes);
}

// functions.rdb: the source's libraries in file order, as an RDB 10 file:
// those the pipeline met in its RDB part (read once), or a native source's.
Status WriteFunctions(NodeOutput* out, const PlanSource& source, const storage::IoOptions& io,
                      const std::vector<std::string>& seen, FragmentManifest* m) {
  std::vector<std::string> libs = seen;
  if (source.kind == "native") {
    SK_ASSIGN_OR_RETURN(libs, SourceFunctions(source, io));
  }
  SK_ASSIGN_OR_RETURN(auto file, CreateFragmentFile(out, kFragmentFunctionsName));
  rdb::RdbWriterOptions options;
  options.version = 10;
  SK_ASSIGN_OR_RETURN(auto writer, rdb::RdbWriter::Create(file.get(), options));
  for (const std::string& code : libs) SK_RETURN_IF_ERROR(writer->WriteFunction(code));
  SK_RETURN_IF_ERROR(writer->Finish());
  m->functions = libs.size();
  return file->Publish();
}

}  // namespace

Result<SplitReport> SplitSource(const RecoveryPlan& plan, int source_index,
                                const RecoverOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const int count = static_cast<int>(plan.sources.size());
  if (source_index < 0 || source_index >= count) {
    return Status::InvalidArgument("--source " + std::to_string(source_index) + ": the plan has " +
                                   std::to_string(count) + " sources (0 to " +
                                   std::to_string(count - 1) + ")");
  }
  if (options.output_format != OutputFormat::kRdb) {
    return Status::NotSupported("fragments carry RDB output only (--format rdb)");
  }
  if (options.fragments_dir.empty()) return Status::InvalidArgument("no fragments directory");
  const PlanSource& source = plan.sources[static_cast<size_t>(source_index)];
  SplitReport report;
  report.source = source_index;
  report.dir = options.fragments_dir + "/" + FragmentDirName(source_index);
  if (mkdir(options.fragments_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "mkdir", options.fragments_dir);
  }
  std::string why;
  SK_ASSIGN_OR_RETURN(ExistingNode existing, CheckExistingNode(report.dir, plan.fingerprint,
                                                               source_index, options.io, &why));
  if (existing == ExistingNode::kForeign) {
    return Status::InvalidArgument("refusing to replace " + why +
                                   "; move it away or choose another --fragments directory");
  }
  if (existing == ExistingNode::kCompleteForThisPlan) {
    const std::string path = report.dir + "/" + kFragmentManifestName;
    SK_ASSIGN_OR_RETURN(std::string text, storage::ReadSmallFile(path, 64 << 20));
    SK_ASSIGN_OR_RETURN(report.manifest, ParseFragmentManifest(text, path));
    report.skipped_complete = true;
    return report;
  }
  SK_RETURN_IF_ERROR(CheckSourceUnchanged(source));
  SK_ASSIGN_OR_RETURN(std::unique_ptr<NodeOutput> out,
                      NodeOutput::OpenNamed(options.fragments_dir,
                                            FragmentDirName(source_index), options.io));

  PipelineState state;
  state.plan = &plan;
  state.options = &options;
  state.job_of_slot.fill(-1);
  std::vector<int> all_sources(plan.sources.size());
  for (size_t i = 0; i < all_sources.size(); ++i) all_sources[i] = static_cast<int>(i);
  const int version = options.rdb_version > 0 ? options.rdb_version : OutputVersion(plan, all_sources);
  // A job per master; only those the source feeds get files (a key for
  // another is refused as in the one-process run).
  for (const PlannedNode& n : plan.slots.nodes) {
    if (n.is_replica()) continue;
    NodeJob* job = AddJob(plan, n, &state);
    const std::vector<int> feeding = plan.SourcesForNode(n.index);
    if (std::find(feeding.begin(), feeding.end(), source_index) == feeding.end()) continue;
    SK_ASSIGN_OR_RETURN(job->rdb_file, CreateFragmentFile(out.get(), NodeFileName(n.index, ".rdb")));
    rdb::RdbWriterOptions wopt;
    wopt.version = version;
    wopt.body_only = true;
    SK_ASSIGN_OR_RETURN(job->writer, rdb::RdbWriter::Create(job->rdb_file.get(), wopt));
    job->current_db = NodeJob::kNoDbYet;
    if (plan.UsesAof()) {
      SK_ASSIGN_OR_RETURN(job->incr_file,
                          CreateFragmentFile(out.get(), NodeFileName(n.index, ".incr")));
      job->incr_writer = std::make_unique<formats::aof::AofWriter>(job->incr_file.get());
      job->incr_writer->AdoptFirstDb();
    }
  }
  AssignOwners(plan, &state);
  state.sources = {source_index};
  state.output_version = version;
  RunPipeline(&state, RunFragmentWriter);
  if (state.failed) return state.first_error;

  FragmentManifest& m = report.manifest;
  m.plan_fingerprint = plan.fingerprint;
  m.source = source_index;
  m.source_path = source.path;
  m.rdb_version = version;
  for (auto& job : state.jobs) {
    if (!job->writer) continue;
    NodeFragment f;
    f.node = job->node->index;
    f.keys = job->keys_written;
    f.values_in_pieces = job->values_in_pieces;
    f.commands = job->commands_written;
    f.standard_policy_differs = job->standard_policy_differs;
    f.commands_non_owner = job->commands_non_owner;
    if (job->first_db != NodeJob::kNoDbYet) {
      f.rdb_first_db = static_cast<int64_t>(job->first_db);
      f.rdb_last_db = static_cast<int64_t>(job->current_db);
    }
    if (job->incr_writer && job->incr_writer->first_db() >= 0) {
      f.incr_first_db = job->incr_writer->first_db();
      f.incr_last_db = job->incr_writer->db();
    }
    f.expiring = job->expiry.Buckets();
    SK_RETURN_IF_ERROR(WriteHeld(out.get(), version, job.get(), &f));
    SK_RETURN_IF_ERROR(WriteOwned(out.get(), job.get(), &f));
    m.nodes[f.node] = std::move(f);
  }
  SK_RETURN_IF_ERROR(
      WriteFunctions(out.get(), source, options.io, state.functions_seen.at(0), &m));
  m.bytes_read = state.bytes_read;
  m.keys_read = state.keys_read;
  m.expired_dropped = state.expired_dropped;
  m.other_db_dropped = state.other_db_dropped;
  m.other_db_moved = state.other_db_moved;
  m.commands_read = state.commands_read;
  m.commands_flushed = state.commands_flushed;
  SK_RETURN_IF_ERROR(out->WriteSmallFile(kFragmentManifestName, FormatFragmentManifest(m)));
  for (const OutputFile& f : out->files()) report.bytes_written += f.bytes;
  NodeMarker marker;
  marker.plan_fingerprint = plan.fingerprint;
  marker.node_index = source_index;
  marker.node_id = FragmentDirName(source_index);
  marker.keys = state.keys_read;
  SK_RETURN_IF_ERROR(out->Publish(marker));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace shardkit::loader
