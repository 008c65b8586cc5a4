#include "formats/encodings/ziplist.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/formats/encodings/blob_mutations.h"

namespace shardkit::formats {
namespace {

using testing::Bytes;
using testing::ExpectError;
using testing::PutLe;

// Test-only ziplist writer: appends raw entries (encoding + data) with the
// correct prevlen and fixes the header on Finish().
class RawZiplist {
 public:
  void Add(const std::string& encoding_and_data) {
    const size_t start = body_.size();
    if (prev_size_ < 254) {
      body_.push_back(static_cast<char>(prev_size_));
    } else {
      body_.push_back(static_cast<char>(0xfe));
      body_.append(4, '\0');
      PutLe(&body_, body_.size() - 4, prev_size_, 4);
    }
    body_ += encoding_and_data;
    last_ = start;
    prev_size_ = body_.size() - start;
    ++count_;
  }
  void AddString(const std::string& s) {
    std::string enc;
    if (s.size() < 64) {
      enc.push_back(static_cast<char>(s.size()));
    } else if (s.size() < 16384) {
      enc = Bytes({0x40 | static_cast<int>(s.size() >> 8), static_cast<int>(s.size() & 0xff)});
    } else {
      enc =
          Bytes({0x80, static_cast<int>(s.size() >> 24), static_cast<int>((s.size() >> 16) & 0xff),
                 static_cast<int>((s.size() >> 8) & 0xff), static_cast<int>(s.size() & 0xff)});
    }
    Add(enc + s);
  }
  std::string Finish(int count_override = -1) const {
    std::string out(10, '\0');
    out += body_;
    out.push_back(static_cast<char>(0xff));
    PutLe(&out, 0, out.size(), 4);
    PutLe(&out, 4, count_ == 0 ? 10 : 10 + last_, 4);
    PutLe(&out, 8, count_override >= 0 ? static_cast<uint64_t>(count_override) : count_, 2);
    return out;
  }

 private:
  std::string body_;
  size_t prev_size_ = 0;
  size_t last_ = 0;
  uint64_t count_ = 0;
};

Result<std::vector<std::string>> ReadZiplist(const std::string& blob) {
  SK_ASSIGN_OR_RETURN(ZiplistIterator it, ZiplistIterator::Open(AsBytes(blob)));
  std::vector<std::string> out;
  CompactEntry e;
  for (size_t i = 0; i <= blob.size(); ++i) {
    SK_ASSIGN_OR_RETURN(bool more, it.Next(&e));
    if (!more) {
      return out;
    }
    out.push_back(e.ToString());
  }
  return Status::Corruption("iterator did not stop");
}

TEST(Ziplist, ReferenceExample) {
  const std::string blob =
      Bytes({0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 0x02, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff});
  auto it = ZiplistIterator::Open(AsBytes(blob));
  ASSERT_TRUE(it.ok()) << it.status().ToString();
  EXPECT_EQ(it->header_count(), 2);
  CompactEntry e;
  ASSERT_TRUE(*it->Next(&e));
  EXPECT_TRUE(e.is_integer);
  EXPECT_EQ(e.integer, 2);
  ASSERT_TRUE(*it->Next(&e));
  EXPECT_EQ(e.ToString(), "5");
  EXPECT_FALSE(*it->Next(&e));
  EXPECT_FALSE(*it->Next(&e));
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 2u);
}

TEST(Ziplist, Empty) {
  const std::string blob = RawZiplist().Finish();
  EXPECT_EQ(blob, Bytes({11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xff}));
  EXPECT_TRUE(ReadZiplist(blob)->empty());
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 0u);
}

// Every encoding, including the RDB 6 ones (F0 int24, FE int8, immediates).
TEST(Ziplist, EveryEncoding) {
  RawZiplist z;
  z.Add(Bytes({0xc0, 0x18, 0xfc}));                                      // int16 -1000
  z.Add(Bytes({0xd0, 0x00, 0x00, 0x00, 0x80}));                          // int32 min
  z.Add(Bytes({0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));  // int64 max
  z.Add(Bytes({0xf0, 0x00, 0x00, 0x80}));                                // int24 -8388608
  z.Add(Bytes({0xf0, 0xff, 0xff, 0x7f}));                                // int24 8388607
  z.Add(Bytes({0xfe, 0x80}));                                            // int8 -128
  z.Add(Bytes({0xf1}));                                                  // immediate 0
  z.Add(Bytes({0xfd}));                                                  // immediate 12
  z.AddString("");
  z.AddString(std::string(63, 'a'));
  z.AddString(std::string(64, 'b'));     // 14-bit length, and the next prevlen is 0xFE + u32
  z.AddString(std::string(16383, 'c'));  // largest 14-bit length
  z.AddString(std::string(70000, 'd'));  // 32-bit big-endian length
  z.AddString("tail");
  const std::string blob = z.Finish();
  auto entries = ReadZiplist(blob);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  const std::vector<std::string> expected = {"-1000",
                                             "-2147483648",
                                             "9223372036854775807",
                                             "-8388608",
                                             "8388607",
                                             "-128",
                                             "0",
                                             "12",
                                             "",
                                             std::string(63, 'a'),
                                             std::string(64, 'b'),
                                             std::string(16383, 'c'),
                                             std::string(70000, 'd'),
                                             "tail"};
  EXPECT_EQ(*entries, expected);
  auto count = ValidateZiplist(AsBytes(blob));
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, expected.size());
}

TEST(Ziplist, BigPrevlenIsFiveBytes) {
  RawZiplist z;
  z.AddString(std::string(300, 'x'));
  z.AddString("y");
  const std::string blob = z.Finish();
  const size_t second = 10 + 3 + 300;
  EXPECT_EQ(static_cast<uint8_t>(blob[second]), 0xfe);
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 2u);
}

TEST(Ziplist, UnknownCount) {
  RawZiplist z;
  for (int i = 0; i < 70000; ++i) {
    z.Add(Bytes({0xf2}));
  }
  const std::string blob = z.Finish(65535);
  EXPECT_EQ(ZiplistIterator::Open(AsBytes(blob))->header_count(), 65535);
  EXPECT_EQ(*ValidateZiplist(AsBytes(blob)), 70000u);
}

std::string SampleZiplist() {
  RawZiplist z;
  z.AddString("field");
  z.Add(Bytes({0xf0, 0x01, 0x02, 0x03}));
  z.AddString(std::string(260, 'v'));
  z.Add(Bytes({0xfe, 0x05}));
  z.AddString(std::string(100, 'w'));
  z.Add(Bytes({0xe0, 1, 2, 3, 4, 5, 6, 7, 8}));
  return z.Finish();
}

TEST(Ziplist, HeaderErrors) {
  ExpectError(ZiplistIterator::Open(AsBytes(Bytes({10, 0, 0, 0, 10, 0, 0, 0, 0, 0}))).status(),
              "ziplist +0: blob of 10 bytes is shorter than the 11-byte minimum");
  std::string blob = SampleZiplist();
  PutLe(&blob, 0, 12, 4);
  ExpectError(ZiplistIterator::Open(AsBytes(blob)).status(), "header zlbytes 12 differs");
  blob = SampleZiplist();
  PutLe(&blob, 4, blob.size(), 4);
  ExpectError(ZiplistIterator::Open(AsBytes(blob)).status(), "ziplist +4: zltail");
  blob = SampleZiplist();
  blob.back() = 0;
  ExpectError(ZiplistIterator::Open(AsBytes(blob)).status(), "last byte is not the 0xFF");
}

TEST(Ziplist, ValidateChecksTailCountAndPrevlen) {
  std::string blob = SampleZiplist();
  PutLe(&blob, 8, 7, 2);
  ExpectError(ValidateZiplist(AsBytes(blob)).status(), "ziplist +8: header zllen 7 but 6 entries");
  EXPECT_TRUE(ReadZiplist(blob).ok());

  blob = SampleZiplist();
  PutLe(&blob, 4, 10, 4);
  ExpectError(ValidateZiplist(AsBytes(blob)).status(), "ziplist +4: zltail 10 but the last entry");

  blob = SampleZiplist();
  blob[10 + 7] = 3;  // second entry's prevlen (first entry is 7 bytes)
  ExpectError(ValidateZiplist(AsBytes(blob)).status(),
              "ziplist +17: prevlen 3 but the previous entry is 7 bytes");
  EXPECT_TRUE(ReadZiplist(blob).ok());
}

TEST(Ziplist, InvalidEncoding) {
  RawZiplist z;
  z.Add(Bytes({0xc1, 0, 0}));
  ExpectError(ReadZiplist(z.Finish()).status(), "ziplist +11: invalid entry encoding 0xc1");
}

TEST(Ziplist, EntryOverrunsTerminator) {
  RawZiplist z;
  z.Add(Bytes({0x80, 0xff, 0xff, 0xff, 0xff, 'a'}));
  ExpectError(ReadZiplist(z.Finish()).status(), "ziplist +10: string entry needs 4294967301 bytes");
  RawZiplist y;
  y.Add(Bytes({0xe0, 1, 2}));
  ExpectError(ReadZiplist(y.Finish()).status(), "ziplist +10: integer needs 10 bytes but 4 remain");
}

void CheckDamagedZiplist(const std::string& blob) {
  auto count = ValidateZiplist(AsBytes(blob));
  auto entries = ReadZiplist(blob);
  if (count.ok()) {
    ASSERT_TRUE(entries.ok()) << entries.status().ToString();
    EXPECT_EQ(entries->size(), *count);
  } else {
    EXPECT_TRUE(count.status().IsCorruption());
  }
}

TEST(Ziplist, EveryTruncationFails) {
  testing::ForEachTruncation(SampleZiplist(), [](const std::string& cut) {
    EXPECT_FALSE(ValidateZiplist(AsBytes(cut)).ok()) << cut.size();
    EXPECT_FALSE(ReadZiplist(cut).ok()) << cut.size();
  });
}

TEST(Ziplist, EveryTruncatedBodyWithFixedHeaderIsSafe) {
  const std::string blob = SampleZiplist();
  for (size_t len = 10; len < blob.size() - 1; ++len) {
    std::string cut = blob.substr(0, len) + '\xff';
    PutLe(&cut, 0, cut.size(), 4);
    PutLe(&cut, 4, 10, 4);
    CheckDamagedZiplist(cut);
  }
}

TEST(Ziplist, EverySingleByteChangeIsSafe) { testing::ForEachByteChange(SampleZiplist(), CheckDamagedZiplist); }

}  // namespace
}  // namespace shardkit::formats
