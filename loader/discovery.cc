#include "loader/discovery.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "loader/aof_source.h"
#include "loader/ccs_grouping.h"
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

// One VolumeReport per shard copy of an Enterprise path (step 7).
void AddEnterpriseCopies(const EnterpriseVolume& ent, int ent_index,
                         std::vector<VolumeReport>* volumes) {
  for (const EnterpriseShardFile& f : ent.shard_files) {
    VolumeReport v;
    v.files.dir = f.path;
    v.files.real_dir = f.path;
    v.enterprise = EnterpriseCopy{f.name, ent_index};
    switch (f.name.kind) {
      case EnterpriseFileKind::kRdb:
        v.files.rdb = f.path;
        break;
      case EnterpriseFileKind::kAof:
        v.files.legacy_aof = f.path;
        break;
      case EnterpriseFileKind::kAofDir:
        v.files.aof_dir = f.path;
        if (!f.manifest.empty()) v.files.aof_manifest = f.manifest;
        break;
    }
    ListCandidates(&v);
    volumes->push_back(std::move(v));
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

// Scans every healthy candidate's RDB part (of the volumes `only` lists, or
// all), on up to `threads` threads; `estimate`: header scans where they serve.
// Returns the bytes the scans read, at most (a failed scan counts its files'
// sizes).
uint64_t ScanCandidates(std::vector<VolumeReport>* volumes, const DiscoverOptions& options,
                        bool estimate, const std::vector<int>* only = nullptr) {
  std::vector<SourceCandidate*> work;
  for (size_t vi = 0; vi < volumes->size(); ++vi) {
    if (only != nullptr && std::find(only->begin(), only->end(), static_cast<int>(vi)) ==
                               only->end()) {
      continue;
    }
    for (auto& c : (*volumes)[vi].candidates) {
      if (c.health.ok() && (!c.rdb_path.empty() || c.kind != SourceKind::kRdb)) {
        work.push_back(&c);
      }
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes_read{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) {
      SourceCandidate& c = *work[i];
      auto scan = c.kind == SourceKind::kRdb
                      ? (estimate ? ScanRdbHeader(c.rdb_path, options.io)
                                  : ScanRdbSource(c.rdb_path, options.now_ms, options.io))
                  : c.kind == SourceKind::kNative ? ScanNativeSource(c.path, options.io)
                  : estimate ? ScanAofSourceEstimated(c, options.now_ms, options.io)
                             : ScanAofSource(c, options.now_ms, options.io);
      if (scan.ok()) {
        if (IsAofKind(c.kind)) c.has_log_commands = scan->commands > 0;
        bytes_read += scan->bytes_read;
        c.scan = std::move(*scan);
      } else {
        for (const SourceFile& f : c.files) bytes_read += f.bytes;
        work[i]->health = scan.status();
      }
    }
  };
  const int n = std::max(1, std::min<int>(options.threads, static_cast<int>(work.size())));
  std::vector<std::thread> threads;
  for (int t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return bytes_read.load();
}

struct Pick {
  int volume = -1;
  int candidate = -1;
};

// When a source was last written: the later of its AUX ctime and its newest
// file's mtime.
int64_t SavedMs(const SourceCandidate& c) {
  const int64_t ctime_ms = c.scan ? c.scan->ctime_s * 1000 : 0;
  return std::max(ctime_ms, c.newest_mtime_ms);
}

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
  if (SavedMs(a) != SavedMs(b)) {
    *why = "newest by save time / file time";
    return SavedMs(a) > SavedMs(b);
  }
  *why = "tie: the master wins";
  return a_master && !b_master;
}

// A standalone volume counts as a master unless its redis.conf says
// `replicaof`; a cluster node as its nodes.conf says.
bool ActsAsMaster(const VolumeReport& v) {
  return v.node_id.empty() ? !v.files.conf.replicaof.has_value() : v.is_master;
}

// The replication id of a volume's sources: the first healthy scanned
// candidate that has one (an AOF base often has none, the RDB beside it does).
std::string VolumeLineage(const VolumeReport& v) {
  for (const SourceCandidate& c : v.candidates) {
    if (c.health.ok() && c.scan && !c.scan->repl_id.empty()) return c.scan->repl_id;
  }
  return "";
}

// Orders volume indices by directory (real path, then as given), so that no
// decision depends on the order the volumes were named in.
void SortByDirectory(const std::vector<VolumeReport>& volumes, std::vector<int>* members) {
  std::sort(members->begin(), members->end(), [&](int a, int b) {
    const VolumeFiles& fa = volumes[a].files;
    const VolumeFiles& fb = volumes[b].files;
    if (fa.real_dir != fb.real_dir) return fa.real_dir < fb.real_dir;
    if (fa.dir != fb.dir) return fa.dir < fb.dir;
    return a < b;
  });
}

void DecideShard(const std::vector<VolumeReport>& volumes, std::vector<int> members,
                 ShardDecision* d) {
  SortByDirectory(volumes, &members);
  d->members = members;
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
    if (Fresher(v.candidates[ci], ActsAsMaster(v), bv.candidates[best.candidate],
                ActsAsMaster(bv), &reason)) {
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
  const char* role = v.node_id.empty()
                         ? (ActsAsMaster(v) ? "standalone " : "standalone replica ")
                         : (v.is_master ? "master " : "replica ");
  d->reason = std::string(SourceKindName(c.kind)) + " of " + role + v.files.dir + " (" + why + ")";
  if (best.candidate > 0) d->reason += "; preferred source unusable";
  if (members.size() > 1 && !d->lineage.empty()) {
    d->reason += "; " + std::to_string(members.size()) + " volumes of replication id " +
                 d->lineage;
  }
}

// SavedMs of a shard's chosen source (0 when none is usable).
int64_t ChosenSavedMs(const Discovery& d, const ShardDecision& s) {
  const SourceCandidate* c = d.Chosen(s);
  return c == nullptr ? 0 : SavedMs(*c);
}

// The slots a shard's keys may be in: those it owns and those its chosen
// source holds keys in.
SlotSet ShardKeySlots(const Discovery& d, const ShardDecision& s) {
  SlotSet out = s.slots;
  if (const SourceCandidate* c = d.Chosen(s); c != nullptr && c->scan) out |= c->scan->present_slots;
  return out;
}

std::string ShardVolumes(const Discovery& d, const ShardDecision& s) {
  std::string out;
  for (int vi : s.members) out += (out.empty() ? "" : ", ") + d.volumes[vi].files.dir;
  return out.empty() ? s.master_id : out;
}

// Step 6 of the header: pairs of shards, one of them standalone, whose keys
// share a slot (or both hold keys outside db 0).
void FindAmbiguities(Discovery* d) {
  for (size_t a = 0; a < d->shards.size(); ++a) {
    const ShardDecision& sa = d->shards[a];
    if (!sa.standalone) continue;
    const SourceCandidate* ca = d->Chosen(sa);
    if (ca == nullptr || !ca->scan) continue;
    for (size_t b = 0; b < d->shards.size(); ++b) {
      const ShardDecision& sb = d->shards[b];
      if (b == a || (sb.standalone && b < a)) continue;
      const SourceCandidate* cb = d->Chosen(sb);
      if (cb == nullptr || !cb->scan) continue;
      Ambiguity amb;
      amb.shard_a = static_cast<int>(std::min(a, b));
      amb.shard_b = static_cast<int>(std::max(a, b));
      amb.slot = ca->scan->present_slots.FirstShared(ShardKeySlots(*d, sb));
      const bool other_dbs = ca->scan->keys_other_dbs > 0 && cb->scan->keys_other_dbs > 0;
      if (amb.slot < 0 && !other_dbs) continue;
      const ShardDecision& first = d->shards[amb.shard_a];
      const ShardDecision& second = d->shards[amb.shard_b];
      auto lineage = [](const ShardDecision& s) {
        return s.lineage.empty() ? std::string("no replication id")
                                 : "replication id " + s.lineage;
      };
      amb.message = "volumes [" + ShardVolumes(*d, first) + "] (" + lineage(first) +
                    ") and [" + ShardVolumes(*d, second) + "] (" + lineage(second) +
                    ") are not copies of one database but both hold keys " +
                    (amb.slot >= 0 ? "in slot " + std::to_string(amb.slot)
                                   : std::string("outside db 0"));
      d->ambiguous.push_back(std::move(amb));
    }
  }
}

// Step 7: Enterprise copies of one uid, or of one replication id, are one
// shard (union-find over the copies, in directory order).
void GroupEnterpriseCopies(const Discovery& d, std::vector<ShardDecision>* out) {
  std::vector<int> copies;
  for (size_t i = 0; i < d.volumes.size(); ++i) {
    if (d.volumes[i].enterprise.has_value()) copies.push_back(static_cast<int>(i));
  }
  SortByDirectory(d.volumes, &copies);
  std::vector<int> group(copies.size());
  for (size_t i = 0; i < copies.size(); ++i) group[i] = static_cast<int>(i);
  auto root = [&](int i) {
    while (group[i] != i) i = group[i];
    return i;
  };
  for (size_t a = 0; a < copies.size(); ++a) {
    const VolumeReport& va = d.volumes[copies[a]];
    for (size_t b = 0; b < a; ++b) {
      const VolumeReport& vb = d.volumes[copies[b]];
      const bool same_uid = va.enterprise->name.uid == vb.enterprise->name.uid;
      const bool same_lineage = !va.lineage.empty() && va.lineage == vb.lineage;
      if (same_uid || same_lineage) group[root(static_cast<int>(a))] = root(static_cast<int>(b));
    }
  }
  for (size_t g = 0; g < copies.size(); ++g) {
    if (root(static_cast<int>(g)) != static_cast<int>(g)) continue;
    std::vector<int> members;
    ShardDecision s;
    s.standalone = true;
    for (size_t i = 0; i < copies.size(); ++i) {
      if (root(static_cast<int>(i)) != static_cast<int>(g)) continue;
      const VolumeReport& v = d.volumes[copies[i]];
      members.push_back(copies[i]);
      s.enterprise_uids.push_back(v.enterprise->name.uid);
      if (s.lineage.empty()) s.lineage = v.lineage;
    }
    std::sort(s.enterprise_uids.begin(), s.enterprise_uids.end());
    s.enterprise_uids.erase(std::unique(s.enterprise_uids.begin(), s.enterprise_uids.end()),
                            s.enterprise_uids.end());
    DecideShard(d.volumes, std::move(members), &s);
    s.master_id = "enterprise:";
    for (uint64_t uid : s.enterprise_uids) {
      s.master_id += (s.master_id.back() == ':' ? "" : ",") + std::to_string(uid);
    }
    out->push_back(std::move(s));
  }
}

}  // namespace

Result<Discovery> ListVolumes(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return Status::InvalidArgument("no volume directories given");
  // One volume named twice (`plan V V`, or V and V/) would be read twice and
  // judged as two copies of itself (or refused as two databases sharing
  // slots, which misleads): name the repeat instead. Paths that cannot be
  // stat'ed are left to LoadVolume's error.
  std::map<std::pair<dev_t, ino_t>, std::string> seen;
  for (const std::string& dir : dirs) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) continue;
    auto [it, fresh] = seen.emplace(std::make_pair(st.st_dev, st.st_ino), dir);
    if (!fresh) {
      return Status::InvalidArgument("volume " + dir + " is given twice (also as " + it->second +
                                     "): name each old volume once");
    }
  }
  Discovery out;
  for (const std::string& dir : dirs) {
    SK_ASSIGN_OR_RETURN(std::optional<EnterpriseVolume> ent, ScanEnterprisePath(dir));
    if (ent.has_value()) {
      AddEnterpriseCopies(*ent, static_cast<int>(out.enterprise_volumes.size()), &out.volumes);
      for (const std::string& note : ent->notes) out.warnings.push_back(dir + ": " + note);
      out.enterprise_volumes.push_back(std::move(*ent));
      continue;
    }
    out.volumes.emplace_back();
    SK_RETURN_IF_ERROR(LoadVolume(dir, &out.volumes.back()));
  }
  return out;
}

uint64_t ScanVolumeCandidates(std::vector<VolumeReport>* volumes, const DiscoverOptions& options,
                              const std::vector<int>* only) {
  return ScanCandidates(volumes, options, options.estimate, only);
}

void ReadCcsCopies(Discovery* d, const DiscoverOptions& options) {
  for (const EnterpriseVolume& e : d->enterprise_volumes) {
    for (const std::string& path : e.ccs_files) d->ccs.push_back(ReadCcs(path, options.io));
  }
}

Result<Discovery> ScanVolumes(const std::vector<std::string>& dirs,
                              const DiscoverOptions& options) {
  SK_ASSIGN_OR_RETURN(Discovery out, ListVolumes(dirs));
  if (options.scan) {
    out.scan_bytes_read = ScanVolumeCandidates(&out.volumes, options);
    ReadCcsCopies(&out, options);
  }
  return out;
}

// The estimating discover's exception: standalone volumes (no nodes.conf;
// Redis Enterprise shard copies too) own no slots, so only their keys' slots
// tell whether they share slots with another shard (the ambiguity check).
// They are read in full unless they are the only volumes and all of one
// replication lineage (one database and its replicas: nothing to share with).
std::vector<int> StandaloneVolumesToRescan(const std::vector<VolumeReport>& volumes) {
  std::vector<int> standalone;
  std::set<std::string> lineages;
  for (size_t i = 0; i < volumes.size(); ++i) {
    const VolumeReport& v = volumes[i];
    if (v.nodes) continue;
    standalone.push_back(static_cast<int>(i));
    lineages.insert(VolumeLineage(v));
  }
  const bool one_database =
      standalone.size() == volumes.size() && lineages.size() == 1 && !lineages.begin()->empty();
  if (one_database) standalone.clear();
  return standalone;
}

uint64_t RescanStandaloneVolumes(Discovery* d, const DiscoverOptions& options) {
  const std::vector<int> standalone = StandaloneVolumesToRescan(d->volumes);
  if (standalone.empty()) return 0;
  DiscoverOptions full = options;
  full.estimate = false;
  const uint64_t bytes = ScanVolumeCandidates(&d->volumes, full, &standalone);
  d->scan_bytes_read += bytes;
  return bytes;
}

namespace {

// Step 2: the topology from every nodes.conf, and the volumes that have none
// (standalone volumes; a volume whose nodes.conf names a node of no
// slot-owning shard is a cluster node and is ignored).
std::vector<int> MergeNodesConfs(Discovery* discovery) {
  Discovery& out = *discovery;
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
  for (VolumeReport& v : out.volumes) v.lineage = VolumeLineage(v);
  std::vector<int> standalone;
  for (size_t i = 0; i < out.volumes.size(); ++i) {
    const VolumeReport& v = out.volumes[i];
    if (v.enterprise.has_value()) continue;  // step 7
    if (!v.node_id.empty() && out.topology.ShardOfNode(v.node_id) != nullptr) continue;
    if (v.nodes) {
      out.warnings.push_back(v.files.dir + ": node " + v.node_id +
                             " belongs to no shard that owns slots; ignored");
      continue;
    }
    standalone.push_back(static_cast<int>(i));
  }
  return standalone;
}

// Step 4, with the standalone volumes of a cluster shard's lineage (step 5):
// one decision per old shard. Sets joined[v] for each standalone volume taken.
void DecideClusterShards(const std::vector<int>& standalone, std::vector<bool>* joined,
                         Discovery* discovery) {
  Discovery& out = *discovery;
  for (const OldShard& shard : out.topology.shards) {
    ShardDecision d;
    d.master_id = shard.master_id;
    d.slots = shard.slots;
    std::vector<int> members;
    for (size_t i = 0; i < out.volumes.size(); ++i) {
      const std::string& id = out.volumes[i].node_id;
      if (id.empty()) continue;
      if (id == shard.master_id || std::find(shard.replica_ids.begin(), shard.replica_ids.end(),
                                             id) != shard.replica_ids.end()) {
        members.push_back(static_cast<int>(i));
      }
    }
    // A standalone volume of the same lineage is a node of this shard whose
    // nodes.conf was lost.
    const size_t cluster_members = members.size();
    for (int vi : standalone) {
      const std::string& lineage = out.volumes[vi].lineage;
      if (lineage.empty() || (*joined)[vi]) continue;
      for (size_t m = 0; m < cluster_members; ++m) {
        if (out.volumes[members[m]].lineage == lineage) {
          members.push_back(vi);
          (*joined)[vi] = true;
          d.lineage = lineage;
          out.warnings.push_back(out.volumes[vi].files.dir +
                                 ": no nodes.conf, but replication id " + lineage + " is shard " +
                                 shard.master_id + "'s: taken as one of its copies");
          break;
        }
      }
    }
    DecideShard(out.volumes, std::move(members), &d);
    out.shards.push_back(std::move(d));
  }
}

// Steps 5 and 7: the other standalone volumes, one shard per lineage, and
// the Enterprise copies; listed freshest first, then by directory.
void DecideStandaloneShards(const std::vector<int>& standalone, const std::vector<bool>& joined,
                            Discovery* discovery) {
  Discovery& out = *discovery;
  std::vector<std::vector<int>> groups;
  for (int vi : standalone) {
    if (joined[vi]) continue;
    const std::string& lineage = out.volumes[vi].lineage;
    auto same = std::find_if(groups.begin(), groups.end(), [&](const std::vector<int>& g) {
      return !lineage.empty() && out.volumes[g[0]].lineage == lineage;
    });
    if (same != groups.end()) {
      same->push_back(vi);
    } else {
      groups.push_back({vi});
    }
  }
  std::vector<ShardDecision> singles;
  GroupEnterpriseCopies(out, &singles);
  for (std::vector<int>& g : groups) {
    ShardDecision d;
    d.standalone = true;
    d.lineage = out.volumes[g[0]].lineage;
    DecideShard(out.volumes, std::move(g), &d);
    d.master_id = "standalone:" + out.volumes[d.volume >= 0 ? d.volume : d.members[0]].files.dir;
    singles.push_back(std::move(d));
  }
  // Freshest first (a merge lets the first source holding a slot win), then
  // by directory.
  std::stable_sort(
      singles.begin(), singles.end(), [&](const ShardDecision& a, const ShardDecision& b) {
        const int64_t wa = ChosenSavedMs(out, a), wb = ChosenSavedMs(out, b);
        if (wa != wb) return wa > wb;
        const VolumeFiles& fa = out.volumes[a.members[0]].files;
        const VolumeFiles& fb = out.volumes[b.members[0]].files;
        return fa.real_dir != fb.real_dir ? fa.real_dir < fb.real_dir : fa.dir < fb.dir;
      });
  for (ShardDecision& d : singles) out.shards.push_back(std::move(d));
}

}  // namespace

void DecideDiscovery(Discovery* discovery) {
  Discovery& out = *discovery;
  for (const CcsReport& c : out.ccs) {
    if (!c.status.ok()) {
      out.warnings.push_back("CCS " + c.path + " unreadable: " + c.status.ToString());
    }
  }
  for (std::string& w : CompareCcsCopies(out.ccs)) out.warnings.push_back(std::move(w));
  const std::vector<int> standalone = MergeNodesConfs(&out);
  std::vector<bool> joined(out.volumes.size(), false);
  DecideClusterShards(standalone, &joined, &out);
  DecideStandaloneShards(standalone, joined, &out);
  FindAmbiguities(&out);
  for (const Ambiguity& a : out.ambiguous) out.warnings.push_back(a.message);
  for (std::string& m : GroupShardsByCcs(out).disagreements) out.warnings.push_back(std::move(m));
}

Result<Discovery> Discover(const std::vector<std::string>& dirs, const DiscoverOptions& options) {
  SK_ASSIGN_OR_RETURN(Discovery out, ScanVolumes(dirs, options));
  if (options.scan && options.estimate) RescanStandaloneVolumes(&out, options);
  DecideDiscovery(&out);
  return out;
}

}  // namespace shardkit::loader
