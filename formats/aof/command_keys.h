// Key extraction and slot routing for the write commands Redis 7.x puts in
// an append-only file (what clients, MULTI/EXEC and script effects propagate),
// following the key specs of Redis's command table.
//
// ExtractKeys returns where the keys of a command are (argument indices) and
// how it routes:
//  * kKeyed: every key index; `slot` is the hash slot of the first key and
//    `cross_slot` is true when the keys do not all share it (a standalone
//    source can log such commands; a Redis Cluster cannot);
//  * kEveryNode: a key-less command that changes every shard's state
//    (FLUSHALL, FLUSHDB, SWAPDB, SELECT, MULTI/EXEC markers, FUNCTION
//    LOAD/DELETE/FLUSH/RESTORE, SCRIPT LOAD/FLUSH);
//  * kNone: a key-less command with no effect on stored data (PUBLISH, PING,
//    SCRIPT/FUNCTION read-only sub-commands): a splitter drops it.
// Command names and sub-commands are matched case-insensitively.
//
// Threading: pure functions over a static table; thread-safe.
// Errors: kNotSupported "unknown command 'X'" for a command not in the table
// (never a silent drop); kCorruption "wrong number of arguments for 'set'
// (2)" or "bad numkeys ..." when the arguments cannot hold the keys the
// command declares. Callers add the file and offset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardkit::formats::aof {

enum class Routing : uint8_t { kKeyed, kEveryNode, kNone };
std::string_view RoutingName(Routing routing);

struct CommandKeys {
  Routing routing = Routing::kNone;
  std::vector<uint32_t> positions;  // argument indices of the keys (kKeyed)
  int slot = -1;                    // slot of the first key (kKeyed), else -1
  bool cross_slot = false;          // kKeyed: keys in more than one slot
};

// Fills *out (its vector's capacity is reused). REQUIRES: !args.empty().
Status ExtractKeys(std::span<const std::string> args, CommandKeys* out);

// Convenience: the slot of a keyed command, or -1 for kEveryNode/kNone.
// kCorruption for a keyed command whose keys span several slots.
Result<int> SlotOf(std::span<const std::string> args);

// Every command name the table knows, lowercase (for documentation/tests).
std::vector<std::string_view> KnownCommands();

}  // namespace shardkit::formats::aof
