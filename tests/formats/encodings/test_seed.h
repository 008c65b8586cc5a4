// Seed for randomised tests: SHARDKIT_TEST_SEED when set (to replay a
// failure), else a fresh random one. Printed either way.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace shardkit::formats::testing {

inline uint64_t TestSeed() {
  uint64_t seed = 0;
  if (const char* env = std::getenv("SHARDKIT_TEST_SEED"); env != nullptr && *env != '\0') {
    seed = std::strtoull(env, nullptr, 10);
  } else {
    seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  }
  std::printf("seed %llu (replay with SHARDKIT_TEST_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace shardkit::formats::testing
