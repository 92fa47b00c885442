// pg_dump --create (-C): the database's own entries, before every other
// object (pg_dump.c dumpDatabase, dumpDatabaseConfig; dumputils.c
// appendPsqlMetaConnect; pg_backup_archiver.c _reconnectToDB).
#include <fmt/format.h>

#include <optional>

#include "engine/error.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {
namespace {

constexpr std::uint32_t kPgDatabase = 1262;

// The current database's pg_database row; columns that a server version
// lacks read as their defaults (datlocprovider from 15, daticulocale in 15
// and 16, datlocale from 17, daticurules from 16).
struct DatabaseRow {
  std::uint32_t oid;
  std::string name, owner, encoding, collate, ctype;
  char provider;  // 'c' libc, 'i' icu, 'b' builtin
  std::optional<std::string> locale, icu_rules;
  bool is_template;
  std::string connection_limit, tablespace, acl, acl_default;
  bool acl_null;
  std::optional<std::string> comment;

  static DatabaseRow read(const Row& r) {
    return read_fields<DatabaseRow>(
        r, {"oid", "name", "owner", "encoding", "collate", "ctype", "provider", "locale",
            "icu_rules", "is_template", "connection_limit", "tablespace", "acl", "acl_default",
            "acl_is_null", "comment"});
  }
};

DatabaseRow database_row(PGconn* conn) {
  int v = PQserverVersion(conn);
  auto rows =
      read_rows<DatabaseRow>(conn, fmt::format(R"(
SELECT d.oid, d.datname AS name, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
       pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate,
       d.datctype AS ctype, {} AS provider, {} AS locale, {} AS icu_rules,
       d.datistemplate AS is_template, d.datconnlimit AS connection_limit,
       t.spcname AS tablespace, {},
       pg_catalog.shobj_description(d.oid, 'pg_database') AS comment
  FROM pg_catalog.pg_database d
  LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace
 WHERE d.datname = pg_catalog.current_database())",
                                               v >= 150000 ? "d.datlocprovider" : "'c'",
                                               v >= 170000   ? "d.datlocale"
                                               : v >= 150000 ? "d.daticulocale"
                                                             : "NULL",
                                               v >= 160000 ? "d.daticurules" : "NULL",
                                               catalog::acl_columns("d.datacl", 'd', "d.datdba")));
  return rows.at(0);
}

// A pg_db_role_setting item; role NULL for the database's own settings.
struct SettingRow {
  std::optional<std::string> role;
  std::string setting;

  static SettingRow read(const Row& r) { return {r.opt("rolname"), r.str("setting")}; }
};

std::string create_database(const Context& ctx, const DatabaseRow& d) {
  std::string s = fmt::format("CREATE DATABASE {} WITH TEMPLATE = template0 ENCODING = {}",
                              ctx.ident(d.name), quote_literal(d.encoding));
  s += d.provider == 'i'   ? " LOCALE_PROVIDER = icu"
       : d.provider == 'b' ? " LOCALE_PROVIDER = builtin"
                           : " LOCALE_PROVIDER = libc";
  if (!d.collate.empty() && d.collate == d.ctype) {
    s += " LOCALE = " + quote_literal(d.collate);
  } else {
    if (!d.collate.empty()) s += " LC_COLLATE = " + quote_literal(d.collate);
    if (!d.ctype.empty()) s += " LC_CTYPE = " + quote_literal(d.ctype);
  }
  if (d.locale && d.provider == 'i') s += " ICU_LOCALE = " + quote_literal(*d.locale);
  if (d.locale && d.provider == 'b') s += " BUILTIN_LOCALE = " + quote_literal(*d.locale);
  if (d.icu_rules) s += " ICU_RULES = " + quote_literal(*d.icu_rules);
  if (!d.tablespace.empty() && d.tablespace != "pg_default")
    s += " TABLESPACE = " + ctx.ident(d.tablespace);
  return s + ";\n";
}

// The DATABASE PROPERTIES statements: connection limit, template flag, the
// database's settings, then each role's settings in it.
std::string database_properties(const Context& ctx, const DatabaseRow& d) {
  std::string q = ctx.ident(d.name), s;
  if (d.connection_limit != "-1")
    s += fmt::format("ALTER DATABASE {} CONNECTION LIMIT = {};\n", q, d.connection_limit);
  if (d.is_template) s += fmt::format("ALTER DATABASE {} IS_TEMPLATE = true;\n", q);
  auto settings = read_rows<SettingRow>(ctx.conn, fmt::format(R"(
SELECT r.rolname, c.setting
  FROM pg_catalog.pg_db_role_setting s
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,
       pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(setting, i)
 WHERE s.setdatabase = {} ORDER BY s.setrole <> 0, r.rolname, c.i)",
                                                              d.oid));
  for (const auto& setting : settings) {
    std::string who = setting.role
                          ? fmt::format("ROLE {} IN DATABASE {}", ctx.ident(*setting.role), q)
                          : "DATABASE " + q;
    s += fmt::format("ALTER {} SET {};\n", who, config_setting(ctx, setting.setting));
  }
  return s;
}

// psql's \connect to name, quoted as pg_dump's appendPsqlMetaConnect does;
// a name with a line break cannot be written (pg_dump refuses it too).
std::string psql_connect(const Context& ctx, const std::string& name) {
  bool plain = true;
  for (char c : name) {
    if (c == '\n' || c == '\r')
      throw Error(ExitCode::failure,
                  "the database name contains a newline or carriage return: --create cannot "
                  "write its \\connect line");
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.');
  }
  if (plain) return "\\connect " + ctx.ident(name) + "\n\n";
  std::string value = "dbname='";
  for (char c : name) {
    if (c == '\'' || c == '\\') value += '\\';
    value += c;
  }
  return "\\connect -reuse-previous=on " + ctx.ident(value + "'") + "\n\n";
}

}  // namespace

std::string database_entries(Context& ctx, const std::string& fixed_state) {
  DatabaseRow d = database_row(ctx.conn);
  std::string q = ctx.ident(d.name), connect = psql_connect(ctx, d.name) + fixed_state;
  Output created(ctx.conn, ctx.options), properties(ctx.conn, ctx.options),
      acl(ctx.conn, ctx.options);
  created.entry(
      {d.name, "DATABASE", "", d.owner, create_database(ctx, d), "ALTER DATABASE " + q, {}, {}});
  std::string tag = "DATABASE " + q;
  if (d.comment) properties.comment(tag, tag, "", d.owner, *d.comment);
  ctx.security_labels(properties, kPgDatabase, d.oid, tag, "", d.owner,
                      [&](int sub) { return sub == 0 ? tag : ""; });
  std::string props = database_properties(ctx, d);
  if (!props.empty())
    properties.entry({d.name, "DATABASE PROPERTIES", "", d.owner, props, "", {}, {}});
  acl.acl(tag, "DATABASE", q, "", "", d.owner, d.acl, d.acl_null, d.acl_default);
  return created.pre() + connect + properties.pre() + (props.empty() ? "" : connect) + acl.acls();
}

}  // namespace dbsnap::pg
