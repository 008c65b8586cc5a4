#include "loader/spill_segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/byte_reader.h"
#include "storage/file_reader.h"
#include "storage/file_system.h"
#include "storage/io_environment.h"
#include "storage/io_error.h"

namespace shardkit::loader {
namespace {

// Appends are buffered up to this size before one write(2).
constexpr size_t kBufferBytes = 1 << 20;

// Record layout (all integers native-endian, fixed width):
//   batch:   u32 tag 'SPLB', u8 magic, u64 entries, u64 commands
//   entry:   u64 db, u8 type, u8 flags (1 expire, 2 lru, 4 lfu, bits 3-4 the
//            formats::rdb::ValuePart of a value read in pieces), i64 expire_ms,
//            u64 lru_idle_s, u8 lfu_freq, then key, key_meta, value,
//            module_name as u64 length + bytes
//   command: i32 db, u64 argc, then each argument as u64 length + bytes
constexpr uint32_t kBatchTag = 0x424c5053;  // "SPLB"
constexpr uint8_t kHasExpire = 1, kHasLru = 2, kHasLfu = 4;
constexpr int kPartShift = 3;

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

void PutString(std::string* out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out->append(s);
}

template <typename T>
Result<T> Get(ByteReader& in) {
  T v;
  SK_RETURN_IF_ERROR(in.ReadInto(reinterpret_cast<std::byte*>(&v), sizeof(v)));
  return v;
}

Status GetString(ByteReader& in, std::string* out) {
  SK_ASSIGN_OR_RETURN(uint64_t n, Get<uint64_t>(in));
  out->clear();
  // ReadAppend checks n against what the file holds before growing `out`.
  return in.ReadAppend(out, n);
}

Status ReadBatch(ByteReader& in, EntryBatch* batch) {
  batch->Reset();
  const uint64_t at = in.offset();
  SK_ASSIGN_OR_RETURN(uint32_t tag, Get<uint32_t>(in));
  if (tag != kBatchTag) return in.CorruptionAt(at, "spill segment: bad batch tag");
  SK_ASSIGN_OR_RETURN(uint8_t magic, Get<uint8_t>(in));
  batch->magic = static_cast<formats::rdb::Magic>(magic);
  SK_ASSIGN_OR_RETURN(uint64_t entries, Get<uint64_t>(in));
  SK_ASSIGN_OR_RETURN(uint64_t commands, Get<uint64_t>(in));
  // Every entry and command takes at least 8 bytes: the counts cannot exceed
  // what is left of the file, so the loops below are bounded by it.
  for (uint64_t i = 0; i < entries; ++i) {
    formats::rdb::RdbEntry& out = batch->used < batch->entries.size()
                                      ? batch->entries[batch->used]
                                      : batch->entries.emplace_back();
    ++batch->used;
    SK_ASSIGN_OR_RETURN(out.db, Get<uint64_t>(in));
    SK_ASSIGN_OR_RETURN(out.type, Get<uint8_t>(in));
    SK_ASSIGN_OR_RETURN(uint8_t flags, Get<uint8_t>(in));
    SK_ASSIGN_OR_RETURN(int64_t expire, Get<int64_t>(in));
    SK_ASSIGN_OR_RETURN(uint64_t lru, Get<uint64_t>(in));
    SK_ASSIGN_OR_RETURN(uint8_t lfu, Get<uint8_t>(in));
    out.expire_ms = (flags & kHasExpire) ? std::optional<int64_t>(expire) : std::nullopt;
    out.lru_idle_s = (flags & kHasLru) ? std::optional<uint64_t>(lru) : std::nullopt;
    out.lfu_freq = (flags & kHasLfu) ? std::optional<uint8_t>(lfu) : std::nullopt;
    out.part = static_cast<formats::rdb::ValuePart>((flags >> kPartShift) & 3);
    SK_RETURN_IF_ERROR(GetString(in, &out.key));
    SK_RETURN_IF_ERROR(GetString(in, &out.key_meta));
    SK_RETURN_IF_ERROR(GetString(in, &out.value));
    SK_RETURN_IF_ERROR(GetString(in, &out.module_name));
    out.value_bytes = out.value.size();
  }
  for (uint64_t i = 0; i < commands; ++i) {
    RoutedCommand& c = batch->commands.emplace_back();
    SK_ASSIGN_OR_RETURN(c.db, Get<int32_t>(in));
    SK_ASSIGN_OR_RETURN(uint64_t argc, Get<uint64_t>(in));
    for (uint64_t k = 0; k < argc; ++k) {
      SK_RETURN_IF_ERROR(GetString(in, &c.args.emplace_back()));
    }
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<SpillSegment>> SpillSegment::Create(const std::string& path,
                                                           const storage::IoOptions& io) {
  storage::FileSystem* fs = storage::EnvironmentOf(io)->file_system();
  SK_ASSIGN_OR_RETURN(int fd, fs->Open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  return std::unique_ptr<SpillSegment>(new SpillSegment(path, fd, io));
}

SpillSegment::SpillSegment(std::string path, int fd, storage::IoOptions io)
    : path_(std::move(path)), fd_(fd), io_(io) {
  buffer_.reserve(kBufferBytes);
}

SpillSegment::~SpillSegment() { Remove(); }

void SpillSegment::Remove() {
  storage::FileSystem* fs = storage::EnvironmentOf(io_)->file_system();
  if (fd_ >= 0) {
    (void)fs->Close(fd_, path_);  // the data is discarded either way
    fd_ = -1;
  }
  if (!removed_) {
    (void)fs->Unlink(path_);  // inside the staging directory, removed with it otherwise
    removed_ = true;
  }
}

Status SpillSegment::FlushBuffer() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const int64_t offset = static_cast<int64_t>(written_ + done);
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return storage::IoErrorStatus(errno, "write", path_, offset);
    }
    if (n == 0) return storage::IoErrorStatus(EIO, "write (no progress)", path_, offset);
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
  return Status();
}

Status SpillSegment::Append(const EntryBatch& batch) {
  if (fd_ < 0) return Status::InvalidArgument("internal: " + path_ + ": spill segment appended after its replay");
  ++batches_;
  Put<uint32_t>(&buffer_, kBatchTag);
  Put<uint8_t>(&buffer_, static_cast<uint8_t>(batch.magic));
  Put<uint64_t>(&buffer_, batch.used);
  Put<uint64_t>(&buffer_, batch.commands.size());
  for (const formats::rdb::RdbEntry& e : batch.live()) {
    Put<uint64_t>(&buffer_, e.db);
    Put<uint8_t>(&buffer_, e.type);
    Put<uint8_t>(&buffer_, static_cast<uint8_t>((e.expire_ms ? kHasExpire : 0) |
                                                (e.lru_idle_s ? kHasLru : 0) |
                                                (e.lfu_freq ? kHasLfu : 0) |
                                                (static_cast<uint8_t>(e.part) << kPartShift)));
    Put<int64_t>(&buffer_, e.expire_ms.value_or(0));
    Put<uint64_t>(&buffer_, e.lru_idle_s.value_or(0));
    Put<uint8_t>(&buffer_, e.lfu_freq.value_or(0));
    PutString(&buffer_, e.key);
    PutString(&buffer_, e.key_meta);
    PutString(&buffer_, e.value);
    PutString(&buffer_, e.module_name);
    if (buffer_.size() >= kBufferBytes) SK_RETURN_IF_ERROR(FlushBuffer());
  }
  for (const RoutedCommand& c : batch.commands) {
    Put<int32_t>(&buffer_, c.db);
    Put<uint64_t>(&buffer_, c.args.size());
    for (const std::string& a : c.args) PutString(&buffer_, a);
    if (buffer_.size() >= kBufferBytes) SK_RETURN_IF_ERROR(FlushBuffer());
  }
  return Status();
}

Status SpillSegment::Replay(const std::function<Status(const EntryBatch&)>& fn) {
  if (fd_ < 0) return Status::InvalidArgument("internal: " + path_ + ": spill segment replayed twice");
  SK_RETURN_IF_ERROR(FlushBuffer());
  storage::FileSystem* fs = storage::EnvironmentOf(io_)->file_system();
  Status closed = fs->Close(fd_, path_);
  fd_ = -1;
  SK_RETURN_IF_ERROR(closed);
  // Just written through the page cache: read it back from there.
  storage::IoOptions read_io = io_;
  read_io.direct = false;
  SK_ASSIGN_OR_RETURN(auto source, storage::OpenSequentialReader(path_, read_io));
  ByteReader in(source.get());
  EntryBatch batch;
  for (uint64_t i = 0; i < batches_; ++i) {
    SK_RETURN_IF_ERROR(ReadBatch(in, &batch));
    SK_RETURN_IF_ERROR(fn(batch));
  }
  SK_ASSIGN_OR_RETURN(bool at_end, in.AtEnd());
  if (!at_end) return in.CorruptionAt(in.offset(), "spill segment: bytes after the last batch");
  Remove();
  return Status();
}

}  // namespace shardkit::loader
