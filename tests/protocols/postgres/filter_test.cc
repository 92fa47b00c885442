// dbsnap backup --tables/--exclude-table of a PostgreSQL database selects
// what pg_dump -t/-T selects: the backup, restored with psql, gives the same
// database as pg_dump's own plain output with the same patterns, restored
// the same way; the manifest lists only the selected tables.
//
// Needs DBSNAP_TEST_PG_URL (tools/test.sh starts the server). Each test loads
// its fixture into a scratch source database and restores into two others.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

// What the selected relations need and -t leaves out (pg_dump -t does not
// dump schemas, types or functions): created in both targets beforehand.
constexpr const char* kPrelude = R"(
CREATE SCHEMA app;
CREATE SCHEMA other;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
  AS $$BEGIN NEW.updated := now(); RETURN NEW; END$$;
)";

// Two schemas, tables named alike in both, and every kind of part a table
// carries: serial and identity sequences, defaults, CHECK, primary, unique
// and foreign keys, indexes, a partitioned table with its partition and
// attached index, triggers, a rule, row security and a policy, comments,
// privileges, extended statistics, a view, a materialized view, a sequence
// owned by a table that -T leaves out, a free sequence, a publication and a
// large object.
constexpr const char* kFixture = R"(
CREATE TABLE public.film (
  id serial PRIMARY KEY,
  title text NOT NULL CHECK (title <> ''),
  mood app.mood DEFAULT 'ok',
  updated timestamptz);
CREATE INDEX film_title ON public.film (title);
CREATE TRIGGER film_touch BEFORE UPDATE ON public.film
  FOR EACH ROW EXECUTE FUNCTION app.touch();
COMMENT ON TABLE public.film IS 'films';
COMMENT ON COLUMN public.film.title IS 'the title';
GRANT SELECT ON public.film TO PUBLIC;
CREATE STATISTICS public.film_stats ON title, mood FROM public.film;
CREATE TABLE public.film_text (id serial, film_id int PRIMARY KEY REFERENCES public.film, body text);
CREATE TABLE public.film_actor (
  film_id int REFERENCES public.film, actor text UNIQUE,
  n int GENERATED ALWAYS AS IDENTITY);
ALTER TABLE public.film_actor ENABLE ROW LEVEL SECURITY;
CREATE POLICY named ON public.film_actor USING (actor <> '');
CREATE RULE keep AS ON DELETE TO public.film_actor WHERE old.actor = 'keep' DO INSTEAD NOTHING;
CREATE TABLE public.film_log (at date NOT NULL, msg text) PARTITION BY RANGE (at);
CREATE TABLE public.film_log_2024 PARTITION OF public.film_log
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX film_log_at ON public.film_log (at);
CREATE SEQUENCE public.film_free_seq START 7;
SELECT nextval('public.film_free_seq');
CREATE VIEW public.film_list AS SELECT id, title FROM public.film;
CREATE MATERIALIZED VIEW public.film_moods AS SELECT mood, count(*) AS n FROM public.film GROUP BY mood;
CREATE TABLE public.actor (id int PRIMARY KEY, name text);
CREATE PUBLICATION filter_pub FOR TABLE public.film, public.actor;
CREATE TABLE other.film (id int PRIMARY KEY, note text);
CREATE TABLE other.extra (id bigserial, label text);
CREATE FUNCTION other.twice(int) RETURNS int LANGUAGE sql AS 'SELECT $1 * 2';
INSERT INTO public.film (title, mood) VALUES ('a', 'sad'), ('b', 'happy'), ('c', DEFAULT);
INSERT INTO public.film_text (film_id, body) VALUES (1, 'one'), (2, 'two');
INSERT INTO public.film_actor (film_id, actor) VALUES (1, 'x'), (2, 'y'), (3, 'keep');
INSERT INTO public.film_log VALUES ('2024-03-01', 'm');
INSERT INTO public.actor VALUES (1, 'x');
INSERT INTO other.film VALUES (1, 'other');
INSERT INTO other.extra (label) VALUES ('e1'), ('e2');
REFRESH MATERIALIZED VIEW public.film_moods;
SELECT pg_catalog.lo_from_bytea(0, 'blob');
)";

// Restores a plain-SQL gzip file into db with the reference client only.
void restore_with_psql(const fs::path& sql_gz, const std::string& db) {
  auto r = run_shell("gunzip -c " + shell_quote(sql_gz.string()) +
                     " | psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(pg_url_for(db)) +
                     " >/dev/null");
  ASSERT_EQ(r.exit_code, 0) << "restore of " << sql_gz << " with psql failed: " << r.describe();
}

// pg_dump's and dbsnap's pattern arguments: -t/-T and --tables/--exclude-table.
struct Patterns {
  std::vector<std::string> include, exclude;
};

std::vector<std::string> args(const Patterns& p, const char* include, const char* exclude) {
  std::vector<std::string> out;
  for (const auto& t : p.include) out.insert(out.end(), {include, t});
  for (const auto& t : p.exclude) out.insert(out.end(), {exclude, t});
  return out;
}

// Backs up source with dbsnap and with pg_dump under the same patterns,
// restores each with psql into a fresh database (after prelude when not
// empty) and compares the two; returns the manifest's tables.
std::set<std::string> compare_with_pg_dump(const std::string& source, const Patterns& patterns,
                                           const std::string& prelude) {
  ScratchPgDatabase by_pg_dump("filter_ref");
  ScratchPgDatabase by_dbsnap("filter_dst");
  if (!prelude.empty()) {
    pg_exec(by_pg_dump.name(), prelude);
    pg_exec(by_dbsnap.name(), prelude);
  }
  ScratchDir dir;
  fs::path reference = dir.path() / "pg_dump.sql.gz";
  std::string pg_dump = "pg_dump --no-sync";
  for (const auto& a : args(patterns, "-t", "-T")) pg_dump += " " + shell_quote(a);
  auto r = run_shell(pg_dump + " -d " + shell_quote(pg_url_for(source)) + " | gzip > " +
                     shell_quote(reference.string()));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  if (r.exit_code != 0) return {};

  fs::path volume = dir.path() / "volume";
  std::vector<std::string> backup = {"backup",        pg_url_for(source), "--to",
                                     volume.string(), "--jobs",           "2"};
  for (const auto& a : args(patterns, "--tables", "--exclude-table")) backup.push_back(a);
  auto b = run_dbsnap(backup);
  EXPECT_EQ(b.exit_code, 0) << "dbsnap backup failed: " << b.describe();
  auto data = find_files(volume, ".sql.gz");
  auto manifests = find_files(volume, ".manifest.json");
  EXPECT_EQ(data.size(), 1u);
  EXPECT_EQ(manifests.size(), 1u);
  if (b.exit_code != 0 || data.size() != 1 || manifests.size() != 1) return {};

  restore_with_psql(reference, by_pg_dump.name());
  restore_with_psql(data[0], by_dbsnap.name());
  if (::testing::Test::HasFatalFailure()) return {};
  expect_same_pg_database(by_pg_dump.name(), by_dbsnap.name());

  auto manifest = nlohmann::json::parse(read_file(manifests[0]));
  std::set<std::string> tables;
  for (const auto& [name, rows] : manifest["tables"].items()) tables.insert(name);
  return tables;
}

class PgTableFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_exec(source_.name(), kPrelude);
    pg_exec(source_.name(), kFixture);
  }
  ScratchPgDatabase source_{"filter_src"};
};

TEST_F(PgTableFilter, IncludeAndExcludeSelectAsPgDump) {
  auto tables = compare_with_pg_dump(source_.name(), {{"public.film*"}, {"*_text"}}, kPrelude);
  EXPECT_EQ(tables,
            (std::set<std::string>{"public.film", "public.film_actor", "public.film_log_2024"}));
}

TEST_F(PgTableFilter, IncludeAloneSelectsAsPgDump) {
  auto tables = compare_with_pg_dump(source_.name(), {{"film", "other.*"}, {}}, kPrelude);
  EXPECT_EQ(tables, (std::set<std::string>{"public.film", "other.film", "other.extra"}));
}

TEST_F(PgTableFilter, ExcludeAloneSelectsAsPgDump) {
  // film_text's serial sequence stays (without OWNED BY), as with pg_dump.
  auto tables = compare_with_pg_dump(source_.name(), {{}, {"*_text", "other.f*"}}, "");
  EXPECT_EQ(tables, (std::set<std::string>{"public.film", "public.film_actor",
                                           "public.film_log_2024", "public.actor", "other.extra",
                                           "pg_catalog.pg_largeobject_metadata"}));
}

TEST(PgTableFilterPagila, ExcludeSelectsAsPgDump) {
  DBSNAP_SKIP_WITHOUT_DATA_SET("pagila");
  ScratchPgDatabase source("filter_pagila");
  fs::path dir = datasets_dir() / "pagila";
  pg_load_sql_file(source.name(), dir / "pagila-schema.sql");
  pg_load_sql_file(source.name(), dir / "pagila-data.sql");
  auto tables = compare_with_pg_dump(source.name(), {{}, {"*_text"}}, "");
  EXPECT_FALSE(tables.empty());
  EXPECT_EQ(tables.count("public.film_text"), 0u);
  EXPECT_EQ(tables.count("public.film"), 1u);
}

}  // namespace
}  // namespace dbsnap::test
