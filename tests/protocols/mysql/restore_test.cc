// End to end: dbsnap backup, then dbsnap restore (over libmariadb, never the
// mysql client) and dbsnap verify, against the MariaDB/MySQL server
// tools/test.sh started (DBSNAP_TEST_MY_URL). The restored database must
// equal the source as the backup round trip compares them
// (my_compare_databases: every object's definition, every table's content).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

class MyRestore : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(MyRestore, RestoredDatabaseEqualsTheSource) {
  const auto& [fixture, jobs] = GetParam();
  DBSNAP_SKIP_WITHOUT_DATA_SET(fixture);
  FixtureSnapshot<ScratchMyDatabase> snapshot("mrs_src_" + fixture, fixture);
  ScratchMyDatabase target("mrs_dst_" + fixture);
  auto r = run_dbsnap({"restore", snapshot.manifest.string(), "--to", target.url(), "--jobs",
                       std::to_string(jobs)});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  expect_same_my_database(snapshot.source.name(), target.name());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MyRestore,
                         ::testing::Combine(::testing::Values("sakila", "stress"),
                                            ::testing::Values(1, 4)),
                         fixture_jobs_name);

class MyRestoreSakila : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (missing_data_set("sakila")) return;
    setup_.run([] { sakila_ = new FixtureSnapshot<ScratchMyDatabase>("mrs_sakila", "sakila"); });
  }
  static void TearDownTestSuite() {
    delete sakila_;
    sakila_ = nullptr;
  }
  void SetUp() override {
    DBSNAP_SKIP_WITHOUT_DATA_SET("sakila");
    ASSERT_NO_FATAL_FAILURE(setup_.check());
    ASSERT_NE(sakila_, nullptr);
  }
  static inline SuiteSetup setup_;
  static inline FixtureSnapshot<ScratchMyDatabase>* sakila_ = nullptr;
};

TEST_F(MyRestoreSakila, OneTableRestoresThatTableOnly) {
  ScratchMyDatabase target("mrs_one");
  auto r = run_dbsnap({"restore", sakila_->manifest.string(), "--to", target.url(), "--tables",
                       "film", "--jobs", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto got = my_table_fingerprints(target.name());
  EXPECT_EQ(got.at("film"), my_table_fingerprints(sakila_->source.name()).at("film"));
  EXPECT_EQ(got.at("actor").rows, 0u) << "another table's data was restored";
}

TEST_F(MyRestoreSakila, NonEmptyTargetNeedsDropOrClean) {
  ScratchMyDatabase target("mrs_again");
  ASSERT_EQ(
      run_dbsnap({"restore", sakila_->manifest.string(), "--to", target.url(), "-q"}).exit_code, 0);
  auto again = run_dbsnap({"restore", sakila_->manifest.string(), "--to", target.url(), "-q"});
  EXPECT_EQ(again.exit_code, 2) << again.describe();
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  for (const char* option : {"--drop", "--clean"}) {
    SCOPED_TRACE(option);
    auto r =
        run_dbsnap({"restore", sakila_->manifest.string(), "--to", target.url(), option, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    expect_same_my_database(sakila_->source.name(), target.name());
  }
}

TEST_F(MyRestoreSakila, MariadbDumpOutputRestoresSequentially) {
  ScratchDir dir;
  fs::path gz = dir.path() / "sakila.sql.gz";
  auto dump = run_shell(my_client_command(sakila_->source.name(), "mariadb-dump") +
                        " --single-transaction --routines --events --triggers | gzip > " +
                        shell_quote(gz.string()));
  ASSERT_EQ(dump.exit_code, 0) << dump.describe();
  ScratchMyDatabase target("mrs_dump");
  auto r = run_dbsnap({"restore", gz.string(), "--to", target.url()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_same_my_database(sakila_->source.name(), target.name());
}

TEST_F(MyRestoreSakila, FailingStatementStopsWithItsLineAndText) {
  ScratchDir dir;
  fs::path script = dir.path() / "bad.sql";
  std::ofstream(script) << "CREATE TABLE t (a int);\nDELIMITER ;;\nINSERT INTO t VALUES (1);;\n"
                           "DELIMITER ;\nINSERT INTO nope VALUES ('x;y');\n";
  ScratchMyDatabase target("mrs_bad");
  auto r = run_dbsnap({"restore", script.string(), "--to", target.url()});
  EXPECT_EQ(r.exit_code, 20) << r.describe();
  EXPECT_NE(r.err.find("bad.sql, line 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ERROR 1146"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("INSERT INTO nope VALUES ('x;y')"), std::string::npos) << r.err;
}

TEST_F(MyRestoreSakila, VerifyRestoreIntoComparesCounts) {
  auto r = run_dbsnap({"verify", sakila_->manifest.string(), "--restore-into", my_url()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto at = r.out.find("dbsnap_verify_");
  ASSERT_NE(at, std::string::npos) << r.out;
  std::string scratch = r.out.substr(at, std::string("dbsnap_verify_").size() + 8);
  EXPECT_TRUE(my_query("", "SHOW DATABASES LIKE '" + scratch + "'").empty())
      << "the scratch database was not dropped";
}

}  // namespace
}  // namespace dbsnap::test
