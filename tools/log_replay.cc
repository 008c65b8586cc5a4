#include "tools/log_replay.h"

#include <strings.h>

#include <cctype>

#include "base/chunk_io.h"
#include "formats/encodings/crc64.h"

namespace shardkit::tools {
namespace {

namespace aof = formats::aof;

// Why a command makes every key of the source touched, or "".
std::string WholesaleReason(const aof::AofCommand& c, const std::string& name) {
  if (name == "flushall" || name == "swapdb") return name + " acts on whole dbs";
  if (name == "flushdb" && c.db == 0) return "flushdb of db 0 acts on the whole db";
  if (name == "move") return "move takes keys to another db";
  if (name == "copy") {
    for (size_t i = 3; i < c.args.size(); ++i) {
      if (strcasecmp(c.args[i].c_str(), "db") == 0) return "copy ... db writes another db";
    }
  }
  if (name.rfind("eval", 0) == 0 || name.rfind("fcall", 0) == 0) {
    return name + ": a script may touch keys it does not declare";
  }
  return "";
}

}  // namespace

std::string LowerName(const std::string& name) {
  std::string out = name.substr(0, 32);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Where(const aof::AofCommand& c) {
  return (c.file != nullptr ? *c.file : std::string("?")) + " offset " +
         std::to_string(c.offset) + ": ";
}

bool LogCommandKeys::Read(const aof::AofCommand& c, std::string* wholesale) {
  const std::string name = LowerName(c.args[0]);
  if (c.in_transaction && (name == "multi" || name == "exec")) return false;
  const std::string why = WholesaleReason(c, name);
  if (!why.empty()) {
    *wholesale = Where(c) + why;
    return false;
  }
  if (c.db != 0) {
    other_db_ = other_db_ || (name != "select" && name != "multi" && name != "exec");
    return false;
  }
  const Status st = aof::ExtractKeys(c.args, &keys_);
  if (!st.ok()) {
    *wholesale = Where(c) + "the keys of '" + name + "' cannot be determined: " +
                 std::string(st.message());
    return false;
  }
  if (keys_.routing != aof::Routing::kKeyed) return false;
  const auto slot = static_cast<uint16_t>(keys_.slot);
  if (routed_ != nullptr) return routed_->Contains(slot);
  return source_.owned_slots.empty() || source_.owned_slots.Contains(slot);
}

std::string DumpPayload(uint8_t type, const std::string& value, int version) {
  std::string p;
  p.reserve(value.size() + 11);
  p.push_back(static_cast<char>(type));
  p += value;
  p.push_back(static_cast<char>(version & 0xff));
  p.push_back(static_cast<char>((version >> 8) & 0xff));
  uint64_t crc = formats::Crc64(0, AsBytes(p));
  for (int i = 0; i < 8; ++i) p.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return p;
}

}  // namespace shardkit::tools
