#include <chrono>

#include "formats/rdb/rdb_reader.h"
#include "loader/recover_pipeline.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace rdb = formats::rdb;

void PipelineState::Fail(Status s) {
  {
    std::lock_guard<std::mutex> lock(error_mu);
    if (first_error.ok()) first_error = std::move(s);
  }
  if (!failed.exchange(true)) CancelAll();
}

void PipelineState::CancelAll() {
  for (auto& job : jobs) {
    for (auto& q : job->queues) q->Cancel();
  }
}

namespace {

const Status& Cancelled() {
  static const Status kCancelled = Status::IoError("recover cancelled after another error");
  return kCancelled;
}

// Routes one source's entries: checks policies, then batches each entry for
// the node that owns its slot.
class RoutingVisitor final : public rdb::RdbVisitor {
 public:
  RoutingVisitor(PipelineState* state, int position, ByteReader* in)
      : state_(state),
        position_(position),
        source_index_(state->sources[position]),
        source_(state->plan->sources[source_index_]),
        in_(in),
        batches_(state->jobs.size()) {}

  Status OnHeader(const rdb::RdbHeader& header) override {
    magic_ = header.magic;
    return Status();
  }

  Status OnEntry(const rdb::RdbEntry& entry) override {
    state_->keys_read.fetch_add(1, std::memory_order_relaxed);
    if ((++entries_ & 1023) == 0) ReportBytes();
    if (state_->failed.load(std::memory_order_relaxed)) return Cancelled();
    const RecoverOptions& opt = *state_->options;
    if (!opt.keep_expired && entry.expire_ms && *entry.expire_ms < state_->plan->created_ms) {
      state_->expired_dropped.fetch_add(1, std::memory_order_relaxed);
      return Status();
    }
    if (entry.db != 0) {
      switch (opt.other_db_policy) {
        case OtherDbPolicy::kError:
          return Status::InvalidArgument(
              source_.rdb_path + ": key \"" + entry.key + "\" is in db " +
              std::to_string(entry.db) +
              "; a cluster has only db 0 (choose --other-dbs=drop or --other-dbs=db0)");
        case OtherDbPolicy::kDrop:
          state_->other_db_dropped.fetch_add(1, std::memory_order_relaxed);
          return Status();
        case OtherDbPolicy::kMoveToDb0:
          state_->other_db_moved.fetch_add(1, std::memory_order_relaxed);
          break;
      }
    }
    const uint16_t slot = entry.HashSlot();
    const int job_index = state_->job_of_slot[slot];
    if (job_index < 0) return Status();  // another process writes that node
    NodeJob* job = state_->jobs[job_index].get();
    if (state_->owner_source[slot] != source_index_) return Defer(job, entry);
    if (state_->contested.Contains(slot)) {
      std::lock_guard<std::mutex> lock(job->contested_mu);
      job->owner_keys.insert(entry.key);
    }
    const size_t index = static_cast<size_t>(job_index);
    EntryBatch& batch = batches_[index];
    batch.magic = magic_;
    batch.bytes += entry.key.size() + entry.value.size() + 32;
    batch.entries.push_back(entry);
    batch.entries.back().db = 0;
    if (batch.bytes >= state_->options->batch_bytes) return Flush(index);
    return Status();
  }

  Status FlushAll() {
    for (size_t i = 0; i < batches_.size(); ++i) SK_RETURN_IF_ERROR(Flush(i));
    ReportBytes();
    return Status();
  }

 private:
  Status Flush(size_t index) {
    EntryBatch& batch = batches_[index];
    if (batch.entries.empty()) return Status();
    EntryBatch full = std::move(batch);
    batch = EntryBatch();
    if (!state_->jobs[index]->queues[position_]->Push(std::move(full))) return Cancelled();
    return Status();
  }

  Status Defer(NodeJob* job, const rdb::RdbEntry& entry) {
    std::lock_guard<std::mutex> lock(job->contested_mu);
    job->deferred_bytes += entry.key.size() + entry.value.size();
    if (job->deferred_bytes > kMaxDeferredBytes) {
      return Status::ResourceExhausted(
          source_.rdb_path + ": more than " + std::to_string(kMaxDeferredBytes >> 20) +
          " MiB of keys in slots this shard does not own (expected only keys of slots being "
          "migrated); the plan's slot ownership looks wrong");
    }
    EntryBatch& held = job->deferred[position_].empty() ? job->deferred[position_].emplace_back()
                                                        : job->deferred[position_].back();
    held.magic = magic_;
    held.entries.push_back(entry);
    held.entries.back().db = 0;
    return Status();
  }

  void ReportBytes() {
    uint64_t now = in_->offset();
    state_->bytes_read.fetch_add(now - reported_, std::memory_order_relaxed);
    reported_ = now;
  }

  PipelineState* state_;
  int position_;
  int source_index_;
  const PlanSource& source_;
  ByteReader* in_;
  std::vector<EntryBatch> batches_;  // one per job
  rdb::Magic magic_ = rdb::Magic::kRedis;
  uint64_t entries_ = 0;
  uint64_t reported_ = 0;
};

}  // namespace

Status RunSourceWorker(PipelineState* state, int position) {
  const PlanSource& source = state->plan->sources[state->sources[position]];
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenSequentialReader(source.rdb_path,
                                                                state->options->io));
  ByteReader in(file.get());
  RoutingVisitor visitor(state, position, &in);
  rdb::RdbReadOptions options;
  options.capture_values = true;
  rdb::RdbReader reader(&in, options);
  SK_RETURN_IF_ERROR(reader.Read(&visitor).status());
  return visitor.FlushAll();
}

namespace {

Status WriteBatch(NodeJob* job, const EntryBatch& batch) {
  for (const rdb::RdbEntry& e : batch.entries) {
    SK_RETURN_IF_ERROR(job->writer->WriteEntry(e, batch.magic));
    ++job->keys_written;
  }
  return Status();
}

// Held-back non-owner copies: written only when no owner copy (and no
// earlier non-owner copy) of the key was written.
Status WriteDeferred(NodeJob* job) {
  std::unordered_set<std::string>& seen = job->owner_keys;
  for (const auto& per_source : job->deferred) {
    for (const EntryBatch& batch : per_source) {
      for (const rdb::RdbEntry& e : batch.entries) {
      if (!seen.insert(e.key).second) {
        ++job->duplicates_dropped;
        continue;
      }
        SK_RETURN_IF_ERROR(job->writer->WriteEntry(e, batch.magic));
        ++job->keys_written;
        ++job->non_owner_kept;
      }
    }
  }
  return Status();
}

}  // namespace

void RunNodeWriter(PipelineState* state, NodeJob* job) {
  const auto start = std::chrono::steady_clock::now();
  EntryBatch batch;
  Status s;
  for (auto& queue : job->queues) {
    while (s.ok() && queue->Pop(&batch)) s = WriteBatch(job, batch);
  }
  if (s.ok() && state->failed.load()) s = Cancelled();
  if (s.ok()) s = WriteDeferred(job);
  if (s.ok()) s = job->writer->Finish();
  if (s.ok()) s = job->rdb_file->Publish();
  job->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    job->status = s;
    state->Fail(s.WithPrefix("writing " + job->output->staging_dir()));
  }
}

}  // namespace shardkit::loader
