// Native snapshot format constants and the fixed-layout pieces shared by the
// writer, the reader and the streaming verifier: the file header, the 48-byte
// block header, the 48-byte index record and the 40-byte trailer. The byte
// grammar is in SPEC-native.md (to be merged into SPEC.md).
//
// File layout:  header | block 0 | block 1 | ... | index | trailer
// Every integer is little-endian; every checksum is XXH3-64 (seed 0). Block
// numbers are positions in the index, which lists blocks in file order.
//
// Pure functions; thread-safe. Errors: kCorruption naming `name`, the byte
// offset and what was expected versus found; kNotSupported for a newer
// format version.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/chunk_io.h"
#include "base/status.h"
#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::formats::native {

inline constexpr std::string_view kFileMagic = "SKNATIVE";
inline constexpr std::string_view kBlockMagic = "SKBL";
inline constexpr std::string_view kIndexMagic = "SKIX";
inline constexpr std::string_view kTrailerMagic = "SKNATEND";
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::string_view kFileExtension = ".skn";

inline constexpr size_t kFileHeaderFixedBytes = 16;  // magic, version, body length
inline constexpr size_t kFileHeaderChecksumBytes = 8;
inline constexpr size_t kBlockHeaderBytes = 48;
inline constexpr size_t kIndexHeaderBytes = 8;  // magic, record count
inline constexpr size_t kIndexRecordBytes = 48;
inline constexpr size_t kTrailerBytes = 40;

// Caps checked before any allocation from a length read from a file.
inline constexpr uint32_t kMaxHeaderBodyBytes = 16u << 20;
inline constexpr uint32_t kMaxBlockRawBytes = 1u << 30;  // below LZ4_MAX_INPUT_SIZE
// LZ4 never expands more than 255:1; a raw length above this bound for the
// stored length is corrupt whatever the checksum says.
inline constexpr uint64_t kMaxLz4Ratio = 255;

// Writer block size limits (raw bytes per block before compression).
inline constexpr uint32_t kMinBlockTargetBytes = 4u << 10;
inline constexpr uint32_t kMaxBlockTargetBytes = 64u << 20;
inline constexpr uint32_t kDefaultBlockTargetBytes = 1u << 20;

enum class BlockKind : uint8_t {
  kKeys = 0,       // key entries of one db and one slot range
  kMeta = 1,       // functions, MODULE_AUX records, AUX fields seen after keys
  kSlotStats = 2,  // per-slot key and byte counts of the whole file
};
enum class Compression : uint8_t { kNone = 0, kLz4 = 1 };

std::string_view BlockKindName(BlockKind kind);

// What the block header and the index record both say about a block.
struct BlockDescriptor {
  BlockKind kind = BlockKind::kKeys;
  Compression compression = Compression::kNone;
  uint32_t db = 0;
  uint16_t first_slot = 0;  // smallest slot of a key in the block
  uint16_t last_slot = 0;   // largest (non-key blocks: 0 and 16383)
  uint32_t key_count = 0;   // entries (records, for non-key blocks)
  uint32_t stored_bytes = 0;
  uint32_t raw_bytes = 0;
  uint64_t stored_xxh3 = 0;  // over the stored (possibly compressed) payload
  uint64_t raw_xxh3 = 0;     // over the raw payload
  bool operator==(const BlockDescriptor&) const = default;
};

// One index record: a descriptor plus where the block starts.
struct BlockInfo : BlockDescriptor {
  uint32_t number = 0;  // position in the index (= file order)
  uint64_t offset = 0;  // offset of the block header
  uint64_t end() const { return offset + kBlockHeaderBytes + stored_bytes; }
};

// "block 7 at offset 0x1a2b (12345) (keys, db 0, slots 128-255)".
std::string DescribeBlock(const BlockInfo& block);

struct FileHeader {
  uint32_t format_version = kFormatVersion;
  rdb::RdbHeader rdb;  // the source RDB's magic and version
  std::string producer = "shardkit 0.1.0";
  std::vector<std::pair<std::string, std::string>> aux;  // AUX fields, in source order
};

struct Trailer {
  uint64_t index_offset = 0;
  uint64_t index_bytes = 0;
  uint64_t index_xxh3 = 0;
};

uint64_t Xxh3(ByteSpan bytes);
inline uint64_t Xxh3(std::string_view bytes) { return Xxh3(AsBytes(bytes)); }

// True when `first_bytes` starts with the native magic.
bool IsNativeFile(ByteSpan first_bytes);

// Whole header: fixed part, body, checksum. Blocks start right after it.
std::string EncodeFileHeader(const FileHeader& header);
// Parses the 16 fixed bytes: returns the body length (checked against the
// cap and `file_bytes`). kCorruption for a bad magic; kNotSupported for a
// newer version.
Result<uint32_t> ParseFileHeaderPrefix(ByteSpan fixed, uint64_t file_bytes, std::string_view name);
// `whole` = fixed part + body + checksum.
Result<FileHeader> ParseFileHeader(ByteSpan whole, std::string_view name);

void AppendBlockHeader(std::string* out, const BlockDescriptor& d);
// `bytes` = the 48 header bytes found at `offset`.
Result<BlockDescriptor> ParseBlockHeader(ByteSpan bytes, uint64_t offset, std::string_view name);

void AppendIndexRecord(std::string* out, const BlockInfo& b);
BlockInfo ParseIndexRecord(ByteSpan bytes, uint32_t number);
// Structural checks of one record against the file layout: lengths within
// caps, slots in range, known kind/compression.
Status CheckBlockInfo(const BlockInfo& b, std::string_view name);

std::string EncodeTrailer(const Trailer& t);
// Checks magic, self-checksum and that the index ends where the trailer
// begins, inside a file of `file_bytes`.
Result<Trailer> ParseTrailer(ByteSpan bytes, uint64_t file_bytes, std::string_view name);

// A set of hash slots (bit i = slot i).
using SlotSet = std::bitset<kSlotCount>;
// Slots [first, last] (inclusive).
SlotSet SlotRange(int first, int last);

// LEB128 varints used inside payloads and the header body.
void AppendVarint(std::string* out, uint64_t v);
void AppendFixed16(std::string* out, uint16_t v);
void AppendFixed32(std::string* out, uint32_t v);
void AppendFixed64(std::string* out, uint64_t v);
uint16_t LoadFixed16(const std::byte* p);
uint32_t LoadFixed32(const std::byte* p);
uint64_t LoadFixed64(const std::byte* p);

// A bounds-checked cursor over a payload held in memory. Failures return
// kCorruption "<context>: <what> at payload offset N".
class PayloadCursor {
 public:
  PayloadCursor(std::string_view data, std::string context)
      : data_(data), context_(std::move(context)) {}
  bool AtEnd() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  Result<uint8_t> Byte(std::string_view what);
  Result<uint64_t> Varint(std::string_view what);
  Result<uint64_t> Fixed64(std::string_view what);
  // A varint length followed by that many bytes (checked before use).
  Result<std::string_view> LengthPrefixed(std::string_view what);
  Status Error(std::string_view what) const;

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string context_;
};

}  // namespace shardkit::formats::native
