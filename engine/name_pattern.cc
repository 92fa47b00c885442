#include "engine/name_pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "engine/error.h"

namespace dbsnap {
namespace {

constexpr std::string_view kRegexSpecial = "|*+?()[]{}.^$\\";

// The dotted parts of text as anchored ECMAScript regular expressions
// (psql's processSQLNamePattern for postgres; literal but for * and ? for mysql).
std::vector<std::string> translate(std::string_view text, PatternDialect dialect,
                                   std::string_view what) {
  bool postgres = dialect == PatternDialect::postgres;
  char quote = postgres ? '"' : '`';
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    std::string& out = parts.back();
    if (c == quote) {
      if (quoted && i + 1 < text.size() && text[i + 1] == quote) {
        out += c;
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (!quoted && c == '.') {
      parts.emplace_back();
    } else if (!quoted && c == '*') {
      out += ".*";
    } else if (!quoted && c == '?') {
      out += '.';
    } else if (postgres && !quoted && c != '$') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (kRegexSpecial.find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  if (quoted)
    throw Error(ExitCode::usage, fmt::format("{} pattern '{}' has an unclosed {}", what, text,
                                             postgres ? "double quote" : "backquote"));
  if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); }))
    throw Error(ExitCode::usage, fmt::format("{} pattern '{}' has an empty name", what, text));
  return parts;
}

std::regex compile(const std::string& part, std::string_view text, std::string_view what) {
  try {
    return std::regex(part, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error(
        ExitCode::usage,
        fmt::format("{} pattern '{}' is not a valid regular expression: {}", what, text, e.what()));
  }
}

}  // namespace

NamePattern NamePattern::table(std::string_view text, PatternDialect dialect) {
  std::vector<std::string> parts = translate(text, dialect, "table");
  if (parts.size() > 2)
    throw Error(ExitCode::usage,
                fmt::format("table pattern '{}' has too many dotted names (at most {}.table)", text,
                            dialect == PatternDialect::postgres ? "schema" : "database"));
  NamePattern pattern;
  pattern.text_ = std::string(text);
  pattern.name_ = compile(parts.back(), text, "table");
  if (parts.size() == 2) {
    pattern.any_schema_ = false;
    pattern.schema_ = compile(parts.front(), text, "table");
  } else if (dialect == PatternDialect::postgres) {
    pattern.any_schema_ = false;
    pattern.schema_ = std::regex("public");
  }
  return pattern;
}

NamePattern NamePattern::database(std::string_view text, PatternDialect dialect) {
  std::vector<std::string> parts = translate(text, dialect, "database");
  if (parts.size() > 1)
    throw Error(ExitCode::usage,
                fmt::format("database pattern '{}' has a '.'; quote it to match a dot", text));
  NamePattern pattern;
  pattern.text_ = std::string(text);
  pattern.name_ = compile(parts.front(), text, "database");
  return pattern;
}

bool NamePattern::matches(std::string_view schema, std::string_view name) const {
  if (!any_schema_ && !std::regex_match(schema.begin(), schema.end(), schema_)) return false;
  return std::regex_match(name.begin(), name.end(), name_);
}

bool TableFilter::selects(std::string_view schema, std::string_view name) const {
  auto hit = [&](const NamePattern& p) { return p.matches(schema, name); };
  if (!include.empty() && std::none_of(include.begin(), include.end(), hit)) return false;
  return std::none_of(exclude.begin(), exclude.end(), hit);
}

TableFilter TableFilter::of(const std::vector<std::string>& include,
                            const std::vector<std::string>& exclude, PatternDialect dialect) {
  TableFilter f;
  for (const auto& t : include) f.include.push_back(NamePattern::table(t, dialect));
  for (const auto& t : exclude) f.exclude.push_back(NamePattern::table(t, dialect));
  return f;
}

std::vector<std::string> exclude_databases(const std::vector<std::string>& names,
                                           const std::vector<NamePattern>& exclude) {
  std::vector<std::string> kept;
  for (const std::string& name : names)
    if (std::none_of(exclude.begin(), exclude.end(),
                     [&](const NamePattern& p) { return p.matches("", name); }))
      kept.push_back(name);
  return kept;
}

}  // namespace dbsnap
