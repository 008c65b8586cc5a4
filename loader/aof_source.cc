#include "loader/aof_source.h"

namespace shardkit::loader {

Status DescribeAofCandidate(const VolumeReport& /*volume*/, SourceCandidate* candidate) {
  return Status::NotSupported("AOF source " + candidate->path +
                              ": recovery from AOF is not implemented yet");
}

}  // namespace shardkit::loader
