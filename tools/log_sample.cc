#include "tools/log_sample.h"

#include <strings.h>

#include <map>
#include <set>
#include <unordered_set>

#include "formats/aof/aof_reader.h"
#include "formats/aof/command_keys.h"
#include "formats/encodings/hash_slot.h"
#include "loader/aof_source.h"
#include "loader/enterprise_layout.h"
#include "tools/log_replay.h"
#include "tools/replay_server.h"

namespace shardkit::tools {
namespace {

namespace aof = formats::aof;
namespace rdb = formats::rdb;

// Pass 1, commands: the classes of touched keys and the sampled ones.
class LogIndexer final : public aof::AofVisitor {
 public:
  LogIndexer(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
             uint64_t per_master, KeyClasses* classes, std::map<std::string, int>* sampled)
      : plan_(plan), source_(source), per_master_(per_master), classes_(classes),
        sampled_(sampled), keys_(source), flush_(plan, source) {}

  Status OnFileStart(const std::string&) override {
    flush_.OnFileStart();
    return Status();
  }
  Status OnCommand(const aof::AofCommand& c) override {
    ++commands_;
    if (!wholesale_.empty() || flush_.Skips(c)) return Status();
    if (!keys_.Read(c, &wholesale_)) return Status();
    const uint64_t first = SampleKeyHash(c.args[keys_.positions()[0]]);
    classes_->Find(first);
    for (uint32_t p : keys_.positions()) {
      const std::string& key = c.args[p];
      classes_->Union(first, SampleKeyHash(key));
      const int node = SampleNodeOf(plan_, source_, per_master_, key, formats::KeyHashSlot(key));
      if (node >= 0) sampled_->emplace(key, node);
    }
    return Status();
  }
  const std::string& wholesale() const { return wholesale_; }
  uint64_t commands() const { return commands_; }

 private:
  const loader::RecoveryPlan& plan_;
  const loader::PlanSource& source_;
  uint64_t per_master_;
  KeyClasses* classes_;
  std::map<std::string, int>* sampled_;
  LogCommandKeys keys_;
  FlushPoint flush_;
  std::string wholesale_;
  uint64_t commands_ = 0;
};

struct BaseKey {
  int node = -1;
  SampledKey key;
};


// What pass 2 learns per closure (by root) besides the replayed state.
struct ClosureState {
  std::map<uint64_t, std::string> refused;  // root -> first RESTORE error
  std::set<uint64_t> time_dependent;        // roots with a base key expiring around now
  uint64_t restored = 0;
  uint64_t commands = 0;
};

// Pass 2, the RDB part: RESTORE the closures' base keys.
class ClosureRestorer final : public rdb::RdbVisitor {
 public:
  ClosureRestorer(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                  int64_t now_ms, KeyClasses* classes, const std::set<uint64_t>& roots,
                  net::RedisConnection* replay, ClosureState* state)
      : plan_(plan), source_(source), skip_base_(FlushPoint(plan, source).SkipsBase()),
        now_ms_(now_ms), classes_(classes), roots_(roots), replay_(replay), state_(state) {}
  Status OnHeader(const rdb::RdbHeader& header) override {
    version_ = header.version;
    return Status();
  }
  Status OnEntryOwned(rdb::RdbEntry& e) override {
    if (e.db != 0 || skip_base_) return Status();
    if (!source_.owned_slots.empty() && !source_.owned_slots.Contains(e.HashSlot())) {
      return Status();
    }
    const uint64_t h = SampleKeyHash(e.key);
    if (!classes_->Contains(h)) return Status();
    const uint64_t root = classes_->Find(h);
    if (roots_.count(root) == 0) return Status();
    if (e.expire_ms && *e.expire_ms >= plan_.created_ms && *e.expire_ms <= now_ms_ + 60'000) {
      state_->time_dependent.insert(root);
    }
    SK_ASSIGN_OR_RETURN(
        net::RedisValue r,
        replay_->Command({"RESTORE", e.key, std::to_string(e.expire_ms.value_or(0)),
                          DumpPayload(e.type, e.value, version_), "REPLACE", "ABSTTL"}));
    if (r.is_error()) {
      state_->refused.emplace(root, "RESTORE " + e.key.substr(0, 100) + ": " + r.str);
    }
    ++state_->restored;
    return Status();
  }

 private:
  const loader::RecoveryPlan& plan_;
  const loader::PlanSource& source_;
  bool skip_base_;  // a later flush discards the RDB part (FlushPoint)
  int64_t now_ms_;
  KeyClasses* classes_;
  const std::set<uint64_t>& roots_;
  net::RedisConnection* replay_;
  ClosureState* state_;
  int version_ = 0;
};

// Pass 2, commands: replays those touching a closure, in order. Redis's
// loader ignores error replies of logged commands (WRONGTYPE...): so does
// the replay.
class ClosureReplayer final : public aof::AofVisitor {
 public:
  ClosureReplayer(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                  KeyClasses* classes, const std::set<uint64_t>& roots,
                  net::RedisConnection* replay, ClosureState* state)
      : classes_(classes), roots_(roots), replay_(replay), state_(state), keys_(source),
        flush_(plan, source) {}

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
    const uint64_t h = SampleKeyHash(c.args[keys_.positions()[0]]);
    if (!classes_->Contains(h) || roots_.count(classes_->Find(h)) == 0) return Status();
    ++state_->commands;
    std::vector<std::string> args(c.args.begin(), c.args.end());
    if (c.in_transaction) {
      tx_.push_back(std::move(args));
      return Status();
    }
    return Send(args);
  }

 private:
  Status Send(const std::vector<std::string>& args) {
    return replay_->Command(args).status();
  }

  KeyClasses* classes_;
  const std::set<uint64_t>& roots_;
  net::RedisConnection* replay_;
  ClosureState* state_;
  LogCommandKeys keys_;
  FlushPoint flush_;
  std::vector<std::vector<std::string>> tx_;
};

// The expected state of `key` in the replay server, or nullopt when it
// expires within a minute (not compared, as base keys are not).
Result<std::optional<SampledKey>> ReadReplayed(net::RedisConnection& c, const std::string& key,
                                               int64_t now_ms) {
  SampledKey k;
  k.key = key;
  k.replayed = true;
  SK_ASSIGN_OR_RETURN(net::RedisValue pttl, c.CommandOk({"PEXPIRETIME", key}));
  if (pttl.integer == -2) {
    k.absent = true;
    return std::optional<SampledKey>(std::move(k));
  }
  if (pttl.integer >= 0 && pttl.integer <= now_ms + 60'000) return std::optional<SampledKey>();
  if (pttl.integer >= 0) k.expire_ms = pttl.integer;
  SK_ASSIGN_OR_RETURN(net::RedisValue dump, c.CommandOk({"DUMP", key}));
  const std::string& p = dump.str;
  if (dump.is_nil() || p.size() < 11) {
    return Status::Corruption("replay server: DUMP " + key + ": no payload");
  }
  k.type = static_cast<uint8_t>(p[0]);
  k.value = p.substr(1, p.size() - 11);
  k.rdb_version = static_cast<unsigned char>(p[p.size() - 10]) |
                  (static_cast<unsigned char>(p[p.size() - 9]) << 8);
  return std::optional<SampledKey>(std::move(k));
}

// Pass 2 and the read-back: every sampled touched key whose closure is in
// `roots` becomes a replayed SampledKey (or a not-compared count).
Status ReplayClosures(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                      const SampleOptions& options, KeyClasses* classes,
                      const std::set<uint64_t>& roots,
                      const std::vector<std::pair<std::string, int>>& keys, ValueSample* out) {
  net::RedisConnection& replay = options.replay->connection();
  SK_RETURN_IF_ERROR(replay.CommandOk({"FLUSHALL"}).status());
  ClosureState state;
  rdb::RdbReadOptions ro;
  ro.capture_values = true;
  ro.layout = loader::LayoutProducerOf(source.path);
  ClosureRestorer restorer(plan, source, options.now_ms, classes, roots, &replay, &state);
  aof::DefaultRdbPartReader part(ro, &restorer);
  ClosureReplayer replayer(plan, source, classes, roots, &replay, &state);
  SK_RETURN_IF_ERROR(
      loader::ReadAofFiles(source.files, options.io, &part, &replayer, false).status());
  out->commands_replayed += state.commands;
  uint64_t refused = 0, time_dependent = 0;
  std::string first_refusal;
  for (const auto& [key, node] : keys) {
    const uint64_t root = classes->Find(SampleKeyHash(key));
    if (auto it = state.refused.find(root); it != state.refused.end()) {
      if (first_refusal.empty()) first_refusal = it->second;
      ++refused;
      continue;
    }
    if (state.time_dependent.count(root) != 0) {
      ++time_dependent;
      continue;
    }
    SK_ASSIGN_OR_RETURN(std::optional<SampledKey> k, ReadReplayed(replay, key, options.now_ms));
    if (!k) continue;
    out->by_node[static_cast<size_t>(node)].push_back(std::move(*k));
    ++out->from_replay;
  }
  out->not_compared += refused + time_dependent;
  if (refused > 0) {
    out->notes.push_back(source.path + ": " + std::to_string(refused) +
                         " keys touched by the log not compared: the replay server (redis " +
                         options.replay->version() + ") refused a base value: " + first_refusal);
  }
  if (time_dependent > 0) {
    out->notes.push_back(source.path + ": " + std::to_string(time_dependent) +
                         " keys touched by the log not compared: their closure holds a key "
                         "whose expiry falls between the recovery time and a minute from now");
  }
  SK_RETURN_IF_ERROR(replay.CommandOk({"FLUSHALL"}).status());
  return Status();
}

// The sampled touched keys whose closure is small enough to replay (their
// roots in *roots); the others are counted as not compared, with a note.
std::vector<std::pair<std::string, int>> ReplayableKeys(
    const loader::PlanSource& source, const std::map<std::string, int>& touched_sampled,
    KeyClasses* classes, std::set<uint64_t>* roots, ValueSample* out) {
  std::vector<std::pair<std::string, int>> replayable;
  uint64_t too_large = 0;
  for (const auto& [key, node] : touched_sampled) {
    const uint64_t root = classes->Find(SampleKeyHash(key));
    if (classes->SizeOf(root) > kMaxClosureKeys) {
      ++too_large;
      continue;
    }
    roots->insert(root);
    replayable.emplace_back(key, node);
  }
  if (too_large > 0) {
    out->not_compared += too_large;
    out->notes.push_back(source.path + ": " + std::to_string(too_large) +
                         " keys touched by the log not compared: closure too large (more than " +
                         std::to_string(kMaxClosureKeys) +
                         " keys joined by multi-key log commands)");
  }
  return replayable;
}

}  // namespace

Status SampleLogSource(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                       const SampleOptions& options, ValueSample* out) {
  // 1. Index the log; sample the base.
  KeyClasses classes;
  std::map<std::string, int> touched_sampled;
  std::vector<BaseKey> base;
  rdb::RdbReadOptions ro;
  ro.capture_values = true;
  ro.layout = loader::LayoutProducerOf(source.path);
  // Pass 1, the RDB part: the sampled keys' base values.
  SampleCollector sampler(plan, source, options.per_master, options.now_ms, &out->known_by_node,
                          FlushPoint(plan, source).SkipsBase(), [&base](int node, SampledKey key) {
                            base.push_back(BaseKey{node, std::move(key)});
                          });
  aof::DefaultRdbPartReader part(ro, &sampler);
  LogIndexer indexer(plan, source, options.per_master, &classes, &touched_sampled);
  SK_RETURN_IF_ERROR(
      loader::ReadAofFiles(source.files, options.io, &part, &indexer, false).status());
  if (!out->known_by_node.empty()) {
    for (const auto& [key, node] : touched_sampled) {
      out->known_by_node[static_cast<size_t>(node)].insert(key);
    }
  }
  if (!indexer.wholesale().empty()) {
    out->key_set_unknown = source.path + ": the log touches every key of the source";
    std::set<std::string> keys;
    for (const BaseKey& b : base) keys.insert(b.key.key);
    for (const auto& [key, node] : touched_sampled) keys.insert(key);
    out->not_compared += keys.size();
    out->notes.push_back(source.path + ": " + std::to_string(keys.size()) +
                         " sampled keys not compared: the log touches every key of the "
                         "source (" + indexer.wholesale() + ")");
    return Status();
  }
  // 2. Untouched keys keep their base value.
  for (BaseKey& b : base) {
    if (classes.Contains(SampleKeyHash(b.key.key))) continue;
    out->by_node[static_cast<size_t>(b.node)].push_back(std::move(b.key));
    ++out->from_base;
  }
  // 3. Touched keys: by replay of their closure.
  std::set<uint64_t> roots;
  std::vector<std::pair<std::string, int>> replayable =
      ReplayableKeys(source, touched_sampled, &classes, &roots, out);
  if (replayable.empty()) return Status();
  if (options.replay == nullptr) {
    out->not_compared += replayable.size();
    out->notes.push_back(source.path + ": " + std::to_string(replayable.size()) +
                         " keys touched by the log not compared (no replay server: " +
                         options.replay_unavailable + ")");
    return Status();
  }
  return ReplayClosures(plan, source, options, &classes, roots, replayable, out);
}

}  // namespace shardkit::tools
