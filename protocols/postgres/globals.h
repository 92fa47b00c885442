// The server's global objects as `pg_dumpall --globals-only` writes them
// (PostgreSQL docs, "pg_dumpall"; src/bin/pg_dump/pg_dumpall.c of
// PostgreSQL 15: dumpRoles, dumpUserConfig, dumpRoleMembership,
// dumpTablespaces, buildShSecLabels), over libpq: `dbsnap backup --globals`.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "engine/dialect.h"
#include "engine/url.h"

namespace dbsnap::pg {

// The globals script of the server conn is connected to, in pg_dumpall 15's
// form and order: its header SETs, then
//   -- Roles                    CREATE ROLE r; ALTER ROLE r WITH ...; and each
//                               role's COMMENT ON ROLE and SECURITY LABELs
//   -- User Configurations      ALTER ROLE r SET name TO value;
//   -- Role memberships         GRANT r TO m [WITH ADMIN OPTION] [GRANTED BY g];
//   -- Role privileges on configuration parameters (15+)
//                               GRANT SET, ALTER SYSTEM ON PARAMETER p TO r;
//   -- Tablespaces              CREATE TABLESPACE t OWNER o LOCATION '...';
//                               ALTER TABLESPACE t SET (...); ACL; comment; labels
//   -- Per-Database Role Settings   ALTER ROLE r IN DATABASE d SET name TO value;
// Roles named pg_* and the tablespaces pg_default and pg_global are left out,
// as pg_dumpall does; every role gets its CREATE ROLE, the connected one too
// (pg_dumpall's script expects that statement to fail where the role exists).
// The last section is pg_dumpall 10's (later versions leave it to pg_dump
// --create); against a server without one of its databases those statements
// fail and psql goes on. with_passwords: the roles come from pg_authid and
// carry PASSWORD '<hash>' (needs a superuser); else from pg_roles, without
// passwords, as pg_dumpall --no-role-passwords. options.no_privileges leaves
// out the privileges on tablespaces and parameters; options.no_owner is
// ignored (pg_dumpall -O applies to databases only). Every name and value is printed as a quoted
// identifier or literal; names in comment lines are sanitised
// (engine/comment_line.h). Not thread-safe (uses conn). Throws
// dbsnap::Error(ExitCode::server_error) when a catalog query fails.
std::string globals_script(PGconn* conn, const DumpOptions& options, bool with_passwords);

// The DatabaseDump of `dbsnap backup --globals`: one connection to
// url.database (else "postgres") whose pre-data chunk is globals_script()
// and which has no data items and no post-data. Passwords are dumped when the
// user may read pg_authid (a superuser); otherwise a one-line warning goes to
// stderr and the roles are dumped without them. position() is empty.
// Throws dbsnap::Error as PgConnection::connect and the catalog queries do.
std::unique_ptr<DatabaseDump> open_globals_dump(const ServerUrl& url, const DumpOptions& options);

}  // namespace dbsnap::pg
