// `shardkit verify` on append-only logs made by a real redis-server 7.0
// (appendonly yes, timestamps on, a BGREWRITEAOF in the middle so the log has
// a base and an incr file), in every form a user can pass: the multi-part
// directory, the Redis dir holding appendonlydir/, the manifest, a legacy
// RESP file, a legacy file with an RDB preamble; then cut and damaged copies,
// judged against redis-check-aof on the same bytes (its ok_up_to is where the
// last sound command ends), and bad manifests.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"
#include "tests/tools/verify_cli_util.h"

namespace shardkit::testing {
namespace {

namespace fs = std::filesystem;

// RESP arrays in `data` from `from` to `to`: lines starting with '*' (the
// fill below never writes a value starting with '*').
uint64_t CountLines(const std::string& data, size_t from, size_t to, char first) {
  uint64_t n = 0;
  // Bounded: every step moves past one line.
  for (size_t at = from; at < to && at < data.size();) {
    if (data[at] == first) ++n;
    size_t eol = data.find("\r\n", at);
    if (eol == std::string::npos) break;
    at = eol + 2;
  }
  return n;
}
uint64_t CountArrays(const std::string& data, size_t from, size_t to) {
  return CountLines(data, from, to, '*');
}
// `#` annotation lines (#TS:<unix-seconds>).
uint64_t CountAnnotations(const std::string& data) {
  return CountLines(data, 0, data.size(), '#');
}

// The files one server leaves in appendonlydir/, and what they hold.
struct Log {
  std::string dir;   // the Redis dir (holds appendonlydir/)
  std::string base;  // base file name
  std::string incr;  // incr file name
  uint64_t base_keys = 0;
};

// Writes, rewrites, writes again, stops; copies the Redis dir to `into`.
Result<Log> MakeLog(bool rdb_preamble, const std::string& into) {
  RedisServerOptions options;
  options.config = {{"appendonly", "yes"},
                    {"aof-use-rdb-preamble", rdb_preamble ? "yes" : "no"},
                    {"aof-timestamp-enabled", "yes"}};
  SK_ASSIGN_OR_RETURN(std::unique_ptr<RedisServer> server, RedisServer::Start(options));
  RedisServer& s = *server;
  for (int i = 0; i < 150; ++i) {
    const std::string n = std::to_string(i);
    SK_RETURN_IF_ERROR(s.CommandOk({"SET", "base:" + n, "v" + n}).status());
    SK_RETURN_IF_ERROR(s.CommandOk({"HSET", "hash:" + n, "f", n, "g", "x"}).status());
  }
  SK_RETURN_IF_ERROR(s.CommandOk({"RPUSH", "list", "a", "b", "c"}).status());
  SK_RETURN_IF_ERROR(s.CommandOk({"XADD", "stream", "1-1", "f", "v"}).status());
  SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", "3"}).status());
  SK_RETURN_IF_ERROR(s.CommandOk({"SET", "db3key", "x", "EX", "1000"}).status());
  SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", "0"}).status());
  SK_RETURN_IF_ERROR(s.BgRewriteAof());
  Log log;
  log.base_keys = 150 * 2 + 3;
  for (int i = 0; i < 400; ++i) {
    const std::string n = std::to_string(i);
    if (i % 20 == 0) {
      SK_RETURN_IF_ERROR(s.CommandOk({"MULTI"}).status());
      SK_RETURN_IF_ERROR(s.Command({"INCR", "counter"}).status());
      SK_RETURN_IF_ERROR(s.Command({"SET", "tx:" + n, "t"}).status());
      SK_RETURN_IF_ERROR(s.CommandOk({"EXEC"}).status());
    } else if (i % 50 == 7) {
      SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", std::to_string(i % 16)}).status());
      SK_RETURN_IF_ERROR(s.CommandOk({"SET", "in-db", n}).status());
      SK_RETURN_IF_ERROR(s.CommandOk({"SELECT", "0"}).status());
    } else {
      SK_RETURN_IF_ERROR(s.CommandOk({"SET", "incr:" + n, "value-" + n, "PX", "900000"}).status());
      SK_RETURN_IF_ERROR(s.CommandOk({"ZADD", "z", n, "m" + n}).status());
    }
  }
  SK_RETURN_IF_ERROR(s.CommandOk({"DEL", "base:1", "base:2"}).status());
  SK_RETURN_IF_ERROR(s.Shutdown(/*save=*/false));
  std::error_code ec;
  fs::copy(s.dir() + "/appendonlydir", into + "/appendonlydir", fs::copy_options::recursive, ec);
  if (ec) return Status::IoError("copy appendonlydir: " + ec.message());
  log.dir = into;
  for (const auto& e : fs::directory_iterator(into + "/appendonlydir")) {
    const std::string name = e.path().filename().string();
    if (name.find(".base.") != std::string::npos) log.base = name;
    if (name.find(".incr.") != std::string::npos) log.incr = name;
  }
  if (log.base.empty() || log.incr.empty()) return Status::Corruption("no base/incr in " + into);
  return log;
}

class VerifyAofCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindRedisBinary("redis-server").empty()) return;
    tmp_ = new TempDir("verify-aof");
    fs::create_directories(tmp_->File("preamble"));
    fs::create_directories(tmp_->File("resp"));
    auto a = MakeLog(true, tmp_->File("preamble"));
    auto b = MakeLog(false, tmp_->File("resp"));
    if (!a.ok() || !b.ok()) {
      setup_error_ = new std::string(a.status().ToString() + " / " + b.status().ToString());
      return;
    }
    preamble_ = new Log(*a);
    resp_ = new Log(*b);
  }
  static void TearDownTestSuite() {
    delete preamble_;
    delete resp_;
    delete tmp_;
    delete setup_error_;
    preamble_ = resp_ = nullptr;
    tmp_ = nullptr;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    SHARDKIT_REQUIRE_REDIS_SERVER();
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }

  static std::string AofDir(const Log& log) { return log.dir + "/appendonlydir"; }
  static std::string FileOf(const Log& log, const std::string& name) {
    return AofDir(log) + "/" + name;
  }
  // A copy of the log's appendonlydir under a fresh name.
  static std::string CopyDir(const Log& log, const std::string& name) {
    const std::string to = tmp_->File(name);
    fs::remove_all(to);
    fs::copy(AofDir(log), to, fs::copy_options::recursive);
    return to;
  }
  static std::string Manifest(const std::string& dir) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".manifest") return e.path().string();
    }
    return "";
  }

  static inline TempDir* tmp_ = nullptr;
  static inline Log* preamble_ = nullptr;
  static inline Log* resp_ = nullptr;
  static inline std::string* setup_error_ = nullptr;
};

// ok_up_to=<n> from redis-check-aof's report, or -1 if it says valid.
int64_t RedisCheckAofOkUpTo(const std::string& path, std::string* output) {
  auto run = RunProcess({FindRedisBinary("redis-check-aof"), path});
  if (!run.ok()) return -2;
  *output = run->output;
  if (run->exit_code == 0) return -1;
  size_t at = run->output.find("ok_up_to=");
  if (at == std::string::npos) return -2;
  return std::stoll(run->output.substr(at + 9));
}

TEST_F(VerifyAofCliTest, EveryFormOfASoundLogVerifiesInOneParallelRun) {
  const std::string incr = ReadFileOrDie(FileOf(*preamble_, preamble_->incr));
  const std::string base = ReadFileOrDie(FileOf(*preamble_, preamble_->base));
  ASSERT_EQ(base.substr(0, 5), "REDIS");
  const std::string legacy = tmp_->File("legacy.aof");
  const std::string with_preamble = tmp_->File("with-preamble.aof");
  WriteFileOrDie(legacy, incr);
  WriteFileOrDie(with_preamble, base + incr);
  const uint64_t incr_commands = CountArrays(incr, 0, incr.size());
  ASSERT_GT(incr_commands, 400u);

  struct Case {
    std::string path, format;
    uint64_t commands, rdb_keys;
    size_t files;
    uint64_t annotations;
  };
  const std::string resp_incr = ReadFileOrDie(FileOf(*resp_, resp_->incr));
  const std::string resp_base = ReadFileOrDie(FileOf(*resp_, resp_->base));
  const uint64_t resp_commands = CountArrays(resp_incr, 0, resp_incr.size()) +
                                 CountArrays(resp_base, 0, resp_base.size());
  const uint64_t incr_ts = CountAnnotations(incr);
  const std::vector<Case> cases = {
      {AofDir(*preamble_), "aof-multi-part", incr_commands, preamble_->base_keys, 2, incr_ts},
      {preamble_->dir, "aof-multi-part", incr_commands, preamble_->base_keys, 2, incr_ts},
      {Manifest(AofDir(*preamble_)), "aof-multi-part", incr_commands, preamble_->base_keys, 2,
       incr_ts},
      {legacy, "aof", incr_commands, 0, 1, incr_ts},
      {with_preamble, "aof", incr_commands, preamble_->base_keys, 1, incr_ts},
      {FileOf(*preamble_, preamble_->base), "rdb", 0, preamble_->base_keys, 0, 0},
      {AofDir(*resp_), "aof-multi-part", resp_commands, 0, 2,
       CountAnnotations(resp_incr) + CountAnnotations(resp_base)},
  };
  std::vector<std::string> args = {"verify", "--json", "--deep"};
  for (const Case& c : cases) args.push_back(c.path);
  CliRun run = RunShardkit(args);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].path);
    const auto& j = lines[i];
    EXPECT_EQ(j["path"], cases[i].path);
    EXPECT_EQ(j["ok"], true) << j.dump();
    EXPECT_EQ(j["format"], cases[i].format);
    EXPECT_EQ(j["keys"], cases[i].rdb_keys);
    if (cases[i].format == "rdb") {
      EXPECT_TRUE(j["aof"].is_null());
      EXPECT_EQ(j["crc"], "ok");
      continue;
    }
    EXPECT_EQ(j["aof"]["commands"], cases[i].commands);
    EXPECT_EQ(j["aof"]["files"].size(), cases[i].files);
    EXPECT_EQ(j["aof"]["truncated_tail"], false);
    EXPECT_TRUE(j["aof"]["cut"].is_null());
    EXPECT_GE(j["aof"]["transactions"].get<uint64_t>(), 20u);
    EXPECT_EQ(j["aof"]["annotations"], cases[i].annotations);  // #TS lines
  }
  // redis-check-aof agrees that each AOF form is valid.
  for (const std::string& p : {Manifest(AofDir(*preamble_)), legacy, with_preamble}) {
    std::string out;
    EXPECT_EQ(RedisCheckAofOkUpTo(p, &out), -1) << p << ": " << out;
  }
  // The text form names the format and the counts.
  CliRun text = RunShardkit({"verify", AofDir(*preamble_)});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.err.find("OK " + AofDir(*preamble_) + " (AOF multi-part, 2 files, RDB part of " +
                          preamble_->base + " with " + std::to_string(preamble_->base_keys) +
                          " keys, " + std::to_string(incr_commands) + " commands"),
            std::string::npos)
      << text.err;
}

// Cuts of a legacy AOF at many offsets (and inside a MULTI block): the
// reported cut point is redis-check-aof's ok_up_to, with the commands before
// it, and the exit code is 1 (0 when the cut falls between commands).
TEST_F(VerifyAofCliTest, TornTailsReportTheOffsetAndCommandsBeforeIt) {
  const std::string incr = ReadFileOrDie(FileOf(*preamble_, preamble_->incr));
  std::vector<size_t> cuts;
  for (size_t k = 1; k < 12; ++k) cuts.push_back(incr.size() * k / 12 + k);
  const size_t multi = incr.find("MULTI");
  ASSERT_NE(multi, std::string::npos);
  cuts.push_back(multi + 30);  // inside the transaction
  std::vector<std::string> args = {"verify", "--json"};
  for (size_t cut : cuts) {
    args.push_back(tmp_->File("cut-" + std::to_string(cut) + ".aof"));
    WriteFileOrDie(args.back(), incr.substr(0, cut));
  }
  CliRun run = RunShardkit(args);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), cuts.size());
  int torn = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    SCOPED_TRACE("cut at " + std::to_string(cuts[i]));
    std::string check_output;
    const int64_t ok_up_to = RedisCheckAofOkUpTo(args[i + 2], &check_output);
    ASSERT_NE(ok_up_to, -2) << check_output;
    const auto& j = lines[i];
    if (ok_up_to == -1) {
      EXPECT_EQ(j["ok"], true) << j.dump();
      continue;
    }
    ++torn;
    ASSERT_EQ(j["ok"], false);
    EXPECT_EQ(j["error"]["code"], "Corruption");
    EXPECT_EQ(j["error"]["offset"], ok_up_to) << check_output;
    EXPECT_EQ(j["error"]["file"], args[i + 2]);
    EXPECT_EQ(j["aof"]["truncated_tail"], true);
    EXPECT_EQ(j["aof"]["cut"]["offset"], ok_up_to);
    EXPECT_EQ(j["aof"]["cut"]["commands_before"],
              CountArrays(incr, 0, static_cast<size_t>(ok_up_to)));
    EXPECT_EQ(j["aof"]["cut"]["allowed"], true);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(
                  std::to_string(CountArrays(incr, 0, static_cast<size_t>(ok_up_to))) +
                  " commands before it"),
              std::string::npos)
        << j["error"]["message"];
  }
  EXPECT_GE(torn, 10);
  EXPECT_EQ(lines.back()["aof"]["cut"]["offset"], incr.rfind("*1\r\n$5\r\nMULTI", multi));
}

// Garbage in the middle of a file is damage, not a torn tail; in a
// multi-part log only the last file may be cut, and a damaged RDB base is
// reported as an RDB error in that file.
TEST_F(VerifyAofCliTest, DamageInTheMiddleAndInTheBaseIsReportedInItsFile) {
  const std::string incr = ReadFileOrDie(FileOf(*preamble_, preamble_->incr));
  std::string garbled = incr;
  const size_t at = incr.find("\r\n*", incr.size() / 2) + 2;
  garbled[at] = 'x';
  const std::string garbled_path = tmp_->File("garbled.aof");
  WriteFileOrDie(garbled_path, garbled);

  const std::string cut_dir = CopyDir(*preamble_, "cut-incr");
  WriteFileOrDie(cut_dir + "/" + preamble_->incr, incr.substr(0, incr.size() - 5));
  const std::string bad_base_dir = CopyDir(*preamble_, "bad-base");
  std::string base = ReadFileOrDie(FileOf(*preamble_, preamble_->base));
  base[base.size() / 2] ^= 0x5a;
  WriteFileOrDie(bad_base_dir + "/" + preamble_->base, base);

  CliRun run = RunShardkit({"verify", "--json", garbled_path, cut_dir, bad_base_dir});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 3u);
  std::string check_output;
  EXPECT_EQ(lines[0]["error"]["offset"], RedisCheckAofOkUpTo(garbled_path, &check_output))
      << check_output;
  EXPECT_EQ(lines[0]["error"]["offset"], at);
  EXPECT_EQ(lines[0]["aof"]["truncated_tail"], false);
  EXPECT_EQ(lines[0]["aof"]["cut"]["commands_before"], CountArrays(incr, 0, at));

  EXPECT_EQ(lines[1]["error"]["file"], preamble_->incr);
  EXPECT_EQ(lines[1]["aof"]["cut"]["allowed"], true);
  EXPECT_EQ(lines[1]["aof"]["cut"]["reason"], "torn tail");
  EXPECT_LT(lines[1]["aof"]["cut"]["offset"].get<uint64_t>(), incr.size() - 5);

  EXPECT_EQ(lines[2]["error"]["file"], preamble_->base);
  EXPECT_EQ(lines[2]["aof"]["cut"]["allowed"], false);
  const std::string message = lines[2]["error"]["message"];
  EXPECT_NE(message.find(preamble_->base), std::string::npos) << message;
  EXPECT_NE(message.find("offset 0x"), std::string::npos) << message;
  EXPECT_FALSE(lines[2]["error"]["offset"].is_null());
  EXPECT_LT(lines[2]["error"]["offset"].get<uint64_t>(), base.size());
}

TEST_F(VerifyAofCliTest, ManifestProblemsAreClearErrorsAndNothingOutsideIsRead) {
  const std::string manifest_name = fs::path(Manifest(AofDir(*preamble_))).filename().string();
  const std::string original = ReadFileOrDie(Manifest(AofDir(*preamble_)));
  auto with_manifest = [&](const std::string& name, const std::string& text) {
    const std::string dir = CopyDir(*preamble_, name);
    WriteFileOrDie(dir + "/" + manifest_name, text);
    return dir;
  };
  const std::string missing = CopyDir(*preamble_, "missing-incr");
  fs::remove(missing + "/" + preamble_->incr);
  const std::string two_bases =
      with_manifest("two-bases", original + "file other.base.rdb seq 9 type b\n");
  // A name leaving the directory, pointing at a sound AOF: reading it would
  // make the log look fine.
  WriteFileOrDie(tmp_->File("escape.aof"), ReadFileOrDie(FileOf(*preamble_, preamble_->incr)));
  std::string escaping = original;
  escaping.replace(escaping.find(preamble_->incr), preamble_->incr.size(), "../escape.aof");
  const std::string escape = with_manifest("escape", escaping);
  const std::string unbalanced = with_manifest("quotes", "file \"broken seq 1 type b\n");
  // An unknown key is ignored (Redis does; newer Redis versions add keys)
  // but reported as a warning.
  std::string extra_key = original;
  extra_key.insert(extra_key.find('\n'), " colour blue");
  const std::string unknown_key = with_manifest("unknown-key", extra_key);
  CliRun warned = RunShardkit({"verify", unknown_key});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("line 1: unknown key \"colour\" ignored (as Redis does)"),
            std::string::npos)
      << warned.err;
  CliRun warned_json = RunShardkit({"verify", "--json", unknown_key});
  auto warned_lines = JsonLines(warned_json.out);
  ASSERT_EQ(warned_lines.size(), 1u);
  ASSERT_EQ(warned_lines[0]["warnings"].size(), 1u) << warned_json.out;

  CliRun run = RunShardkit({"verify", "--json", missing, two_bases, escape, unbalanced});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 4u);
  const char* expected[] = {"No such file", "duplicate base file", "can't be a path",
                            "unbalanced double quotes"};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(lines[i]["path"].get<std::string>());
    EXPECT_EQ(lines[i]["ok"], false);
    EXPECT_EQ(lines[i]["error"]["code"], "Corruption");
    const std::string message = lines[i]["error"]["message"];
    EXPECT_NE(message.find(expected[i]), std::string::npos) << message;
  }
  EXPECT_NE(lines[0]["error"]["message"].get<std::string>().find("names " + preamble_->incr),
            std::string::npos);

  // A directory without (or with two) manifests is a usage error.
  TempDir empty("no-manifest");
  const std::string two = CopyDir(*preamble_, "two-manifests");
  WriteFileOrDie(two + "/other.manifest", original);
  CliRun usage = RunShardkit({"verify", empty.path()});
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("exactly one *.manifest, found 0"), std::string::npos) << usage.err;
  EXPECT_EQ(RunShardkit({"verify", two}).exit_code, 2);
}

// A command shardkit does not know is named, never skipped; an empty AOF is
// sound; an empty file of another name is neither format.
TEST_F(VerifyAofCliTest, UnknownCommandsEmptyFilesAndExitCodePrecedence) {
  const std::string unknown = tmp_->File("unknown.aof");
  WriteFileOrDie(unknown, "*2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$9\r\nFROBNICAT\r\n$1\r\nb\r\n");
  const std::string empty_aof = tmp_->File("empty.aof");
  const std::string empty_rdb = tmp_->File("empty.rdb");
  WriteFileOrDie(empty_aof, "");
  WriteFileOrDie(empty_rdb, "");
  CliRun run = RunShardkit({"verify", "--json", unknown, empty_aof});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  auto lines = JsonLines(run.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["error"]["code"], "NotSupported");
  EXPECT_NE(lines[0]["error"]["message"].get<std::string>().find("'FROBNICAT'"),
            std::string::npos)
      << lines[0]["error"]["message"];
  EXPECT_EQ(lines[0]["error"]["offset"], 20);
  EXPECT_EQ(lines[1]["ok"], true);
  EXPECT_EQ(lines[1]["aof"]["commands"], 0);
  // Corrupt beats unsupported; an I/O error beats both.
  EXPECT_EQ(RunShardkit({"verify", unknown, empty_rdb}).exit_code, 1);
  EXPECT_EQ(RunShardkit({"verify", unknown, empty_rdb, tmp_->File("absent")}).exit_code, 2);
}

}  // namespace
}  // namespace shardkit::testing
