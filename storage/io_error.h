// IoErrorStatus: the one place in storage/ where an errno becomes a Status.
//
// The message always names the operation and the path, plus the byte offset
// when one applies: "read /data/dump.rdb at offset 1048576: Input/output
// error". The code follows Status::FromErrno (ENOENT -> kNotFound,
// ENOSPC/EDQUOT -> kResourceExhausted, everything else -> kIoError) and the
// errno stays available through Status::errno_value().
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace shardkit::storage {

inline constexpr int64_t kNoOffset = -1;

// REQUIRES: errno_value > 0.
Status IoErrorStatus(int errno_value, std::string_view operation, std::string_view path,
                     int64_t offset_bytes = kNoOffset);

}  // namespace shardkit::storage
