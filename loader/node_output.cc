#include "loader/node_output.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "base/hex.h"
#include "formats/encodings/crc64.h"
#include "storage/file_reader.h"
#include "storage/io_environment.h"

namespace shardkit::loader {

namespace {

std::string NodeDirName(int index) { return "node-" + std::to_string(index); }

// Removes a directory tree that shardkit created (staging directories only).
void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace

// Version 2: file checksums are CRC-64/Jones (ISA-L, ~3x the speed of the
// XXH3 streaming API of the libxxhash Debian ships; the output checksum ran
// over every byte written and was 13% of recover's CPU). Version 1 (XXH3) is
// refused as written by an older shardkit.
constexpr std::string_view kMarkerHeader = "shardkit-node 2\n";

std::string FormatMarker(const NodeMarker& m) {
  std::string out(kMarkerHeader);
  out += "plan " + m.plan_fingerprint + "\n";
  out += "index " + std::to_string(m.node_index) + "\n";
  out += "node-id " + m.node_id + "\n";
  out += "keys " + std::to_string(m.keys) + "\n";
  for (const OutputFile& f : m.files) {
    out += "file " + f.name + " " + std::to_string(f.bytes) + " " + f.crc64 + "\n";
  }
  return out;
}

Result<NodeMarker> ParseMarker(std::string_view text, std::string_view path) {
  NodeMarker m;
  auto bad = [&](std::string what) {
    return Status::Corruption(std::string(path) + ": " + what);
  };
  if (text.substr(0, 16) == "shardkit-node 1\n") {
    return bad("marker of an older shardkit (XXH3 checksums); move the node directory away");
  }
  if (text.substr(0, kMarkerHeader.size()) != kMarkerHeader) {
    return bad("not a shardkit node marker");
  }
  size_t pos = kMarkerHeader.size();
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) return bad("truncated marker");
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    size_t sp = line.find(' ');
    std::string_view key = line.substr(0, sp);
    std::string_view val = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    if (key == "plan") m.plan_fingerprint = std::string(val);
    if (key == "node-id") m.node_id = std::string(val);
    if (key == "index") std::from_chars(val.data(), val.data() + val.size(), m.node_index);
    if (key == "keys") std::from_chars(val.data(), val.data() + val.size(), m.keys);
    if (key == "file") {
      OutputFile f;
      size_t a = val.find(' '), b = val.rfind(' ');
      if (a == std::string_view::npos || a == b) return bad("bad file line");
      f.name = std::string(val.substr(0, a));
      std::string_view size = val.substr(a + 1, b - a - 1);
      std::from_chars(size.data(), size.data() + size.size(), f.bytes);
      f.crc64 = std::string(val.substr(b + 1));
      if (f.name.empty() || f.name.front() == '/' || f.name.find("..") != std::string::npos) {
        return bad("bad file name " + f.name);
      }
      m.files.push_back(std::move(f));
    }
  }
  return m;
}

Result<OutputFile> HashFile(const std::string& dir, const std::string& name,
                            const storage::IoOptions& io) {
  const std::string path = dir + "/" + name;
  SK_ASSIGN_OR_RETURN(auto source, storage::OpenSequentialReader(path, io));
  uint64_t crc = 0;
  OutputFile f;
  f.name = name;
  while (true) {
    SK_ASSIGN_OR_RETURN(ByteSpan chunk, source->Next());
    if (chunk.empty()) break;
    crc = formats::Crc64(crc, chunk);
    f.bytes += chunk.size();
  }
  f.crc64 = Hex64(crc);
  return f;
}

Result<ExistingNode> CheckExistingNode(const std::string& node_dir, const std::string& fingerprint,
                                       int node_index, const storage::IoOptions& io,
                                       std::string* why) {
  struct stat st;
  if (lstat(node_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return ExistingNode::kAbsent;
    return Status::FromErrno(errno, "lstat", node_dir);
  }
  const std::string marker_path = node_dir + "/" + kMarkerName;
  FILE* f = std::fopen(marker_path.c_str(), "rb");
  if (f == nullptr) {
    *why = node_dir + " exists but has no " + kMarkerName + " (not written by shardkit recover)";
    return ExistingNode::kForeign;
  }
  std::string text(1 << 16, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), f));
  std::fclose(f);
  SK_ASSIGN_OR_RETURN(NodeMarker m, ParseMarker(text, marker_path));
  if (m.plan_fingerprint != fingerprint || m.node_index != node_index) {
    *why = node_dir + " holds node " + std::to_string(m.node_index) + " of plan " +
           m.plan_fingerprint + ", not node " + std::to_string(node_index) + " of plan " +
           fingerprint;
    return ExistingNode::kForeign;
  }
  for (const OutputFile& expected : m.files) {
    auto actual = HashFile(node_dir, expected.name, io);
    // An I/O error while re-reading is that error (the node may be fine);
    // a missing or different file means the node changed since.
    if (!actual.ok() && actual.status().code() != StatusCode::kNotFound) {
      return actual.status().WithPrefix("re-checking " + node_dir + " against its marker");
    }
    if (!actual.ok() || actual->bytes != expected.bytes || actual->crc64 != expected.crc64) {
      *why = node_dir + "/" + expected.name + " no longer matches its marker" +
             (actual.ok() ? "" : ": " + actual.status().ToString());
      return ExistingNode::kForeign;
    }
  }
  return ExistingNode::kCompleteForThisPlan;
}

Result<std::unique_ptr<NodeOutput>> NodeOutput::Open(const std::string& out_dir, int node_index,
                                                     const storage::IoOptions& io) {
  return OpenNamed(out_dir, NodeDirName(node_index), io);
}

Result<std::unique_ptr<NodeOutput>> NodeOutput::OpenNamed(const std::string& out_dir,
                                                          const std::string& name,
                                                          const storage::IoOptions& io) {
  const std::string prefix = "." + name + ".tmp.";
  if (DIR* d = opendir(out_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string entry = e->d_name;
      if (entry.compare(0, prefix.size(), prefix) == 0) RemoveTree(out_dir + "/" + entry);
    }
    closedir(d);
  } else {
    return Status::FromErrno(errno, "open output directory", out_dir);
  }
  std::string staging = out_dir + "/" + prefix + std::to_string(getpid());
  if (mkdir(staging.c_str(), 0755) != 0) return Status::FromErrno(errno, "mkdir", staging);
  return std::unique_ptr<NodeOutput>(
      new NodeOutput(out_dir, staging, out_dir + "/" + name, io));
}

NodeOutput::~NodeOutput() {
  if (!done_) Abandon();
}

void NodeOutput::Abandon() {
  RemoveTree(staging_);
  done_ = true;
}

NodeOutput::File::File(NodeOutput* owner, std::string name,
                       std::unique_ptr<storage::AtomicFileWriter> inner)
    : owner_(owner), file_name_(std::move(name)), inner_(std::move(inner)) {}

NodeOutput::File::~File() = default;

Status NodeOutput::File::Append(ByteSpan bytes) {
  if (!caller_crc_) crc_ = formats::Crc64(crc_, bytes);
  bytes_ += bytes.size();
  return inner_->Append(bytes);
}

Result<MutableByteSpan> NodeOutput::File::Lend() {
  SK_ASSIGN_OR_RETURN(lent_, inner_->Lend());
  return lent_;
}

Status NodeOutput::File::Commit(size_t n) {
  if (n > lent_.size()) return inner_->Commit(n);  // the writer names the misuse
  if (!caller_crc_) crc_ = formats::Crc64(crc_, lent_.first(n));
  bytes_ += n;
  lent_ = MutableByteSpan();
  return inner_->Commit(n);
}

Status NodeOutput::File::Publish() {
  SK_RETURN_IF_ERROR(inner_->Publish());
  std::lock_guard<std::mutex> lock(owner_->files_mu_);
  owner_->files_.push_back({file_name_, bytes_, Hex64(crc_)});
  return Status();
}

Result<std::unique_ptr<NodeOutput::File>> NodeOutput::CreateFile(const std::string& name) {
  SK_ASSIGN_OR_RETURN(auto inner, storage::AtomicFileWriter::Create(staging_ + "/" + name, io_));
  return std::unique_ptr<File>(new File(this, name, std::move(inner)));
}

Status NodeOutput::MakeSubdir(const std::string& name) {
  const std::string path = staging_ + "/" + name;
  if (mkdir(path.c_str(), 0755) != 0) return Status::FromErrno(errno, "mkdir", path);
  return Status();
}

Status NodeOutput::WriteSmallFile(const std::string& name, std::string_view data) {
  SK_ASSIGN_OR_RETURN(auto w, CreateFile(name));
  SK_RETURN_IF_ERROR(w->Append(AsBytes(data)));
  return w->Publish();
}

Status NodeOutput::Publish(NodeMarker marker) {
  marker.files = files_;
  // The marker is written by the plain atomic writer: it is not listed in itself.
  {
    SK_ASSIGN_OR_RETURN(auto w, storage::AtomicFileWriter::Create(
                                    staging_ + "/" + kMarkerName, io_));
    std::string text = FormatMarker(marker);
    SK_RETURN_IF_ERROR(w->Append(AsBytes(text)));
    SK_RETURN_IF_ERROR(w->Publish());
  }
  storage::FileSystem* fs = storage::EnvironmentOf(io_)->file_system();
  SK_RETURN_IF_ERROR(fs->SyncDir(staging_));
  SK_RETURN_IF_ERROR(fs->Rename(staging_, final_));
  done_ = true;
  return fs->SyncDir(out_dir_);
}

}  // namespace shardkit::loader
