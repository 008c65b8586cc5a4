#include "loader/volume_scan.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "storage/small_file.h"

namespace shardkit::loader {

namespace {

// Splits a redis.conf line into words; "..." and '...' group words (backslash
// escapes inside double quotes are taken literally but for \" and \\).
Result<std::vector<std::string>> SplitConfLine(std::string_view line, std::string_view path,
                                               size_t line_no) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string word;
    char quote = (line[i] == '"' || line[i] == '\'') ? line[i] : 0;
    if (quote != 0) {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == quote) {
          closed = true;
          break;
        }
        if (c == '\\' && i < line.size() && (line[i] == quote || line[i] == '\\')) c = line[i++];
        word.push_back(c);
      }
      if (!closed) {
        return Status::Corruption(std::string(path) + " line " + std::to_string(line_no) +
                                  ": unterminated quote");
      }
    } else {
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') word.push_back(line[i++]);
    }
    out.push_back(std::move(word));
  }
  return out;
}

bool BadName(const std::string& name) {
  return name.empty() || name.front() == '/' || name == ".." || name.find("../") == 0 ||
         name.find("/../") != std::string::npos ||
         (name.size() >= 3 && name.compare(name.size() - 3, 3, "/..") == 0);
}

}  // namespace

Result<RedisConfSettings> ParseRedisConf(std::string_view text, std::string_view path) {
  RedisConfSettings s;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    SK_ASSIGN_OR_RETURN(std::vector<std::string> w, SplitConfLine(line, path, line_no));
    if (w.size() < 2 || w[0].front() == '#') continue;
    std::string key = w[0];
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "dir") s.dir = w[1];
    if (key == "dbfilename") s.dbfilename = w[1];
    if (key == "appendonly") s.appendonly = (w[1] == "yes");
    if (key == "appenddirname") s.appenddirname = w[1];
    if (key == "appendfilename") s.appendfilename = w[1];
    if (key == "cluster-config-file") s.cluster_config_file = w[1];
    if (key == "replicaof" || key == "slaveof") {
      const bool no_one = w.size() >= 3 && w[1] == "no" && w[2] == "one";
      if (no_one) {
        s.replicaof.reset();
      } else {
        s.replicaof = w.size() >= 3 ? w[1] + " " + w[2] : w[1];
      }
    }
  }
  return s;
}

Result<std::optional<std::string>> ResolveInside(const std::string& real_dir,
                                                 const std::string& name) {
  if (BadName(name)) {
    return Status::InvalidArgument("refusing file name \"" + name + "\" in volume " + real_dir +
                                   ": absolute or contains \"..\"");
  }
  std::string candidate = real_dir + "/" + name;
  struct stat st;
  if (lstat(candidate.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::FromErrno(errno, "lstat", candidate);
  }
  char resolved[PATH_MAX];
  if (realpath(candidate.c_str(), resolved) == nullptr) {
    if (errno == ENOENT) {
      return Status::InvalidArgument("dangling symlink " + candidate + " in volume");
    }
    return Status::FromErrno(errno, "realpath", candidate);
  }
  std::string r(resolved);
  if (r != real_dir && r.compare(0, real_dir.size() + 1, real_dir + "/") != 0) {
    return Status::InvalidArgument("refusing " + candidate + ": it resolves to " + r +
                                   ", outside the volume " + real_dir);
  }
  return std::optional<std::string>(r);
}

namespace {

// The newest regular "*.skn" file of the volume's root (hidden names and
// names that leave the volume are skipped).
Status FindNativeSnapshot(VolumeFiles* v) {
  DIR* d = opendir(v->real_dir.c_str());
  if (d == nullptr) return Status::FromErrno(errno, "list volume", v->real_dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name[0] != '.' && name.compare(name.size() - 4, 4, ".skn") == 0) {
      names.push_back(std::move(name));
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  int64_t newest = -1;
  for (const std::string& name : names) {
    auto path = ResolveInside(v->real_dir, name);
    if (!path.ok() || !*path) {
      v->notes.push_back("native snapshot " + name + " ignored: " +
                         (path.ok() ? std::string("vanished") : path.status().ToString()));
      continue;
    }
    struct stat st;
    if (stat((*path)->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime > newest) {
      if (v->native) v->notes.push_back("native snapshot " + *v->native + " ignored: older");
      newest = mtime;
      v->native = **path;
    } else {
      v->notes.push_back("native snapshot " + **path + " ignored: older");
    }
  }
  return Status();
}

}  // namespace

Result<VolumeFiles> ScanVolume(const std::string& dir) {
  VolumeFiles v;
  v.dir = dir;
  char resolved[PATH_MAX];
  if (realpath(dir.c_str(), resolved) == nullptr) return Status::FromErrno(errno, "open volume", dir);
  v.real_dir = resolved;
  struct stat st;
  if (stat(v.real_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("volume " + dir + " is not a directory");
  }
  SK_ASSIGN_OR_RETURN(v.redis_conf, ResolveInside(v.real_dir, "redis.conf"));
  if (v.redis_conf) {
    SK_ASSIGN_OR_RETURN(std::string text, storage::ReadSmallFile(*v.redis_conf, 4 << 20));
    SK_ASSIGN_OR_RETURN(v.conf, ParseRedisConf(text, *v.redis_conf));
    if (v.conf.dir && *v.conf.dir != "." && *v.conf.dir != "./") {
      v.notes.push_back("redis.conf sets dir " + *v.conf.dir +
                        "; the volume itself is taken as that directory");
    }
  }
  SK_ASSIGN_OR_RETURN(v.nodes_conf,
                      ResolveInside(v.real_dir, v.conf.cluster_config_file.value_or("nodes.conf")));
  SK_ASSIGN_OR_RETURN(v.rdb, ResolveInside(v.real_dir, v.conf.dbfilename.value_or("dump.rdb")));
  const std::string aof_name = v.conf.appendfilename.value_or("appendonly.aof");
  SK_ASSIGN_OR_RETURN(v.aof_dir,
                      ResolveInside(v.real_dir, v.conf.appenddirname.value_or("appendonlydir")));
  if (v.aof_dir) {
    SK_ASSIGN_OR_RETURN(auto manifest,
                        ResolveInside(*v.aof_dir, aof_name + ".manifest"));
    if (manifest) {
      v.aof_manifest = manifest;
    } else {
      v.notes.push_back(*v.aof_dir + " has no " + aof_name + ".manifest; directory ignored");
      v.aof_dir.reset();
    }
  }
  SK_ASSIGN_OR_RETURN(v.legacy_aof, ResolveInside(v.real_dir, aof_name));
  SK_RETURN_IF_ERROR(FindNativeSnapshot(&v));
  return v;
}

}  // namespace shardkit::loader
