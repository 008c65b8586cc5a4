// Converting one serialized value to a type an older RDB version can hold
// (internal to formats/rdb; used by RdbWriter). See rdb_writer.h for the
// conversion table. `losses` receives one short line per kind of dropped
// information. Errors: kNotSupported when no conversion exists, kCorruption
// when the value does not parse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "formats/rdb/rdb_format.h"

namespace shardkit::formats::rdb {

// True when `type` (read under `source_magic`) can be written unchanged to an
// RDB of `target_version`.
bool TypeWritableAt(uint8_t type, Magic source_magic, int target_version);

Status ConvertValue(uint8_t type, std::string_view value, Magic source_magic, int target_version,
                    uint8_t* out_type, std::string* out_value, std::vector<std::string>* losses);

}  // namespace shardkit::formats::rdb
