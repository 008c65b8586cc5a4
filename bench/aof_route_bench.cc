// aof_route_bench: parse an append-only file and route every command by hash
// slot with shardkit's own code path (formats/aof AofReader with
// extract_keys: RespReader + ExtractKeys + CRC16 slots), the work a splitter
// does before writing per-node logs.
//
//   aof_route_bench PATH [uring|pread]   one timed pass over PATH; prints
//                                        bytes, seconds, MB/s and routing
//                                        counts as one line of JSON
//   aof_route_bench [gbench flags]       Google Benchmark over a 64 MiB
//                                        in-memory AOF (CI smoke run)
//
// Reads through storage::OpenSequentialReader (io_uring, O_DIRECT when the
// file system allows), as `shardkit verify` does. Prints a warning when built
// without optimisation or with assertions.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "base/chunk_io.h"
#include "formats/aof/aof_reader.h"
#include "storage/file_reader.h"

namespace shardkit {
namespace {

namespace aof = formats::aof;

// Counts commands per slot and per routing class, as a splitter would.
class RouteCounter final : public aof::AofVisitor {
 public:
  Status OnCommand(const aof::AofCommand& command) override {
    ++commands;
    if (command.keys == nullptr) return Status();
    switch (command.keys->routing) {
      case aof::Routing::kKeyed:
        ++slots[static_cast<size_t>(command.keys->slot)];
        ++keyed;
        break;
      case aof::Routing::kEveryNode:
        ++every_node;
        break;
      case aof::Routing::kNone:
        ++none;
        break;
    }
    return Status();
  }
  std::array<uint64_t, 16384> slots{};
  uint64_t commands = 0, keyed = 0, every_node = 0, none = 0;
};

Status Route(ChunkSource* source, const std::string& name, RouteCounter* counter) {
  aof::AofReadOptions options;
  options.extract_keys = true;
  aof::AofReader reader(options, counter);
  return reader.ReadFile(source, name, /*is_last=*/true);
}

int RunOnFile(const std::string& path, const std::string& backend) {
  storage::IoOptions io;
  if (backend == "pread") io.backend = storage::IoBackendKind::kPread;
  if (backend == "uring") io.backend = storage::IoBackendKind::kUring;
  auto start = std::chrono::steady_clock::now();
  auto source = storage::OpenSequentialReader(path, io);
  if (!source.ok()) {
    std::fprintf(stderr, "aof_route_bench: %s\n", source.status().ToString().c_str());
    return 2;
  }
  RouteCounter counter;
  Status s = Route(source->get(), path, &counter);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    std::fprintf(stderr, "aof_route_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  uint64_t bytes = 0, used_slots = 0;
  for (uint64_t n : counter.slots) used_slots += n > 0;
  // The file size, from the source (bytes consumed == file size when read to the end).
  bytes = (*source)->size().value_or(0);
  std::printf(
      "{\"path\":\"%s\",\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"commands\":%llu,"
      "\"keyed\":%llu,\"every_node\":%llu,\"none\":%llu,\"slots_used\":%llu}\n",
      path.c_str(), static_cast<unsigned long long>(bytes), seconds, bytes / seconds / 1e6,
      static_cast<unsigned long long>(counter.commands),
      static_cast<unsigned long long>(counter.keyed),
      static_cast<unsigned long long>(counter.every_node),
      static_cast<unsigned long long>(counter.none),
      static_cast<unsigned long long>(used_slots));
  return 0;
}

// A RESP log of mixed writes, like the bench file made by
// bench/rdb_aof_make_data.sh, about `bytes` long.
std::string SyntheticAof(size_t bytes) {
  std::mt19937_64 rng(20261125);
  std::string out;
  auto bulk = [&](std::string_view s) {
    out += "$" + std::to_string(s.size()) + "\r\n";
    out.append(s);
    out += "\r\n";
  };
  auto value = [&](size_t n) {
    std::string v(n, 'a');
    for (char& c : v) c = static_cast<char>('a' + rng() % 26);
    return v;
  };
  out += "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
  for (uint64_t i = 0; out.size() < bytes; ++i) {
    switch (i % 4) {
      case 0:
        out += "*3\r\n";
        bulk("SET");
        bulk("str:" + std::to_string(i));
        bulk(value(200));
        break;
      case 1:
        out += "*6\r\n";
        bulk("HSET");
        bulk("hash:" + std::to_string(i));
        for (int f = 0; f < 2; ++f) bulk("field:" + std::to_string(f));
        bulk(value(30));
        bulk(value(30));
        break;
      case 2:
        out += "*5\r\n";
        bulk("RPUSH");
        bulk("list:" + std::to_string(i % 1000));
        for (int e = 0; e < 3; ++e) bulk(value(40));
        break;
      default:
        out += "*3\r\n";
        bulk("PEXPIREAT");
        bulk("str:" + std::to_string(i - 3));
        bulk("1800000000000");
        break;
    }
  }
  return out;
}

void BM_ParseAndRouteInMemory(benchmark::State& state) {
  static const std::string* data = new std::string(SyntheticAof(64u << 20));
  for (auto _ : state) {
    MemoryChunkSource source(AsBytes(*data), 1 << 20, "synthetic.aof");
    RouteCounter counter;
    Status s = Route(&source, "synthetic.aof", &counter);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(counter.slots.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data->size()));
}
BENCHMARK(BM_ParseAndRouteInMemory)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shardkit

int main(int argc, char** argv) {
#if !defined(__OPTIMIZE__) || !defined(NDEBUG)
  std::fprintf(stderr, "aof_route_bench: WARNING: built without optimisation or with assertions\n");
#endif
  if (argc >= 2 && argv[1][0] != '-') {
    return shardkit::RunOnFile(argv[1], argc >= 3 ? argv[2] : "auto");
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
