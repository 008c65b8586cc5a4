// Microbenchmarks for the compact-encoding kernels: CRC-64 (ISA-L against
// slicing-by-8), CRC-16 / key hash slot, LZF decompression and compression,
// and listpack scanning. Each sweep ends with a working set larger than the
// last-level cache (64 MiB). Figures and their context: bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "formats/encodings/crc64.h"
#include "formats/encodings/hash_slot.h"
#include "formats/encodings/listpack.h"
#include "formats/encodings/lzf.h"

namespace shardkit::formats {
namespace {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  return s;
}

// ----- CRC-64 ------------------------------------------------------------

template <uint64_t (*Fn)(uint64_t, ByteSpan)>
void BM_Crc64(benchmark::State& state) {
  const std::string data = RandomBytes(static_cast<size_t>(state.range(0)), 1);
  uint64_t crc = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    crc = Fn(crc, AsBytes(data));
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
// 64 B (RDB headers), 4 KiB (small values), 1 MiB (a read chunk), 64 MiB
// (larger than the 32 MiB L3: memory-bound).
BENCHMARK(BM_Crc64<Crc64>)
    ->Name("BM_Crc64Fast")
    ->Arg(64)
    ->Arg(4 << 10)
    ->Arg(1 << 20)
    ->Arg(64 << 20);
BENCHMARK(BM_Crc64<Crc64Table>)
    ->Name("BM_Crc64Table")
    ->Arg(64)
    ->Arg(4 << 10)
    ->Arg(1 << 20)
    ->Arg(64 << 20);

// ----- CRC-16 / hash slot ------------------------------------------------

std::vector<std::string> Keys() {
  std::mt19937 rng(3);
  std::vector<std::string> keys;
  for (int i = 0; i < 4096; ++i) {
    const size_t len = 10 + rng() % 31;  // 10..40 bytes
    std::string k = "user:" + std::to_string(rng()) + ":session:";
    while (k.size() < len) {
      k.push_back(static_cast<char>('a' + rng() % 26));
    }
    k.resize(len);
    if (i % 8 == 0) {
      k = "{" + k.substr(0, 8) + "}" + k.substr(8);  // some hash tags
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

void BM_KeyHashSlot(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  size_t bytes = 0;
  for (const auto& k : keys) {
    bytes += k.size();
  }
  for (auto _ : state) {
    for (const auto& k : keys) {
      benchmark::DoNotOptimize(KeyHashSlot(k));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * keys.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_KeyHashSlot);

void BM_Crc16(benchmark::State& state) {
  const std::vector<std::string> keys = Keys();
  size_t bytes = 0;
  for (const auto& k : keys) {
    bytes += k.size();
  }
  for (auto _ : state) {
    for (const auto& k : keys) {
      benchmark::DoNotOptimize(Crc16(AsBytes(k)));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * keys.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Crc16);

// ----- LZF ---------------------------------------------------------------

// JSON-ish documents with varying ids and a few repeated field names.
std::string JsonText(size_t n) {
  std::mt19937 rng(5);
  std::string s;
  while (s.size() < n) {
    s += "{\"id\":" + std::to_string(rng() % 1000000) + ",\"name\":\"user" +
         std::to_string(rng() % 5000) + "\",\"email\":\"u" + std::to_string(rng() % 5000) +
         "@example.com\",\"active\":" + (rng() % 2 ? "true" : "false") +
         ",\"score\":" + std::to_string(rng() % 10000) + ".5,\"tags\":[\"t" +
         std::to_string(rng() % 50) + "\",\"t" + std::to_string(rng() % 50) + "\"]}\n";
  }
  s.resize(n);
  return s;
}

// Redis-like values: session blobs, counters and random tokens mixed, about
// 2:1 compressible.
std::string RedisValues(size_t n) {
  std::mt19937 rng(9);
  std::string s;
  const std::string token = RandomBytes(1 << 16, 11);
  while (s.size() < n) {
    switch (rng() % 3) {
      case 0:
        s += "session:" + std::to_string(rng() % 100000) +
             ":last_seen=" + std::to_string(1700000000 + rng() % 1000000) + ";ip=10.0." +
             std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + ";";
        break;
      case 1:
        s += token.substr(rng() % (token.size() - 64), 8 + rng() % 24);
        break;
      default:
        s += "cart:item:" + std::to_string(rng() % 1000) + ":qty:" + std::to_string(rng() % 9);
        break;
    }
  }
  s.resize(n);
  return s;
}

std::string Compressed(const std::string& plain) {
  std::string out(plain.size() + plain.size() / 16 + 64, '\0');
  out.resize(LzfCompress(AsBytes(plain),
                         MutableByteSpan(reinterpret_cast<std::byte*>(out.data()), out.size())));
  return out;
}

void LzfDecompressBench(benchmark::State& state, const std::string& plain) {
  const std::string packed = Compressed(plain);
  std::string out(plain.size(), '\0');
  MutableByteSpan dst(reinterpret_cast<std::byte*>(out.data()), out.size());
  for (auto _ : state) {
    Status s = LzfDecompress(AsBytes(packed), dst);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * plain.size()));
  state.counters["ratio"] = static_cast<double>(plain.size()) / static_cast<double>(packed.size());
}

void BM_LzfDecompressJson(benchmark::State& state) {
  LzfDecompressBench(state, JsonText(static_cast<size_t>(state.range(0))));
}
void BM_LzfDecompressRedisValues(benchmark::State& state) {
  LzfDecompressBench(state, RedisValues(static_cast<size_t>(state.range(0))));
}
BENCHMARK(BM_LzfDecompressJson)->RangeMultiplier(16)->Range(4 << 10, 64 << 20);
BENCHMARK(BM_LzfDecompressRedisValues)->RangeMultiplier(16)->Range(4 << 10, 64 << 20);

void BM_LzfCompressJson(benchmark::State& state) {
  const std::string plain = JsonText(static_cast<size_t>(state.range(0)));
  std::string out(plain.size() + plain.size() / 16 + 64, '\0');
  MutableByteSpan dst(reinterpret_cast<std::byte*>(out.data()), out.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(LzfCompress(AsBytes(plain), dst));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * plain.size()));
}
BENCHMARK(BM_LzfCompressJson)->RangeMultiplier(16)->Range(4 << 10, 1 << 20);

// ----- listpack scanning -------------------------------------------------

// Hash-like listpacks (field, value) of ~`bytes` each: short strings and
// small integers, as Redis keeps small hashes. Returns the blobs and the
// total entry count.
std::vector<std::string> Listpacks(size_t total_bytes, size_t per_blob, uint64_t* entries) {
  std::mt19937 rng(13);
  std::vector<std::string> blobs;
  size_t total = 0;
  *entries = 0;
  while (total < total_bytes) {
    ListpackBuilder b;
    size_t approx = 0;
    while (approx < per_blob) {
      std::string field = "field:" + std::to_string(rng() % 1000);
      b.Append(field);
      if (rng() % 2) {
        b.AppendInteger(static_cast<int64_t>(rng() % 100000));
        approx += 4;
      } else {
        std::string v(8 + rng() % 40, 'v');
        b.Append(v);
        approx += v.size() + 2;
      }
      approx += field.size() + 2;
    }
    *entries += b.count();
    blobs.push_back(b.Finish());
    total += blobs.back().size();
  }
  return blobs;
}

template <bool kValidate>
void BM_ListpackScan(benchmark::State& state) {
  uint64_t entries = 0;
  const std::vector<std::string> blobs =
      Listpacks(static_cast<size_t>(state.range(0)), 4096, &entries);
  size_t bytes = 0;
  for (const auto& b : blobs) {
    bytes += b.size();
  }
  for (auto _ : state) {
    for (const auto& blob : blobs) {
      if constexpr (kValidate) {
        auto n = ValidateListpack(AsBytes(blob));
        benchmark::DoNotOptimize(n.ok());
      } else {
        auto it = ListpackIterator::Open(AsBytes(blob));
        CompactEntry e;
        while (true) {
          auto more = it->Next(&e);
          if (!more.ok() || !*more) {
            break;
          }
          benchmark::DoNotOptimize(e);
        }
      }
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * entries));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_ListpackScan<false>)
    ->Name("BM_ListpackIterate")
    ->RangeMultiplier(64)
    ->Range(16 << 10, 64 << 20);
BENCHMARK(BM_ListpackScan<true>)
    ->Name("BM_ListpackValidate")
    ->RangeMultiplier(64)
    ->Range(16 << 10, 64 << 20);

}  // namespace
}  // namespace shardkit::formats

// Environment banner before the figures (style guide §9).
int main(int argc, char** argv) {
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: assertions enabled; figures are not representative\n");
#endif
#ifdef SHARDKIT_HAVE_ISAL
  std::fprintf(stderr, "Crc64 fast path: ISA-L crc64_jones_refl (>= 16 bytes)\n");
#else
  std::fprintf(stderr, "Crc64 fast path: none (built without ISA-L; Fast == Table)\n");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
