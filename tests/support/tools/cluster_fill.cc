#include "tests/support/tools/cluster_fill.h"

#include <random>
#include <string>
#include <vector>

namespace shardkit::testing::tools {
namespace {

constexpr int64_t kFarFutureMs = 4102444800000;  // 2100-01-01
constexpr int64_t kHourMs = 3'600'000;
constexpr uint64_t kBigKeyEvery = 2000;

class Filler {
 public:
  Filler(ClusterView& view, uint64_t seed) : pipeline_(view), rng_(seed) {}

  Status Run(const std::string& key, std::vector<std::string> args) {
    for (const std::string& a : args) stats_.value_bytes += a.size();
    return pipeline_.Send(key, args);
  }
  std::string Text(size_t min_bytes, size_t max_bytes) {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_:.";
    const size_t n = min_bytes + rng_() % (max_bytes - min_bytes + 1);
    std::string s(n, ' ');
    for (char& c : s) c = kAlphabet[rng_() % (sizeof(kAlphabet) - 1)];
    return s;
  }
  std::string RandomBytes(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      const uint64_t word = rng_();
      for (size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(word >> (8 * j));
    }
    return s;
  }
  uint64_t Next() { return rng_(); }
  Result<FillStats> Finish() {
    SK_RETURN_IF_ERROR(pipeline_.Flush());
    stats_.commands = pipeline_.commands_sent();
    return stats_;
  }

 private:
  RoutedPipeline pipeline_;
  std::mt19937_64 rng_;
  FillStats stats_;
};

// One expiry for about a quarter of the mixed keys: absolute far-future
// times (exact across any recovery) and relative ones of 1 hour to 30 days.
Status MaybeExpire(Filler& f, const std::string& key, uint64_t i) {
  if (i % 4 != 1) return Status::Ok();
  if (i % 8 == 1) return f.Run(key, {"PEXPIREAT", key, std::to_string(kFarFutureMs + i)});
  const uint64_t ms = kHourMs + f.Next() % (30 * 24 * kHourMs);
  return f.Run(key, {"PEXPIRE", key, std::to_string(ms)});
}

Status FillBigKeys(Filler& f, uint64_t i) {
  const std::string n = std::to_string(i);
  std::vector<std::string> hash = {"HSET", "big:hash:" + n};
  std::vector<std::string> list = {"RPUSH", "big:list:" + n};
  std::vector<std::string> set = {"SADD", "big:set:" + n};
  std::vector<std::string> zset = {"ZADD", "big:zset:" + n};
  for (int j = 0; j < 1000; ++j) {
    hash.push_back("field-" + std::to_string(j));
    hash.push_back(f.Text(1, 100));
    set.push_back("member-" + std::to_string(j));
    zset.push_back(std::to_string(j * 0.5));
    zset.push_back("m" + std::to_string(j));
  }
  for (int j = 0; j < 5000; ++j) list.push_back(std::to_string(j) + "-" + f.Text(0, 20));
  for (auto* args : {&hash, &list, &set, &zset}) SK_RETURN_IF_ERROR(f.Run((*args)[1], *args));
  return MaybeExpire(f, "big:list:" + n, 1);
}

// The key family of mixed key `i`, by i % 20.
Status FillMixedKey(Filler& f, uint64_t i) {
  const std::string n = std::to_string(i);
  const uint64_t r = i % 20;
  std::string key;
  if (r <= 6) {
    key = "str:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"SET", key, f.Text(8, 256)}));
  } else if (r == 7) {
    key = "int:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"SET", key, std::to_string(static_cast<int64_t>(f.Next()))}));
  } else if (r <= 9) {
    key = "hash:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"HSET", key, "name", f.Text(3, 12), "visits",
                                   std::to_string(f.Next() % 1000), "bio", f.Text(0, 80)}));
  } else if (r == 10) {
    key = "list:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"RPUSH", key, "a", f.Text(1, 30), n, "-7"}));
  } else if (r == 11) {
    key = "iset:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"SADD", key, "1", "70000", "5000000000", n}));
  } else if (r == 12) {
    key = "set:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"SADD", key, "alice", "bob", f.Text(4, 16)}));
  } else if (r == 13) {
    key = "zset:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"ZADD", key, "1.5", "a", "-3", "b", n, f.Text(2, 10)}));
  } else if (r == 14) {
    key = "{user:" + n + "}.name";
    SK_RETURN_IF_ERROR(f.Run(key, {"SET", key, f.Text(3, 20)}));
  } else if (r == 15) {
    key = "{user:" + std::to_string(i - 1) + "}.visits";  // same slot as key i - 1
    SK_RETURN_IF_ERROR(f.Run(key, {"INCRBY", key, std::to_string(f.Next() % 100000)}));
  } else if (r == 16) {
    key = "blob:" + n;
    SK_RETURN_IF_ERROR(f.Run(key, {"SET", key, f.Text(1024, 4096)}));
  } else {
    key = "session:" + n;
    const uint64_t px = kHourMs + f.Next() % (30 * 24 * kHourMs);
    return f.Run(key, {"SET", key, f.Text(16, 64), "PX", std::to_string(px)});
  }
  return MaybeExpire(f, key, i);
}

Status FillStream(Filler& f, const std::string& key, int entries) {
  for (int i = 1; i <= entries; ++i) {
    SK_RETURN_IF_ERROR(f.Run(key, {"XADD", key, "1700000000000-" + std::to_string(i), "n",
                                   std::to_string(i), "payload", f.Text(0, 40)}));
  }
  SK_RETURN_IF_ERROR(f.Run(key, {"XGROUP", "CREATE", key, "workers", "0"}));
  SK_RETURN_IF_ERROR(
      f.Run(key, {"XREADGROUP", "GROUP", "workers", "alice", "COUNT", "20", "STREAMS", key, ">"}));
  SK_RETURN_IF_ERROR(
      f.Run(key, {"XREADGROUP", "GROUP", "workers", "bob", "COUNT", "7", "STREAMS", key, ">"}));
  SK_RETURN_IF_ERROR(f.Run(key, {"XACK", key, "workers", "1700000000000-3"}));
  return f.Run(key, {"XDEL", key, "1700000000000-5"});
}

Status FillMixedSingletons(ClusterView& view, Filler& f) {
  SK_RETURN_IF_ERROR(f.Run("big:string", {"SET", "big:string", f.Text(1 << 20, 1 << 20)}));
  for (const char* k : {"stream:orders", "stream:{user:1}.events", "stream:audit"}) {
    SK_RETURN_IF_ERROR(FillStream(f, k, 600));
  }
  SK_RETURN_IF_ERROR(f.Run("hll:visitors", {"PFADD", "hll:visitors", "a", "b", "c", "d", "e"}));
  SK_RETURN_IF_ERROR(f.Run("bits:flags", {"SETBIT", "bits:flags", "100000", "1"}));
  SK_RETURN_IF_ERROR(f.Run("geo:places", {"GEOADD", "geo:places", "13.361389", "38.115556",
                                          "Palermo", "15.087269", "37.502669", "Catania"}));
  SK_RETURN_IF_ERROR(
      f.Run("far:future", {"SET", "far:future", "v", "PXAT", std::to_string(kFarFutureMs)}));
  for (size_t m = 0; m < view.master_count(); ++m) {
    SK_ASSIGN_OR_RETURN(
        RedisReply r,
        view.client(m).Command({"FUNCTION", "LOAD", "REPLACE",
                                "#!lua name=demo\nredis.register_function('hello', "
                                "function(keys, args) return 'hello ' .. (args[1] or '') end)"}));
    if (r.is_error()) return Status::InvalidArgument("FUNCTION LOAD: " + r.str);
  }
  return Status::Ok();
}

Status FillBulkKey(Filler& f, uint64_t i, size_t value_bytes) {
  const std::string n = std::to_string(i);
  if (i % 20 == 1) {
    const std::string key = "bulkh:" + n;
    std::vector<std::string> args = {"HSET", key};
    for (int j = 0; j < 8; ++j) {
      args.push_back("f" + std::to_string(j));
      args.push_back(f.RandomBytes(value_bytes / 8));
    }
    return f.Run(key, args);
  }
  const std::string key = "bulk:" + n;
  if (i % 4 == 0) {
    return f.Run(
        key, {"SET", key, f.RandomBytes(value_bytes), "PXAT", std::to_string(kFarFutureMs + i)});
  }
  return f.Run(key, {"SET", key, f.RandomBytes(value_bytes)});
}

}  // namespace

Result<FillStats> FillCluster(ClusterView& view, const FillOptions& options) {
  Filler f(view, options.seed);
  if (options.profile == FillProfile::kMixed) {
    if (options.singletons) SK_RETURN_IF_ERROR(FillMixedSingletons(view, f));
    for (uint64_t i = 0; i < options.keys; ++i) {
      SK_RETURN_IF_ERROR(FillMixedKey(f, i));
      if (i % kBigKeyEvery == kBigKeyEvery - 1) SK_RETURN_IF_ERROR(FillBigKeys(f, i));
    }
  } else {
    if (options.value_bytes < 8) return Status::InvalidArgument("--value-bytes must be >= 8");
    for (uint64_t i = 0; i < options.keys; ++i) {
      SK_RETURN_IF_ERROR(FillBulkKey(f, i, options.value_bytes));
    }
  }
  return f.Finish();
}

}  // namespace shardkit::testing::tools
