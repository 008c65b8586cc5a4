// Versions, opcodes and types the public corpus does not hold (gap check of
// issue 3 against shared/corpus/public/MANIFEST.md: no REDIS0001 or
// REDIS0013 file, no KEY_META, SLOT_IMPORT, GCRA or stream v4/v5 value),
// written byte by byte from formats-reference.md and read back in raw and
// deep mode: what the visitor receives, in which order, with which values.
#include <gtest/gtest.h>

#include <cstring>

#include "formats/encodings/crc64.h"
#include "formats/encodings/listpack.h"
#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "tests/formats/rdb/rdb_test_util.h"

namespace shardkit::formats::rdb {
namespace {

using testing::ReadBytes;
using testing::RecordingVisitor;

using testing::Frame;

std::string Op(uint8_t op) { return std::string(1, static_cast<char>(op)); }

std::string Str(std::string_view s) {
  std::string out;
  AppendString(&out, s);
  return out;
}

std::string Len(uint64_t v) {
  std::string out;
  AppendLength(&out, v);
  return out;
}

std::string U32Le(uint32_t v) {
  std::string out(4, '\0');
  std::memcpy(out.data(), &v, 4);  // the test host is little-endian (x86/arm64)
  return out;
}

std::string U64(uint64_t v) {
  std::string out;
  AppendU64Le(&out, v);
  return out;
}

// A raw stream ID as PEL/NACK lists hold it: ms and seq, big-endian.
std::string RawId(uint64_t ms, uint64_t seq) {
  std::string out;
  for (uint64_t part : {ms, seq}) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((part >> (8 * i)) & 0xff));
  }
  return out;
}

std::string Key(uint8_t type, std::string_view key) { return Op(type) + Str(key); }

// Records every callback as one line, in order, plus hash field expiries.
class TraceVisitor : public RecordingVisitor {
 public:
  Status OnHeader(const RdbHeader& h) override { return Log("header " + FormatMagic(h)); }
  Status OnAux(std::string_view k, std::string_view v) override {
    SK_RETURN_IF_ERROR(RecordingVisitor::OnAux(k, v));
    return Log("aux " + std::string(k) + "=" + std::string(v));
  }
  Status OnSelectDb(uint64_t db) override { return Log("select " + std::to_string(db)); }
  Status OnResizeDb(uint64_t a, uint64_t b) override {
    return Log("resize " + std::to_string(a) + "/" + std::to_string(b));
  }
  Status OnSlotInfo(uint64_t s, uint64_t n, uint64_t e) override {
    return Log("slot " + std::to_string(s) + " " + std::to_string(n) + " " + std::to_string(e));
  }
  Status OnFunction(std::string_view code) override {
    SK_RETURN_IF_ERROR(RecordingVisitor::OnFunction(code));
    return Log("function " + std::string(code));
  }
  Status OnFunctionPreGa(std::string_view name, std::string_view code) override {
    return Log("function-pre-ga " + std::string(name) + " " + std::string(code));
  }
  Status OnModuleAux(uint64_t id, std::string_view raw) override {
    SK_RETURN_IF_ERROR(RecordingVisitor::OnModuleAux(id, raw));
    return Log("module-aux " + ModuleIdName(id) + " " + std::to_string(raw.size()) + "B");
  }
  Status OnSlotImport(std::string_view raw) override {
    slot_import = std::string(raw);
    return Log("slot-import " + std::to_string(raw.size()) + "B");
  }
  Status OnElement(const RdbEntry& e, const RdbElement& el) override {
    if (el.kind == ElementKind::kHashField) {
      field_expiry[e.key + "." + std::string(el.a)] = el.expire_ms;
    }
    if (el.kind == ElementKind::kGcra) gcra = el.integer;
    if (el.kind == ElementKind::kStreamEntry) ++stream_entries;
    return RecordingVisitor::OnElement(e, el);
  }
  Status OnEntry(const RdbEntry& e) override {
    SK_RETURN_IF_ERROR(RecordingVisitor::OnEntry(e));
    return Log("key db" + std::to_string(e.db) + " " + e.key + " " + TypeName(e.type));
  }
  Status Log(std::string line) {
    trace.push_back(std::move(line));
    return Status();
  }

  std::vector<std::string> trace;
  std::string slot_import;
  std::map<std::string, std::optional<int64_t>> field_expiry;
  uint64_t gcra = 0;
  uint64_t stream_entries = 0;
};

Result<RdbSummary> ReadWith(const std::string& bytes, bool deep, TraceVisitor* v) {
  RdbReadOptions options;
  options.deep = deep;
  return ReadBytes(bytes, options, v, 7);  // tiny chunks: every field crosses a boundary
}

// RDB 1 (Redis <= 2.2): the five base types, EXPIRETIME in seconds, no CRC.
TEST(RdbVersionsTest, Version1FileWithBaseTypesAndSecondExpiry) {
  std::string body = Op(kOpSelectDb) + Len(0);
  body += Op(kOpExpireTime) + U32Le(1'700'000'000) + Key(kTypeString, "s") + Str("value");
  body += Key(kTypeList, "l") + Len(2) + Str("a") + Str("b");
  body += Key(kTypeSet, "st") + Len(1) + Str("x");
  body += Key(kTypeZset, "z") + Len(1) + Str("m") + Op(3) + "1.5";
  body += Key(kTypeHash, "h") + Len(1) + Str("f") + Str("v");
  body += Op(kOpSelectDb) + Len(3) + Key(kTypeString, "k3") + Str("12");
  const std::string file = Frame("REDIS0001", body, /*crc=*/false);
  for (bool deep : {false, true}) {
    SCOPED_TRACE(deep ? "deep" : "raw");
    TraceVisitor v;
    auto summary = ReadWith(file, deep, &v);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->header.version, 1);
    EXPECT_EQ(summary->crc, CrcStatus::kAbsent);
    EXPECT_EQ(summary->end_offset, file.size());
    ASSERT_EQ(v.entries.size(), 6u);
    EXPECT_EQ(v.entries[0].expire_ms, int64_t{1'700'000'000'000});
    EXPECT_FALSE(v.entries[1].expire_ms.has_value());
    EXPECT_EQ(v.entries[5].db, 3u);
    EXPECT_EQ(v.entries[5].key, "k3");
    if (deep) {
      EXPECT_EQ(v.elements["s"], std::vector<std::string>{"value"});
      EXPECT_EQ(v.elements["l"], (std::vector<std::string>{"a", "b"}));
      EXPECT_EQ(v.elements["z"], std::vector<std::string>{"m=1.5"});
      EXPECT_EQ(v.elements["h"], std::vector<std::string>{"f=v"});
      EXPECT_EQ(v.elements["k3"], std::vector<std::string>{"12"});
    }
  }
}

// Every Redis opcode of RDB 10-12 reaches the visitor in file order, and the
// key prefix opcodes land on the key that follows them.
TEST(RdbVersionsTest, EveryOpcodeReachesTheVisitorInOrder) {
  const uint64_t module_id = (uint64_t{0x3f} << 58) | 7;  // name "_AAAAAAAA", encver 7
  std::string body = Op(kOpAux) + Str("redis-ver") + Str("7.4.0");
  body += Op(kOpModuleAux) + Len(module_id) + Len(kModuleOpUint) + Len(1) + Len(kModuleOpUint) +
          Len(42) + Len(kModuleOpEof);
  body += Op(kOpFunction2) + Str("#!lua name=lib\nreturn 1");
  body += Op(kOpSelectDb) + Len(5) + Op(kOpResizeDb) + Len(1) + Len(1);
  body += Op(kOpSlotInfo) + Len(866) + Len(1) + Len(1);
  body += Op(kOpExpireTimeMs) + U64(1'800'000'000'123) + Op(kOpIdle) + Len(300) + Op(kOpFreq) +
          Op(9) + Key(kTypeString, "hello") + Str("x");
  const std::string file = Frame("REDIS0012", body);
  TraceVisitor v;
  auto summary = ReadWith(file, /*deep=*/true, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->crc, CrcStatus::kOk);
  EXPECT_EQ(summary->producer, "redis 7.4.0");
  const std::vector<std::string> want = {
      "header REDIS0012",  "aux redis-ver=7.4.0",
      "module-aux _AAAAAAAA/7 " + std::to_string(Len(module_id).size() + 5) + "B",
      "function #!lua name=lib\nreturn 1",
      "select 5",          "resize 1/1",
      "slot 866 1 1",      "key db5 hello string"};
  EXPECT_EQ(v.trace, want);
  ASSERT_EQ(v.entries.size(), 1u);
  EXPECT_EQ(v.entries[0].expire_ms, int64_t{1'800'000'000'123});
  EXPECT_EQ(v.entries[0].lru_idle_s, 300u);
  EXPECT_EQ(v.entries[0].lfu_freq, 9);
  EXPECT_EQ(v.entries[0].HashSlot(), 866);
}

// FUNCTION_PRE_GA (Redis 7.0 release candidates): name, engine, optional
// description, code.
TEST(RdbVersionsTest, FunctionPreGaRecordIsReportedWithNameAndCode) {
  std::string body = Op(kOpFunctionPreGa) + Str("mylib") + Str("LUA") + Len(1) + Str("desc") +
                     Str("return 2");
  body += Op(kOpFunctionPreGa) + Str("nodesc") + Str("LUA") + Len(0) + Str("return 3");
  TraceVisitor v;
  auto summary = ReadWith(Frame("REDIS0010", body), false, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(v.trace, (std::vector<std::string>{"header REDIS0010",
                                               "function-pre-ga mylib return 2",
                                               "function-pre-ga nodesc return 3"}));
}

// RDB 13 (Redis 8.6): KEY_META travels raw with the next key only.
TEST(RdbVersionsTest, Redis13KeyMetaIsCarriedToTheNextKeyOnly) {
  const std::string meta = Len(1) + std::string("\x01\x00\x00\x10", 4) + Len(kModuleOpUint) +
                           Len(7) + Len(kModuleOpString) + Str("tag") + Len(kModuleOpEof);
  std::string body = Op(kOpKeyMeta) + meta + Op(kOpExpireTimeMs) + U64(5) +
                     Key(kTypeString, "a") + Str("x") + Key(kTypeString, "b") + Str("y");
  for (bool deep : {false, true}) {
    TraceVisitor v;
    auto summary = ReadWith(Frame("REDIS0013", body), deep, &v);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(v.entries.size(), 2u);
    EXPECT_EQ(v.entries[0].key_meta, meta);
    EXPECT_EQ(v.entries[0].expire_ms, 5);
    EXPECT_EQ(v.entries[0].record_offset, 9u);
    EXPECT_EQ(v.entries[1].key_meta, "");
  }
  // Zero classes (or more than 7) is corruption naming the field.
  std::string bad = Op(kOpKeyMeta) + Len(0) + Key(kTypeString, "a") + Str("x");
  TraceVisitor v;
  Status s = ReadWith(Frame("REDIS0013", bad), false, &v).status();
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("key metadata class count 0 (expected 1-7)"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("while reading KEY_META"), std::string::npos) << s.ToString();
}

// Valkey 9 (VALKEY080): SLOT_IMPORT (opcode 243) and HASH_2 (type 22) with
// absolute per-field expiries, -1 = none.
TEST(RdbVersionsTest, ValkeySlotImportAndHash2FieldExpiry) {
  const std::string import = Str(std::string(40, 'j')) + Len(2) + Len(0) + Len(100) + Len(200) +
                             Len(16383);
  std::string body = Op(kOpAux) + Str("valkey-ver") + Str("9.0.0") + Op(kOpSlotImport) + import;
  body += Op(kOpSelectDb) + Len(0) + Key(kTypeValkeyHash2, "h") + Len(2) + Str("f1") +
          Str("v1") + U64(1'800'000'000'000) + Str("f2") + Str("v2") + U64(~uint64_t{0});
  const std::string file = Frame("VALKEY080", body);
  TraceVisitor v;
  auto summary = ReadWith(file, /*deep=*/true, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->producer, "valkey 9.0.0");
  EXPECT_EQ(v.slot_import, import);
  ASSERT_EQ(v.entries.size(), 1u);
  EXPECT_EQ(TypeName(v.entries[0].type, Magic::kValkey), "hash-2");
  EXPECT_EQ(v.field_expiry["h.f1"], int64_t{1'800'000'000'000});
  EXPECT_EQ(v.field_expiry["h.f2"], std::nullopt);
  // The same bytes under the REDIS magic are a different (pre-GA) type 22.
  TraceVisitor raw;
  EXPECT_TRUE(ReadWith(file, false, &raw).ok());
  EXPECT_EQ(raw.entries[0].value_bytes, file.size() - 1 - 8 - raw.entries[0].value_offset);
}

// Redis 7.4 hash field expiry: HASH_METADATA (24, TTLs relative to a
// min-expire base, stored +1) and HASH_LISTPACK_EX (25, absolute TTL
// triplets); out-of-range expiries are refused in deep mode.
TEST(RdbVersionsTest, RedisHashFieldExpiryTypes) {
  const uint64_t base = 1'700'000'000'000;
  std::string body = Key(kTypeHashMetadata, "md") + U64(base) + Len(2) + Len(1) + Str("a") +
                     Str("1") + Len(0) + Str("b") + Str("2");
  ListpackBuilder lp;
  lp.Append("f");
  lp.Append("v");
  lp.AppendInteger(static_cast<int64_t>(base + 5));
  lp.Append("g");
  lp.Append("w");
  lp.AppendInteger(0);
  body += Key(kTypeHashListpackEx, "lpex") + U64(base + 5) + Str(lp.Finish());
  TraceVisitor v;
  auto summary = ReadWith(Frame("REDIS0012", body), /*deep=*/true, &v);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(v.field_expiry["md.a"], int64_t(base));  // ttl 1 + base - 1
  EXPECT_EQ(v.field_expiry["md.b"], std::nullopt);
  EXPECT_EQ(v.field_expiry["lpex.f"], int64_t(base + 5));
  EXPECT_EQ(v.field_expiry["lpex.g"], std::nullopt);
  EXPECT_EQ(v.elements["lpex"], (std::vector<std::string>{"f=v", "g=w"}));

  std::string far = Key(kTypeHashMetadata, "far") + U64(1) + Len(1) + Len(uint64_t{1} << 50) +
                    Str("a") + Str("1");
  TraceVisitor deep;
  Status s = ReadWith(Frame("REDIS0012", far), true, &deep).status();
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("key \"far\", type hash-hashtable-md"), std::string::npos)
      << s.ToString();
  TraceVisitor raw;
  EXPECT_TRUE(ReadWith(Frame("REDIS0012", far), false, &raw).ok());
}

// RDB 14 (Redis 8.8): GCRA (type 29) and a stream v5 (type 27) whose only
// PEL entry is in the NACK list; IDMP producer state follows the groups.
std::string StreamV5(bool with_nack) {
  ListpackBuilder lp;
  for (int64_t v : {1, 0, 1}) lp.AppendInteger(v);  // master: live, deleted, #fields
  lp.Append("field");
  lp.AppendInteger(0);                                  // master terminator
  for (int64_t v : {2, 0, 0}) lp.AppendInteger(v);      // flags SAMEFIELDS, ms/seq delta
  lp.Append("value");
  lp.AppendInteger(4);                                  // lp_count = 3 + 1 field
  std::string value = Len(1) + Str(RawId(1000, 0)) + Str(lp.Finish());
  value += Len(1) + Len(1000) + Len(0);                  // length, last id
  value += Len(1000) + Len(0) + Len(0) + Len(0) + Len(1);  // first, max deleted, added
  value += Len(1) + Str("g") + Len(1000) + Len(0) + Len(1);  // group, last delivered, read
  value += Len(1) + RawId(1000, 0) + U64(1'700'000'000'000) + Len(1);  // PEL
  value += Len(0);                                                      // consumers
  value += with_nack ? Len(1) + RawId(1000, 0) : Len(0);                // NACK list
  value += Len(60) + Len(100) + Len(1) + Str("producer") + Len(1) + Str("iid") + Len(1000) +
           Len(0) + Len(1) + Len(0);  // IDMP
  return value;
}

TEST(RdbVersionsTest, Redis14GcraAndStreamV5WithNackAndIdmp) {
  std::string body = Key(kTypeGcra, "rate") + Len(123456789);
  body += Key(kTypeStreamListpacks5, "s") + StreamV5(/*with_nack=*/true);
  const std::string file = Frame("REDIS0014", body);
  for (bool deep : {false, true}) {
    TraceVisitor v;
    auto summary = ReadWith(file, deep, &v);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(v.entries.size(), 2u);
    EXPECT_EQ(TypeName(v.entries[1].type), "stream-v5");
    if (deep) {
      EXPECT_EQ(v.gcra, 123456789u);
      EXPECT_EQ(v.stream_entries, 1u);
    }
  }
  // Without the NACK entry the PEL entry has no owner: deep mode refuses it.
  TraceVisitor v;
  Status s = ReadWith(Frame("REDIS0014", Key(kTypeStreamListpacks5, "s") + StreamV5(false)), true,
                      &v)
                 .status();
  ASSERT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("PEL entry 1000-0 of group \"g\" has no consumer"), std::string::npos)
      << s.ToString();
}

}  // namespace
}  // namespace shardkit::formats::rdb
