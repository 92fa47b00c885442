// End to end: dbsnap backup, then dbsnap restore (over libpq, never psql) and
// dbsnap verify, against the PostgreSQL server tools/test.sh started
// (DBSNAP_TEST_PG_URL). The restored database must equal the source the way
// the backup round trip checks it: pg_dump --schema-only text, table
// contents, sequence values.
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

namespace fs = std::filesystem;

void load(const std::string& fixture, const std::string& db) { load_pg_fixture(fixture, db); }

void expect_same_database(const std::string& source, const std::string& target) {
  EXPECT_EQ(pg_schema_dump(target), pg_schema_dump(source)) << "schemas differ";
  auto want = pg_table_fingerprints(source);
  EXPECT_FALSE(want.empty());
  EXPECT_EQ(pg_table_fingerprints(target), want) << "table contents differ";
  EXPECT_EQ(pg_sequence_values(target), pg_sequence_values(source)) << "sequences differ";
}

// Backs up db into a new volume; returns the manifest path.
fs::path backup(const std::string& db, const ScratchDir& volume) {
  // Small chunks, so that tables span several chunks and jobs interleave.
  auto r = run_dbsnap({"backup", pg_url_for(db), "--to", volume.path().string(), "--jobs", "2",
                       "--chunk-size", "64KiB", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << "dbsnap backup failed: " << r.describe();
  auto manifests = find_files(volume.path(), ".manifest.json");
  if (manifests.size() != 1) throw std::runtime_error("expected one manifest after the backup");
  return manifests[0];
}

std::string stem_of(const fs::path& manifest) {
  std::string s = manifest.string();
  return s.substr(0, s.size() - std::string(".manifest.json").size());
}

class PgRestore : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(PgRestore, RestoredDatabaseEqualsTheSource) {
  const auto& [fixture, jobs] = GetParam();
  ScratchPgDatabase source("rs_src_" + fixture);
  ScratchPgDatabase target("rs_dst_" + fixture);
  ASSERT_NO_THROW(load(fixture, source.name()));
  ScratchDir volume;
  fs::path manifest = backup(source.name(), volume);

  auto r = run_dbsnap(
      {"restore", stem_of(manifest), "--to", target.url(), "--jobs", std::to_string(jobs)});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find(" ok"), std::string::npos) << "no row-count report: " << r.out;
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  expect_same_database(source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PgRestore,
                         ::testing::Combine(::testing::Values("pagila", "stress"),
                                            ::testing::Values(1, 4)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_jobs" +
                                  std::to_string(std::get<1>(info.param));
                         });

// One pagila database and its snapshot, shared by the tests below.
class PgRestorePagila : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new ScratchPgDatabase("rs_pagila");
    load("pagila", source_->name());
    volume_ = new ScratchDir;
    manifest_ = backup(source_->name(), *volume_);
  }
  static void TearDownTestSuite() {
    delete volume_;
    delete source_;
  }
  static ScratchPgDatabase* source_;
  static ScratchDir* volume_;
  static fs::path manifest_;
};
ScratchPgDatabase* PgRestorePagila::source_ = nullptr;
ScratchDir* PgRestorePagila::volume_ = nullptr;
fs::path PgRestorePagila::manifest_;

TEST_F(PgRestorePagila, OneTableRestoresThatTableOnly) {
  ScratchPgDatabase target("rs_one");
  auto r = run_dbsnap(
      {"restore", manifest_.string(), "--to", target.url(), "--tables", "film", "--jobs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto got = pg_table_fingerprints(target.name());
  auto want = pg_table_fingerprints(source_->name());
  EXPECT_EQ(got.at("public.film"), want.at("public.film"));
  EXPECT_EQ(got.at("public.actor").rows, 0u) << "another table's data was restored";
  EXPECT_EQ(r.out.find("public.actor"), std::string::npos) << "only film is counted: " << r.out;
}

TEST_F(PgRestorePagila, UnknownTableIsAUsageError) {
  ScratchPgDatabase target("rs_unknown");
  auto r = run_dbsnap({"restore", manifest_.string(), "--to", target.url(), "--tables", "nope"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("'nope' is not in the snapshot"), std::string::npos) << r.err;
}

TEST_F(PgRestorePagila, NonEmptyTargetNeedsDropOrClean) {
  ScratchPgDatabase target("rs_again");
  auto first = run_dbsnap({"restore", manifest_.string(), "--to", target.url(), "-q"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  auto again = run_dbsnap({"restore", manifest_.string(), "--to", target.url(), "-q"});
  EXPECT_EQ(again.exit_code, 2) << again.describe();
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  for (const char* option : {"--drop", "--clean"}) {
    SCOPED_TRACE(option);
    auto r = run_dbsnap({"restore", manifest_.string(), "--to", target.url(), option, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_database(source_->name(), target.name());
  }
}

TEST_F(PgRestorePagila, MissingTargetDatabaseIsCreated) {
  std::string name = unique_name("rs_created");
  auto r = run_dbsnap({"restore", manifest_.string(), "--to", pg_url(), "--database", name, "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  expect_same_database(source_->name(), name);
  pg_drop_database(name);
}

TEST_F(PgRestorePagila, PgDumpPlainOutputRestoresSequentially) {
  ScratchDir dir;
  fs::path plain = dir.path() / "pagila.sql", gz = dir.path() / "pagila.sql.gz";
  auto dump =
      run_shell("pg_dump --no-sync -d " + shell_quote(pg_url_for(source_->name())) + " | tee " +
                shell_quote(plain.string()) + " | gzip > " + shell_quote(gz.string()));
  ASSERT_EQ(dump.exit_code, 0) << dump.describe();
  for (const auto& file : {plain, gz}) {
    SCOPED_TRACE(file);
    ScratchPgDatabase target("rs_pgdump");
    auto r = run_dbsnap({"restore", file.string(), "--to", target.url()});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_database(source_->name(), target.name());
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
  auto r = run_dbsnap({"verify", manifest_.string()});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
}

TEST_F(PgRestorePagila, VerifyRestoreIntoUsesAScratchDatabaseAndDropsIt) {
  auto r = run_dbsnap({"verify", stem_of(manifest_), "--restore-into", pg_url()});
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
  auto c = copy_snapshot(manifest_);
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
  auto c = copy_snapshot(manifest_);
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
  auto c = copy_snapshot(manifest_);
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
