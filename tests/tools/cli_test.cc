// End-to-end tests of the dbsnap command line's promises, run as a user runs
// it (the DBSNAP_BIN binary in a child process) against the PostgreSQL and
// MariaDB servers tools/test.sh started:
//  - an interrupted or broken backup leaves no data file, no temp file and a
//    manifest that says "failed" and why (and `snapshots` shows it so);
//  - the same for MariaDB, and Ctrl-C of a MariaDB restore or verify
//    --restore-into stops it as interrupted (the scratch database dropped);
//  - each failure has its own exit code, asserted exactly (1, 2, 10-15, 21,
//    30, 130), and a one-line message, and the password in the URL is never
//    printed;
//  - a completed snapshot's manifest describes its .sql.gz exactly, checked
//    with independent tools (sha256sum, zlib, gunzip, SELECT count(*)).
#include "tests/support/cli.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/mysql_server.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

// Generous bounds for a child to react; they guard against hangs and are
// never assertions on speed.
constexpr auto kReactTimeout = 120s;
constexpr auto kFirstChunkTimeout = 120s;

// ---- URLs ------------------------------------------------------------------

// scheme://user:password@host:port/rest, as the test URLs are written.
struct UrlParts {
  std::string scheme, user, password, host, port, rest;  // rest: "/db?query" or ""

  static UrlParts parse(const std::string& url) {
    UrlParts p;
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) throw std::runtime_error("test url has no '://'");
    p.scheme = url.substr(0, scheme_end);
    std::string tail = url.substr(scheme_end + 3);
    auto slash = tail.find_first_of("/?");
    std::string authority = tail.substr(0, slash);
    p.rest = slash == std::string::npos ? "" : tail.substr(slash);
    auto at = authority.rfind('@');
    std::string userinfo = at == std::string::npos ? "" : authority.substr(0, at);
    std::string hostport = authority.substr(at == std::string::npos ? 0 : at + 1);
    auto colon = userinfo.find(':');
    p.user = userinfo.substr(0, colon);
    if (colon != std::string::npos) p.password = userinfo.substr(colon + 1);
    auto pcolon = hostport.rfind(':');
    p.host = hostport.substr(0, pcolon);
    if (pcolon != std::string::npos) p.port = hostport.substr(pcolon + 1);
    return p;
  }

  std::string str() const {
    std::string s = scheme + "://" + user;
    if (!password.empty()) s += ":" + password;
    s += "@" + host;
    if (!port.empty()) s += ":" + port;
    return s + rest;
  }
};

std::string with_password(const std::string& url, const std::string& password) {
  UrlParts p = UrlParts::parse(url);
  p.password = password;
  return p.str();
}

std::string with_host(const std::string& url, const std::string& host) {
  UrlParts p = UrlParts::parse(url);
  p.host = host;
  return p.str();
}

std::string with_port(const std::string& url, const std::string& port) {
  UrlParts p = UrlParts::parse(url);
  p.port = port;
  return p.str();
}

std::string password_of(const std::string& url) { return UrlParts::parse(url).password; }

// ---- output ----------------------------------------------------------------

// stderr without the one informational notice dbsnap may print on machines
// without io_uring ("dbsnap: io_uring unavailable (...); using write()").
std::vector<std::string> stderr_lines(const CommandResult& r) {
  std::vector<std::string> kept;
  for (auto& line : lines_of(r.err))
    if (line.rfind("dbsnap: io_uring unavailable", 0) != 0) kept.push_back(line);
  return kept;
}

// A failed command printed exactly one line, "dbsnap: error: <message>", on
// stderr and nothing on stdout; returns the message ("" after a failure).
std::string expect_one_error_line(const CommandResult& r) {
  auto lines = stderr_lines(r);
  EXPECT_EQ(lines.size(), 1u) << "expected one error line on stderr, got:\n" << r.err;
  EXPECT_EQ(r.out, "") << "a failed command should print nothing on stdout";
  if (lines.size() != 1) return "";
  const std::string prefix = "dbsnap: error: ";
  EXPECT_EQ(lines[0].rfind(prefix, 0), 0u) << "error line: " << lines[0];
  if (lines[0].rfind(prefix, 0) != 0) return "";
  std::string message = lines[0].substr(prefix.size());
  EXPECT_FALSE(message.empty());
  EXPECT_NE(message.back(), '.') << "messages end without a period: " << message;
  return message;
}

void expect_no_secret(const CommandResult& r, const std::string& secret) {
  ASSERT_FALSE(secret.empty());
  EXPECT_EQ(r.out.find(secret), std::string::npos) << "password printed on stdout:\n" << r.out;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "password printed on stderr:\n" << r.err;
}

// Runs dbsnap args, expects exit code `code`, one error line and no secret in
// any output. Returns the result for further checks.
CommandResult expect_cli_failure(const std::vector<std::string>& args, int code,
                                 const std::string& secret) {
  CommandResult r = run_dbsnap(args);
  EXPECT_EQ(r.exit_code, code) << r.describe();
  expect_one_error_line(r);
  expect_no_secret(r, secret);
  return r;
}

// ---- files -----------------------------------------------------------------

json read_json(const fs::path& file) {
  std::string text = read_file(file);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw std::runtime_error("unable to parse " + file.string() + ": " + e.what());
  }
}

// True once a data file's temp file (<ts>-<id>.sql.gz.partial) holds bytes,
// i.e. the first chunks reached the disk.
bool data_partial_has_bytes(const fs::path& dir) {
  for (const auto& entry : list_tree(dir)) {
    if (!entry.ends_with(".sql.gz.partial")) continue;
    std::error_code ec;
    auto size = fs::file_size(dir / entry, ec);
    if (!ec && size > 0) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += "  " + i + "\n";
  return s.empty() ? "  (nothing)\n" : s;
}

std::string volume_name_of(const std::string& url) {
  UrlParts p = UrlParts::parse(url);
  return p.host + "-" + p.port;
}

// Source row counts per "schema.table", as the manifest names tables.
std::map<std::string, std::uint64_t> source_rows(const std::string& db) {
  std::map<std::string, std::uint64_t> rows;
  for (const auto& [table, fingerprint] : pg_table_fingerprints(db)) rows[table] = fingerprint.rows;
  return rows;
}

std::map<std::string, std::uint64_t> manifest_rows(const json& manifest) {
  std::map<std::string, std::uint64_t> rows;
  for (const auto& [table, n] : manifest.at("tables").items()) rows[table] = n.get<std::uint64_t>();
  return rows;
}

// ---- a failed backup's traces -------------------------------------------

// What a failed backup of db into dir must leave behind: no data file, no temp
// file, exactly one manifest saying "failed" with failure == the error message
// dbsnap printed, and `dbsnap snapshots dir --json` listing it as failed.
// Returns the recorded failure reason.
std::string expect_failed_snapshot(const fs::path& dir, const std::string& db,
                                   const std::string& url, const std::string& printed_message) {
  auto tree = list_tree(dir);
  SCOPED_TRACE("volume contents:\n" + join(tree));
  EXPECT_TRUE(find_files(dir, ".sql.gz").empty()) << "a failed backup left its data file";
  EXPECT_TRUE(find_files(dir, ".partial").empty()) << "a failed backup left a temp file";
  auto manifests = find_files(dir, ".manifest.json");
  EXPECT_EQ(manifests.size(), 1u);
  if (manifests.size() != 1) return "";
  const fs::path& file = manifests[0];
  EXPECT_EQ(file.parent_path(), dir / volume_name_of(url) / db);
  EXPECT_EQ(read_file(file).find(password_of(url)), std::string::npos)
      << "the manifest holds the password";

  json m = read_json(file);
  EXPECT_EQ(m.value("status", ""), "failed");
  std::string failure = m.value("failure", "");
  EXPECT_FALSE(failure.empty()) << "a failed manifest must say why";
  EXPECT_EQ(failure, printed_message) << "the manifest and stderr should give the same reason";
  EXPECT_EQ(m.value("database", ""), db);
  EXPECT_FALSE(m.value("finished_at", "").empty()) << "a failed manifest records when it ended";

  CommandResult listed = run_dbsnap({"snapshots", dir.string(), "--json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();
  json rows = json::parse(listed.out, nullptr, false);
  EXPECT_TRUE(rows.is_array()) << "snapshots --json printed: " << listed.out;
  if (!rows.is_array()) return failure;
  EXPECT_EQ(rows.size(), 1u) << listed.out;
  if (rows.size() != 1) return failure;
  EXPECT_EQ(rows[0].value("status", ""), "failed") << listed.out;
  EXPECT_EQ(rows[0].value("failure", ""), failure) << listed.out;
  EXPECT_EQ(rows[0].value("database", ""), db) << listed.out;
  std::string stem = file.filename().string();
  stem.resize(stem.size() - std::string(".manifest.json").size());
  EXPECT_EQ(rows[0].value("snapshot", ""), volume_name_of(url) + "/" + db + "/" + stem);
  return failure;
}

// ---- exit codes and messages: PostgreSQL ------------------------------------

TEST(CliPgConnect, PingSucceedsAndMasksThePassword) {
  std::string url = pg_url();
  CommandResult r = run_dbsnap({"ping", url});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, "postgres://" + UrlParts::parse(url).user + ":***@")) << r.out;
  EXPECT_TRUE(contains(r.out, "backup:  yes")) << r.out;
  expect_no_secret(r, password_of(url));
}

TEST(CliPgConnect, PingClosedPortExits10) {
  std::string url = with_port(pg_url(), std::to_string(closed_loopback_port()));
  CommandResult r = expect_cli_failure({"ping", url}, kExitRefused, password_of(url));
  EXPECT_TRUE(contains(r.err, "refused")) << r.err;
}

TEST(CliPgConnect, PingUnknownHostExits11) {
  std::string url = with_host(pg_url(), "no-such-host.invalid");
  CommandResult r = expect_cli_failure({"ping", url}, kExitUnknownHost, password_of(url));
  EXPECT_TRUE(contains(r.err, "no-such-host.invalid")) << r.err;
}

TEST(CliPgConnect, PingWrongPasswordExits13) {
  std::string url = with_password(pg_url(), "wrong-secret-7f3a9c");
  CommandResult r = expect_cli_failure({"ping", url}, kExitAccessDenied, "wrong-secret-7f3a9c");
  expect_no_secret(r, password_of(pg_url()));
}

TEST(CliPgConnect, PingMissingDatabaseExits15) {
  std::string db = unique_name("missing");
  std::string url = pg_url_for(db);
  CommandResult r = expect_cli_failure({"ping", url}, kExitDatabaseMissing, password_of(url));
  EXPECT_TRUE(contains(r.err, db)) << "the message should name the database: " << r.err;
}

// The test server runs without TLS (tools/pg-local.sh): a URL that requires
// it cannot connect.
TEST(CliPgConnect, PingRequiringTlsOfAServerWithoutTlsExits14) {
  std::string url = pg_url_for("postgres") + "?sslmode=require";
  CommandResult r = expect_cli_failure({"ping", url}, kExitTls, password_of(url));
  EXPECT_TRUE(contains(r.err, "SSL")) << "the message should say why: " << r.err;
}

// A refusal none of the other codes describe (template0 never accepts
// connections) is the generic failure, with the server's words.
TEST(CliPgConnect, PingDatabaseThatAcceptsNoConnectionsExits1) {
  std::string url = pg_url_for("template0");
  CommandResult r = expect_cli_failure({"ping", url}, kExitFailure, password_of(url));
  EXPECT_TRUE(contains(r.err, "not currently accepting connections")) << r.err;
}

// A backup that cannot connect fails before writing anything: not even a
// directory or a "failed" manifest appears in the volume.
TEST(CliPgConnect, BackupThatCannotConnectWritesNothing) {
  std::string url = pg_url();
  struct Case {
    std::string name, url, secret;
    int code;
  };
  std::vector<Case> cases = {
      {"closed port", with_port(pg_url_for("postgres"), std::to_string(closed_loopback_port())),
       password_of(url), kExitRefused},
      {"unknown host", with_host(pg_url_for("postgres"), "no-such-host.invalid"), password_of(url),
       kExitUnknownHost},
      {"wrong password", with_password(pg_url_for("postgres"), "wrong-secret-7f3a9c"),
       "wrong-secret-7f3a9c", kExitAccessDenied},
      {"missing database", pg_url_for(unique_name("missing")), password_of(url),
       kExitDatabaseMissing},
      {"tls required", pg_url_for("postgres") + "?sslmode=require", password_of(url), kExitTls},
      {"no connections allowed", pg_url_for("template0"), password_of(url), kExitFailure},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ScratchDir dir;
    expect_cli_failure({"backup", c.url, "--to", dir.path().string()}, c.code, c.secret);
    EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{})
        << "the volume should stay empty:\n"
        << join(list_tree(dir.path()));
  }
}

TEST(CliPgConnect, BadUrlExits2WithoutPrintingThePassword) {
  std::string url = pg_url();
  std::string secret = password_of(url);
  UrlParts p = UrlParts::parse(url);
  std::string auth = p.user + ":" + secret + "@" + p.host;
  std::vector<std::string> bad_urls = {
      auth + ":" + p.port + "/postgres",                          // no scheme
      "ftp://" + auth + ":" + p.port + "/postgres",               // unknown scheme
      "postgres://" + auth + ":port/postgres",                    // port not a number
      "postgres://" + auth + ":0/postgres",                       // port out of range
      "postgres://" + auth + ":70000/postgres",                   // port out of range
      "postgres://" + auth + ":99999999999/postgres",             // port overflows int
      "postgres://" + auth + ":" + p.port + "/postgres?sslmode",  // parameter without value
      "postgres://" + p.user + ":" + secret + "@[::1:" + p.port + "/postgres",    // unclosed [
      "postgres://" + p.user + ":" + secret + "@[::1]:" + p.port + "x/postgres",  // junk in port
  };
  for (const auto& bad : bad_urls) {
    // The URL itself holds the password: trace it masked.
    std::string shown = bad;
    for (auto at = shown.find(secret); at != std::string::npos; at = shown.find(secret))
      shown.replace(at, secret.size(), "***");
    SCOPED_TRACE("url " + shown);
    expect_cli_failure({"ping", bad}, kExitUsage, secret);
    ScratchDir dir;
    expect_cli_failure({"backup", bad, "--to", dir.path().string()}, kExitUsage, secret);
    EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{});
  }
}

TEST(CliPgConnect, BadCompressLevelExits2AndWritesNothing) {
  std::string url = pg_url_for("postgres");
  for (std::string level :
       {"13", "-1", "abc", "6x", "", "gzip:13", "zstd:0", "zstd:20", "zstd:", "zstd:x", "zstd6"}) {
    SCOPED_TRACE("--compress '" + level + "'");
    ScratchDir dir;
    expect_cli_failure({"backup", url, "--to", dir.path().string(), "--compress", level},
                       kExitUsage, password_of(url));
    EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{});
  }
}

TEST(CliPgConnect, NoBinlogIsAUsageErrorForPostgres) {
  ScratchDir dir;
  std::string url = pg_url_for("postgres");
  CommandResult r =
      expect_cli_failure({"restore", (dir.path() / "x.sql").string(), "--to", url, "--no-binlog"},
                         kExitUsage, password_of(url));
  EXPECT_TRUE(contains(r.err, "--no-binlog is for MySQL and MariaDB")) << r.err;
}

// ---- exit codes and messages: MariaDB (ping) --------------------------------

TEST(CliMyConnect, PingSucceedsAndMasksThePassword) {
  std::string url = my_url();
  CommandResult r = run_dbsnap({"ping", url});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(contains(r.out, ":***@")) << r.out;
  expect_no_secret(r, password_of(url));
}

TEST(CliMyConnect, PingClosedPortExits10) {
  std::string url = with_port(my_url(), std::to_string(closed_loopback_port()));
  CommandResult r = expect_cli_failure({"ping", url}, kExitRefused, password_of(url));
  EXPECT_TRUE(contains(r.err, "refused")) << r.err;
}

TEST(CliMyConnect, PingUnknownHostExits11) {
  std::string url = with_host(my_url(), "no-such-host.invalid");
  CommandResult r = expect_cli_failure({"ping", url}, kExitUnknownHost, password_of(url));
  EXPECT_TRUE(contains(r.err, "no-such-host.invalid")) << r.err;
}

TEST(CliMyConnect, PingWrongPasswordExits13) {
  std::string url = with_password(my_url(), "wrong-secret-7f3a9c");
  CommandResult r = expect_cli_failure({"ping", url}, kExitAccessDenied, "wrong-secret-7f3a9c");
  expect_no_secret(r, password_of(my_url()));
}

TEST(CliMyConnect, PingMissingDatabaseExits15) {
  std::string db = unique_name("missing");
  std::string url = my_url_for(db);
  CommandResult r = expect_cli_failure({"ping", url}, kExitDatabaseMissing, password_of(url));
  EXPECT_TRUE(contains(r.err, db)) << "the message should name the database: " << r.err;
}

// The test server has no TLS (tools/mariadb-local.sh): ssl-mode=required must
// refuse it, not fall back to plain text.
TEST(CliMyConnect, PingRequiringTlsOfAServerWithoutTlsExits14) {
  for (std::string mode : {"required", "verify-identity"}) {
    SCOPED_TRACE("ssl-mode=" + mode);
    std::string url = my_url() + "?ssl-mode=" + mode;
    CommandResult r = expect_cli_failure({"ping", url}, kExitTls, password_of(url));
    EXPECT_TRUE(contains(r.err, "TLS")) << r.err;
    ScratchDir dir;
    expect_cli_failure(
        {"backup", my_url_for("mysql") + "?ssl-mode=" + mode, "--to", dir.path().string()},
        kExitTls, password_of(url));
    EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{});
  }
}

// ---- local volumes -----------------------------------------------------------

// A volume path that cannot be a directory (it runs through a regular file,
// which even root cannot write under) is a storage failure.
TEST(CliLocalVolume, BackupUnderARegularFileExits30) {
  ScratchPgDatabase db("cli_volfile");
  pg_exec(db.name(), "CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  ScratchDir dir;
  fs::path file = dir.path() / "plain-file";
  { std::ofstream(file) << "not a directory"; }
  CommandResult r = expect_cli_failure({"backup", db.url(), "--to", (file / "volume").string()},
                                       kExitIoError, password_of(db.url()));
  EXPECT_TRUE(contains(r.err, "Not a directory")) << r.err;
  EXPECT_EQ(list_tree(dir.path()), std::vector<std::string>{"plain-file"});
}

TEST(CliLocalVolume, VerifyAndRestoreOfAMissingSnapshotExit30) {
  ScratchDir dir;
  std::string missing = (dir.path() / "host-1" / "db" / "20260101T000000Z-000000").string();
  CommandResult v = expect_cli_failure({"verify", missing}, kExitIoError, password_of(pg_url()));
  EXPECT_TRUE(contains(v.err, "no snapshot at")) << v.err;
  CommandResult r = expect_cli_failure({"restore", missing, "--to", pg_url_for("postgres")},
                                       kExitIoError, password_of(pg_url()));
  EXPECT_TRUE(contains(r.err, "no snapshot at")) << r.err;
}

// ---- lock waits --------------------------------------------------------------

// Another session holds ACCESS EXCLUSIVE on a table for longer than
// --lock-wait-timeout: the backup gives up with exit 12 naming the table and
// the session, and leaves nothing in the volume (it had not started writing).
TEST(CliLockWait, LockHeldLongerThanTheTimeoutExits12NamingTheHolder) {
  ScratchPgDatabase db("cli_locktimeout");
  pg_exec(db.name(), "CREATE TABLE locked (id int); INSERT INTO locked VALUES (1)");
  const std::string holder_app = "cli_timeout_holder";
  BackgroundProcess holder({"psql", "-X", "-q", "-d", db.url() + "?application_name=" + holder_app,
                            "-c",
                            "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; "
                            "SELECT pg_sleep(600)"});
  ASSERT_TRUE(wait_until(
      [&] {
        return !pg_query("postgres",
                         "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING "
                         "(pid) WHERE a.application_name = '" +
                             holder_app +
                             "' AND l.mode = 'AccessExclusiveLock' "
                             "AND l.granted AND a.datname = '" +
                             db.name() + "'")
                    .empty() ||
               !holder.running();
      },
      kFirstChunkTimeout));
  ASSERT_TRUE(holder.running()) << holder.wait_for(0ms)->describe();

  ScratchDir dir;
  CommandResult r = expect_cli_failure(
      {"backup", db.url(), "--to", dir.path().string(), "--lock-wait-timeout", "1"}, kExitTimeout,
      password_of(db.url()));
  pg_exec("postgres",
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
              holder_app + "'");
  EXPECT_TRUE(contains(r.err, "locked") && contains(r.err, holder_app)) << r.err;
  EXPECT_TRUE(find_files(dir.path(), ".sql.gz").empty()) << join(list_tree(dir.path()));
  EXPECT_TRUE(find_files(dir.path(), ".partial").empty()) << join(list_tree(dir.path()));
}

// ---- interrupted and broken backups -----------------------------------------

// One database big enough (~400 MB of COPY text in 4 tables) that a backup is
// still running when its first chunks reach the disk; made once per test
// process (ctest runs each test in its own, so once per test there).
class CliInterruptedBackup : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { big_.reset(); }

  static const ScratchPgDatabase& big_database() {
    if (!big_) {
      auto db = std::make_unique<ScratchPgDatabase>("cli_big");
      // ~300 bytes of hex text per row, 350k rows per table; copying the first
      // table is quicker than generating the others.
      pg_exec(db->name(), R"(
        CREATE TABLE big1 (id bigint, a text, b text);
        INSERT INTO big1 SELECT i, md5(i::text), repeat(md5((i * 3)::text), 8)
          FROM generate_series(1, 350000) i;
        CREATE TABLE big2 AS TABLE big1;
        CREATE TABLE big3 AS TABLE big1;
        CREATE TABLE big4 AS TABLE big1;)");
      big_ = std::move(db);
    }
    return *big_;
  }

  // Starts `dbsnap backup` of the big database into dir and waits until its
  // data file's temp file holds bytes; fails the test if the backup ended first.
  static std::unique_ptr<BackgroundProcess> start_backup_and_wait_for_data(const std::string& url,
                                                                           const fs::path& dir) {
    auto child = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{dbsnap_bin().string(), "backup", url, "--to", dir.string(),
                                 "--jobs", "2", "--compress", "6"});
    bool landed = wait_until([&] { return data_partial_has_bytes(dir) || !child->running(); },
                             kFirstChunkTimeout);
    EXPECT_TRUE(landed) << "no data reached " << dir << " in time";
    return child;
  }

  static std::unique_ptr<ScratchPgDatabase> big_;
};

std::unique_ptr<ScratchPgDatabase> CliInterruptedBackup::big_;

// Sends sig to a backup whose data is flowing; it must stop as interrupted.
void expect_signal_fails_the_backup(const ScratchPgDatabase& db, BackgroundProcess& child,
                                    const fs::path& dir, int sig) {
  ASSERT_TRUE(child.running())
      << "the backup ended before the test could interrupt it (fixture too small?)";
  ASSERT_TRUE(data_partial_has_bytes(dir));
  child.signal(sig);

  auto r = child.wait_for(kReactTimeout);
  ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after signal " << sig;
  EXPECT_EQ(r->exit_code, kExitInterrupted) << r->describe();
  std::string message = expect_one_error_line(*r);
  expect_no_secret(*r, password_of(db.url()));
  std::string failure = expect_failed_snapshot(dir, db.name(), db.url(), message);
  EXPECT_TRUE(contains(failure, "interrupt")) << "failure reason: " << failure;
}

TEST_F(CliInterruptedBackup, SigintLeavesAFailedManifestAndNoData) {
  const ScratchPgDatabase& db = big_database();
  ScratchDir dir;
  auto child = start_backup_and_wait_for_data(db.url(), dir.path());
  expect_signal_fails_the_backup(db, *child, dir.path(), SIGINT);
}

TEST_F(CliInterruptedBackup, SigtermLeavesAFailedManifestAndNoData) {
  const ScratchPgDatabase& db = big_database();
  ScratchDir dir;
  auto child = start_backup_and_wait_for_data(db.url(), dir.path());
  expect_signal_fails_the_backup(db, *child, dir.path(), SIGTERM);
}

// Ctrl-C while the backup waits for a table lock (another session holds
// ACCESS EXCLUSIVE) must stop it as interrupted, not leave the user waiting
// until --lock-wait-timeout and then report a lock timeout. Nothing has been
// written yet at that point, so the volume stays empty.
TEST(CliInterruptedLockWait, SigintWhileWaitingForALockStopsTheBackup) {
  ScratchPgDatabase db("cli_lockwait");
  pg_exec(db.name(), "CREATE TABLE locked (id int); INSERT INTO locked VALUES (1)");
  const std::string holder_app = "cli_lock_holder";
  BackgroundProcess holder({"psql", "-X", "-q", "-d", db.url() + "?application_name=" + holder_app,
                            "-c",
                            "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE; "
                            "SELECT pg_sleep(600)"});
  auto count_sessions = [&](const std::string& app, const std::string& condition) {
    return std::stoi(
        pg_query("postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                                 app + "' AND datname = '" + db.name() + "' AND " + condition)
            .at(0)
            .at(0));
  };
  ASSERT_TRUE(wait_until(
      [&] { return count_sessions(holder_app, "state = 'active'") > 0 || !holder.running(); },
      kFirstChunkTimeout));
  ASSERT_TRUE(holder.running()) << holder.wait_for(0ms)->describe();

  ScratchDir dir;
  BackgroundProcess child({dbsnap_bin().string(), "backup", db.url(), "--to", dir.path().string(),
                           "--lock-wait-timeout", "15"});
  bool waiting = wait_until(
      [&] { return count_sessions("dbsnap", "wait_event_type = 'Lock'") > 0 || !child.running(); },
      kFirstChunkTimeout);
  ASSERT_TRUE(waiting);
  ASSERT_TRUE(child.running()) << "the backup should wait for the lock: "
                               << child.wait_for(0ms)->describe();
  child.signal(SIGINT);

  auto r = child.wait_for(kReactTimeout);
  pg_exec("postgres",
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
              holder_app + "'");
  ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after SIGINT";
  EXPECT_EQ(r->exit_code, kExitInterrupted)
      << "SIGINT during the lock wait was not honoured: " << r->describe();
  expect_one_error_line(*r);
  expect_no_secret(*r, password_of(db.url()));
  EXPECT_TRUE(find_files(dir.path(), ".sql.gz").empty()) << join(list_tree(dir.path()));
  EXPECT_TRUE(find_files(dir.path(), ".partial").empty()) << join(list_tree(dir.path()));
}

// The server ends the workers' sessions mid-COPY (as an administrator or a
// crash would): the backup must fail cleanly, not hang or report success.
TEST_F(CliInterruptedBackup, TerminatedWorkerSessionsFailTheBackup) {
  const ScratchPgDatabase& db = big_database();
  ScratchDir dir;
  auto child = start_backup_and_wait_for_data(db.url(), dir.path());
  ASSERT_TRUE(child->running()) << "the backup ended before the test could break it";

  // Workers stream COPY (state 'active'); the leader waits 'idle in
  // transaction' holding the snapshot. Retry: between two items a worker is
  // briefly idle.
  std::size_t terminated = 0;
  wait_until(
      [&] {
        auto rows = pg_query("postgres", R"(
            SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'dbsnap' AND state = 'active'
               AND datname = ')" + db.name() +
                                             R"(' AND pid <> pg_backend_pid())");
        for (const auto& row : rows)
          if (row[1] == "t") ++terminated;
        return terminated > 0 || !child->running();
      },
      kFirstChunkTimeout, 50ms);
  ASSERT_GT(terminated, 0u) << "no active dbsnap worker session found to terminate";

  auto r = child->wait_for(kReactTimeout);
  ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after its sessions were terminated";
  EXPECT_EQ(r->exit_code, kExitConnectionLost) << r->describe();
  std::string message = expect_one_error_line(*r);
  expect_no_secret(*r, password_of(db.url()));
  std::string failure = expect_failed_snapshot(dir.path(), db.name(), db.url(), message);
  EXPECT_TRUE(contains(failure, "terminat") || contains(failure, "connection"))
      << "the reason should say the connection was lost: " << failure;
}

// ---- interrupted and broken MariaDB backups, restores and verifies ---------

// One MariaDB database of ~130 MB of row text in 3 tables, made per test (ctest
// runs each test in its own process). Backed up with --compress 12 (the
// slowest level) the backup is still running when its first chunks land.
class CliInterruptedMy : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchMyDatabase>("cli_mybig");
    my_exec(db_->name(), R"(
      CREATE TABLE big1 (id bigint PRIMARY KEY, a char(32), b text);
      INSERT INTO big1 SELECT seq, md5(seq), repeat(md5(seq * 3), 8) FROM seq_1_to_150000;
      CREATE TABLE big2 LIKE big1; INSERT INTO big2 SELECT * FROM big1;
      CREATE TABLE big3 LIKE big1; INSERT INTO big3 SELECT * FROM big1;)");
  }

  const ScratchMyDatabase& db() const { return *db_; }

  // `dbsnap backup` into dir, once its data file's temp file holds bytes.
  std::unique_ptr<BackgroundProcess> start_slow_backup(const fs::path& dir) const {
    auto child = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{dbsnap_bin().string(), "backup", db_->url(), "--to", dir.string(),
                                 "--jobs", "2", "--compress", "12"});
    bool landed = wait_until([&] { return data_partial_has_bytes(dir) || !child->running(); },
                             kFirstChunkTimeout);
    EXPECT_TRUE(landed) << "no data reached " << dir << " in time";
    return child;
  }

  // A completed snapshot of the database (fast: --compress 1); returns its manifest.
  fs::path completed_snapshot(const fs::path& dir) const {
    CommandResult r = run_dbsnap(
        {"backup", db_->url(), "--to", dir.string(), "--jobs", "2", "--compress", "1", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    auto manifests = find_files(dir, ".manifest.json");
    if (manifests.size() != 1) throw std::runtime_error("expected one snapshot in " + dir.string());
    return manifests[0];
  }

  // Tables of database (those of the snapshot's pre-data once it ran).
  static std::size_t tables_in(const std::string& database) {
    return my_query("", "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" +
                            database + "'")
        .size();
  }

  // Sends SIGINT to a child that must still run; it must stop as interrupted,
  // with one error line, and no password in its output.
  static void expect_interrupted(BackgroundProcess& child, const std::string& url) {
    ASSERT_TRUE(child.running()) << "it ended before the test could interrupt it: "
                                 << child.wait_for(0ms)->describe();
    child.signal(SIGINT);
    auto r = child.wait_for(kReactTimeout);
    ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after SIGINT";
    EXPECT_EQ(r->exit_code, kExitInterrupted) << r->describe();
    std::string message = expect_one_error_line(*r);
    EXPECT_TRUE(contains(message, "interrupt")) << message;
    expect_no_secret(*r, password_of(url));
  }

  std::unique_ptr<ScratchMyDatabase> db_;
};

TEST_F(CliInterruptedMy, SigintDuringABackupLeavesAFailedManifestAndNoData) {
  ScratchDir dir;
  auto child = start_slow_backup(dir.path());
  ASSERT_TRUE(child->running()) << "the backup ended before the test could interrupt it";
  child->signal(SIGINT);
  auto r = child->wait_for(kReactTimeout);
  ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after SIGINT";
  EXPECT_EQ(r->exit_code, kExitInterrupted) << r->describe();
  std::string message = expect_one_error_line(*r);
  expect_no_secret(*r, password_of(db().url()));
  std::string failure = expect_failed_snapshot(dir.path(), db().name(), db().url(), message);
  EXPECT_TRUE(contains(failure, "interrupt")) << "failure reason: " << failure;
}

// The server ends the workers' sessions mid-stream (KILL CONNECTION, as an
// administrator or a restart would): exit 21, a failed manifest, no data.
TEST_F(CliInterruptedMy, KilledWorkerConnectionsFailTheBackupWithExit21) {
  ScratchDir dir;
  auto child = start_slow_backup(dir.path());
  ASSERT_TRUE(child->running()) << "the backup ended before the test could break it";
  std::size_t killed = 0;
  wait_until(
      [&] {
        for (const auto& row : my_query("",
                                        "SELECT ID FROM information_schema.PROCESSLIST "
                                        "WHERE DB = '" +
                                            db().name() +
                                            "' AND COMMAND = 'Query' AND INFO LIKE 'SELECT%' "
                                            "AND ID <> CONNECTION_ID()")) {
          try {
            my_exec("", "KILL CONNECTION " + row[0]);
            ++killed;
          } catch (const std::exception&) {
            // It ended meanwhile.
          }
        }
        return killed > 0 || !child->running();
      },
      kFirstChunkTimeout, 50ms);
  ASSERT_GT(killed, 0u) << "no streaming dbsnap session found to kill";
  auto r = child->wait_for(kReactTimeout);
  ASSERT_TRUE(r.has_value()) << "dbsnap did not stop after its sessions were killed";
  EXPECT_EQ(r->exit_code, kExitConnectionLost) << r->describe();
  std::string message = expect_one_error_line(*r);
  expect_no_secret(*r, password_of(db().url()));
  expect_failed_snapshot(dir.path(), db().name(), db().url(), message);
}

// Ctrl-C while rows load: exit 130 with one line saying so, no success line,
// and the workers stop (the target stops growing).
TEST_F(CliInterruptedMy, SigintDuringARestoreStopsIt) {
  ScratchDir dir;
  fs::path manifest = completed_snapshot(dir.path());
  ScratchMyDatabase target("cli_myint_dst");
  BackgroundProcess child({dbsnap_bin().string(), "restore", manifest.string(), "--to",
                           target.url(), "--jobs", "1", "--quiet"});
  ASSERT_TRUE(wait_until([&] { return tables_in(target.name()) == 3 || !child.running(); },
                         kFirstChunkTimeout));
  ASSERT_NO_FATAL_FAILURE(expect_interrupted(child, target.url()));
  EXPECT_TRUE(my_query("", "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" +
                               target.name() + "' AND ID <> CONNECTION_ID()")
                  .empty())
      << "restore sessions still run after dbsnap exited";
  auto rows = my_query(target.name(),
                       "SELECT (SELECT count(*) FROM big1) + (SELECT count(*) "
                       "FROM big2) + (SELECT count(*) FROM big3)");
  EXPECT_LT(std::stoull(rows.at(0).at(0)), 3u * 150000u) << "the restore was not interrupted";
}

// Ctrl-C while verify --restore-into loads its scratch database: exit 130,
// and the scratch database is dropped.
TEST_F(CliInterruptedMy, SigintDuringVerifyRestoreIntoDropsTheScratchDatabase) {
  ScratchDir dir;
  fs::path manifest = completed_snapshot(dir.path());
  BackgroundProcess child({dbsnap_bin().string(), "verify", manifest.string(), "--restore-into",
                           my_url_for(""), "--jobs", "1", "--quiet"});
  // Its scratch database is the dbsnap_verify_* one that receives big1.
  std::string scratch;
  ASSERT_TRUE(wait_until(
      [&] {
        auto rows = my_query("",
                             "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE "
                             "TABLE_SCHEMA LIKE 'dbsnap\\_verify\\_%' AND TABLE_NAME = "
                             "'big1'");
        if (!rows.empty()) scratch = rows[0][0];
        return !scratch.empty() || !child.running();
      },
      kFirstChunkTimeout));
  ASSERT_NO_FATAL_FAILURE(expect_interrupted(child, my_url()));
  EXPECT_TRUE(my_query("", "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                               scratch + "'")
                  .empty())
      << "the scratch database " << scratch << " was left behind";
}

// ---- completed snapshots -----------------------------------------------------

// A database with several shapes of table: many chunks (--chunk-size 64KiB),
// an empty table, quoted names, a partitioned table, awkward text.
void load_mixed_fixture(const std::string& db) {
  pg_exec(db, R"(
    CREATE TABLE wide (id bigint PRIMARY KEY, a text, b text);
    INSERT INTO wide SELECT i, md5(i::text), repeat(md5((i * 7)::text), 3)
      FROM generate_series(1, 40000) i;
    CREATE TABLE small (id int, note text);
    INSERT INTO small VALUES (1, E'tab\there'), (2, E'new\nline and back\\slash'),
                             (3, NULL), (4, 'ünïcödé ✓');
    CREATE TABLE empty (id int);
    CREATE SCHEMA "Other";
    CREATE TABLE "Other"."Mixed Case" (k int, v jsonb);
    INSERT INTO "Other"."Mixed Case" SELECT i, jsonb_build_object('k', i)
      FROM generate_series(1, 1500) i;
    CREATE TABLE parted (id int, v text) PARTITION BY RANGE (id);
    CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (1000);
    CREATE TABLE parted_high PARTITION OF parted FOR VALUES FROM (1000) TO (MAXVALUE);
    INSERT INTO parted SELECT i, 'v' || i FROM generate_series(1, 2500) i;)");
}

struct Snapshot {
  fs::path data, manifest_file;
  json manifest;
};

// Runs a backup that must succeed; returns its one snapshot.
Snapshot backup_one(const std::string& url, const fs::path& dir, const std::string& jobs,
                    const std::string& chunk_size = "64KiB") {
  CommandResult r = run_dbsnap({"backup", url, "--to", dir.string(), "--jobs", jobs, "--compress",
                                "6", "--chunk-size", chunk_size});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  expect_no_secret(r, password_of(url));
  auto data = find_files(dir, ".sql.gz");
  auto manifests = find_files(dir, ".manifest.json");
  if (data.size() != 1 || manifests.size() != 1)
    throw std::runtime_error("expected one snapshot in " + dir.string() + ", found:\n" +
                             join(list_tree(dir)));
  EXPECT_TRUE(find_files(dir, ".partial").empty());
  return Snapshot{data[0], manifests[0], read_json(manifests[0])};
}

// The decompressed text of one data chunk has one COPY block; returns its row
// lines (real newlines separate rows: COPY text escapes embedded ones).
std::uint64_t copy_rows_in(const std::string& sql, const std::string& table) {
  auto start = sql.find("COPY " + table + " ");
  if (start == std::string::npos) throw std::runtime_error("no COPY " + table + " in chunk");
  auto first_row = sql.find('\n', start) + 1;
  auto end = sql.find("\n\\.\n", first_row - 1);
  if (end == std::string::npos) throw std::runtime_error("COPY " + table + " block not ended");
  std::uint64_t rows = 0;
  for (auto i = first_row - 1; i < end; ++i)
    if (sql[i] == '\n') ++rows;
  return rows;
}

TEST(CliCompletedBackup, ManifestDescribesTheDataFileExactly) {
  ScratchPgDatabase db("cli_manifest");
  load_mixed_fixture(db.name());
  ScratchDir dir;
  Snapshot s = backup_one(db.url(), dir.path(), "4");
  const json& m = s.manifest;

  // Where and what.
  EXPECT_EQ(s.data.parent_path(), dir.path() / volume_name_of(db.url()) / db.name());
  EXPECT_EQ(m.value("status", ""), "completed");
  EXPECT_FALSE(m.contains("failure") && !m["failure"].get<std::string>().empty());
  EXPECT_EQ(m.value("database", ""), db.name());
  EXPECT_EQ(m.value("data_object", ""), s.data.filename().string());
  EXPECT_EQ(m.at("server").value("kind", ""), "postgres");
  EXPECT_EQ(read_file(s.manifest_file).find(password_of(db.url())), std::string::npos)
      << "the manifest holds the password";

  // The chunks tile the file: contiguous from 0, nothing before, between or after.
  const std::string bytes = read_file(s.data);
  const json& chunks = m.at("chunks");
  ASSERT_GT(chunks.size(), 10u) << "expected many chunks with --chunk-size 64KiB";
  std::uint64_t offset = 0;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.at("offset").get<std::uint64_t>(), offset) << c.dump();
    offset += c.at("length").get<std::uint64_t>();
  }
  EXPECT_EQ(offset, m.at("size").get<std::uint64_t>());
  EXPECT_EQ(m.at("size").get<std::uint64_t>(), fs::file_size(s.data));
  ASSERT_EQ(bytes.size(), fs::file_size(s.data));

  // SHA-256 as sha256sum computes it; the whole file is valid gzip.
  CommandResult sum = run({"sha256sum", s.data.string()});
  ASSERT_EQ(sum.exit_code, 0) << sum.describe();
  EXPECT_EQ(m.value("sha256", ""), sum.out.substr(0, 64));
  CommandResult whole = run({"gzip", "-dc", s.data.string()});
  ASSERT_EQ(whole.exit_code, 0) << whole.describe();

  // Each chunk: CRC-32 (zlib) of its stored bytes, decompresses alone with
  // gzip to raw_bytes of text; data chunks hold one COPY block of `rows` rows
  // of their table. Pieces concatenated give the whole file's text.
  ScratchDir pieces;
  std::string text_of_chunks;
  std::map<std::string, std::uint64_t> rows_from_chunks;
  ASSERT_EQ(chunks.front().value("section", ""), "pre-data");
  ASSERT_EQ(chunks.back().value("section", ""), "post-data");
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const json& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i) + " " + c.dump());
    auto off = c.at("offset").get<std::uint64_t>();
    auto len = c.at("length").get<std::uint64_t>();
    if (off + len > bytes.size()) {
      ADD_FAILURE() << "chunk beyond the end of the file";
      break;
    }
    std::string_view stored(bytes.data() + off, len);
    uLong crc = ::crc32(0L, reinterpret_cast<const Bytef*>(stored.data()),
                        static_cast<uInt>(stored.size()));
    EXPECT_EQ(c.at("crc32").get<std::uint64_t>(), static_cast<std::uint64_t>(crc));

    fs::path piece = pieces.path() / ("chunk-" + std::to_string(i) + ".gz");
    CommandResult cut = run({"dd", "if=" + s.data.string(), "of=" + piece.string(), "bs=64K",
                             "iflag=skip_bytes,count_bytes", "skip=" + std::to_string(off),
                             "count=" + std::to_string(len), "status=none"});
    ASSERT_EQ(cut.exit_code, 0) << cut.describe();
    CommandResult alone = run({"gzip", "-dc", piece.string()});
    ASSERT_EQ(alone.exit_code, 0) << "chunk does not decompress alone: " << alone.describe();
    EXPECT_EQ(alone.out.size(), c.at("raw_bytes").get<std::uint64_t>());
    text_of_chunks += alone.out;

    std::string section = c.value("section", "");
    std::string table = c.value("table", "");
    if (section == "data") {
      EXPECT_FALSE(table.empty());
      EXPECT_EQ(copy_rows_in(alone.out, table), c.at("rows").get<std::uint64_t>());
      rows_from_chunks[table] += c.at("rows").get<std::uint64_t>();
    } else {
      EXPECT_TRUE(section == "pre-data" || section == "post-data");
      EXPECT_EQ(c.at("rows").get<std::uint64_t>(), 0u);
    }
  }
  EXPECT_TRUE(text_of_chunks == whole.out) << "the chunks' text is not the file's text";

  // Row counts: the chunks add up to the per-table counts, which are the source's.
  std::map<std::string, std::uint64_t> expected = source_rows(db.name());
  ASSERT_EQ(expected.size(), 6u);  // wide, small, empty, "Other"."Mixed Case", 2 partitions
  EXPECT_EQ(rows_from_chunks, expected) << "every table has data chunks (an empty one, one)";
  EXPECT_EQ(manifest_rows(m), expected) << "per-table rows, empty tables included";

  // `snapshots` agrees.
  CommandResult listed = run_dbsnap({"snapshots", dir.path().string(), "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.describe();
  json rows = json::parse(listed.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value("status", ""), "completed");
  std::uint64_t total = 0;
  for (const auto& [t, n] : expected) total += n;
  EXPECT_EQ(rows[0].at("rows").get<std::uint64_t>(), total);
}

TEST(CliCompletedBackup, JobsDoNotChangeTheRowsPerTable) {
  ScratchPgDatabase db("cli_jobs");
  load_mixed_fixture(db.name());
  // Big enough that the planner cuts "wide2" into ctid slices.
  pg_exec(db.name(), R"(
    CREATE TABLE wide2 (id bigint, a text);
    INSERT INTO wide2 SELECT i, repeat(md5(i::text), 6) FROM generate_series(1, 200000) i;)");
  ScratchDir one, four;
  Snapshot s1 = backup_one(db.url(), one.path(), "1", "256KiB");
  Snapshot s4 = backup_one(db.url(), four.path(), "4", "256KiB");
  EXPECT_EQ(s1.manifest.value("status", ""), "completed");
  EXPECT_EQ(s4.manifest.value("status", ""), "completed");
  EXPECT_EQ(s1.manifest.at("options").value("jobs", ""), "1");
  EXPECT_EQ(s4.manifest.at("options").value("jobs", ""), "4");
  std::map<std::string, std::uint64_t> expected = source_rows(db.name());
  EXPECT_EQ(manifest_rows(s1.manifest), expected);
  EXPECT_EQ(manifest_rows(s4.manifest), expected);
  EXPECT_EQ(manifest_rows(s1.manifest), manifest_rows(s4.manifest));
  // Same SQL text overall, whatever the chunk order.
  std::uint64_t raw1 = 0, raw4 = 0;
  for (const auto& c : s1.manifest.at("chunks")) raw1 += c.at("raw_bytes").get<std::uint64_t>();
  for (const auto& c : s4.manifest.at("chunks")) raw4 += c.at("raw_bytes").get<std::uint64_t>();
  EXPECT_EQ(raw1, raw4);
}

std::set<std::string> backup_candidates() {
  std::set<std::string> names;
  for (const auto& row : pg_query("postgres",
                                  "SELECT datname FROM pg_database "
                                  "WHERE datallowconn AND NOT datistemplate"))
    names.insert(row[0]);
  return names;
}

// `dbsnap backup URL-without-database` backs up each non-template database
// into its own snapshot. It sees the whole server, so ctest runs it alone
// (RUN_SERIAL in tests/CMakeLists.txt): no other test creates, drops or locks
// a database meanwhile.
TEST(CliCompletedBackup, BackupWithoutDatabaseBacksUpEveryDatabase) {
  ScratchPgDatabase a("cli_all_a"), b("cli_all_b");
  pg_exec(a.name(), "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 123)");
  pg_exec(b.name(), "CREATE TABLE u (id int); INSERT INTO u SELECT generate_series(1, 45)");
  UrlParts p = UrlParts::parse(pg_url());
  p.rest = "";
  const std::string url = p.str();  // postgres://user:pw@host:port

  ScratchDir dir;
  std::set<std::string> before = backup_candidates();
  CommandResult r = run_dbsnap({"backup", url, "--to", dir.path().string(), "--jobs", "2"});
  ASSERT_EQ(backup_candidates(), before) << "databases came or went during the backup: is "
                                            "another test running beside this RUN_SERIAL one?";
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  expect_no_secret(r, password_of(url));

  std::map<std::string, json> by_database;
  for (const auto& file : find_files(dir.path(), ".manifest.json")) {
    json m = read_json(file);
    std::string db = m.value("database", "");
    EXPECT_EQ(file.parent_path(), dir.path() / volume_name_of(url) / db);
    EXPECT_EQ(m.value("status", ""), "completed") << db;
    EXPECT_EQ(by_database.count(db), 0u) << "two snapshots of " << db;
    by_database[db] = m;
  }
  std::set<std::string> backed_up;
  for (const auto& [db, m] : by_database) backed_up.insert(db);
  EXPECT_EQ(backed_up, before);
  EXPECT_EQ(find_files(dir.path(), ".sql.gz").size(), before.size());
  EXPECT_EQ(backed_up.count("template0") + backed_up.count("template1"), 0u);
  EXPECT_EQ(backed_up.count("postgres"), 1u);
  ASSERT_EQ(by_database.count(a.name()), 1u);
  ASSERT_EQ(by_database.count(b.name()), 1u);
  EXPECT_EQ(manifest_rows(by_database[a.name()]),
            (std::map<std::string, std::uint64_t>{{"public.t", 123}}));
  EXPECT_EQ(manifest_rows(by_database[b.name()]),
            (std::map<std::string, std::uint64_t>{{"public.u", 45}}));
}

TEST(CliCompletedBackup, BackupExcludeDatabaseSkipsMatchingDatabases) {
  ScratchPgDatabase a("cli_excl_a"), b("cli_excl_b");
  UrlParts p = UrlParts::parse(pg_url());
  p.rest = "";
  const std::string url = p.str();  // postgres://user:pw@host:port

  ScratchDir dir;
  std::set<std::string> expected = backup_candidates();
  expected.erase(b.name());
  expected.erase("postgres");
  CommandResult r = run_dbsnap({"backup", url, "--to", dir.path().string(), "--quiet",
                                "--exclude-database", b.name(), "--exclude-database", "post*"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::set<std::string> backed_up;
  for (const auto& file : find_files(dir.path(), ".manifest.json"))
    backed_up.insert(read_json(file).value("database", ""));
  EXPECT_EQ(backed_up, expected);
  EXPECT_EQ(backed_up.count(a.name()), 1u);
}

// --json: one document on stdout, nothing else, and the numbers agree with the
// manifest and the restored database.
TEST(CliJson, PingBackupVerifyAndRestoreEachPrintOneDocument) {
  ScratchPgDatabase src("cli_json_src"), dst("cli_json_dst");
  pg_exec(src.name(),
          "CREATE TABLE t (id int PRIMARY KEY, v text);"
          "INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 321) i;");
  ScratchDir dir;
  auto json_of = [](const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    return json::parse(r.out);  // throws if anything but the document is on stdout
  };

  json ping = json_of(run_dbsnap({"ping", src.url(), "--json"}));
  EXPECT_EQ(ping.value("kind", ""), "postgres");
  EXPECT_TRUE(ping.value("can_backup", false));
  EXPECT_EQ(ping.dump().find(password_of(src.url())), std::string::npos);

  json made = json_of(run_dbsnap({"backup", src.url(), "--to", dir.path().string(), "--json"}));
  ASSERT_EQ(made.size(), 1u) << made.dump();
  EXPECT_EQ(made[0].value("database", ""), src.name());
  EXPECT_EQ(made[0].value("rows", 0), 321);
  EXPECT_EQ(made[0].value("tables", 0), 1);
  const fs::path manifest = dir.path() / made[0].value("manifest", "");
  ASSERT_TRUE(fs::exists(manifest)) << manifest;
  EXPECT_EQ(made[0].value("stored_bytes", 0ull), read_json(manifest).value("size", 0ull));

  json verified = json_of(run_dbsnap({"verify", manifest.string(), "--json"}));
  EXPECT_TRUE(verified.value("ok", false));
  EXPECT_EQ(verified.value("rows", 0), 321);
  EXPECT_FALSE(verified.contains("restore_into"));

  json restored = json_of(run_dbsnap({"restore", manifest.string(), "--to", dst.url(), "--json"}));
  ASSERT_EQ(restored.at("tables").size(), 1u) << restored.dump();
  EXPECT_EQ(restored["tables"][0].value("table", ""), "public.t");
  EXPECT_EQ(restored["tables"][0].value("rows", 0), 321);
  EXPECT_EQ(pg_query(dst.name(), "SELECT count(*) FROM t")[0][0], "321");
}

}  // namespace
}  // namespace dbsnap::test
