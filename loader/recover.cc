#include "loader/recover.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <tuple>

#include "formats/rdb/dataset_digest.h"
#include "formats/rdb/rdb_reader.h"
#include "loader/enterprise_layout.h"
#include "loader/fragments.h"
#include "loader/nodes_conf.h"
#include "loader/native_source.h"
#include "loader/recover_pipeline.h"
#include "loader/replica_sync.h"
#include "formats/aof/aof_manifest.h"
#include "storage/file_reader.h"
#include "storage/small_file.h"
#include "storage/io_options.h"

namespace shardkit::loader {

namespace rdb = formats::rdb;

namespace {

// Reads a source up to its first key or SELECTDB, collecting FUNCTION2
// libraries (they precede the keyspace).
class FunctionsVisitor final : public rdb::RdbVisitor {
 public:
  explicit FunctionsVisitor(std::vector<std::string>* out) : out_(out) {}
  Status OnFunction(std::string_view code) override {
    out_->emplace_back(code);
    return Status();
  }
  Status OnSelectDb(uint64_t) override { return Stop(); }
  Status OnEntry(const rdb::RdbEntry&) override { return Stop(); }
  bool stopped() const { return stopped_; }

 private:
  Status Stop() {
    stopped_ = true;
    return Status::Corruption("stop: keyspace reached");
  }
  std::vector<std::string>* out_;
  bool stopped_ = false;
};

// "#!lua name=mylib ..." -> "mylib" (the whole first line when unparsable).
std::string LibraryName(const std::string& code) {
  std::string first = code.substr(0, code.find('\n'));
  size_t at = first.find("name=");
  if (at == std::string::npos) return first;
  size_t end = first.find_first_of(" \t\r", at);
  return first.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

Result<std::vector<std::string>> CollectFunctions(const RecoveryPlan& plan,
                                                  const storage::IoOptions& io,
                                                  std::vector<std::string>* warnings) {
  std::vector<std::vector<std::string>> per_source;
  for (const PlanSource& s : plan.sources) {
    SK_ASSIGN_OR_RETURN(per_source.emplace_back(), SourceFunctions(s, io));
  }
  return MergeFunctions(per_source, warnings);
}

}  // namespace

Result<std::vector<std::string>> RdbFunctions(ChunkSource* file, const std::string& path) {
  std::vector<std::string> libs;
  FunctionsVisitor visitor(&libs);
  rdb::RdbReadOptions options;
  options.layout = LayoutProducerOf(path);
  auto read = rdb::ReadRdb(file, options, &visitor);
  if (!read.ok() && !visitor.stopped()) return read.status();
  return libs;
}

Result<std::vector<std::string>> SourceFunctions(const PlanSource& s,
                                                 const storage::IoOptions& io) {
  if (s.kind == "native") return NativeFunctions(s.path, io);
  if (s.rdb_path.empty()) return std::vector<std::string>();
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenSequentialReader(s.rdb_path, io));
  return RdbFunctions(file.get(), s.rdb_path);
}

std::vector<std::string> MergeFunctions(const std::vector<std::vector<std::string>>& per_source,
                                        std::vector<std::string>* warnings) {
  std::map<std::string, std::string> by_name;
  for (const std::vector<std::string>& libs : per_source) {
    for (const std::string& code : libs) {
      std::string name = LibraryName(code);
      auto [it, inserted] = by_name.emplace(name, code);
      if (!inserted && it->second != code) {
        warnings->push_back("function library " + name + " differs between sources; kept the "
                            "copy from the first source that has it");
      }
    }
  }
  std::vector<std::string> out;
  for (auto& [name, code] : by_name) out.push_back(std::move(code));
  return out;
}

Status CheckSourceUnchanged(const PlanSource& s) {
  for (const SourceFile& f : s.files) {
    SK_ASSIGN_OR_RETURN(storage::FileStat st, storage::StatFile(f.path));
    if (st.bytes != f.bytes || st.mtime_ms != f.mtime_ms) {
      return Status::InvalidArgument(f.path + " changed since the plan was made (size " +
                                     std::to_string(st.bytes) + ", planned " +
                                     std::to_string(f.bytes) + "); make a new plan");
    }
  }
  return Status();
}

// Decides, per slot, whose copy of a key wins: the source that owns the slot;
// else the first source holding keys there. Slots where another source also
// holds keys are contested.
void AssignOwners(const RecoveryPlan& plan, PipelineState* state) {
  state->owner_source.fill(-1);
  const auto& sources = plan.sources;
  for (size_t i = 0; i < sources.size(); ++i) {
    for (const SlotRange& r : sources[i].owned_slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) state->owner_source[s] = static_cast<int16_t>(i);
    }
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    for (const SlotRange& r : sources[i].present_slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) {
        if (state->owner_source[s] < 0) state->owner_source[s] = static_cast<int16_t>(i);
        if (state->owner_source[s] != static_cast<int16_t>(i)) {
          state->contested.Add(static_cast<uint16_t>(s));
        }
      }
    }
  }
  if (!plan.standalone()) return;
  // A standalone target: the one master holds every db, but present_slots
  // count db-0 keys only. A slot nobody claimed goes to the first standalone
  // source (keys of other dbs are there); with several standalone sources
  // (merged databases) every slot is contested, so that the owner-wins rule
  // applies key by key, in every db.
  int first_standalone = -1;
  int standalone_sources = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].owned_slots.empty()) continue;
    if (first_standalone < 0) first_standalone = static_cast<int>(i);
    ++standalone_sources;
  }
  for (int s = 0; s < kSlotCount; ++s) {
    if (state->owner_source[s] < 0) {
      state->owner_source[s] = static_cast<int16_t>(std::max(first_standalone, 0));
    }
    if (standalone_sources > 1) state->contested.Add(static_cast<uint16_t>(s));
  }
}

NodeJob* AddJob(const RecoveryPlan& plan, const PlannedNode& master, PipelineState* state) {
  state->jobs.push_back(std::make_unique<NodeJob>());
  NodeJob* job = state->jobs.back().get();
  job->node = &master;
  job->expiry = ExpiryHistogram(plan.created_ms);
  job->count_standard_policy = HasEnterpriseSources(plan);
  for (const SlotRange& r : master.slots.Ranges()) {
    for (uint32_t s = r.first; s <= r.last; ++s) {
      state->job_of_slot[s] = static_cast<int16_t>(state->jobs.size() - 1);
    }
  }
  return job;
}

bool HasEnterpriseSources(const RecoveryPlan& plan) {
  for (const PlanSource& s : plan.sources) {
    if (InEnterpriseLayout(s.path)) return true;
  }
  return false;
}

int OutputVersion(const RecoveryPlan& plan, const std::vector<int>& sources) {
  int v = 9;
  for (int i : sources) {
    int sv = plan.sources[i].rdb_version;
    if (sv >= 80) sv = 11;  // Valkey 9 files: the newest Redis format Valkey also reads
    v = std::max(v, sv);
  }
  return std::min(v, 14);
}

namespace {

// "host:port[@bus]" -> {host, port}.
std::pair<std::string, int> HostPort(const std::string& endpoint) {
  const std::string hostport = endpoint.substr(0, endpoint.find('@'));
  const size_t colon = hostport.rfind(':');
  return {hostport.substr(0, colon), std::atoi(hostport.c_str() + colon + 1)};
}

bool IsIpAddress(const std::string& host) {
  in6_addr buf{};
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

// A standalone replica's replica.conf: the directive that makes it a
// replica of its master, read at start-up (so that it loads its dump.rdb as
// a cached master and resumes with a partial resync).
std::string ReplicaConfFor(const RecoveryPlan& plan, const PlannedNode& replica) {
  const PlannedNode& master = plan.slots.DataNode(replica.index);
  const auto [host, port] = HostPort(master.endpoint);
  return "# shardkit recover, plan " + plan.fingerprint + ": node " +
         std::to_string(replica.index) + " is a replica of node " +
         std::to_string(master.index) + ".\n"
         "# Start: redis-server --include <this file> (or `include <this file>` in redis.conf),\n"
         "# in this directory, so that dump.rdb is loaded before the link comes up.\n"
         "replicaof " + host + " " + std::to_string(port) + "\n";
}

// Node `index`'s view of the new cluster: every node (replicas included)
// with its address; masters own their slots, a replica is `slave <master
// id>` and carries its master's config epoch (as Redis writes it).
std::string NodesConfFor(const RecoveryPlan& plan, int index) {
  NodesConf conf;
  for (const PlannedNode& n : plan.slots.nodes) {
    ClusterNode c;
    c.id = n.node_id;
    const std::string& ep = n.endpoint;
    const size_t at = ep.find('@');
    std::tie(c.ip, c.port) = HostPort(ep);
    if (!c.ip.empty() && c.ip.front() == '[') c.ip = c.ip.substr(1, c.ip.size() - 2);
    if (!IsIpAddress(c.ip)) {
      // A host name: Redis 7.0 keeps an address in the ip field (it connects
      // to it and gossips it), so the name goes to the hostname field and the
      // address stays empty until the node is met at its resolved address
      // (`shardkit join`).
      c.hostname = c.ip;
      c.ip.clear();
    }
    c.cluster_port = at == std::string::npos ? c.port + 10000 : std::atoi(ep.c_str() + at + 1);
    const std::string role = n.is_replica() ? "slave" : "master";
    c.flags = n.index == index ? std::vector<std::string>{"myself", role}
                               : std::vector<std::string>{role};
    const PlannedNode& master = plan.slots.DataNode(n.index);
    if (n.is_replica()) c.master_id = master.node_id;
    c.config_epoch = static_cast<uint64_t>(master.index) + 1;
    conf.current_epoch = std::max(conf.current_epoch, c.config_epoch);
    c.connected = true;
    c.slots = n.slots;
    conf.nodes.push_back(std::move(c));
  }
  return FormatNodesConf(conf);
}

// A job's data file `name`, one copy per target directory.
Result<std::unique_ptr<FanOutFile>> CreateFanOut(NodeJob* job, const std::string& name) {
  std::vector<std::unique_ptr<NodeOutput::File>> files;
  for (NodeTarget& t : job->targets) {
    SK_ASSIGN_OR_RETURN(auto f, t.output->CreateFile(name));
    files.push_back(std::move(f));
  }
  return std::make_unique<FanOutFile>(std::move(files));
}

std::string LayoutName(const RecoveryPlan& plan, const RecoverOptions& options) {
  return options.output_format == OutputFormat::kNative ? "dump.skn"
         : plan.UsesAof()                                ? "appendonlydir"
                                                         : "dump.rdb";
}

// The report line of node `n` (its layout and, for a replica, its resync
// forecast); the caller fills in what was written.
NodeReport ReportFor(const RecoveryPlan& plan, const RecoverOptions& options,
                     const PlannedNode& n) {
  NodeReport r;
  r.index = n.index;
  r.node_id = n.node_id;
  r.master_index = n.master_index;
  r.layout = LayoutName(plan, options);
  if (n.is_replica()) {
    ResyncForecast f = ForecastResync(r.layout);
    r.resync = f.mode;
    r.resync_reason = f.reason;
  }
  r.slot_count = n.slots.count();
  if (plan.standalone() && n.is_replica()) r.replicaof = plan.slots.DataNode(n.index).endpoint;
  return r;
}

// The multi-part AOF layout of a node (plan->UsesAof()).
constexpr const char* kAofDir = "appendonlydir";
constexpr const char* kAofPrefix = "appendonly.aof";

std::string AofPath(const std::string& name) { return std::string(kAofDir) + "/" + name; }

// The node's native snapshot: header and functions now, entries as they come.
Status StartNativeOutput(const RecoveryPlan& plan, int native_version,
                         const std::vector<std::string>& functions, NodeJob* job) {
  SK_ASSIGN_OR_RETURN(job->native_file, CreateFanOut(job, "dump.skn"));
  formats::native::FileHeader header;
  header.rdb.magic = rdb::Magic::kRedis;
  header.rdb.version = native_version;
  header.aux = {{"redis-bits", "64"},
                {"ctime", std::to_string(plan.created_ms / 1000)},
                {"shardkit-plan", plan.fingerprint},
                {"shardkit-node", std::to_string(job->node->index)}};
  SK_ASSIGN_OR_RETURN(job->native_writer,
                      formats::native::NativeWriter::Create(job->native_file.get(), header,
                                                            formats::native::NativeWriterOptions()));
  for (const std::string& f : functions) SK_RETURN_IF_ERROR(job->native_writer->AddFunction(f));
  return Status();
}

// The dataset digest of a published node (RecoverOptions::digest), read
// back from its RDB in `dir`, or why there is none.
Status NodeDigest(const NodeJob& job, const std::string& dir, const RecoverOptions& options,
                  std::string* digest, std::string* not_computed) {
  if (!job.rdb_file) {
    *not_computed = "native output only: no RDB for redis-server";
    return Status();
  }
  if (job.commands_written > 0) {
    *not_computed = "the node's appendonlydir has log commands, which change its data";
    return Status();
  }
  const std::string path =
      dir + "/" +
      (job.incr_writer ? AofPath(formats::aof::BaseFileName(kAofPrefix, 1, true)) : "dump.rdb");
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSource> source,
                      storage::OpenSequentialReader(path, options.io));
  Result<std::string> hex = rdb::ComputeRdbDatasetDigest(source.get(), rdb::RdbReadOptions{},
                                                         rdb::DatasetDigestOptions{});
  if (hex.status().IsNotSupported()) {
    *not_computed = hex.status().message();
    return Status();
  }
  if (!hex.ok()) return hex.status();
  *digest = *hex;
  return Status();
}

Status StartJob(const RecoveryPlan& plan, const RecoverOptions& options, int version,
                int native_version, const std::vector<std::string>& functions, NodeJob* job) {
  // Assembled from fragments: the data files' CRC-64s are joined from the
  // fragments' (Crc64Combine), not computed again over every byte.
  const bool caller_crc = !options.from_fragments.empty();
  // The data files' contents depend only on the master (job->node), never
  // on which directories are written: a replica gets its master's bytes.
  const int index = job->node->index;
  const bool aof_layout = plan.UsesAof();
  for (NodeTarget& t : job->targets) {
    SK_ASSIGN_OR_RETURN(t.output, NodeOutput::Open(options.out_dir, t.node->index, options.io));
  }
  if (options.output_format != OutputFormat::kRdb) {
    SK_RETURN_IF_ERROR(StartNativeOutput(plan, native_version, functions, job));
  }
  bool all_endpoints = std::all_of(plan.slots.nodes.begin(), plan.slots.nodes.end(),
                                   [](const PlannedNode& n) { return !n.endpoint.empty(); });
  if (options.output_format == OutputFormat::kNative) return Status();
  if (aof_layout) {
    for (NodeTarget& t : job->targets) SK_RETURN_IF_ERROR(t.output->MakeSubdir(kAofDir));
    SK_ASSIGN_OR_RETURN(job->rdb_file, CreateFanOut(job, AofPath(formats::aof::BaseFileName(
                                                             kAofPrefix, 1, true))));
    SK_ASSIGN_OR_RETURN(job->incr_file,
                        CreateFanOut(job, AofPath(formats::aof::IncrFileName(kAofPrefix, 1))));
    if (caller_crc) job->incr_file->UseCallerCrc();
    job->incr_writer = std::make_unique<formats::aof::AofWriter>(job->incr_file.get());
  } else {
    SK_ASSIGN_OR_RETURN(job->rdb_file, CreateFanOut(job, "dump.rdb"));
  }
  if (caller_crc) job->rdb_file->UseCallerCrc();
  rdb::RdbWriterOptions wopt;
  wopt.version = version;
  SK_ASSIGN_OR_RETURN(job->writer, rdb::RdbWriter::Create(job->rdb_file.get(), wopt));
  rdb::RdbWriter& w = *job->writer;
  SK_RETURN_IF_ERROR(w.WriteAux("redis-bits", "64"));
  SK_RETURN_IF_ERROR(w.WriteAux("ctime", std::to_string(plan.created_ms / 1000)));
  if (aof_layout) SK_RETURN_IF_ERROR(w.WriteAux("aof-base", "1"));
  SK_RETURN_IF_ERROR(w.WriteAux("shardkit-plan", plan.fingerprint));
  SK_RETURN_IF_ERROR(w.WriteAux("shardkit-node", std::to_string(index)));
  if (plan.slots.HasReplicas()) {
    // Read back by redis-server at start-up so that the replicas resume with
    // a partial resync (loader/replica_sync.h).
    SK_RETURN_IF_ERROR(w.WriteAux("repl-stream-db", "0"));
    SK_RETURN_IF_ERROR(w.WriteAux("repl-id", ReplicationIdFor(plan, index)));
    SK_RETURN_IF_ERROR(w.WriteAux("repl-offset", std::to_string(kRecoveredReplOffset)));
  }
  if (version >= 10) {
    for (const std::string& f : functions) SK_RETURN_IF_ERROR(w.WriteFunction(f));
  }
  SK_RETURN_IF_ERROR(w.WriteSelectDb(0));
  SK_RETURN_IF_ERROR(w.WriteResizeDb(job->node->keys, 0));
  job->current_db = 0;
  if (plan.standalone()) {
    // No nodes.conf: a replica is told its master by replica.conf.
    const bool master_known = !job->node->endpoint.empty();
    for (NodeTarget& t : job->targets) {
      if (t.node->is_replica() && master_known) {
        SK_RETURN_IF_ERROR(
            t.output->WriteSmallFile(kReplicaConfName, ReplicaConfFor(plan, *t.node)));
      }
    }
  } else if (all_endpoints) {
    for (NodeTarget& t : job->targets) {
      SK_RETURN_IF_ERROR(
          t.output->WriteSmallFile("nodes.conf", NodesConfFor(plan, t.node->index)));
    }
  }
  return Status();
}

// The manifest is written after the base and incr files are published, as
// Redis does: a manifest never names a file that is not complete.
Status WriteAofManifest(NodeJob* job) {
  formats::aof::AofManifest m;
  formats::aof::AofFileInfo base;
  base.name = formats::aof::BaseFileName(kAofPrefix, 1, true);
  base.seq = 1;
  base.type = formats::aof::AofFileType::kBase;
  m.base = base;
  formats::aof::AofFileInfo incr;
  incr.name = formats::aof::IncrFileName(kAofPrefix, 1);
  incr.seq = 1;
  incr.type = formats::aof::AofFileType::kIncr;
  m.incr.push_back(incr);
  for (NodeTarget& t : job->targets) {
    SK_RETURN_IF_ERROR(t.output->WriteSmallFile(
        AofPath(formats::aof::ManifestFileName(kAofPrefix)), formats::aof::FormatAofManifest(m)));
  }
  return Status();
}

}  // namespace

// Runs the source workers and node writers; reports progress meanwhile.
void RunPipeline(PipelineState* state, void (*node_writer)(PipelineState*, NodeJob*)) {
  const RecoverOptions& opt = *state->options;
  const std::vector<int>& sources = state->sources;
  const int n = std::max(1, std::min<int>(opt.threads, static_cast<int>(sources.size())));
  // Queue capacity from the memory budget: at most `n` sources are being
  // read at once, each filling one queue per node.
  const uint64_t per_queue = kQueueBudgetBytes / (static_cast<uint64_t>(n) * state->jobs.size() *
                                                  std::max<size_t>(opt.batch_bytes, 1));
  const size_t capacity = std::clamp<uint64_t>(per_queue, 2, opt.queue_batches);
  state->functions_seen.assign(sources.size(), {});
  // Enough recycled batches for every queue of a source to refill at once.
  for (size_t i = 0; i < sources.size(); ++i) {
    state->pools.push_back(std::make_unique<BatchPool>(state->jobs.size() * (capacity + 1)));
  }
  for (auto& job : state->jobs) {
    const std::vector<int> feeding = state->plan->SourcesForNode(job->node->index);
    for (size_t i = 0; i < sources.size(); ++i) {
      const bool fed =
          std::find(feeding.begin(), feeding.end(), sources[i]) != feeding.end();
      job->fed_by.push_back(fed);
      job->queues.push_back(std::make_unique<BatchQueue<EntryBatch>>(capacity));
      job->queues.back()->SetProducers(fed ? 1 : 0);
      job->queues.back()->AttachSignal(&job->signal);
    }
    job->deferred.resize(sources.size());
  }
  std::vector<std::thread> writers;
  for (auto& job : state->jobs) writers.emplace_back(node_writer, state, job.get());
  std::atomic<size_t> next{0};
  std::atomic<int> running{0};
  std::mutex done_mu;
  std::condition_variable done_cv;
  auto worker = [&] {
    for (size_t i = next++; i < sources.size(); i = next++) {
      Status s = state->failed.load() ? Status() : RunSourceWorker(state, static_cast<int>(i));
      if (!s.ok()) state->Fail(s);
      for (auto& job : state->jobs) {
        if (job->fed_by[i]) job->queues[i]->ProducerDone();
      }
    }
    std::lock_guard<std::mutex> lock(done_mu);
    --running;
    done_cv.notify_all();
  };
  running = n;
  std::vector<std::thread> workers;
  for (int t = 0; t < n; ++t) workers.emplace_back(worker);
  uint64_t total = 0;
  for (int i : sources) {
    for (const SourceFile& f : state->plan->sources[i].files) total += f.bytes;
  }
  {
    std::unique_lock<std::mutex> lock(done_mu);
    while (running > 0) {
      done_cv.wait_for(lock, std::chrono::milliseconds(250));
      if (opt.progress != nullptr) {
        uint64_t written = 0;
        for (auto& job : state->jobs) written += job->keys_written;
        opt.progress->OnProgress(state->bytes_read.load(), total, written);
      }
    }
  }
  for (auto& t : workers) t.join();
  for (auto& t : writers) t.join();
}

namespace {

// Phase 2 of a split recovery: each job assembled from the fragments, one
// thread per job; the source counts are those phase 1 took of `sources`.
void RunAssembly(PipelineState* state, const FragmentSet& set, RecoverReport* report) {
  std::atomic<int> running{static_cast<int>(state->jobs.size())};
  std::vector<std::thread> threads;
  for (auto& job : state->jobs) {
    threads.emplace_back([state, &set, &running, j = job.get()] {
      Status s = AssembleJob(state, set, j);
      if (!s.ok()) {
        j->status = s;
        state->Fail(s);
      }
      --running;
    });
  }
  // Progress over the fragment bytes these nodes copy.
  uint64_t total = 0;
  for (auto& job : state->jobs) {
    const std::string k = std::to_string(job->node->index);
    for (const SourceFragments& s : set.sources) {
      for (const char* suffix : {".rdb", ".incr"}) {
        auto it = s.files.find("node-" + k + suffix);
        if (it != s.files.end()) total += it->second.bytes;
      }
    }
  }
  while (running.load() > 0 && state->options->progress != nullptr) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    uint64_t read = 0, written = 0;
    for (auto& job : state->jobs) {
      read += job->fragment_bytes_read.load(std::memory_order_relaxed);
      written += job->keys_written.load(std::memory_order_relaxed);
    }
    state->options->progress->OnProgress(read, total, written);
  }
  for (auto& t : threads) t.join();
  for (int i : state->sources) {
    const FragmentManifest& m = set.sources[static_cast<size_t>(i)].manifest;
    state->bytes_read += m.bytes_read;
    state->keys_read += m.keys_read;
    state->expired_dropped += m.expired_dropped;
    state->other_db_dropped += m.other_db_dropped;
    state->other_db_moved += m.other_db_moved;
    state->commands_read += m.commands_read;
    state->commands_flushed += m.commands_flushed;
  }
  for (auto& job : state->jobs) report->fragment_bytes_read += job->fragment_bytes_read;
}

}  // namespace

Result<RecoverReport> Recover(const RecoveryPlan& plan, const RecoverOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RecoverReport report;
  report.io_backend = std::string(storage::IoBackendName(storage::ResolveIoBackend(options.io.backend)));
  const int node_count = static_cast<int>(plan.slots.nodes.size());
  if (options.node_index >= node_count) {
    return Status::InvalidArgument("--node-index " + std::to_string(options.node_index) +
                                   " but the plan has " + std::to_string(node_count) + " nodes");
  }
  // Phase 2 of a split recovery: every fragment checked before anything is written.
  std::optional<FragmentSet> fragments;
  if (!options.from_fragments.empty()) {
    if (options.output_format != OutputFormat::kRdb) {
      return Status::NotSupported("fragments carry RDB output only (--format rdb)");
    }
    SK_ASSIGN_OR_RETURN(fragments, OpenFragmentSet(options.from_fragments, plan));
  }
  if (mkdir(options.out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "mkdir", options.out_dir);
  }
  PipelineState state;
  state.plan = &plan;
  state.options = &options;
  state.job_of_slot.fill(-1);
  // One job per master whose data some requested directory needs; a job
  // writes the master's directory and its replicas' that are requested and
  // not complete yet.
  std::map<int, NodeJob*> job_of_master;
  for (const PlannedNode& n : plan.slots.nodes) {
    if (options.node_index >= 0 && n.index != options.node_index) continue;
    const std::string dir = options.out_dir + "/node-" + std::to_string(n.index);
    std::string why;
    SK_ASSIGN_OR_RETURN(ExistingNode existing,
                        CheckExistingNode(dir, plan.fingerprint, n.index, options.io, &why));
    if (existing == ExistingNode::kForeign) {
      return Status::InvalidArgument("refusing to replace " + why +
                                     "; move it away or choose another --out");
    }
    if (existing == ExistingNode::kCompleteForThisPlan) {
      NodeReport r = ReportFor(plan, options, n);
      r.dir = dir;
      r.skipped_complete = true;
      report.nodes.push_back(r);
      continue;
    }
    const PlannedNode& master = plan.slots.DataNode(n.index);
    NodeJob*& job = job_of_master[master.index];
    if (job == nullptr) job = AddJob(plan, master, &state);
    job->targets.push_back(NodeTarget{&n, nullptr});
  }
  if (state.jobs.empty()) return report;

  std::vector<int> sources;
  for (const auto& job : state.jobs) {
    for (int s : plan.SourcesForNode(job->node->index)) {
      if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
    }
  }
  std::sort(sources.begin(), sources.end());
  for (int i : sources) {
    const PlanSource& s = plan.sources[i];
    if (!fragments) SK_RETURN_IF_ERROR(CheckSourceUnchanged(s));  // phase 2 cannot see them
    report.sources_used.push_back(s.path);
  }
  AssignOwners(plan, &state);
  std::vector<std::string> functions;
  if (fragments) {
    SK_ASSIGN_OR_RETURN(functions, FragmentFunctions(*fragments, &report.warnings));
  } else {
    SK_ASSIGN_OR_RETURN(functions, CollectFunctions(plan, options.io, &report.warnings));
  }
  report.functions = functions.size();
  // Over every source of the plan, not only those this process reads: each
  // --node-index process must pick the version a run for all nodes picks.
  std::vector<int> all_sources(plan.sources.size());
  for (size_t i = 0; i < all_sources.size(); ++i) all_sources[i] = static_cast<int>(i);
  const int native_version = OutputVersion(plan, all_sources);
  const int version = options.rdb_version > 0 ? options.rdb_version : native_version;
  if (options.output_format != OutputFormat::kRdb && plan.UsesAof()) {
    return Status::NotSupported(
        "native output holds keys only, and a source has log commands after its base; "
        "use --format rdb (a node's appendonlydir holds them)");
  }
  if (fragments) {
    for (int i : sources) {
      const SourceFragments& s = fragments->sources[static_cast<size_t>(i)];
      if (s.manifest.rdb_version != version) {
        return Status::InvalidArgument(
            s.dir + ": records written at RDB version " + std::to_string(s.manifest.rdb_version) +
            ", but this run writes version " + std::to_string(version) +
            "; give both phases the same --rdb-version");
      }
    }
  }
  for (auto& job : state.jobs) {
    SK_RETURN_IF_ERROR(StartJob(plan, options, version, native_version, functions, job.get()));
  }

  state.sources = sources;
  state.output_version = version;
  if (fragments) {
    RunAssembly(&state, *fragments, &report);
  } else {
    RunPipeline(&state, RunNodeWriter);
  }
  if (state.failed) return state.first_error;

  for (auto& job : state.jobs) {
    if (job->incr_writer) SK_RETURN_IF_ERROR(WriteAofManifest(job.get()));
    std::string rdb_crc64;
    if (job->writer) {
      // The RDB's own checksum, as its trailer holds it (the marker's
      // whole-file CRC of an intact RDB is always 0: the CRC residue).
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx",
                    static_cast<unsigned long long>(job->writer->checksum()));
      rdb_crc64 = hex;
    }
    std::string digest, digest_not_computed;
    bool digest_done = !options.digest;
    for (NodeTarget& t : job->targets) {
      NodeMarker marker;
      marker.plan_fingerprint = plan.fingerprint;
      marker.node_index = t.node->index;
      marker.node_id = t.node->node_id;
      marker.keys = job->keys_written.load();
      SK_RETURN_IF_ERROR(t.output->Publish(marker));
      if (!digest_done) {
        // Once per master: its replicas' files are the same bytes.
        digest_done = true;
        SK_RETURN_IF_ERROR(NodeDigest(*job, t.output->final_dir(), options, &digest,
                                      &digest_not_computed));
      }
      NodeReport r = ReportFor(plan, options, *t.node);
      r.dir = t.output->final_dir();
      r.keys = job->keys_written;
      r.keys_with_expiry = job->expiry.keys();
      r.expiring = job->expiry.Buckets();
      r.seconds = job->seconds;
      for (const OutputFile& f : t.output->files()) {
        if (f.name == "dump.rdb" || f.name.find(".base.rdb") != std::string::npos) {
          r.bytes = f.bytes;
        }
        if (f.name == "dump.skn") r.native_bytes = f.bytes;
      }
      r.rdb_crc64 = rdb_crc64;
      r.digest = digest;
      r.digest_not_computed = digest_not_computed;
      r.commands = job->commands_written;
      report.nodes.push_back(r);
    }
    // Totals count the data once per master, however many copies it got.
    report.commands_written += job->commands_written;
    report.keys_written += job->keys_written;
    report.duplicates_dropped += job->duplicates_dropped;
    report.spilled_bytes += job->spilled_bytes;
    report.values_in_pieces += job->values_in_pieces;
    report.non_owner_kept += job->non_owner_kept;
    report.standard_policy_differs += job->standard_policy_differs;
    report.commands_non_owner += job->commands_non_owner;
  }
  std::sort(report.nodes.begin(), report.nodes.end(),
            [](const NodeReport& a, const NodeReport& b) { return a.index < b.index; });
  report.source_bytes_read = state.bytes_read;
  report.keys_read = state.keys_read;
  report.expired_dropped = state.expired_dropped;
  report.other_db_dropped = state.other_db_dropped;
  report.other_db_moved = state.other_db_moved;
  report.commands_read = state.commands_read;
  report.commands_flushed = state.commands_flushed;
  int standalone_sources = 0;
  for (const PlanSource& s : plan.sources) standalone_sources += s.owned_slots.empty() ? 1 : 0;
  if (standalone_sources > 1 && report.commands_non_owner > 0) {
    // Merged standalone databases: a slot belongs to the freshest source
    // holding keys there, and an older source's log commands for it are
    // dropped whole, even for keys only that source has.
    report.warnings.push_back(
        std::to_string(report.commands_non_owner) +
        " log commands of older merged standalone sources were dropped (their slots belong to "
        "a fresher source): keys only those logs wrote are not recovered; rewrite those "
        "sources' AOFs into their base first (BGREWRITEAOF on a server started on a copy) to "
        "keep them");
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string StandardPolicySentence(const RecoverReport& report) {
  return std::to_string(report.standard_policy_differs) +
         " keys written have another hash tag under Redis Enterprise's older \"standard\" "
         "hashing policy (tag from the last '{' that has a '}' after it to the last '}') than "
         "under open-source Redis's rule (first '{' to the first '}' after it); they are placed "
         "by the open-source rule, the one a Redis Cluster client computes, so a database that "
         "used the standard policy may see them in other slots, and keys that shared a slot "
         "by that policy may no longer share one";
}

}  // namespace shardkit::loader
