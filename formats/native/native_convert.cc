#include "formats/native/native_convert.h"

#include <algorithm>

#include "formats/rdb/rdb_writer.h"

namespace shardkit::formats::native {
namespace {

// Feeds every record of an RDB into a NativeWriter created at the header.
class ToNativeVisitor final : public rdb::RdbVisitor {
 public:
  ToNativeVisitor(ChunkSink* sink, const NativeWriterOptions& options)
      : sink_(sink), options_(options) {}

  Status OnHeader(const rdb::RdbHeader& header) override {
    FileHeader file_header;
    file_header.rdb = header;
    SK_ASSIGN_OR_RETURN(writer_, NativeWriter::Create(sink_, std::move(file_header), options_));
    return Status();
  }
  Status OnAux(std::string_view key, std::string_view value) override {
    return writer_->AddAux(key, value);
  }
  Status OnFunction(std::string_view code) override { return writer_->AddFunction(code); }
  Status OnFunctionPreGa(std::string_view name, std::string_view) override {
    return Status::NotSupported(sink_->name() + ": the source holds a pre-GA function record (\"" +
                                std::string(name) + "\"), which the native format does not carry");
  }
  Status OnModuleAux(uint64_t, std::string_view raw) override {
    return writer_->AddModuleAux(raw);
  }
  Status OnSlotImport(std::string_view) override {
    return Status::NotSupported(sink_->name() +
                                ": the source holds a Valkey SLOT_IMPORT record, which the native "
                                "format does not carry");
  }
  Status OnEntry(const rdb::RdbEntry& entry) override { return writer_->AddEntry(entry); }

  NativeWriter* writer() { return writer_.get(); }

 private:
  ChunkSink* sink_;
  NativeWriterOptions options_;
  std::unique_ptr<NativeWriter> writer_;
};

Status WriteMeta(const std::vector<MetaRecord>& records, bool after_keys, rdb::RdbWriter* writer,
                 std::vector<std::string>* losses) {
  uint64_t functions_dropped = 0;
  for (const MetaRecord& r : records) {
    if (r.after_keys != after_keys) continue;
    switch (r.kind) {
      case MetaKind::kAux:
        SK_RETURN_IF_ERROR(writer->WriteAux(r.a, r.b));
        break;
      case MetaKind::kFunction:
        if (writer->version() < 10) {
          ++functions_dropped;
          break;
        }
        SK_RETURN_IF_ERROR(writer->WriteFunction(r.a));
        break;
      case MetaKind::kModuleAux:
        SK_RETURN_IF_ERROR(writer->WriteModuleAux(r.a));
        break;
    }
  }
  if (functions_dropped > 0) {
    losses->push_back(std::to_string(functions_dropped) +
                      " function libraries dropped (RDB < 10 has no FUNCTION2)");
  }
  return Status();
}

}  // namespace

Result<RdbToNativeResult> RdbToNative(ChunkSource* rdb_source, ChunkSink* native_sink,
                                      const NativeWriterOptions& options, rdb::Producer layout) {
  NativeWriterOptions writer_options = options;
  writer_options.background_encode = true;  // parse and encode on two cores
  ToNativeVisitor visitor(native_sink, writer_options);
  rdb::RdbReadOptions read_options;
  read_options.capture_values = true;
  read_options.layout = layout;
  RdbToNativeResult result;
  SK_ASSIGN_OR_RETURN(result.source, rdb::ReadRdb(rdb_source, read_options, &visitor));
  SK_RETURN_IF_ERROR(visitor.writer()->Finish());
  result.written = visitor.writer()->stats();
  return result;
}

Result<NativeToRdbResult> NativeToRdb(const NativeReader& reader, ChunkSink* rdb_sink,
                                      const NativeToRdbOptions& options) {
  const FileHeader& header = reader.header();
  NativeToRdbResult result;
  // Sources older than RDB 7 are written as RDB 7, which holds every older type.
  result.rdb_version = options.rdb_version != 0
                           ? options.rdb_version
                           : std::max(header.rdb.version, rdb::RdbWriter::kMinWritableVersion);
  if (header.rdb.magic == rdb::Magic::kValkey && options.rdb_version == 0) {
    return Status::InvalidArgument(reader.name() + ": the source was a Valkey RDB (version " +
                                   std::to_string(header.rdb.version) +
                                   "); choose a Redis RDB version to write (--rdb-version)");
  }
  SK_ASSIGN_OR_RETURN(auto writer,
                      rdb::RdbWriter::Create(rdb_sink, {.version = result.rdb_version,
                                                        .checksum = options.checksum}));
  for (const auto& [key, value] : header.aux) SK_RETURN_IF_ERROR(writer->WriteAux(key, value));
  SK_ASSIGN_OR_RETURN(std::vector<MetaRecord> meta, reader.ReadMeta());
  SK_RETURN_IF_ERROR(WriteMeta(meta, false, writer.get(), &result.losses));

  const std::vector<uint32_t> blocks =
      options.slots.has_value() ? reader.KeyBlocksFor(*options.slots) : reader.KeyBlocks();
  std::optional<uint32_t> db;
  for (uint32_t n : blocks) {
    const BlockInfo& b = reader.blocks()[n];
    if (db != b.db) {
      SK_RETURN_IF_ERROR(writer->WriteSelectDb(b.db));
      db = b.db;
    }
    SK_RETURN_IF_ERROR(reader.ForEachEntry(n, [&](const rdb::RdbEntry& entry) -> Status {
      if (options.slots.has_value() && !options.slots->test(entry.HashSlot())) return Status();
      ++result.keys;
      return writer->WriteEntry(entry, header.rdb.magic);
    }));
    ++result.blocks_read;
    result.stored_bytes_read += kBlockHeaderBytes + b.stored_bytes;
  }
  SK_RETURN_IF_ERROR(WriteMeta(meta, true, writer.get(), &result.losses));
  SK_RETURN_IF_ERROR(writer->Finish());
  for (std::string& loss : writer->losses()) result.losses.push_back(std::move(loss));
  result.rdb_bytes = writer->offset();
  return result;
}

}  // namespace shardkit::formats::native
