// Helpers shared by the storage tests: the backend matrix, deterministic
// file contents, and the io_uring skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "storage/io_options.h"
#include "storage/uring_probe.h"

namespace shardkit::storage {

struct BackendCase {
  IoBackendKind backend;
  bool direct;
  bool registered;
};

inline std::string CaseName(const ::testing::TestParamInfo<BackendCase>& info) {
  std::string name(IoBackendName(info.param.backend));
  name += info.param.direct ? "_direct" : "_buffered";
  if (info.param.backend == IoBackendKind::kUring) {
    name += info.param.registered ? "_fixed" : "_unfixed";
  }
  return name;
}

inline auto AllBackendCases() {
  return ::testing::Values(BackendCase{IoBackendKind::kUring, true, true},
                           BackendCase{IoBackendKind::kUring, true, false},
                           BackendCase{IoBackendKind::kUring, false, true},
                           BackendCase{IoBackendKind::kUring, false, false},
                           BackendCase{IoBackendKind::kPread, true, false},
                           BackendCase{IoBackendKind::kPread, false, false});
}

// Bytes that differ at every offset (and between seeds), so that a block
// delivered twice or out of order is caught.
inline std::string PatternBytes(uint64_t size, uint64_t seed = 1) {
  std::string s(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint64_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

}  // namespace shardkit::storage

// Skips the current test (with the reason) when io_uring cannot run here.
#define SK_SKIP_IF_NO_URING(backend)                                              \
  do {                                                                            \
    if ((backend) == ::shardkit::storage::IoBackendKind::kUring &&                \
        !::shardkit::storage::CachedUringProbe().available) {                     \
      GTEST_SKIP() << ::shardkit::storage::CachedUringProbe().why;                \
    }                                                                             \
  } while (0)
