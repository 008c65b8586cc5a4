#include "formats/native/native_format.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace shardkit::formats::native {
namespace {

std::string HexOffset(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

std::string At(std::string_view name, uint64_t offset) {
  return std::string(name) + " offset " + HexOffset(offset) + " (" + std::to_string(offset) + ")";
}

bool MagicIs(ByteSpan bytes, std::string_view magic) {
  return bytes.size() >= magic.size() && std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
}

// Descriptor fields as they appear after the block magic / the index offset.
void AppendDescriptorFields(std::string* out, const BlockDescriptor& d) {
  out->push_back(static_cast<char>(d.kind));
  out->push_back(static_cast<char>(d.compression));
  AppendFixed16(out, 0);  // reserved
  AppendFixed32(out, d.db);
  AppendFixed16(out, d.first_slot);
  AppendFixed16(out, d.last_slot);
  AppendFixed32(out, d.key_count);
  AppendFixed32(out, d.stored_bytes);
  AppendFixed32(out, d.raw_bytes);
  AppendFixed64(out, d.stored_xxh3);
  AppendFixed64(out, d.raw_xxh3);
}
// The bytes AppendDescriptorFields writes (documentation; clang warns when unused).
[[maybe_unused]] constexpr size_t kDescriptorFieldBytes = 40;

BlockDescriptor ParseDescriptorFields(const std::byte* p) {
  BlockDescriptor d;
  d.kind = static_cast<BlockKind>(p[0]);
  d.compression = static_cast<Compression>(p[1]);
  d.db = LoadFixed32(p + 4);
  d.first_slot = LoadFixed16(p + 8);
  d.last_slot = LoadFixed16(p + 10);
  d.key_count = LoadFixed32(p + 12);
  d.stored_bytes = LoadFixed32(p + 16);
  d.raw_bytes = LoadFixed32(p + 20);
  d.stored_xxh3 = LoadFixed64(p + 24);
  d.raw_xxh3 = LoadFixed64(p + 32);
  return d;
}

}  // namespace

std::string_view BlockKindName(BlockKind kind) {
  switch (kind) {
    case BlockKind::kKeys:
      return "keys";
    case BlockKind::kMeta:
      return "meta";
    case BlockKind::kSlotStats:
      return "slot-stats";
  }
  return "unknown";
}

std::string DescribeBlock(const BlockInfo& b) {
  return "block " + std::to_string(b.number) + " at offset " + HexOffset(b.offset) + " (" +
         std::to_string(b.offset) + ") (" + std::string(BlockKindName(b.kind)) + ", db " +
         std::to_string(b.db) + ", slots " + std::to_string(b.first_slot) + "-" +
         std::to_string(b.last_slot) + ")";
}

uint64_t Xxh3(ByteSpan bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

bool IsNativeFile(ByteSpan first_bytes) { return MagicIs(first_bytes, kFileMagic); }

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void AppendFixed16(std::string* out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void AppendFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void AppendFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint16_t LoadFixed16(const std::byte* p) {
  return static_cast<uint16_t>(std::to_integer<uint16_t>(p[0]) |
                               (std::to_integer<uint16_t>(p[1]) << 8));
}
uint32_t LoadFixed32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<uint32_t>(p[i]);
  return v;
}
uint64_t LoadFixed64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<uint64_t>(p[i]);
  return v;
}

std::string EncodeFileHeader(const FileHeader& header) {
  std::string body;
  body.push_back(header.rdb.magic == rdb::Magic::kValkey ? 1 : 0);
  AppendFixed16(&body, static_cast<uint16_t>(header.rdb.version));
  AppendVarint(&body, header.producer.size());
  body.append(header.producer);
  AppendVarint(&body, header.aux.size());
  for (const auto& [key, value] : header.aux) {
    AppendVarint(&body, key.size());
    body.append(key);
    AppendVarint(&body, value.size());
    body.append(value);
  }
  std::string out(kFileMagic);
  AppendFixed32(&out, header.format_version);
  AppendFixed32(&out, static_cast<uint32_t>(body.size()));
  out.append(body);
  AppendFixed64(&out, Xxh3(out));
  return out;
}

Result<uint32_t> ParseFileHeaderPrefix(ByteSpan fixed, uint64_t file_bytes,
                                       std::string_view name) {
  if (fixed.size() < kFileHeaderFixedBytes || !MagicIs(fixed, kFileMagic)) {
    return Status::Corruption(At(name, 0) + ": not a native snapshot (magic \"SKNATIVE\" expected)");
  }
  const uint32_t version = LoadFixed32(fixed.data() + 8);
  if (version != kFormatVersion) {
    return Status::NotSupported(std::string(name) + ": native format version " +
                                std::to_string(version) + " (this shardkit reads version " +
                                std::to_string(kFormatVersion) + ")");
  }
  const uint32_t body = LoadFixed32(fixed.data() + 12);
  const uint64_t whole = kFileHeaderFixedBytes + uint64_t{body} + kFileHeaderChecksumBytes;
  if (body > kMaxHeaderBodyBytes || whole > file_bytes) {
    return Status::Corruption(At(name, 12) + ": header body length " + std::to_string(body) +
                              " exceeds the cap (" + std::to_string(kMaxHeaderBodyBytes) +
                              ") or the file (" + std::to_string(file_bytes) + " bytes)");
  }
  return body;
}

Result<FileHeader> ParseFileHeader(ByteSpan whole, std::string_view name) {
  SK_ASSIGN_OR_RETURN(uint32_t body_bytes, ParseFileHeaderPrefix(whole, whole.size(), name));
  const size_t checked = kFileHeaderFixedBytes + body_bytes;
  const uint64_t stored = LoadFixed64(whole.data() + checked);
  const uint64_t computed = Xxh3(whole.first(checked));
  if (stored != computed) {
    return Status::Corruption(At(name, checked) + ": header checksum mismatch (stored " +
                              HexOffset(stored) + ", computed " + HexOffset(computed) + ")");
  }
  FileHeader header;
  header.format_version = LoadFixed32(whole.data() + 8);
  PayloadCursor in(AsChars(whole.subspan(kFileHeaderFixedBytes, body_bytes)),
                   std::string(name) + ": header");
  SK_ASSIGN_OR_RETURN(uint8_t magic, in.Byte("rdb magic"));
  SK_ASSIGN_OR_RETURN(uint8_t version_lo, in.Byte("rdb version"));
  SK_ASSIGN_OR_RETURN(uint8_t version_hi, in.Byte("rdb version"));
  if (magic > 1) return in.Error("rdb magic " + std::to_string(magic) + " (0 or 1 expected)");
  header.rdb.magic = magic == 1 ? rdb::Magic::kValkey : rdb::Magic::kRedis;
  header.rdb.version = version_lo | (version_hi << 8);
  SK_ASSIGN_OR_RETURN(std::string_view producer, in.LengthPrefixed("producer"));
  header.producer = producer;
  SK_ASSIGN_OR_RETURN(uint64_t aux_count, in.Varint("aux count"));
  if (aux_count > in.remaining() / 2) return in.Error("aux count exceeds the header body");
  for (uint64_t i = 0; i < aux_count; ++i) {
    SK_ASSIGN_OR_RETURN(std::string_view key, in.LengthPrefixed("aux key"));
    SK_ASSIGN_OR_RETURN(std::string_view value, in.LengthPrefixed("aux value"));
    header.aux.emplace_back(std::string(key), std::string(value));
  }
  if (!in.AtEnd()) return in.Error("bytes left over after the aux fields");
  return header;
}

void AppendBlockHeader(std::string* out, const BlockDescriptor& d) {
  const size_t start = out->size();
  out->append(kBlockMagic);
  AppendDescriptorFields(out, d);
  const uint64_t check = Xxh3(std::string_view(*out).substr(start));
  AppendFixed32(out, static_cast<uint32_t>(check));
}

Result<BlockDescriptor> ParseBlockHeader(ByteSpan bytes, uint64_t offset, std::string_view name) {
  if (bytes.size() < kBlockHeaderBytes || !MagicIs(bytes, kBlockMagic)) {
    return Status::Corruption(At(name, offset) + ": block magic \"SKBL\" expected");
  }
  const uint32_t stored = LoadFixed32(bytes.data() + 44);
  const uint32_t computed = static_cast<uint32_t>(Xxh3(bytes.first(44)));
  if (stored != computed) {
    return Status::Corruption(At(name, offset) + ": block header checksum mismatch (stored " +
                              HexOffset(stored) + ", computed " + HexOffset(computed) + ")");
  }
  return ParseDescriptorFields(bytes.data() + 4);
}

void AppendIndexRecord(std::string* out, const BlockInfo& b) {
  AppendFixed64(out, b.offset);
  AppendDescriptorFields(out, b);
}

BlockInfo ParseIndexRecord(ByteSpan bytes, uint32_t number) {
  BlockInfo b;
  static_cast<BlockDescriptor&>(b) = ParseDescriptorFields(bytes.data() + 8);
  b.offset = LoadFixed64(bytes.data());
  b.number = number;
  return b;
}

Status CheckBlockInfo(const BlockInfo& b, std::string_view name) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(std::string(name) + ": index record of " + DescribeBlock(b) + ": " +
                              what);
  };
  if (b.kind > BlockKind::kSlotStats) {
    return bad("unknown block kind " + std::to_string(static_cast<int>(b.kind)));
  }
  if (b.compression > Compression::kLz4) {
    return bad("unknown compression " + std::to_string(static_cast<int>(b.compression)));
  }
  if (b.first_slot > b.last_slot || b.last_slot >= kSlotCount) {
    return bad("slot range is not within 0-16383");
  }
  if (b.raw_bytes > kMaxBlockRawBytes) {
    return bad("raw length " + std::to_string(b.raw_bytes) + " exceeds the cap " +
               std::to_string(kMaxBlockRawBytes));
  }
  if (b.compression == Compression::kNone && b.stored_bytes != b.raw_bytes) {
    return bad("uncompressed block with stored length " + std::to_string(b.stored_bytes) +
               " != raw length " + std::to_string(b.raw_bytes));
  }
  if (b.compression == Compression::kLz4 &&
      (b.stored_bytes >= b.raw_bytes || b.raw_bytes > uint64_t{b.stored_bytes} * kMaxLz4Ratio)) {
    return bad("LZ4 block with stored length " + std::to_string(b.stored_bytes) +
               " and raw length " + std::to_string(b.raw_bytes) + " (impossible ratio)");
  }
  return Status();
}

std::string EncodeTrailer(const Trailer& t) {
  std::string out;
  AppendFixed64(&out, t.index_offset);
  AppendFixed64(&out, t.index_bytes);
  AppendFixed64(&out, t.index_xxh3);
  AppendFixed64(&out, Xxh3(out));
  out.append(kTrailerMagic);
  return out;
}

Result<Trailer> ParseTrailer(ByteSpan bytes, uint64_t file_bytes, std::string_view name) {
  const uint64_t at = file_bytes - kTrailerBytes;
  if (bytes.size() != kTrailerBytes || !MagicIs(bytes.subspan(32), kTrailerMagic)) {
    return Status::Corruption(At(name, at + 32) +
                              ": trailer magic \"SKNATEND\" expected (truncated or not a "
                              "native snapshot)");
  }
  const uint64_t stored = LoadFixed64(bytes.data() + 24);
  const uint64_t computed = Xxh3(bytes.first(24));
  if (stored != computed) {
    return Status::Corruption(At(name, at) + ": trailer checksum mismatch (stored " +
                              HexOffset(stored) + ", computed " + HexOffset(computed) + ")");
  }
  Trailer t;
  t.index_offset = LoadFixed64(bytes.data());
  t.index_bytes = LoadFixed64(bytes.data() + 8);
  t.index_xxh3 = LoadFixed64(bytes.data() + 16);
  if (t.index_bytes < kIndexHeaderBytes || (t.index_bytes - kIndexHeaderBytes) % kIndexRecordBytes ||
      t.index_offset > at || t.index_bytes != at - t.index_offset) {
    return Status::Corruption(At(name, at) + ": trailer places the index at offset " +
                              std::to_string(t.index_offset) + " with length " +
                              std::to_string(t.index_bytes) + ", which does not end at the " +
                              "trailer (offset " + std::to_string(at) + ")");
  }
  return t;
}

SlotSet SlotRange(int first, int last) {
  SlotSet s;
  for (int i = first; i <= last && i < kSlotCount; ++i) {
    if (i >= 0) s.set(i);
  }
  return s;
}

Status PayloadCursor::Error(std::string_view what) const {
  return Status::Corruption(context_ + ": " + std::string(what) + " at payload offset " +
                            std::to_string(pos_));
}

Result<uint8_t> PayloadCursor::Byte(std::string_view what) {
  if (pos_ >= data_.size()) return Error(std::string(what) + ": unexpected end of payload");
  return static_cast<uint8_t>(data_[pos_++]);
}

Result<uint64_t> PayloadCursor::Varint(std::string_view what) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return Error(std::string(what) + ": unexpected end of payload");
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return v;
  }
  return Error(std::string(what) + ": varint longer than 10 bytes");
}

Result<uint64_t> PayloadCursor::Fixed64(std::string_view what) {
  if (remaining() < 8) return Error(std::string(what) + ": unexpected end of payload");
  const uint64_t v = LoadFixed64(reinterpret_cast<const std::byte*>(data_.data() + pos_));
  pos_ += 8;
  return v;
}

Result<std::string_view> PayloadCursor::LengthPrefixed(std::string_view what) {
  SK_ASSIGN_OR_RETURN(uint64_t n, Varint(what));
  if (n > remaining()) {
    return Error(std::string(what) + " length " + std::to_string(n) + " exceeds the " +
                 std::to_string(remaining()) + " bytes left");
  }
  std::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

}  // namespace shardkit::formats::native
