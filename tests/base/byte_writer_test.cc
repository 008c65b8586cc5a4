#include "base/byte_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

namespace shardkit {
namespace {

std::string WriterPattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 11 + i / 17) % 26);
  return s;
}

// A sink that lends spans of `lend_bytes` (0: does not lend) from its own
// buffer and checks the Lend/Commit protocol: no call while a span is out,
// no Commit beyond it. Counts how the bytes arrived.
class LendingSink final : public ChunkSink {
 public:
  explicit LendingSink(size_t lend_bytes, size_t fail_after = SIZE_MAX)
      : lend_bytes_(lend_bytes), fail_after_(fail_after), space_(lend_bytes) {}
  Status Append(ByteSpan bytes) override {
    if (out_) return Misuse("Append while a span is lent");
    appended_ += bytes.size();
    return Take(AsChars(bytes));
  }
  Result<MutableByteSpan> Lend() override {
    if (lend_bytes_ == 0) return MutableByteSpan();
    if (out_) return Misuse("Lend while a span is lent");
    out_ = true;
    ++lends_;
    return MutableByteSpan(space_);
  }
  Status Commit(size_t n) override {
    if (!out_) return Misuse("Commit without Lend");
    if (n > space_.size()) return Misuse("Commit beyond the span");
    out_ = false;
    committed_ += n;
    return Take(std::string_view(reinterpret_cast<const char*>(space_.data()), n));
  }
  Status Finish() override {
    if (out_) return Misuse("Finish while a span is lent");
    finished_ = true;
    return Status();
  }
  const std::string& name() const override { return name_; }

  std::string data;
  size_t appended_ = 0, committed_ = 0, lends_ = 0;
  bool finished_ = false;
  std::string misuse;

 private:
  Status Take(std::string_view bytes) {
    if (data.size() + bytes.size() > fail_after_) return Status::IoError("sink full");
    data.append(bytes);
    return Status();
  }
  Status Misuse(const std::string& what) {
    if (misuse.empty()) misuse = what;
    return Status::InvalidArgument(what);
  }
  size_t lend_bytes_;
  size_t fail_after_;
  std::vector<std::byte> space_;
  bool out_ = false;
  std::string name_ = "lending";
};

class CountingObserver final : public ByteObserver {
 public:
  void Observe(ByteSpan bytes) override { seen.append(AsChars(bytes)); }
  std::string seen;
};

// Writes `data` in random pieces (some larger than any buffer), with Flush
// calls in between, through a sink that lends spans of each size (and one
// that does not): the sink gets every byte once, in order, the observer too,
// and offset() counts them.
TEST(ByteWriterTest, LendingAndCopyingSinksGetTheSameBytes) {
  const std::string data = WriterPattern(300000);
  for (size_t lend : {0, 1, 7, 4096, 65536, 1 << 20}) {
    LendingSink sink(lend);
    CountingObserver observer;
    ByteWriter out(&sink, 5000);
    out.SetObserver(&observer);
    std::mt19937 rng(static_cast<uint32_t>(lend + 1));
    size_t pos = 0;
    while (pos < data.size()) {
      const size_t n = std::min<size_t>(data.size() - pos, rng() % 3 == 0 ? rng() % 20000 : rng() % 40);
      ASSERT_TRUE(out.Append(std::string_view(data).substr(pos, n)).ok());
      pos += n;
      EXPECT_EQ(out.offset(), pos);
      if (rng() % 50 == 0) {
        ASSERT_TRUE(out.Flush().ok());
      }
    }
    out.FlushObserver();
    ASSERT_TRUE(out.Finish().ok()) << sink.misuse;
    EXPECT_TRUE(sink.misuse.empty()) << sink.misuse;
    EXPECT_TRUE(sink.finished_);
    EXPECT_TRUE(sink.data == data) << "lend " << lend;
    EXPECT_TRUE(observer.seen == data) << "lend " << lend;
    if (lend == 0) {
      EXPECT_EQ(sink.committed_, 0u);
    } else {
      EXPECT_EQ(sink.appended_, 0u) << "a lending sink gets every byte through its spans";
      EXPECT_EQ(sink.committed_, data.size());
    }
  }
}

// A Commit error is returned and sticky, like an Append error.
TEST(ByteWriterTest, CommitErrorIsSticky) {
  LendingSink sink(4096, /*fail_after=*/10000);
  ByteWriter out(&sink);
  const std::string data = WriterPattern(20000);
  Status first;
  for (size_t pos = 0; pos < data.size() && first.ok(); pos += 1000) {
    first = out.Append(std::string_view(data).substr(pos, 1000));
  }
  EXPECT_EQ(first.code(), StatusCode::kIoError) << first.ToString();
  EXPECT_EQ(out.Append("more").code(), StatusCode::kIoError);
  EXPECT_EQ(out.Flush().code(), StatusCode::kIoError);
  EXPECT_EQ(out.Finish().code(), StatusCode::kIoError);
  EXPECT_FALSE(sink.finished_);
  EXPECT_TRUE(sink.misuse.empty()) << sink.misuse;
  EXPECT_EQ(sink.data, data.substr(0, 8192)) << "the bytes before the error arrived";
}

}  // namespace
}  // namespace shardkit
