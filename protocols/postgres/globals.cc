#include "protocols/postgres/globals.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "engine/comment_line.h"
#include "protocols/postgres/schema/catalog.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {
namespace {

constexpr std::uint32_t kPgAuthid = 1260, kPgTablespace = 1213;

// The security labels of shared objects (pg_shseclabel), (provider, label)
// in provider order, by (classoid, objoid).
using SharedLabels = std::map<std::pair<std::uint32_t, std::uint32_t>,
                              std::vector<std::pair<std::string, std::string>>>;

SharedLabels shared_labels(const Context& ctx) {
  PgResult r = catalog::query(ctx.conn, R"(
SELECT classoid, objoid, provider, label FROM pg_catalog.pg_shseclabel
 WHERE classoid IN ('pg_catalog.pg_authid'::pg_catalog.regclass,
                    'pg_catalog.pg_tablespace'::pg_catalog.regclass)
 ORDER BY provider)");
  SharedLabels out;
  for (int i = 0; i < r.rows(); ++i)
    out[{r.oid(i, 0), r.oid(i, 1)}].emplace_back(r.str(i, 2), r.str(i, 3));
  return out;
}

// buildShSecLabels: "SECURITY LABEL FOR p ON <target> IS '...';" per label.
std::string labels_of(const Context& ctx, const SharedLabels& labels, std::uint32_t classoid,
                      std::uint32_t oid, const std::string& target) {
  auto it = labels.find({classoid, oid});
  if (it == labels.end()) return "";
  std::string s;
  for (const auto& [provider, label] : it->second)
    s += fmt::format("SECURITY LABEL FOR {} ON {} IS {};\n", ctx.ident(provider), target,
                     quote_literal(label));
  return s;
}

// dumpRoles: CREATE ROLE + ALTER ROLE ... WITH, comment and labels per role.
std::string roles(const Context& ctx, const SharedLabels& labels, bool with_passwords) {
  PgResult r = catalog::query(ctx.conn, fmt::format(R"(
SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
       rolreplication, rolbypassrls, rolconnlimit, {}, rolvaliduntil,
       pg_catalog.shobj_description(oid, 'pg_authid')
  FROM pg_catalog.{} WHERE rolname !~ '^pg_' ORDER BY 2)",
                                                    with_passwords ? "rolpassword" : "NULL",
                                                    with_passwords ? "pg_authid" : "pg_roles"));
  if (r.rows() == 0) return "";
  static constexpr std::pair<const char*, const char*> kFlags[] = {
      {"SUPERUSER", "NOSUPERUSER"}, {"INHERIT", "NOINHERIT"}, {"CREATEROLE", "NOCREATEROLE"},
      {"CREATEDB", "NOCREATEDB"},   {"LOGIN", "NOLOGIN"},     {"REPLICATION", "NOREPLICATION"},
      {"BYPASSRLS", "NOBYPASSRLS"}};
  std::string s = "--\n-- Roles\n--\n\n";
  for (int i = 0; i < r.rows(); ++i) {
    std::string q = ctx.ident(r.get(i, 1));
    s += fmt::format("CREATE ROLE {};\nALTER ROLE {} WITH", q, q);
    for (int f = 0; f < 7; ++f)
      s += fmt::format(" {}", r.flag(i, 2 + f) ? kFlags[f].first : kFlags[f].second);
    if (r.get(i, 9) != "-1") s += fmt::format(" CONNECTION LIMIT {}", r.num(i, 9));
    if (!r.is_null(i, 10)) s += " PASSWORD " + quote_literal(r.get(i, 10));
    if (!r.is_null(i, 11)) s += " VALID UNTIL " + quote_literal(r.get(i, 11));
    s += ";\n";
    if (!r.is_null(i, 12))
      s += fmt::format("COMMENT ON ROLE {} IS {};\n", q, quote_literal(r.get(i, 12)));
    s += labels_of(ctx, labels, kPgAuthid, r.oid(i, 0), "ROLE " + q);
  }
  return s;
}

// dumpUserConfig of every role: its settings in no particular database.
std::string user_configurations(const Context& ctx) {
  PgResult r = catalog::query(ctx.conn, R"(
SELECT r.rolname, c.setting
  FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,
       pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, i)
 WHERE s.setdatabase = 0 AND r.rolname !~ '^pg_' ORDER BY r.rolname, c.i)");
  std::string s = "\n--\n-- User Configurations\n--\n";
  for (int i = 0; i < r.rows(); ++i) {
    if (i == 0 || r.get(i, 0) != r.get(i - 1, 0))
      s += fmt::format("\n--\n-- User Config \"{}\"\n--\n\n", sanitize_comment(r.get(i, 0)));
    s += fmt::format("ALTER ROLE {} SET {};\n", ctx.ident(r.get(i, 0)),
                     config_setting(ctx, r.str(i, 1)));
  }
  return s + "\n\n";
}

// dumpRoleMembership as pg_dumpall 15 writes it.
std::string memberships(const Context& ctx) {
  PgResult r = catalog::query(ctx.conn, R"(
SELECT ur.rolname, um.rolname, a.admin_option, ug.rolname
  FROM pg_catalog.pg_auth_members a
  LEFT JOIN pg_catalog.pg_roles ur ON ur.oid = a.roleid
  LEFT JOIN pg_catalog.pg_roles um ON um.oid = a.member
  LEFT JOIN pg_catalog.pg_roles ug ON ug.oid = a.grantor
 WHERE NOT (ur.rolname ~ '^pg_' AND um.rolname ~ '^pg_')
 ORDER BY 1, 2, 3)");
  std::string s = r.rows() > 0 ? "--\n-- Role memberships\n--\n\n" : "";
  for (int i = 0; i < r.rows(); ++i) {
    s += fmt::format("GRANT {} TO {}{}", ctx.ident(r.get(i, 0)), ctx.ident(r.get(i, 1)),
                     r.flag(i, 2) ? " WITH ADMIN OPTION" : "");
    // The grantor may have been dropped since.
    if (!r.is_null(i, 3)) s += " GRANTED BY " + ctx.ident(r.get(i, 3));
    s += ";\n";
  }
  return s + "\n\n";
}

// dumpRoleGUCPrivs (15+): GRANT SET / ALTER SYSTEM ON PARAMETER.
std::string parameter_privileges(const Context& ctx) {
  if (PQserverVersion(ctx.conn) < 150000) return "";
  PgResult r = catalog::query(ctx.conn, R"(
SELECT parname, pg_catalog.pg_get_userbyid(10), paracl, paracl IS NULL,
       pg_catalog.acldefault('p', 10)
  FROM pg_catalog.pg_parameter_acl ORDER BY 1)");
  catalog::Output out(ctx.conn, ctx.options);
  for (int i = 0; i < r.rows(); ++i) {
    std::string q = ctx.ident(r.get(i, 0));
    out.acl("PARAMETER " + q, "PARAMETER", q, "", "", r.str(i, 1), r.get(i, 2), r.flag(i, 3),
            r.get(i, 4));
  }
  if (out.acls().empty()) return "\n\n";
  return "--\n-- Role privileges on configuration parameters\n--\n\n" + out.acls() + "\n\n";
}

// "random_page_cost=2, ..." of spcoptions, names quoted, values too unless
// they are plain numbers or words (they always are: the server checks them).
std::string tablespace_options(const Context& ctx, const std::string& options_array) {
  std::string out;
  for (const std::string& item : catalog::parse_array(options_array)) {
    std::size_t eq = item.find('=');
    std::string value = item.substr(eq == std::string::npos ? item.size() : eq + 1);
    bool plain =
        !value.empty() &&
        value.find_first_not_of("0123456789.+-eEabcdfghijklmnopqrstuvwxyz_") == std::string::npos;
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", ctx.ident(item.substr(0, eq)),
                       plain ? value : quote_literal(value));
  }
  return out;
}

// dumpTablespaces: all but pg_default and pg_global, in OID order.
std::string tablespaces(const Context& ctx, const SharedLabels& labels) {
  PgResult r = catalog::query(ctx.conn, R"(
SELECT oid, spcname, pg_catalog.pg_get_userbyid(spcowner),
       pg_catalog.pg_tablespace_location(oid), spcacl, spcacl IS NULL,
       pg_catalog.acldefault('t', spcowner), coalesce(spcoptions, '{}'),
       pg_catalog.shobj_description(oid, 'pg_tablespace')
  FROM pg_catalog.pg_tablespace WHERE spcname !~ '^pg_' ORDER BY 1)");
  if (r.rows() == 0) return "";
  std::string s = "--\n-- Tablespaces\n--\n\n";
  for (int i = 0; i < r.rows(); ++i) {
    std::string name = r.str(i, 1), owner = r.str(i, 2), q = ctx.ident(name);
    std::string_view location = r.get(i, 3);
    // In-place tablespaces (a relative location) are dumped with ''.
    s += fmt::format("CREATE TABLESPACE {} OWNER {} LOCATION {};\n", q, ctx.ident(owner),
                     quote_literal(location.starts_with('/') ? location : ""));
    std::string options = tablespace_options(ctx, r.str(i, 7));
    if (!options.empty()) s += fmt::format("ALTER TABLESPACE {} SET ({});\n", q, options);
    catalog::Output acl(ctx.conn, ctx.options);
    acl.acl("TABLESPACE " + q, "TABLESPACE", q, "", "", owner, r.get(i, 4), r.flag(i, 5),
            r.get(i, 6));
    s += acl.acls();
    if (!r.is_null(i, 8) && !r.get(i, 8).empty())
      s += fmt::format("COMMENT ON TABLESPACE {} IS {};\n", q, quote_literal(r.get(i, 8)));
    s += labels_of(ctx, labels, kPgTablespace, r.oid(i, 0), "TABLESPACE " + q);
  }
  return s + "\n\n";
}

// pg_dumpall 10's dumpDbRoleConfig: each role's settings in one database.
std::string per_database_settings(const Context& ctx) {
  PgResult r = catalog::query(ctx.conn, R"(
SELECT r.rolname, d.datname, c.setting
  FROM pg_catalog.pg_db_role_setting s
  JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
  JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase,
       pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, i)
 WHERE r.rolname !~ '^pg_' ORDER BY d.datname, r.rolname, c.i)");
  if (r.rows() == 0) return "";
  std::string s = "--\n-- Per-Database Role Settings\n--\n\n";
  for (int i = 0; i < r.rows(); ++i)
    s += fmt::format("ALTER ROLE {} IN DATABASE {} SET {};\n", ctx.ident(r.get(i, 0)),
                     ctx.ident(r.get(i, 1)), config_setting(ctx, r.str(i, 2)));
  return s + "\n\n";
}

class GlobalsDump final : public DatabaseDump {
 public:
  GlobalsDump(PgConnection conn, std::string script)
      : conn_(std::move(conn)), script_(std::move(script)) {}

  ServerInfo server() const override {
    const char* version = PQparameterStatus(conn_.get(), "server_version");
    return {"postgres", version != nullptr ? version : ""};
  }
  std::map<std::string, std::string> position() const override { return {}; }
  void pre_data(ChunkSink& out) override { out.emit(Section::pre_data, "", script_, 0, 0); }
  std::vector<DataItem> plan(std::uint64_t) override { return {}; }
  std::vector<std::unique_ptr<SnapshotSession>> share(std::size_t) override { return {}; }
  void post_data(ChunkSink&) override {}

 private:
  PgConnection conn_;
  std::string script_;
};

}  // namespace

std::string globals_script(PGconn* conn, const DumpOptions& options, bool with_passwords) {
  Context ctx{conn, options, {}, {}, {}, {}, {}};
  SharedLabels labels = shared_labels(ctx);
  std::string s = fmt::format(
      "--\n-- PostgreSQL database cluster dump\n--\n\n"
      "SET default_transaction_read_only = off;\n\n"
      "SET client_encoding = '{}';\n"
      "SET standard_conforming_strings = on;\n\n",
      pg_encoding_to_char(PQclientEncoding(conn)));
  s += roles(ctx, labels, with_passwords);
  s += user_configurations(ctx);
  s += memberships(ctx);
  s += parameter_privileges(ctx);
  s += tablespaces(ctx, labels);
  s += per_database_settings(ctx);
  return s + "--\n-- PostgreSQL database cluster dump complete\n--\n\n";
}

std::unique_ptr<DatabaseDump> open_globals_dump(const ServerUrl& url, const DumpOptions& options) {
  PgConnection conn = PgConnection::connect(url, url.database.empty() ? "postgres" : "");
  // One view of the catalogs for every query.
  conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  PgResult r = conn.exec(
      "SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT'), current_user");
  bool with_passwords = r.flag(0, 0);
  if (!with_passwords)
    fmt::print(stderr,
               "dbsnap: warning: user '{}' cannot read pg_authid (not a superuser): roles are "
               "backed up without their passwords, as pg_dumpall --no-role-passwords\n",
               sanitize_comment(r.get(0, 1)));
  std::string script = globals_script(conn.get(), options, with_passwords);
  conn.exec("COMMIT");
  return std::make_unique<GlobalsDump>(std::move(conn), std::move(script));
}

}  // namespace dbsnap::pg
