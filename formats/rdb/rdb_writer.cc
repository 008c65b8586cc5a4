#include "formats/rdb/rdb_writer.h"

#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_value_convert.h"

namespace shardkit::formats::rdb {

RdbWriter::RdbWriter(ChunkSink* sink, const RdbWriterOptions& options)
    : options_(options), out_(sink, options.buffer_bytes) {}

Result<std::unique_ptr<RdbWriter>> RdbWriter::Create(ChunkSink* sink,
                                                     const RdbWriterOptions& options) {
  if (options.version < kMinWritableVersion || options.version > kMaxRedisVersion) {
    return Status::InvalidArgument("RDB writer: version " + std::to_string(options.version) +
                                   " is not writable (choose 7.." +
                                   std::to_string(kMaxRedisVersion) + ")");
  }
  std::unique_ptr<RdbWriter> writer(new RdbWriter(sink, options));
  writer->out_.SetObserver(&writer->crc_);
  if (options.body_only) return writer;
  SK_RETURN_IF_ERROR(writer->out_.Append(FormatMagic(RdbHeader{Magic::kRedis, options.version})));
  return writer;
}

void RdbWriter::NoteLoss(const std::string& what) {
  for (auto& [text, count] : losses_) {
    if (text == what) {
      ++count;
      return;
    }
  }
  losses_.emplace_back(what, 1);
}

std::vector<std::string> RdbWriter::losses() const {
  std::vector<std::string> out;
  for (const auto& [text, count] : losses_) out.push_back(text + " (" + std::to_string(count) + " keys)");
  return out;
}

Status RdbWriter::WriteAux(std::string_view key, std::string_view value) {
  record_.assign(1, static_cast<char>(kOpAux));
  AppendString(&record_, key);
  AppendString(&record_, value);
  return out_.Append(record_);
}

Status RdbWriter::WriteSelectDb(uint64_t db) {
  record_.assign(1, static_cast<char>(kOpSelectDb));
  AppendLength(&record_, db);
  return out_.Append(record_);
}

Status RdbWriter::WriteResizeDb(uint64_t db_size, uint64_t expires_size) {
  record_.assign(1, static_cast<char>(kOpResizeDb));
  AppendLength(&record_, db_size);
  AppendLength(&record_, expires_size);
  return out_.Append(record_);
}

Status RdbWriter::WriteFunction(std::string_view library_code) {
  if (options_.version < 10) {
    return Status::NotSupported("FUNCTION2 records need RDB >= 10 (writing RDB " +
                                std::to_string(options_.version) + ")");
  }
  record_.assign(1, static_cast<char>(kOpFunction2));
  AppendString(&record_, library_code);
  return out_.Append(record_);
}

Status RdbWriter::WriteModuleAux(std::string_view raw) {
  if (options_.version < 9) {
    return Status::NotSupported("MODULE_AUX records need RDB >= 9");
  }
  SK_RETURN_IF_ERROR(out_.AppendByte(kOpModuleAux));
  return out_.Append(raw);
}

Status RdbWriter::WriteEntry(const RdbEntry& entry, Magic source_magic) {
  uint8_t type = entry.type;
  std::string converted;
  const bool convert = !TypeWritableAt(type, source_magic, options_.version);
  if (convert) {
    std::vector<std::string> lost;
    Status s = rdb::ConvertValue(entry.type, entry.value, source_magic, options_.version, &type,
                            &converted, &lost);
    if (!s.ok()) return Status(s.code(), std::string(s.message()) + " (key \"" +
                                             entry.key.substr(0, 128) + "\")");
    for (const auto& l : lost) NoteLoss(l);
  }
  SK_RETURN_IF_ERROR(WritePrefix(entry, type));
  return out_.Append(convert ? converted : entry.value);
}

Status RdbWriter::WriteEntryStart(const RdbEntry& entry, Magic source_magic) {
  if (!TypeWritableAt(entry.type, source_magic, options_.version)) {
    return Status::NotSupported("key \"" + entry.key.substr(0, 128) + "\": a value of type " +
                                std::to_string(entry.type) + " read in pieces cannot be converted "
                                "to RDB " + std::to_string(options_.version) +
                                " (conversion needs the whole value)");
  }
  SK_RETURN_IF_ERROR(WritePrefix(entry, entry.type));
  return out_.Append(entry.value);
}

// Opcodes before the value (expiry, IDLE/FREQ, KEY_META), the type and the key.
Status RdbWriter::WritePrefix(const RdbEntry& entry, uint8_t type) {
  record_.clear();
  if (entry.expire_ms.has_value()) {
    record_.push_back(static_cast<char>(kOpExpireTimeMs));
    AppendU64Le(&record_, static_cast<uint64_t>(*entry.expire_ms));
  }
  if (entry.lru_idle_s.has_value() || entry.lfu_freq.has_value()) {
    if (options_.version < 9) {
      NoteLoss("LRU/LFU hints (IDLE/FREQ need RDB 9)");
    } else if (entry.lru_idle_s.has_value()) {
      record_.push_back(static_cast<char>(kOpIdle));
      AppendLength(&record_, *entry.lru_idle_s);
    } else {
      record_.push_back(static_cast<char>(kOpFreq));
      record_.push_back(static_cast<char>(*entry.lfu_freq));
    }
  }
  if (!entry.key_meta.empty()) {
    if (options_.version < 13) {
      NoteLoss("module key metadata (KEY_META needs RDB 13)");
    } else {
      record_.push_back(static_cast<char>(kOpKeyMeta));
      record_.append(entry.key_meta);
    }
  }
  record_.push_back(static_cast<char>(type));
  AppendString(&record_, entry.key);
  return out_.Append(record_);
}

void RdbWriter::BeginPrehashed() {
  out_.SetObserver(nullptr);  // feeds the CRC what is staged, then sees nothing
  prehashed_ = true;
  prehashed_start_ = out_.offset();
}

Status RdbWriter::AppendPrehashed(ByteSpan bytes) {
  if (!prehashed_) return Status::InvalidArgument("RdbWriter::AppendPrehashed without BeginPrehashed");
  return out_.Append(bytes);
}

Status RdbWriter::EndPrehashed(uint64_t crc, uint64_t length) {
  if (!prehashed_) return Status::InvalidArgument("RdbWriter::EndPrehashed without BeginPrehashed");
  prehashed_ = false;
  // The observer was null since BeginPrehashed: this marks the appended
  // bytes as seen without hashing them.
  out_.SetObserver(&crc_);
  if (out_.offset() - prehashed_start_ != length) {
    return Status::InvalidArgument("RdbWriter: " + std::to_string(out_.offset() - prehashed_start_) +
                                   " prehashed bytes appended, " + std::to_string(length) +
                                   " declared");
  }
  crc_.Combine(crc, length);
  return Status();
}

Status RdbWriter::Finish() {
  if (finished_) return Status::InvalidArgument("RdbWriter::Finish called twice");
  if (prehashed_) return Status::InvalidArgument("RdbWriter::Finish before EndPrehashed");
  finished_ = true;
  if (options_.body_only) {
    out_.FlushObserver();
    checksum_ = file_crc_ = crc_.value();
    return out_.Finish();
  }
  SK_RETURN_IF_ERROR(out_.AppendByte(kOpEof));
  out_.FlushObserver();
  const uint64_t crc = options_.checksum ? crc_.value() : 0;
  checksum_ = crc;
  out_.SetObserver(nullptr);
  std::string trailer;
  AppendU64Le(&trailer, crc);
  file_crc_ = Crc64(crc_.value(), AsBytes(trailer));
  SK_RETURN_IF_ERROR(out_.Append(trailer));
  return out_.Finish();
}

}  // namespace shardkit::formats::rdb
