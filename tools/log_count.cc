#include "tools/log_count.h"

#include <strings.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "formats/aof/aof_reader.h"
#include "formats/encodings/hash_slot.h"
#include "loader/aof_source.h"
#include "loader/enterprise_layout.h"
#include "loader/expiry_histogram.h"
#include "tools/log_replay.h"
#include "tools/replay_server.h"
#include "tools/value_sample.h"

namespace shardkit::tools {
namespace {

namespace aof = formats::aof;
namespace rdb = formats::rdb;

// Which plan master each slot's keys go to (-1: none).
std::vector<int> MasterOfSlot(const loader::RecoveryPlan& plan) {
  std::vector<int> out(loader::kSlotCount, -1);
  for (const loader::PlannedNode& n : plan.slots.nodes) {
    if (n.is_replica()) continue;
    if (plan.standalone()) {
      std::fill(out.begin(), out.end(), n.index);
      break;
    }
    for (const loader::SlotRange& r : n.slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) out[s] = n.index;
    }
  }
  return out;
}

// Per source, the slots whose keys and commands recover takes from it, as
// its AssignOwners decides (loader/recover.cc): the slots it owns; a slot no
// source owns goes to the first source with keys there (on a standalone
// target, else to the first standalone source).
std::vector<loader::SlotSet> RoutedSlots(const loader::RecoveryPlan& plan) {
  std::vector<int> owner(loader::kSlotCount, -1);
  const auto& sources = plan.sources;
  for (size_t i = 0; i < sources.size(); ++i) {
    for (const loader::SlotRange& r : sources[i].owned_slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) owner[s] = static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < sources.size(); ++i) {
    for (const loader::SlotRange& r : sources[i].present_slots.Ranges()) {
      for (uint32_t s = r.first; s <= r.last; ++s) {
        if (owner[s] < 0) owner[s] = static_cast<int>(i);
      }
    }
  }
  int first_standalone = -1;
  for (size_t i = 0; i < sources.size() && first_standalone < 0; ++i) {
    if (sources[i].owned_slots.empty()) first_standalone = static_cast<int>(i);
  }
  std::vector<loader::SlotSet> out(sources.size());
  for (int s = 0; s < loader::kSlotCount; ++s) {
    if (owner[s] < 0 && plan.standalone()) owner[s] = std::max(first_standalone, 0);
    if (owner[s] >= 0 && static_cast<size_t>(owner[s]) < out.size()) {
      out[static_cast<size_t>(owner[s])].Add(static_cast<uint16_t>(s));
    }
  }
  return out;
}

// The masters the routed slots' keys go to.
std::set<int> MastersOf(const loader::SlotSet& routed, const std::vector<int>& of_slot) {
  std::set<int> out;
  for (const loader::SlotRange& r : routed.Ranges()) {
    for (uint32_t s = r.first; s <= r.last; ++s) {
      if (of_slot[s] >= 0) out.insert(of_slot[s]);
    }
  }
  return out;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  try {
    size_t pos = 0;
    const long long v = std::stoll(s, &pos);
    if (pos != s.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Whether a log command's effect on the key count depends on when it runs:
// it sets an expiry relative to its run time (Redis logs them absolute;
// another writer may not), or an absolute one at or before `limit_ms`.
bool CommandExpiryNear(const aof::AofCommand& c, int64_t limit_ms) {
  const std::string name = LowerName(c.args[0]);
  auto near = [&](const std::string& arg, int64_t scale) {
    const std::optional<int64_t> v = ParseInt(arg);
    return !v || *v * scale <= limit_ms;
  };
  if (name == "expire" || name == "pexpire" || name == "setex" || name == "psetex") return true;
  if ((name == "expireat" || name == "pexpireat") && c.args.size() >= 3) {
    return near(c.args[2], name == "expireat" ? 1000 : 1);
  }
  if (name == "set" || name == "getex") {
    for (size_t i = name == "set" ? 3 : 2; i < c.args.size(); ++i) {
      const std::string opt = LowerName(c.args[i]);
      if (opt == "ex" || opt == "px") return true;
      if ((opt == "exat" || opt == "pxat") && i + 1 < c.args.size()) {
        return near(c.args[i + 1], opt == "exat" ? 1000 : 1);
      }
    }
    return false;
  }
  if (name == "restore" && c.args.size() >= 4) {
    bool absolute = false;
    for (size_t i = 4; i < c.args.size(); ++i) absolute = absolute || LowerName(c.args[i]) == "absttl";
    const std::optional<int64_t> ttl = ParseInt(c.args[2]);
    if (!ttl) return true;
    return *ttl > 0 && (!absolute || *ttl <= limit_ms);
  }
  return false;
}

// Pass 1, commands: the classes of touched keys.
class CountIndexer final : public aof::AofVisitor {
 public:
  CountIndexer(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
               const loader::SlotSet* routed, KeyClasses* classes)
      : classes_(classes), keys_(source, routed), flush_(plan, source) {}
  Status OnFileStart(const std::string&) override {
    flush_.OnFileStart();
    return Status();
  }
  Status OnCommand(const aof::AofCommand& c) override {
    if (!wholesale_.empty() || flush_.Skips(c)) return Status();
    if (!keys_.Read(c, &wholesale_)) return Status();
    const uint64_t first = SampleKeyHash(c.args[keys_.positions()[0]]);
    classes_->Find(first);
    for (uint32_t p : keys_.positions()) classes_->Union(first, SampleKeyHash(c.args[p]));
    return Status();
  }
  // Why the source's count cannot be replayed by closures, or "". Commands
  // of other dbs matter on a standalone target (recover keeps every db); on
  // a cluster recover dropped them (moving them to db 0 is refused earlier:
  // PlanReason).
  std::string Reason(bool standalone) const {
    if (!wholesale_.empty()) return "the log touches every key of the source (" + wholesale_ + ")";
    if (standalone && keys_.other_db()) return "the log writes dbs other than 0";
    return "";
  }

 private:
  KeyClasses* classes_;
  LogCommandKeys keys_;
  FlushPoint flush_;
  std::string wholesale_;
};

// What one batch learns per closure (by root).
struct ClosureCount {
  std::vector<std::pair<int, uint64_t>> present;  // {master, keys the replay leaves there}
  std::vector<int> masters;                       // where its keys go
  bool uncertain = false;
  void AddMaster(int m) {
    if (m >= 0 && std::find(masters.begin(), masters.end(), m) == masters.end()) {
      masters.push_back(m);
    }
  }
};

// Per master, summed over sources.
struct MasterCount {
  uint64_t base_touched = 0;
  loader::ExpiryHistogram touched_expiring;
  uint64_t replayed = 0;
  uint64_t uncertain = 0;
};

// Commands to the replay server, pipelined: at most kPipeCommands commands
// or kPipeBytes bytes unanswered. Replies are ignored (Redis's AOF loader
// ignores error replies too), but a RESTORE's error marks its closure
// uncertain.
class ReplayPipe {
 public:
  static constexpr size_t kPipeCommands = 1024;
  static constexpr size_t kPipeBytes = 16 << 20;

  explicit ReplayPipe(net::RedisConnection* connection) : connection_(connection) {}
  // `restored`: the closure of a RESTOREd key (its error makes it uncertain).
  Status Send(const std::vector<std::string>& args, ClosureCount* restored = nullptr) {
    SK_RETURN_IF_ERROR(connection_->Append(args));
    pending_.push_back(restored);
    if (restored != nullptr) restore_keys_.push_back(args.at(1).substr(0, 100));
    for (const std::string& a : args) bytes_ += a.size();
    return pending_.size() >= kPipeCommands || bytes_ >= kPipeBytes ? Drain() : Status();
  }
  // Reads every pending reply.
  Status Drain() {
    size_t restore_index = 0;
    for (ClosureCount* cc : pending_) {
      SK_ASSIGN_OR_RETURN(net::RedisValue r, connection_->ReadReply());
      if (cc == nullptr) continue;
      if (r.is_error()) {
        cc->uncertain = true;
        if (first_refusal_.empty()) {
          first_refusal_ = "RESTORE " + restore_keys_[restore_index] + ": " + r.str;
        }
      }
      ++restore_index;
    }
    pending_.clear();
    restore_keys_.clear();
    bytes_ = 0;
    return Status();
  }
  const std::string& first_refusal() const { return first_refusal_; }

 private:
  net::RedisConnection* connection_;
  std::vector<ClosureCount*> pending_;  // per queued command; stable: unordered_map values
  std::vector<std::string> restore_keys_;
  size_t bytes_ = 0;
  std::string first_refusal_;
};

// What a batch's passes share.
struct BatchContext {
  const loader::RecoveryPlan* plan = nullptr;
  const loader::PlanSource* source = nullptr;
  const loader::SlotSet* routed = nullptr;  // RoutedSlots of the source
  const LogCountOptions* options = nullptr;
  const std::vector<int>* master_of_slot = nullptr;
  KeyClasses* classes = nullptr;
  const std::unordered_map<uint64_t, uint32_t>* batch_of = nullptr;
  uint32_t batch = 0;
  std::unordered_map<uint64_t, ClosureCount> closures;
  std::map<int, MasterCount>* masters = nullptr;
  ReplayPipe* pipe = nullptr;  // during a batch's read
  std::string first_refusal;
  uint64_t restored = 0;
  uint64_t commands = 0;

  int64_t limit_ms() const { return options->now_ms + kCountMarginMs; }
  // The closure of `h` when it is in this batch, else nullptr.
  ClosureCount* ClosureOf(uint64_t h) {
    if (!classes->Contains(h)) return nullptr;
    const uint64_t root = classes->Find(h);
    auto it = batch_of->find(root);
    if (it == batch_of->end() || it->second != batch) return nullptr;
    return &closures[root];
  }
  int MasterOf(const std::string& key) const {
    return (*master_of_slot)[formats::KeyHashSlot(key)];
  }
  // Histogram buckets anchored as recover's are (the recovery time).
  MasterCount& CountOf(int master) {
    return masters
        ->try_emplace(master, MasterCount{0, loader::ExpiryHistogram(plan->created_ms), 0, 0})
        .first->second;
  }
};

// Pass 2, the RDB part: RESTORE the batch's base keys recover wrote, and
// count them per master.
class CountRestorer final : public rdb::RdbVisitor {
 public:
  explicit CountRestorer(BatchContext* ctx)
      : ctx_(ctx),
        skip_base_(FlushPoint(*ctx->plan, *ctx->source).SkipsBase()) {}
  Status OnHeader(const rdb::RdbHeader& header) override {
    version_ = header.version;
    return Status();
  }
  Status OnEntryOwned(rdb::RdbEntry& e) override {
    if (e.db != 0 || skip_base_) return Status();
    if (!ctx_->routed->Contains(e.HashSlot())) return Status();
    ClosureCount* cc = ctx_->ClosureOf(SampleKeyHash(e.key));
    if (cc == nullptr) return Status();
    // Recover drops a key expired at the recovery time unless it kept
    // expired keys (then it dropped none: the report's expired_dropped is 0).
    const bool kept_expired = ctx_->options->report_expired_dropped == 0;
    if (e.expire_ms && *e.expire_ms < ctx_->plan->created_ms && !kept_expired) return Status();
    const int master = ctx_->MasterOf(e.key);
    cc->AddMaster(master);
    if (master >= 0) {
      MasterCount& m = ctx_->CountOf(master);
      ++m.base_touched;
      if (e.expire_ms) m.touched_expiring.Add(*e.expire_ms);
    }
    if (e.expire_ms && *e.expire_ms <= ctx_->limit_ms()) cc->uncertain = true;
    ++ctx_->restored;
    return ctx_->pipe->Send({"RESTORE", e.key, std::to_string(e.expire_ms.value_or(0)),
                             DumpPayload(e.type, e.value, version_), "REPLACE", "ABSTTL"},
                            cc);
  }

 private:
  BatchContext* ctx_;
  bool skip_base_;
  int version_ = 0;
};

// Pass 2, commands: replays those touching the batch, in order (error
// replies ignored, as Redis's loader does).
class CountReplayer final : public aof::AofVisitor {
 public:
  explicit CountReplayer(BatchContext* ctx)
      : ctx_(ctx), keys_(*ctx->source, ctx->routed),
        flush_(*ctx->plan, *ctx->source) {}
  Status OnFileStart(const std::string&) override {
    flush_.OnFileStart();
    return Status();
  }
  Status OnCommand(const aof::AofCommand& c) override {
    if (flush_.Skips(c)) return Status();
    if (c.in_transaction && strcasecmp(c.args[0].c_str(), "multi") == 0) {
      tx_.clear();
      return Status();
    }
    if (c.in_transaction && strcasecmp(c.args[0].c_str(), "exec") == 0) {
      if (tx_.empty()) return Status();
      SK_RETURN_IF_ERROR(Send({"MULTI"}));
      for (const std::vector<std::string>& cmd : tx_) SK_RETURN_IF_ERROR(Send(cmd));
      SK_RETURN_IF_ERROR(Send({"EXEC"}));
      tx_.clear();
      return Status();
    }
    std::string ignored;
    if (!keys_.Read(c, &ignored)) return Status();
    ClosureCount* cc = ctx_->ClosureOf(SampleKeyHash(c.args[keys_.positions()[0]]));
    if (cc == nullptr) return Status();
    for (uint32_t p : keys_.positions()) cc->AddMaster(ctx_->MasterOf(c.args[p]));
    if (CommandExpiryNear(c, ctx_->limit_ms())) cc->uncertain = true;
    ++ctx_->commands;
    std::vector<std::string> args(c.args.begin(), c.args.end());
    if (c.in_transaction) {
      tx_.push_back(std::move(args));
      return Status();
    }
    return Send(args);
  }

 private:
  Status Send(const std::vector<std::string>& args) { return ctx_->pipe->Send(args); }

  BatchContext* ctx_;
  LogCommandKeys keys_;
  FlushPoint flush_;
  std::vector<std::vector<std::string>> tx_;
};

// One SCAN step in the replay server, each key followed by its PEXPIRETIME.
constexpr const char* kScanScript =
    "local r = redis.call('SCAN', ARGV[1], 'COUNT', 1000) "
    "local out = {r[1]} "
    "for _, k in ipairs(r[2]) do "
    "out[#out + 1] = k "
    "out[#out + 1] = redis.call('PEXPIRETIME', k) "
    "end "
    "return out";

// Counts the keys the batch's replay left, per closure and master. SCAN may
// return a key twice: each is counted once.
Status CountReplayedKeys(net::RedisConnection& replay, BatchContext* ctx) {
  std::unordered_set<std::string> seen;
  std::string cursor = "0";
  // SCAN visits every key in about keys/COUNT steps: a bound well past
  // that is a loop making no progress.
  const uint64_t max_steps = kCountBatchKeys * 4;
  for (uint64_t step = 0;; ++step) {
    if (step > max_steps) {
      return Status::Corruption("replay server: SCAN did not finish after " +
                                std::to_string(max_steps) + " steps");
    }
    SK_ASSIGN_OR_RETURN(net::RedisValue r, replay.CommandOk({"EVAL", kScanScript, "0", cursor}));
    if (r.elements.empty() || r.elements.size() % 2 != 1) {
      return Status::Corruption("replay server: unexpected SCAN script reply " +
                                r.ToString().substr(0, 200));
    }
    cursor = r.elements[0].str;
    for (size_t i = 1; i + 1 < r.elements.size(); i += 2) {
      const std::string& key = r.elements[i].str;
      const int64_t expire_ms = r.elements[i + 1].integer;
      if (expire_ms == -2 || !seen.insert(key).second) continue;
      const uint64_t h = SampleKeyHash(key);
      const uint64_t root = ctx->classes->Contains(h) ? ctx->classes->Find(h) : h;
      ClosureCount& cc = ctx->closures[root];
      const int master = ctx->MasterOf(key);
      cc.AddMaster(master);
      if (expire_ms >= 0 && expire_ms <= ctx->limit_ms()) cc.uncertain = true;
      auto it = std::find_if(cc.present.begin(), cc.present.end(),
                             [&](const auto& p) { return p.first == master; });
      if (it == cc.present.end()) {
        cc.present.emplace_back(master, 1);
      } else {
        ++it->second;
      }
    }
    if (cursor == "0") return Status();
  }
}

// One batch: restore, replay, count; the closures' counts go to masters.
Status CountBatch(BatchContext* ctx) {
  net::RedisConnection& replay = ctx->options->replay->connection();
  SK_RETURN_IF_ERROR(replay.CommandOk({"FLUSHALL"}).status());
  rdb::RdbReadOptions ro;
  ro.capture_values = true;
  ro.layout = loader::LayoutProducerOf(ctx->source->path);
  ReplayPipe pipe(&replay);
  ctx->pipe = &pipe;
  CountRestorer restorer(ctx);
  aof::DefaultRdbPartReader part(ro, &restorer);
  CountReplayer replayer(ctx);
  const Status read =
      loader::ReadAofFiles(ctx->source->files, ctx->options->io, &part, &replayer, false)
          .status();
  // Every pending reply is read, also after a failed read: the connection
  // then serves the sample.
  const Status drained = pipe.Drain();
  ctx->pipe = nullptr;
  SK_RETURN_IF_ERROR(read);
  SK_RETURN_IF_ERROR(drained);
  ctx->first_refusal = pipe.first_refusal();
  SK_RETURN_IF_ERROR(CountReplayedKeys(replay, ctx));
  for (const auto& [root, cc] : ctx->closures) {
    if (cc.uncertain) {
      // Its keys on a master: 0 up to the closure's size.
      const uint64_t size = ctx->classes->Contains(root) ? ctx->classes->SizeOf(root) : 1;
      for (int m : cc.masters) {
        if (m >= 0) ctx->CountOf(m).uncertain += size;
      }
      continue;
    }
    for (const auto& [m, keys] : cc.present) {
      if (m >= 0) ctx->CountOf(m).replayed += keys;
    }
  }
  return replay.CommandOk({"FLUSHALL"}).status();
}

// Closures packed into batches of at most kCountBatchKeys keys, or why not.
Result<uint32_t> PackBatches(const KeyClasses& classes,
                             std::unordered_map<uint64_t, uint32_t>* batch_of) {
  uint32_t batch = 0;
  uint64_t in_batch = 0;
  for (const auto& [root, size] : classes.Roots()) {
    if (size > kCountBatchKeys) {
      return Status::ResourceExhausted(
          "a closure of " + std::to_string(size) + " keys joined by multi-key log commands is "
          "more than check replays at once (" + std::to_string(kCountBatchKeys) + ")");
    }
    if (in_batch + size > kCountBatchKeys) {
      ++batch;
      in_batch = 0;
    }
    (*batch_of)[root] = batch;
    in_batch += size;
  }
  const uint32_t batches = batch_of->empty() ? 0 : batch + 1;
  if (batches > kMaxCountBatches) {
    return Status::ResourceExhausted(
        "the log touches " + std::to_string(classes.hashes()) + " keys, more than " +
        std::to_string(kMaxCountBatches) + " batches of " + std::to_string(kCountBatchKeys));
  }
  return batches;
}

// Steps 1-3 of the header for one source; counts go to *masters.
Status CountSource(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                   const loader::SlotSet& routed, const LogCountOptions& options, const std::vector<int>& master_of_slot,
                   std::map<int, MasterCount>* masters, LogCountOutcome* outcome) {
  KeyClasses classes;
  rdb::RdbReadOptions ro;
  ro.layout = loader::LayoutProducerOf(source.path);
  aof::DefaultRdbPartReader skip_part(ro, nullptr);
  CountIndexer indexer(plan, source, &routed, &classes);
  SK_RETURN_IF_ERROR(
      loader::ReadAofFiles(source.files, options.io, &skip_part, &indexer, false).status());
  const std::string reason = indexer.Reason(plan.standalone());
  if (!reason.empty()) return Status::NotSupported(reason);
  std::unordered_map<uint64_t, uint32_t> batch_of;
  SK_ASSIGN_OR_RETURN(uint32_t batches, PackBatches(classes, &batch_of));
  for (uint32_t b = 0; b < batches; ++b) {
    BatchContext ctx;
    ctx.plan = &plan;
    ctx.source = &source;
    ctx.routed = &routed;
    ctx.options = &options;
    ctx.master_of_slot = &master_of_slot;
    ctx.classes = &classes;
    ctx.batch_of = &batch_of;
    ctx.batch = b;
    ctx.masters = masters;
    SK_RETURN_IF_ERROR(CountBatch(&ctx));
    if (!ctx.first_refusal.empty()) {
      outcome->notes.push_back(source.path + ": the replay server (redis " +
                               options.replay->version() + ") refused a base value (" +
                               ctx.first_refusal + "): its closure is counted as a range");
    }
    outcome->commands_replayed += ctx.commands;
    outcome->keys_restored += ctx.restored;
    ++outcome->batches;
  }
  ++outcome->sources;
  return Status();
}

// Why no node's count can be replayed, or "".
std::string PlanReason(const loader::RecoveryPlan& plan, const LogCountOptions& options) {
  if (options.replay == nullptr) {
    return "its output has log commands, which change the key count, and no replay server "
           "ran (" + options.replay_unavailable + ")";
  }
  if (options.report_non_owner_kept > 0) {
    return "its output has log commands and recover kept keys of slots their source did not "
           "own (non_owner_kept): a log may touch a key another source supplied";
  }
  if (options.report_other_db_moved > 0) {
    return "its output has log commands and recover moved other dbs' keys or commands to db 0 "
           "(--other-dbs=db0): the count replay follows db 0 only";
  }
  for (const loader::PlanSource& s : plan.sources) {
    if (s.has_log_commands && s.owned_slots.empty() && plan.sources.size() > 1) {
      return "its output has log commands of " + s.path + ", which owns no slots, merged with "
             "other sources: its log may touch their keys";
    }
  }
  return "";
}

}  // namespace

Result<LogCountOutcome> CountLogNodes(const loader::RecoveryPlan& plan,
                                      const LogCountOptions& options,
                                      std::vector<ExpectedKeys>* expected) {
  LogCountOutcome outcome;
  const auto start = std::chrono::steady_clock::now();
  const bool any = std::any_of(expected->begin(), expected->end(),
                               [](const ExpectedKeys& e) { return e.has_log && !e.known; });
  if (!any) return outcome;
  const std::string plan_reason = PlanReason(plan, options);
  const std::vector<int> master_of_slot = MasterOfSlot(plan);
  std::map<int, MasterCount> masters;
  std::map<int, std::string> reasons;  // master -> why its count is not known
  const std::vector<loader::SlotSet> routed = RoutedSlots(plan);
  for (size_t i = 0; i < plan.sources.size(); ++i) {
    const loader::PlanSource& source = plan.sources[i];
    if (!source.has_log_commands || !plan_reason.empty()) continue;
    const Status st =
        CountSource(plan, source, routed[i], options, master_of_slot, &masters, &outcome);
    if (st.ok()) continue;
    for (int m : MastersOf(routed[i], master_of_slot)) {
      reasons.emplace(m, "its output has log commands, which change the key count, and " +
                             source.path + " could not be replayed: " + std::string(st.message()));
    }
  }
  for (const loader::PlannedNode& n : plan.slots.nodes) {
    ExpectedKeys& e = expected->at(static_cast<size_t>(n.index));
    if (!e.has_log || e.known) continue;
    const int master = n.is_replica() ? n.master_index : n.index;
    if (!plan_reason.empty()) {
      e.unknown_reason = plan_reason;
      continue;
    }
    if (auto it = reasons.find(master); it != reasons.end()) {
      e.unknown_reason = it->second;
      continue;
    }
    auto it = masters.find(master);
    if (it != masters.end()) {
      e.log.base_touched = it->second.base_touched;
      e.log.base_touched_expiring = it->second.touched_expiring.Buckets();
      e.log.replayed = it->second.replayed;
      e.log.uncertain = it->second.uncertain;
    }
    e.known = true;
    e.unknown_reason.clear();
  }
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace shardkit::tools
