#include "tools/enterprise_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tools/cli_common.h"

namespace shardkit::tools {
namespace {

// "0-8191,8193" (Enterprise writes one range per shard, "0-5460"; several
// ranges are joined by commas).
std::string ShardSlots(const loader::SlotSet& slots) {
  std::string out;
  for (const loader::SlotRange& r : slots.Ranges()) {
    out += (out.empty() ? "" : ",") + std::to_string(r.first);
    if (r.last != r.first) out += "-" + std::to_string(r.last);
  }
  return out;
}

// `target` becomes a hard link to `source` (a copy when the link fails:
// another file system, or links not supported), replacing what was there.
Status LinkOrCopy(const std::string& source, const std::string& target) {
  if (unlink(target.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno(errno, "unlink", target);
  }
  if (link(source.c_str(), target.c_str()) == 0) return Status();
  std::error_code ec;
  std::filesystem::copy_file(source, target, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Status::IoError("copy " + source + " to " + target + ": " + ec.message());
  const int fd = open(target.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", target);
  const int synced = fsync(fd);
  const int saved = errno;
  close(fd);
  return synced == 0 ? Status() : Status::FromErrno(saved, "fsync", target);
}

}  // namespace

Status WriteEnterpriseFiles(const loader::RecoveryPlan& plan, const loader::RecoverReport& report,
                            const std::string& out_dir, const storage::IoOptions& io) {
  const std::string dir = out_dir + "/redis";
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "mkdir", dir);
  }
  nlohmann::json files = nlohmann::json::array();
  for (const loader::PlannedNode& node : plan.slots.nodes) {
    const loader::NodeReport* written = nullptr;
    for (const loader::NodeReport& r : report.nodes) {
      if (r.index == node.index) written = &r;
    }
    const std::string name = "node-" + std::to_string(node.index);
    if (written == nullptr) {
      return Status::InvalidArgument("--enterprise-files needs every node's output; " + name +
                                     " was not written by this run (--node-index)");
    }
    const std::string source = written->dir + "/dump.rdb";
    struct stat st;
    if (written->layout != "dump.rdb" || stat(source.c_str(), &st) != 0) {
      return Status::InvalidArgument("--enterprise-files names dump.rdb files; " + name + " has " +
                                     written->layout + " and no " + source);
    }
    const std::string uid = std::to_string(node.index + 1);
    const std::string filename = "redis-" + uid + ".rdb";
    SK_RETURN_IF_ERROR(LinkOrCopy(source, dir + "/" + filename));
    files.push_back({{"filename", filename},
                     {"last_modified", static_cast<double>(st.st_mtim.tv_sec) +
                                           static_cast<double>(st.st_mtim.tv_nsec) / 1e9},
                     {"node_uid", uid},
                     {"shard_role", node.is_replica() ? "slave" : "master"},
                     {"shard_slots", ShardSlots(plan.slots.DataNode(node.index).slots)},
                     {"shard_uid", uid},
                     {"size", static_cast<uint64_t>(st.st_size)}});
  }
  const nlohmann::json doc = {{"data_files", files}, {"status", "ready"}};
  return WriteFileAtomically(dir + "/" + kEnterpriseDataFilesName, doc.dump(2) + "\n", io);
}

}  // namespace shardkit::tools
