// End to end: dbsnap backup, then dbsnap restore (over libmariadb, never the
// mysql client) and dbsnap verify, against the MariaDB/MySQL server
// tools/test.sh started (DBSNAP_TEST_MY_URL). The restored database must
// equal the source as the backup round trip compares them
// (my_compare_databases: every object's definition, every table's content).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "engine/url.h"
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

// The text of every binary log event from the current position on, after
// run() ran (other tests' events included: callers look for their own names).
std::string binlog_events_during(const std::function<void()>& run) {
  auto status = my_query("", "SHOW MASTER STATUS");
  if (status.empty()) throw std::runtime_error("the test server has no binary log");
  const std::string start_file = status[0][0], start_pos = status[0][1];
  run();
  std::string events;
  for (const auto& log : my_query("", "SHOW BINARY LOGS")) {
    if (log[0] < start_file) continue;
    std::string sql = "SHOW BINLOG EVENTS IN '" + log[0] + "'";
    if (log[0] == start_file) sql += " FROM " + start_pos;
    for (const auto& e : my_query("", sql)) events += e[5] + "\n";
  }
  return events;
}

// --no-binlog: the restore (tables, rows, the database itself) stays out of
// the binary log, as with myloader; without it the same restore is logged.
TEST_F(MyRestoreSakila, NoBinlogKeepsTheRestoreOutOfTheBinaryLog) {
  ScratchMyDatabase quiet("mrs_nobinlog");
  ScratchMyDatabase logged("mrs_binlog");
  std::string events = binlog_events_during([&] {
    for (auto* target : {&quiet, &logged}) {
      std::vector<std::string> args = {
          "restore", sakila_->manifest.string(), "--to", target->url(), "--drop", "-q"};
      if (target == &quiet) args.emplace_back("--no-binlog");
      auto r = run_dbsnap(args);
      ASSERT_EQ(r.exit_code, 0) << r.describe();
    }
  });
  EXPECT_EQ(events.find(quiet.name()), std::string::npos) << "the --no-binlog restore was logged";
  EXPECT_NE(events.find(logged.name() + ".film"), std::string::npos)
      << "the logged restore is missing from the binary log";
  expect_same_my_database(sakila_->source.name(), quiet.name());
}

// Turning the binary log off takes SUPER or BINLOG ADMIN: without it the
// restore stops before it writes anything, naming the privilege.
TEST_F(MyRestoreSakila, NoBinlogWithoutThePrivilegeExits13NamingIt) {
  ScratchMyDatabase target("mrs_nopriv");
  const std::string user = unique_name("nb").substr(0, 32), password = "nb-secret-9";
  my_exec("", "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
  my_exec("", "GRANT ALL ON `" + target.name() + "`.* TO '" + user + "'@'%'");
  ServerUrl admin = ServerUrl::parse(target.url());
  std::string url = "mysql://" + user + ":" + password + "@" + admin.host + ":" +
                    std::to_string(admin.port) + "/" + target.name();
  auto r = run_dbsnap({"restore", sakila_->manifest.string(), "--to", url, "--no-binlog", "-q"});
  my_exec("", "DROP USER '" + user + "'@'%'");
  EXPECT_EQ(r.exit_code, kExitAccessDenied) << r.describe();
  EXPECT_NE(r.err.find("BINLOG ADMIN"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(password), std::string::npos) << r.err;
  EXPECT_TRUE(my_query(target.name(), "SHOW TABLES").empty()) << "the restore wrote tables";
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
