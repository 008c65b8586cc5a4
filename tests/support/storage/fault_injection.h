// FaultInjectionEnv: an IoEnvironment that wraps a real one (file system and
// I/O engines) to fail operations, shorten writes and simulate crashes.
//
// Faults: FailNth(kind, n, errno) makes the n-th operation of that kind
// (counted from the call; kAny counts every kind) fail with errno, once.
// Kinds: open, read, write, sync (fdatasync/fsync), rename, dir sync. A
// failed read or write never reaches the disk: the engine completes it with
// -errno. SetShortWriteProbability(p) cuts writes to a random shorter prefix
// (aligned for O_DIRECT fds) with probability p, from a seeded generator.
//
// Crash model (SimulateCrash; leveldb fault_injection_test.cc): every byte
// of a file past its size at the last successful fdatasync/fsync is
// dropped, every rename since the last fsync of its directory is undone
// (the old target comes back), and every file created since the last fsync
// of its directory is removed. Not modelled: overwrites below the synced
// size, O_TRUNC of an existing file (treated as a new empty file).
//
// Threading: thread-safe. Lifetime: must outlive every reader/writer that
// uses it; `base` must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/io_environment.h"

namespace shardkit::storage::testing {

enum class FaultOp { kOpen, kRead, kWrite, kSync, kRename, kDirSync, kAny };
std::string_view FaultOpName(FaultOp op);

class FaultInjectionEnv final : public IoEnvironment {
 public:
  explicit FaultInjectionEnv(uint64_t seed = 1, IoEnvironment* base = DefaultIoEnvironment());
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // IoEnvironment.
  FileSystem* file_system() override;
  Result<std::unique_ptr<IoEngine>> NewEngine(IoBackendKind kind,
                                              const IoEngineOptions& options) override;

  // REQUIRES: n >= 1, errno_value > 0. Replaces any armed fault.
  void FailNth(FaultOp op, uint64_t n, int errno_value);
  void ClearFaults();
  // True once the armed fault has fired.
  bool fault_fired() const;
  void SetShortWriteProbability(double p);
  // Operations of `op` seen since construction.
  uint64_t count(FaultOp op) const;
  // Most requests one engine of this environment had in flight at once
  // (submitted, not yet reaped): proves a reader or writer overlaps its I/O.
  int max_in_flight() const;

  // Applies the crash model to every file this environment has seen.
  // REQUIRES: no reader or writer of this environment is still open.
  Status SimulateCrash();

  // Used by the wrapped file system and engines (internal).
  // Counts one operation of `op`; returns the errno to fail it with, or 0.
  int OnOperation(FaultOp op);
  // Length to submit for a write of `length` (maybe shortened).
  uint32_t MaybeShorten(uint32_t length, uint32_t granularity);
  void NoteInFlight(int in_flight);

 private:
  friend class FaultFileSystem;
  struct FileRecord {
    uint64_t synced_bytes = 0;
  };
  struct PendingRename {
    std::string source;
    std::string target;
    std::optional<std::string> old_target_bytes;
  };

  IoEnvironment* base_;
  std::unique_ptr<FileSystem> fs_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  double short_write_probability_ = 0;
  uint64_t counts_[7] = {};
  int max_in_flight_ = 0;
  FaultOp armed_op_ = FaultOp::kAny;
  uint64_t armed_at_ = 0;  // absolute count of armed_op_ that fails; 0 = none
  int armed_errno_ = 0;
  bool fired_ = false;
  std::map<std::string, FileRecord> files_;      // by path
  std::map<int, std::string> open_paths_;        // fd -> path
  std::vector<std::string> created_unsynced_;    // created since its dir sync
  std::vector<PendingRename> renames_unsynced_;  // renamed since its dir sync
};

}  // namespace shardkit::storage::testing
