#include "formats/aof/aof_manifest.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace shardkit::formats::aof {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One double-quoted token starting after the opening quote; advances *i past
// the closing quote.
Status ReadDoubleQuoted(std::string_view line, size_t* i, std::string* out) {
  size_t p = *i;
  while (p < line.size()) {
    char c = line[p];
    if (c == '\\' && p + 3 < line.size() && line[p + 1] == 'x' && HexValue(line[p + 2]) >= 0 &&
        HexValue(line[p + 3]) >= 0) {
      out->push_back(static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
      p += 4;
    } else if (c == '\\' && p + 1 < line.size()) {
      char e = line[p + 1];
      switch (e) {
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'a':
          out->push_back('\a');
          break;
        default:
          out->push_back(e);
          break;
      }
      p += 2;
    } else if (c == '"') {
      // The closing quote must end the token.
      if (p + 1 < line.size() && !IsSpace(line[p + 1])) {
        return Status::Corruption("closing quote must be followed by a space");
      }
      *i = p + 1;
      return Status();
    } else {
      out->push_back(c);
      ++p;
    }
  }
  return Status::Corruption("unbalanced double quotes");
}

Status ReadSingleQuoted(std::string_view line, size_t* i, std::string* out) {
  size_t p = *i;
  while (p < line.size()) {
    char c = line[p];
    if (c == '\\' && p + 1 < line.size() && line[p + 1] == '\'') {
      out->push_back('\'');
      p += 2;
    } else if (c == '\'') {
      if (p + 1 < line.size() && !IsSpace(line[p + 1])) {
        return Status::Corruption("closing quote must be followed by a space");
      }
      *i = p + 1;
      return Status();
    } else {
      out->push_back(c);
      ++p;
    }
  }
  return Status::Corruption("unbalanced single quotes");
}

Result<uint64_t> ParsePositive(std::string_view s) {
  if (s.empty() || s.size() > 19) return Status::Corruption("bad number");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Status::Corruption("bad number");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Result<int64_t> ParseSigned(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  SK_ASSIGN_OR_RETURN(uint64_t v, ParsePositive(negative ? s.substr(1) : s));
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

bool KeyIs(const std::string& key, const char* name) { return strcasecmp(key.c_str(), name) == 0; }

// Applies the tokens of one line to *info; `what` names the first problem.
Status ParseEntry(const std::vector<std::string>& tokens, AofFileInfo* info) {
  bool has_file = false, has_seq = false, has_type = false;
  for (size_t j = 0; j + 1 < tokens.size(); j += 2) {
    const std::string& key = tokens[j];
    const std::string& value = tokens[j + 1];
    if (KeyIs(key, "file")) {
      SK_RETURN_IF_ERROR(ValidateAofFileName(value));
      info->name = value;
      has_file = true;
    } else if (KeyIs(key, "seq")) {
      auto seq = ParsePositive(value);
      if (!seq.ok() || *seq == 0) {
        return Status::Corruption("seq must be a positive integer, got \"" + value + "\"");
      }
      info->seq = *seq;
      has_seq = true;
    } else if (KeyIs(key, "type")) {
      if (value.size() != 1 || (value[0] != 'b' && value[0] != 'h' && value[0] != 'i')) {
        return Status::Corruption("unknown AOF file type \"" + value + "\"");
      }
      info->type = static_cast<AofFileType>(value[0]);
      has_type = true;
    } else if (KeyIs(key, "startoffset") || KeyIs(key, "endoffset")) {
      auto v = ParseSigned(value);
      if (!v.ok()) return Status::Corruption(key + " must be an integer, got \"" + value + "\"");
      (KeyIs(key, "startoffset") ? info->start_offset : info->end_offset) = *v;
    } else {
      // Ignored, as Redis does (forward compatibility); callers report it.
      info->unknown_keys.push_back(key);
    }
  }
  if (!has_file || !has_seq || !has_type) {
    return Status::Corruption(std::string("missing ") +
                              (!has_file ? "file" : (!has_seq ? "seq" : "type")));
  }
  return Status();
}

std::string TrimLine(std::string_view line) {
  size_t b = 0, e = line.size();
  auto trim = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (b < e && trim(line[b])) ++b;
  while (e > b && trim(line[e - 1])) --e;
  return std::string(line.substr(b, e - b));
}

}  // namespace

std::vector<const AofFileInfo*> AofManifest::LoadOrder() const {
  std::vector<const AofFileInfo*> order;
  if (base.has_value()) order.push_back(&*base);
  for (const auto& f : incr) order.push_back(&f);
  return order;
}

std::vector<std::string> AofManifest::Warnings(std::string_view manifest_name) const {
  std::vector<std::string> out;
  auto add = [&](const AofFileInfo& f) {
    for (const std::string& k : f.unknown_keys) {
      std::string shown;
      for (unsigned char c : k.substr(0, 64)) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          shown += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          shown += buf;
        }
      }
      out.push_back(std::string(manifest_name) + " line " + std::to_string(f.line) +
                    ": unknown key \"" + shown + "\" ignored (as Redis does)");
    }
  };
  std::vector<const AofFileInfo*> all;
  if (base.has_value()) all.push_back(&*base);
  for (const auto& f : history) all.push_back(&f);
  for (const auto& f : incr) all.push_back(&f);
  std::sort(all.begin(), all.end(),
            [](const AofFileInfo* a, const AofFileInfo* b) { return a->line < b->line; });
  for (const AofFileInfo* f : all) add(*f);
  return out;
}

Result<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> tokens;
  size_t i = 0;
  // Each pass consumes at least one byte or ends the loop.
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) break;
    std::string token;
    bool done = false;
    while (!done && i < line.size()) {
      char c = line[i];
      if (c == '"') {
        ++i;
        SK_RETURN_IF_ERROR(ReadDoubleQuoted(line, &i, &token));
      } else if (c == '\'') {
        ++i;
        SK_RETURN_IF_ERROR(ReadSingleQuoted(line, &i, &token));
      } else if (IsSpace(c)) {
        done = true;
      } else {
        token.push_back(c);
        ++i;
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

Status ValidateAofFileName(std::string_view name) {
  if (name.empty()) return Status::Corruption("empty file name");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return Status::Corruption("file can't be a path, just a filename: \"" + std::string(name) +
                              "\"");
  }
  if (name == "." || name == "..") {
    return Status::Corruption("file name \"" + std::string(name) + "\" leaves the directory");
  }
  if (name.find('\0') != std::string_view::npos) {
    return Status::Corruption("file name contains a NUL byte");
  }
  // A name is written back quoted (\xHH per odd byte): its line must still
  // fit the manifest's line limit, or a manifest we write would not load.
  // 64 bytes leave room for "file  seq <n> type <c>" and the offsets.
  const size_t quoted = QuoteManifestName(name).size();
  if (quoted > kManifestMaxLineBytes - 64) {
    return Status::Corruption("file name too long: " + std::to_string(quoted) +
                              " bytes once quoted, a manifest line holds " +
                              std::to_string(kManifestMaxLineBytes));
  }
  return Status();
}

Result<AofManifest> ParseAofManifest(std::string_view text, std::string_view manifest_name) {
  AofManifest manifest;
  uint64_t max_incr_seq = 0;
  int line_no = 0;
  size_t entries = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    std::string_view raw = text.substr(pos, end - pos);
    pos = end;
    ++line_no;
    auto fail = [&](std::string_view what) {
      std::string shown(raw.substr(0, 120));
      while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.pop_back();
      return Status::Corruption(std::string(manifest_name) + " line " + std::to_string(line_no) +
                                ": " + std::string(what) + ": \"" + shown + "\"");
    };
    if (raw.size() > kManifestMaxLineBytes) {
      return fail("line longer than " + std::to_string(kManifestMaxLineBytes) + " bytes");
    }
    if (raw[0] == '#') continue;
    std::string line = TrimLine(raw);
    if (line.empty()) return fail("invalid AOF manifest format (empty line)");
    auto tokens = SplitArgs(line);
    if (!tokens.ok()) return fail(tokens.status().message());
    if (tokens->size() < 6 || tokens->size() % 2 != 0) {
      return fail("invalid AOF manifest format (" + std::to_string(tokens->size()) +
                  " tokens; need an even number, at least 6)");
    }
    AofFileInfo info;
    info.line = line_no;
    Status parsed = ParseEntry(*tokens, &info);
    if (!parsed.ok()) return fail(parsed.message());
    ++entries;
    switch (info.type) {
      case AofFileType::kBase:
        if (manifest.base.has_value()) {
          return fail("duplicate base file (first on line " + std::to_string(manifest.base->line) +
                      ")");
        }
        manifest.base = std::move(info);
        break;
      case AofFileType::kHistory:
        manifest.history.push_back(std::move(info));
        break;
      case AofFileType::kIncr:
        if (info.seq <= max_incr_seq) {
          return fail("non-monotonic incr sequence number " + std::to_string(info.seq) + " after " +
                      std::to_string(max_incr_seq));
        }
        max_incr_seq = info.seq;
        manifest.incr.push_back(std::move(info));
        break;
    }
  }
  if (entries == 0) {
    return Status::Corruption(std::string(manifest_name) + ": empty AOF manifest (no file lines)");
  }
  return manifest;
}

std::string QuoteManifestName(std::string_view name) {
  bool needs = false;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"' || c == '\'' || !std::isprint(u) || std::isspace(u)) needs = true;
  }
  if (!needs) return std::string(name);
  std::string out = "\"";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(u)) {
          out.push_back(c);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\x%02x", u);
          out += hex;
        }
    }
  }
  out.push_back('"');
  return out;
}

static void FormatEntry(const AofFileInfo& f, std::string* out) {
  *out += "file " + QuoteManifestName(f.name) + " seq " + std::to_string(f.seq) + " type ";
  out->push_back(static_cast<char>(f.type));
  if (f.start_offset.has_value()) *out += " startoffset " + std::to_string(*f.start_offset);
  if (f.end_offset.has_value()) *out += " endoffset " + std::to_string(*f.end_offset);
  out->push_back('\n');
}

std::string FormatAofManifest(const AofManifest& manifest) {
  std::string out;
  if (manifest.base.has_value()) FormatEntry(*manifest.base, &out);
  for (const auto& f : manifest.history) FormatEntry(f, &out);
  for (const auto& f : manifest.incr) FormatEntry(f, &out);
  return out;
}

std::string BaseFileName(std::string_view prefix, uint64_t seq, bool rdb) {
  return std::string(prefix) + "." + std::to_string(seq) + ".base." + (rdb ? "rdb" : "aof");
}
std::string IncrFileName(std::string_view prefix, uint64_t seq) {
  return std::string(prefix) + "." + std::to_string(seq) + ".incr.aof";
}
std::string ManifestFileName(std::string_view prefix) { return std::string(prefix) + ".manifest"; }

}  // namespace shardkit::formats::aof
