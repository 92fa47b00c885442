// End to end: dbsnap backup of a PostgreSQL database, restored with the stock
// tools (gunzip -c | psql), gives the same schema and the same content.
//
// Needs DBSNAP_TEST_PG_URL (tools/test.sh starts the server). Each test loads
// its fixture into a scratch source database and restores into another.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

// A set of SQL files loaded in order with psql.
struct Fixture {
  std::string name;
  std::vector<fs::path> files;
};

Fixture pagila() {
  fs::path dir = datasets_dir() / "pagila";
  return {"pagila", {dir / "pagila-schema.sql", dir / "pagila-data.sql"}};
}

// The project's own fixtures: tests/protocols/postgres/<name>_schema.sql.
Fixture project_fixture(const std::string& name) {
  return {name, {source_dir() / "tests" / "protocols" / "postgres" / (name + "_schema.sql")}};
}

Fixture fixture_named(const std::string& name) {
  return name == "pagila" ? pagila() : project_fixture(name);
}

void load(const Fixture& f, const std::string& db) {
  for (const auto& file : f.files) {
    ASSERT_TRUE(fs::exists(file)) << "fixture file " << file << " is missing";
    pg_load_sql_file(db, file);
  }
}

// Restores a plain-SQL gzip file into db with the reference client only.
void restore_with_psql(const fs::path& sql_gz, const std::string& db) {
  auto r = run_shell("gunzip -c " + shell_quote(sql_gz.string()) +
                     " | psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(pg_url_for(db)) +
                     " >/dev/null");
  ASSERT_EQ(r.exit_code, 0) << "restore of " << sql_gz << " with psql failed: " << r.describe();
}

struct Snapshot {
  fs::path data;      // <ts>-<id>.sql.gz
  fs::path manifest;  // <ts>-<id>.manifest.json
};

// The one snapshot under volume (DIR/<host-port>/<db>/...); fails the test if
// there is not exactly one of each file.
Snapshot only_snapshot(const fs::path& volume) {
  auto data = find_files(volume, ".sql.gz");
  auto manifests = find_files(volume, ".manifest.json");
  EXPECT_EQ(data.size(), 1u) << "expected one .sql.gz under " << volume;
  EXPECT_EQ(manifests.size(), 1u) << "expected one .manifest.json under " << volume;
  if (data.size() != 1 || manifests.size() != 1) return {};
  return {data[0], manifests[0]};
}

class PgRoundTrip : public ::testing::TestWithParam<std::tuple<std::string, int>> {};
class PgRoundTripPgDump : public ::testing::TestWithParam<std::string> {};

// The comparison itself is sound: pg_dump's own plain output, restored with
// psql, compares equal. If this fails, the fixture or the helpers are wrong,
// not dbsnap.
TEST_P(PgRoundTripPgDump, PlainOutputComparesEqual) {
  DBSNAP_SKIP_WITHOUT_DATA_SET(GetParam());
  Fixture fixture = fixture_named(GetParam());
  ScratchPgDatabase source("ref_src_" + fixture.name);
  ScratchPgDatabase target("ref_dst_" + fixture.name);
  ASSERT_NO_FATAL_FAILURE(load(fixture, source.name()));
  ScratchDir dir;
  fs::path out = dir.path() / "dump.sql.gz";
  auto r = run_shell("pg_dump --no-sync -d " + shell_quote(source.url()) + " | gzip > " +
                     shell_quote(out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  ASSERT_NO_FATAL_FAILURE(restore_with_psql(out, target.name()));
  expect_same_pg_database(source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PgRoundTripPgDump,
                         ::testing::Values("pagila", "stress", "objects"),
                         [](const auto& info) { return info.param; });

// ... and it is sensitive: one changed value, one extra index, one sequence
// step each make a difference.
TEST(PgRoundTripReference, ComparisonSeesSmallChanges) {
  ScratchPgDatabase db("ref_sensitive");
  pg_exec(db.name(),
          "CREATE TABLE t (id serial PRIMARY KEY, v text);"
          "INSERT INTO t (v) VALUES ('a'), ('b'), (NULL)");
  auto schema = pg_schema_dump(db.name());
  auto tables = pg_table_fingerprints(db.name());
  auto sequences = pg_sequence_values(db.name());
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables.at("public.t").rows, 3u);
  EXPECT_EQ(sequences.at("public.t_id_seq"), "3");
  EXPECT_EQ(schema.find(db.name()), std::string::npos) << "the database name is not normalised";

  pg_exec(db.name(), "UPDATE t SET v = 'B' WHERE id = 2");
  EXPECT_NE(pg_table_fingerprints(db.name()), tables);
  pg_exec(db.name(), "UPDATE t SET v = 'b' WHERE id = 2");
  EXPECT_EQ(pg_table_fingerprints(db.name()), tables) << "the fingerprint depends on row order";
  pg_exec(db.name(), "UPDATE t SET v = '' WHERE id = 3");
  EXPECT_NE(pg_table_fingerprints(db.name()), tables) << "NULL and '' must differ";
  pg_exec(db.name(), "CREATE INDEX t_v ON t (v)");
  EXPECT_NE(pg_schema_dump(db.name()), schema);
  pg_exec(db.name(), "SELECT nextval('t_id_seq')");
  EXPECT_NE(pg_sequence_values(db.name()), sequences);
}

// ... materialized views too: a changed row after a refresh, and a view left
// unpopulated (which the schema dump cannot tell: it writes every one WITH NO
// DATA).
TEST(PgRoundTripReference, ComparisonSeesMaterializedViewContentAndPopulatedState) {
  ScratchPgDatabase db("ref_matview");
  pg_exec(db.name(),
          "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
          "CREATE MATERIALIZED VIEW mv AS SELECT v, count(*) AS n FROM t GROUP BY v;"
          "CREATE MATERIALIZED VIEW empty_mv AS SELECT 1 AS one WITH NO DATA");
  auto states = pg_matview_states(db.name());
  ASSERT_EQ(states.size(), 2u);
  EXPECT_TRUE(states.at("public.mv").populated);
  EXPECT_EQ(states.at("public.mv").content.rows, 2u);
  EXPECT_FALSE(states.at("public.empty_mv").populated);
  auto schema = pg_schema_dump(db.name());

  pg_exec(db.name(), "INSERT INTO t VALUES (3, 'a')");
  EXPECT_EQ(pg_matview_states(db.name()), states) << "the view holds what its refresh saw";
  pg_exec(db.name(), "REFRESH MATERIALIZED VIEW mv");
  EXPECT_NE(pg_matview_states(db.name()), states) << "a count changed after the refresh";
  pg_exec(db.name(), "DELETE FROM t WHERE id = 3; REFRESH MATERIALIZED VIEW mv");
  EXPECT_EQ(pg_matview_states(db.name()), states);

  pg_exec(db.name(), "REFRESH MATERIALIZED VIEW empty_mv");
  EXPECT_NE(pg_matview_states(db.name()), states) << "populated must differ from unpopulated";
  pg_exec(db.name(),
          "REFRESH MATERIALIZED VIEW empty_mv WITH NO DATA;"
          "REFRESH MATERIALIZED VIEW mv WITH NO DATA");
  EXPECT_NE(pg_matview_states(db.name()), states) << "mv is no longer populated";
  EXPECT_EQ(pg_schema_dump(db.name()), schema) << "the schema dump does not tell (see above)";
}

TEST_P(PgRoundTrip, BackupRestoredWithPsqlIsIdentical) {
  const auto& [fixture_name, jobs] = GetParam();
  DBSNAP_SKIP_WITHOUT_DATA_SET(fixture_name);
  Fixture fixture = fixture_named(fixture_name);
  ScratchPgDatabase source("src_" + fixture.name);
  ScratchPgDatabase target("dst_" + fixture.name);
  ASSERT_NO_FATAL_FAILURE(load(fixture, source.name()));

  ScratchDir volume;
  auto r = run_dbsnap(
      {"backup", source.url(), "--to", volume.path().string(), "--jobs", std::to_string(jobs)});
  ASSERT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  // The password never reaches the output.
  std::string password = pg_url().substr(0, pg_url().find('@'));
  password = password.substr(password.rfind(':') + 1);
  EXPECT_EQ(r.out.find(password), std::string::npos) << "stdout shows the password";
  EXPECT_EQ(r.err.find(password), std::string::npos) << "stderr shows the password";

  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());
  // Layout: <volume>/<host-port>/<db>/<ts>-<id>.sql.gz with the manifest beside it.
  EXPECT_EQ(snap.data.parent_path().filename(), source.name());
  EXPECT_EQ(snap.data.parent_path().parent_path().parent_path(), volume.path());
  EXPECT_EQ(snap.manifest.parent_path(), snap.data.parent_path());
  std::string stem = snap.data.filename().string();
  stem.resize(stem.size() - std::string(".sql.gz").size());
  EXPECT_EQ(snap.manifest.filename().string(), stem + ".manifest.json");

  auto gz = run({"gzip", "-t", snap.data.string()});
  EXPECT_EQ(gz.exit_code, 0) << "gzip -t rejects " << snap.data << ": " << gz.describe();

  auto manifest = nlohmann::json::parse(read_file(snap.manifest), nullptr, false);
  ASSERT_FALSE(manifest.is_discarded()) << "manifest is not json";
  EXPECT_EQ(manifest.value("status", ""), "completed");
  EXPECT_EQ(manifest.value("database", ""), source.name());
  EXPECT_EQ(manifest.value("data_object", ""), snap.data.filename().string());
  EXPECT_EQ(manifest.value("size", std::uint64_t{0}), fs::file_size(snap.data));
  EXPECT_EQ(manifest.dump().find(password), std::string::npos) << "manifest shows the password";

  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, target.name()));
  expect_same_pg_database(source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PgRoundTrip,
                         ::testing::Combine(::testing::Values("pagila", "stress", "objects"),
                                            ::testing::Values(1, 4)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_jobs" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST(PgBackup, MissingDatabaseExitsWith15AndLeavesNoSnapshot) {
  std::string missing = unique_name("missing");
  ScratchDir volume;
  auto r =
      run_dbsnap({"backup", pg_url_for(missing), "--to", volume.path().string(), "--jobs", "2"});
  EXPECT_EQ(r.exit_code, 15) << r.describe();
  EXPECT_NE(r.err.find(missing), std::string::npos)
      << "the error should name the database: " << r.err;
  EXPECT_TRUE(find_files(volume.path(), ".sql.gz").empty()) << "a .sql.gz was left behind";
  for (const auto& m : find_files(volume.path(), ".manifest.json"))
    EXPECT_EQ(read_file(m).find("\"completed\""), std::string::npos) << m << " claims completion";
}

// Large objects owned by another role, with a grant and a comment, one
// spanning several data chunks: back after gunzip | psql and after dbsnap
// restore --jobs 4, whose workers write the pieces in any order.
TEST(PgBackup, LargeObjectsComeBackWithPsqlAndWithParallelRestore) {
  ScratchPgDatabase source("blobs_src");
  ScratchPgDatabase by_psql("blobs_psql");
  ScratchPgDatabase by_dbsnap("blobs_dbsnap");
  std::string role = unique_name("blob_owner");
  pg_exec(source.name(), "CREATE ROLE " + role);
  pg_exec(
      source.name(),
      "SELECT pg_catalog.lo_from_bytea(0, decode(repeat(md5(i::text), 100), 'hex')) "
      "FROM generate_series(1, 300) i;"
      "SELECT pg_catalog.lo_from_bytea(424242, (SELECT string_agg(sha256(i::text::bytea), '') "
      "FROM generate_series(1, 40000) i));"
      "COMMENT ON LARGE OBJECT 424242 IS 'spans chunks';"
      "ALTER LARGE OBJECT 424242 OWNER TO " +
          role + ";" +
          "GRANT SELECT ON LARGE OBJECT 424242 TO PUBLIC;"
          "CREATE TABLE docs (id int PRIMARY KEY, body oid); INSERT INTO docs VALUES (1, 424242)");
  ScratchDir volume;
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--jobs", "2",
                       "--chunk-size", "256KiB"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());
  auto manifest = nlohmann::json::parse(read_file(snap.manifest));
  EXPECT_EQ(manifest["tables"].value("pg_catalog.pg_largeobject_metadata", 0), 301);
  int object_chunks = 0;
  for (const auto& c : manifest["chunks"])
    if (c.value("table", "") == "pg_catalog.pg_largeobject_metadata") ++object_chunks;
  EXPECT_GE(object_chunks, 4) << "1.28 MB of objects in 256 KiB chunks";

  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, by_psql.name()));
  auto restored =
      run_dbsnap({"restore", snap.manifest.string(), "--to", by_dbsnap.url(), "--jobs", "4"});
  EXPECT_EQ(restored.exit_code, 0) << restored.describe();
  auto want = pg_large_objects(source.name());
  ASSERT_EQ(want.size(), 301u);
  EXPECT_EQ(pg_large_objects(by_psql.name()), want);
  EXPECT_EQ(pg_large_objects(by_dbsnap.name()), want);
  pg_drop_database(by_psql.name());
  pg_drop_database(by_dbsnap.name());
  pg_drop_database(source.name());
  pg_exec("postgres", "DROP ROLE " + role);
}

// A row longer than a chunk is cut into a chain of chunks mid-row, between
// ordinary rows of the same table, in 1 MiB chunks here: row 5001's 2.5 MiB
// of text is read with its row and cut; row 5000's values over
// kLongValueBytes (6 MiB of bytea, 5.7 MiB of text with every byte COPY
// escapes, multi-byte characters cut between pieces, 4.3 MiB of varchar;
// not the varchar array) are read apart, in pieces, after the table's other
// rows. Its line must still be exactly what
// COPY prints. psql reads the script as ever, and `dbsnap restore --jobs 4`,
// `verify --restore-into` and `dbsnap copy` keep each chain on one session,
// in order.
TEST(PgBackup, RowsLongerThanAChunkComeInChains) {
  ScratchPgDatabase source("chain_src");
  ScratchPgDatabase by_psql("chain_psql");
  ScratchPgDatabase by_dbsnap("chain_dbsnap");
  ScratchPgDatabase copied("chain_copy");
  pg_exec(source.name(),
          "CREATE TABLE h (id int PRIMARY KEY, b bytea, t text, n int, v varchar(9000000), "
          "a varchar(10)[]);"
          "INSERT INTO h SELECT i, decode(md5(i::text), 'hex'), 'row ' || i, i, 'v', '{x}' "
          "FROM generate_series(1, 2000) i;"
          "INSERT INTO h VALUES (5000, (SELECT string_agg(sha256(i::text::bytea), '') "
          "FROM generate_series(1, 196608) i), "
          "repeat(E'tab\there\nline \\\\ \x01\x7f\b\f\v\r \u00e9\U0001F600 ', 200000), 42, "
          "repeat('v', 4500000), '{a,b}'),"
          "(5001, NULL, repeat('y', 2500000), NULL, NULL, NULL);"
          "INSERT INTO h SELECT i, NULL, 'after ' || i, i, NULL, NULL "
          "FROM generate_series(6000, 7000) i");
  ScratchDir volume;
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--jobs", "2",
                       "--chunk-size", "1MiB", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  auto manifest = nlohmann::json::parse(read_file(snap.manifest));
  int links = 0;
  for (const auto& c : manifest["chunks"]) links += c.contains("after") ? 1 : 0;
  EXPECT_GE(links, 10) << "27 MiB of long rows in 1 MiB chunks";
  EXPECT_EQ(manifest["format_version"], 2);
  auto script = run_shell("gunzip -c " + shell_quote(snap.data.string())).out;
  auto copied_line = run_shell("psql -X -q " + shell_quote(source.url()) +
                               " -c 'COPY (SELECT * FROM h WHERE id = 5000) TO STDOUT'")
                         .out;
  ASSERT_GT(copied_line.size(), 22u << 20)
      << "fixture: 12 MiB of hex, 7 MiB of escaped text, 4 MiB";
  std::size_t line = script.find("\n5000\t");
  ASSERT_NE(line, std::string::npos);
  EXPECT_TRUE(script.compare(line + 1, copied_line.size(), copied_line) == 0)
      << "the row read in pieces differs from COPY's line";
  EXPECT_GT(line, script.find("\n7000\t")) << "row 5000 was not read apart, after the others";
  EXPECT_LT(script.find("\n5001\t"), script.find("\n6000\t")) << "row 5001 is read in place";

  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, by_psql.name()));
  EXPECT_EQ(pg_table_fingerprints(by_psql.name()), pg_table_fingerprints(source.name()));
  auto restored = run_dbsnap(
      {"restore", snap.manifest.string(), "--to", by_dbsnap.url(), "--jobs", "4", "--quiet"});
  ASSERT_EQ(restored.exit_code, 0) << restored.describe();
  EXPECT_EQ(pg_table_fingerprints(by_dbsnap.name()), pg_table_fingerprints(source.name()));
  auto verified = run_dbsnap({"verify", snap.manifest.string(), "--restore-into", pg_url()});
  EXPECT_EQ(verified.exit_code, 0) << verified.describe();
  // Copies cut at 4 MiB: the row read apart still makes a chain.
  auto copy = run_dbsnap({"copy", source.url(), copied.url(), "--drop", "--jobs", "3", "--quiet"});
  ASSERT_EQ(copy.exit_code, 0) << copy.describe();
  EXPECT_EQ(pg_table_fingerprints(copied.name()), pg_table_fingerprints(source.name()));
}

// --no-large-objects (pg_dump --no-blobs): neither their entries nor their data.
TEST(PgBackup, NoLargeObjectsLeavesThemOut) {
  ScratchPgDatabase source("noblobs_src");
  ScratchPgDatabase target("noblobs_dst");
  pg_exec(source.name(),
          "SELECT pg_catalog.lo_from_bytea(0, 'one'); CREATE TABLE t (x int); "
          "INSERT INTO t VALUES (1)");
  ScratchDir volume;
  auto r =
      run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--no-large-objects"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());
  auto script = run_shell("gunzip -c " + shell_quote(snap.data.string()));
  EXPECT_EQ(script.out.find("lo_"), std::string::npos) << script.out;
  EXPECT_NE(script.out.find("COPY public.t"), std::string::npos) << script.out;
  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, target.name()));
  EXPECT_TRUE(pg_large_objects(target.name()).empty());
  EXPECT_EQ(pg_table_fingerprints(target.name()), pg_table_fingerprints(source.name()));
}

// The "-- Name: ...; Type: SECURITY LABEL; ..." entries of a plain script,
// each with its statements (up to the two blank lines that end an entry),
// in script order.
std::vector<std::string> security_label_entries(const std::string& script) {
  std::vector<std::string> out;
  const std::string start = "--\n-- Name: ";
  for (std::size_t at = script.find(start); at != std::string::npos;
       at = script.find(start, at + start.size())) {
    std::size_t header_end = script.find('\n', at + start.size());
    if (script.substr(at, header_end - at).find("; Type: SECURITY LABEL;") == std::string::npos)
      continue;
    out.push_back(script.substr(at, script.find("\n\n\n", header_end) - at));
  }
  return out;
}

// No label provider ships with Debian's PostgreSQL packages (dummy_seclabel
// is a test module, sepgsql needs SELinux), so nothing can restore a label:
// the labels are written into pg_seclabel directly, and dbsnap's SECURITY
// LABEL entries must equal pg_dump --schema-only's, in text and order.
TEST(PgBackup, SecurityLabelsAreDumpedAsPgDumpDoes) {
  ScratchPgDatabase db("seclabels");
  pg_exec(db.name(), R"(
CREATE SCHEMA s; CREATE TABLE s.t (a int, "b c" text);
CREATE FUNCTION s.f(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE s.e AS ENUM ('x'); CREATE SEQUENCE s.q; CREATE VIEW s.v AS SELECT 1 AS one;
CREATE TYPE s.shell;
COMMENT ON COLUMN s.t.a IS 'a column comment comes before the table''s labels';
SET allow_system_table_mods = on;
INSERT INTO pg_catalog.pg_seclabel VALUES
 ('s.t'::regclass, 'pg_class'::regclass, 0, 'dummy', 'classified'),
 ('s.t'::regclass, 'pg_class'::regclass, 2, 'dummy', E'it''s\nsecret'),
 ('s.t'::regclass, 'pg_class'::regclass, 0, 'Other Provider', 'unclassified'),
 ('s.f'::regproc, 'pg_proc'::regclass, 0, 'dummy', 'function label'),
 ('s.e'::regtype, 'pg_type'::regclass, 0, 'dummy', 'type label'),
 ((SELECT oid FROM pg_type WHERE typname = 'shell'), 'pg_type'::regclass, 0, 'dummy', 'shell'),
 ('s'::regnamespace, 'pg_namespace'::regclass, 0, 'dummy', 'schema label'),
 ('s.q'::regclass, 'pg_class'::regclass, 0, 'dummy', 'sequence label'),
 ('s.v'::regclass, 'pg_class'::regclass, 0, 'dummy', 'view label'))");
  ScratchDir volume;
  auto r = run_dbsnap({"backup", db.url(), "--to", volume.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());
  auto script = run_shell("gunzip -c " + shell_quote(snap.data.string()));
  ASSERT_EQ(script.exit_code, 0) << script.describe();
  auto reference = run({"pg_dump", "--schema-only", "--no-sync", "-d", db.url()});
  ASSERT_EQ(reference.exit_code, 0) << reference.describe();
  auto want = security_label_entries(reference.out);
  EXPECT_EQ(want.size(), 7u) << reference.out;
  EXPECT_EQ(security_label_entries(script.out), want);
}

// Only a superuser may read a subscription's connection string: a backup by
// anyone else warns and leaves the subscriptions out, as pg_dump does.
TEST(PgBackup, SubscriptionsAreLeftOutWithAWarningForAPlainUser) {
  std::string role = unique_name("plain_user");
  pg_exec("postgres", "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'");
  ScratchPgDatabase db("subs_plain");
  pg_exec(db.name(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1); ALTER TABLE t OWNER TO " +
                         role +
                         "; CREATE SUBSCRIPTION plain_sub CONNECTION 'host=publisher.invalid' "
                         "PUBLICATION p WITH (connect = false, slot_name = NONE)");
  std::string url = db.url();
  url = "postgres://" + role + ":pw@" + url.substr(url.find('@') + 1);
  ScratchDir volume;
  auto r = run_dbsnap({"backup", url, "--to", volume.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("warning: subscriptions not dumped because current user is not a superuser"),
            std::string::npos)
      << r.err;
  Snapshot snap = only_snapshot(volume.path());
  if (!snap.data.empty()) {
    auto script = run_shell("gunzip -c " + shell_quote(snap.data.string()));
    EXPECT_EQ(script.out.find("SUBSCRIPTION"), std::string::npos) << script.out;
    EXPECT_NE(script.out.find("COPY public.t"), std::string::npos) << script.out;
  }
  pg_drop_database(db.name());
  pg_exec("postgres", "DROP ROLE " + role);
}

// pg_dump --create --schema-only of db, without its version and \restrict lines.
std::string create_schema_dump(const std::string& db) {
  auto r = run({"pg_dump", "--create", "--schema-only", "--no-sync", "-d", pg_url_for(db)});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  static const std::regex drop_lines(
      R"(^(-- Dumped (from database|by pg_dump) version .*|\\(un)?restrict .*)\n)",
      std::regex::multiline);
  return std::regex_replace(r.out, drop_lines, "");
}

// backup --create (pg_dump -C): psql run against another database recreates
// the database (ICU locale, comment, settings, role settings, connection
// limit, ACL) and its contents; dbsnap restore into another name leaves the
// database-level statements out, as pg_restore without --create.
TEST(PgBackup, CreateRecreatesTheDatabaseWithItsProperties) {
  ScratchPgDatabase source("create_src");
  ScratchPgDatabase copy("create_copy");
  std::string q = "\"" + source.name() + "\"";
  pg_drop_database(source.name());
  pg_exec("postgres", "CREATE DATABASE " + q +
                          " TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu "
                          "ICU_LOCALE 'de-DE' LOCALE 'C.UTF-8' CONNECTION LIMIT 7");
  for (const std::string& sql :
       {"COMMENT ON DATABASE " + q + " IS 'made by --create'",
        "ALTER DATABASE " + q + " SET work_mem = '8MB'",
        "ALTER DATABASE " + q + " SET search_path = a, \"B c\"",
        "ALTER ROLE CURRENT_USER IN DATABASE " + q + " SET work_mem = '9MB'",
        "REVOKE CONNECT ON DATABASE " + q + " FROM PUBLIC"})
    pg_exec("postgres", sql);
  pg_exec(source.name(), "CREATE TABLE public.t (x int); INSERT INTO public.t VALUES (1), (2)");
  std::string want = create_schema_dump(source.name());
  auto rows = pg_table_fingerprints(source.name());
  ScratchDir volume;
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());

  auto restored = run_dbsnap({"restore", snap.manifest.string(), "--to", copy.url()});
  EXPECT_EQ(restored.exit_code, 0) << restored.describe();
  EXPECT_EQ(pg_table_fingerprints(copy.name()), rows);

  pg_drop_database(source.name());
  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, "postgres"));
  EXPECT_EQ(create_schema_dump(source.name()), want);
  EXPECT_EQ(pg_table_fingerprints(source.name()), rows);
}

// Fails the test with `diff -u` of the two schema dumps when they differ.
void expect_same_schema(const std::string& source, const std::string& target) {
  std::string want = pg_schema_dump(source), got = pg_schema_dump(target);
  if (got == want) return;
  ScratchDir dir;
  std::ofstream(dir.path() / "source.sql") << want;
  std::ofstream(dir.path() / "restored.sql") << got;
  auto diff = run(
      {"diff", "-u", (dir.path() / "source.sql").string(), (dir.path() / "restored.sql").string()});
  ADD_FAILURE() << "pg_dump --schema-only of the restored copy differs from the source's:\n"
                << diff.out;
}

// PostgreSQL's own regression database, built by ../shared/tools/pg-regress-db.sh
// (beside the data sets) from datasets/pg-regress: nearly every object kind.
// A dbsnap backup of it loads with psql -v ON_ERROR_STOP=1 and gives back
// the same pg_dump --schema-only text, every table's rows and every sequence.
TEST(PgRegressDatabase, BackupLoadsWithPsqlWithoutAnErrorAndKeepsEveryRow) {
  DBSNAP_SKIP_WITHOUT_DATA_SET("pg-regress");
  fs::path script = datasets_dir().parent_path() / "tools" / "pg-regress-db.sh";
  ASSERT_TRUE(fs::exists(script)) << script << " builds the regression database; it is missing";
  ScratchPgDatabase source("regress_src");
  ScratchPgDatabase target("regress_dst");
  auto built = run({"bash", script.string(), "--db", source.name(), "--force", "--url", pg_url()});
  ASSERT_EQ(built.exit_code, 0) << "pg-regress-db.sh failed: " << built.describe();

  ScratchDir volume;
  auto r = run_dbsnap({"backup", source.url(), "--to", volume.path().string(), "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  Snapshot snap = only_snapshot(volume.path());
  ASSERT_FALSE(snap.data.empty());
  ASSERT_NO_FATAL_FAILURE(restore_with_psql(snap.data, target.name()));
  expect_same_schema(source.name(), target.name());
  auto want = pg_table_fingerprints(source.name());
  EXPECT_GT(want.size(), 500u) << "the regression database has about 600 tables";
  EXPECT_EQ(pg_table_fingerprints(target.name()), want) << "table contents differ";
  EXPECT_EQ(pg_sequence_values(target.name()), pg_sequence_values(source.name()))
      << "sequence values differ";
}

}  // namespace
}  // namespace dbsnap::test
