// RdbEntry: one key record of an RDB file as the reader found it, and the
// decoded-element record deep mode reports for its contents.
//
// In raw mode `value` holds the value's bytes exactly as serialized in the
// file (after the type byte and the key, up to the next record), so a writer
// can copy it through unchanged. Expired keys are reported like any other:
// the caller decides whether to drop them. Views inside RdbElement are valid
// only during the callback that receives them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "formats/encodings/hash_slot.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::formats::rdb {

// Which part of a value RdbEntry::value holds. kWhole unless the reader
// streams large values in pieces (RdbReadOptions::value_piece_bytes): then
// RdbVisitor::OnValuePiece gets kFirst and kMiddle pieces in order, and the
// complete record (OnEntryOwned) carries kLast with the value's last bytes.
enum class ValuePart : uint8_t { kWhole, kFirst, kMiddle, kLast };

struct RdbEntry {
  uint64_t db = 0;
  std::string key;
  uint8_t type = 0;                     // object type byte (rdb_format.h)
  std::optional<int64_t> expire_ms;     // absolute unix ms (EXPIRETIME converted)
  std::optional<uint64_t> lru_idle_s;   // IDLE opcode
  std::optional<uint8_t> lfu_freq;      // FREQ opcode
  std::string key_meta;                 // raw KEY_META payload (Redis >= 13), usually empty
  std::string value;                    // raw value bytes (raw mode with capture_values)
  uint64_t record_offset = 0;           // first byte of the record (first prefix opcode)
  uint64_t value_offset = 0;            // first byte of the value
  uint64_t value_bytes = 0;             // serialized size of the value
  std::string module_name;              // "<name>/<encver>" for MODULE_2 values
  ValuePart part = ValuePart::kWhole;   // see ValuePart

  uint16_t HashSlot() const { return KeyHashSlot(key); }
};

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  bool operator==(const StreamId&) const = default;
  auto operator<=>(const StreamId&) const = default;
};

// One decoded element of a value (deep mode).
enum class ElementKind : uint8_t {
  kString,          // a = the string value
  kListItem,        // a = element (head to tail)
  kSetMember,       // a = member
  kZsetMember,      // a = member, score
  kHashField,       // a = field, b = value, expire_ms (field TTL) when set
  kArrayItem,       // index, a = value (rendered as text)
  kStreamEntry,     // id, fields = alternating field/value views
  kStreamMeta,      // length, last_id, first_id, max_deleted_id, entries_added
  kStreamGroup,     // a = group name, id = last delivered, entries_read
  kStreamPending,   // a = group name, id, delivery_time_ms, delivery_count
  kStreamConsumer,  // a = group name, b = consumer name, seen/active time
  kStreamConsumerPending,  // a = group, b = consumer, id
  kModuleValue,     // a = "<name>/<encver>"; the value itself is carried raw
  kGcra,            // integer = theoretical arrival time
};

struct RdbElement {
  ElementKind kind = ElementKind::kString;
  std::string_view a;
  std::string_view b;
  double score = 0;
  std::optional<int64_t> expire_ms;
  uint64_t index = 0;
  StreamId id;
  std::span<const std::string_view> fields;
  // Stream metadata and group/PEL/consumer numbers.
  uint64_t length = 0;
  StreamId last_id, first_id, max_deleted_id;
  uint64_t entries_added = 0;
  uint64_t entries_read = 0;
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 0;
  int64_t seen_time_ms = 0;
  int64_t active_time_ms = 0;
  uint64_t integer = 0;
};

}  // namespace shardkit::formats::rdb
