#include "loader/enterprise_volume.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <tuple>

#include "loader/volume_scan.h"

namespace shardkit::loader {

namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t MtimeMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// Names in `dir`, sorted; hidden names skipped.
Result<std::vector<std::string>> ListNames(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno(errno, "list directory", dir);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Size and newest mtime of a multi-part directory's regular files, and its
// manifest.
Status DescribeAofDir(EnterpriseShardFile* f, std::vector<std::string>* notes) {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(f->path));
  const std::string preferred = "appendonly-" + std::to_string(f->name.uid) + ".aof.manifest";
  std::vector<std::string> manifests;
  for (const std::string& name : names) {
    auto inside = ResolveInside(f->path, name);
    if (!inside.ok() || !*inside) continue;
    struct stat st;
    if (stat((*inside)->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    f->bytes += static_cast<uint64_t>(st.st_size);
    f->mtime_ms = std::max(f->mtime_ms, MtimeMs(st));
    if (name.size() > 9 && name.compare(name.size() - 9, 9, ".manifest") == 0) {
      if (name == preferred) manifests.insert(manifests.begin(), **inside);
      else manifests.push_back(**inside);
    }
  }
  if (!manifests.empty() && (manifests.size() == 1 || manifests[0].ends_with("/" + preferred))) {
    f->manifest = manifests[0];
  } else {
    notes->push_back(f->path + ": no single manifest (" + std::to_string(manifests.size()) +
                     " *.manifest files); not readable as a multi-part AOF");
  }
  return Status();
}

// Adds `name` in `dir` when it is a shard name that stays inside `dir`.
Status AddShardFile(const std::string& dir, const std::string& name, EnterpriseVolume* v) {
  const std::optional<EnterpriseShardName> parsed = ParseEnterpriseShardName(name);
  if (!parsed.has_value()) return Status();
  auto inside = ResolveInside(dir, name);
  if (!inside.ok()) {
    v->notes.push_back(name + " skipped: " + inside.status().ToString());
    return Status();
  }
  if (!*inside) return Status();
  EnterpriseShardFile f;
  f.name = *parsed;
  f.path = **inside;
  struct stat st;
  if (stat(f.path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat", f.path);
  const bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir != (f.name.kind == EnterpriseFileKind::kAofDir)) {
    v->notes.push_back(f.path + " skipped: " + (is_dir ? "a directory" : "not a directory"));
    return Status();
  }
  if (is_dir) {
    SK_RETURN_IF_ERROR(DescribeAofDir(&f, &v->notes));
  } else {
    f.bytes = static_cast<uint64_t>(st.st_size);
    f.mtime_ms = MtimeMs(st);
  }
  v->shard_files.push_back(std::move(f));
  return Status();
}

// A root that looks like an open-source node's volume is scanned as one.
bool HasOssFiles(const std::string& dir) {
  for (const char* name : {"nodes.conf", "redis.conf", "dump.rdb", "appendonlydir"}) {
    if (Exists(dir + "/" + name)) return true;
  }
  return false;
}

Status ScanRedisDir(const std::string& redis_dir, EnterpriseVolume* v) {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(redis_dir));
  for (const std::string& name : names) SK_RETURN_IF_ERROR(AddShardFile(redis_dir, name, v));
  return Status();
}

void AddCcsFiles(const std::string& root, EnterpriseVolume* v) {
  for (const char* name : {"ccs/ccs-redis.rdb", "ccs/ccs-redis.rdb.prev"}) {
    auto inside = ResolveInside(root, name);
    if (inside.ok() && *inside) v->ccs_files.push_back(**inside);
  }
}

}  // namespace

Result<std::optional<EnterpriseVolume>> ScanEnterprisePath(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return Status::FromErrno(errno, "open volume", path);
  }
  EnterpriseVolume v;
  v.path = path;
  v.real_path = resolved;
  const size_t slash = v.real_path.rfind('/');
  const std::string parent = slash == 0 ? "/" : v.real_path.substr(0, slash);
  const std::string base = v.real_path.substr(slash + 1);
  if (ParseEnterpriseShardName(base).has_value()) {
    v.kind = EnterprisePathKind::kShardFile;
    SK_RETURN_IF_ERROR(AddShardFile(parent, base, &v));
    if (v.shard_files.empty()) return std::optional<EnterpriseVolume>();
    return std::optional<EnterpriseVolume>(std::move(v));
  }
  if (!IsDirectory(v.real_path)) return std::optional<EnterpriseVolume>();
  std::string root = v.real_path;
  std::string redis_dir = v.real_path + "/redis";
  if (base == "redis" && !IsDirectory(redis_dir)) {
    // An open-source server's dir is often named redis (/var/lib/redis).
    if (HasOssFiles(v.real_path)) return std::optional<EnterpriseVolume>();
    root = parent;
    redis_dir = v.real_path;
  } else if (!IsDirectory(redis_dir) || HasOssFiles(v.real_path)) {
    return std::optional<EnterpriseVolume>();
  }
  SK_RETURN_IF_ERROR(ScanRedisDir(redis_dir, &v));
  if (v.shard_files.empty()) return std::optional<EnterpriseVolume>();
  AddCcsFiles(root, &v);
  std::stable_sort(v.shard_files.begin(), v.shard_files.end(),
                   [](const EnterpriseShardFile& a, const EnterpriseShardFile& b) {
                     return std::make_tuple(a.name.uid, a.name.kind, a.name.prev) <
                            std::make_tuple(b.name.uid, b.name.kind, b.name.prev);
                   });
  return std::optional<EnterpriseVolume>(std::move(v));
}

}  // namespace shardkit::loader
