// The small files of the public corpus the reliability tests damage: every
// file MANIFEST.md lists (../shared/corpus/public/MANIFEST.md: "## <dir>"
// sections, rows "| `file` | source | size | ...") under 64 KiB, minus the
// rows marked "dup of", classified by name and first bytes. Whether a file
// is sound is decided by the caller (it verifies cleanly as it is).
// Also: the seed for randomised tests (SHARDKIT_TEST_SEED, printed; fixed
// default) and the
// count scale (SHARDKIT_RELIABILITY_SCALE; default 1, 1/8 under ASan).
// Header-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reliability/child_process.h"
#include "tests/support/temp_dir.h"

namespace shardkit::reliability {

enum class FileKind { kRdb, kAof, kManifest, kOther };

struct CorpusFile {
  std::string path;  // absolute
  std::string name;  // "<section>/<file>"
  FileKind kind = FileKind::kOther;
  std::string bytes;
};

inline FileKind KindOf(const std::string& name, const std::string& bytes) {
  auto ends = [&](const char* s) {
    const std::string suffix(s);
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(),
                                                        suffix) == 0;
  };
  if (ends(".manifest")) return FileKind::kManifest;
  if (ends(".aof")) return FileKind::kAof;
  if (bytes.rfind("REDIS", 0) == 0 || bytes.rfind("VALKEY", 0) == 0) return FileKind::kRdb;
  return FileKind::kOther;
}

inline std::vector<CorpusFile> SmallCorpusFiles(uint64_t max_bytes = 64 * 1024) {
  const std::string root = testing::CorpusDir();
  std::ifstream in(root + "/MANIFEST.md");
  std::vector<CorpusFile> out;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      section = line.substr(3);
      continue;
    }
    if (line.rfind("| `", 0) != 0 || line.find("dup of") != std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(cell);
    if (cells.size() < 4) continue;
    std::string file = cells[0].substr(cells[0].find('`') + 1);
    file = file.substr(0, file.find('`'));
    const uint64_t size = std::strtoull(cells[2].c_str(), nullptr, 10);
    if (size == 0 || size >= max_bytes) continue;
    CorpusFile f;
    f.name = section + "/" + file;
    f.path = root + "/" + f.name;
    if (!std::filesystem::is_regular_file(f.path)) continue;
    f.bytes = testing::ReadFileOrDie(f.path);
    f.kind = KindOf(file, f.bytes);
    out.push_back(std::move(f));
  }
  return out;
}

inline uint64_t TestSeed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("SHARDKIT_TEST_SEED");
    // Fixed by default so CI is reproducible; scripts/reliability.sh varies it.
    const uint64_t s = env ? std::strtoull(env, nullptr, 0) : 20261125;
    std::printf("reliability: SHARDKIT_TEST_SEED=%llu (set it to replay)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

// Multiplier for iteration counts: SHARDKIT_RELIABILITY_SCALE, default 1
// (0.125 under ASan).
inline double Scale() {
  if (const char* env = std::getenv("SHARDKIT_RELIABILITY_SCALE")) return std::atof(env);
  return kAsanBuild ? 0.125 : 1.0;
}

// Appends "key value\n" to $SHARDKIT_RELIABILITY_STATS when set (figures for
// scripts/reliability.sh -> tests/RELIABILITY.md).
inline void RecordFigure(const std::string& key, uint64_t value) {
  const char* path = std::getenv("SHARDKIT_RELIABILITY_STATS");
  std::printf("figure: %s %llu\n", key.c_str(), static_cast<unsigned long long>(value));
  if (path == nullptr) return;
  std::ofstream out(path, std::ios::app);
  out << key << " " << value << "\n";
}

}  // namespace shardkit::reliability
