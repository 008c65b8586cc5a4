// Sampled values of an AOF source (an RDB or RESP base, then log commands),
// for `shardkit check`: what value each sampled key should have after the
// log, without replaying the whole log.
//
// Steps, per source:
//  1. Index: read the source once (its RDB part raw, values captured only
//     for keys in the sample; every log command after it). Per db-0 key the
//     log touches, only a 64-bit hash is kept (not the key: a log touches up
//     to every key of the source), joined by union-find with the keys that
//     appear in one command with it (RENAME, SMOVE, ...); the sampled keys
//     the log touches are kept as strings (they are few: the sample). As
//     recover does, a source with a FLUSHALL / FLUSHDB of db 0 in its log
//     starts at the last one (PlanSource::flush_file): its RDB part and the
//     commands before are skipped. A log with SWAPDB, MOVE, COPY ... DB, a
//     script (EVAL*, FCALL*: it may touch undeclared keys), a command whose
//     keys cannot be determined, or a flush that recover replays (a
//     standalone plan of one source) makes every key of the source
//     "touched": none of its sampled keys is compared, and a note says why.
//  2. Sampled keys the log never touches keep their base value.
//  3. For the others, the closure of each (its union-find class, at most
//     kMaxClosureKeys keys, else "not compared: closure too large"): a
//     second read of the source RESTOREs the closures' base values into
//     the ReplayServer (absolute expiry, ABSTTL) and replays, in log order
//     and in db 0, every log command touching a closure (a transaction's
//     such commands inside MULTI/EXEC), as recover routes them: commands
//     in other dbs and in slots the source does not own are left out. Then
//     DUMP and PEXPIRETIME of each sampled key give its expected value, or
//     its absence. A closure holding a key whose base expiry falls between
//     the plan's recovery time and a minute from now is not compared (the
//     node may have loaded it before it expired, the replay after), nor a
//     key whose replayed expiry is within a minute.
// Without a ReplayServer, the touched keys are counted as not compared
// ("no replay server"), which is a note, not a mismatch.
// Not handled: log-set expiries of other closure keys that pass between the
// node's load and the replay (rare: a key expiring while check runs).
// Memory: the union-find (about 40 bytes per touched key), the sampled
// base values, one base value at a time during the replay.
// Threading: one thread. Errors: source I/O and corruption naming the file;
// a broken connection to the replay server.
#pragma once

#include "base/status.h"
#include "loader/recovery_plan.h"
#include "tools/value_sample.h"

namespace shardkit::tools {

inline constexpr uint64_t kMaxClosureKeys = 1000;

// Appends the source's sampled keys to out->by_node and its counts and
// notes to *out. REQUIRES: source.kind is an AOF kind.
Status SampleLogSource(const loader::RecoveryPlan& plan, const loader::PlanSource& source,
                       const SampleOptions& options, ValueSample* out);

}  // namespace shardkit::tools
