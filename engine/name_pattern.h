// Table and database name patterns for `backup --tables/-t`,
// `--exclude-table/-T` and `--exclude-database`, with pg_dump's rules for
// PostgreSQL and the same shape for MySQL/MariaDB names. Pure; thread-safe
// once built.
//
// PostgreSQL (psql docs, "Patterns", as pg_dump -t/-T apply them; the
// translation follows psql's processSQLNamePattern):
//   - "schema.table"; an unqualified pattern matches tables of schema
//     "public" (what pg_dump's default search_path makes visible, "$user"
//     schemas aside). More than one '.' outside quotes is an error.
//   - outside double quotes: '*' is any run of characters, '?' any one
//     character, letters are folded to lower case, '$' is literal, and other
//     regular-expression notation ("[0-9]", "(a|b)") works as in PostgreSQL.
//   - inside double quotes everything is literal and keeps its case; '""'
//     is one '"'. "Film"* matches Film, Films, not film.
//   - the whole name must match (the pattern is anchored).
// MySQL/MariaDB (mysqldump takes only exact names; dbsnap adds the same
// wildcards): "database.table" or "table" (any database); '*' and '?' as
// above; every other character is literal and case is exact (as on a server
// with lower_case_table_names=0); backquotes quote ('``' is one '`').
// Database patterns have one part and the same rules.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/url.h"

namespace dbsnap {

enum class PatternDialect { postgres, mysql };

// The dialect of a server kind's patterns: PostgreSQL's, or MySQL's for
// MySQL and MariaDB.
constexpr PatternDialect pattern_dialect(ServerKind kind) {
  return kind == ServerKind::postgres ? PatternDialect::postgres : PatternDialect::mysql;
}

class NamePattern {
 public:
  // Throws dbsnap::Error(ExitCode::usage) naming the pattern for an empty
  // one, too many dotted parts, an unclosed quote or a bad regular expression.
  static NamePattern table(std::string_view text, PatternDialect dialect);
  static NamePattern database(std::string_view text, PatternDialect dialect);

  // Whether a table schema.name (MySQL: database.name) matches a table
  // pattern, or a database name (schema ignored) a database pattern.
  bool matches(std::string_view schema, std::string_view name) const;
  const std::string& text() const { return text_; }

 private:
  NamePattern() = default;
  std::string text_;
  bool any_schema_ = true;  // no schema part (MySQL), or a database pattern
  std::regex schema_;       // anchored
  std::regex name_;         // anchored
};

// Which tables a backup takes: those matching any include pattern (every
// table when there is none) and no exclude pattern, as pg_dump -t/-T.
struct TableFilter {
  std::vector<NamePattern> include;
  std::vector<NamePattern> exclude;
  bool empty() const { return include.empty() && exclude.empty(); }
  bool selects(std::string_view schema, std::string_view name) const;

  // The filter of the table patterns given to -t (include) and -T (exclude).
  // Throws what NamePattern::table throws.
  static TableFilter of(const std::vector<std::string>& include,
                        const std::vector<std::string>& exclude, PatternDialect dialect);
};

// The databases of names that match no pattern of exclude, in order.
std::vector<std::string> exclude_databases(const std::vector<std::string>& names,
                                           const std::vector<NamePattern>& exclude);

}  // namespace dbsnap
