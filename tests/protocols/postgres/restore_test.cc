// End to end: dbsnap backup, then dbsnap restore (over libpq, never psql) and
// dbsnap verify, against the PostgreSQL server tools/test.sh started
// (DBSNAP_TEST_PG_URL). The restored database must equal the source the way
// the backup round trip checks it: pg_dump --schema-only text, table
// contents, sequence values.
#include "protocols/postgres/restore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

using pg::pg_split_post_data;

namespace fs = std::filesystem;

std::string stem_of(const fs::path& manifest) {
  std::string s = manifest.string();
  return s.substr(0, s.size() - std::string(".manifest.json").size());
}

class PgRestore : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(PgRestore, RestoredDatabaseEqualsTheSource) {
  const auto& [fixture, jobs] = GetParam();
  DBSNAP_SKIP_WITHOUT_DATA_SET(fixture);
  FixtureSnapshot<ScratchPgDatabase> snapshot("rs_src_" + fixture, fixture);
  ScratchPgDatabase target("rs_dst_" + fixture);

  auto r = run_dbsnap({"restore", stem_of(snapshot.manifest), "--to", target.url(), "--jobs",
                       std::to_string(jobs)});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find(" ok"), std::string::npos) << "no row-count report: " << r.out;
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  expect_same_pg_database(snapshot.source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PgRestore,
                         ::testing::Combine(::testing::Values("pagila", "stress", "objects"),
                                            ::testing::Values(1, 4)),
                         fixture_jobs_name);

// A database holding subscriptions cannot simply be dropped: restore --drop
// over one, and verify --restore-into (which drops its scratch database),
// detach and drop them first, never connecting to a publisher.
TEST(PgRestoreSubscriptions, DropAndVerifyScratchDatabaseGoAwayWithTheirSubscriptions) {
  FixtureSnapshot<ScratchPgDatabase> snapshot("rs_sub_src", "objects");
  ScratchPgDatabase target("rs_sub_dst");
  for (int pass = 0; pass < 2; ++pass) {
    auto r = run_dbsnap({"restore", stem_of(snapshot.manifest), "--to", target.url(), "--drop"});
    ASSERT_EQ(r.exit_code, 0) << "pass " << pass << ": " << r.describe();
  }
  EXPECT_EQ(pg_query(target.name(),
                     "SELECT count(*) FROM pg_catalog.pg_subscription s JOIN "
                     "pg_catalog.pg_database d ON d.oid = s.subdbid "
                     "WHERE d.datname = pg_catalog.current_database()")
                .at(0)
                .at(0),
            "1");
  auto v = run_dbsnap({"verify", stem_of(snapshot.manifest), "--restore-into", pg_url()});
  ASSERT_EQ(v.exit_code, 0) << v.describe();
  auto at = v.out.find("dbsnap_verify_");
  ASSERT_NE(at, std::string::npos) << v.out;
  std::string scratch = v.out.substr(at, std::string("dbsnap_verify_").size() + 8);
  EXPECT_EQ(
      pg_query("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'")
          .at(0)
          .at(0),
      "0");
}

// Several tables with several indexes and constraints each, foreign keys
// between them, a partitioned table: the post-data builds its indexes on
// --jobs sessions at once and must still end up as the source is.
TEST(PgRestoreIndexes, ParallelIndexBuildsRestoreTheSameSchema) {
  ScratchPgDatabase source("rs_idx_src");
  std::string sql =
      "CREATE SCHEMA app;"
      "CREATE TABLE app.p (id int GENERATED ALWAYS AS IDENTITY, code text, PRIMARY KEY (id), "
      "  UNIQUE (code));"
      "CREATE TABLE app.r (a int, b int, EXCLUDE USING btree (a WITH =));"
      "CREATE TABLE app.t (k int, v int, PRIMARY KEY (k, v)) PARTITION BY RANGE (k);"
      "CREATE TABLE app.t1 PARTITION OF app.t FOR VALUES FROM (0) TO (500);"
      "CREATE TABLE app.t2 PARTITION OF app.t FOR VALUES FROM (500) TO (1000);"
      "CREATE INDEX t_v ON app.t (v);"
      "CREATE TABLE \"Odd Name\" (\"Id\" int PRIMARY KEY, x text);";
  for (int i = 0; i < 6; ++i) {
    std::string t = "app.c" + std::to_string(i);
    sql += "CREATE TABLE " + t +
           " (id int PRIMARY KEY, p int REFERENCES app.p, a int, b text, c int, UNIQUE (a, c));"
           "CREATE INDEX ON " +
           t +
           " (b);"
           "CREATE UNIQUE INDEX ON " +
           t +
           " (c) WHERE c > 10;"
           "CREATE INDEX ON " +
           t +
           " (lower(b), a DESC);"
           "INSERT INTO " +
           t + " SELECT g, NULL, g, md5(g::text), g FROM generate_series(1, 2000) g;";
  }
  sql +=
      "INSERT INTO app.p (code) SELECT 'c' || g FROM generate_series(1, 100) g;"
      "UPDATE app.c0 SET p = id % 100 + 1;"
      "INSERT INTO app.t SELECT g % 1000, g FROM generate_series(1, 3000) g;"
      "INSERT INTO app.r SELECT g, g FROM generate_series(1, 100) g;"
      "INSERT INTO \"Odd Name\" VALUES (1, 'x');"
      "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS "
      "  $$BEGIN NEW.b := NEW.b; RETURN NEW; END$$;"
      "CREATE TRIGGER touch BEFORE UPDATE ON app.c1 FOR EACH ROW EXECUTE FUNCTION app.touch();"
      "CREATE MATERIALIZED VIEW app.m AS SELECT p, count(*) AS n FROM app.c0 GROUP BY p;"
      "CREATE UNIQUE INDEX ON app.m (p);";
  ASSERT_NO_THROW(pg_exec(source.name(), sql));
  ScratchDir volume;
  fs::path manifest = backup_snapshot(source.url(), volume);
  ScratchPgDatabase target("rs_idx_dst");
  auto r = run_dbsnap({"restore", stem_of(manifest), "--to", target.url(), "--jobs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  expect_same_pg_database(source.name(), target.name());
}

// Which statements of a post-data script land in parallel steps.
TEST(PgSplitPostData, IndexBuildRunsAreParallelTheRestInOrder) {
  std::string script =
      "--\n-- header\n--\n\n"
      "SET default_tablespace = '';\n"                                            // 5
      "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);\n"  // 6
      "alter table b add constraint \"b;u\" unique (x);\n"                        // 8
      "ALTER TABLE ONLY public.c ADD CONSTRAINT c_ex EXCLUDE USING gist (r WITH &&);\n"
      "CREATE INDEX a_x ON public.a USING btree (x);\n"  // 10
      "CREATE UNIQUE INDEX c_y ON ONLY public.c USING btree (y);\n"
      "ALTER INDEX public.c_y ATTACH PARTITION public.c1_y;\n"  // 12
      "CREATE INDEX lone ON public.d (z);\n"
      "CREATE TRIGGER t BEFORE INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION f();\n"
      "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_c_fkey FOREIGN KEY (c) REFERENCES "
      "public.c(id);\n"                                                            // 15
      "ALTER TABLE ONLY public.a ADD CONSTRAINT a_chk CHECK (x > 0) NOT VALID;\n"  // 17
      "CREATE INDEX e_1 ON public.e (a);\nCREATE INDEX e_2 ON public.e (b);\n"     // 18
      "GRANT ALL ON TABLE public.a TO app;\n"                                      // 20
      "\\unrestrict abc\n";                                                        // 21
  auto steps = pg_split_post_data(script);
  struct Want {
    bool parallel;
    std::vector<std::pair<std::string, std::uint64_t>> pieces;  // text start, line
  };
  std::vector<Want> want = {
      {false, {{"SET default_tablespace", 5}}},
      {true,
       {{"ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey", 6},
        {"alter table b add constraint \"b;u\"", 8},
        {"ALTER TABLE ONLY public.c ADD CONSTRAINT c_ex", 9},
        {"CREATE INDEX a_x", 10},
        {"CREATE UNIQUE INDEX c_y", 11}}},
      {false,
       {{"ALTER INDEX public.c_y ATTACH", 12},
        {"CREATE INDEX lone", 13},
        {"CREATE TRIGGER t", 14},
        {"ALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_c_fkey FOREIGN KEY", 15},
        {"ALTER TABLE ONLY public.a ADD CONSTRAINT a_chk CHECK", 17}}},
      {true, {{"CREATE INDEX e_1", 18}, {"CREATE INDEX e_2", 19}}},
      {false, {{"GRANT ALL", 20}, {"\\unrestrict abc\n", 21}}},
  };
  ASSERT_EQ(steps.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(steps[i].parallel, want[i].parallel);
    ASSERT_EQ(steps[i].pieces.size(), want[i].pieces.size());
    for (std::size_t j = 0; j < want[i].pieces.size(); ++j) {
      const auto& piece = steps[i].pieces[j];
      EXPECT_EQ(piece.text.substr(0, want[i].pieces[j].first.size()), want[i].pieces[j].first);
      EXPECT_EQ(piece.first_line, want[i].pieces[j].second) << piece.text;
    }
  }
  EXPECT_EQ(steps[1].pieces[1].text, "alter table b add constraint \"b;u\" unique (x);\n");
}

TEST(PgSplitPostData, ScriptsItCannotSplitSafelyStayWhole) {
  for (std::string script : {"CREATE INDEX a ON t (x);\nCREATE INDEX b ON t (y);\nSELECT 'open",
                             "COPY t FROM stdin;\n1\n\\.\nCREATE INDEX a ON t (x);\n",
                             "SET standard_conforming_strings = off;\nCREATE INDEX a ON t (x);\n"
                             "CREATE INDEX b ON t (y);\n"}) {
    SCOPED_TRACE(script);
    auto steps = pg_split_post_data(script);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_FALSE(steps[0].parallel);
    ASSERT_EQ(steps[0].pieces.size(), 1u);
    EXPECT_EQ(steps[0].pieces[0].text, script);
    EXPECT_EQ(steps[0].pieces[0].first_line, 1u);
  }
}

// One pagila database and its snapshot, shared by the tests below.
class PgRestorePagila : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (missing_data_set("pagila")) return;
    setup_.run([] { pagila_ = new FixtureSnapshot<ScratchPgDatabase>("rs_pagila", "pagila"); });
  }
  static void TearDownTestSuite() {
    delete pagila_;
    pagila_ = nullptr;
  }
  void SetUp() override {
    DBSNAP_SKIP_WITHOUT_DATA_SET("pagila");
    ASSERT_NO_FATAL_FAILURE(setup_.check());
    ASSERT_NE(pagila_, nullptr);
  }
  static inline SuiteSetup setup_;
  static inline FixtureSnapshot<ScratchPgDatabase>* pagila_ = nullptr;
};

TEST_F(PgRestorePagila, OneTableRestoresThatTableOnly) {
  ScratchPgDatabase target("rs_one");
  auto r = run_dbsnap({"restore", pagila_->manifest.string(), "--to", target.url(), "--tables",
                       "film", "--jobs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto got = pg_table_fingerprints(target.name());
  auto want = pg_table_fingerprints(pagila_->source.name());
  EXPECT_EQ(got.at("public.film"), want.at("public.film"));
  EXPECT_EQ(got.at("public.actor").rows, 0u) << "another table's data was restored";
  EXPECT_EQ(r.out.find("public.actor"), std::string::npos) << "only film is counted: " << r.out;
}

TEST_F(PgRestorePagila, UnknownTableIsAUsageError) {
  ScratchPgDatabase target("rs_unknown");
  auto r =
      run_dbsnap({"restore", pagila_->manifest.string(), "--to", target.url(), "--tables", "nope"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("'nope' is not in the snapshot"), std::string::npos) << r.err;
}

TEST_F(PgRestorePagila, NonEmptyTargetNeedsDropOrClean) {
  ScratchPgDatabase target("rs_again");
  auto first = run_dbsnap({"restore", pagila_->manifest.string(), "--to", target.url(), "-q"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  auto again = run_dbsnap({"restore", pagila_->manifest.string(), "--to", target.url(), "-q"});
  EXPECT_EQ(again.exit_code, 2) << again.describe();
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  for (const char* option : {"--drop", "--clean"}) {
    SCOPED_TRACE(option);
    auto r =
        run_dbsnap({"restore", pagila_->manifest.string(), "--to", target.url(), option, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_pg_database(pagila_->source.name(), target.name());
  }
}

TEST_F(PgRestorePagila, MissingTargetDatabaseIsCreated) {
  std::string name = unique_name("rs_created");
  auto r = run_dbsnap(
      {"restore", pagila_->manifest.string(), "--to", pg_url(), "--database", name, "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  expect_same_pg_database(pagila_->source.name(), name);
  pg_drop_database(name);
}

TEST_F(PgRestorePagila, PgDumpPlainOutputRestoresSequentially) {
  ScratchDir dir;
  fs::path plain = dir.path() / "pagila.sql", gz = dir.path() / "pagila.sql.gz";
  auto dump =
      run_shell("pg_dump --no-sync -d " + shell_quote(pg_url_for(pagila_->source.name())) +
                " | tee " + shell_quote(plain.string()) + " | gzip > " + shell_quote(gz.string()));
  ASSERT_EQ(dump.exit_code, 0) << dump.describe();
  for (const auto& file : {plain, gz}) {
    SCOPED_TRACE(file);
    ScratchPgDatabase target("rs_pgdump");
    auto r = run_dbsnap({"restore", file.string(), "--to", target.url()});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_pg_database(pagila_->source.name(), target.name());
  }
}

TEST_F(PgRestorePagila, FailingStatementStopsWithItsLineAndText) {
  ScratchDir dir;
  fs::path script = dir.path() / "bad.sql";
  std::ofstream(script) << "CREATE TABLE t (a int);\n-- comment\nINSERT INTO t VALUES ('x;y');\n"
                           "SELECT 1;\n";
  ScratchPgDatabase target("rs_bad");
  auto r = run_dbsnap({"restore", script.string(), "--to", target.url()});
  EXPECT_EQ(r.exit_code, 20) << r.describe();
  EXPECT_NE(r.err.find("bad.sql, line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("22P02"), std::string::npos) << "no SQLSTATE: " << r.err;
  EXPECT_NE(r.err.find("INSERT INTO t VALUES ('x;y')"), std::string::npos) << r.err;
}

TEST_F(PgRestorePagila, VerifyAcceptsAnIntactSnapshot) {
  auto r = run_dbsnap({"verify", pagila_->manifest.string()});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
}

TEST_F(PgRestorePagila, VerifyRestoreIntoUsesAScratchDatabaseAndDropsIt) {
  auto r = run_dbsnap({"verify", stem_of(pagila_->manifest), "--restore-into", pg_url()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto at = r.out.find("dbsnap_verify_");
  ASSERT_NE(at, std::string::npos) << "the scratch database is not named: " << r.out;
  std::string scratch = r.out.substr(at, std::string("dbsnap_verify_").size() + 8);
  auto left =
      pg_query("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'");
  EXPECT_EQ(left.at(0).at(0), "0") << "the scratch database was not dropped";
}

// A copy of the snapshot in a new directory, to damage.
struct Copy {
  ScratchDir dir;
  fs::path manifest, data;
};
std::unique_ptr<Copy> copy_snapshot(const fs::path& manifest) {
  auto c = std::make_unique<Copy>();
  c->manifest = c->dir.path() / manifest.filename();
  std::string data_name = manifest.filename().string();
  data_name =
      data_name.substr(0, data_name.size() - std::string(".manifest.json").size()) + ".sql.gz";
  c->data = c->dir.path() / data_name;
  fs::copy_file(manifest, c->manifest);
  fs::copy_file(manifest.parent_path() / data_name, c->data);
  return c;
}

TEST_F(PgRestorePagila, CorruptedChunkFailsVerifyAndRestore) {
  auto c = copy_snapshot(pagila_->manifest);
  auto m = nlohmann::json::parse(read_file(c->manifest));
  const auto& chunk = m["chunks"][m["chunks"].size() / 2];
  std::uint64_t at =
      chunk["offset"].get<std::uint64_t>() + chunk["length"].get<std::uint64_t>() / 2;
  {
    std::fstream f(c->data, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char b = 0;
    f.read(&b, 1);
    f.seekp(static_cast<std::streamoff>(at));
    b = static_cast<char>(b ^ 0x5a);
    f.write(&b, 1);
  }
  auto v = run_dbsnap({"verify", c->manifest.string()});
  EXPECT_EQ(v.exit_code, 40) << v.describe();
  EXPECT_NE(v.err.find("crc32"), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("sha256"), std::string::npos) << v.err;
  ScratchPgDatabase target("rs_corrupt");
  auto r = run_dbsnap({"restore", c->manifest.string(), "--to", target.url()});
  EXPECT_EQ(r.exit_code, 40) << r.describe();
  EXPECT_NE(r.err.find("is corrupt"), std::string::npos) << r.err;
}

TEST_F(PgRestorePagila, TruncatedFileFailsVerifyAndRestore) {
  auto c = copy_snapshot(pagila_->manifest);
  fs::resize_file(c->data, fs::file_size(c->data) * 2 / 3);
  auto v = run_dbsnap({"verify", c->manifest.string()});
  EXPECT_EQ(v.exit_code, 40) << v.describe();
  EXPECT_NE(v.err.find("truncated"), std::string::npos) << v.err;
  ScratchPgDatabase target("rs_truncated");
  auto r = run_dbsnap({"restore", c->manifest.string(), "--to", target.url()});
  EXPECT_EQ(r.exit_code, 40) << r.describe();
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST_F(PgRestorePagila, MissingManifestIsNamed) {
  auto c = copy_snapshot(pagila_->manifest);
  fs::remove(c->manifest);
  std::string stem = stem_of(c->manifest);
  auto v = run_dbsnap({"verify", stem});
  EXPECT_EQ(v.exit_code, 40) << v.describe();
  EXPECT_NE(v.err.find("has no manifest"), std::string::npos) << v.err;
  auto v2 = run_dbsnap({"verify", c->data.string()});
  EXPECT_EQ(v2.exit_code, 40) << v2.describe();
  EXPECT_NE(v2.err.find("has no manifest"), std::string::npos) << v2.err;
  ScratchPgDatabase target("rs_nomanifest");
  auto r = run_dbsnap({"restore", stem, "--to", target.url()});
  EXPECT_EQ(r.exit_code, 40) << r.describe();
  EXPECT_NE(r.err.find("manifest.json' is missing"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dbsnap::test
