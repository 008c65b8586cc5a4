// Allocation guards: inputs whose length fields claim far more than the file
// holds (a string of ~4 GiB in a 60-byte RDB, an element count of 2^32, an
// LZF string claiming a 2 GiB uncompressed length, a RESP bulk of 4 GiB and
// an argc of 2^32) must fail with a clear corruption error naming the offset
// and must not allocate anything large. Measured two ways: in process, by
// this binary's replacement of the global operator new recording the
// largest single request while a guard is armed; and through the CLI in a
// child process with a tight memory limit (RLIMIT_AS 64 MiB in Release,
// ASan's largest-allocation cap of 64 MiB under ASan).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "base/chunk_io.h"
#include "formats/aof/aof_verify.h"
#include "formats/rdb/rdb_verify.h"
#include "tests/reliability/child_process.h"
#include "tests/support/temp_dir.h"

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};

void* Allocate(size_t n) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

// Replacements of the global allocation functions (the whole binary uses
// them; they only record sizes while g_tracking is set).
void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): a
// partial replacement pairs the sanitizer's new with this file's delete,
// which ASan reports as alloc-dealloc-mismatch.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace shardkit::reliability {
namespace {

namespace rdb = formats::rdb;
namespace aof = formats::aof;

constexpr size_t kLargestAllowed = size_t{8} << 20;

// Records the largest allocation made during its lifetime.
class AllocationProbe {
 public:
  AllocationProbe() {
    g_largest = 0;
    g_tracking = true;
  }
  ~AllocationProbe() { g_tracking = false; }
  size_t largest() const { return g_largest.load(); }
};

std::string Rdb(const std::string& body) {
  std::string file = "REDIS0011";
  file += body;
  file += '\xFF';
  file.append(8, '\0');  // checksum disabled
  return file;
}

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (24 - 8 * i));
  return s;
}
std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (56 - 8 * i));
  return s;
}

struct Case {
  const char* name;
  std::string bytes;
  bool is_aof;
};

std::vector<Case> Cases() {
  const std::string key = std::string("\x01k", 2);
  return {
      // String value with a 32-bit length of 0xFFFFFFF0 and 4 bytes behind it.
      {"string-length-4GiB", Rdb(std::string("\x00", 1) + key + "\x80" + Be32(0xFFFFFFF0) + "abcd"),
       false},
      // String value with a 64-bit length of 2^62.
      {"string-length-2^62", Rdb(std::string("\x00", 1) + key + "\x81" + Be64(uint64_t{1} << 62)),
       false},
      // A key whose own length claims 4 GiB.
      {"key-length-4GiB", Rdb(std::string("\x00", 1) + "\x80" + Be32(0xFFFFFFFF) + "k"), false},
      // Plain list / set / hash / zset with 2^32 elements.
      {"list-count-2^32", Rdb(std::string("\x01", 1) + key + "\x81" + Be64(uint64_t{1} << 32) +
                              "\x01" "a"),
       false},
      {"set-count-2^32", Rdb(std::string("\x02", 1) + key + "\x81" + Be64(uint64_t{1} << 32)),
       false},
      {"hash-count-2^32", Rdb(std::string("\x04", 1) + key + "\x81" + Be64(uint64_t{1} << 32)),
       false},
      {"zset-count-2^32", Rdb(std::string("\x05", 1) + key + "\x81" + Be64(uint64_t{1} << 32)),
       false},
      {"quicklist-nodes-2^32",
       Rdb(std::string("\x12", 1) + key + "\x81" + Be64(uint64_t{1} << 32)), false},
      // LZF string: 3 compressed bytes claiming 2 GiB uncompressed.
      {"lzf-2GiB", Rdb(std::string("\x00", 1) + key + "\xC3" "\x03" "\x80" + Be32(0x80000000) +
                       "\x01" "ab"),
       false},
      {"lzf-2^60", Rdb(std::string("\x00", 1) + key + "\xC3" "\x03" "\x81" +
                       Be64(uint64_t{1} << 60) + "\x01" "ab"),
       false},
      // Listpack blob whose 32-bit length claims 4 GiB.
      {"listpack-blob-4GiB", Rdb(std::string("\x10", 1) + key + "\x80" + Be32(0xFFFFFFFF)), false},
      // RESP: a bulk string of 4 GiB and an argc of 2^32.
      {"resp-bulk-4GiB", "*2\r\n$3\r\nSET\r\n$4294967296\r\nab\r\n", true},
      {"resp-argc-2^32", "*4294967296\r\n$3\r\nSET\r\n", true},
  };
}

TEST(AllocationGuard, HugeClaimsFailWithoutLargeAllocationsInProcess) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    size_t largest = 0;
    std::string message;
    if (c.is_aof) {
      AllocationProbe probe;
      MemoryChunkSource source(AsBytes(c.bytes), 4096, c.name);
      aof::AofVerifyReport r = aof::VerifyAofFile(&source, c.name, aof::AofVerifyOptions{});
      largest = probe.largest();
      EXPECT_FALSE(r.ok);
      message = r.error.ToString();
    } else {
      for (bool deep : {false, true}) {
        AllocationProbe probe;
        MemoryChunkSource source(AsBytes(c.bytes), 4096, c.name);
        rdb::RdbVerifyOptions options;
        options.deep = deep;
        rdb::RdbVerifyReport r = rdb::VerifyRdb(&source, options);
        largest = std::max(largest, probe.largest());
        EXPECT_FALSE(r.ok) << (deep ? "deep" : "structural");
        EXPECT_EQ(r.error.code(), StatusCode::kCorruption) << r.error.ToString();
        message = r.error.ToString();
      }
    }
    EXPECT_NE(message.find("offset"), std::string::npos) << message;
    EXPECT_LT(largest, kLargestAllowed) << "largest allocation " << largest << " bytes; "
                                        << message;
  }
}

TEST(AllocationGuard, TrackingSeesALargeAllocation) {
  // The probe itself works: a 16 MiB request is recorded.
  AllocationProbe probe;
  auto* big = new char[size_t{16} << 20];
  big[0] = 1;
  EXPECT_GE(probe.largest(), size_t{16} << 20);
  delete[] big;
}

TEST(AllocationGuard, HugeClaimsFailUnderATightMemoryLimitThroughTheCli) {
  testing::TempDir dir("shardkit-alloc-guard");
  ChildLimits limits;
  limits.memory_mib = 64;
  if (kAsanBuild) limits.memory_mib = 64;  // max_allocation_size_mb
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.File(std::string(c.name) + (c.is_aof ? ".aof" : ".rdb"));
    testing::WriteFileOrDie(path, c.bytes);
    for (const char* deep : {"--deep", "--json"}) {
      ChildResult r = RunLimited({testing::ShardkitBinary(), "verify", deep, path}, limits);
      ASSERT_TRUE(r.exited) << r.Describe() << "\n" << r.output;
      EXPECT_EQ(r.exit_code, 1) << r.output;
      EXPECT_NE(r.output.find("offset"), std::string::npos) << r.output;
    }
  }
}

}  // namespace
}  // namespace shardkit::reliability
