#include "tests/support/datasets.h"

#include <algorithm>
#include <random>

namespace shardkit::testing {
namespace {

using Args = std::vector<std::string>;

// Buffers commands and reads their replies in batches, failing on the first
// error reply.
class Pipeline {
 public:
  explicit Pipeline(RedisClient& client) : client_(client) {}
  Status Add(Args args) {
    SK_RETURN_IF_ERROR(client_.Append(args));
    if (++pending_ >= kBatch) return Flush();
    return Status::Ok();
  }
  Status Flush() {
    size_t n = pending_;
    pending_ = 0;
    return client_.DrainReplies(n);
  }

 private:
  static constexpr size_t kBatch = 256;
  RedisClient& client_;
  size_t pending_ = 0;
};

class Filler {
 public:
  Filler(RedisClient& client, const DatasetOptions& options, int64_t now_ms)
      : client_(client), pipe_(client), options_(options), rng_(options.seed), now_ms_(now_ms) {}

  Status Run();

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  std::string RandomBytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(Uniform(0, 255));
    return s;
  }
  std::string Word(size_t n) {
    std::string s(n, 'a');
    for (char& c : s) c = static_cast<char>('a' + Uniform(0, 25));
    return s;
  }
  Status Select(int db) { return pipe_.Add({"SELECT", std::to_string(db)}); }

  Status Representatives();
  Status Streams();
  Status Specials();
  Status OrdinaryKey(size_t index);
  Status LargeValues();
  Status MaybeExpire(const std::string& key, size_t index);

  RedisClient& client_;
  Pipeline pipe_;
  const DatasetOptions& options_;
  std::mt19937_64 rng_;
  int64_t now_ms_;
};

Status Filler::Representatives() {
  SK_RETURN_IF_ERROR(Select(0));
  Args hs{"HSET", kRepHashSmall}, hl{"HSET", kRepHashLarge};
  for (int i = 0; i < 5; ++i) hs.insert(hs.end(), {"f" + std::to_string(i), Word(8)});
  for (int i = 0; i < 1000; ++i) hl.insert(hl.end(), {"field:" + std::to_string(i), Word(12)});
  Args zs{"ZADD", kRepZsetSmall}, zl{"ZADD", kRepZsetLarge};
  for (int i = 0; i < 5; ++i) zs.insert(zs.end(), {std::to_string(i * 1.5), "m" + std::to_string(i)});
  for (int i = 0; i < 1000; ++i) {
    zl.insert(zl.end(), {std::to_string(i % 7 == 0 ? i : i / 3.0), "member:" + std::to_string(i)});
  }
  Args s16{"SADD", kRepSetInt16}, s32{"SADD", kRepSetInt32}, s64{"SADD", kRepSetInt64};
  Args sstr{"SADD", kRepSetStrings};
  for (int i = 0; i < 20; ++i) {
    s16.push_back(std::to_string(static_cast<int64_t>(Uniform(0, 60000)) - 30000));
    s32.push_back(std::to_string(100000 + static_cast<int64_t>(Uniform(0, 2'000'000'000))));
    s64.push_back(std::to_string(static_cast<int64_t>(Uniform(1ull << 32, 1ull << 62)) *
                                 (i % 2 == 0 ? 1 : -1)));
    sstr.push_back("member-" + Word(6));
  }
  Args ls{"RPUSH", kRepListShort, "a", "b", "c", "12", "-7"};
  Args ll{"RPUSH", kRepListLong};
  for (int i = 0; i < 600; ++i) {
    // Every 10th element is >= 100 bytes: a PLAIN node when the packed
    // threshold is lowered to 100.
    ll.push_back(i % 10 == 0 ? std::string(100 + Uniform(0, 300), 'p') + std::to_string(i)
                             : (i % 3 == 0 ? std::to_string(i * 1000) : Word(10)));
  }
  for (Args* a : {&hs, &hl, &zs, &zl, &s16, &s32, &s64, &sstr, &ls, &ll}) {
    SK_RETURN_IF_ERROR(pipe_.Add(std::move(*a)));
  }
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", kRepStringInt, "123456789"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", kRepStringEmbstr, "short value"}));
  std::string raw;
  for (int i = 0; raw.size() < 2000; ++i) raw += "compressible-" + std::to_string(i % 10) + ";";
  return pipe_.Add({"SET", kRepStringRaw, raw});
}

// A stream spanning several radix-tree nodes with entries of the same and of
// different field sets, deletions, a trim, two groups with PEL entries owned
// by several consumers, some acknowledged; and an empty stream with a group.
Status Filler::Streams() {
  SK_RETURN_IF_ERROR(Select(0));
  for (int i = 1; i <= 300; ++i) {
    Args xadd{"XADD", kRepStream, std::to_string(1'700'000'000'000 + i * 10) + "-" +
                                      std::to_string(i % 3)};
    if (i % 5 == 0) {
      xadd.insert(xadd.end(), {"other", Word(5), "n", std::to_string(i)});
    } else {
      xadd.insert(xadd.end(), {"name", Word(6), "value", std::to_string(i)});
    }
    SK_RETURN_IF_ERROR(pipe_.Add(std::move(xadd)));
  }
  for (int i = 1; i <= 300; i += 13) {
    SK_RETURN_IF_ERROR(pipe_.Add({"XDEL", kRepStream, std::to_string(1'700'000'000'000 + i * 10) +
                                                          "-" + std::to_string(i % 3)}));
  }
  SK_RETURN_IF_ERROR(pipe_.Add({"XTRIM", kRepStream, "MAXLEN", "250"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"XGROUP", "CREATE", kRepStream, "group-a", "0"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"XGROUP", "CREATE", kRepStream, "group-b", "$"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"XGROUP", "CREATECONSUMER", kRepStream, "group-b", "idle"}));
  SK_RETURN_IF_ERROR(pipe_.Add(
      {"XREADGROUP", "GROUP", "group-a", "alice", "COUNT", "40", "STREAMS", kRepStream, ">"}));
  SK_RETURN_IF_ERROR(pipe_.Add(
      {"XREADGROUP", "GROUP", "group-a", "bob", "COUNT", "25", "STREAMS", kRepStream, ">"}));
  SK_RETURN_IF_ERROR(pipe_.Flush());
  // Acknowledge a few of alice's entries (the first ones delivered).
  SK_ASSIGN_OR_RETURN(RedisReply pending, client_.Command({"XPENDING", kRepStream, "group-a", "-",
                                                            "+", "10", "alice"}));
  if (pending.is_error()) return Status::InvalidArgument("XPENDING: " + pending.str);
  for (const RedisReply& entry : pending.elements) {
    if (entry.elements.empty()) continue;
    SK_RETURN_IF_ERROR(pipe_.Add({"XACK", kRepStream, "group-a", entry.elements[0].str}));
  }
  SK_RETURN_IF_ERROR(pipe_.Add({"XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"XADD", "stream:deleted-all", "1-1", "f", "v"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"XDEL", "stream:deleted-all", "1-1"}));
  return pipe_.Flush();
}

// Function library, HLL (sparse and dense), bitmaps, binary and hash-tagged
// keys, TTLs near and far.
Status Filler::Specials() {
  SK_RETURN_IF_ERROR(Select(0));
  SK_RETURN_IF_ERROR(pipe_.Add(
      {"FUNCTION", "LOAD", "REPLACE",
       std::string("#!lua name=") + kFunctionLibrary +
           "\nredis.register_function('sk_echo', function(keys, args) return args[1] end)\n"
           "redis.register_function{function_name='sk_len', callback=function(keys, args) "
           "return redis.call('STRLEN', keys[1]) end, flags={'no-writes'}}\n"}));
  Args sparse{"PFADD", "hll:sparse"}, dense{"PFADD", "hll:dense"};
  for (int i = 0; i < 50; ++i) sparse.push_back("e" + std::to_string(i));
  for (int i = 0; i < 5000; ++i) dense.push_back("e" + std::to_string(i));
  SK_RETURN_IF_ERROR(pipe_.Add(std::move(sparse)));
  SK_RETURN_IF_ERROR(pipe_.Add(std::move(dense)));
  for (int i = 0; i < 200; ++i) {
    SK_RETURN_IF_ERROR(pipe_.Add({"SETBIT", "bitmap:a", std::to_string(Uniform(0, 100'000)), "1"}));
  }
  SK_RETURN_IF_ERROR(pipe_.Add({"SETBIT", "bitmap:sparse", "4000000", "1"}));
  const std::string nul_key("bin\0key\xff{user:1}", 16);
  SK_RETURN_IF_ERROR(pipe_.Add({nul_key.substr(0, 0) + "SET", nul_key, std::string("v\0\x01", 3)}));
  SK_RETURN_IF_ERROR(pipe_.Add({"HSET", "{user:1}:profile", "name", "x", std::string("\0f", 2),
                                std::string("\0v", 2)}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "{user:1}:counter", "-42"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "", "empty key"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "empty:value", ""}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "int:max", "9223372036854775807"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "int:min", "-9223372036854775808"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"ZADD", "zset:inf", "-inf", "low", "inf", "high", "0", "zero"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "ttl:soon", "x"}));
  SK_RETURN_IF_ERROR(pipe_.Add({"PEXPIREAT", "ttl:soon", std::to_string(now_ms_ + 3'600'000)}));
  SK_RETURN_IF_ERROR(pipe_.Add({"HSET", "ttl:far", "f", "v"}));
  // 2100-01-01: far future, but a normal 13-digit ms time.
  SK_RETURN_IF_ERROR(pipe_.Add({"PEXPIREAT", "ttl:far", "4102444800000"}));
  return pipe_.Flush();
}

Status Filler::MaybeExpire(const std::string& key, size_t index) {
  if (index % 7 == 3) {
    int64_t at = now_ms_ + 3'600'000 + static_cast<int64_t>(Uniform(0, 86'400'000));
    return pipe_.Add({"PEXPIREAT", key, std::to_string(at)});
  }
  if (index % 11 == 5) {
    return pipe_.Add({"PEXPIREAT", key, std::to_string(4102444800000 + Uniform(0, 1'000'000))});
  }
  return Status::Ok();
}

// One ordinary key of a type chosen by `index`, with a mostly small value
// and an occasional long one (so both compact and full encodings appear).
Status Filler::OrdinaryKey(size_t index) {
  const std::string key = "key:" + std::to_string(index) + (index % 9 == 0 ? "{tag}" : "");
  const bool long_one = index % 50 == 17;
  const size_t n = long_one ? 300 : Uniform(1, 20);
  Args cmd;
  switch (index % 7) {
    case 0:
      cmd = {"SET", key, std::to_string(static_cast<int64_t>(Uniform(0, 1ull << 40)) - (1ll << 39))};
      break;
    case 1:
      cmd = {"SET", key, index % 4 == 0 ? RandomBytes(Uniform(1, 300)) : std::string(Uniform(30, 3000), 'z')};
      break;
    case 2:
      cmd = {"HSET", key};
      for (size_t i = 0; i < n; ++i) cmd.insert(cmd.end(), {"f" + std::to_string(i), Word(Uniform(1, 80))});
      break;
    case 3:
      cmd = {"RPUSH", key};
      for (size_t i = 0; i < n; ++i) cmd.push_back(i % 2 ? std::to_string(Uniform(0, 1u << 20)) : Word(Uniform(1, 40)));
      break;
    case 4:
      cmd = {"SADD", key};
      for (size_t i = 0; i < n; ++i) {
        // Integer members of 8 to 63 bits: 16-, 32- and 64-bit intsets.
        const unsigned bits = std::min(63u, 8u * static_cast<unsigned>(1 + index % 8));
        cmd.push_back(index % 2 ? std::to_string(Uniform(0, 1ull << bits)) : Word(10));
      }
      break;
    case 5:
      cmd = {"ZADD", key};
      for (size_t i = 0; i < n; ++i) {
        double score = static_cast<double>(Uniform(0, 1'000'000)) / (i % 3 ? 7.0 : 1.0);
        cmd.insert(cmd.end(), {std::to_string(score), "m" + std::to_string(i)});
      }
      break;
    default:
      // An explicit ID: "*" would take the server's clock.
      cmd = {"XADD", key, std::to_string(1'600'000'000'000 + index) + "-1", "field", Word(8)};
      break;
  }
  SK_RETURN_IF_ERROR(pipe_.Add(std::move(cmd)));
  return MaybeExpire(key, index);
}

Status Filler::LargeValues() {
  SK_RETURN_IF_ERROR(Select(0));
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "large:string:random", RandomBytes(options_.large_string_bytes)}));
  std::string pattern;
  while (pattern.size() < options_.large_string_bytes) pattern += "0123456789abcdef-" + Word(3);
  SK_RETURN_IF_ERROR(pipe_.Add({"SET", "large:string:compressible", pattern}));
  constexpr size_t kChunk = 1000;
  for (size_t base = 0; base < options_.large_elements; base += kChunk) {
    Args l{"RPUSH", "large:list"}, h{"HSET", "large:hash"}, s{"SADD", "large:set"},
        z{"ZADD", "large:zset"};
    for (size_t i = base; i < base + kChunk && i < options_.large_elements; ++i) {
      std::string id = std::to_string(i);
      l.push_back(i % 2 ? id : "e" + id);
      h.insert(h.end(), {"f" + id, "v" + id});
      s.push_back("s" + id);
      z.insert(z.end(), {std::to_string(i % 1000), "z" + id});
    }
    for (Args* a : {&l, &h, &s, &z}) SK_RETURN_IF_ERROR(pipe_.Add(std::move(*a)));
  }
  return pipe_.Flush();
}

Status Filler::Run() {
  SK_RETURN_IF_ERROR(Representatives());
  SK_RETURN_IF_ERROR(Streams());
  SK_RETURN_IF_ERROR(Specials());
  // Half the ordinary keys in db 0, the rest spread over dbs 1-15.
  const size_t in_db0 = options_.keys / 2;
  SK_RETURN_IF_ERROR(Select(0));
  for (size_t i = 0; i < in_db0; ++i) SK_RETURN_IF_ERROR(OrdinaryKey(i));
  const size_t rest = options_.keys - in_db0;
  for (int db = 1; db < 16; ++db) {
    SK_RETURN_IF_ERROR(Select(db));
    const size_t from = in_db0 + rest * static_cast<size_t>(db - 1) / 15;
    const size_t to = in_db0 + rest * static_cast<size_t>(db) / 15;
    for (size_t i = from; i < to; ++i) SK_RETURN_IF_ERROR(OrdinaryKey(i));
    // Every db gets at least one key, whatever the size.
    SK_RETURN_IF_ERROR(pipe_.Add({"SET", "db:marker", std::to_string(db)}));
  }
  SK_RETURN_IF_ERROR(Select(0));
  if (options_.large_values) SK_RETURN_IF_ERROR(LargeValues());
  return pipe_.Flush();
}

}  // namespace

Status RunSetupCommands(RedisClient& client, const RedisTestConfig& config) {
  for (const auto& cmd : config.setup_commands) {
    SK_ASSIGN_OR_RETURN(RedisReply r, client.Command(cmd));
    if (r.is_error()) return Status::InvalidArgument(cmd[0] + " " + cmd[1] + ": " + r.str);
  }
  return Status::Ok();
}

Status FillDataset(RedisClient& client, const DatasetOptions& options) {
  SK_ASSIGN_OR_RETURN(RedisReply time, client.Command({"TIME"}));
  if (time.kind != RedisReply::Kind::kArray || time.elements.size() != 2) {
    return Status::InvalidArgument("TIME replied " + time.ToString());
  }
  const int64_t now_ms =
      std::stoll(time.elements[0].str) * 1000 + std::stoll(time.elements[1].str) / 1000;
  Filler filler(client, options, now_ms);
  return filler.Run();
}

DatasetOptions DatasetOptionsFor(const RedisTestConfig& config) {
  DatasetOptions options;
  const double scale = TestScale();
  options.keys = static_cast<size_t>(static_cast<double>(options.keys) * scale);
  options.large_values = config.large_values;
  options.large_elements = static_cast<size_t>(static_cast<double>(options.large_elements) * scale);
  return options;
}

Result<std::unique_ptr<RedisServer>> StartFilledServer(const RedisTestConfig& config) {
  RedisServerOptions options;
  options.config = config.config;
  SK_ASSIGN_OR_RETURN(std::unique_ptr<RedisServer> server, RedisServer::Start(options));
  SK_RETURN_IF_ERROR(RunSetupCommands(server->client(), config));
  Status filled = FillDataset(server->client(), DatasetOptionsFor(config));
  if (!filled.ok()) return filled.WithPrefix("filling config " + config.name);
  return server;
}

std::vector<std::pair<std::string, std::string>> SizedSampleKeys(bool large_values) {
  std::vector<std::pair<std::string, std::string>> keys = {
      {kRepHashSmall, "HLEN"},   {kRepHashLarge, "HLEN"},   {kRepZsetSmall, "ZCARD"},
      {kRepZsetLarge, "ZCARD"},  {kRepSetInt16, "SCARD"},   {kRepSetInt32, "SCARD"},
      {kRepSetInt64, "SCARD"},   {kRepSetStrings, "SCARD"}, {kRepListShort, "LLEN"},
      {kRepListLong, "LLEN"},    {kRepStream, "XLEN"},      {"stream:empty", "XLEN"},
  };
  if (large_values) {
    keys.insert(keys.end(), {{"large:list", "LLEN"},
                             {"large:hash", "HLEN"},
                             {"large:set", "SCARD"},
                             {"large:zset", "ZCARD"}});
  }
  return keys;
}

std::vector<RedisTestConfig> RdbTestConfigs(bool include_large) {
  const std::map<std::string, std::string> kDefaultEncodings = {
      {kRepHashSmall, "listpack"}, {kRepHashLarge, "hashtable"}, {kRepZsetSmall, "listpack"},
      {kRepZsetLarge, "skiplist"}, {kRepSetInt16, "intset"},     {kRepSetInt32, "intset"},
      {kRepSetInt64, "intset"},    {kRepSetStrings, "hashtable"}, {kRepListShort, "quicklist"},
      {kRepListLong, "quicklist"}, {kRepStringInt, "int"},        {kRepStringEmbstr, "embstr"},
      {kRepStringRaw, "raw"},      {kRepStream, "stream"},
  };
  std::vector<RedisTestConfig> configs;

  RedisTestConfig defaults;
  defaults.name = "Defaults";
  defaults.expected_encodings = kDefaultEncodings;
  defaults.min_list_nodes = 2;  // 600 elements > one 8 KB node
  configs.push_back(defaults);

  RedisTestConfig zero;
  zero.name = "CompactThresholdsZero";
  zero.config = {{"hash-max-listpack-entries", "0"}, {"zset-max-listpack-entries", "0"},
                 {"set-max-intset-entries", "0"},    {"list-max-listpack-size", "1"},
                 {"hash-max-listpack-value", "0"},   {"zset-max-listpack-value", "0"}};
  zero.expected_encodings = kDefaultEncodings;
  for (const char* k : {kRepHashSmall, kRepSetInt16, kRepSetInt32, kRepSetInt64}) {
    zero.expected_encodings[k] = "hashtable";
  }
  zero.expected_encodings[kRepZsetSmall] = "skiplist";
  zero.min_list_nodes = 600;  // one element per node
  configs.push_back(zero);

  RedisTestConfig large_thresholds;
  large_thresholds.name = "CompactThresholdsLarge";
  large_thresholds.config = {{"hash-max-listpack-entries", "100000"},
                             {"hash-max-listpack-value", "4096"},
                             {"zset-max-listpack-entries", "100000"},
                             {"zset-max-listpack-value", "4096"},
                             {"set-max-intset-entries", "100000"},
                             {"list-max-listpack-size", "-5"}};
  large_thresholds.expected_encodings = kDefaultEncodings;
  large_thresholds.expected_encodings[kRepHashLarge] = "listpack";
  large_thresholds.expected_encodings[kRepZsetLarge] = "listpack";
  configs.push_back(large_thresholds);

  RedisTestConfig small_nodes;
  small_nodes.name = "SmallCompressedListNodes";
  // rdbcompression off: the LZF node blobs in the dump come from the
  // quicklist's own compression (saved as they are in memory).
  small_nodes.config = {{"list-max-listpack-size", "8"},
                        {"list-compress-depth", "1"},
                        {"rdbcompression", "no"}};
  small_nodes.expected_encodings = kDefaultEncodings;
  small_nodes.min_list_nodes = 75;
  small_nodes.expect_compressed_list = true;
  configs.push_back(small_nodes);

  RedisTestConfig plain;
  plain.name = "PlainListNodes";
  plain.setup_commands = {{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"}};
  plain.expected_encodings = kDefaultEncodings;
  plain.min_list_nodes = 61;  // each of the 60 long elements alone
  plain.min_plain_list_nodes = 60;
  configs.push_back(plain);

  RedisTestConfig raw;
  raw.name = "NoCompressionNoChecksum";
  raw.config = {{"rdbcompression", "no"}, {"rdbchecksum", "no"}};
  raw.expect_lzf_list_nodes = false;
  raw.expected_encodings = kDefaultEncodings;
  raw.min_list_nodes = 2;
  configs.push_back(raw);

  RedisTestConfig lfu;
  lfu.name = "AllKeysLfu";
  lfu.config = {{"maxmemory-policy", "allkeys-lfu"}};
  lfu.expected_encodings = kDefaultEncodings;
  lfu.min_list_nodes = 2;
  lfu.lfu = true;
  configs.push_back(lfu);

  RedisTestConfig lru;
  lru.name = "AllKeysLru";
  lru.config = {{"maxmemory-policy", "allkeys-lru"}};
  lru.expected_encodings = kDefaultEncodings;
  lru.min_list_nodes = 2;
  configs.push_back(lru);

  if (include_large) {
    RedisTestConfig large;
  large.name = "LargeValues";
    large.large_values = true;
    large.expected_encodings = kDefaultEncodings;
    large.min_list_nodes = 2;
    configs.push_back(large);
  }
  return configs;
}

}  // namespace shardkit::testing
