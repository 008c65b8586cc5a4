#include "storage/io_error.h"

#include <cassert>
#include <string>

namespace shardkit::storage {

Status IoErrorStatus(int errno_value, std::string_view operation, std::string_view path,
                     int64_t offset_bytes) {
  assert(errno_value > 0);
  if (offset_bytes < 0) return Status::FromErrno(errno_value, operation, path);
  std::string where(path);
  where.append(" at offset ").append(std::to_string(offset_bytes));
  return Status::FromErrno(errno_value, operation, where);
}

}  // namespace shardkit::storage
