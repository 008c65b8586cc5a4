#include "formats/aof/aof_writer.h"

namespace shardkit::formats::aof {

void AppendCommand(std::span<const std::string> args, std::string* out) {
  out->push_back('*');
  out->append(std::to_string(args.size()));
  out->append("\r\n");
  for (const auto& a : args) {
    out->push_back('$');
    out->append(std::to_string(a.size()));
    out->append("\r\n");
    out->append(a);
    out->append("\r\n");
  }
}

std::string EncodeCommand(std::span<const std::string> args) {
  std::string out;
  AppendCommand(args, &out);
  return out;
}

Status AofWriter::WriteRaw(std::span<const std::string> args) {
  if (args.empty()) return Status::InvalidArgument("AofWriter: empty command");
  buffer_.clear();
  AppendCommand(args, &buffer_);
  return out_.Append(buffer_);
}

Status AofWriter::Write(int db, std::span<const std::string> args) {
  if (first_db_ < 0) {
    first_db_ = db;
    if (adopt_first_db_) db_ = db;
  }
  if (db != db_) {
    const std::string select[2] = {"SELECT", std::to_string(db)};
    SK_RETURN_IF_ERROR(WriteRaw(select));
    db_ = db;
  }
  return WriteRaw(args);
}

Status AofWriter::WriteTimestamp(int64_t unix_seconds) {
  if (unix_seconds < 0) return Status::InvalidArgument("AofWriter: negative timestamp");
  return out_.Append("#TS:" + std::to_string(unix_seconds) + "\r\n");
}

namespace {

// Create -> fill -> Finish -> publish, for one file.
Status WriteOneFile(const MultiPartAofCallbacks& callbacks, const std::string& name,
                    const std::function<Status(ChunkSink*)>& fill) {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<ChunkSink> sink, callbacks.create(name));
  SK_RETURN_IF_ERROR(fill(sink.get()));
  SK_RETURN_IF_ERROR(sink->Finish());
  return callbacks.publish(sink.get());
}

}  // namespace

Result<MultiPartAofResult> WriteMultiPartAof(const MultiPartAofSpec& spec,
                                             const MultiPartAofCallbacks& callbacks,
                                             const std::function<Status(ChunkSink*)>& write_base,
                                             const std::function<Status(AofWriter*)>& write_incr) {
  MultiPartAofResult result;
  if (spec.seq == 0) return Status::InvalidArgument("multi-part AOF seq must be positive");
  AofFileInfo base;
  base.name = BaseFileName(spec.prefix, spec.seq, spec.base_is_rdb);
  base.seq = spec.seq;
  base.type = AofFileType::kBase;
  SK_RETURN_IF_ERROR(ValidateAofFileName(base.name));
  SK_RETURN_IF_ERROR(WriteOneFile(callbacks, base.name, write_base));
  result.manifest.base = base;
  if (spec.with_incr) {
    AofFileInfo incr;
    incr.name = IncrFileName(spec.prefix, spec.seq);
    incr.seq = spec.seq;
    incr.type = AofFileType::kIncr;
    auto fill_incr = [&](ChunkSink* sink) -> Status {
      AofWriter writer(sink);
      Status filled = write_incr(&writer);
      // Flush through the writer; WriteOneFile finishes the sink itself.
      return filled.ok() ? writer.Flush() : filled;
    };
    SK_RETURN_IF_ERROR(WriteOneFile(callbacks, incr.name, fill_incr));
    result.manifest.incr.push_back(incr);
  }
  result.manifest_name = ManifestFileName(spec.prefix);
  const std::string text = FormatAofManifest(result.manifest);
  SK_RETURN_IF_ERROR(WriteOneFile(callbacks, result.manifest_name,
                                  [&](ChunkSink* sink) { return sink->Append(AsBytes(text)); }));
  return result;
}

}  // namespace shardkit::formats::aof
