// FanOutFile: one output file of a recover job written into several node
// directories at once — a master's and its replicas' (or only replicas'),
// which hold the same data — so that their copies are byte-identical by
// construction and the sources are read once.
//
// Every byte appended goes to each NodeOutput::File in order. With a single
// file it is a pass-through, lending that file's buffer (Lend/Commit), so a
// job without replicas writes exactly as before. With more it does not lend
// (the writer appends; each file copies into its own buffer).
// Ownership: owns the files; their NodeOutputs must outlive it.
// Threading: one thread (the node's writer). Errors: the first failing
// file's, sticky in that file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "loader/node_output.h"

namespace shardkit::loader {

class FanOutFile final : public ChunkSink {
 public:
  // `files` must not be empty.
  explicit FanOutFile(std::vector<std::unique_ptr<NodeOutput::File>> files);
  FanOutFile(const FanOutFile&) = delete;
  FanOutFile& operator=(const FanOutFile&) = delete;

  Status Append(ByteSpan bytes) override;
  Result<MutableByteSpan> Lend() override;
  Status Commit(size_t n) override;
  Status Finish() override;
  const std::string& name() const override { return files_.front()->name(); }
  // NodeOutput::File::UseCallerCrc / SetCallerCrc on every copy.
  void UseCallerCrc();
  void SetCallerCrc(uint64_t crc);
  // Publishes every copy (NodeOutput::File::Publish).
  Status Publish();

 private:
  std::vector<std::unique_ptr<NodeOutput::File>> files_;
};

}  // namespace shardkit::loader
