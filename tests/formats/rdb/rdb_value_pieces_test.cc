// RdbReadOptions::value_piece_bytes: a large value is handed over in pieces
// (kFirst, kMiddle..., then the record with kLast) whose concatenation is
// exactly the value a whole read captures; small values stay whole; a
// visitor error on a piece stops the read with that error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "formats/rdb/rdb_primitives.h"
#include "formats/rdb/rdb_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "tests/formats/rdb/rdb_test_util.h"

namespace shardkit::formats::rdb {
namespace {

using testing::ReadBytes;

struct Seen {
  std::string key;
  ValuePart part;
  std::string value;
};

class PieceRecorder final : public RdbVisitor {
 public:
  Status OnValuePiece(RdbEntry& e) override {
    seen.push_back({e.key, e.part, e.value});
    if (fail_at_piece >= 0 && ++pieces == fail_at_piece) {
      return Status::ResourceExhausted("test: piece refused");
    }
    return Status();
  }
  Status OnEntry(const RdbEntry& e) override {
    seen.push_back({e.key, e.part, e.value});
    return Status();
  }
  std::vector<Seen> seen;
  int fail_at_piece = -1;
  int pieces = 0;
};

// small:1, big (a 3 MiB string of varied bytes), small:2.
std::string ThreeKeyRdb(std::string* big_value) {
  StringSink sink;
  auto writer = RdbWriter::Create(&sink, RdbWriterOptions());
  EXPECT_TRUE(writer.ok());
  std::string payload(3u << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131 + 7) >> 3);
  big_value->clear();
  AppendString(big_value, payload);
  RdbEntry e;
  e.type = kTypeString;
  for (const char* key : {"small:1", "big", "small:2"}) {
    e.key = key;
    e.value.clear();
    if (e.key == "big") {
      e.value = *big_value;
      e.expire_ms = 4102444800000;
    } else {
      AppendString(&e.value, "v");
      e.expire_ms.reset();
    }
    EXPECT_TRUE((*writer)->WriteEntry(e).ok());
  }
  EXPECT_TRUE((*writer)->Finish().ok());
  return sink.data();
}

RdbReadOptions PieceOptions(size_t piece_bytes) {
  RdbReadOptions options;
  options.capture_values = true;
  options.value_piece_bytes = piece_bytes;
  return options;
}

TEST(RdbValuePiecesTest, PiecesConcatenateToTheWholeValueInOrder) {
  std::string big;
  const std::string rdb = ThreeKeyRdb(&big);
  const RdbReadOptions options = PieceOptions(100 << 10);
  PieceRecorder visitor;
  auto summary = ReadBytes(rdb, options, &visitor, /*chunk=*/64 << 10);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->keys, 3u);
  ASSERT_GE(visitor.seen.size(), 5u);  // small:1, >= 2 pieces + the last, small:2
  EXPECT_EQ(visitor.seen.front().key, "small:1");
  EXPECT_EQ(visitor.seen.front().part, ValuePart::kWhole);
  EXPECT_EQ(visitor.seen.back().key, "small:2");
  EXPECT_EQ(visitor.seen.back().part, ValuePart::kWhole);
  std::string joined;
  for (size_t i = 1; i + 1 < visitor.seen.size(); ++i) {
    const Seen& s = visitor.seen[i];
    EXPECT_EQ(s.key, "big");
    const ValuePart want = i == 1                          ? ValuePart::kFirst
                           : i + 2 == visitor.seen.size() ? ValuePart::kLast
                                                           : ValuePart::kMiddle;
    EXPECT_EQ(s.part, want) << "record " << i;
    if (s.part != ValuePart::kLast) {
      EXPECT_GE(s.value.size(), options.value_piece_bytes);
    }
    joined += s.value;
  }
  EXPECT_TRUE(joined == big) << joined.size() << " vs " << big.size() << " bytes";
}

TEST(RdbValuePiecesTest, ValuesUnderThePieceSizeStayWhole) {
  std::string big;
  const std::string rdb = ThreeKeyRdb(&big);
  const RdbReadOptions options = PieceOptions(8u << 20);  // larger than the 3 MiB value
  PieceRecorder visitor;
  ASSERT_TRUE(ReadBytes(rdb, options, &visitor, 64 << 10).ok());
  ASSERT_EQ(visitor.seen.size(), 3u);
  for (const Seen& s : visitor.seen) EXPECT_EQ(s.part, ValuePart::kWhole) << s.key;
  EXPECT_TRUE(visitor.seen[1].value == big);
}

TEST(RdbValuePiecesTest, APieceTheVisitorRefusesStopsTheReadWithItsError) {
  std::string big;
  const std::string rdb = ThreeKeyRdb(&big);
  const RdbReadOptions options = PieceOptions(100 << 10);
  PieceRecorder visitor;
  visitor.fail_at_piece = 2;
  auto summary = ReadBytes(rdb, options, &visitor, 64 << 10);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(summary.status().message(), "test: piece refused");
  for (const Seen& s : visitor.seen) EXPECT_NE(s.key, "small:2");
  EXPECT_EQ(visitor.pieces, 2);  // no piece after the refused one
}

}  // namespace
}  // namespace shardkit::formats::rdb
