// Discover: what every old volume holds and which source is authoritative
// for each old shard.
//
// Steps:
// 1. ScanVolume each directory (file names only; boundaries enforced).
// 2. Parse each nodes.conf; MergeTopology gives slot ownership (highest
//    config epoch) and which node ids form each shard.
// 3. Per volume, list source candidates in Redis's own order of preference:
//    the AOF when AOF was enabled (redis.conf "appendonly yes", or no
//    redis.conf and an AOF present), then the snapshots: the RDB and a
//    native snapshot (*.skn), the fresher first. With options.scan, each
//    candidate is read in full (structure, CRC, per-slot stats); a candidate
//    that fails is kept with its error and never chosen.
// 4. Per shard, among its master's and replicas' volumes, choose the
//    freshest healthy source: same replication id -> larger offset; else the
//    newer of (AUX ctime, newest file mtime); the master on a tie. A shard
//    whose master volume is missing or corrupt falls back to a replica's.
// 5. Volumes without any nodes.conf (standalone volumes) are grouped by
//    replication lineage: the `repl-id` AUX field of their sources. A
//    standalone volume of the same lineage as a cluster shard's volume (a
//    cluster node whose nodes.conf was lost) joins that shard; other
//    standalone volumes of one lineage form one shard (a standalone master
//    and its replicas), decided as in step 4 (a volume whose redis.conf has
//    `replicaof` counts as a replica). A volume with no repl-id is a lineage
//    of its own. Standalone shards own no slots: every key they hold is
//    accepted. They are listed freshest first (save time / file time of the
//    chosen source), then by directory, whatever the argument order.
// 6. Shards of different lineages that hold keys in a common slot, where one
//    of them is standalone, are ambiguous (two unrelated databases, or a
//    copy whose lineage cannot be told): each such pair is reported in
//    `ambiguous` with one slot they share; `plan` refuses them unless asked
//    to merge (loader/recovery_plan.h).
// 7. Redis Enterprise paths (loader/enterprise_volume.h): every shard copy
//    (redis-<uid>.rdb, appendonly-<uid>.aof, appendonly-<uid>.aof.dir/, .prev
//    copies) is a standalone volume of its own. Copies of one uid, and
//    copies sharing a replication id (an old master's file beside its
//    replica's), form one shard, decided as in step 4. CCS files are listed
//    in enterprise_volumes, never read as data; with options.scan each is
//    read for what it says (loader/ccs_reader.h), disagreeing copies warned.
// The choice never depends on the order the volumes are given in: members of
// a shard are considered in directory order and full ties go to the first.
// Every choice carries a one-line reason; every rejected candidate and every
// topology conflict is reported.
//
// Discover runs in three parts, which callers may run apart (one process per
// volume: `discover --volume-report`, loader/volume_report.h):
//   ScanVolumes       steps 1 and 3 and the CCS reads of step 7: each volume
//                     on its own, no decision depends on another volume;
//   RescanStandaloneVolumes  the estimating scan's exception (below), the one
//                     read that depends on every volume;
//   DecideDiscovery   the rest: no I/O, a function of what the scans read.
// Discover = ScanVolumes, then (estimate) RescanStandaloneVolumes, then
// DecideDiscovery.
//
// Threading: Discover scans candidates on up to options.threads threads.
// Errors: only for unusable input as a whole (no directory given, a volume
// that does not exist or escapes its boundary); damaged files are reported
// in the result, not returned as errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/ccs_reader.h"
#include "loader/cluster_topology.h"
#include "loader/enterprise_volume.h"
#include "loader/nodes_conf.h"
#include "loader/source_scan.h"
#include "loader/volume_scan.h"
#include "storage/io_options.h"

namespace shardkit::loader {

enum class SourceKind { kRdb, kAofMultipart, kAofLegacy, kNative };
std::string_view SourceKindName(SourceKind kind);
inline bool IsAofKind(SourceKind kind) {
  return kind == SourceKind::kAofMultipart || kind == SourceKind::kAofLegacy;
}

// A file a source is read from, with what it looked like when first seen
// (recover refuses sources that changed since the plan).
struct SourceFile {
  std::string path;
  uint64_t bytes = 0;
  int64_t mtime_ms = 0;
};

struct SourceCandidate {
  SourceKind kind = SourceKind::kRdb;
  std::string path;           // the RDB, the AOF manifest, or the legacy AOF
  std::string rdb_path;       // the RDB part that holds keys (RDB, base .rdb); may be empty
  std::vector<SourceFile> files;  // what is read, in load order (AOF: base, then incr)
  bool has_log_commands = false;  // RESP commands after the RDB part
  int64_t newest_mtime_ms = 0;
  Status health;              // OK, or why it cannot be used
  std::optional<SourceScan> scan;
};

// Redis Enterprise (SPEC.md "Enterprise volumes"): a node volume holds one
// file or multi-part directory per shard copy. Each copy becomes a
// VolumeReport of its own (files.dir = the copy's path) that carries this.
struct EnterpriseCopy {
  EnterpriseShardName name;  // uid, kind, .prev
  int enterprise_volume = -1;  // index into Discovery::enterprise_volumes
};

struct VolumeReport {
  VolumeFiles files;
  std::optional<EnterpriseCopy> enterprise;
  std::string lineage;        // repl-id of its sources (scan only); empty = unknown
  std::optional<NodesConf> nodes;
  Status nodes_status;        // parse error of nodes.conf, if any
  std::string node_id;        // "myself" in nodes.conf; empty if none
  bool is_master = false;
  std::string master_id;      // for replicas
  bool aof_enabled = false;
  std::vector<SourceCandidate> candidates;  // preference order
};

struct ShardDecision {
  std::string master_id;      // "standalone:<dir>" for volumes without nodes.conf
  SlotSet slots;              // slots the shard owns (empty for standalone)
  bool standalone = false;    // from volumes without nodes.conf
  std::string lineage;        // replication id shared by its volumes; may be empty
  std::vector<int> members;   // volumes considered, in directory order
  int volume = -1;            // chosen volume index, -1 = none usable
  int candidate = -1;         // index into that volume's candidates
  std::string reason;
  std::vector<std::string> rejected;
  // Redis Enterprise: the uids of the shard copies considered (sorted, unique).
  std::vector<uint64_t> enterprise_uids;
};

// Two shards of different lineages, one of them standalone, that hold keys in
// a common slot (or both in dbs other than 0: slot -1).
struct Ambiguity {
  int shard_a = -1;           // indices into Discovery::shards
  int shard_b = -1;
  int slot = -1;              // one slot both hold keys in; -1: other dbs
  std::string message;        // names both shards' volumes and the slot
};

struct DiscoverOptions {
  bool scan = true;
  // With scan: read each RDB part only up to its first db (ScanRdbHeader,
  // ScanAofSourceEstimated) instead of in full, for a plan balanced on
  // estimated slot bytes (PlanOptions, SPEC.md "Estimated plans"). Standalone
  // volumes are still read in full when another shard could share slots with
  // them (their key slots decide the ambiguity check), and so are sources
  // whose log cannot be read without their RDB part (a legacy AOF).
  bool estimate = false;
  int threads = 2;
  int64_t now_ms = 0;         // "recovery time" for expiry counts
  storage::IoOptions io;
};

struct Discovery {
  std::vector<VolumeReport> volumes;
  // Paths that were Redis Enterprise's, with their CCS copies (listed, never
  // read as user data) and notes; their shard copies are in `volumes`.
  std::vector<EnterpriseVolume> enterprise_volumes;
  // Every CCS copy of those paths, read for the report only (full scan).
  std::vector<CcsReport> ccs;
  ClusterTopology topology;
  std::vector<ShardDecision> shards;  // cluster shards, then standalone ones
  std::vector<Ambiguity> ambiguous;
  std::vector<std::string> warnings;
  // What the scans read from disk, at most (SourceScan::bytes_read summed
  // over every candidate scanned, the ones not chosen too).
  uint64_t scan_bytes_read = 0;

  const SourceCandidate* Chosen(const ShardDecision& d) const {
    return d.volume < 0 ? nullptr : &volumes[d.volume].candidates[d.candidate];
  }
};

Result<Discovery> Discover(const std::vector<std::string>& dirs, const DiscoverOptions& options);

// Step 1 and the candidate lists of step 3, by names and sizes only: each
// volume's files and candidates (health: what the names and sizes say), the
// Enterprise paths with their copies and CCS files (their notes in
// `warnings`). Nothing is read. Errors: as Discover's.
Result<Discovery> ListVolumes(const std::vector<std::string>& dirs);

// Scans the healthy candidates of volumes[i] for each i in `only` (every
// volume when null) as options.estimate says, on up to options.threads
// threads: sets each one's scan, or its health to why the scan failed.
// Returns what the scans read, at most (a failed scan counts its files'
// sizes).
uint64_t ScanVolumeCandidates(std::vector<VolumeReport>* volumes, const DiscoverOptions& options,
                              const std::vector<int>* only = nullptr);

// Reads every CCS copy that d->enterprise_volumes list into d->ccs.
void ReadCcsCopies(Discovery* d, const DiscoverOptions& options);

// ListVolumes, then (options.scan) ScanVolumeCandidates and ReadCcsCopies:
// volumes, enterprise_volumes, ccs, warnings and scan_bytes_read of a
// Discovery, the rest left to DecideDiscovery.
Result<Discovery> ScanVolumes(const std::vector<std::string>& dirs, const DiscoverOptions& options);

// The estimating scan's exception (DiscoverOptions::estimate): standalone
// volumes (no nodes.conf; Redis Enterprise shard copies too) own no slots, so
// only their keys' slots tell whether they share slots with another shard.
// They are read in full unless they are the only volumes and all of one
// replication lineage (by what their header scans say). Returns the indices
// of the volumes to read in full (empty: none).
std::vector<int> StandaloneVolumesToRescan(const std::vector<VolumeReport>& volumes);

// Reads those volumes' candidates in full (after a header scan) and adds what
// that read to d->scan_bytes_read; returns it.
uint64_t RescanStandaloneVolumes(Discovery* d, const DiscoverOptions& options);

// Steps 2 and 4-7 over what the scans found: topology, shards and their
// sources, lineages, ambiguities, CCS grouping and their warnings (appended
// to d->warnings). No I/O; d's topology, shards and ambiguous must be empty.
void DecideDiscovery(Discovery* d);

}  // namespace shardkit::loader
