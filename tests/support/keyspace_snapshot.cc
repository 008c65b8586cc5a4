#include "tests/support/keyspace_snapshot.h"

#include <cstdlib>

namespace shardkit::testing {
namespace {

constexpr const char* kScanCount = "1000";
// Bound on SCAN rounds per db: far above what any test dataset needs.
constexpr int kMaxScanRounds = 1'000'000;

Status ExpectOk(const RedisReply& r, const std::string& what) {
  if (r.is_error()) return Status::InvalidArgument(what + ": " + r.str);
  return Status::Ok();
}

// Fetches type, digest and expiry of `keys` with one pipelined round trip.
Status CaptureKeys(RedisClient& client, const std::vector<std::string>& keys,
                   std::map<std::string, KeyState>& out) {
  for (const std::string& key : keys) {
    SK_RETURN_IF_ERROR(client.Append({"TYPE", key}));
    SK_RETURN_IF_ERROR(client.Append({"DEBUG", "DIGEST-VALUE", key}));
    SK_RETURN_IF_ERROR(client.Append({"PEXPIRETIME", key}));
  }
  for (const std::string& key : keys) {
    SK_ASSIGN_OR_RETURN(RedisReply type, client.GetReply());
    SK_ASSIGN_OR_RETURN(RedisReply digest, client.GetReply());
    SK_ASSIGN_OR_RETURN(RedisReply expire, client.GetReply());
    const std::string name = "key " + PrintableKey(key);
    SK_RETURN_IF_ERROR(ExpectOk(type, "TYPE " + name));
    SK_RETURN_IF_ERROR(ExpectOk(digest, "DEBUG DIGEST-VALUE " + name));
    SK_RETURN_IF_ERROR(ExpectOk(expire, "PEXPIRETIME " + name));
    KeyState state;
    state.type = type.str;
    // 7.0 answers DIGEST-VALUE with an array of one digest per key.
    if (digest.kind == RedisReply::Kind::kArray && digest.elements.size() == 1) {
      state.digest = digest.elements[0].str;
    } else {
      state.digest = digest.str;
    }
    state.pexpiretime_ms = expire.integer;
    out[key] = std::move(state);
  }
  for (const std::string& key : keys) {
    KeyState& state = out[key];
    if (state.type != "stream") continue;
    SK_ASSIGN_OR_RETURN(RedisReply info, client.Command({"XINFO", "STREAM", key, "FULL"}));
    SK_RETURN_IF_ERROR(ExpectOk(info, "XINFO STREAM FULL key " + PrintableKey(key)));
    state.stream_info = info.ToString();
  }
  return Status::Ok();
}

Status CaptureDb(RedisClient& client, int db, bool select, KeyspaceSnapshot& snap) {
  if (select) {
    SK_ASSIGN_OR_RETURN(RedisReply sel, client.Command({"SELECT", std::to_string(db)}));
    SK_RETURN_IF_ERROR(ExpectOk(sel, "SELECT " + std::to_string(db)));
  }
  SK_ASSIGN_OR_RETURN(RedisReply size, client.Command({"DBSIZE"}));
  SK_RETURN_IF_ERROR(ExpectOk(size, "DBSIZE"));
  if (size.integer == 0) return Status::Ok();
  snap.dbsize[db] = size.integer;
  std::map<std::string, KeyState>& keys = snap.dbs[db];
  std::string cursor = "0";
  for (int round = 0; round < kMaxScanRounds; ++round) {
    SK_ASSIGN_OR_RETURN(RedisReply scan, client.Command({"SCAN", cursor, "COUNT", kScanCount}));
    SK_RETURN_IF_ERROR(ExpectOk(scan, "SCAN"));
    if (scan.kind != RedisReply::Kind::kArray || scan.elements.size() != 2) {
      return Status::InvalidArgument("SCAN replied " + scan.ToString());
    }
    std::vector<std::string> batch;
    batch.reserve(scan.elements[1].elements.size());
    for (const RedisReply& k : scan.elements[1].elements) batch.push_back(k.str);
    SK_RETURN_IF_ERROR(CaptureKeys(client, batch, keys));
    cursor = scan.elements[0].str;
    if (cursor == "0") return Status::Ok();
  }
  return Status::InvalidArgument("SCAN of db " + std::to_string(db) + " did not finish");
}

}  // namespace

std::string PrintableKey(const std::string& key) {
  std::string out = "\"";
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out + "\"";
}

Result<KeyspaceSnapshot> KeyspaceSnapshot::Capture(RedisClient& client, int databases) {
  KeyspaceSnapshot snap;
  // Cluster mode has only db 0 and refuses SELECT: databases == 1 skips it.
  const bool select = databases > 1;
  for (int db = 0; db < databases; ++db) SK_RETURN_IF_ERROR(CaptureDb(client, db, select, snap));
  if (select) {
    SK_ASSIGN_OR_RETURN(RedisReply sel, client.Command({"SELECT", "0"}));
    SK_RETURN_IF_ERROR(ExpectOk(sel, "SELECT 0"));
  }
  SK_ASSIGN_OR_RETURN(RedisReply functions, client.Command({"FUNCTION", "LIST", "WITHCODE"}));
  SK_RETURN_IF_ERROR(ExpectOk(functions, "FUNCTION LIST"));
  // Libraries and functions come in hash-table order; keep name and code,
  // sorted by name (the code defines the functions and their flags).
  std::map<std::string, std::string> libraries;
  for (const RedisReply& library : functions.elements) {
    std::string name, code;
    for (size_t i = 0; i + 1 < library.elements.size(); i += 2) {
      if (library.elements[i].str == "library_name") name = library.elements[i + 1].str;
      if (library.elements[i].str == "library_code") code = library.elements[i + 1].str;
    }
    libraries[name] = code;
  }
  for (const auto& [name, code] : libraries) snap.functions += name + "\n" + code + "\n";
  return snap;
}

size_t KeyspaceSnapshot::KeyCount() const {
  size_t n = 0;
  for (const auto& [db, keys] : dbs) n += keys.size();
  return n;
}

std::string KeyspaceSnapshot::Diff(const KeyspaceSnapshot& other, size_t max_differences,
                                   bool compare_stream_info) const {
  std::vector<std::string> lines;
  auto add = [&](std::string line) { lines.push_back(std::move(line)); };
  for (int db = 0; db < kDatabases; ++db) {
    auto a_size = dbsize.find(db);
    auto b_size = other.dbsize.find(db);
    int64_t a_n = a_size == dbsize.end() ? 0 : a_size->second;
    int64_t b_n = b_size == other.dbsize.end() ? 0 : b_size->second;
    if (a_n != b_n) {
      add("db " + std::to_string(db) + ": DBSIZE " + std::to_string(a_n) + " expected, " +
          std::to_string(b_n) + " found");
    }
    static const std::map<std::string, KeyState> kEmpty;
    auto a_it = dbs.find(db);
    auto b_it = other.dbs.find(db);
    const auto& a = a_it == dbs.end() ? kEmpty : a_it->second;
    const auto& b = b_it == other.dbs.end() ? kEmpty : b_it->second;
    for (const auto& [key, want] : a) {
      std::string where = "db " + std::to_string(db) + " key " + PrintableKey(key);
      auto found = b.find(key);
      if (found == b.end()) {
        add(where + ": missing");
        continue;
      }
      const KeyState& got = found->second;
      if (want.type != got.type) add(where + ": type " + want.type + " expected, " + got.type);
      if (want.digest != got.digest) add(where + ": digest " + want.digest + " expected, " +
                                         got.digest);
      if (compare_stream_info && want.stream_info != got.stream_info) {
        // Show both around the first differing byte: the dumps are long.
        size_t at = 0;
        while (at < want.stream_info.size() && at < got.stream_info.size() &&
               want.stream_info[at] == got.stream_info[at]) {
          ++at;
        }
        const size_t from = at > 200 ? at - 200 : 0;
        add(where + ": stream groups/metadata differ at byte " + std::to_string(at) +
            ": expected ..." + want.stream_info.substr(from, 400) + " found ..." +
            got.stream_info.substr(from, 400));
      }
      if (want.pexpiretime_ms != got.pexpiretime_ms) {
        add(where + ": pexpiretime " + std::to_string(want.pexpiretime_ms) + " expected, " +
            std::to_string(got.pexpiretime_ms));
      }
    }
    for (const auto& [key, got] : b) {
      if (a.find(key) == a.end()) {
        add("db " + std::to_string(db) + " key " + PrintableKey(key) + ": extra (" + got.type +
            ")");
      }
    }
  }
  if (functions != other.functions) {
    add("functions differ: expected " + functions.substr(0, 200) + " found " +
        other.functions.substr(0, 200));
  }
  std::string out;
  for (size_t i = 0; i < lines.size() && i < max_differences; ++i) out += lines[i] + "\n";
  if (lines.size() > max_differences) {
    out += "... and " + std::to_string(lines.size() - max_differences) + " more differences\n";
  }
  return out;
}

}  // namespace shardkit::testing
