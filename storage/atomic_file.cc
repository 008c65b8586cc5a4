// AtomicFileWriter: a SequentialWriter on "<dir>/.<name>.tmp.<pid>" plus the
// publish protocol of atomic_file.h.
//
// Publish phases and what a failure in each leaves behind:
//   1. Finish: flush + fdatasync the temporary. Failure: temporary removed,
//      final name untouched.
//   2. close. Failure: as 1.
//   3. rename(temporary, final). Failure: as 1.
//   4. fsync(directory). Failure: the final name already holds the new
//      content, but the rename may not survive a crash (the old file would
//      then come back); reported as an error so the caller does not treat
//      the publish as durable.
#include "storage/atomic_file.h"

#include <unistd.h>

#include "storage/file_system.h"
#include "storage/io_environment.h"
#include "storage/sequential_writer.h"

namespace shardkit::storage {
namespace {

class AtomicFileWriterImpl final : public AtomicFileWriter {
 public:
  AtomicFileWriterImpl(FileSystem* fs, std::string final_path, std::string temp_path,
                       std::unique_ptr<SequentialWriter> writer)
      : fs_(fs),
        final_path_(std::move(final_path)),
        temp_path_(std::move(temp_path)),
        writer_(std::move(writer)) {}

  ~AtomicFileWriterImpl() override {
    if (!renamed_) RemoveTemporary();
  }

  Status Append(ByteSpan bytes) override {
    if (!status_.ok()) return status_;
    if (published_) return Fail(Status::InvalidArgument("append " + final_path_ + ": published"));
    return Fail(writer_->Append(bytes));
  }

  Result<MutableByteSpan> Lend() override {
    if (!status_.ok()) return status_;
    if (published_) return Fail(Status::InvalidArgument("append " + final_path_ + ": published"));
    Result<MutableByteSpan> lent = writer_->Lend();
    if (!lent.ok()) return Fail(lent.status());
    return lent;
  }

  Status Commit(size_t n) override {
    if (!status_.ok()) return status_;
    return Fail(writer_->Commit(n));
  }

  Status Finish() override {
    if (!status_.ok()) return status_;
    return Fail(writer_->Finish());
  }

  Status Publish() override {
    if (!status_.ok() || published_) return status_;
    Status s = writer_->Close();
    if (s.ok()) s = fs_->Rename(temp_path_, final_path_);
    if (!s.ok()) {
      RemoveTemporary();
      return Fail(std::move(s));
    }
    renamed_ = true;
    // The directory error names the directory; say which publish it was.
    Status dir = fs_->SyncDir(DirName(final_path_));
    if (!dir.ok()) return Fail(dir.WithPrefix("publish " + final_path_));
    published_ = true;
    return Status();
  }

  const std::string& name() const override { return final_path_; }
  const std::string& final_path() const override { return final_path_; }

 private:
  // Records the first error (sticky) and returns the current status.
  Status Fail(Status s) {
    if (status_.ok() && !s.ok()) status_ = std::move(s);
    return status_;
  }
  void RemoveTemporary() {
    if (writer_ == nullptr) return;
    writer_.reset();  // closes the fd (waits out writes in flight)
    (void)fs_->Unlink(temp_path_);
  }

  FileSystem* fs_;
  std::string final_path_;
  std::string temp_path_;
  std::unique_ptr<SequentialWriter> writer_;
  bool renamed_ = false;
  bool published_ = false;
  Status status_;
};

}  // namespace

Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& final_path,
                                                                   const IoOptions& options) {
  std::string temp_path = DirName(final_path) + "/." + BaseName(final_path) + ".tmp." +
                          std::to_string(static_cast<long>(::getpid()));
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SequentialWriter> writer,
                      SequentialWriter::Create(temp_path, options));
  FileSystem* fs = EnvironmentOf(options)->file_system();
  return std::unique_ptr<AtomicFileWriter>(
      new AtomicFileWriterImpl(fs, final_path, std::move(temp_path), std::move(writer)));
}

}  // namespace shardkit::storage
