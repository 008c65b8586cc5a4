#include "loader/discovery.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "loader/aof_source.h"
#include "loader/native_source.h"
#include "storage/small_file.h"

namespace shardkit::loader {

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kRdb:
      return "rdb";
    case SourceKind::kAofMultipart:
      return "aof-multipart";
    case SourceKind::kAofLegacy:
      return "aof-legacy";
    case SourceKind::kNative:
      return "native";
  }
  return "?";
}

namespace {

SourceFile StatSource(const std::string& path) {
  SourceFile f;
  f.path = path;
  if (auto st = storage::StatFile(path); st.ok()) {
    f.bytes = st->bytes;
    f.mtime_ms = st->mtime_ms;
  }
  return f;
}

// Lists a volume's candidates in preference order (step 3 of the header).
void ListCandidates(VolumeReport* v) {
  const VolumeFiles& f = v->files;
  std::vector<SourceCandidate> aof, rdb;
  if (f.aof_manifest) {
    SourceCandidate c;
    c.kind = SourceKind::kAofMultipart;
    c.path = *f.aof_manifest;
    c.health = DescribeAofCandidate(*v, &c);
    aof.push_back(std::move(c));
  } else if (f.legacy_aof) {
    SourceCandidate c;
    c.kind = SourceKind::kAofLegacy;
    c.path = *f.legacy_aof;
    c.health = DescribeAofCandidate(*v, &c);
    aof.push_back(std::move(c));
  }
  if (f.rdb) {
    SourceCandidate c;
    c.kind = SourceKind::kRdb;
    c.path = *f.rdb;
    c.rdb_path = *f.rdb;
    c.files = {StatSource(*f.rdb)};
    c.newest_mtime_ms = c.files[0].mtime_ms;
    rdb.push_back(std::move(c));
  }
  if (f.native) {
    SourceCandidate c;
    c.kind = SourceKind::kNative;
    c.path = *f.native;
    c.files = {StatSource(*f.native)};
    c.newest_mtime_ms = c.files[0].mtime_ms;
    rdb.push_back(std::move(c));
  }
  // Two snapshots (an RDB and a native archive): the fresher first.
  std::stable_sort(rdb.begin(), rdb.end(), [](const SourceCandidate& a, const SourceCandidate& b) {
    return a.newest_mtime_ms > b.newest_mtime_ms;
  });
  // redis.conf's appendonly decides, as it decides what Redis loads. Without
  // it: the fresher of the two by file time, the AOF on a tie (Redis writes
  // an AOF only while AOF is on).
  if (f.conf.appendonly.has_value()) {
    v->aof_enabled = *f.conf.appendonly && !aof.empty();
  } else if (!aof.empty() && !rdb.empty()) {
    v->aof_enabled = aof[0].newest_mtime_ms >= rdb[0].newest_mtime_ms;
    v->files.notes.push_back(std::string("no redis.conf: ") +
                             (v->aof_enabled ? "the AOF" : "the RDB") +
                             " is preferred as the fresher file (AOF on a tie)");
  } else {
    v->aof_enabled = !aof.empty();
  }
  auto& first = v->aof_enabled ? aof : rdb;
  auto& second = v->aof_enabled ? rdb : aof;
  for (auto* list : {&first, &second}) {
    for (auto& c : *list) v->candidates.push_back(std::move(c));
  }
}

Status LoadVolume(const std::string& dir, VolumeReport* v) {
  SK_ASSIGN_OR_RETURN(v->files, ScanVolume(dir));
  if (v->files.nodes_conf) {
    auto text = storage::ReadSmallFile(*v->files.nodes_conf, 16 << 20);
    auto conf = text.ok() ? ParseNodesConf(*text, *v->files.nodes_conf)
                          : Result<NodesConf>(text.status());
    if (conf.ok()) {
      v->nodes = std::move(*conf);
      if (const ClusterNode* me = v->nodes->myself()) {
        v->node_id = me->id;
        v->is_master = me->is_master();
        v->master_id = me->master_id;
      }
    } else {
      v->nodes_status = conf.status();
    }
  }
  ListCandidates(v);
  return Status();
}

// Scans every healthy candidate's RDB part, on up to `threads` threads.
void ScanCandidates(std::vector<VolumeReport>* volumes, const DiscoverOptions& options) {
  std::vector<SourceCandidate*> work;
  for (auto& v : *volumes) {
    for (auto& c : v.candidates) {
      if (c.health.ok() && (!c.rdb_path.empty() || c.kind != SourceKind::kRdb)) {
        work.push_back(&c);
      }
    }
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) {
      SourceCandidate& c = *work[i];
      auto scan = c.kind == SourceKind::kRdb      ? ScanRdbSource(c.rdb_path, options.now_ms, options.io)
                  : c.kind == SourceKind::kNative ? ScanNativeSource(c.path, options.io)
                                                  : ScanAofSource(c, options.now_ms, options.io);
      if (scan.ok()) {
        if (IsAofKind(c.kind)) c.has_log_commands = scan->commands > 0;
        c.scan = std::move(*scan);
      } else {
        work[i]->health = scan.status();
      }
    }
  };
  const int n = std::max(1, std::min<int>(options.threads, static_cast<int>(work.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

struct Pick {
  int volume = -1;
  int candidate = -1;
};

// True when source a (on a master when a_master) is fresher than b.
bool Fresher(const SourceCandidate& a, bool a_master, const SourceCandidate& b, bool b_master,
             std::string* why) {
  const SourceScan* sa = a.scan ? &*a.scan : nullptr;
  const SourceScan* sb = b.scan ? &*b.scan : nullptr;
  // Same replication history: the offset decides; equal offsets hold the same
  // data, and the master's copy is preferred (a replica can lag in state the
  // offset does not cover, e.g. consumer-group read counters in Redis 7.0).
  if (sa && sb && !sa->repl_id.empty() && sa->repl_id == sb->repl_id && sa->has_repl_offset &&
      sb->has_repl_offset) {
    if (sa->repl_offset != sb->repl_offset) {
      *why = "same replication id, offset " +
             std::to_string(std::max(sa->repl_offset, sb->repl_offset)) + " is the newest";
      return sa->repl_offset > sb->repl_offset;
    }
    *why = "same replication id and offset: the master wins";
    return a_master && !b_master;
  }
  auto when = [](const SourceCandidate& c) {
    int64_t ctime_ms = c.scan ? c.scan->ctime_s * 1000 : 0;
    return std::max(ctime_ms, c.newest_mtime_ms);
  };
  if (when(a) != when(b)) {
    *why = "newest by save time / file time";
    return when(a) > when(b);
  }
  *why = "tie: the master wins";
  return a_master && !b_master;
}

void DecideShard(const std::vector<VolumeReport>& volumes, const std::vector<int>& members,
                 ShardDecision* d) {
  Pick best;
  std::string why = "only usable source";
  for (int vi : members) {
    const VolumeReport& v = volumes[vi];
    int ci = -1;
    for (size_t i = 0; i < v.candidates.size(); ++i) {
      const SourceCandidate& c = v.candidates[i];
      if (c.health.ok()) {
        ci = static_cast<int>(i);
        break;
      }
      d->rejected.push_back(v.files.dir + ": " + std::string(SourceKindName(c.kind)) + " " +
                            c.path + ": " + c.health.ToString());
    }
    if (ci < 0) continue;
    if (best.volume < 0) {
      best = {vi, ci};
      continue;
    }
    std::string reason;
    const VolumeReport& bv = volumes[best.volume];
    if (Fresher(v.candidates[ci], v.is_master, bv.candidates[best.candidate], bv.is_master,
                &reason)) {
      best = {vi, ci};
    }
    why = reason;
  }
  d->volume = best.volume;
  d->candidate = best.candidate;
  if (best.volume < 0) {
    d->reason = members.empty() ? "no volume of this shard was given"
                                : "no usable source on any volume of this shard";
    return;
  }
  const VolumeReport& v = volumes[best.volume];
  const SourceCandidate& c = v.candidates[best.candidate];
  d->reason = std::string(SourceKindName(c.kind)) + " of " +
              (v.node_id.empty() ? "standalone " : v.is_master ? "master " : "replica ") +
              v.files.dir + " (" + why + ")";
  if (best.candidate > 0) d->reason += "; preferred source unusable";
}

}  // namespace

Result<Discovery> Discover(const std::vector<std::string>& dirs, const DiscoverOptions& options) {
  if (dirs.empty()) return Status::InvalidArgument("no volume directories given");
  Discovery out;
  out.volumes.resize(dirs.size());
  for (size_t i = 0; i < dirs.size(); ++i) {
    SK_RETURN_IF_ERROR(LoadVolume(dirs[i], &out.volumes[i]));
  }
  if (options.scan) ScanCandidates(&out.volumes, options);

  std::vector<NamedNodesConf> confs;
  for (const VolumeReport& v : out.volumes) {
    if (v.nodes) confs.push_back({*v.files.nodes_conf, *v.nodes});
    if (!v.nodes_status.ok()) out.warnings.push_back(v.nodes_status.ToString());
  }
  out.topology = MergeTopology(confs);
  for (const std::string& c : out.topology.conflicts) out.warnings.push_back(c);
  if (out.topology.unowned_slots() > 0 && !confs.empty()) {
    out.warnings.push_back(std::to_string(out.topology.unowned_slots()) +
                           " slots have no owner in any nodes.conf");
  }
  for (const OldShard& shard : out.topology.shards) {
    ShardDecision d;
    d.master_id = shard.master_id;
    d.slots = shard.slots;
    std::vector<int> members;
    for (size_t i = 0; i < out.volumes.size(); ++i) {
      const std::string& id = out.volumes[i].node_id;
      if (id.empty()) continue;
      if (id == shard.master_id ||
          std::find(shard.replica_ids.begin(), shard.replica_ids.end(), id) !=
              shard.replica_ids.end()) {
        members.push_back(static_cast<int>(i));
      }
    }
    DecideShard(out.volumes, members, &d);
    out.shards.push_back(std::move(d));
  }
  for (size_t i = 0; i < out.volumes.size(); ++i) {
    const VolumeReport& v = out.volumes[i];
    if (!v.node_id.empty() && out.topology.ShardOfNode(v.node_id) != nullptr) continue;
    if (v.nodes) {
      out.warnings.push_back(v.files.dir + ": node " + v.node_id +
                             " belongs to no shard that owns slots; ignored");
      continue;
    }
    ShardDecision d;
    d.master_id = "standalone:" + v.files.dir;
    DecideShard(out.volumes, {static_cast<int>(i)}, &d);
    out.shards.push_back(std::move(d));
  }
  return out;
}

}  // namespace shardkit::loader
