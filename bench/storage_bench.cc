// Benchmarks of the storage layer (figures and context: bench/RESULTS.md,
// "Storage").
//
// Google Benchmarks (default mode):
//   BM_SeqRead / BM_SeqWrite: the sequential reader and writer with O_DIRECT
//     over one file of SHARDKIT_BENCH_MB MiB (default 256) in
//     SHARDKIT_BENCH_DIR (default /work/bench-data; never tmpfs: the page
//     cache would be measured instead of the disk), sweeping queue depth at
//     1 MiB blocks and block size at depth 8, on io_uring and on pread.
//     Arguments: backend (0 = uring, 1 = pread), queue depth, block KiB.
//   BM_AppendAlways: the append writer with appendfsync always (group
//     commit), 100-byte records, 1, 8 and 64 concurrent writers; items/s is
//     acknowledged (durable) appends per second.
//   BM_WriteFdatasyncLoop: the baseline, one thread doing write(100 bytes)
//     + fdatasync in a loop.
//
// Plain modes, driven by bench/storage_vs_fio.sh beside fio:
//   storage_bench seq-read  FILE [--bs BYTES] [--qd N] [--backend B]
//   storage_bench seq-write FILE --size BYTES [--bs BYTES] [--qd N] [--backend B]
//                           [--prealloc 0|1]
// read or write FILE once with O_DIRECT (the writer preallocates unless
// --prealloc 0, writes, fdatasyncs and closes) and print
// "bytes=<n> seconds=<s> MiB/s=<x> backend=<b> direct=<0|1>".
// SHARDKIT_BENCH_PREALLOC=0 makes BM_SeqWrite skip preallocation too.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "storage/append_writer.h"
#include "storage/direct_io_probe.h"
#include "storage/file_system.h"
#include "storage/sequential_reader.h"
#include "storage/sequential_writer.h"

namespace shardkit::storage {
namespace {

constexpr size_t kRecordBytes = 100;  // a typical small AOF record (SET k v)

std::string BenchDir() {
  const char* dir = std::getenv("SHARDKIT_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/work/bench-data";
}

uint64_t BenchFileBytes() {
  const char* mb = std::getenv("SHARDKIT_BENCH_MB");
  uint64_t n = mb != nullptr ? std::strtoull(mb, nullptr, 10) : 0;
  return (n == 0 ? 256 : n) << 20;
}

IoBackendKind BackendArg(int64_t arg) {
  return arg == 0 ? IoBackendKind::kUring : IoBackendKind::kPread;
}

// Streams `bytes` of a fixed pattern into `path` with the sequential writer.
// `direct` (optional) tells whether the writer kept O_DIRECT.
Status WriteFile(const std::string& path, uint64_t bytes, const IoOptions& io,
                 bool* direct = nullptr) {
  SK_ASSIGN_OR_RETURN(auto writer, SequentialWriter::Create(path, io));
  static const std::string kChunk = [] {
    std::string s(size_t{4} << 20, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 2654435761u >> 13);
    return s;
  }();
  for (uint64_t done = 0; done < bytes;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk.size(), bytes - done));
    SK_RETURN_IF_ERROR(writer->Append(AsBytes(std::string_view(kChunk).substr(0, n))));
    done += n;
  }
  SK_RETURN_IF_ERROR(writer->Close());
  if (direct != nullptr) *direct = writer->direct();
  return Status();
}

// Reads `path` to the end; returns the bytes seen. `direct` (optional)
// tells whether the reader kept O_DIRECT.
Result<uint64_t> ReadFile(const std::string& path, const IoOptions& io, bool* direct = nullptr) {
  SK_ASSIGN_OR_RETURN(auto reader, SequentialReader::Open(path, io));
  uint64_t total = 0;
  for (uint64_t guard = 0; guard < (uint64_t{1} << 32); ++guard) {
    SK_ASSIGN_OR_RETURN(ByteSpan span, reader->Next());
    if (direct != nullptr) *direct = reader->direct();
    if (span.empty()) return total;
    benchmark::DoNotOptimize(span.data());
    total += span.size();
  }
  return Status::IoError("read " + path + ": never ended");
}

IoOptions SeqOptions(const benchmark::State& state) {
  IoOptions io;
  io.backend = BackendArg(state.range(0));
  io.queue_depth = static_cast<int>(state.range(1));
  io.block_bytes = static_cast<size_t>(state.range(2)) << 10;
  io.direct = true;
  return io;
}

// The shared input of BM_SeqRead, written once per process.
const std::string& ReadInput() {
  static const std::string path = [] {
    std::string p = BenchDir() + "/storage_bench.read";
    std::filesystem::create_directories(BenchDir());
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != BenchFileBytes()) {
      IoOptions io;
      io.size_hint_bytes = BenchFileBytes();
      Status s = WriteFile(p, BenchFileBytes(), io);
      if (!s.ok()) std::fprintf(stderr, "storage_bench: %s\n", s.ToString().c_str());
    }
    return p;
  }();
  return path;
}

void BM_SeqRead(benchmark::State& state) {
  const std::string& path = ReadInput();
  const IoOptions io = SeqOptions(state);
  for (auto _ : state) {
    Result<uint64_t> n = ReadFile(path, io);
    if (!n.ok()) {
      state.SkipWithError(n.status().ToString().c_str());
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * BenchFileBytes()));
}

// SHARDKIT_BENCH_PREALLOC=0 writes without the size hint (no fallocate).
bool Preallocate() {
  const char* v = std::getenv("SHARDKIT_BENCH_PREALLOC");
  return v == nullptr || std::strcmp(v, "0") != 0;
}

void BM_SeqWrite(benchmark::State& state) {
  std::filesystem::create_directories(BenchDir());
  const std::string path = BenchDir() + "/storage_bench.write";
  IoOptions io = SeqOptions(state);
  io.size_hint_bytes = Preallocate() ? BenchFileBytes() : 0;
  for (auto _ : state) {
    state.PauseTiming();
    (void)::unlink(path.c_str());  // every iteration allocates afresh, as fio's does
    state.ResumeTiming();
    Status s = WriteFile(path, BenchFileBytes(), io);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  (void)::unlink(path.c_str());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * BenchFileBytes()));
}

void SeqArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"backend", "qd", "block_kib"});
  for (int backend : {0, 1}) {
    for (int qd : {1, 4, 16, 32}) b->Args({backend, qd, 1024});
    for (int kib : {64, 256, 4096}) b->Args({backend, 8, kib});
  }
}
// Fixed iterations: each one moves SHARDKIT_BENCH_MB through the disk.
BENCHMARK(BM_SeqRead)->Apply(SeqArgs)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SeqWrite)->Apply(SeqArgs)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

// ----- append writer -------------------------------------------------------

std::unique_ptr<AppendWriter> g_append_writer;  // shared by the threads of one run

void BM_AppendAlways(benchmark::State& state) {
  const std::string path = BenchDir() + "/storage_bench.aof";
  if (state.thread_index() == 0) {
    std::filesystem::create_directories(BenchDir());
    (void)::unlink(path.c_str());
    AppendWriterOptions o;
    o.policy = FsyncPolicy::kAlways;
    o.io.backend = BackendArg(state.range(0));
    auto w = AppendWriter::Open(path, o);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
    } else {
      g_append_writer = std::move(*w);
    }
  }
  const std::string record(kRecordBytes, 'r');
  // The loop starts after thread 0's set-up (Google Benchmark's barrier).
  for (auto _ : state) {
    if (g_append_writer == nullptr) break;
    Status s = g_append_writer->Append(AsBytes(record));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0 && g_append_writer != nullptr) {
    state.counters["fdatasyncs"] =
        benchmark::Counter(static_cast<double>(g_append_writer->sync_count()));
    state.counters["appends_per_sync"] = benchmark::Counter(
        static_cast<double>(g_append_writer->size_bytes() / kRecordBytes) /
        static_cast<double>(std::max<uint64_t>(1, g_append_writer->sync_count())));
    (void)g_append_writer->Close();
    g_append_writer.reset();
    (void)::unlink(path.c_str());
  }
}
BENCHMARK(BM_AppendAlways)
    ->ArgName("backend")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->MinTime(2.0)
    ->UseRealTime();

void BM_WriteFdatasyncLoop(benchmark::State& state) {
  std::filesystem::create_directories(BenchDir());
  const std::string path = BenchDir() + "/storage_bench.loop";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    state.SkipWithError(("open " + path + ": " + std::strerror(errno)).c_str());
    return;
  }
  const std::string record(kRecordBytes, 'r');
  for (auto _ : state) {
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      state.SkipWithError(("write/fdatasync " + path + ": " + std::strerror(errno)).c_str());
      break;
    }
  }
  ::close(fd);
  (void)::unlink(path.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WriteFdatasyncLoop)->MinTime(2.0)->UseRealTime();

// ----- plain modes for bench/storage_vs_fio.sh -----------------------------

struct SeqArgsCli {
  std::string mode;
  std::string path;
  uint64_t size_bytes = 0;
  bool preallocate = true;
  IoOptions io;
};

bool ParseSeqArgs(int argc, char** argv, SeqArgsCli* out) {
  if (argc < 3) return false;
  out->mode = argv[1];
  out->path = argv[2];
  out->io.direct = true;
  out->io.queue_depth = 32;
  out->io.block_bytes = 1 << 20;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--bs") {
      out->io.block_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--qd") {
      out->io.queue_depth = std::atoi(value);
    } else if (flag == "--prealloc") {
      out->preallocate = std::strcmp(value, "0") != 0;
    } else if (flag == "--size") {
      out->size_bytes = std::strtoull(value, nullptr, 10);
    } else if (flag == "--backend") {
      Result<IoBackendKind> kind = ParseIoBackendKind(value);
      if (!kind.ok()) return false;
      out->io.backend = *kind;
    } else {
      return false;
    }
  }
  return out->mode == "seq-read" || (out->mode == "seq-write" && out->size_bytes > 0);
}

int RunSeqMode(int argc, char** argv) {
  SeqArgsCli args;
  if (!ParseSeqArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: storage_bench seq-read FILE [--bs BYTES] [--qd N] [--backend B]\n"
                 "       storage_bench seq-write FILE --size BYTES [--bs BYTES] [--qd N] "
                 "[--backend B] [--prealloc 0|1]\n");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  bool direct = false;
  Status s;
  if (args.mode == "seq-read") {
    Result<uint64_t> n = ReadFile(args.path, args.io, &direct);
    s = n.status();
    if (n.ok()) bytes = *n;
  } else {
    args.io.size_hint_bytes = args.preallocate ? args.size_bytes : 0;
    s = WriteFile(args.path, args.size_bytes, args.io, &direct);
    bytes = args.size_bytes;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) {
    std::fprintf(stderr, "storage_bench %s: %s\n", args.mode.c_str(), s.ToString().c_str());
    return 1;
  }
  std::printf("bytes=%llu seconds=%.3f MiB/s=%.1f backend=%s direct=%d\n",
              static_cast<unsigned long long>(bytes), seconds,
              static_cast<double>(bytes) / (1 << 20) / seconds,
              std::string(IoBackendName(ResolveIoBackend(args.io.backend))).c_str(),
              direct ? 1 : 0);
  return 0;
}

void PrintEnvironment() {
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: built with assertions (not a Release build): figures are low\n");
#endif
  std::string fs = FileSystemName(std::filesystem::exists(BenchDir()) ? BenchDir() : "/work");
  std::fprintf(stderr, "storage_bench: dir %s (%s), file %llu MiB\n", BenchDir().c_str(),
               fs.c_str(), static_cast<unsigned long long>(BenchFileBytes() >> 20));
  if (fs == "tmpfs") {
    std::fprintf(stderr, "WARNING: %s is tmpfs: the page cache is measured, not a disk\n",
                 BenchDir().c_str());
  }
}

}  // namespace
}  // namespace shardkit::storage

int main(int argc, char** argv) {
  if (argc >= 2 && std::strncmp(argv[1], "seq-", 4) == 0) {
    return shardkit::storage::RunSeqMode(argc, argv);
  }
  shardkit::storage::PrintEnvironment();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
