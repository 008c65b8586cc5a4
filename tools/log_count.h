// The key count of nodes whose output has log commands, for `shardkit
// check --report`: how many keys each such node must hold, exactly, by
// replaying in a ReplayServer every key the sources' logs touch.
//
// A node's expected count is (its base keys written, from recover's report,
// less those the log touches, less those expired since: the histogram)
// plus (the keys the replay of every log-touched closure routed to it
// leaves). Steps, per AOF source with log commands:
//  1. Index: read the log once; keep the 64-bit hash of every db-0 key a
//     command touches (as recover routes it: slots whose keys recover takes
//     from the source, which include unowned slots where it is the first
//     with keys; after its last flush), joined by union-find (tools/log_replay.h) with the
//     keys of the same command. A log that touches every key (a script,
//     SWAPDB, MOVE, a flush recover replays, a command whose keys cannot be
//     determined), or on a standalone target writes another db, leaves the
//     source's nodes unchecked.
//  2. Batches: closures are packed into batches of at most
//     kCountBatchKeys keys; a closure larger than that, or more than
//     kMaxCountBatches batches, leaves the source's nodes unchecked.
//  3. Per batch (the replay server FLUSHALLed first): read the source again;
//     RESTORE (ABSTTL) the batch's base keys recover wrote, counting them
//     per node ("base_touched", with their expiry histogram, to take out of
//     the report's); replay, in order, every command touching the batch
//     (transactions as MULTI/EXEC; RESTOREs and commands pipelined, at most
//     1024 commands or 16 MiB unanswered); then SCAN the replay server (a
//     script returns each key with its PEXPIRETIME) and count the keys per
//     node, each key once.
// Time: keys expire while check runs. A closure is "uncertain" when one of
// its base keys expires between the recovery time and a minute after
// `now_ms` (or before the recovery time when recover kept expired keys), a
// command sets an expiry within that minute or earlier, or one relative to
// when it runs (EXPIRE, SETEX, SET EX...: Redis writes them absolute), a
// key it leaves expires within that minute, or the replay server refused a
// base value: the node then holds 0 to (closure size) of its keys, a range
// as for base keys that may have expired, and none of its keys is in
// `replayed`. Keys of other closures expire more than a minute after
// `now_ms`, after the node's DBSIZE was read.
// Memory: the union-find (about 40 bytes per touched key), per batch the
// names of the keys the replay leaves and per closure its nodes; the replay
// server holds one batch's keys.
// Threading: one thread. Errors: none returned: a source that cannot be
// read, or a replay server that fails, leaves the source's nodes unchecked
// with the reason (keys_not_checked), never a mismatch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "loader/recovery_plan.h"
#include "storage/io_options.h"
#include "tools/layout_check.h"

namespace shardkit::tools {

class ReplayServer;

inline constexpr uint64_t kCountBatchKeys = 1'000'000;
inline constexpr uint64_t kMaxCountBatches = 16;
inline constexpr int64_t kCountMarginMs = 60'000;

struct LogCountOptions {
  int64_t now_ms = 0;
  storage::IoOptions io;
  ReplayServer* replay = nullptr;  // nullptr: `replay_unavailable` says why
  std::string replay_unavailable;
  // recover's report: expired_dropped == 0 means base keys expired before
  // the recovery time were written (--keep-expired) if there were any;
  // other_db_moved > 0 means keys or commands of other dbs went to db 0.
  // non_owner_kept > 0: a key of a slot its source did not own was written
  // (no owner had it); an owner's log may touch it.
  uint64_t report_expired_dropped = 0;
  uint64_t report_other_db_moved = 0;
  uint64_t report_non_owner_kept = 0;
};

struct LogCountOutcome {
  uint64_t sources = 0;
  uint64_t batches = 0;
  uint64_t commands_replayed = 0;
  uint64_t keys_restored = 0;
  std::vector<std::string> notes;
  double seconds = 0;
};

// For every node e[i] with has_log and !known: fills e[i].log and sets
// known, or leaves unknown_reason saying why not. Replicas get their
// master's count.
Result<LogCountOutcome> CountLogNodes(const loader::RecoveryPlan& plan,
                                      const LogCountOptions& options,
                                      std::vector<ExpectedKeys>* expected);

}  // namespace shardkit::tools
