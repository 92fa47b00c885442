// Hostile names (issue 9): a database whose object names, comments, defaults,
// bodies and values carry newlines followed by psql meta-commands ("\! touch
// <sentinel>"), "\.", "*/", "--", ";", quotes, control characters and names of
// the 63-byte limit (tests/protocols/postgres/hostile_schema.sql) round-trips
// through dbsnap backup and both `gunzip -c | psql` and `dbsnap restore`, and
// no command runs: the sentinel file is never created.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

const fs::path kSentinel = "/tmp/dbsnap-hostile-pg-pwned";

fs::path fixture_file() {
  return source_dir() / "tests" / "protocols" / "postgres" / "hostile_schema.sql";
}

std::string stem_of(const fs::path& manifest) {
  std::string s = manifest.string();
  return s.substr(0, s.size() - std::string(".manifest.json").size());
}

class PgHostile : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove(kSentinel); }
  void TearDown() override {
    EXPECT_FALSE(fs::exists(kSentinel)) << "a command from the data ran: " << kSentinel;
    fs::remove(kSentinel);
  }
};

// The sentinel check can fail: psql does run "\!" at the start of a line.
TEST_F(PgHostile, SentinelCheckSeesAMetaCommandRun) {
  ScratchDir dir;
  fs::path script = dir.path() / "bang.sql";
  std::ofstream(script) << "SELECT 1;\n\\! touch " << kSentinel.string() << "\n";
  ScratchPgDatabase db("hostile_probe");
  pg_load_sql_file(db.name(), script);
  EXPECT_TRUE(fs::exists(kSentinel));
  fs::remove(kSentinel);
}

TEST_F(PgHostile, FixtureHasEveryObjectKind) {
  ScratchPgDatabase db("hostile_kinds");
  pg_load_sql_file(db.name(), fixture_file());
  ASSERT_FALSE(fs::exists(kSentinel)) << "loading the fixture ran its commands";
  auto count = [&](const std::string& sql) { return std::stoi(pg_query(db.name(), sql)[0][0]); };
  // strpos, not LIKE: a backslash is LIKE's escape character.
  auto bang = [](const std::string& col) { return "strpos(" + col + ", E'\\n\\\\! touch ') > 0"; };
  EXPECT_GE(count("SELECT count(*) FROM pg_namespace WHERE " + bang("nspname")), 1);
  for (const char* kind : {"r", "v", "S", "i"})
    EXPECT_GE(count(std::string("SELECT count(*) FROM pg_class WHERE relkind = '") + kind +
                    "' AND " + bang("relname")),
              1)
        << "relkind " << kind;
  EXPECT_GE(count("SELECT count(*) FROM pg_attribute WHERE " + bang("attname")), 2);
  EXPECT_GE(count("SELECT count(*) FROM pg_type WHERE " + bang("typname")), 2);
  EXPECT_GE(count("SELECT count(*) FROM pg_proc WHERE " + bang("proname")), 3);
  EXPECT_GE(count("SELECT count(*) FROM pg_trigger WHERE " + bang("tgname")), 1);
  EXPECT_GE(count("SELECT count(*) FROM pg_constraint WHERE " + bang("conname")), 4);
  EXPECT_GE(count("SELECT count(*) FROM pg_description WHERE " + bang("description")), 10);
  EXPECT_GE(count("SELECT count(*) FROM pg_class WHERE octet_length(relname) = 63"), 1);
}

TEST_F(PgHostile, BackupRestoresWithPsqlAndDbsnapRestoreAndRunsNothing) {
  ScratchPgDatabase source("hostile_src");
  pg_load_sql_file(source.name(), fixture_file());
  ASSERT_FALSE(fs::exists(kSentinel)) << "loading the fixture ran its commands";
  ScratchDir volume;
  fs::path manifest = backup_snapshot(source.url(), volume);
  auto data = find_files(volume.path(), ".sql.gz");
  ASSERT_EQ(data.size(), 1u);

  // No line of the script starts with a backslash outside a literal: the only
  // ones are COPY's end marker and lines inside quotes/dollar quotes, which
  // psql (the reference) does not execute: checked by the sentinel below.
  {
    ScratchPgDatabase target("hostile_psql");
    auto r = run_shell("gunzip -c " + shell_quote(data[0].string()) +
                       " | psql -X -q -v ON_ERROR_STOP=1 -d " + shell_quote(target.url()) +
                       " >/dev/null");
    ASSERT_EQ(r.exit_code, 0) << "psql failed on the dump: " << r.describe();
    EXPECT_FALSE(fs::exists(kSentinel)) << "psql ran a command from the dump";
    expect_same_pg_database(source.name(), target.name());
  }
  for (const char* jobs : {"1", "4"}) {
    SCOPED_TRACE(std::string("dbsnap restore --jobs ") + jobs);
    ScratchPgDatabase target("hostile_dbsnap");
    auto r = run_dbsnap({"restore", stem_of(manifest), "--to", target.url(), "--jobs", jobs});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
    expect_same_pg_database(source.name(), target.name());
  }
  {
    // The same .sql.gz restored as a foreign script, through the splitter alone.
    ScratchPgDatabase target("hostile_script");
    ScratchDir copy;
    fs::copy_file(data[0], copy.path() / "foreign.sql.gz");
    auto r = run_dbsnap(
        {"restore", (copy.path() / "foreign.sql.gz").string(), "--to", target.url(), "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_pg_database(source.name(), target.name());
  }
}

}  // namespace
}  // namespace dbsnap::test
