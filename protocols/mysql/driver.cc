#include "protocols/mysql/driver.h"

#include <fmt/format.h>

#include <set>

#include "engine/error.h"
#include "protocols/mysql/connection.h"
#include "protocols/mysql/dump.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

// The current user's privileges, global and (when database is not empty) on
// database, as information_schema names them: "SELECT", "SHOW VIEW", ...
std::set<std::string> privileges(const MyConnection& conn, const std::string& database) {
  // GRANTEE is 'user'@'host'; CURRENT_USER() is user@host.
  std::string grantee =
      "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
      "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
  std::string sql = fmt::format(
      "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = {}", grantee);
  if (!database.empty())
    sql += fmt::format(
        " UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
        "WHERE GRANTEE = {} AND {} LIKE TABLE_SCHEMA",
        grantee, quote_string(database));
  std::set<std::string> out;
  auto r = conn.query(sql);
  while (r.next()) out.insert(r.str(0));
  return out;
}

}  // namespace

PingReport MyDriver::ping(const ServerUrl& url) {
  auto conn = MyConnection::connect(url);
  PingReport report;
  report.server = ServerInfo{conn.is_mariadb() ? "mariadb" : "mysql", conn.server_version()};
  auto user = conn.query("SELECT CURRENT_USER()");
  if (user.next()) report.user = user.str(0);
  auto granted = privileges(conn, url.database);
  std::string scope = url.database.empty() ? "the server" : quote_ident(url.database);
  auto missing = [&](std::string_view privilege, std::string_view why) {
    if (granted.count(std::string(privilege))) return false;
    report.notes.push_back(fmt::format("no {} privilege on {}: {}", privilege, scope, why));
    return true;
  };
  bool backup = true;
  backup &= !missing("SELECT", "cannot read the tables");
  backup &= !missing("SHOW VIEW", "cannot read view definitions");
  backup &= !missing("TRIGGER", "triggers would be missing from backups");
  backup &= !missing("EVENT", "events would be missing from backups");
  report.can_backup = backup;
  if (!granted.count("RELOAD"))
    report.notes.push_back(
        "no RELOAD privilege: backups cannot take the brief global lock and fall back to "
        "per-connection snapshots (tables may not match each other)");
  report.can_restore = !missing("CREATE", "cannot create databases or tables");
  return report;
}

std::vector<std::string> MyDriver::databases(const ServerUrl& url) {
  static const std::set<std::string, std::less<>> kSystem = {"information_schema",
                                                             "performance_schema", "mysql", "sys"};
  auto conn = MyConnection::connect(url);
  std::vector<std::string> out;
  auto r = conn.query("SHOW DATABASES");
  while (r.next())
    if (!kSystem.count(r.get(0))) out.push_back(r.str(0));
  return out;
}

std::unique_ptr<DatabaseDump> MyDriver::open_dump(const ServerUrl& url,
                                                  const DumpOptions& options) {
  if (options.globals)
    throw Error(ExitCode::unsupported,
                "--globals is for PostgreSQL only: dbsnap does not back up MySQL/MariaDB users "
                "and grants (mariadb-dump --system=users does)");
  return mysql::open_dump(url, options);
}

std::unique_ptr<Driver> make_mysql_driver() { return std::make_unique<MyDriver>(); }

}  // namespace dbsnap::mysql
