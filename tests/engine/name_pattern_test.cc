// Table and database patterns: the rules alone, then every PostgreSQL pattern
// against the tables pg_dump -t/-T selects on a real server.
#include "engine/name_pattern.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/pg.h"

namespace dbsnap {
namespace {

using Table = std::pair<std::string, std::string>;  // schema, name

bool pg(std::string_view pattern, std::string_view schema, std::string_view name) {
  return NamePattern::table(pattern, PatternDialect::postgres).matches(schema, name);
}

bool my(std::string_view pattern, std::string_view database, std::string_view name) {
  return NamePattern::table(pattern, PatternDialect::mysql).matches(database, name);
}

std::string usage_error(std::string_view pattern, PatternDialect dialect) {
  try {
    NamePattern::table(pattern, dialect);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    return e.what();
  }
  ADD_FAILURE() << pattern << " parsed";
  return {};
}

TEST(NamePattern, PostgresFoldsCaseUnlessQuoted) {
  EXPECT_TRUE(pg("film", "public", "film"));
  EXPECT_TRUE(pg("FILM", "public", "film"));
  EXPECT_FALSE(pg("Film", "public", "Film"));
  EXPECT_TRUE(pg("\"Film\"", "public", "Film"));
  EXPECT_FALSE(pg("\"Film\"", "public", "film"));
  EXPECT_TRUE(pg("\"Say \"\"hi\"\"\"", "public", "Say \"hi\""));
}

TEST(NamePattern, PostgresWildcardsSchemasAndRegex) {
  EXPECT_TRUE(pg("film*", "public", "film_actor"));
  EXPECT_TRUE(pg("f?lm", "public", "film"));
  EXPECT_FALSE(pg("f?lm", "public", "fiilm"));
  EXPECT_FALSE(pg("film", "other", "film")) << "unqualified: schema public";
  EXPECT_TRUE(pg("other.film", "other", "film"));
  EXPECT_TRUE(pg("*.film", "other", "film"));
  EXPECT_TRUE(pg("\"a.b\"", "public", "a.b"));
  EXPECT_FALSE(pg("\"a*\"", "public", "ab")) << "quoted * is literal";
  EXPECT_TRUE(pg("x$y", "public", "x$y"));
  EXPECT_TRUE(pg("t[0-9]+", "public", "t22"));
  EXPECT_FALSE(pg("t[0-9]", "public", "t22")) << "anchored";
}

TEST(NamePattern, MysqlIsExactCaseWithWildcards) {
  EXPECT_TRUE(my("film", "sakila", "film"));
  EXPECT_FALSE(my("Film", "sakila", "film"));
  EXPECT_TRUE(my("sakila.film*", "sakila", "film_text"));
  EXPECT_FALSE(my("other.film", "sakila", "film"));
  EXPECT_TRUE(my("f?lm", "sakila", "film"));
  EXPECT_FALSE(my("t[0-9]", "sakila", "t1")) << "no regular expressions";
  EXPECT_TRUE(my("t[0-9]", "sakila", "t[0-9]"));
  EXPECT_TRUE(my("`a.b`", "sakila", "a.b"));
}

TEST(NamePattern, RefusesBadPatterns) {
  EXPECT_EQ(usage_error("a.b.c", PatternDialect::postgres),
            "table pattern 'a.b.c' has too many dotted names (at most schema.table)");
  EXPECT_EQ(usage_error("\"open", PatternDialect::postgres),
            "table pattern '\"open' has an unclosed double quote");
  EXPECT_EQ(usage_error("s.", PatternDialect::mysql), "table pattern 's.' has an empty name");
  EXPECT_NE(usage_error("t[0-9", PatternDialect::postgres)
                .find("table pattern 't[0-9' is not a valid regular expression"),
            std::string::npos);
}

TEST(NamePattern, FilterIncludesThenExcludes) {
  TableFilter filter;
  EXPECT_TRUE(filter.selects("public", "anything"));
  filter.include.push_back(NamePattern::table("film*", PatternDialect::postgres));
  filter.exclude.push_back(NamePattern::table("film_text", PatternDialect::postgres));
  EXPECT_TRUE(filter.selects("public", "film"));
  EXPECT_FALSE(filter.selects("public", "film_text"));
  EXPECT_FALSE(filter.selects("public", "actor"));
}

TEST(NamePattern, ExcludeDatabases) {
  std::vector<NamePattern> exclude{NamePattern::database("test_*", PatternDialect::postgres),
                                   NamePattern::database("\"Scratch\"", PatternDialect::postgres)};
  EXPECT_EQ(exclude_databases({"app", "test_1", "Scratch", "scratch"}, exclude),
            (std::vector<std::string>{"app", "scratch"}));
  EXPECT_THROW(NamePattern::database("a.b", PatternDialect::mysql), Error);
}

// The tables pg_dump --schema-only with these -t/-T arguments dumps.
std::set<Table> pg_dump_selects(const std::string& db, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"pg_dump", "--schema-only", "--no-sync", "-d",
                                test::pg_url_for(db)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run(argv);
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  static const std::regex name(R"(^-- Name: (.*); Type: TABLE; Schema: (.*); Owner: )",
                               std::regex::multiline);
  std::set<Table> tables;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), name), end; it != end; ++it)
    tables.emplace((*it)[2], (*it)[1]);
  return tables;
}

TEST(NamePattern, SelectsWhatPgDumpSelects) {
  std::string db = test::unique_name("pattern");
  test::pg_create_database(db);
  test::pg_exec(db, R"(
    CREATE SCHEMA other; CREATE SCHEMA "Mixed Case";
    CREATE TABLE film (i int); CREATE TABLE "Film" (i int); CREATE TABLE films (i int);
    CREATE TABLE film_actor (i int); CREATE TABLE actor (i int); CREATE TABLE other.film (i int);
    CREATE TABLE "Mixed Case".t1 (i int); CREATE TABLE "a.b" (i int); CREATE TABLE "x$y" (i int);
    CREATE TABLE t1 (i int); CREATE TABLE t22 (i int); CREATE TABLE "fIlm" (i int);)");
  std::set<Table> all;
  for (const auto& row : test::pg_query(db,
                                        "SELECT n.nspname, c.relname FROM pg_class c JOIN "
                                        "pg_namespace n ON n.oid = c.relnamespace WHERE "
                                        "c.relkind = 'r' AND n.nspname NOT IN "
                                        "('pg_catalog', 'information_schema')"))
    all.emplace(row[0], row[1]);
  ASSERT_EQ(all.size(), 12u);
  struct Case {
    std::vector<std::string> include, exclude;
  };
  for (const Case& c : std::vector<Case>{
           {{"film"}, {}},
           {{"FILM"}, {}},
           {{"\"Film\""}, {}},
           {{"film*"}, {}},
           {{"f?lm"}, {}},
           {{"*.film"}, {}},
           {{"other.*"}, {}},
           {{"\"Mixed Case\".*"}, {}},
           {{"\"a.b\""}, {}},
           {{"x$y"}, {}},
           {{"t[0-9]"}, {}},
           {{"t[0-9]+"}, {}},
           {{"*"}, {}},
           {{"*.*"}, {}},
           {{"film*", "actor"}, {"films"}},
           {{}, {"film*"}},
           {{}, {"*.film", "t?"}},
           {{"\"fI\"*"}, {}},
       }) {
    std::vector<std::string> args;
    TableFilter filter;
    for (const auto& p : c.include) {
      args.insert(args.end(), {"-t", p});
      filter.include.push_back(NamePattern::table(p, PatternDialect::postgres));
    }
    for (const auto& p : c.exclude) {
      args.insert(args.end(), {"-T", p});
      filter.exclude.push_back(NamePattern::table(p, PatternDialect::postgres));
    }
    std::set<Table> ours;
    for (const Table& t : all)
      if (filter.selects(t.first, t.second)) ours.insert(t);
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    // pg_dump -t '*' also takes catalog tables (pg_catalog is always on the
    // search path); a backup holds user tables only, so only those compare.
    std::set<Table> theirs;
    for (const Table& t : pg_dump_selects(db, args))
      if (all.contains(t)) theirs.insert(t);
    EXPECT_EQ(ours, theirs) << shown;
    EXPECT_FALSE(ours.empty()) << shown;
  }
  test::pg_drop_database(db);
}

}  // namespace
}  // namespace dbsnap
