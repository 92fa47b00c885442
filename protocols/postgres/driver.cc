#include "protocols/postgres/driver.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/dump.h"
#include "protocols/postgres/globals.h"

namespace dbsnap::pg {
namespace {

// Unreadable relations listed by ping before "... and N more".
constexpr int kMaxPingNotes = 10;

}  // namespace

PingReport PgDriver::ping(const ServerUrl& url) {
  PgConnection conn = PgConnection::connect(url);
  PingReport report;
  report.server = server_info(conn);
  PgResult role = conn.exec(R"(
SELECT r.rolname, r.rolsuper OR r.rolcreatedb OR pg_catalog.pg_has_role(d.datdba, 'MEMBER'),
       d.datname
  FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
 WHERE r.rolname = current_user AND d.datname = pg_catalog.current_database())");
  report.user = role.str(0, 0);
  report.can_restore = role.flag(0, 1);
  if (!report.can_restore)
    report.notes.push_back(
        fmt::format("user '{}' may not create databases (no CREATEDB) and "
                    "does not own database '{}'",
                    report.user, role.get(0, 2)));

  PgResult unreadable = conn.exec(R"(
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),
       CASE WHEN NOT pg_catalog.has_schema_privilege(n.oid, 'USAGE')
            THEN 'no USAGE privilege on its schema'
            WHEN NOT pg_catalog.has_table_privilege(c.oid, 'SELECT') THEN 'no SELECT privilege'
            ELSE 'row-level security would hide rows (needs BYPASSRLS or ownership)' END
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_roles r ON r.rolname = current_user
 WHERE c.relkind IN ('r', 'p', 'm', 'S')
   AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND (NOT pg_catalog.has_schema_privilege(n.oid, 'USAGE')
        OR NOT pg_catalog.has_table_privilege(c.oid, 'SELECT')
        OR (c.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls
            AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(c.relowner, 'MEMBER'))))
 ORDER BY 1)");
  report.can_backup = unreadable.rows() == 0;
  for (int i = 0; i < std::min(unreadable.rows(), kMaxPingNotes); ++i)
    report.notes.push_back(
        fmt::format("cannot read {}: {}", unreadable.get(i, 0), unreadable.get(i, 1)));
  if (unreadable.rows() > kMaxPingNotes)
    report.notes.push_back(
        fmt::format("... and {} more relations not readable", unreadable.rows() - kMaxPingNotes));
  return report;
}

std::vector<std::string> PgDriver::databases(const ServerUrl& url) {
  PgConnection conn = PgConnection::connect(url);
  PgResult r = conn.exec(
      "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate "
      "ORDER BY datname");
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) names.push_back(r.str(i, 0));
  return names;
}

std::unique_ptr<DatabaseDump> PgDriver::open_dump(const ServerUrl& url,
                                                  const DumpOptions& options) {
  if (options.globals) return open_globals_dump(url, options);
  return pg::open_dump(url, options, slice_bytes_);
}

std::unique_ptr<Driver> make_pg_driver() { return std::make_unique<PgDriver>(); }

}  // namespace dbsnap::pg
