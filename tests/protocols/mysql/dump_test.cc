// The MySQL dialect against a real server: the snapshot and its global lock,
// the fallback without RELOAD, exact numbers, ping's classification.
//
// Needs DBSNAP_TEST_MY_URL (tools/test.sh starts the server).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mysql.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "compress/gzip.h"
#include "engine/backup.h"
#include "engine/error.h"
#include "engine/name_pattern.h"
#include "protocols/mysql/driver.h"
#include "storage/local/volume.h"
#include "tests/support/cli.h"
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

// The global lock is only taken in share(): a LOCK TABLES ... WRITE elsewhere
// on the server makes BACKUP STAGE BLOCK_COMMIT wait; the wait is bounded,
// names the blocker, and commits go on at once afterwards.
TEST(MyDump, GlobalLockWaitIsBoundedAndCommitsResume) {
  ScratchMyDatabase db("glock");
  ScratchMyDatabase other("glock_other");
  my_exec(db.name(), "CREATE TABLE t (id INT PRIMARY KEY)");
  my_exec(other.name(), "CREATE TABLE w (id INT PRIMARY KEY)");
  Handle blocker = raw_connection(other.name());
  ASSERT_EQ(mysql_query(blocker.get(), "LOCK TABLES w WRITE"), 0) << mysql_error(blocker.get());
  std::string sleep = "SELECT SLEEP(60) AS global_blocker_of_dbsnap";
  ASSERT_EQ(mysql_send_query(blocker.get(), sleep.data(), sleep.size()), 0);
  unsigned long blocker_id = mysql_thread_id(blocker.get());

  DumpOptions options;
  options.lock_wait_timeout_s = 1;
  auto dump = mysql::make_mysql_driver()->open_dump(ServerUrl::parse(db.url()), options);
  try {
    dump->share(2);
    ADD_FAILURE() << "share() should time out while LOCK TABLES ... WRITE is held";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::timeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("global lock"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("global_blocker_of_dbsnap"), std::string::npos)
        << e.what();
  }
  my_exec("", "KILL " + std::to_string(blocker_id));
  // The backup's lock is gone: a commit with a short lock wait goes through.
  my_exec(db.name(), "SET SESSION lock_wait_timeout = 5; INSERT INTO t VALUES (1)");
  EXPECT_EQ(my_query(db.name(), "SELECT COUNT(*) FROM t").at(0).at(0), "1");
}

// DDL issued while a backup runs waits behind the leader's metadata locks;
// a worker that then cannot read the table fails naming it, within the lock
// wait timeout: never a table whose data does not match the dumped schema.
TEST(MyDump, DdlDuringTheBackupIsBlockedAndAReadBehindItFailsNamingTheTable) {
  ScratchMyDatabase db("ddl");
  my_exec(db.name(),
          "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1); "
          "CREATE TABLE u (id INT PRIMARY KEY)");
  DumpOptions options;
  options.lock_wait_timeout_s = 1;
  auto dump = mysql::make_mysql_driver()->open_dump(ServerUrl::parse(db.url()), options);
  try {
    my_exec(db.name(), "SET SESSION lock_wait_timeout = 1; ALTER TABLE u ADD COLUMN x INT");
    ADD_FAILURE() << "ALTER TABLE went through while the backup holds the table";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("Lock wait timeout"), std::string::npos) << e.what();
  }
  auto session = std::move(dump->share(1).front());
  Handle alter = raw_connection(db.name());
  ASSERT_EQ(mysql_query(alter.get(), "SET SESSION lock_wait_timeout = 30"), 0);
  std::string ddl = "ALTER TABLE t ADD COLUMN x INT";
  ASSERT_EQ(mysql_send_query(alter.get(), ddl.data(), ddl.size()), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        return my_query("", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = '" +
                                ddl + "' AND STATE LIKE 'Waiting for table metadata lock%'")
                   .at(0)
                   .at(0) == "1";
      },
      std::chrono::seconds(20)));
  CollectingSink sink(1 << 20);
  try {
    session->dump(DataItem{"t", "", 0}, sink);
    ADD_FAILURE() << "reading t behind a waiting ALTER TABLE should fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::timeout) << e.what();
    EXPECT_NE(std::string(e.what()).find("table `t`"), std::string::npos) << e.what();
  }
  session.reset();
  dump.reset();  // the metadata locks go with the leader: the ALTER completes
  EXPECT_EQ(mysql_read_query_result(alter.get()), 0) << mysql_error(alter.get());
}

// The deadlock of issue 16: account statements (DROP USER, GRANT) and
// commits running while backups start must neither hang the backup nor wait
// on it beyond a short lock wait.
TEST(MyDump, AccountStatementsAndCommitsDuringBackupsNeverHang) {
  ScratchMyDatabase db("acl");
  std::string ddl;
  for (int i = 0; i < 200; ++i) ddl += fmt::format("CREATE TABLE t{} (id INT PRIMARY KEY); ", i);
  my_exec(db.name(), ddl);
  std::atomic<bool> done{false};
  std::string failure;
  std::thread churn([&] {
    std::string user = unique_name("acl");
    try {
      for (int i = 0; !done; ++i) {
        my_exec(db.name(),
                fmt::format("SET SESSION lock_wait_timeout = 10; "
                            "CREATE USER '{0}'@'%'; GRANT SELECT ON `{1}`.* TO '{0}'@'%'; "
                            "DROP USER '{0}'@'%'; INSERT INTO t0 VALUES ({2})",
                            user, db.name(), i));
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  DumpOptions options;
  options.lock_wait_timeout_s = 10;
  for (int i = 0; i < 5 && failure.empty(); ++i) {
    auto chunks = dump_mysql_database(db.url(), options, 2, 1 << 20);
    EXPECT_FALSE(chunks.empty());
  }
  done = true;
  churn.join();
  EXPECT_EQ(failure, "") << "a statement beside the backup failed";
  EXPECT_GT(std::stoi(my_query(db.name(), "SELECT COUNT(*) FROM t0").at(0).at(0)), 0);
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
  auto session = std::move(dump->share(1).front());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(dump->position().at("snapshot"), "per-connection");
  EXPECT_NE(err.find("warning: "), std::string::npos) << err;
  EXPECT_NE(err.find("RELOAD"), std::string::npos) << err;
  EXPECT_EQ(err.find(password), std::string::npos) << "the warning shows the password";
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
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
  auto sessions = dump->share(2);  // writes may go on now
  EXPECT_EQ(dump->position().at("snapshot"), "global-lock");
  EXPECT_FALSE(dump->position().at("binlog_file").empty());
  EXPECT_FALSE(dump->position().at("binlog_position").empty());
  EXPECT_FALSE(dump->position().at("gtid").empty());
  EXPECT_EQ(dump->server().kind, "mariadb");
  my_exec(db.name(), "INSERT INTO t VALUES (4); DELETE FROM t WHERE id = 1");
  for (auto& session : sessions) {
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
  auto session = std::move(dump->share(1).front());
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

namespace dbsnap::test {
namespace {

// The content checksums a backup records (engine/row_checksum.h) for a table
// cut into key ranges and dumped by three workers equal those of one whole
// dump, a row with a value over kBigValueBytes included, and `verify
// --restore-into` finds them again on the restored scratch copy.
TEST(MyDump, ContentChecksumsOfAChunkedBackupMatchAWholeDumpAndTheRestoredCopy) {
  ScratchMyDatabase db("sum");
  my_exec(db.name(),
          "CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(400), f DOUBLE, at DATETIME(3)); "
          "SET SESSION max_recursive_iterations = 10000; INSERT INTO big WITH RECURSIVE n(i) AS "
          "(SELECT 1 UNION ALL SELECT i + 1 FROM n "
          "WHERE i < 3000) SELECT i, REPEAT('p', i % 300), i / 7, "
          "'2026-01-01' + INTERVAL i MINUTE FROM n; ANALYZE TABLE big; "
          "CREATE TABLE blobs (id INT PRIMARY KEY, b LONGBLOB, t LONGTEXT); "
          "INSERT INTO blobs VALUES (1, REPEAT(x'00ff', 2600000), REPEAT('\\\\'' ', 2200000)), "
          "(2, x'01', NULL)");
  BackupRequest request;
  request.url = ServerUrl::parse(db.url());
  request.jobs = 3;
  request.chunk_bytes = 4096;
  ScratchDir dir;
  LocalVolume volume(dir.path());
  auto driver = mysql::make_mysql_driver();
  ASSERT_GT(driver->open_dump(request.url, {})->plan(request.chunk_bytes).size(), 4u)
      << "big is cut into key ranges";
  BackupResult result = run_backup(
      *driver, volume, [] { return std::make_unique<GzipCompressor>(1); }, request, nullptr);
  ASSERT_EQ(result.manifest.checksums.size(), 2u);

  BackupRequest whole = request;
  whole.jobs = 1;
  whole.chunk_bytes = kDefaultChunkBytes;
  auto content = dump_content(*driver, whole);
  EXPECT_TRUE(content_mismatches(result.manifest, content).empty());
  EXPECT_EQ(content["big"].rows, 3000u);
  EXPECT_EQ(content["blobs"].rows, 2u);

  auto r = run_dbsnap({"verify", (dir.path() / result.manifest_key).string(), "--restore-into",
                       db.url(), "--jobs", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("2 content checksums compared"), std::string::npos) << r.out;

  my_exec(db.name(), "UPDATE big SET f = f + 1 WHERE id = 1234");
  auto changed = content_mismatches(result.manifest, dump_content(*driver, whole));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].find("table big differs: 3000 rows, checksum "), std::string::npos)
      << changed[0];
}

// backup with --tables/--exclude-table patterns (DumpOptions::tables) keeps
// only the selected tables, views and their triggers, and restores as such.
TEST(MyDump, TablePatternsSelectTablesViewsAndTriggers) {
  ScratchMyDatabase db("pattern");
  my_exec(db.name(),
          "CREATE TABLE film (id INT PRIMARY KEY); CREATE TABLE film_text (id INT PRIMARY KEY); "
          "CREATE TABLE Film2 (id INT PRIMARY KEY); CREATE TABLE actor (id INT PRIMARY KEY); "
          "INSERT INTO film VALUES (1), (2); INSERT INTO actor VALUES (1); "
          "CREATE VIEW film_v AS SELECT id FROM film; "
          "CREATE TRIGGER film_ins BEFORE INSERT ON film FOR EACH ROW SET NEW.id = NEW.id; "
          "CREATE TRIGGER actor_ins BEFORE INSERT ON actor FOR EACH ROW SET NEW.id = NEW.id");
  BackupRequest request;
  request.url = ServerUrl::parse(db.url());
  request.dump.tables.include = {NamePattern::table("film*", PatternDialect::mysql),
                                 NamePattern::table(db.name() + ".act?r", PatternDialect::mysql)};
  request.dump.tables.exclude = {NamePattern::table("film_text", PatternDialect::mysql)};
  ScratchDir dir;
  LocalVolume volume(dir.path());
  auto driver = mysql::make_mysql_driver();
  BackupResult result = run_backup(
      *driver, volume, [] { return std::make_unique<GzipCompressor>(6); }, request, nullptr);
  EXPECT_EQ(result.manifest.tables,
            (std::map<std::string, std::uint64_t>{{"actor", 1}, {"film", 2}}));

  ScratchMyDatabase target("pattern_to");
  auto r = run_dbsnap(
      {"restore", (dir.path() / result.manifest_key).string(), "--to", target.url(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto names = [&](const std::string& sql) {
    std::vector<std::string> out;
    for (const auto& row : my_query(target.name(), sql)) out.push_back(row[0]);
    return out;
  };
  EXPECT_EQ(names(fmt::format("SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = '{}' ORDER BY TABLE_NAME",
                              target.name())),
            (std::vector<std::string>{"actor", "film", "film_v"}))
      << "Film2: case is exact; film_text: excluded";
  EXPECT_EQ(names(fmt::format("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE "
                              "TRIGGER_SCHEMA = '{}' ORDER BY TRIGGER_NAME",
                              target.name())),
            (std::vector<std::string>{"actor_ins", "film_ins"}));
  EXPECT_EQ(my_query(target.name(), "SELECT count(*) FROM film")[0][0], "2");
}

}  // namespace
}  // namespace dbsnap::test
