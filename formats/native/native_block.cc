#include "formats/native/native_block.h"

#include <lz4.h>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace shardkit::formats::native {
namespace {

std::string HexChecksum(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

Status BlockError(const BlockInfo& b, std::string_view file_name, const std::string& what) {
  return Status::Corruption(std::string(file_name) + ": " + DescribeBlock(b) + ": " + what);
}

}  // namespace

Lz4Result EncodeBlock(std::string_view raw, bool compress, BlockDescriptor* d, std::string* out) {
  assert(raw.size() <= kMaxBlockRawBytes);
  d->raw_bytes = static_cast<uint32_t>(raw.size());
  d->raw_xxh3 = Xxh3(raw);
  d->compression = Compression::kNone;
  const size_t header_at = out->size();
  out->resize(header_at + kBlockHeaderBytes);
  const size_t payload_at = out->size();
  Lz4Result result = Lz4Result::kNotTried;
  if (compress && !raw.empty()) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out->resize(payload_at + static_cast<size_t>(bound));
    const int n = LZ4_compress_default(raw.data(), out->data() + payload_at,
                                       static_cast<int>(raw.size()), bound);
    // Saves at least 1/kLz4MinSavingDivisor of the raw bytes, and at least one byte.
    const size_t min_saving = std::max<size_t>(1, raw.size() / kLz4MinSavingDivisor);
    if (n > 0 && static_cast<size_t>(n) + min_saving <= raw.size()) {
      out->resize(payload_at + static_cast<size_t>(n));
      d->compression = Compression::kLz4;
      result = Lz4Result::kKept;
    } else {
      out->resize(payload_at);
      result = Lz4Result::kNotWorthIt;
    }
  }
  if (d->compression == Compression::kNone) {
    out->append(raw);
    d->stored_xxh3 = d->raw_xxh3;  // the same bytes
  } else {
    d->stored_xxh3 = Xxh3(std::string_view(*out).substr(payload_at));
  }
  d->stored_bytes = static_cast<uint32_t>(out->size() - payload_at);
  std::string header;
  AppendBlockHeader(&header, *d);
  assert(header.size() == kBlockHeaderBytes);
  out->replace(header_at, kBlockHeaderBytes, header);
  return result;
}

Result<std::string_view> CheckStoredPayload(const BlockInfo& info, ByteSpan stored,
                                            std::string_view file_name,
                                            std::string* decompressed) {
  if (stored.size() != info.stored_bytes) {
    return BlockError(info, file_name,
                      "stored payload is " + std::to_string(stored.size()) + " bytes, expected " +
                          std::to_string(info.stored_bytes));
  }
  const uint64_t stored_xxh3 = Xxh3(stored);
  if (stored_xxh3 != info.stored_xxh3) {
    return BlockError(info, file_name,
                      "stored checksum mismatch (expected " + HexChecksum(info.stored_xxh3) +
                          ", found " + HexChecksum(stored_xxh3) + ")");
  }
  if (info.compression == Compression::kNone) {
    // A raw block's payload is its raw bytes: one XXH3 serves both checks.
    if (stored_xxh3 != info.raw_xxh3) {
      return BlockError(info, file_name,
                        "raw checksum mismatch (expected " + HexChecksum(info.raw_xxh3) +
                            ", found " + HexChecksum(stored_xxh3) + ")");
    }
    return AsChars(stored);
  }
  // raw_bytes was checked against kMaxBlockRawBytes and the LZ4 ratio bound
  // (CheckBlockInfo) before this allocation.
  decompressed->resize(info.raw_bytes);
  const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(stored.data()),
                                    decompressed->data(), static_cast<int>(stored.size()),
                                    static_cast<int>(info.raw_bytes));
  if (n < 0 || static_cast<uint32_t>(n) != info.raw_bytes) {
    return BlockError(info, file_name,
                      "LZ4 payload does not decompress to the " + std::to_string(info.raw_bytes) +
                          " raw bytes the index lists (result " + std::to_string(n) + ")");
  }
  const uint64_t raw_xxh3 = Xxh3(*decompressed);
  if (raw_xxh3 != info.raw_xxh3) {
    return BlockError(info, file_name,
                      "raw checksum mismatch (expected " + HexChecksum(info.raw_xxh3) + ", found " +
                          HexChecksum(raw_xxh3) + ")");
  }
  return std::string_view(*decompressed);
}

Result<std::string_view> DecodeBlock(const BlockInfo& expected, ByteSpan block,
                                     std::string_view file_name, std::string* decompressed) {
  if (block.size() < kBlockHeaderBytes) {
    return BlockError(expected, file_name, "shorter than a block header");
  }
  Result<BlockDescriptor> header = ParseBlockHeader(block, expected.offset, file_name);
  if (!header.ok()) {
    return BlockError(expected, file_name, std::string(header.status().message()));
  }
  if (!(*header == static_cast<const BlockDescriptor&>(expected))) {
    return BlockError(expected, file_name, "block header does not match its index record");
  }
  return CheckStoredPayload(expected, block.subspan(kBlockHeaderBytes), file_name, decompressed);
}

}  // namespace shardkit::formats::native
