// Native format kernels (Google Benchmark): block encode (entries -> LZ4
// block), block decode (XXH3 + LZ4 + XXH3), entry decode, XXH3 alone, and
// a whole in-memory verify. The data is realistic: the first key records of
// an RDB made by redis-server (NATIVE_BENCH_RDB, default
// /work/bench-data/native/source.rdb, made by bench/rdb_aof_make_data.sh),
// or, when that file is missing, synthetic DEBUG POPULATE-like strings.
// Counters: lz4_ratio (raw / stored) on the encode benchmarks.
//
// Extra mode for bench/native_vs_fio.sh (until `shardkit verify` reads
// native files): `native_bench --verify-file PATH [--deep]` verifies one
// file with the storage sequential reader and prints one JSON line.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "formats/native/native_block.h"
#include "formats/native/native_entry.h"
#include "formats/native/native_verify.h"
#include "formats/native/native_writer.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "storage/file_reader.h"

namespace shardkit::formats::native {
namespace {

constexpr size_t kSampleBytes = 96u << 20;  // raw entry bytes kept from the RDB

// Collects encoded entries (one db, slot ignored: kernels only) until full.
class SampleVisitor final : public rdb::RdbVisitor {
 public:
  Status OnEntry(const rdb::RdbEntry& entry) override {
    if (raw.size() >= kSampleBytes) return Status::ResourceExhausted("sample full");
    entries.push_back(entry);
    entries.back().db = 0;
    AppendEntry(&raw, entry);
    return Status();
  }
  std::vector<rdb::RdbEntry> entries;
  std::string raw;
};

struct Sample {
  std::string source;
  std::vector<rdb::RdbEntry> entries;
  std::string raw;  // all entries, encoded back to back
};

const Sample& GetSample() {
  static const Sample* sample = [] {
    auto* s = new Sample;
    const char* env = std::getenv("NATIVE_BENCH_RDB");
    const std::string path = env ? env : "/work/bench-data/native/source.rdb";
    SampleVisitor visitor;
    auto source = storage::OpenSequentialReader(path);
    if (source.ok()) {
      rdb::RdbReadOptions options;
      options.capture_values = true;
      (void)rdb::ReadRdb(source->get(), options, &visitor);
    }
    if (!visitor.entries.empty()) {
      s->source = path;
    } else {
      s->source = "synthetic DEBUG POPULATE-like strings";
      for (uint64_t i = 0; visitor.raw.size() < kSampleBytes; ++i) {
        rdb::RdbEntry e;
        e.key = "key:" + std::to_string(i);
        rdb::AppendString(&e.value, "value:" + std::to_string(i));
        (void)visitor.OnEntry(e);
      }
    }
    s->entries = std::move(visitor.entries);
    s->raw = std::move(visitor.raw);
    std::fprintf(stderr, "native_bench data: %s (%zu entries, %zu raw bytes)\n",
                 s->source.c_str(), s->entries.size(), s->raw.size());
    return s;
  }();
  return *sample;
}

// A raw block of about `bytes` taken from the sample at `offset` (whole entries).
std::string RawBlock(size_t bytes, size_t* keys) {
  const Sample& s = GetSample();
  std::string raw;
  *keys = 0;
  for (const rdb::RdbEntry& e : s.entries) {
    if (raw.size() >= bytes) break;
    AppendEntry(&raw, e);
    ++*keys;
  }
  return raw;
}

BlockInfo Describe(const BlockDescriptor& d) {
  BlockInfo info;
  static_cast<BlockDescriptor&>(info) = d;
  info.last_slot = kSlotCount - 1;
  return info;
}

void BM_EncodeBlock(benchmark::State& state) {
  size_t keys = 0;
  const std::string raw = RawBlock(static_cast<size_t>(state.range(0)), &keys);
  std::string out;
  BlockDescriptor d;
  for (auto _ : state) {
    out.clear();
    EncodeBlock(raw, true, &d, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(raw.size()));
  state.counters["lz4_ratio"] = double(d.raw_bytes) / double(d.stored_bytes);
}
BENCHMARK(BM_EncodeBlock)->Arg(64 << 10)->Arg(1 << 20)->Arg(4 << 20);

void BM_DecodeBlock(benchmark::State& state) {
  size_t keys = 0;
  const std::string raw = RawBlock(static_cast<size_t>(state.range(0)), &keys);
  std::string block;
  BlockDescriptor d;
  EncodeBlock(raw, true, &d, &block);
  const BlockInfo info = Describe(d);
  std::string out;
  for (auto _ : state) {
    Result<std::string_view> decoded =
        CheckStoredPayload(info, AsBytes(block).subspan(kBlockHeaderBytes), "bench", &out);
    if (!decoded.ok()) state.SkipWithError(decoded.status().ToString().c_str());
    benchmark::DoNotOptimize(decoded.ok() ? decoded->data() : nullptr);
  }
  // Throughput in raw (decompressed) bytes.
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(raw.size()));
  state.counters["lz4_ratio"] = double(d.raw_bytes) / double(d.stored_bytes);
}
BENCHMARK(BM_DecodeBlock)->Arg(64 << 10)->Arg(1 << 20)->Arg(4 << 20);

void BM_DecodeEntries(benchmark::State& state) {
  size_t keys = 0;
  const std::string raw = RawBlock(1 << 20, &keys);
  BlockInfo info;
  info.key_count = static_cast<uint32_t>(keys);
  info.last_slot = kSlotCount - 1;
  rdb::RdbEntry entry;
  for (auto _ : state) {
    EntryDecoder decoder(raw, info, "bench");
    for (;;) {
      Result<bool> more = decoder.Next(&entry);
      if (!more.ok()) {
        state.SkipWithError(more.status().ToString().c_str());
        break;
      }
      if (!*more) break;
    }
    benchmark::DoNotOptimize(entry.value.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(raw.size()));
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(keys));
}
BENCHMARK(BM_DecodeEntries);

void BM_Xxh3(benchmark::State& state) {
  const std::string& raw = GetSample().raw;
  const size_t n = std::min(raw.size(), static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Xxh3(std::string_view(raw).substr(0, n)));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n));
}
BENCHMARK(BM_Xxh3)->Arg(1 << 20)->Arg(64 << 20);

// Whole-file verify of the sample written as a native file (working set
// larger than the L3), from memory: the CPU cost verify adds to the I/O.
void BM_VerifyInMemory(benchmark::State& state) {
  const Sample& s = GetSample();
  StringSink sink("bench.skn");
  FileHeader header;
  header.rdb.version = 10;
  auto writer = NativeWriter::Create(&sink, header, {});
  for (const auto& e : s.entries) (void)(*writer)->AddEntry(e);
  (void)(*writer)->Finish();
  const NativeWriteStats stats = (*writer)->stats();
  for (auto _ : state) {
    MemoryChunkSource source(AsBytes(sink.data()), 1 << 20, "bench.skn");
    NativeVerifyReport report = VerifyNative(&source, {});
    if (!report.ok) state.SkipWithError(report.error.ToString().c_str());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(sink.data().size()));
  state.counters["lz4_ratio"] = double(stats.raw_bytes) / double(stats.stored_bytes);
  state.counters["keys"] = double(stats.keys);
}
BENCHMARK(BM_VerifyInMemory)->Unit(benchmark::kMillisecond);

// --verify-file PATH [--deep]: one JSON line for native_vs_fio.sh.
int VerifyFile(const std::string& path, bool deep) {
  const auto start = std::chrono::steady_clock::now();
  storage::IoOptions io;
  io.queue_depth = 32;  // as tools/native_cli.cc VerifyNativePath
  if (const char* qd = std::getenv("NATIVE_BENCH_QUEUE_DEPTH")) io.queue_depth = std::atoi(qd);
  if (const char* bs = std::getenv("NATIVE_BENCH_BLOCK_BYTES")) io.block_bytes = std::atoi(bs);
  auto source = storage::OpenSequentialReader(path, io);
  if (!source.ok()) {
    std::fprintf(stderr, "%s\n", source.status().ToString().c_str());
    return 2;
  }
  NativeVerifyReport report = VerifyNative(source->get(), {.deep = deep});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"path\":\"%s\",\"ok\":%s,\"keys\":%llu,\"blocks\":%llu,\"bytes\":%llu,"
              "\"raw_bytes\":%llu,\"stored_bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f}\n",
              path.c_str(), report.ok ? "true" : "false",
              static_cast<unsigned long long>(report.keys),
              static_cast<unsigned long long>(report.blocks),
              static_cast<unsigned long long>(report.bytes_read),
              static_cast<unsigned long long>(report.raw_bytes),
              static_cast<unsigned long long>(report.stored_bytes), seconds,
              double(report.bytes_read) / 1e6 / seconds);
  if (!report.ok) std::fprintf(stderr, "%s\n", report.error.ToString().c_str());
  return report.ok ? 0 : 1;
}

}  // namespace
}  // namespace shardkit::formats::native

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--verify-file") == 0) {
    const bool deep = argc >= 4 && std::strcmp(argv[3], "--deep") == 0;
    return shardkit::formats::native::VerifyFile(argv[2], deep);
  }
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: built without NDEBUG (assertions on); figures are not final\n");
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
