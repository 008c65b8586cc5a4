// Helpers for the exhaustive damage tests of the compact encodings: every
// truncation and single-byte change of a valid blob must give an error or a
// valid result, never a crash or an out-of-bounds read (run under ASan).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shardkit::formats::testing {

// Calls `check` with every proper prefix of `blob`.
inline void ForEachTruncation(const std::string& blob,
                              const std::function<void(const std::string&)>& check) {
  for (size_t len = 0; len < blob.size(); ++len) {
    check(blob.substr(0, len));
  }
}

// Calls `check` with every copy of `blob` that has one byte changed, for a
// few representative deltas (low bit, high bit, 0x00, 0xFF, +1).
inline void ForEachByteChange(const std::string& blob,
                              const std::function<void(const std::string&)>& check) {
  for (size_t pos = 0; pos < blob.size(); ++pos) {
    const unsigned char original = static_cast<unsigned char>(blob[pos]);
    for (unsigned char replacement :
         {static_cast<unsigned char>(original ^ 0x01), static_cast<unsigned char>(original ^ 0x80),
          static_cast<unsigned char>(0x00), static_cast<unsigned char>(0xff),
          static_cast<unsigned char>(original + 1)}) {
      if (replacement == original) {
        continue;
      }
      std::string bad = blob;
      bad[pos] = static_cast<char>(replacement);
      check(bad);
    }
  }
}

inline std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) {
    s.push_back(static_cast<char>(b));
  }
  return s;
}

// Expects a Corruption status whose message contains `what`.
inline void ExpectError(const Status& s, const std::string& what) {
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(what), std::string_view::npos) << s.ToString();
}

inline void PutLe(std::string* s, size_t pos, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    (*s)[pos + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
}

}  // namespace shardkit::formats::testing
