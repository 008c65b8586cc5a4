// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed
// with everything in it when the object dies (unless SHARDKIT_KEEP_TEMP=1).
// Also the paths tests need: the public corpus and the built shardkit binary.
#pragma once

#include <string>

namespace shardkit::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "shardkit-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ../shared/corpus/public from the source tree.
std::string CorpusDir();
// Path of the built `shardkit` CLI.
std::string ShardkitBinary();
// Reads/writes a whole file (test helpers; abort the test on error via gtest).
std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& data);

}  // namespace shardkit::testing
