#include "formats/native/native_verify.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include "base/byte_reader.h"
#include "formats/native/native_block.h"
#include "formats/native/native_entry.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_verify.h"
#include "formats/rdb/rdb_writer.h"

namespace shardkit::formats::native {
namespace {

// Deep check of one key block: its entries written as an in-memory RDB and
// read back by RdbReader in deep mode.
Status DeepCheck(const std::vector<rdb::RdbEntry>& entries, const FileHeader& header,
                 const BlockInfo& block) {
  // The caller prefixes the file and block; offsets inside this in-memory
  // RDB mean nothing to an operator, so the name says what they are.
  StringSink sink("deep check of the block's values, in-memory RDB");
  const int version =
      std::clamp(header.rdb.version, rdb::RdbWriter::kMinWritableVersion, rdb::kMaxRedisVersion);
  SK_ASSIGN_OR_RETURN(auto writer, rdb::RdbWriter::Create(&sink, {.version = version}));
  if (!entries.empty()) SK_RETURN_IF_ERROR(writer->WriteSelectDb(block.db));
  for (const rdb::RdbEntry& e : entries) SK_RETURN_IF_ERROR(writer->WriteEntry(e));
  SK_RETURN_IF_ERROR(writer->Finish());
  rdb::RdbReadOptions options;
  options.deep = true;
  rdb::RdbVisitor ignore;
  MemoryChunkSource source(AsBytes(sink.data()), 1 << 20, sink.name());
  Result<rdb::RdbSummary> summary = rdb::ReadRdb(&source, options, &ignore);
  if (!summary.ok()) return summary.status();
  return Status();
}

class Verifier {
 public:
  Verifier(ChunkSource* source, const NativeVerifyOptions& options, NativeVerifyReport* report)
      : in_(source), options_(options), report_(*report) {}

  Status Run();
  // Fills the report's per-type and slot figures from what the sound key
  // blocks held (also after an error: the figures describe those blocks).
  void Summarize();

 private:
  Status ReadHeader();
  Status ReadBlock();
  Status CheckPayload(const BlockInfo& info, std::string_view raw);
  Status CheckKeyBlock(const BlockInfo& info, std::string_view raw);
  Status ReadIndexAndTrailer();
  Status Fail(uint64_t offset, const std::string& what) {
    report_.error_offset = offset;
    return in_.CorruptionAt(offset, what);
  }

  ByteReader in_;
  const NativeVerifyOptions& options_;
  NativeVerifyReport& report_;
  std::vector<BlockInfo> seen_;
  std::string stored_;
  std::string decompressed_;  // LZ4 output of the current block (reused)
  SlotStats computed_;
  std::array<uint64_t, 256> keys_per_type_byte_{};
  bool stats_checked_ = false;
};

void Verifier::Summarize() {
  for (size_t type = 0; type < keys_per_type_byte_.size(); ++type) {
    if (keys_per_type_byte_[type] == 0) continue;
    report_.keys_per_type[rdb::TypeName(static_cast<uint8_t>(type), report_.header.rdb.magic)] +=
        keys_per_type_byte_[type];
  }
  report_.slots_covered = static_cast<uint64_t>(std::count_if(
      computed_.keys.begin(), computed_.keys.end(), [](uint64_t k) { return k > 0; }));
}

Status Verifier::Run() {
  SK_RETURN_IF_ERROR(ReadHeader());
  for (;;) {
    const uint64_t at = in_.offset();
    SK_ASSIGN_OR_RETURN(ByteSpan magic, in_.Peek(4));
    if (std::memcmp(magic.data(), kIndexMagic.data(), 4) == 0) break;
    if (std::memcmp(magic.data(), kBlockMagic.data(), 4) != 0) {
      return Fail(at, "block magic \"SKBL\" or index magic \"SKIX\" expected");
    }
    SK_RETURN_IF_ERROR(ReadBlock());
  }
  SK_RETURN_IF_ERROR(ReadIndexAndTrailer());
  if (!stats_checked_) return Status::Corruption(in_.name() + ": no slot-stats block");
  return Status();
}

Status Verifier::ReadHeader() {
  const uint64_t size = in_.source_size().value_or(std::numeric_limits<uint64_t>::max());
  SK_ASSIGN_OR_RETURN(ByteSpan fixed, in_.Peek(kFileHeaderFixedBytes));
  SK_ASSIGN_OR_RETURN(uint32_t body, ParseFileHeaderPrefix(fixed, size, in_.name()));
  std::string whole;
  SK_RETURN_IF_ERROR(
      in_.ReadAppend(&whole, kFileHeaderFixedBytes + uint64_t{body} + kFileHeaderChecksumBytes));
  SK_ASSIGN_OR_RETURN(report_.header, ParseFileHeader(AsBytes(whole), in_.name()));
  report_.header_read = true;
  return Status();
}

Status Verifier::ReadBlock() {
  BlockInfo info;
  info.offset = in_.offset();
  info.number = static_cast<uint32_t>(seen_.size());
  SK_ASSIGN_OR_RETURN(ByteSpan header_bytes, in_.Read(kBlockHeaderBytes));
  Result<BlockDescriptor> header = ParseBlockHeader(header_bytes, info.offset, in_.name());
  if (!header.ok()) {
    report_.error_offset = info.offset;
    report_.error_block = info.number;
    return header.status();
  }
  static_cast<BlockDescriptor&>(info) = *header;
  Status layout = CheckBlockInfo(info, in_.name());
  const std::optional<uint64_t> left = in_.remaining();
  if (layout.ok() && left.has_value() && info.stored_bytes > *left) {
    layout = Status::Corruption(in_.name() + ": " + DescribeBlock(info) + ": stored length " +
                                std::to_string(info.stored_bytes) + " exceeds the " +
                                std::to_string(*left) + " bytes left (truncated file)");
  }
  if (!layout.ok()) {
    report_.error_offset = info.offset;
    report_.error_block = info.number;
    return layout;
  }
  stored_.clear();
  SK_RETURN_IF_ERROR(in_.ReadAppend(&stored_, info.stored_bytes));
  seen_.push_back(info);
  ++report_.blocks;
  report_.stored_bytes += info.stored_bytes;
  if (info.kind == BlockKind::kKeys) ++report_.key_blocks;
  Result<std::string_view> raw =
      CheckStoredPayload(info, AsBytes(stored_), in_.name(), &decompressed_);
  Status s = raw.ok() ? CheckPayload(info, *raw) : raw.status();
  if (!s.ok()) {
    if (report_.error.ok()) {
      report_.error = s;
      report_.error_offset = info.offset;
      report_.error_block = info.number;
    }
    report_.damaged.push_back({info, std::move(s)});
    return Status();
  }
  report_.raw_bytes += info.raw_bytes;
  return Status();
}

Status Verifier::CheckKeyBlock(const BlockInfo& info, std::string_view raw) {
  EntryDecoder decoder(raw, info, in_.name());
  std::vector<rdb::RdbEntry> entries;
  // Applied to the report only when the whole block is sound.
  std::vector<std::pair<uint16_t, uint64_t>> slots;
  std::array<uint32_t, 256> types{};
  uint64_t expiring = 0;
  rdb::RdbEntry entry;
  for (;;) {
    SK_ASSIGN_OR_RETURN(bool more, decoder.Next(&entry));
    if (!more) break;
    slots.emplace_back(entry.HashSlot(), decoder.last_entry_bytes());
    ++types[entry.type];
    if (entry.expire_ms.has_value()) ++expiring;
    if (options_.deep) entries.push_back(entry);
  }
  if (options_.deep) {
    if (report_.header.rdb.magic == rdb::Magic::kValkey) {
      if (report_.key_blocks == 1) {
        report_.warnings.push_back("deep checks of Valkey-sourced values are not done yet");
      }
    } else {
      Status deep = DeepCheck(entries, report_.header, info);
      if (!deep.ok()) return deep.WithPrefix(in_.name() + ": " + DescribeBlock(info));
    }
  }
  for (const auto& [slot, bytes] : slots) {
    ++computed_.keys[slot];
    computed_.bytes[slot] += bytes;
  }
  for (size_t type = 0; type < types.size(); ++type) keys_per_type_byte_[type] += types[type];
  report_.keys_with_expiry += expiring;
  report_.keys += info.key_count;
  return Status();
}

Status Verifier::CheckPayload(const BlockInfo& info, std::string_view raw) {
  switch (info.kind) {
    case BlockKind::kKeys:
      return CheckKeyBlock(info, raw);
    case BlockKind::kMeta: {
      SK_ASSIGN_OR_RETURN(std::vector<MetaRecord> records,
                          DecodeMetaRecords(raw, info, in_.name()));
      for (const MetaRecord& r : records) {
        if (r.kind == MetaKind::kFunction) ++report_.functions;
        if (r.kind == MetaKind::kModuleAux) ++report_.module_aux;
      }
      return Status();
    }
    case BlockKind::kSlotStats: {
      SK_ASSIGN_OR_RETURN(SlotStats stats, DecodeSlotStats(raw, info, in_.name()));
      stats_checked_ = true;
      // With a damaged key block the computed table is incomplete.
      if (report_.damaged.empty() &&
          (stats.keys != computed_.keys || stats.bytes != computed_.bytes)) {
        return Status::Corruption(in_.name() + ": " + DescribeBlock(info) +
                                  ": slot table differs from the key blocks' contents");
      }
      return Status();
    }
  }
  return Status::Corruption(in_.name() + ": " + DescribeBlock(info) + ": unknown kind");
}

Status Verifier::ReadIndexAndTrailer() {
  const uint64_t index_offset = in_.offset();
  std::string index;
  SK_RETURN_IF_ERROR(in_.ReadAppend(&index, kIndexHeaderBytes));
  const uint32_t count = LoadFixed32(AsBytes(index).data() + 4);
  if (count != seen_.size()) {
    return Fail(index_offset, "index lists " + std::to_string(count) + " blocks, the file holds " +
                                  std::to_string(seen_.size()));
  }
  SK_RETURN_IF_ERROR(in_.ReadAppend(&index, uint64_t{count} * kIndexRecordBytes));
  for (uint32_t i = 0; i < count; ++i) {
    const BlockInfo record = ParseIndexRecord(
        AsBytes(index).subspan(kIndexHeaderBytes + size_t{i} * kIndexRecordBytes), i);
    if (!(static_cast<const BlockDescriptor&>(record) ==
          static_cast<const BlockDescriptor&>(seen_[i])) ||
        record.offset != seen_[i].offset) {
      return Fail(
          index_offset + kIndexHeaderBytes + uint64_t{i} * kIndexRecordBytes,
          "index record " + std::to_string(i) + " does not match " + DescribeBlock(seen_[i]));
    }
  }
  const uint64_t trailer_offset = in_.offset();
  std::string trailer_bytes;
  SK_RETURN_IF_ERROR(in_.ReadAppend(&trailer_bytes, kTrailerBytes));
  SK_ASSIGN_OR_RETURN(Trailer trailer, ParseTrailer(AsBytes(trailer_bytes),
                                                    trailer_offset + kTrailerBytes, in_.name()));
  if (trailer.index_offset != index_offset || trailer.index_xxh3 != Xxh3(index)) {
    return Fail(trailer_offset, "trailer does not describe the index at offset " +
                                    std::to_string(index_offset) + " (offset or checksum differ)");
  }
  SK_ASSIGN_OR_RETURN(bool at_end, in_.AtEnd());
  if (!at_end) return Fail(in_.offset(), "bytes after the trailer");
  return Status();
}

}  // namespace

NativeVerifyReport VerifyNative(ChunkSource* source, const NativeVerifyOptions& options) {
  NativeVerifyReport report;
  Verifier verifier(source, options, &report);
  Status s = verifier.Run();
  verifier.Summarize();
  if (!s.ok() && report.error.ok()) report.error = std::move(s);
  if (!report.error.ok() && !report.error_offset.has_value()) {
    std::optional<uint64_t> offset;
    std::string key;
    rdb::ParseErrorLocation(report.error, &offset, &key);
    report.error_offset = offset;
  }
  report.bytes_read = source->size().value_or(0);
  report.ok = report.error.ok();
  return report;
}

}  // namespace shardkit::formats::native
