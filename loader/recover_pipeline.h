// Internal to Recover (loader/recover.cc): the state shared by the source
// workers and the node writers. See recover.h for the design.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "formats/aof/aof_writer.h"
#include "formats/native/native_writer.h"
#include "formats/rdb/rdb_writer.h"
#include "loader/batch_queue.h"
#include "loader/entry_batch.h"
#include "loader/expiry_histogram.h"
#include "loader/fan_out_file.h"
#include "loader/node_output.h"
#include "loader/recover.h"

namespace shardkit::loader {

// A node directory a job writes: node-K for `node`.
struct NodeTarget {
  const PlannedNode* node = nullptr;
  std::unique_ptr<NodeOutput> output;
};

// One job per master whose data is written in this run. Its replicas hold
// the same data, so the job writes every requested directory of the group
// at once (the master's and/or its replicas'): each data file is a
// FanOutFile over one copy per target, byte-identical by construction.
struct NodeJob {
  const PlannedNode* node = nullptr;  // the master: its slots and keys are written
  std::vector<NodeTarget> targets;    // not empty; targets[0] holds the spill segments
  std::unique_ptr<FanOutFile> rdb_file;
  std::unique_ptr<formats::rdb::RdbWriter> writer;
  // Native output (options.output_format kNative/kBoth): node-K/dump.skn.
  // With kNative, rdb_file and writer are null.
  std::unique_ptr<FanOutFile> native_file;
  std::unique_ptr<formats::native::NativeWriter> native_writer;
  // AOF layout only (plan->UsesAof()): the incr file and its writer.
  std::unique_ptr<FanOutFile> incr_file;
  std::unique_ptr<formats::aof::AofWriter> incr_writer;
  uint64_t commands_written = 0;
  // Log commands for this node's slots from a source that did not own them
  // (dropped; counted per node so that a fragment carries its node's count).
  std::atomic<uint64_t> commands_non_owner{0};
  // One queue per source being read, in source order. The node's output
  // holds the sources' entries in that order, so its bytes do not depend on
  // thread timing (N --node-index processes write what one run writes):
  // the writer writes the first unfinished source's batches directly and
  // parks later sources' batches in spill segments (loader/spill_segment.h)
  // so that their readers never wait for it.
  std::vector<std::unique_ptr<BatchQueue<EntryBatch>>> queues;
  QueueSignal signal;  // attached to every queue above
  // Per position: does the plan say this source holds keys (or log
  // commands) for this node? A queue of a source that does not starts
  // closed, so the writer never waits for (or parks behind) that source.
  std::vector<bool> fed_by;
  uint64_t spilled_bytes = 0;  // writer thread only
  // Assembled from fragments: what was read of them (the progress reporter reads it).
  std::atomic<uint64_t> fragment_bytes_read{0};
  uint64_t values_in_pieces = 0;  // writer thread only
  // Keys whose slot a non-owner source also holds: the owner's keys in those
  // slots, and the non-owner copies held back (per source) until every
  // source is read.
  // A key's identity is its db and name (standalone outputs keep every db;
  // a cluster output is db 0 only, so only owner_keys is used there).
  std::mutex contested_mu;
  std::unordered_set<std::string> owner_keys;  // db 0
  std::map<uint64_t, std::unordered_set<std::string>> owner_keys_other_dbs;
  std::unordered_set<std::string>& OwnerKeys(uint64_t db) {
    return db == 0 ? owner_keys : owner_keys_other_dbs[db];
  }
  std::vector<std::vector<EntryBatch>> deferred;  // per source position
  uint64_t deferred_bytes = 0;
  // Written by the node's writer thread only (keys_written is also read by
  // the progress reporter).
  std::atomic<uint64_t> keys_written{0};
  // When the written keys expire (writer thread only; anchored at the plan's
  // recovery time when the job is made).
  ExpiryHistogram expiry;
  // The db of the RDB output's last SELECTDB (writer thread only): a
  // standalone output gets a SELECTDB record whenever an entry's db differs.
  // A fragment (SplitSource) starts at kNoDbYet: its first entry's db is
  // adopted without a SELECTDB and kept in first_db (assembly writes one
  // when it differs from the db before).
  static constexpr uint64_t kNoDbYet = ~uint64_t{0};
  uint64_t current_db = 0;
  uint64_t first_db = kNoDbYet;
  uint64_t duplicates_dropped = 0;
  uint64_t non_owner_kept = 0;
  // Written keys whose hash tag under Redis Enterprise's "standard" policy
  // differs from open-source Redis's (formats::StandardPolicyDiffers),
  // counted only when some source is Redis Enterprise's (count_standard_policy):
  // only its databases had that policy.
  bool count_standard_policy = false;
  uint64_t standard_policy_differs = 0;
  Status status;
  double seconds = 0;
};

struct PipelineState {
  const RecoveryPlan* plan = nullptr;
  const RecoverOptions* options = nullptr;
  std::vector<std::unique_ptr<NodeJob>> jobs;
  std::vector<int> sources;                        // plan indices read, in order
  int output_version = 0;                          // RDB version of the outputs
  std::vector<std::unique_ptr<BatchPool>> pools;   // per source position
  // FUNCTION2 libraries met while reading each RDB part, per source
  // position (written by that source's worker only; sized by RunPipeline).
  std::vector<std::vector<std::string>> functions_seen;
  std::array<int16_t, kSlotCount> job_of_slot{};  // index into jobs; -1: not written here
  std::array<int16_t, kSlotCount> owner_source{};  // plan source whose copy wins; -1: none
  SlotSet contested;                               // slots a non-owner source holds
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> keys_read{0};
  std::atomic<uint64_t> expired_dropped{0};
  std::atomic<uint64_t> other_db_dropped{0};
  std::atomic<uint64_t> other_db_moved{0};
  std::atomic<uint64_t> commands_read{0};
  std::atomic<uint64_t> commands_flushed{0};     // before a source's last FLUSHALL/FLUSHDB
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  Status first_error;

  void Fail(Status s);
  void CancelAll();
};

// A new job for `master` (its slots map to it in state->job_of_slot).
NodeJob* AddJob(const RecoveryPlan& plan, const PlannedNode& master, PipelineState* state);
// Does some source of the plan lie in a Redis Enterprise layout (whose
// "standard" hashing policy recover counts)?
bool HasEnterpriseSources(const RecoveryPlan& plan);

// recover.cc's steps that the two-phase recovery (loader/fragments.h:
// recover_split.cc, recover_assemble.cc) shares.
Status CheckSourceUnchanged(const PlanSource& s);
void AssignOwners(const RecoveryPlan& plan, PipelineState* state);
// The RDB version of the outputs when the caller asks for none: the newest
// of `sources` (every source of the plan, so that each process agrees).
int OutputVersion(const RecoveryPlan& plan, const std::vector<int>& sources);
// The FUNCTION2 libraries of one source, in file order.
Result<std::vector<std::string>> SourceFunctions(const PlanSource& s, const storage::IoOptions& io);
// The libraries of an RDB read up to its keyspace (a source, or a
// fragment's functions.rdb); `path` names it (and its layout).
Result<std::vector<std::string>> RdbFunctions(ChunkSource* file, const std::string& path);
// Every source's libraries, once per name (the first source's copy wins;
// a differing later copy is a warning), sorted by name.
std::vector<std::string> MergeFunctions(const std::vector<std::vector<std::string>>& per_source,
                                        std::vector<std::string>* warnings);
// Runs the source workers over state->sources and `node_writer` per job.
void RunPipeline(PipelineState* state, void (*node_writer)(PipelineState*, NodeJob*));
// Writes every source's batches in source order (see NodeJob::queues).
Status DrainQueues(PipelineState* state, NodeJob* job);
// Assembles `job`'s data files from the fragments (recover_assemble.cc):
// the RDB (or AOF base) and incr file are written and published; the job's
// counts are set as the one-process run sets them.
struct FragmentSet;
Status AssembleJob(PipelineState* state, const FragmentSet& set, NodeJob* job);
// Every source's functions.rdb, merged as MergeFunctions does.
Result<std::vector<std::string>> FragmentFunctions(const FragmentSet& set,
                                                   std::vector<std::string>* warnings);

// Reads state->sources[position] in raw mode and routes its entries to the
// jobs' queues for that position.
Status RunSourceWorker(PipelineState* state, int position);
// Drains `job`'s queue into its RDB writer, then writes held-back keys.
void RunNodeWriter(PipelineState* state, NodeJob* job);

// Memory for queued batches across all queues; sets the queue capacity.
inline constexpr uint64_t kQueueBudgetBytes = uint64_t{256} << 20;
// Upper bound for held-back non-owner copies per node.
inline constexpr uint64_t kMaxDeferredBytes = uint64_t{256} << 20;

}  // namespace shardkit::loader
