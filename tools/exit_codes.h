// The shardkit exit codes: one table, printed in SPEC.md ("Exit codes").
// A bootstrapper branches on these; keep them stable.
#pragma once

#include "base/status.h"

namespace shardkit::tools {

enum ExitCode : int {
  kExitOk = 0,            // everything checked is sound / the job completed
  kExitDataCorrupt = 1,   // input data is corrupt (verify found damage; repair dropped data)
  kExitUsageOrIo = 2,     // bad command line, missing file, I/O error
  kExitNotSupported = 3,  // valid input shardkit refuses (e.g. an RDB version it does not read)
  kExitNoSpace = 4,       // out of disk space or another resource limit
  kExitNotReady = 5,      // check/join: nodes still loading, or the cluster not ok, after --wait
  kExitInternal = 70,     // a bug in shardkit (an unexpected exception); please report
};

inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kCorruption:
      return kExitDataCorrupt;
    case StatusCode::kNotSupported:
      return kExitNotSupported;
    case StatusCode::kResourceExhausted:
      return kExitNoSpace;
    case StatusCode::kIoError:
    case StatusCode::kNotFound:
    case StatusCode::kInvalidArgument:
      return kExitUsageOrIo;
  }
  return kExitInternal;
}

// The exit code of a command over several inputs (verify, inspect), from each
// input's own: 2 if any could not be read (or any other error), else 1 if any
// is corrupt, else 3 if any is refused, else 0. Corrupt outranks refused: a
// bootstrapper must not skip a damaged volume as "unsupported".
class InputsExitCode {
 public:
  void Add(int code) {
    switch (code) {
      case kExitOk:
        break;
      case kExitDataCorrupt:
        corrupt_ = true;
        break;
      case kExitNotSupported:
        unsupported_ = true;
        break;
      default:
        other_ = true;
        break;
    }
  }
  int code() const {
    return other_         ? kExitUsageOrIo
           : corrupt_     ? kExitDataCorrupt
           : unsupported_ ? kExitNotSupported
                          : kExitOk;
  }

 private:
  bool corrupt_ = false;
  bool unsupported_ = false;
  bool other_ = false;
};

}  // namespace shardkit::tools
