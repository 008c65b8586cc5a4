#include <strings.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <map>
#include <set>
#include <thread>

#include "formats/aof/command_keys.h"
#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_value_convert.h"
#include "loader/aof_source.h"
#include "loader/enterprise_layout.h"
#include "loader/native_source.h"
#include "loader/recover_pipeline.h"
#include "loader/spill_segment.h"
#include "storage/file_reader.h"

namespace shardkit::loader {

namespace rdb = formats::rdb;
namespace aof = formats::aof;
namespace native = formats::native;

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

// Values are read in pieces only for RDB output: a native entry holds its
// value whole.
size_t ValuePieceBytes(const RecoverOptions& options) {
  return options.output_format == OutputFormat::kRdb ? options.value_piece_bytes : 0;
}

const Status& Cancelled() {
  static const Status kCancelled = Status::IoError("recover cancelled after another error");
  return kCancelled;
}

// Per-node batches of one source, pushed to that source's queue of each node
// when full. Every unit (an entry, a command, a whole transaction) is added
// before a flush, so a transaction never straddles two batches.
class SourceRouter {
 public:
  SourceRouter(PipelineState* state, int position)
      : state_(state),
        position_(position),
        source_index_(state->sources[position]),
        batches_(state->jobs.size()) {}

  PipelineState* state() const { return state_; }
  int position() const { return position_; }
  int source_index() const { return source_index_; }
  const PlanSource& source() const { return state_->plan->sources[source_index_]; }

  // Job index for `slot` (-1: another process writes it), or the owner check
  // failing: returns -2 when this source does not own the slot, -3 when no
  // plan source claims it (the plan saw no key there: the volume changed
  // since, or discovery missed a key; never dropped silently).
  int JobFor(uint16_t slot) const {
    const int job = state_->job_of_slot[slot];
    if (job < 0) return -1;
    const int owner = state_->owner_source[slot];
    if (owner < 0) return -3;
    return owner == source_index_ ? job : -2;
  }

  Status Unclaimed(uint16_t slot, const std::string& what) const {
    return Status::InvalidArgument(
        what + " is in slot " + std::to_string(slot) +
        ", where the plan saw no key in any source; the volume changed since the plan was "
        "made? make a new plan");
  }

  EntryBatch& batch(size_t job) { return batches_[job]; }

  bool standalone() const { return state_->plan->standalone(); }
  // The db an item of db `db` is written to: its own on a standalone target,
  // else 0 (a cluster's only db; KeepDb has applied the policy).
  uint64_t OutputDb(uint64_t db) const { return standalone() ? db : 0; }

  // A standalone plan of one source: the one master gets the source's whole
  // log, flushes included, so nothing is skipped before its last flush (a
  // FLUSHDB of db 0 there flushes db 0 only, as it did).
  bool ReplaysWholeLog() const { return standalone() && state_->plan->sources.size() == 1; }

  // Data of dbs other than 0 skipped because a later flush discards it
  // (see CommandRouter::CheckFlushPoint).
  void NoteOtherDbBeforeFlush() { other_db_before_flush_ = true; }
  bool other_db_before_flush() const { return other_db_before_flush_; }

  Status MaybeFlush(size_t job) {
    return batches_[job].bytes >= state_->options->batch_bytes ? Flush(job) : Status();
  }
  Status Flush(size_t job) {
    EntryBatch& b = batches_[job];
    if (b.empty()) return Status();
    if (!state_->jobs[job]->fed_by[static_cast<size_t>(position_)]) {
      return Status::InvalidArgument(
          source().path + ": has keys for new node " +
          std::to_string(state_->jobs[job]->node->index) +
          " although the plan says it holds none of that node's slots; make a new plan");
    }
    EntryBatch full = std::move(b);
    b = state_->pools[static_cast<size_t>(position_)]->Take();
    if (!state_->jobs[job]->queues[position_]->Push(std::move(full))) return Cancelled();
    return Status();
  }
  Status FlushAll() {
    for (size_t i = 0; i < batches_.size(); ++i) SK_RETURN_IF_ERROR(Flush(i));
    return Status();
  }

  // Applies the db policy. Returns false when the item is to be dropped.
  // `what()` names the item for the error; it is called only then (building
  // it for every key was 3% of recover's CPU).
  template <typename Describe>
  Result<bool> KeepDb(uint64_t db, const Describe& what) const {
    if (db == 0 || standalone()) return true;  // a standalone target keeps every db
    switch (state_->options->other_db_policy) {
      case OtherDbPolicy::kError:
        return Status::InvalidArgument(
            source().path + ": " + what() + " is in db " + std::to_string(db) +
            "; a cluster has only db 0 (choose --other-dbs=drop or --other-dbs=db0)");
      case OtherDbPolicy::kDrop:
        state_->other_db_dropped.fetch_add(1, std::memory_order_relaxed);
        return false;
      case OtherDbPolicy::kMoveToDb0:
        state_->other_db_moved.fetch_add(1, std::memory_order_relaxed);
        return true;
    }
    return false;
  }

 private:
  PipelineState* state_;
  int position_;
  int source_index_;
  std::vector<EntryBatch> batches_;  // one per job
  bool other_db_before_flush_ = false;
};

// Routes the key records of an RDB (a dump.rdb, an AOF base, a preamble).
class RoutingVisitor final : public rdb::RdbVisitor {
 public:
  RoutingVisitor(SourceRouter* router, ByteReader* in, bool discard)
      : router_(router), state_(router->state()), in_(in), discard_(discard) {}

  Status OnHeader(const rdb::RdbHeader& header) override {
    magic_ = header.magic;
    return Status();
  }

  Status OnEntry(const rdb::RdbEntry& entry) override { return Route(entry, nullptr); }
  Status OnFunction(std::string_view code) override {
    state_->functions_seen[static_cast<size_t>(router_->position())].emplace_back(code);
    return Status();
  }
  // From the RDB reader: the entry's strings are ours to take (no copy). A
  // record whose value came in pieces ends here with its last piece.
  Status OnEntryOwned(rdb::RdbEntry& entry) override {
    if (entry.part != rdb::ValuePart::kLast) return Route(entry, &entry);
    state_->keys_read.fetch_add(1, std::memory_order_relaxed);
    Status s = RoutePiece(entry);
    piece_ = PieceRoute();
    return s;
  }
  // A large value's pieces (RecoverOptions::value_piece_bytes): routed as
  // they are read, so only a few pieces are ever in memory.
  Status OnValuePiece(rdb::RdbEntry& entry) override {
    if (entry.part == rdb::ValuePart::kFirst) SK_RETURN_IF_ERROR(StartPieces(entry));
    ReportBytes();
    return RoutePiece(entry);
  }

  void ReportBytes() {
    if (in_ == nullptr) return;  // native sources report per block
    uint64_t now = in_->offset();
    state_->bytes_read.fetch_add(now - reported_, std::memory_order_relaxed);
    reported_ = now;
  }

 private:
  // Where a record goes: the rules every record follows, whole or in pieces.
  struct Destination {
    enum Kind {
      kDrop,   // discarded (flushed later in the log), expired, other db dropped,
               // or another process's node
      kJob,    // job `job` (this source owns the slot)
      kDefer,  // held back for job `job` until every source is read (not owned)
    } kind = kDrop;
    int job = -1;
  };

  Result<Destination> Decide(const rdb::RdbEntry& entry) {
    if (state_->failed.load(std::memory_order_relaxed)) return Cancelled();
    if (discard_) {  // flushed later in this source's log
      if (entry.db != 0) router_->NoteOtherDbBeforeFlush();
      return Destination();
    }
    const RecoverOptions& opt = *state_->options;
    if (!opt.keep_expired && entry.expire_ms && *entry.expire_ms < state_->plan->created_ms) {
      state_->expired_dropped.fetch_add(1, std::memory_order_relaxed);
      return Destination();
    }
    SK_ASSIGN_OR_RETURN(bool keep,
                        router_->KeepDb(entry.db, [&] { return "key \"" + entry.key + "\""; }));
    if (!keep) return Destination();
    const uint16_t slot = entry.HashSlot();
    const int job = router_->JobFor(slot);
    if (job == -1) return Destination();  // another process writes that node
    if (job == -2) return Destination{Destination::kDefer, state_->job_of_slot[slot]};
    if (job == -3) {
      return router_->Unclaimed(slot, router_->source().path + ": key \"" + entry.key + "\"");
    }
    if (state_->contested.Contains(slot)) {
      NodeJob* j = state_->jobs[job].get();
      std::lock_guard<std::mutex> lock(j->contested_mu);
      j->OwnerKeys(router_->OutputDb(entry.db)).insert(entry.key);
    }
    return Destination{Destination::kJob, job};
  }

  // `owned` is `entry` when its strings may be taken, else nullptr (copied).
  Status Route(const rdb::RdbEntry& entry, rdb::RdbEntry* owned) {
    state_->keys_read.fetch_add(1, std::memory_order_relaxed);
    if ((++entries_ & 1023) == 0) ReportBytes();
    SK_ASSIGN_OR_RETURN(Destination to, Decide(entry));
    if (to.kind == Destination::kDrop) return Status();
    if (to.kind == Destination::kDefer) return Defer(to.job, entry);
    return ToBatch(to.job, entry, [&](EntryBatch& batch) -> rdb::RdbEntry& {
      return owned != nullptr ? batch.Take(*owned) : batch.Add(entry);
    });
  }

  // Adds `entry` to `job`'s batch with `add` (Add, Take or AddPiece) and
  // hands the batch on when it is full.
  template <typename AddFn>
  Status ToBatch(int job, const rdb::RdbEntry& entry, const AddFn& add) {
    EntryBatch& batch = router_->batch(static_cast<size_t>(job));
    batch.magic = magic_;
    batch.bytes += entry.key.size() + entry.value.size() + 32;
    add(batch).db = router_->OutputDb(entry.db);
    return router_->MaybeFlush(static_cast<size_t>(job));
  }

  // Where the pieces of the current large value go, decided at its first
  // piece (Decide).
  struct PieceRoute {
    enum Action {
      kDrop,             // see Destination::kDrop
      kToJob,            // each piece to the job's batch as it comes
      kWholeToJob,       // gathered, then routed whole (its type needs conversion)
      kWholeDeferred,    // gathered, then held back (slot not owned by this source)
    } action = kDrop;
    int job = -1;
    std::string value;  // gathered pieces (kWholeToJob, kWholeDeferred)
  };

  Status StartPieces(const rdb::RdbEntry& entry) {
    piece_ = PieceRoute();
    SK_ASSIGN_OR_RETURN(Destination to, Decide(entry));
    piece_.job = to.job;
    switch (to.kind) {
      case Destination::kDrop:
        piece_.action = PieceRoute::kDrop;
        break;
      case Destination::kDefer:
        piece_.action = PieceRoute::kWholeDeferred;
        break;
      case Destination::kJob:
        piece_.action = rdb::TypeWritableAt(entry.type, magic_, state_->output_version)
                            ? PieceRoute::kToJob
                            : PieceRoute::kWholeToJob;
        break;
    }
    return Status();
  }

  Status RoutePiece(rdb::RdbEntry& entry) {
    switch (piece_.action) {
      case PieceRoute::kDrop:
        return Status();
      case PieceRoute::kToJob:
        return ToBatch(piece_.job, entry,
                       [&](EntryBatch& batch) -> rdb::RdbEntry& { return batch.AddPiece(entry); });
      case PieceRoute::kWholeToJob:
      case PieceRoute::kWholeDeferred:
        break;
    }
    if (piece_.action == PieceRoute::kWholeDeferred &&
        piece_.value.size() + entry.value.size() > kMaxDeferredBytes) {
      return DeferredTooLarge();
    }
    piece_.value.append(entry.value);
    if (entry.part != rdb::ValuePart::kLast) return Status();
    // The whole value is gathered: route it as one record.
    entry.value.swap(piece_.value);
    entry.part = rdb::ValuePart::kWhole;
    if (piece_.action == PieceRoute::kWholeDeferred) return Defer(piece_.job, entry);
    return ToBatch(piece_.job, entry,
                   [&](EntryBatch& batch) -> rdb::RdbEntry& { return batch.Take(entry); });
  }

  Status DeferredTooLarge() const {
    return Status::ResourceExhausted(
        router_->source().path + ": more than " + std::to_string(kMaxDeferredBytes >> 20) +
        " MiB of keys in slots this shard does not own (expected only keys of slots being "
        "migrated); the plan's slot ownership looks wrong");
  }

  Status Defer(int job_index, const rdb::RdbEntry& entry) {
    NodeJob* job = state_->jobs[job_index].get();
    std::lock_guard<std::mutex> lock(job->contested_mu);
    job->deferred_bytes += entry.key.size() + entry.value.size();
    if (job->deferred_bytes > kMaxDeferredBytes) return DeferredTooLarge();
    auto& held_list = job->deferred[static_cast<size_t>(router_->position())];
    if (held_list.empty()) held_list.emplace_back();
    EntryBatch& held = held_list.back();
    held.magic = magic_;
    held.Add(entry).db = router_->OutputDb(entry.db);
    return Status();
  }

  SourceRouter* router_;
  PipelineState* state_;
  ByteReader* in_;
  bool discard_;
  rdb::Magic magic_ = rdb::Magic::kRedis;
  uint64_t entries_ = 0;
  uint64_t reported_ = 0;
  PieceRoute piece_;
};

// Runs the routing visitor over the RDB part of an AOF file.
class RoutingRdbPart final : public aof::RdbPartReader {
 public:
  RoutingRdbPart(SourceRouter* router, bool discard) : router_(router), discard_(discard) {}
  Result<uint64_t> ReadRdbPart(ByteReader* in) override {
    RoutingVisitor visitor(router_, in, discard_);
    rdb::RdbReadOptions options;
    options.layout = LayoutProducerOf(router_->source().path);
    options.capture_values = !discard_;
    options.value_piece_bytes = ValuePieceBytes(*router_->state()->options);
    rdb::RdbReader reader(in, options);
    SK_ASSIGN_OR_RETURN(rdb::RdbSummary summary, reader.Read(&visitor));
    visitor.ReportBytes();
    return summary.keys;
  }

 private:
  SourceRouter* router_;
  bool discard_;
};

// Routes log commands: by key slot to the owning node, key-less commands that
// apply everywhere to every node, transactions per node as MULTI ... EXEC.
class CommandRouter final : public aof::AofVisitor {
 public:
  explicit CommandRouter(SourceRouter* router)
      : router_(router), state_(router->state()), source_(router->source()) {}

  Status OnFileStart(const std::string&) override {
    ++file_index_;
    return Status();
  }

  Status OnCommand(const aof::AofCommand& c) override {
    state_->commands_read.fetch_add(1, std::memory_order_relaxed);
    if (state_->failed.load(std::memory_order_relaxed)) return Cancelled();
    if (BeforeFlush(c)) {
      state_->commands_flushed.fetch_add(1, std::memory_order_relaxed);
      return CheckFlushPoint(c);
    }
    const std::string& name = c.args[0];
    if (c.in_transaction && strcasecmp(name.c_str(), "multi") == 0) {
      tx_.clear();
      return Status();
    }
    if (c.in_transaction && strcasecmp(name.c_str(), "exec") == 0) return EmitTransaction();
    std::vector<std::pair<int, RoutedCommand>> parts;
    if (keys_split_.count(Lower(name)) && c.keys->cross_slot) {
      SK_RETURN_IF_ERROR(RouteSplit(c, &parts));
    } else {
      std::vector<int> jobs;
      SK_RETURN_IF_ERROR(Route(c, &jobs));
      for (int job : jobs) {
        parts.emplace_back(job, RoutedCommand{Db(c), {c.args.begin(), c.args.end()}});
      }
    }
    for (auto& [job, cmd] : parts) {
      if (c.in_transaction) {
        tx_.push_back({std::move(cmd), {job}});
        continue;
      }
      Append(job, cmd);
      SK_RETURN_IF_ERROR(router_->MaybeFlush(job));
    }
    return Status();
  }

 private:
  struct Pending {
    RoutedCommand cmd;
    std::vector<int> jobs;
  };

  bool BeforeFlush(const aof::AofCommand& c) const {
    if (source_.flush_file < 0 || router_->ReplaysWholeLog()) return false;
    return file_index_ < source_.flush_file ||
           (file_index_ == source_.flush_file && c.offset < source_.flush_end_offset);
  }

  // The db the command is written in (the writer emits SELECT when it
  // changes): its own on a standalone target, else 0.
  int Db(const aof::AofCommand& c) const {
    return static_cast<int>(router_->OutputDb(static_cast<uint64_t>(c.db)));
  }

  // Commands skipped as before the source's last flush. The flush point is
  // a FLUSHALL or a FLUSHDB in db 0 (SourceScan::flush_file): on a cluster
  // target both discard everything the output holds of the source. On a
  // standalone target merging several sources a FLUSHDB of db 0 would also
  // discard the other dbs' earlier data, which it does not flush: refused
  // when there was any (one source replays its whole log instead).
  Status CheckFlushPoint(const aof::AofCommand& c) {
    if (!router_->standalone()) return Status();
    const std::string& name = c.args[0];
    if (c.db != 0 && strcasecmp(name.c_str(), "select") != 0) router_->NoteOtherDbBeforeFlush();
    const bool is_flush_point =
        file_index_ == source_.flush_file && c.end_offset == source_.flush_end_offset;
    if (is_flush_point && strcasecmp(name.c_str(), "flushdb") == 0 &&
        router_->other_db_before_flush()) {
      return Status::NotSupported(
          Where(c) + "is the last flush of " + source_.path +
          ", and data of other dbs precedes it: this build skips everything before a "
          "source's last FLUSHALL/FLUSHDB 0, which would lose those dbs' keys on a "
          "standalone target (recover onto a cluster with --other-dbs, or rewrite the AOF "
          "first: BGREWRITEAOF)");
    }
    return Status();
  }

  static std::string Where(const aof::AofCommand& c) {
    return *c.file + " offset " + std::to_string(c.offset) + ": " + c.args[0] + " ";
  }

  static std::string Lower(const std::string& name) {
    std::string out(name);
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  }

  // DEL and UNLINK (every argument a key) and MSET (key value pairs) act on
  // each key alone: when their keys go to different new nodes (a standalone
  // source can log that), each node gets the part for its keys, in order.
  Status RouteSplit(const aof::AofCommand& c, std::vector<std::pair<int, RoutedCommand>>* parts) {
    SK_ASSIGN_OR_RETURN(bool keep, router_->KeepDb(static_cast<uint64_t>(c.db),
                                                   [&] { return "command " + c.args[0]; }));
    if (!keep) return Status();
    const bool pairs = strcasecmp(c.args[0].c_str(), "mset") == 0;
    const size_t step = pairs ? 2 : 1;
    if (pairs && c.args.size() % 2 != 1) {
      return Status::Corruption(*c.file + " offset " + std::to_string(c.offset) +
                                ": MSET with an odd number of key/value arguments");
    }
    std::map<int, size_t> part_of_job;
    for (size_t i = 1; i + step - 1 < c.args.size(); i += step) {
      const uint16_t slot = formats::KeyHashSlot(c.args[i]);
      const int job = router_->JobFor(slot);
      if (job == -3) return router_->Unclaimed(slot, Where(c) + "key \"" + c.args[i] + "\"");
      if (job == -2) {
        state_->jobs[state_->job_of_slot[slot]]->commands_non_owner.fetch_add(
            1, std::memory_order_relaxed);
        continue;
      }
      if (job < 0) continue;
      auto [it, inserted] = part_of_job.emplace(job, parts->size());
      if (inserted) parts->emplace_back(job, RoutedCommand{Db(c), {c.args[0]}});
      std::vector<std::string>& args = (*parts)[it->second].second.args;
      args.push_back(c.args[i]);
      if (pairs) args.push_back(c.args[i + 1]);
    }
    return Status();
  }

  // Fills *jobs with the nodes this process writes that must get `c`.
  Status Route(const aof::AofCommand& c, std::vector<int>* jobs) {
    if (IsFlushCommand(c)) {
      if (!router_->ReplaysWholeLog()) return Status();  // the plan's flush point covers it
      for (size_t j = 0; j < state_->jobs.size(); ++j) jobs->push_back(static_cast<int>(j));
      return Status();
    }
    const std::string& name = c.args[0];
    // The reader tracks the db of every command; every output is db 0.
    if (strcasecmp(name.c_str(), "select") == 0) return Status();
    if (router_->standalone() &&
        (strcasecmp(name.c_str(), "flushdb") == 0 || strcasecmp(name.c_str(), "swapdb") == 0)) {
      return RouteDbCommand(c, jobs);
    }
    if (strcasecmp(name.c_str(), "flushdb") == 0) {  // of a db other than 0 here
      SK_ASSIGN_OR_RETURN(bool keep, router_->KeepDb(static_cast<uint64_t>(c.db),
                                                     [] { return std::string("FLUSHDB"); }));
      if (!keep) return Status();
      return Status::InvalidArgument(
          *c.file + " offset " + std::to_string(c.offset) + ": FLUSHDB of db " +
          std::to_string(c.db) + " cannot be moved to db 0 without discarding other shards' "
          "keys; use --other-dbs=drop");
    }
    if (strcasecmp(name.c_str(), "swapdb") == 0) {
      const bool touches_db0 = c.args.size() < 3 || c.args[1] == "0" || c.args[2] == "0";
      if (!touches_db0 && state_->options->other_db_policy == OtherDbPolicy::kDrop) {
        return Status();
      }
      return Status::InvalidArgument(*c.file + " offset " + std::to_string(c.offset) +
                                     ": SWAPDB cannot be replayed on a cluster (db 0 only)" +
                                     (touches_db0 ? "" : "; use --other-dbs=drop"));
    }
    const aof::CommandKeys& keys = *c.keys;
    if (keys.routing == aof::Routing::kNone) return Status();
    if (keys.routing == aof::Routing::kEveryNode) {
      for (size_t j = 0; j < state_->jobs.size(); ++j) jobs->push_back(static_cast<int>(j));
      return Status();
    }
    SK_ASSIGN_OR_RETURN(bool keep, router_->KeepDb(static_cast<uint64_t>(c.db),
                                                   [&] { return "command " + c.args[0]; }));
    if (!keep) return Status();
    const int first = state_->job_of_slot[keys.slot];
    if (keys.cross_slot) {
      for (uint32_t p : keys.positions) {
        if (state_->job_of_slot[formats::KeyHashSlot(c.args[p])] != first) {
          return Status::InvalidArgument(
              *c.file + " offset " + std::to_string(c.offset) + ": " + c.args[0] +
              " touches keys that go to different new nodes; a cluster cannot hold it");
        }
      }
    }
    const int job = router_->JobFor(static_cast<uint16_t>(keys.slot));
    if (job == -3) {
      return router_->Unclaimed(static_cast<uint16_t>(keys.slot),
                                Where(c) + "key \"" + c.args[keys.positions.at(0)] + "\"");
    }
    if (job == -2) {
      state_->jobs[state_->job_of_slot[keys.slot]]->commands_non_owner.fetch_add(
          1, std::memory_order_relaxed);
      return Status();
    }
    if (job >= 0) jobs->push_back(job);
    return Status();
  }

  // Standalone target: FLUSHDB (of a db other than 0: the flush point covers
  // db 0) and SWAPDB act on whole dbs, which the output holds as the source
  // did when the plan has one source. With several, they would also act on
  // the other sources' keys: refused.
  Status RouteDbCommand(const aof::AofCommand& c, std::vector<int>* jobs) {
    if (state_->plan->sources.size() != 1) {
      return Status::NotSupported(Where(c) + "acts on a whole db, and the standalone plan "
                                  "merges several sources: it would act on the others' keys");
    }
    for (size_t j = 0; j < state_->jobs.size(); ++j) jobs->push_back(static_cast<int>(j));
    return Status();
  }

  void Append(int job, const RoutedCommand& cmd) {
    EntryBatch& batch = router_->batch(static_cast<size_t>(job));
    for (const std::string& a : cmd.args) batch.bytes += a.size() + 16;
    batch.commands.push_back(cmd);
  }

  Status EmitTransaction() {
    std::vector<int> touched;
    for (const Pending& p : tx_) {
      for (int j : p.jobs) {
        if (std::find(touched.begin(), touched.end(), j) == touched.end()) touched.push_back(j);
      }
    }
    for (int job : touched) {
      // MULTI in the db of the first command, EXEC in that of the last, so
      // the writer adds no SELECT around them (always 0 on a cluster).
      int first_db = -1;
      int last_db = 0;
      for (const Pending& p : tx_) {
        if (std::find(p.jobs.begin(), p.jobs.end(), job) == p.jobs.end()) continue;
        if (first_db < 0) first_db = p.cmd.db;
        last_db = p.cmd.db;
      }
      Append(job, {std::max(first_db, 0), {"MULTI"}});
      for (const Pending& p : tx_) {
        if (std::find(p.jobs.begin(), p.jobs.end(), job) != p.jobs.end()) Append(job, p.cmd);
      }
      Append(job, {last_db, {"EXEC"}});
      SK_RETURN_IF_ERROR(router_->MaybeFlush(job));
    }
    tx_.clear();
    return Status();
  }

  SourceRouter* router_;
  PipelineState* state_;
  const PlanSource& source_;
  int file_index_ = -1;
  std::vector<Pending> tx_;
  const std::set<std::string> keys_split_ = {"del", "unlink", "mset"};
};

Status RunRdbSource(SourceRouter* router) {
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenSequentialReader(router->source().rdb_path,
                                                                router->state()->options->io));
  ByteReader in(file.get());
  RoutingVisitor visitor(router, &in, /*discard=*/false);
  rdb::RdbReadOptions options;
  options.layout = LayoutProducerOf(router->source().rdb_path);
  options.capture_values = true;
  options.value_piece_bytes = ValuePieceBytes(*router->state()->options);
  rdb::RdbReader reader(&in, options);
  SK_RETURN_IF_ERROR(reader.Read(&visitor).status());
  visitor.ReportBytes();
  return Status();
}

Status RunAofSource(SourceRouter* router) {
  const PlanSource& source = router->source();
  RoutingRdbPart part(router,
                      /*discard=*/source.flush_file >= 0 && !router->ReplaysWholeLog());
  CommandRouter commands(router);
  SK_RETURN_IF_ERROR(
      ReadAofFiles(source.files, router->state()->options->io, &part, &commands, true).status());
  return Status();
}

// A native snapshot: only the key blocks whose slot range meets the slots
// this process writes are read. K decoder threads (read, checksum,
// decompress, parse) work ahead of the router: decoder w takes blocks w,
// w + K, w + 2K... into its own slot and waits until the router has taken
// the previous one, and the router takes blocks strictly in block order, so
// a node's bytes do not depend on thread timing while reads and decoding of
// K blocks overlap routing. Memory: one decoded block per decoder.
Status RunNativeSource(SourceRouter* router) {
  PipelineState* state = router->state();
  SK_ASSIGN_OR_RETURN(OpenedNativeSource src,
                      OpenNativeSource(router->source().path, state->options->io));
  const native::NativeReader& reader = *src.reader;
  native::SlotSet wanted;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    if (state->job_of_slot[slot] >= 0) wanted.set(static_cast<size_t>(slot));
  }
  const std::vector<uint32_t> blocks = reader.KeyBlocksFor(wanted);
  RoutingVisitor visitor(router, /*in=*/nullptr, /*discard=*/false);
  SK_RETURN_IF_ERROR(visitor.OnHeader(reader.header().rdb));
  if (blocks.empty()) return Status();
  // Two decoders per source: one decodes while the other's block is read.
  // Measured (bench/RESULTS.md "Native recover's decoder threads", 3 native
  // sources of 1.39 GB onto 5 nodes, 2 cores, caches dropped, medians of 3):
  // with --threads 2, 1/2/3/4/8 decoders per source took 3.02/2.63/2.86/
  // 2.68/2.82 s and 1.28/1.29/1.47/1.58/1.90 CPU-s; with --threads 1,
  // 2.47/2.34/2.20/2.59/2.49 s and 0.85/1.08/1.12/1.21/1.40 CPU-s. More
  // decoders only cost CPU (the old rule, 2 x threads up to 8, gave 4).
  constexpr size_t kDecodersPerSource = 2;
  const size_t k_decoders = std::min<size_t>(blocks.size(), kDecodersPerSource);
  // A decoded block. Entry objects are recycled: the router takes each
  // entry's strings by swap (leaving the spare buffers of its batch), and
  // the vector goes back to a decoder, which decodes into the kept
  // capacity, so blocks cost no allocation per key after the first few.
  struct Decoded {
    std::vector<rdb::RdbEntry> entries;
    size_t used = 0;
  };
  struct Slot {
    Decoded decoded;
    Status status;
    bool ready = false;
  };
  std::vector<Slot> slots(k_decoders);
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  auto decode = [&](uint32_t number, native::NativeReader::BlockBuffers* buffers,
                    Decoded* out) -> Status {
    out->used = 0;
    SK_ASSIGN_OR_RETURN(std::string_view raw, reader.ReadBlockView(number, buffers));
    native::EntryDecoder entries(raw, reader.blocks()[number], reader.name());
    for (;;) {
      if (out->used == out->entries.size()) out->entries.emplace_back();
      SK_ASSIGN_OR_RETURN(bool more, entries.Next(&out->entries[out->used]));
      if (!more) return Status();
      ++out->used;
    }
  };
  auto decoder = [&](size_t w) {
    native::NativeReader::BlockBuffers buffers;
    Decoded local;
    for (size_t j = w; j < blocks.size(); j += k_decoders) {
      Status st = decode(blocks[j], &buffers, &local);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return stop || !slots[w].ready; });
      if (stop) return;
      std::swap(slots[w].decoded, local);
      slots[w].status = std::move(st);
      slots[w].ready = true;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 0; w < k_decoders; ++w) pool.emplace_back(decoder, w);
  Decoded mine;
  Status result;
  for (size_t j = 0; j < blocks.size() && result.ok(); ++j) {
    if (state->failed.load(std::memory_order_relaxed)) {
      result = Cancelled();
      break;
    }
    Slot& slot = slots[j % k_decoders];
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return slot.ready; });
      std::swap(mine, slot.decoded);
      result = std::move(slot.status);
      slot.status = Status();
      slot.ready = false;
      cv.notify_all();
    }
    for (size_t i = 0; i < mine.used && result.ok(); ++i) {
      result = visitor.OnEntryOwned(mine.entries[i]);
    }
    state->bytes_read.fetch_add(reader.StoredBytesOf({blocks[j]}), std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  return result;
}

}  // namespace

Status RunSourceWorker(PipelineState* state, int position) {
  SourceRouter router(state, position);
  const std::string& kind = router.source().kind;
  SK_RETURN_IF_ERROR(kind == "rdb"      ? RunRdbSource(&router)
                     : kind == "native" ? RunNativeSource(&router)
                                        : RunAofSource(&router));
  return router.FlushAll();
}

namespace {

// A SELECTDB record before an entry of another db than the last (only
// standalone outputs have entries outside db 0).
Status SelectDb(NodeJob* job, uint64_t db) {
  if (!job->writer || db == job->current_db) return Status();
  if (job->current_db == NodeJob::kNoDbYet) {  // a fragment's first entry
    job->first_db = job->current_db = db;
    return Status();
  }
  SK_RETURN_IF_ERROR(job->writer->WriteSelectDb(db));
  job->current_db = db;
  return Status();
}

// One entry to the node's RDB and/or native output.
Status WriteOne(NodeJob* job, const rdb::RdbEntry& e, rdb::Magic magic) {
  SK_RETURN_IF_ERROR(SelectDb(job, e.db));
  if (job->writer) SK_RETURN_IF_ERROR(job->writer->WriteEntry(e, magic));
  if (job->native_writer) {
    if (magic != rdb::Magic::kRedis) {
      return Status::NotSupported("key \"" + e.key + "\" comes from a Valkey source; native "
                                  "output keeps Redis value encodings only (use --format rdb)");
    }
    SK_RETURN_IF_ERROR(job->native_writer->AddEntry(e));
  }
  return Status();
}

// The counts of a key written whole, or of its last piece.
void NoteKeyWritten(NodeJob* job, const rdb::RdbEntry& e) {
  ++job->keys_written;
  if (e.expire_ms) job->expiry.Add(*e.expire_ms);
  if (job->count_standard_policy && formats::StandardPolicyDiffers(e.key)) {
    ++job->standard_policy_differs;
  }
}

Status WriteBatch(NodeJob* job, const EntryBatch& batch) {
  for (const rdb::RdbEntry& e : batch.live()) {
    if (e.part == rdb::ValuePart::kWhole) {
      SK_RETURN_IF_ERROR(WriteOne(job, e, batch.magic));
      NoteKeyWritten(job, e);
      continue;
    }
    // A piece of a large value (RDB output only: see ValuePieceBytes).
    if (!job->writer || job->native_writer) {
      return Status::InvalidArgument("internal: key \"" + e.key.substr(0, 128) +
                                     "\" arrived in pieces for a native output");
    }
    if (e.part == rdb::ValuePart::kFirst) {
      SK_RETURN_IF_ERROR(SelectDb(job, e.db));
      SK_RETURN_IF_ERROR(job->writer->WriteEntryStart(e, batch.magic));
    } else {
      SK_RETURN_IF_ERROR(job->writer->AppendValuePiece(e.value));
    }
    if (e.part == rdb::ValuePart::kLast) {
      NoteKeyWritten(job, e);
      ++job->values_in_pieces;
    }
  }
  for (const RoutedCommand& c : batch.commands) {
    SK_RETURN_IF_ERROR(job->incr_writer->Write(c.db, c.args));
    ++job->commands_written;
  }
  return Status();
}

// Held-back non-owner copies: written only when no owner copy (and no
// earlier non-owner copy) of the key was written.
Status WriteDeferred(NodeJob* job) {
  for (const auto& per_source : job->deferred) {
    for (const EntryBatch& batch : per_source) {
      for (const rdb::RdbEntry& e : batch.live()) {
        if (!job->OwnerKeys(e.db).insert(e.key).second) {
          ++job->duplicates_dropped;
          continue;
        }
        SK_RETURN_IF_ERROR(WriteOne(job, e, batch.magic));
        NoteKeyWritten(job, e);
        ++job->non_owner_kept;
      }
    }
  }
  return Status();
}

}  // namespace

// Writes every source's batches in source order (see NodeJob::queues): the
// first unfinished source's straight to the output, later ones' parked in
// spill segments, replayed when their source comes first.
Status DrainQueues(PipelineState* state, NodeJob* job) {
  const size_t n = job->queues.size();
  std::vector<std::unique_ptr<SpillSegment>> spill(n);
  EntryBatch batch;
  size_t head = 0;
  while (head < n) {
    const uint64_t seen = job->signal.events();
    PopResult r = job->queues[head]->TryPop(&batch);
    if (r == PopResult::kItem) {
      Status s = WriteBatch(job, batch);
      state->pools[head]->Put(std::move(batch));
      SK_RETURN_IF_ERROR(s);
      continue;
    }
    if (r == PopResult::kDone) {
      if (state->failed.load()) return Cancelled();
      if (++head < n && spill[head] != nullptr) {
        job->spilled_bytes += spill[head]->bytes();
        SK_RETURN_IF_ERROR(
            spill[head]->Replay([&](const EntryBatch& b) { return WriteBatch(job, b); }));
        spill[head].reset();
      }
      continue;
    }
    bool parked = false;
    for (size_t p = head + 1; p < n && !parked; ++p) {
      if (job->queues[p]->TryPop(&batch) != PopResult::kItem) continue;
      if (spill[p] == nullptr) {
        SK_ASSIGN_OR_RETURN(spill[p],
                            SpillSegment::Create(job->targets[0].output->staging_dir() +
                                                     "/.spill-" + std::to_string(p),
                                                 state->options->io));
      }
      Status s = spill[p]->Append(batch);
      state->pools[p]->Put(std::move(batch));
      SK_RETURN_IF_ERROR(s);
      parked = true;
    }
    if (!parked) job->signal.WaitChange(seen);
  }
  return Status();
}

void RunNodeWriter(PipelineState* state, NodeJob* job) {
  const auto start = std::chrono::steady_clock::now();
  Status s = DrainQueues(state, job);
  if (s.ok() && state->failed.load()) s = Cancelled();
  if (s.ok()) s = WriteDeferred(job);
  if (s.ok() && job->writer) s = job->writer->Finish();
  if (s.ok() && job->rdb_file) s = job->rdb_file->Publish();
  if (s.ok() && job->native_writer) s = job->native_writer->Finish();
  if (s.ok() && job->native_file) s = job->native_file->Publish();
  if (s.ok() && job->incr_writer) s = job->incr_writer->Finish();
  if (s.ok() && job->incr_file) s = job->incr_file->Publish();
  job->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    job->status = s;
    state->Fail(s.WithPrefix("writing " + job->targets[0].output->staging_dir()));
  }
}

}  // namespace shardkit::loader
