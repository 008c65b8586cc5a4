// The table below follows the key specs of Redis 7.x src/commands/*.json:
// a range (first, last, step; last < 0 counts from the end), a numkeys
// argument followed by that many keys, or a keyword search (SORT ... STORE,
// GEORADIUS ... STORE, XREADGROUP ... STREAMS). Only commands that can reach
// an AOF are listed (writes, plus the read commands that may propagate).
#include "formats/aof/command_keys.h"

#include <strings.h>

#include <algorithm>
#include <unordered_map>

#include "formats/encodings/hash_slot.h"

namespace shardkit::formats::aof {
namespace {

using Args = std::span<const std::string>;

enum class Rule : uint8_t {
  kRange,       // keys first..last step
  kNumKeys,     // args[first] = numkeys, keys start at `last`; plus `step`
                // extra leading key when step == 1 (ZUNIONSTORE's destination)
  kSortStore,   // key 1, plus the argument after STORE
  kGeoStore,    // key 1, plus the argument after STORE / STOREDIST
  kStreams,     // keys after STREAMS (XREADGROUP)
  kXGroup,      // sub-command; key 2
  kSubcommand,  // key-less with sub-commands (FUNCTION, SCRIPT)
  kEveryNode,
  kNone,
};

struct Spec {
  int min_args;  // including the command name
  Rule rule;
  int first = 0;
  int last = 0;
  int step = 1;
};

const std::unordered_map<std::string_view, Spec>& Table() {
  static const auto* table = new std::unordered_map<std::string_view, Spec>{
      // Strings.
      {"set", {3, Rule::kRange, 1, 1}},
      {"setex", {4, Rule::kRange, 1, 1}},
      {"psetex", {4, Rule::kRange, 1, 1}},
      {"setnx", {3, Rule::kRange, 1, 1}},
      {"getset", {3, Rule::kRange, 1, 1}},
      {"getdel", {2, Rule::kRange, 1, 1}},
      {"getex", {2, Rule::kRange, 1, 1}},
      {"append", {3, Rule::kRange, 1, 1}},
      {"incr", {2, Rule::kRange, 1, 1}},
      {"decr", {2, Rule::kRange, 1, 1}},
      {"incrby", {3, Rule::kRange, 1, 1}},
      {"decrby", {3, Rule::kRange, 1, 1}},
      {"incrbyfloat", {3, Rule::kRange, 1, 1}},
      {"setrange", {4, Rule::kRange, 1, 1}},
      {"setbit", {4, Rule::kRange, 1, 1}},
      {"bitfield", {2, Rule::kRange, 1, 1}},
      {"bitop", {4, Rule::kRange, 2, -1}},
      {"mset", {3, Rule::kRange, 1, -1, 2}},
      {"msetnx", {3, Rule::kRange, 1, -1, 2}},
      // Generic keyspace.
      {"del", {2, Rule::kRange, 1, -1}},
      {"unlink", {2, Rule::kRange, 1, -1}},
      {"expire", {3, Rule::kRange, 1, 1}},
      {"pexpire", {3, Rule::kRange, 1, 1}},
      {"expireat", {3, Rule::kRange, 1, 1}},
      {"pexpireat", {3, Rule::kRange, 1, 1}},
      {"persist", {2, Rule::kRange, 1, 1}},
      {"rename", {3, Rule::kRange, 1, 2}},
      {"renamenx", {3, Rule::kRange, 1, 2}},
      {"copy", {3, Rule::kRange, 1, 2}},
      {"move", {3, Rule::kRange, 1, 1}},
      {"restore", {4, Rule::kRange, 1, 1}},
      {"restore-asking", {4, Rule::kRange, 1, 1}},
      {"sort", {2, Rule::kSortStore}},
      // Lists.
      {"lpush", {3, Rule::kRange, 1, 1}},
      {"rpush", {3, Rule::kRange, 1, 1}},
      {"lpushx", {3, Rule::kRange, 1, 1}},
      {"rpushx", {3, Rule::kRange, 1, 1}},
      {"lpop", {2, Rule::kRange, 1, 1}},
      {"rpop", {2, Rule::kRange, 1, 1}},
      {"linsert", {5, Rule::kRange, 1, 1}},
      {"lset", {4, Rule::kRange, 1, 1}},
      {"ltrim", {4, Rule::kRange, 1, 1}},
      {"lrem", {4, Rule::kRange, 1, 1}},
      {"rpoplpush", {3, Rule::kRange, 1, 2}},
      {"brpoplpush", {4, Rule::kRange, 1, 2}},
      {"lmove", {5, Rule::kRange, 1, 2}},
      {"blmove", {6, Rule::kRange, 1, 2}},
      {"blpop", {3, Rule::kRange, 1, -2}},
      {"brpop", {3, Rule::kRange, 1, -2}},
      {"lmpop", {4, Rule::kNumKeys, 1, 2, 0}},
      {"blmpop", {5, Rule::kNumKeys, 2, 3, 0}},
      // Sets.
      {"sadd", {3, Rule::kRange, 1, 1}},
      {"srem", {3, Rule::kRange, 1, 1}},
      {"spop", {2, Rule::kRange, 1, 1}},
      {"smove", {4, Rule::kRange, 1, 2}},
      {"sinterstore", {3, Rule::kRange, 1, -1}},
      {"sunionstore", {3, Rule::kRange, 1, -1}},
      {"sdiffstore", {3, Rule::kRange, 1, -1}},
      // Sorted sets.
      {"zadd", {4, Rule::kRange, 1, 1}},
      {"zincrby", {4, Rule::kRange, 1, 1}},
      {"zrem", {3, Rule::kRange, 1, 1}},
      {"zremrangebyscore", {4, Rule::kRange, 1, 1}},
      {"zremrangebyrank", {4, Rule::kRange, 1, 1}},
      {"zremrangebylex", {4, Rule::kRange, 1, 1}},
      {"zpopmin", {2, Rule::kRange, 1, 1}},
      {"zpopmax", {2, Rule::kRange, 1, 1}},
      {"bzpopmin", {3, Rule::kRange, 1, -2}},
      {"bzpopmax", {3, Rule::kRange, 1, -2}},
      {"zunionstore", {4, Rule::kNumKeys, 2, 3, 1}},
      {"zinterstore", {4, Rule::kNumKeys, 2, 3, 1}},
      {"zdiffstore", {4, Rule::kNumKeys, 2, 3, 1}},
      {"zrangestore", {5, Rule::kRange, 1, 2}},
      {"zmpop", {4, Rule::kNumKeys, 1, 2, 0}},
      {"bzmpop", {5, Rule::kNumKeys, 2, 3, 0}},
      // Hashes (7.4 field expiry and 8.0 commands included).
      {"hset", {4, Rule::kRange, 1, 1}},
      {"hsetnx", {4, Rule::kRange, 1, 1}},
      {"hmset", {4, Rule::kRange, 1, 1}},
      {"hdel", {3, Rule::kRange, 1, 1}},
      {"hincrby", {4, Rule::kRange, 1, 1}},
      {"hincrbyfloat", {4, Rule::kRange, 1, 1}},
      {"hexpire", {6, Rule::kRange, 1, 1}},
      {"hpexpire", {6, Rule::kRange, 1, 1}},
      {"hexpireat", {6, Rule::kRange, 1, 1}},
      {"hpexpireat", {6, Rule::kRange, 1, 1}},
      {"hpersist", {5, Rule::kRange, 1, 1}},
      {"hgetdel", {5, Rule::kRange, 1, 1}},
      {"hgetex", {5, Rule::kRange, 1, 1}},
      {"hsetex", {6, Rule::kRange, 1, 1}},
      // Streams.
      {"xadd", {5, Rule::kRange, 1, 1}},
      {"xdel", {3, Rule::kRange, 1, 1}},
      {"xtrim", {4, Rule::kRange, 1, 1}},
      {"xsetid", {3, Rule::kRange, 1, 1}},
      {"xack", {4, Rule::kRange, 1, 1}},
      {"xclaim", {6, Rule::kRange, 1, 1}},
      {"xautoclaim", {6, Rule::kRange, 1, 1}},
      {"xgroup", {2, Rule::kXGroup}},
      {"xreadgroup", {7, Rule::kStreams}},
      // HyperLogLog (PFCOUNT may propagate a cache update).
      {"pfadd", {2, Rule::kRange, 1, 1}},
      {"pfmerge", {2, Rule::kRange, 1, -1}},
      {"pfcount", {2, Rule::kRange, 1, -1}},
      {"pfdebug", {3, Rule::kRange, 2, 2}},
      // Geo.
      {"geoadd", {5, Rule::kRange, 1, 1}},
      {"georadius", {6, Rule::kGeoStore}},
      {"georadiusbymember", {5, Rule::kGeoStore}},
      {"geosearchstore", {3, Rule::kRange, 1, 2}},
      // Scripts and functions (keys given by numkeys).
      {"eval", {3, Rule::kNumKeys, 2, 3, 0}},
      {"evalsha", {3, Rule::kNumKeys, 2, 3, 0}},
      {"eval_ro", {3, Rule::kNumKeys, 2, 3, 0}},
      {"evalsha_ro", {3, Rule::kNumKeys, 2, 3, 0}},
      {"fcall", {3, Rule::kNumKeys, 2, 3, 0}},
      {"fcall_ro", {3, Rule::kNumKeys, 2, 3, 0}},
      // Key-less.
      {"flushall", {1, Rule::kEveryNode}},
      {"flushdb", {1, Rule::kEveryNode}},
      {"swapdb", {3, Rule::kEveryNode}},
      {"select", {2, Rule::kEveryNode}},
      {"multi", {1, Rule::kEveryNode}},
      {"exec", {1, Rule::kEveryNode}},
      {"function", {2, Rule::kSubcommand}},
      {"script", {2, Rule::kSubcommand}},
      {"publish", {3, Rule::kNone}},
      {"ping", {1, Rule::kNone}},
  };
  return *table;
}

bool Is(const std::string& arg, const char* word) { return strcasecmp(arg.c_str(), word) == 0; }

Status WrongArity(std::string_view name, size_t argc) {
  return Status::Corruption("wrong number of arguments for '" + std::string(name) + "' (" +
                            std::to_string(argc) + ")");
}

Status AddRange(Args args, const Spec& spec, std::vector<uint32_t>* keys) {
  const int argc = static_cast<int>(args.size());
  const int last = spec.last >= 0 ? spec.last : argc + spec.last;
  for (int i = spec.first; i <= last && i < argc; i += spec.step) {
    keys->push_back(static_cast<uint32_t>(i));
  }
  // MSET k v k2: a key without its value.
  if (spec.step > 1 && (argc - spec.first) % spec.step != 0) {
    return Status::Corruption("odd key/value arguments for '" + args[0] + "'");
  }
  return Status();
}

Status AddNumKeys(Args args, const Spec& spec, std::vector<uint32_t>* keys) {
  const std::string& text = args[spec.first];
  uint64_t numkeys = 0;
  bool digits = !text.empty() && text.size() <= 10;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (digits) numkeys = std::stoull(text);
  if (!digits || numkeys > args.size() - static_cast<size_t>(spec.last)) {
    return Status::Corruption("bad numkeys \"" + text.substr(0, 32) + "\" for '" + args[0] +
                              "' with " + std::to_string(args.size()) + " arguments");
  }
  if (spec.step == 1) keys->push_back(1);  // destination key
  for (uint64_t i = 0; i < numkeys; ++i) keys->push_back(static_cast<uint32_t>(spec.last + i));
  return Status();
}

// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst].
void AddSortKeys(Args args, std::vector<uint32_t>* keys) {
  keys->push_back(1);
  int store = -1;
  for (size_t i = 2; i < args.size(); ++i) {
    if (Is(args[i], "limit")) {
      i += 2;
    } else if (Is(args[i], "get") || Is(args[i], "by")) {
      i += 1;
    } else if (Is(args[i], "store") && i + 1 < args.size()) {
      store = static_cast<int>(++i);
    }
  }
  if (store > 0) keys->push_back(static_cast<uint32_t>(store));
}

void AddGeoStoreKeys(Args args, std::vector<uint32_t>* keys) {
  keys->push_back(1);
  int store = -1;
  for (size_t i = 2; i + 1 < args.size(); ++i) {
    if (Is(args[i], "store") || Is(args[i], "storedist")) store = static_cast<int>(++i);
  }
  if (store > 0) keys->push_back(static_cast<uint32_t>(store));
}

Status AddStreamsKeys(Args args, std::vector<uint32_t>* keys) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (!Is(args[i], "streams")) continue;
    const size_t rest = args.size() - i - 1;
    if (rest == 0 || rest % 2 != 0) break;
    for (size_t k = 0; k < rest / 2; ++k) keys->push_back(static_cast<uint32_t>(i + 1 + k));
    return Status();
  }
  return Status::Corruption("'" + args[0] + "' without a balanced STREAMS list");
}

Status ClassifySubcommand(Args args, CommandKeys* out) {
  const std::string& sub = args[1];
  if (Is(args[0], "function")) {
    if (Is(sub, "load") || Is(sub, "delete") || Is(sub, "flush") || Is(sub, "restore")) {
      out->routing = Routing::kEveryNode;
      return Status();
    }
    if (Is(sub, "list") || Is(sub, "dump") || Is(sub, "stats") || Is(sub, "kill") ||
        Is(sub, "help")) {
      out->routing = Routing::kNone;
      return Status();
    }
  } else {
    if (Is(sub, "load") || Is(sub, "flush")) {
      out->routing = Routing::kEveryNode;
      return Status();
    }
    if (Is(sub, "exists") || Is(sub, "kill") || Is(sub, "help") || Is(sub, "debug")) {
      out->routing = Routing::kNone;
      return Status();
    }
  }
  return Status::NotSupported("unknown command '" + args[0] + " " + sub.substr(0, 32) + "'");
}

Status XGroupKeys(Args args, CommandKeys* out) {
  const std::string& sub = args[1];
  if (Is(sub, "create") || Is(sub, "setid") || Is(sub, "destroy") || Is(sub, "createconsumer") ||
      Is(sub, "delconsumer")) {
    if (args.size() < 4) return WrongArity("xgroup " + sub, args.size());
    out->positions.push_back(2);
    out->routing = Routing::kKeyed;
    return Status();
  }
  if (Is(sub, "help")) {
    out->routing = Routing::kNone;
    return Status();
  }
  return Status::NotSupported("unknown command '" + args[0] + " " + sub.substr(0, 32) + "'");
}

Status FillKeys(Args args, const Spec& spec, CommandKeys* out) {
  switch (spec.rule) {
    case Rule::kRange:
      out->routing = Routing::kKeyed;
      return AddRange(args, spec, &out->positions);
    case Rule::kNumKeys:
      out->routing = Routing::kKeyed;
      return AddNumKeys(args, spec, &out->positions);
    case Rule::kSortStore:
      out->routing = Routing::kKeyed;
      AddSortKeys(args, &out->positions);
      return Status();
    case Rule::kGeoStore:
      out->routing = Routing::kKeyed;
      AddGeoStoreKeys(args, &out->positions);
      return Status();
    case Rule::kStreams:
      out->routing = Routing::kKeyed;
      return AddStreamsKeys(args, &out->positions);
    case Rule::kXGroup:
      return XGroupKeys(args, out);
    case Rule::kSubcommand:
      return ClassifySubcommand(args, out);
    case Rule::kEveryNode:
      out->routing = Routing::kEveryNode;
      return Status();
    case Rule::kNone:
      out->routing = Routing::kNone;
      return Status();
  }
  return Status::NotSupported("unhandled key rule");
}

}  // namespace

std::string_view RoutingName(Routing routing) {
  switch (routing) {
    case Routing::kKeyed:
      return "keyed";
    case Routing::kEveryNode:
      return "every-node";
    case Routing::kNone:
      return "none";
  }
  return "unknown";
}

Status ExtractKeys(std::span<const std::string> args, CommandKeys* out) {
  assert(!args.empty());
  out->positions.clear();
  out->routing = Routing::kNone;
  out->slot = -1;
  out->cross_slot = false;
  const std::string& name = args[0];
  char lower[32];
  if (name.size() >= sizeof(lower)) {
    return Status::NotSupported("unknown command '" + name.substr(0, 64) + "'");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const auto& table = Table();
  auto it = table.find(std::string_view(lower, name.size()));
  if (it == table.end()) return Status::NotSupported("unknown command '" + name + "'");
  const Spec& spec = it->second;
  if (args.size() < static_cast<size_t>(spec.min_args)) return WrongArity(it->first, args.size());
  SK_RETURN_IF_ERROR(FillKeys(args, spec, out));
  if (out->routing != Routing::kKeyed) return Status();
  if (out->positions.empty()) {
    // EVAL with numkeys 0 touches no declared key: it runs on any node.
    out->routing = Routing::kEveryNode;
    return Status();
  }
  out->slot = KeyHashSlot(args[out->positions[0]]);
  for (size_t i = 1; i < out->positions.size(); ++i) {
    if (KeyHashSlot(args[out->positions[i]]) != out->slot) {
      out->cross_slot = true;
      break;
    }
  }
  return Status();
}

Result<int> SlotOf(std::span<const std::string> args) {
  CommandKeys keys;
  SK_RETURN_IF_ERROR(ExtractKeys(args, &keys));
  if (keys.cross_slot) {
    return Status::Corruption("'" + args[0] + "' has keys in different hash slots");
  }
  return keys.slot;
}

std::vector<std::string_view> KnownCommands() {
  std::vector<std::string_view> names;
  for (const auto& [name, spec] : Table()) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace shardkit::formats::aof
