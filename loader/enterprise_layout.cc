#include "loader/enterprise_layout.h"

namespace shardkit::loader {

std::string_view EnterpriseFileKindName(EnterpriseFileKind kind) {
  switch (kind) {
    case EnterpriseFileKind::kRdb: return "rdb";
    case EnterpriseFileKind::kAof: return "aof";
    case EnterpriseFileKind::kAofDir: return "aof-dir";
  }
  return "?";
}

namespace {

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

std::optional<uint64_t> ParseShardUid(std::string_view digits) {
  if (digits.empty() || digits.size() > 18 || digits[0] == '0') return std::nullopt;
  uint64_t uid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uid = uid * 10 + static_cast<uint64_t>(c - '0');
  }
  return uid;
}

std::string_view BaseName(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view Parent(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

}  // namespace

std::optional<EnterpriseShardName> ParseEnterpriseShardName(std::string_view name) {
  EnterpriseShardName out;
  out.prev = ConsumeSuffix(&name, ".prev");
  if (ConsumePrefix(&name, "redis-") && ConsumeSuffix(&name, ".rdb")) {
    out.kind = EnterpriseFileKind::kRdb;
  } else if (ConsumePrefix(&name, "appendonly-")) {
    if (ConsumeSuffix(&name, ".aof.dir")) {
      out.kind = EnterpriseFileKind::kAofDir;
    } else if (ConsumeSuffix(&name, ".aof")) {
      out.kind = EnterpriseFileKind::kAof;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  const std::optional<uint64_t> uid = ParseShardUid(name);
  if (!uid.has_value()) return std::nullopt;
  out.uid = *uid;
  return out;
}

bool InEnterpriseLayout(std::string_view path) {
  const std::string_view parent = Parent(path);
  if (ParseEnterpriseShardName(BaseName(path)).has_value() && BaseName(parent) == "redis") {
    return true;
  }
  // A part of a multi-part log: redis/appendonly-<uid>.aof.dir/<part>.
  const std::optional<EnterpriseShardName> dir = ParseEnterpriseShardName(BaseName(parent));
  return dir.has_value() && dir->kind == EnterpriseFileKind::kAofDir &&
         BaseName(Parent(parent)) == "redis";
}

formats::rdb::Producer LayoutProducerOf(std::string_view path) {
  return InEnterpriseLayout(path) ? formats::rdb::Producer::kRedisEnterprise
                                  : formats::rdb::Producer::kRedis;
}

}  // namespace shardkit::loader
