#include "formats/aof/aof_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "formats/aof/aof_reader.h"
#include "formats/rdb/rdb_writer.h"
#include "storage/atomic_file.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace shardkit::formats::aof {
namespace {

TEST(AofWriterTest, EncodesRespAndSelectsOnlyOnDbChange) {
  StringSink sink;
  AofWriter writer(&sink);
  const std::vector<std::string> set = {"SET", "k", std::string("v\r\n\0", 4)};
  ASSERT_TRUE(writer.Write(0, set).ok());
  ASSERT_TRUE(writer.WriteTimestamp(1700000000).ok());
  ASSERT_TRUE(writer.Write(3, set).ok());
  ASSERT_TRUE(writer.Write(3, set).ok());
  ASSERT_TRUE(writer.Finish().ok());
  const std::string one =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\nv\r\n" + std::string(1, '\0') + "\r\n";
  const std::string expected =
      one + "#TS:1700000000\r\n" + "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + one + one;
  EXPECT_EQ(sink.data(), expected);
  EXPECT_TRUE(writer.WriteRaw(std::span<const std::string>()).code() ==
              StatusCode::kInvalidArgument);
}

// A sink for the publish-order test: records each step.
class RecordingSink : public ChunkSink {
 public:
  RecordingSink(std::string name, std::vector<std::string>* log) : name_(name), log_(log) {}
  Status Append(ByteSpan b) override {
    data_.append(AsChars(b));
    return Status();
  }
  Status Finish() override {
    log_->push_back("finish " + name_);
    return Status();
  }
  const std::string& name() const override { return name_; }
  std::string data_;

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

TEST(AofWriterTest, PublishesBaseThenIncrThenManifest) {
  std::vector<std::string> log;
  std::map<std::string, std::string> files;
  MultiPartAofCallbacks callbacks;
  callbacks.create = [&](const std::string& name) -> Result<std::unique_ptr<ChunkSink>> {
    log.push_back("create " + name);
    return std::unique_ptr<ChunkSink>(std::make_unique<RecordingSink>(name, &log));
  };
  callbacks.publish = [&](ChunkSink* sink) {
    log.push_back("publish " + sink->name());
    files[sink->name()] = static_cast<RecordingSink*>(sink)->data_;
    return Status();
  };
  MultiPartAofSpec spec;
  spec.seq = 7;
  spec.base_is_rdb = false;
  auto result = WriteMultiPartAof(
      spec, callbacks,
      [](ChunkSink* s) {
        return s->Append(AsBytes(EncodeCommand(std::vector<std::string>{"SET", "a", "1"})));
      },
      [](AofWriter* w) {
        return w->Write(0, std::vector<std::string>{"DEL", "a"});
      });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(log, (std::vector<std::string>{
                     "create appendonly.aof.7.base.aof", "finish appendonly.aof.7.base.aof",
                     "publish appendonly.aof.7.base.aof", "create appendonly.aof.7.incr.aof",
                     "finish appendonly.aof.7.incr.aof", "publish appendonly.aof.7.incr.aof",
                     "create appendonly.aof.manifest", "finish appendonly.aof.manifest",
                     "publish appendonly.aof.manifest"}));
  EXPECT_EQ(files["appendonly.aof.manifest"],
            "file appendonly.aof.7.base.aof seq 7 type b\n"
            "file appendonly.aof.7.incr.aof seq 7 type i\n");
  EXPECT_EQ(files["appendonly.aof.7.incr.aof"], "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n");
}

TEST(AofWriterTest, PublishFailureStopsBeforeTheManifest) {
  std::vector<std::string> created;
  MultiPartAofCallbacks callbacks;
  callbacks.create = [&](const std::string& name) -> Result<std::unique_ptr<ChunkSink>> {
    created.push_back(name);
    return std::unique_ptr<ChunkSink>(std::make_unique<StringSink>(name));
  };
  callbacks.publish = [&](ChunkSink* sink) {
    if (sink->name().find("incr") != std::string::npos) return Status::IoError("rename failed");
    return Status();
  };
  auto result = WriteMultiPartAof(
      {}, callbacks, [](ChunkSink*) { return Status(); }, [](AofWriter*) { return Status(); });
  EXPECT_TRUE(result.status().IsIoError());
  EXPECT_EQ(created.size(), 2u);  // base and incr; never the manifest
}

// Writes a multi-part directory with a real RDB base (RdbWriter) and an incr
// file, through storage::AtomicFileWriter, and has redis-server 7.0 load it.
TEST(AofWriterTest, RealRedisServerLoadsWrittenMultiPartDirectory) {
  SHARDKIT_REQUIRE_REDIS_SERVER();
  testing::TempDir dir("aof-writer");
  const std::string aof_dir = dir.File("appendonlydir");
  ASSERT_EQ(::mkdir(aof_dir.c_str(), 0755), 0);
  MultiPartAofCallbacks callbacks;
  callbacks.create = [&](const std::string& name) -> Result<std::unique_ptr<ChunkSink>> {
    SK_ASSIGN_OR_RETURN(auto writer, storage::AtomicFileWriter::Create(aof_dir + "/" + name));
    return std::unique_ptr<ChunkSink>(std::move(writer));
  };
  callbacks.publish = [](ChunkSink* sink) {
    return static_cast<storage::AtomicFileWriter*>(sink)->Publish();
  };
  auto write_base = [](ChunkSink* sink) -> Status {
    rdb::RdbWriterOptions options;
    options.version = 10;
    // RdbWriter::Finish finishes the sink; hand it a forwarding sink that
    // leaves Finish() to WriteMultiPartAof.
    class Forward : public ChunkSink {
     public:
      explicit Forward(ChunkSink* t) : t_(t) {}
      Status Append(ByteSpan b) override { return t_->Append(b); }
      Status Finish() override { return Status(); }
      const std::string& name() const override { return t_->name(); }

     private:
      ChunkSink* t_;
    } forward(sink);
    SK_ASSIGN_OR_RETURN(auto rdb, rdb::RdbWriter::Create(&forward, options));
    SK_RETURN_IF_ERROR(rdb->WriteAux("aof-base", "1"));
    SK_RETURN_IF_ERROR(rdb->WriteSelectDb(0));
    rdb::RdbEntry entry;
    entry.key = "from-base";
    entry.type = rdb::kTypeString;
    entry.value = std::string("\x05hello", 6);
    SK_RETURN_IF_ERROR(rdb->WriteEntry(entry));
    return rdb->Finish();
  };
  auto write_incr = [](AofWriter* w) -> Status {
    SK_RETURN_IF_ERROR(w->WriteTimestamp(1700000000));
    SK_RETURN_IF_ERROR(w->Write(0, std::vector<std::string>{"SET", "k0", "v0"}));
    SK_RETURN_IF_ERROR(w->Write(0, std::vector<std::string>{"APPEND", "from-base", "!"}));
    SK_RETURN_IF_ERROR(w->Write(2, std::vector<std::string>{"RPUSH", "list", "a", "b"}));
    SK_RETURN_IF_ERROR(w->Write(2, std::vector<std::string>{"MULTI"}));
    SK_RETURN_IF_ERROR(w->Write(2, std::vector<std::string>{"INCR", "n"}));
    SK_RETURN_IF_ERROR(w->Write(2, std::vector<std::string>{"EXEC"}));
    return w->Write(0, std::vector<std::string>{"PEXPIREAT", "k0", "99999999999999"});
  };
  auto written = WriteMultiPartAof({}, callbacks, write_base, write_incr);
  ASSERT_TRUE(written.ok()) << written.status().ToString();

  testing::RedisServerOptions options;
  options.dir = dir.path();
  options.config = {{"appendonly", "yes"}, {"aof-load-truncated", "no"}};
  auto server = testing::RedisServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto& s = **server;
  EXPECT_EQ(s.Command({"GET", "from-base"})->str, "hello!");
  EXPECT_EQ(s.Command({"GET", "k0"})->str, "v0");
  EXPECT_GT(s.Command({"PTTL", "k0"})->integer, 0);
  ASSERT_TRUE(s.CommandOk({"SELECT", "2"}).ok());
  EXPECT_EQ(s.Command({"LLEN", "list"})->integer, 2);
  EXPECT_EQ(s.Command({"GET", "n"})->str, "1");
  EXPECT_EQ(s.Command({"DBSIZE"})->integer, 2);
}

}  // namespace
}  // namespace shardkit::formats::aof
