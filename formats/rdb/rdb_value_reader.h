// ValueReader (internal to formats/rdb): reads one key's value after the
// type byte and the key, in raw mode (delimit, structural checks only) or
// deep mode (decode, validate, report elements to the visitor).
//
// One class, split over files by value family: rdb_value_reader.cc (the type
// dispatcher and plain collections), rdb_compact_values.cc (ziplist,
// listpack, intset, zipmap, quicklist blobs), rdb_stream_value.cc (streams).
// Errors: kCorruption/kNotSupported with the file offset; RdbReader adds the
// key, type and phase. Borrowed pointers live for the Read() call.
#pragma once

#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "formats/rdb/rdb_entry.h"
#include "formats/rdb/rdb_reader.h"

namespace shardkit::formats::rdb {

class ValueReader {
 public:
  ValueReader(ByteReader* in, const RdbReadOptions& options, const RdbHeader& header,
              RdbVisitor* visitor)
      : in_(*in), options_(options), header_(header), visitor_(visitor) {}

  // Reads the value of `entry` (entry->type set); fills module_name.
  Status Read(RdbEntry* entry);

 private:
  // Plain collections (rdb_value_reader.cc).
  Status ReadPlainCollection(uint8_t type);
  Status ReadModule(bool pre_ga);
  Status ReadHashWithTtls(uint8_t type);
  Status ReadArray();

  // Compact blobs (rdb_compact_values.cc). `blob_offset` = the offset of the
  // string holding the blob, for error messages.
  Status ReadBlobValue(uint8_t type);
  Status DecodeBlob(uint8_t type, std::string_view blob, uint64_t blob_offset);
  Status DecodeZiplist(uint8_t type, std::string_view blob, uint64_t blob_offset);
  Status DecodeListpack(uint8_t type, std::string_view blob, uint64_t blob_offset);
  Status DecodeIntset(std::string_view blob, uint64_t blob_offset);
  Status DecodeZipmap(std::string_view blob, uint64_t blob_offset);
  Status ReadQuicklist(uint8_t type);

  // Streams (rdb_stream_value.cc).
  Status ReadStream(uint8_t type);
  Status DecodeStreamNode(std::string_view node_key, std::string_view blob, uint64_t blob_offset,
                          uint64_t* live_entries);

  // Reads a string in deep mode (into *out), skips it in raw mode.
  Status Str(std::string* out);
  // Reads a string in both modes (small fields: stream IDs, names).
  Status StrAlways(std::string* out) { return ReadString(in_, options_.limits, out); }
  Result<uint64_t> Count(std::string_view what, uint64_t min_bytes_each) {
    return ReadCount(in_, what, min_bytes_each);
  }
  Result<uint64_t> Len(std::string_view what) { return ReadLength(in_, what); }
  Status Emit(const RdbElement& element) { return visitor_->OnElement(*entry_, element); }
  Status CorruptAt(uint64_t offset, std::string what) const {
    return in_.CorruptionAt(offset, what);
  }
  // Wraps an encodings error ("listpack +12: ...") with the file offset.
  Status BlobError(uint64_t blob_offset, std::string_view kind, const Status& s) const;
  bool deep() const { return options_.deep; }

  ByteReader& in_;
  const RdbReadOptions& options_;
  const RdbHeader& header_;
  RdbVisitor* visitor_;
  RdbEntry* entry_ = nullptr;
  std::string scratch_a_, scratch_b_;
};

}  // namespace shardkit::formats::rdb
