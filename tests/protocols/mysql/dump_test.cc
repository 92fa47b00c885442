// The MySQL dialect against a real server: the snapshot and its global lock,
// the fallback without RELOAD, exact numbers, ping's classification.
//
// Needs DBSNAP_TEST_MY_URL (tools/test.sh starts the server).
#include <gtest/gtest.h>
#include <mysql.h>

#include <memory>
#include <string>

#include "engine/error.h"
#include "protocols/mysql/driver.h"
#include "tests/support/common.h"
#include "tests/support/mysql_dump.h"
#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

using Handle = std::unique_ptr<MYSQL, decltype(&mysql_close)>;

// A raw client connection, for sessions that get in dbsnap's way.
Handle raw_connection(const std::string& db) {
  ServerUrl url = ServerUrl::parse(my_url_for(db));
  Handle h(mysql_init(nullptr), &mysql_close);
  if (!mysql_real_connect(h.get(), url.host.c_str(), url.user.c_str(), url.password.c_str(),
                          db.c_str(), static_cast<unsigned>(url.port), nullptr, 0))
    throw std::runtime_error(std::string("cannot connect: ") + mysql_error(h.get()));
  return h;
}

ExitCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::ok;
}

TEST(MyDump, LockWaitTimeoutNamesTheBlockingStatement) {
  ScratchMyDatabase db("lock");
  my_exec(db.name(), "CREATE TABLE t (id INT PRIMARY KEY)");
  Handle blocker = raw_connection(db.name());
  ASSERT_EQ(mysql_query(blocker.get(), "LOCK TABLES t WRITE"), 0) << mysql_error(blocker.get());
  std::string sleep = "SELECT SLEEP(60) AS blocker_of_dbsnap";
  ASSERT_EQ(mysql_send_query(blocker.get(), sleep.data(), sleep.size()), 0);
  unsigned long blocker_id = mysql_thread_id(blocker.get());

  DumpOptions options;
  options.lock_wait_timeout_s = 1;
  auto driver = mysql::make_mysql_driver();
  try {
    driver->open_dump(ServerUrl::parse(db.url()), options);
    ADD_FAILURE() << "open_dump should time out while LOCK TABLES ... WRITE is held";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::timeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("blocker_of_dbsnap"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(blocker_id)), std::string::npos)
        << e.what();
  }
  my_exec("", "KILL " + std::to_string(blocker_id));
}

TEST(MyDump, UserWithoutReloadWarnsAndTakesPerConnectionSnapshots) {
  ScratchMyDatabase db("noreload");
  my_exec(db.name(), "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
  std::string user = unique_name("u");
  std::string password = "pw-" + user;
  my_exec("", "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password +
                  "'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `" + db.name() +
                  "`.* TO '" + user + "'@'%'");
  ServerUrl url = ServerUrl::parse(db.url());
  url.user = user;
  url.password = password;

  auto driver = mysql::make_mysql_driver();
  PingReport ping = driver->ping(url);
  EXPECT_TRUE(ping.can_backup);
  EXPECT_FALSE(ping.can_restore);
  std::string notes;
  for (const auto& n : ping.notes) notes += n + "\n";
  EXPECT_NE(notes.find("RELOAD"), std::string::npos) << notes;
  EXPECT_NE(notes.find("CREATE"), std::string::npos) << notes;

  testing::internal::CaptureStderr();
  auto dump = driver->open_dump(url, DumpOptions{});
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(dump->position().at("snapshot"), "per-connection");
  EXPECT_NE(err.find("warning: "), std::string::npos) << err;
  EXPECT_NE(err.find("RELOAD"), std::string::npos) << err;
  EXPECT_EQ(err.find(password), std::string::npos) << "the warning shows the password";
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  auto session = dump->join();
  dump->snapshot_shared();
  CollectingSink sink(1 << 20);
  session->dump(DataItem{"t", "", 0}, sink);
  ASSERT_EQ(sink.chunks.size(), 1u);
  EXPECT_EQ(sink.chunks[0].rows, 2u);
  dump.reset();
  session.reset();
  my_exec("", "DROP USER '" + user + "'@'%'");
}

TEST(MyDump, SessionsSeeTheSnapshotNotLaterWrites) {
  ScratchMyDatabase db("snapshot");
  my_exec(db.name(), "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)");
  auto dump = mysql::make_mysql_driver()->open_dump(ServerUrl::parse(db.url()), DumpOptions{});
  EXPECT_EQ(dump->position().at("snapshot"), "global-lock");
  EXPECT_FALSE(dump->position().at("binlog_file").empty());
  EXPECT_FALSE(dump->position().at("binlog_position").empty());
  EXPECT_FALSE(dump->position().at("gtid").empty());
  EXPECT_EQ(dump->server().kind, "mariadb");
  auto first = dump->join();
  auto second = dump->join();
  dump->snapshot_shared();  // writes may go on now
  my_exec(db.name(), "INSERT INTO t VALUES (4); DELETE FROM t WHERE id = 1");
  for (auto* session : {first.get(), second.get()}) {
    CollectingSink sink(1 << 20);
    session->dump(DataItem{"t", "", 0}, sink);
    ASSERT_EQ(sink.chunks.size(), 1u);
    EXPECT_EQ(sink.chunks[0].rows, 3u);
    EXPECT_NE(sink.chunks[0].sql.find("VALUES (1),(2),(3);"), std::string::npos)
        << sink.chunks[0].sql;
  }
}

TEST(MyDump, FloatAndDoubleValuesAreExactInTheScript) {
  ScratchMyDatabase db("floats");
  my_exec(db.name(),
          "SET SESSION sql_mode = ''; CREATE TABLE n (id INT PRIMARY KEY, f FLOAT, d DOUBLE); "
          "INSERT INTO n VALUES (1, 16777216, 0.1e0 + 0.2e0), (2, 3.4028235e38, 4.9e-324), "
          "(3, 1.401298464324817e-45, 1.7976931348623157e308)");
  auto chunks = dump_mysql_database(db.url(), DumpOptions{}, 1, 1 << 20);
  std::string script = script_of(chunks);
  EXPECT_NE(script.find("(1,16777216,0.30000000000000004),(2,3.4028234663852886e38,5e-324),"
                        "(3,1.401298464324817e-45,1.7976931348623157e308)"),
            std::string::npos)
      << script;
}

TEST(MyDump, BigTableIsSlicedByItsIntegerKeyWithoutLosingRows) {
  ScratchMyDatabase db("slices");
  my_exec(
      db.name(),
      "CREATE TABLE big (id BIGINT PRIMARY KEY, v VARCHAR(100)); "
      "INSERT INTO big SELECT CAST(seq AS SIGNED) - 10000, REPEAT('v', 90) FROM seq_1_to_20000; "
      "ANALYZE TABLE big");
  auto dump = mysql::make_mysql_driver()->open_dump(ServerUrl::parse(db.url()), DumpOptions{});
  auto session = dump->join();
  dump->snapshot_shared();
  auto items = dump->plan(16 * 1024);
  ASSERT_GT(items.size(), 1u);
  EXPECT_EQ(items.front().slice.find("`id` < "), 0u) << items.front().slice;
  std::uint64_t rows = 0;
  CollectingSink sink(64 * 1024);
  for (const auto& item : items) {
    EXPECT_EQ(item.table, "big");
    session->dump(item, sink);
  }
  for (const auto& c : sink.chunks) rows += c.rows;
  EXPECT_EQ(rows, 20000u);
}

TEST(MyDriver, PingReportsServerUserAndRights) {
  ScratchMyDatabase db("ping");
  PingReport r = mysql::make_mysql_driver()->ping(ServerUrl::parse(db.url()));
  EXPECT_EQ(r.server.kind, "mariadb");
  EXPECT_NE(r.server.version.find("MariaDB"), std::string::npos);
  EXPECT_EQ(r.user.rfind(ServerUrl::parse(my_url()).user + "@", 0), 0u) << r.user;
  EXPECT_TRUE(r.can_backup);
  EXPECT_TRUE(r.can_restore);
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();
}

TEST(MyDriver, ConnectFailuresAreClassified) {
  auto driver = mysql::make_mysql_driver();
  ServerUrl good = ServerUrl::parse(my_url());
  ServerUrl refused = good;
  refused.port = 1;
  EXPECT_EQ(code_of([&] { driver->ping(refused); }), ExitCode::connection_refused);
  ServerUrl unknown = good;
  unknown.host = "no-such-host.invalid";
  EXPECT_EQ(code_of([&] { driver->ping(unknown); }), ExitCode::unknown_host);
  ServerUrl denied = good;
  denied.password = "wrong-password";
  try {
    driver->ping(denied);
    ADD_FAILURE() << "a wrong password should be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::access_denied) << e.what();
    EXPECT_EQ(std::string(e.what()).find("wrong-password"), std::string::npos) << e.what();
  }
  ServerUrl missing = ServerUrl::parse(my_url_for(unique_name("missing")));
  EXPECT_EQ(code_of([&] { driver->ping(missing); }), ExitCode::database_missing);
  ServerUrl bad_param = good;
  bad_param.params["sslmode"] = "sometimes";
  EXPECT_EQ(code_of([&] { driver->ping(bad_param); }), ExitCode::usage);
}

TEST(MyDriver, DatabasesListsUserDatabasesOnly) {
  ScratchMyDatabase db("list");
  auto names = mysql::make_mysql_driver()->databases(ServerUrl::parse(my_url()));
  EXPECT_NE(std::find(names.begin(), names.end(), db.name()), names.end());
  for (const char* system : {"mysql", "information_schema", "performance_schema", "sys"})
    EXPECT_EQ(std::find(names.begin(), names.end(), system), names.end()) << system;
}

}  // namespace
}  // namespace dbsnap::test
