#include "loader/fan_out_file.h"

namespace shardkit::loader {

FanOutFile::FanOutFile(std::vector<std::unique_ptr<NodeOutput::File>> files)
    : files_(std::move(files)) {}

Status FanOutFile::Append(ByteSpan bytes) {
  for (auto& f : files_) SK_RETURN_IF_ERROR(f->Append(bytes));
  return Status();
}

Result<MutableByteSpan> FanOutFile::Lend() {
  if (files_.size() == 1) return files_.front()->Lend();
  return MutableByteSpan();
}

Status FanOutFile::Commit(size_t n) {
  if (files_.size() == 1) return files_.front()->Commit(n);
  return ChunkSink::Commit(n);
}

Status FanOutFile::Finish() {
  for (auto& f : files_) SK_RETURN_IF_ERROR(f->Finish());
  return Status();
}

void FanOutFile::UseCallerCrc() {
  for (auto& f : files_) f->UseCallerCrc();
}

void FanOutFile::SetCallerCrc(uint64_t crc) {
  for (auto& f : files_) f->SetCallerCrc(crc);
}

Status FanOutFile::Publish() {
  for (auto& f : files_) SK_RETURN_IF_ERROR(f->Publish());
  return Status();
}

}  // namespace shardkit::loader
