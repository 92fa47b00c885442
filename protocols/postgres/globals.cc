#include "protocols/postgres/globals.h"

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/comment_line.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/catalog.h"
#include "protocols/postgres/schema/readers.h"
#include "protocols/postgres/schema/rows.h"

namespace dbsnap::pg {
namespace {

constexpr std::uint32_t kPgAuthid = 1260, kPgTablespace = 1213;

// The security labels of shared objects (pg_shseclabel), (provider, label)
// in provider order, by (classoid, objoid).
using SharedLabels = std::map<std::pair<std::uint32_t, std::uint32_t>,
                              std::vector<std::pair<std::string, std::string>>>;

struct SharedLabelRow {
  std::uint32_t classoid, objoid;
  std::string provider, label;

  static SharedLabelRow read(const Row& r) {
    return read_fields<SharedLabelRow>(r, {"classoid", "objoid", "provider", "label"});
  }
};

SharedLabels shared_labels(const Context& ctx) {
  auto rows = read_rows<SharedLabelRow>(ctx.conn, R"(
SELECT classoid, objoid, provider, label FROM pg_catalog.pg_shseclabel
 WHERE classoid IN ('pg_catalog.pg_authid'::pg_catalog.regclass,
                    'pg_catalog.pg_tablespace'::pg_catalog.regclass)
 ORDER BY provider)");
  SharedLabels out;
  for (auto& l : rows)
    out[{l.classoid, l.objoid}].emplace_back(std::move(l.provider), std::move(l.label));
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

// pg_authid (pg_roles without the passwords). flags: rolsuper, rolinherit,
// rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls.
struct RoleRow {
  static constexpr const char* kFlagColumns[] = {"rolsuper",    "rolinherit",  "rolcreaterole",
                                                 "rolcreatedb", "rolcanlogin", "rolreplication",
                                                 "rolbypassrls"};
  std::uint32_t oid;
  std::string name;
  bool flags[std::size(kFlagColumns)];
  long long connection_limit;
  std::optional<std::string> password, valid_until, description;

  static RoleRow read(const Row& r) {
    RoleRow role{r.oid("oid"),          r.str("rolname"),  {},
                 r.num("rolconnlimit"), r.opt("password"), r.opt("rolvaliduntil"),
                 r.opt("description")};
    for (std::size_t f = 0; f < std::size(kFlagColumns); ++f)
      role.flags[f] = r.flag(kFlagColumns[f]);
    return role;
  }
};

// dumpRoles: CREATE ROLE + ALTER ROLE ... WITH, comment and labels per role.
std::string roles(const Context& ctx, const SharedLabels& labels, bool with_passwords) {
  auto rows = read_rows<RoleRow>(ctx.conn, fmt::format(R"(
SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
       rolreplication, rolbypassrls, rolconnlimit, {} AS password, rolvaliduntil,
       pg_catalog.shobj_description(oid, 'pg_authid') AS description
  FROM pg_catalog.{} WHERE rolname !~ '^pg_' ORDER BY rolname)",
                                                       with_passwords ? "rolpassword" : "NULL",
                                                       with_passwords ? "pg_authid" : "pg_roles"));
  if (rows.empty()) return "";
  static constexpr std::pair<const char*, const char*> kFlags[] = {
      {"SUPERUSER", "NOSUPERUSER"}, {"INHERIT", "NOINHERIT"}, {"CREATEROLE", "NOCREATEROLE"},
      {"CREATEDB", "NOCREATEDB"},   {"LOGIN", "NOLOGIN"},     {"REPLICATION", "NOREPLICATION"},
      {"BYPASSRLS", "NOBYPASSRLS"}};
  static_assert(std::size(kFlags) == std::size(RoleRow::kFlagColumns));
  std::string s = "--\n-- Roles\n--\n\n";
  for (const auto& role : rows) {
    std::string q = ctx.ident(role.name);
    s += fmt::format("CREATE ROLE {};\nALTER ROLE {} WITH", q, q);
    for (std::size_t f = 0; f < std::size(kFlags); ++f)
      s += fmt::format(" {}", role.flags[f] ? kFlags[f].first : kFlags[f].second);
    if (role.connection_limit != -1)
      s += fmt::format(" CONNECTION LIMIT {}", role.connection_limit);
    if (role.password) s += " PASSWORD " + quote_literal(*role.password);
    if (role.valid_until) s += " VALID UNTIL " + quote_literal(*role.valid_until);
    s += ";\n";
    if (role.description)
      s += fmt::format("COMMENT ON ROLE {} IS {};\n", q, quote_literal(*role.description));
    s += labels_of(ctx, labels, kPgAuthid, role.oid, "ROLE " + q);
  }
  return s;
}

// One setting of pg_db_role_setting; database "" when it is for no
// particular database.
struct RoleSettingRow {
  std::string role, database, setting;

  static RoleSettingRow read(const Row& r) {
    return read_fields<RoleSettingRow>(r, {"role", "database", "setting"});
  }
};

// dumpUserConfig of every role: its settings in no particular database.
std::string user_configurations(const Context& ctx) {
  auto rows = read_rows<RoleSettingRow>(ctx.conn, R"(
SELECT r.rolname AS role, '' AS database, c.setting
  FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,
       pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, i)
 WHERE s.setdatabase = 0 AND r.rolname !~ '^pg_' ORDER BY r.rolname, c.i)");
  std::string s = "\n--\n-- User Configurations\n--\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string& role = rows[i].role;
    if (i == 0 || role != rows[i - 1].role)
      s += fmt::format("\n--\n-- User Config \"{}\"\n--\n\n", sanitize_comment(role));
    s += fmt::format("ALTER ROLE {} SET {};\n", ctx.ident(role),
                     config_setting(ctx, rows[i].setting));
  }
  return s + "\n\n";
}

// pg_auth_members; grantor nullopt when that role has been dropped since.
struct MembershipRow {
  std::string role, member;
  bool admin_option;
  std::optional<std::string> grantor;

  static MembershipRow read(const Row& r) {
    return read_fields<MembershipRow>(r, {"role", "member", "admin_option", "grantor"});
  }
};

// dumpRoleMembership as pg_dumpall 15 writes it.
std::string memberships(const Context& ctx) {
  auto rows = read_rows<MembershipRow>(ctx.conn, R"(
SELECT ur.rolname AS role, um.rolname AS member, a.admin_option, ug.rolname AS grantor
  FROM pg_catalog.pg_auth_members a
  LEFT JOIN pg_catalog.pg_roles ur ON ur.oid = a.roleid
  LEFT JOIN pg_catalog.pg_roles um ON um.oid = a.member
  LEFT JOIN pg_catalog.pg_roles ug ON ug.oid = a.grantor
 WHERE NOT (ur.rolname ~ '^pg_' AND um.rolname ~ '^pg_')
 ORDER BY 1, 2, 3)");
  std::string s = rows.empty() ? "" : "--\n-- Role memberships\n--\n\n";
  for (const auto& m : rows) {
    s += fmt::format("GRANT {} TO {}{}", ctx.ident(m.role), ctx.ident(m.member),
                     m.admin_option ? " WITH ADMIN OPTION" : "");
    if (m.grantor) s += " GRANTED BY " + ctx.ident(*m.grantor);
    s += ";\n";
  }
  return s + "\n\n";
}

// pg_parameter_acl; owner: the bootstrap superuser's name.
struct ParameterRow {
  std::string name, owner;
  Acl acl;

  static ParameterRow read(const Row& r) {
    return read_fields<ParameterRow>(r, {"parname", "owner", "acl"});
  }
};

// dumpRoleGUCPrivs (15+): GRANT SET / ALTER SYSTEM ON PARAMETER.
std::string parameter_privileges(const Context& ctx) {
  if (PQserverVersion(ctx.conn) < 150000) return "";
  auto rows =
      read_rows<ParameterRow>(ctx.conn, fmt::format(R"(
SELECT parname, pg_catalog.pg_get_userbyid(10) AS owner, {}
  FROM pg_catalog.pg_parameter_acl ORDER BY parname)",
                                                    catalog::acl_columns("paracl", 'p', "10")));
  catalog::Output out(ctx.conn, ctx.options);
  for (const auto& p : rows) {
    std::string q = ctx.ident(p.name);
    out.acl("PARAMETER " + q, "PARAMETER", q, "", "", p.owner, p.acl.acl, p.acl.is_null,
            p.acl.base);
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

// pg_tablespace; options: the spcoptions array text ("{}" for none).
struct TablespaceRow {
  std::uint32_t oid;
  std::string name, owner, location;
  Acl acl;
  std::string options;
  std::optional<std::string> description;

  static TablespaceRow read(const Row& r) {
    return read_fields<TablespaceRow>(
        r, {"oid", "spcname", "owner", "location", "acl", "options", "description"});
  }
};

// dumpTablespaces: all but pg_default and pg_global, in OID order.
std::string tablespaces(const Context& ctx, const SharedLabels& labels) {
  auto rows = read_rows<TablespaceRow>(
      ctx.conn, fmt::format(R"(
SELECT oid, spcname, pg_catalog.pg_get_userbyid(spcowner) AS owner,
       pg_catalog.pg_tablespace_location(oid) AS location, {},
       coalesce(spcoptions, '{{}}') AS options,
       pg_catalog.shobj_description(oid, 'pg_tablespace') AS description
  FROM pg_catalog.pg_tablespace WHERE spcname !~ '^pg_' ORDER BY oid)",
                            catalog::acl_columns("spcacl", 't', "spcowner")));
  if (rows.empty()) return "";
  std::string s = "--\n-- Tablespaces\n--\n\n";
  for (const auto& t : rows) {
    std::string q = ctx.ident(t.name);
    // In-place tablespaces (a relative location) are dumped with ''.
    s += fmt::format("CREATE TABLESPACE {} OWNER {} LOCATION {};\n", q, ctx.ident(t.owner),
                     quote_literal(t.location.starts_with('/') ? t.location : ""));
    std::string options = tablespace_options(ctx, t.options);
    if (!options.empty()) s += fmt::format("ALTER TABLESPACE {} SET ({});\n", q, options);
    catalog::Output acl(ctx.conn, ctx.options);
    acl.acl("TABLESPACE " + q, "TABLESPACE", q, "", "", t.owner, t.acl.acl, t.acl.is_null,
            t.acl.base);
    s += acl.acls();
    if (t.description && !t.description->empty())
      s += fmt::format("COMMENT ON TABLESPACE {} IS {};\n", q, quote_literal(*t.description));
    s += labels_of(ctx, labels, kPgTablespace, t.oid, "TABLESPACE " + q);
  }
  return s + "\n\n";
}

// pg_dumpall 10's dumpDbRoleConfig: each role's settings in one database.
std::string per_database_settings(const Context& ctx) {
  auto rows = read_rows<RoleSettingRow>(ctx.conn, R"(
SELECT r.rolname AS role, d.datname AS database, c.setting
  FROM pg_catalog.pg_db_role_setting s
  JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
  JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase,
       pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, i)
 WHERE r.rolname !~ '^pg_' ORDER BY d.datname, r.rolname, c.i)");
  if (rows.empty()) return "";
  std::string s = "--\n-- Per-Database Role Settings\n--\n\n";
  for (const auto& r : rows)
    s += fmt::format("ALTER ROLE {} IN DATABASE {} SET {};\n", ctx.ident(r.role),
                     ctx.ident(r.database), config_setting(ctx, r.setting));
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
  Context ctx{conn, options, {}, {}, {}, {}, {}, {}, {}};
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
