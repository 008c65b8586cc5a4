// Helpers shared by the libFuzzer targets in tests/fuzz/: viewing the input
// as bytes, a chunk size chosen by the input (so every parser is also fuzzed
// across ByteReader chunk boundaries), and a loud invariant check.
// Each target is also compiled into tests/reliability/ (regression replay),
// so nothing here may depend on libFuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "base/chunk_io.h"

namespace shardkit::fuzz {

inline ByteSpan Bytes(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const std::byte*>(data), size};
}

// 1..64 from one byte, or "whole input" for 0: small chunks exercise every
// straddling read, large ones the fast paths.
inline size_t ChunkSizeFrom(uint8_t b) { return b == 0 ? (size_t{1} << 20) : (b % 64) + 1; }

// An invariant the parser broke: print and abort so libFuzzer (and the
// regression replay) records it as a crash.
[[noreturn]] inline void InvariantFailed(const char* target, const char* what) {
  std::fprintf(stderr, "%s: invariant broken: %s\n", target, what);
  std::abort();
}

}  // namespace shardkit::fuzz

// SK_FUZZ_TARGET(Name) { ... } defines the target's entry point: libFuzzer's
// LLVMFuzzerTestOneInput in the Fuzz build, or a function registered under
// "Name" when the file is compiled into the regression replay test
// (SHARDKIT_FUZZ_REPLAY, tests/reliability/fuzz_regressions_test.cc).
#ifdef SHARDKIT_FUZZ_REPLAY
namespace shardkit::fuzz {
using TargetFn = int (*)(const uint8_t*, size_t);
void RegisterTarget(const char* name, TargetFn fn);
struct TargetRegistrar {
  TargetRegistrar(const char* name, TargetFn fn) { RegisterTarget(name, fn); }
};
}  // namespace shardkit::fuzz
#define SK_FUZZ_TARGET(name)                                                            \
  int FuzzTarget_##name(const uint8_t* data, size_t size);                              \
  static ::shardkit::fuzz::TargetRegistrar fuzz_registrar_##name(#name, FuzzTarget_##name); \
  int FuzzTarget_##name(const uint8_t* data, size_t size)
#else
#define SK_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#endif

#define SK_FUZZ_CHECK(target, cond) \
  do {                              \
    if (!(cond)) ::shardkit::fuzz::InvariantFailed(target, #cond); \
  } while (0)
