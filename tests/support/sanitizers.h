// Whether the test itself was compiled under AddressSanitizer: GCC defines
// __SANITIZE_ADDRESS__, clang answers __has_feature(address_sanitizer) (the
// Asan build uses clang when it is installed, scripts/build.sh).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define SHARDKIT_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHARDKIT_TEST_UNDER_ASAN 1
#endif
#endif
#ifndef SHARDKIT_TEST_UNDER_ASAN
#define SHARDKIT_TEST_UNDER_ASAN 0
#endif

namespace shardkit::testing {
inline constexpr bool kUnderAsan = SHARDKIT_TEST_UNDER_ASAN != 0;
}  // namespace shardkit::testing
