// Phase 2 of a split recovery (loader/fragments.h): a node's data files
// from the fragments of its sources, in source order, as the one-process
// recover writes them. Record bytes are copied, not parsed; their CRC-64 is
// checked as they are read and joined into the output's by Crc64Combine.
#include <atomic>
#include <chrono>

#include "base/byte_writer.h"
#include "base/hex.h"
#include "formats/aof/aof_writer.h"
#include "formats/encodings/crc64.h"
#include "formats/encodings/hash_slot.h"
#include "loader/fragments.h"
#include "loader/recover_pipeline.h"
#include "storage/file_reader.h"
#include "storage/small_file.h"

namespace shardkit::loader {

namespace {

// Held records of one node are bounded by kMaxDeferredBytes in phase 1; the
// index and owned-key lists by the keys of contested slots.
constexpr size_t kMaxSmallFragmentBytes = size_t{1} << 30;

std::string NodeFile(int node, const char* suffix) {
  return "node-" + std::to_string(node) + suffix;
}

Status Damaged(const SourceFragments& s, const std::string& name, const std::string& what) {
  return Status::Corruption(s.dir + "/" + name + ": " + what +
                            ": the fragment is damaged; nothing was published (rerun phase 1 "
                            "for source " + std::to_string(s.manifest.source) + ")");
}

Result<const OutputFile*> Listed(const SourceFragments& s, const std::string& name) {
  auto it = s.files.find(name);
  if (it == s.files.end()) {
    return Status::Corruption(s.dir + ": the marker does not list " + name);
  }
  return &it->second;
}

// A small fragment file, whole, checked against the marker's CRC-64.
Result<std::string> ReadChecked(const SourceFragments& s, const std::string& name) {
  SK_ASSIGN_OR_RETURN(const OutputFile* f, Listed(s, name));
  SK_ASSIGN_OR_RETURN(std::string bytes,
                      storage::ReadSmallFile(s.dir + "/" + name, kMaxSmallFragmentBytes));
  const std::string crc = Hex64(formats::Crc64(0, AsBytes(bytes)));
  if (bytes.size() != f->bytes || crc != f->crc64) {
    return Damaged(s, name, "CRC-64 " + crc + " over " + std::to_string(bytes.size()) +
                                " bytes, the marker says " + f->crc64 + " over " +
                                std::to_string(f->bytes));
  }
  return bytes;
}

// Streams a fragment file to `append` in the storage layer's chunks,
// checking its size and CRC-64 against the marker's; *crc and *length get
// what was read.
template <typename Append>
Status CopyChecked(const SourceFragments& s, const std::string& name,
                   const storage::IoOptions& io, const Append& append, uint64_t* crc,
                   uint64_t* length, std::atomic<uint64_t>* progress) {
  SK_ASSIGN_OR_RETURN(const OutputFile* f, Listed(s, name));
  SK_ASSIGN_OR_RETURN(auto file, storage::OpenSequentialReader(s.dir + "/" + name, io));
  *crc = 0;
  *length = 0;
  for (;;) {
    SK_ASSIGN_OR_RETURN(ByteSpan chunk, file->Next());
    if (chunk.empty()) break;
    *crc = formats::Crc64(*crc, chunk);
    *length += chunk.size();
    progress->fetch_add(chunk.size(), std::memory_order_relaxed);
    SK_RETURN_IF_ERROR(append(chunk));
  }
  if (*length != f->bytes || Hex64(*crc) != f->crc64) {
    return Damaged(s, name, "CRC-64 " + Hex64(*crc) + " over " + std::to_string(*length) +
                                " bytes, the marker says " + f->crc64 + " over " +
                                std::to_string(f->bytes));
  }
  return Status();
}

void NoteHeldKeyWritten(NodeJob* job, const HeldRecord& r) {
  ++job->keys_written;
  if (r.expire_ms) job->expiry.Add(*r.expire_ms);
  if (job->count_standard_policy && formats::StandardPolicyDiffers(r.key)) {
    ++job->standard_policy_differs;
  }
  ++job->non_owner_kept;
}

// A SELECTDB before records of another db than the last written.
Status SelectRdbDb(NodeJob* job, uint64_t db) {
  if (db == job->current_db) return Status();
  SK_RETURN_IF_ERROR(job->writer->WriteSelectDb(db));
  job->current_db = db;
  return Status();
}

Status Assemble(PipelineState* state, const FragmentSet& set, NodeJob* job) {
  const storage::IoOptions& io = state->options->io;
  const int k = job->node->index;
  const std::string rdb_name = NodeFile(k, ".rdb");
  const std::string incr_name = NodeFile(k, ".incr");
  // The incr file: SELECTs written here, fragments' commands joined by CRC.
  std::unique_ptr<ByteWriter> incr;
  formats::Crc64Observer incr_crc;
  int64_t incr_db = 0;  // a loaded AOF file starts in db 0 (as AofWriter assumes)
  if (job->incr_file) {
    incr = std::make_unique<ByteWriter>(job->incr_file.get());
    incr->SetObserver(&incr_crc);
  }
  const std::vector<int> feeding = state->plan->SourcesForNode(k);
  std::vector<const NodeFragment*> parts;
  for (int i : feeding) {
    const SourceFragments& src = set.sources[static_cast<size_t>(i)];
    auto it = src.manifest.nodes.find(k);
    if (it == src.manifest.nodes.end()) {
      return Status::Corruption(src.dir + ": no fragment for node " + std::to_string(k) +
                                ", which the plan says source " + std::to_string(i) + " feeds");
    }
    const NodeFragment& f = it->second;
    parts.push_back(&f);
    uint64_t crc = 0, length = 0;
    if (f.rdb_first_db >= 0) {
      SK_RETURN_IF_ERROR(SelectRdbDb(job, static_cast<uint64_t>(f.rdb_first_db)));
      job->writer->BeginPrehashed();
      SK_RETURN_IF_ERROR(CopyChecked(
          src, rdb_name, io, [&](ByteSpan b) { return job->writer->AppendPrehashed(b); }, &crc,
          &length, &job->fragment_bytes_read));
      SK_RETURN_IF_ERROR(job->writer->EndPrehashed(crc, length));
      job->current_db = static_cast<uint64_t>(f.rdb_last_db);
    }
    if (f.incr_first_db >= 0) {
      if (!incr) return Status::Corruption(src.dir + ": log commands for node " +
                                           std::to_string(k) + ", but the plan has no log");
      if (f.incr_first_db != incr_db) {
        const std::string select[2] = {"SELECT", std::to_string(f.incr_first_db)};
        SK_RETURN_IF_ERROR(incr->Append(formats::aof::EncodeCommand(select)));
      }
      incr->SetObserver(nullptr);  // the CRC has seen what precedes; the copy is joined below
      SK_RETURN_IF_ERROR(CopyChecked(
          src, incr_name, io, [&](ByteSpan b) { return incr->Append(b); }, &crc, &length,
          &job->fragment_bytes_read));
      incr->SetObserver(&incr_crc);
      incr_crc.Combine(crc, length);
      incr_db = f.incr_last_db;
    }
    job->keys_written += f.keys;
    job->values_in_pieces += f.values_in_pieces;
    job->commands_written += f.commands;
    job->standard_policy_differs += f.standard_policy_differs;
    job->commands_non_owner += f.commands_non_owner;
    for (const ExpiryBucket& b : f.expiring) job->expiry.AddBucket(b);
  }
  // Held-back records last, as the one-process run writes them once every
  // source is read: a key is kept when no owner (and no earlier holder) has it.
  for (size_t p = 0; p < feeding.size(); ++p) {
    if (parts[p]->owned == 0) continue;
    const SourceFragments& src = set.sources[static_cast<size_t>(feeding[p])];
    const std::string name = NodeFile(k, ".owned");
    SK_ASSIGN_OR_RETURN(std::string bytes, ReadChecked(src, name));
    SK_ASSIGN_OR_RETURN(std::vector<HeldRecord> keys, ParseOwnedKeys(bytes, src.dir + "/" + name));
    for (HeldRecord& r : keys) job->OwnerKeys(r.db).insert(std::move(r.key));
    job->fragment_bytes_read += bytes.size();
  }
  for (size_t p = 0; p < feeding.size(); ++p) {
    if (parts[p]->held == 0) continue;
    const SourceFragments& src = set.sources[static_cast<size_t>(feeding[p])];
    const std::string index_name = NodeFile(k, ".held-index");
    const std::string body_name = NodeFile(k, ".held");
    SK_ASSIGN_OR_RETURN(std::string index_bytes, ReadChecked(src, index_name));
    SK_ASSIGN_OR_RETURN(std::string body, ReadChecked(src, body_name));
    SK_ASSIGN_OR_RETURN(std::vector<HeldRecord> records,
                        ParseHeldIndex(index_bytes, src.dir + "/" + index_name));
    job->fragment_bytes_read += index_bytes.size() + body.size();
    for (const HeldRecord& r : records) {
      if (r.offset > body.size() || r.length > body.size() - r.offset) {
        return Damaged(src, index_name, "record of key \"" + r.key + "\" lies outside " + body_name);
      }
      if (!job->OwnerKeys(r.db).insert(r.key).second) {
        ++job->duplicates_dropped;
        continue;
      }
      SK_RETURN_IF_ERROR(SelectRdbDb(job, r.db));
      SK_RETURN_IF_ERROR(job->writer->AppendRecordBytes(
          AsBytes(std::string_view(body).substr(r.offset, r.length))));
      NoteHeldKeyWritten(job, r);
    }
  }
  SK_RETURN_IF_ERROR(job->writer->Finish());
  job->rdb_file->SetCallerCrc(job->writer->file_crc());
  SK_RETURN_IF_ERROR(job->rdb_file->Publish());
  if (incr) {
    SK_RETURN_IF_ERROR(incr->Finish());
    incr->FlushObserver();
    job->incr_file->SetCallerCrc(incr_crc.value());
    SK_RETURN_IF_ERROR(job->incr_file->Publish());
  }
  return Status();
}

}  // namespace

Status AssembleJob(PipelineState* state, const FragmentSet& set, NodeJob* job) {
  const auto start = std::chrono::steady_clock::now();
  Status s = Assemble(state, set, job);
  job->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

Result<std::vector<std::string>> FragmentFunctions(const FragmentSet& set,
                                                   std::vector<std::string>* warnings) {
  std::vector<std::vector<std::string>> per_source;
  for (const SourceFragments& src : set.sources) {
    SK_ASSIGN_OR_RETURN(std::string bytes, ReadChecked(src, kFragmentFunctionsName));
    const std::string path = src.dir + "/" + kFragmentFunctionsName;
    MemoryChunkSource in(AsBytes(bytes), 1 << 20, path);
    SK_ASSIGN_OR_RETURN(per_source.emplace_back(), RdbFunctions(&in, path));
  }
  return MergeFunctions(per_source, warnings);
}

}  // namespace shardkit::loader
