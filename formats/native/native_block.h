// One native block on disk: a 48-byte header, then the stored payload (LZ4
// or raw). EncodeBlock compresses a raw payload (keeping it raw when LZ4
// does not make it enough smaller) and appends header + stored bytes;
// DecodeBlock checks a block read from a file against its index record and
// both checksums before handing back the raw payload.
// Threading: pure functions; safe from any thread.
// Errors: kCorruption "<file>: <block description>: <what, expected vs found>".
#pragma once

#include <string>
#include <string_view>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/native/native_format.h"

namespace shardkit::formats::native {

// What EncodeBlock did with LZ4 (the writer's skip policy reads it).
enum class Lz4Result { kNotTried, kKept, kNotWorthIt };

// LZ4 output is kept only when it is smaller than the raw payload by at least
// 1/kLz4MinSavingDivisor of it: a smaller saving does not pay for decoding
// the block at every read (the bench RDB's random values gained 1.7%).
inline constexpr uint32_t kLz4MinSavingDivisor = 16;

// `d` has kind, db, slots and key_count filled; EncodeBlock sets the lengths,
// compression and checksums (a raw block's two checksums are one XXH3).
// `compress` false stores the payload raw without trying LZ4. `raw` must not
// exceed kMaxBlockRawBytes.
Lz4Result EncodeBlock(std::string_view raw, bool compress, BlockDescriptor* d, std::string* out);

// `block` = the kBlockHeaderBytes + stored bytes at expected.offset.
// Returns the raw payload without copying a block stored raw: a view into
// `block` for a raw block, else into *decompressed (the LZ4 output; its
// capacity is reused across calls). The view lives as long as both.
Result<std::string_view> DecodeBlock(const BlockInfo& expected, ByteSpan block,
                                     std::string_view file_name, std::string* decompressed);

// The same checks split in two, for the streaming verifier: the header
// against the index record (or alone when expected is null), then the
// payload (views as DecodeBlock).
Result<std::string_view> CheckStoredPayload(const BlockInfo& info, ByteSpan stored,
                                            std::string_view file_name,
                                            std::string* decompressed);

}  // namespace shardkit::formats::native
