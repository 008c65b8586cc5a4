// NodeOutput: one new node's output directory, built in a staging directory
// and published whole (see recover.h for the layout and the rerun rules).
//
// Protocol: Open() removes stale "<out>/.node-K.tmp.*" directories and makes
// "<out>/.node-K.tmp.<pid>/"; files are written into it atomically
// (storage::AtomicFileWriter: temp, fdatasync, rename, fsync dir); Publish()
// writes the marker last, renames the staging directory to "<out>/node-K"
// and fsyncs <out>. Abandon() (or the destructor without Publish) removes the
// staging directory. Each File is written by one thread; Files of one
// NodeOutput may be published from several threads at once (recover's
// phase 1 writes every node's fragments into one directory).
// Errors: naming the path and the operation.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "storage/atomic_file.h"
#include "storage/io_options.h"

namespace shardkit::loader {

struct OutputFile {
  std::string name;   // relative to the node directory
  uint64_t bytes = 0;
  std::string crc64;  // 16 hex: CRC-64/Jones of the file (formats/encodings/crc64.h)
};

struct NodeMarker {
  std::string plan_fingerprint;
  int node_index = -1;
  std::string node_id;
  uint64_t keys = 0;
  std::vector<OutputFile> files;
};

std::string FormatMarker(const NodeMarker& marker);
Result<NodeMarker> ParseMarker(std::string_view text, std::string_view path);

// CRC-64/Jones of a whole file, as 16 hex digits (read through the storage layer).
Result<OutputFile> HashFile(const std::string& dir, const std::string& name,
                            const storage::IoOptions& io);

// What a rerun finds at <out>/node-K.
enum class ExistingNode { kAbsent, kCompleteForThisPlan, kForeign };
// kForeign comes with the reason in *why.
Result<ExistingNode> CheckExistingNode(const std::string& node_dir, const std::string& fingerprint,
                                       int node_index, const storage::IoOptions& io,
                                       std::string* why);

class NodeOutput {
 public:
  static Result<std::unique_ptr<NodeOutput>> Open(const std::string& out_dir, int node_index,
                                                  const storage::IoOptions& io);
  // The same protocol for <out>/<name> (recover's fragments: "source-I").
  static Result<std::unique_ptr<NodeOutput>> OpenNamed(const std::string& out_dir,
                                                       const std::string& name,
                                                       const storage::IoOptions& io);
  ~NodeOutput();
  NodeOutput(const NodeOutput&) = delete;
  NodeOutput& operator=(const NodeOutput&) = delete;

  const std::string& staging_dir() const { return staging_; }
  const std::string& final_dir() const { return final_; }
  // Files published so far (size and CRC-64 each).
  const std::vector<OutputFile>& files() const { return files_; }

  // A file in the staging directory: a sink that hashes what passes through
  // it and, on Publish(), publishes the file atomically and records its size
  // and CRC-64 for the marker. The NodeOutput must outlive it.
  class File final : public ChunkSink {
   public:
    ~File() override;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    Status Append(ByteSpan bytes) override;
    // Lends the storage writer's buffer; Commit hashes what was written.
    Result<MutableByteSpan> Lend() override;
    Status Commit(size_t n) override;
    Status Finish() override { return inner_->Finish(); }
    const std::string& name() const override { return inner_->name(); }
    // For a file whose CRC-64 the writer knows (fragment assembly joins
    // pieces by Crc64Combine): call before the first byte; nothing is
    // hashed here, and SetCallerCrc gives the whole file's CRC before Publish.
    void UseCallerCrc() { caller_crc_ = true; }
    void SetCallerCrc(uint64_t crc) { crc_ = crc; }
    Status Publish();

   private:
    friend class NodeOutput;
    File(NodeOutput* owner, std::string name, std::unique_ptr<storage::AtomicFileWriter> inner);
    NodeOutput* owner_;
    std::string file_name_;
    std::unique_ptr<storage::AtomicFileWriter> inner_;
    uint64_t crc_ = 0;  // CRC-64/Jones of the bytes appended
    bool caller_crc_ = false;
    uint64_t bytes_ = 0;
    MutableByteSpan lent_;  // the span of the last Lend, until its Commit
  };
  Result<std::unique_ptr<File>> CreateFile(const std::string& name);
  // A subdirectory of the staging directory (e.g. "appendonlydir").
  Status MakeSubdir(const std::string& name);
  // Small files in one call.
  Status WriteSmallFile(const std::string& name, std::string_view data);
  // Writes the marker (listing every published file), renames the staging
  // directory into place and fsyncs out_dir.
  Status Publish(NodeMarker marker);
  void Abandon();

 private:
  NodeOutput(std::string out_dir, std::string staging, std::string final_dir,
             storage::IoOptions io)
      : out_dir_(std::move(out_dir)), staging_(std::move(staging)),
        final_(std::move(final_dir)), io_(io) {}
  std::string out_dir_;
  std::string staging_;
  std::string final_;
  storage::IoOptions io_;
  std::mutex files_mu_;  // guards files_ while Files publish
  std::vector<OutputFile> files_;
  bool done_ = false;
};

inline constexpr const char* kMarkerName = "shardkit-node.txt";

}  // namespace shardkit::loader
