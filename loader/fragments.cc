#include "loader/fragments.h"

#include <dirent.h>
#include <sys/stat.h>

#include <charconv>
#include <cstring>
#include <set>

#include "base/hex.h"
#include "formats/encodings/crc64.h"
#include "storage/small_file.h"

namespace shardkit::loader {

namespace {

constexpr std::string_view kManifestHeader = "shardkit-fragments 1\n";

void AppendU64(uint64_t v, std::string* out) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}

void AppendU32(uint32_t v, std::string* out) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}

// Reads fixed-width little-endian fields from a byte string, failing (not
// reading past the end) on a short one.
class FieldReader {
 public:
  FieldReader(std::string_view bytes, std::string_view path) : bytes_(bytes), path_(path) {}
  bool done() const { return pos_ == bytes_.size(); }
  Result<uint64_t> U64() {
    SK_RETURN_IF_ERROR(Need(8));
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += 8;
    return v;
  }
  Result<uint32_t> U32() {
    SK_RETURN_IF_ERROR(Need(4));
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  Result<std::string> Bytes(uint64_t n) {
    SK_RETURN_IF_ERROR(Need(n));
    std::string out(bytes_.substr(pos_, n));
    pos_ += n;
    return out;
  }

 private:
  Status Need(uint64_t n) const {
    if (n > bytes_.size() - pos_) {
      return Status::Corruption(std::string(path_) + ": offset " + std::to_string(pos_) +
                                ": truncated record (needs " + std::to_string(n) + " bytes, " +
                                std::to_string(bytes_.size() - pos_) + " left)");
    }
    return Status();
  }
  std::string_view bytes_;
  std::string_view path_;
  size_t pos_ = 0;
};

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    if (sp > pos) out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

}  // namespace

std::string FragmentDirName(int source_index) { return "source-" + std::to_string(source_index); }

std::string FormatFragmentManifest(const FragmentManifest& m) {
  std::string out(kManifestHeader);
  out += "plan " + m.plan_fingerprint + "\n";
  out += "source " + std::to_string(m.source) + "\n";
  out += "rdb-version " + std::to_string(m.rdb_version) + "\n";
  out += "counts bytes-read " + std::to_string(m.bytes_read) + " keys-read " +
         std::to_string(m.keys_read) + " expired-dropped " + std::to_string(m.expired_dropped) +
         " other-db-dropped " + std::to_string(m.other_db_dropped) + " other-db-moved " +
         std::to_string(m.other_db_moved) + " commands-read " + std::to_string(m.commands_read) +
         " commands-flushed " + std::to_string(m.commands_flushed) + " functions " +
         std::to_string(m.functions) + "\n";
  for (const auto& [index, n] : m.nodes) {
    out += "node " + std::to_string(index) + " keys " + std::to_string(n.keys) + " pieces " +
           std::to_string(n.values_in_pieces) + " commands " + std::to_string(n.commands) +
           " standard-policy-differs " + std::to_string(n.standard_policy_differs) +
           " commands-non-owner " + std::to_string(n.commands_non_owner) + " rdb-first-db " +
           std::to_string(n.rdb_first_db) + " rdb-last-db " + std::to_string(n.rdb_last_db) +
           " incr-first-db " + std::to_string(n.incr_first_db) + " incr-last-db " +
           std::to_string(n.incr_last_db) + " held " + std::to_string(n.held) + " owned " +
           std::to_string(n.owned) + "\n";
    for (const ExpiryBucket& b : n.expiring) {
      out += "expiry " + std::to_string(index) + " " + std::to_string(b.start_ms) + " " +
             std::to_string(b.end_ms) + " " + std::to_string(b.keys) + "\n";
    }
  }
  // Last, so that a path with spaces or any byte but a newline survives.
  out += "path " + m.source_path + "\n";
  return out;
}

Result<FragmentManifest> ParseFragmentManifest(std::string_view text, std::string_view path) {
  FragmentManifest m;
  auto bad = [&](const std::string& what) {
    return Status::Corruption(std::string(path) + ": " + what);
  };
  if (text.substr(0, kManifestHeader.size()) != kManifestHeader) {
    return bad("not a shardkit fragment manifest (expected \"shardkit-fragments 1\")");
  }
  size_t pos = kManifestHeader.size();
  while (pos < text.size()) {
    const size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) return bad("truncated manifest");
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.substr(0, 5) == "path ") {
      m.source_path = std::string(line.substr(5));
      continue;
    }
    const std::vector<std::string_view> w = Words(line);
    if (w.empty()) continue;
    const std::string_view tag = w[0];
    auto pairs = [&](size_t from, auto&& set) -> Status {
      if ((w.size() - from) % 2 != 0) return bad("odd field list in \"" + std::string(line) + "\"");
      for (size_t i = from; i + 1 < w.size(); i += 2) {
        if (!set(w[i], w[i + 1])) {
          return bad("bad field " + std::string(w[i]) + " " + std::string(w[i + 1]));
        }
      }
      return Status();
    };
    if (tag == "plan" && w.size() == 2) {
      m.plan_fingerprint = std::string(w[1]);
    } else if (tag == "source" && w.size() == 2) {
      if (!ParseNumber(w[1], &m.source)) return bad("bad source index");
    } else if (tag == "rdb-version" && w.size() == 2) {
      if (!ParseNumber(w[1], &m.rdb_version)) return bad("bad rdb-version");
    } else if (tag == "counts") {
      SK_RETURN_IF_ERROR(pairs(1, [&](std::string_view k, std::string_view v) {
        uint64_t* f = k == "bytes-read"         ? &m.bytes_read
                      : k == "keys-read"        ? &m.keys_read
                      : k == "expired-dropped"  ? &m.expired_dropped
                      : k == "other-db-dropped" ? &m.other_db_dropped
                      : k == "other-db-moved"   ? &m.other_db_moved
                      : k == "commands-read"    ? &m.commands_read
                      : k == "commands-flushed" ? &m.commands_flushed
                      : k == "functions"        ? &m.functions
                                                : nullptr;
        return f != nullptr && ParseNumber(v, f);
      }));
    } else if (tag == "node" && w.size() >= 2) {
      int index = -1;
      if (!ParseNumber(w[1], &index) || index < 0) return bad("bad node index");
      NodeFragment& n = m.nodes[index];
      n.node = index;
      SK_RETURN_IF_ERROR(pairs(2, [&](std::string_view k, std::string_view v) {
        uint64_t* u = k == "keys"                      ? &n.keys
                      : k == "pieces"                  ? &n.values_in_pieces
                      : k == "commands"                ? &n.commands
                      : k == "standard-policy-differs" ? &n.standard_policy_differs
                      : k == "commands-non-owner"      ? &n.commands_non_owner
                      : k == "held"                    ? &n.held
                      : k == "owned"                   ? &n.owned
                                                       : nullptr;
        if (u != nullptr) return ParseNumber(v, u);
        int64_t* s = k == "rdb-first-db"    ? &n.rdb_first_db
                     : k == "rdb-last-db"   ? &n.rdb_last_db
                     : k == "incr-first-db" ? &n.incr_first_db
                     : k == "incr-last-db"  ? &n.incr_last_db
                                            : nullptr;
        return s != nullptr && ParseNumber(v, s);
      }));
    } else if (tag == "expiry" && w.size() == 5) {
      int index = -1;
      ExpiryBucket b;
      if (!ParseNumber(w[1], &index) || !ParseNumber(w[2], &b.start_ms) ||
          !ParseNumber(w[3], &b.end_ms) || !ParseNumber(w[4], &b.keys)) {
        return bad("bad expiry line \"" + std::string(line) + "\"");
      }
      auto it = m.nodes.find(index);
      if (it == m.nodes.end()) return bad("expiry line for unknown node " + std::to_string(index));
      it->second.expiring.push_back(b);
    } else {
      return bad("unknown line \"" + std::string(line.substr(0, 80)) + "\"");
    }
  }
  if (m.plan_fingerprint.empty() || m.source < 0) return bad("no plan or source line");
  return m;
}

void AppendOwnedKey(uint64_t db, std::string_view key, std::string* out) {
  AppendU64(db, out);
  AppendU32(static_cast<uint32_t>(key.size()), out);
  out->append(key);
}

void AppendHeldRecord(const HeldRecord& r, std::string* out) {
  AppendU64(r.db, out);
  out->push_back(r.expire_ms ? '\1' : '\0');
  AppendU64(static_cast<uint64_t>(r.expire_ms.value_or(0)), out);
  AppendU64(r.offset, out);
  AppendU64(r.length, out);
  AppendU32(static_cast<uint32_t>(r.key.size()), out);
  out->append(r.key);
}

Result<std::vector<HeldRecord>> ParseOwnedKeys(std::string_view bytes, std::string_view path) {
  std::vector<HeldRecord> out;
  FieldReader in(bytes, path);
  while (!in.done()) {
    HeldRecord r;
    SK_ASSIGN_OR_RETURN(r.db, in.U64());
    SK_ASSIGN_OR_RETURN(uint32_t n, in.U32());
    SK_ASSIGN_OR_RETURN(r.key, in.Bytes(n));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<HeldRecord>> ParseHeldIndex(std::string_view bytes, std::string_view path) {
  std::vector<HeldRecord> out;
  FieldReader in(bytes, path);
  while (!in.done()) {
    HeldRecord r;
    SK_ASSIGN_OR_RETURN(r.db, in.U64());
    SK_ASSIGN_OR_RETURN(std::string flag, in.Bytes(1));
    SK_ASSIGN_OR_RETURN(uint64_t expire, in.U64());
    if (flag[0] != '\0') r.expire_ms = static_cast<int64_t>(expire);
    SK_ASSIGN_OR_RETURN(r.offset, in.U64());
    SK_ASSIGN_OR_RETURN(r.length, in.U64());
    SK_ASSIGN_OR_RETURN(uint32_t n, in.U32());
    SK_ASSIGN_OR_RETURN(r.key, in.Bytes(n));
    out.push_back(std::move(r));
  }
  return out;
}

Result<FragmentSet> OpenFragmentSet(const std::string& root, const RecoveryPlan& plan) {
  FragmentSet set;
  set.root = root;
  const int count = static_cast<int>(plan.sources.size());
  // Nothing named source-* but the plan's sources' directories.
  DIR* d = opendir(root.c_str());
  if (d == nullptr) return Status::FromErrno(errno, "open fragments directory", root);
  std::set<std::string> expected;
  for (int i = 0; i < count; ++i) expected.insert(FragmentDirName(i));
  std::string extra;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("source-", 0) == 0 && !expected.count(name)) extra = name;
  }
  closedir(d);
  if (!extra.empty()) {
    return Status::InvalidArgument(root + "/" + extra + ": not a fragment directory of this plan (" +
                                   std::to_string(count) + " sources: source-0 to source-" +
                                   std::to_string(count - 1) + "); remove it or use another "
                                   "--from-fragments directory");
  }
  for (int i = 0; i < count; ++i) {
    SourceFragments s;
    s.dir = root + "/" + FragmentDirName(i);
    const PlanSource& source = plan.sources[static_cast<size_t>(i)];
    struct stat st;
    if (lstat(s.dir.c_str(), &st) != 0) {
      return Status::InvalidArgument(s.dir + ": missing: the fragments of source " +
                                      std::to_string(i) + " (" + source.path +
                                      ") were not written; run `shardkit recover --plan PLAN "
                                      "--source " + std::to_string(i) + " --fragments " + root +
                                      "` where that volume is attached");
    }
    const std::string marker_path = s.dir + "/" + kMarkerName;
    auto marker_text = storage::ReadSmallFile(marker_path, 16 << 20);
    if (!marker_text.ok()) {
      return Status::InvalidArgument(s.dir + ": no complete marker (" +
                                     marker_text.status().ToString() +
                                     "): not written by `recover --source`, or unfinished");
    }
    SK_ASSIGN_OR_RETURN(NodeMarker marker, ParseMarker(*marker_text, marker_path));
    if (marker.plan_fingerprint != plan.fingerprint) {
      return Status::InvalidArgument(s.dir + ": fragments of plan " + marker.plan_fingerprint +
                                     ", not of this plan (" + plan.fingerprint +
                                     "); rerun phase 1 with this plan");
    }
    if (marker.node_index != i) {
      return Status::InvalidArgument(s.dir + ": holds the fragments of source " +
                                     std::to_string(marker.node_index) + ", not " +
                                     std::to_string(i));
    }
    std::set<std::string> listed = {kMarkerName};
    for (const OutputFile& f : marker.files) {
      const std::string path = s.dir + "/" + f.name;
      if (lstat(path.c_str(), &st) != 0) {
        return Status::Corruption(path + ": listed in the marker but missing: the fragments are "
                                  "damaged; rerun phase 1 for source " + std::to_string(i));
      }
      if (static_cast<uint64_t>(st.st_size) != f.bytes) {
        return Status::Corruption(path + ": " + std::to_string(st.st_size) + " bytes, the marker "
                                  "says " + std::to_string(f.bytes) + ": the fragment is damaged; "
                                  "rerun phase 1 for source " + std::to_string(i));
      }
      listed.insert(f.name);
      s.files[f.name] = f;
    }
    if (DIR* sd = opendir(s.dir.c_str())) {
      std::string stray;
      while (dirent* e = readdir(sd)) {
        const std::string name = e->d_name;
        if (name != "." && name != ".." && !listed.count(name)) stray = name;
      }
      closedir(sd);
      if (!stray.empty()) {
        return Status::InvalidArgument(s.dir + "/" + stray + ": not listed in the fragments' "
                                       "marker (a file added since phase 1?)");
      }
    }
    auto mf = s.files.find(kFragmentManifestName);
    if (mf == s.files.end()) return Status::Corruption(s.dir + ": marker lists no fragment.txt");
    const std::string manifest_path = s.dir + "/" + kFragmentManifestName;
    SK_ASSIGN_OR_RETURN(std::string text, storage::ReadSmallFile(manifest_path, 64 << 20));
    if (Hex64(formats::Crc64(0, AsBytes(text))) != mf->second.crc64) {
      return Status::Corruption(manifest_path + ": CRC-64 differs from the marker's: damaged");
    }
    SK_ASSIGN_OR_RETURN(s.manifest, ParseFragmentManifest(text, manifest_path));
    if (s.manifest.plan_fingerprint != plan.fingerprint || s.manifest.source != i) {
      return Status::Corruption(manifest_path + ": plan or source differs from its marker's");
    }
    set.sources.push_back(std::move(s));
  }
  return set;
}

}  // namespace shardkit::loader
