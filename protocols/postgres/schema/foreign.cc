// Readers of foreign data wrappers and foreign servers with their user
// mappings (pg_dump.c dumpForeignDataWrapper, dumpForeignServer,
// dumpUserMappings). Foreign tables are relations (schema/relations.cc).
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

std::string fdw_options_sql(std::string_view column) {
  return fmt::format(
      "pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || "
      "pg_catalog.quote_literal(option_value) FROM pg_catalog.pg_options_to_table({}) "
      "ORDER BY option_name), E',\\n    ')",
      column);
}

namespace {

std::string options_clause(std::string_view options) {
  return options.empty() ? "" : fmt::format(" OPTIONS (\n    {}\n)", options);
}

// CREATE USER MAPPING entries of the server (pg_user_mappings shows the
// options only to whom may see them, as for pg_dump).
std::vector<Toc> user_mappings(const Context& ctx, std::uint32_t server, const std::string& name,
                               const std::string& owner) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT usename, {}
  FROM pg_catalog.pg_user_mappings WHERE srvid = {} ORDER BY usename)",
                                           fdw_options_sql("umoptions"), server));
  std::vector<Toc> out;
  for (int i = 0; i < r.rows(); ++i) {
    std::string user = r.str(i, 0);
    std::string d = fmt::format("CREATE USER MAPPING FOR {} SERVER {}{};\n", ctx.ident(user),
                                ctx.ident(name), options_clause(r.get(i, 1)));
    out.push_back({fmt::format("USER MAPPING {} SERVER {}", user, name),
                   "USER MAPPING",
                   "",
                   owner,
                   d,
                   "",
                   {},
                   {}});
  }
  return out;
}

}  // namespace

void add_foreign_data_wrappers(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT f.oid, f.fdwname, pg_catalog.pg_get_userbyid(f.fdwowner), f.fdwhandler::pg_catalog.regproc,
       f.fdwvalidator::pg_catalog.regproc, {}, f.fdwacl IS NULL, f.fdwacl,
       pg_catalog.acldefault('F', f.fdwowner)
  FROM pg_catalog.pg_foreign_data_wrapper f
 WHERE {})",
                                           fdw_options_sql("f.fdwoptions"),
                                           not_in_extension("pg_foreign_data_wrapper", "f.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), q = ctx.ident(name);
    std::string d = "CREATE FOREIGN DATA WRAPPER " + q;
    if (r.get(i, 3) != "-") d += " HANDLER " + r.str(i, 3);
    if (r.get(i, 4) != "-") d += " VALIDATOR " + r.str(i, 4);
    d += options_clause(r.get(i, 5)) + ";\n";
    std::string acl = r.str(i, 7), base = r.str(i, 8);
    bool acl_null = r.flag(i, 6);
    DumpObject o;
    o.priority = Priority::fdw;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, q, d, acl, acl_null, base](Output& out) {
      out.entry(
          {name, "FOREIGN DATA WRAPPER", "", owner, d, "ALTER FOREIGN DATA WRAPPER " + q, {}, {}});
      std::string target = "FOREIGN DATA WRAPPER " + q;
      ctx.comment(out, catalog::kPgForeignDataWrapper, oid, 0, target, target, "", owner);
      out.acl(target, "FOREIGN DATA WRAPPER", q, "", "", owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgForeignDataWrapper, oid}, ctx.graph.add(std::move(o)));
  }
}

void add_foreign_servers(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT s.oid, s.srvname, pg_catalog.pg_get_userbyid(s.srvowner), coalesce(s.srvtype, ''),
       coalesce(s.srvversion, ''), f.fdwname, {}, s.srvacl IS NULL, s.srvacl,
       pg_catalog.acldefault('S', s.srvowner)
  FROM pg_catalog.pg_foreign_server s
  JOIN pg_catalog.pg_foreign_data_wrapper f ON f.oid = s.srvfdw
 WHERE {})",
                                           fdw_options_sql("s.srvoptions"),
                                           not_in_extension("pg_foreign_server", "s.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), q = ctx.ident(name);
    std::string d = "CREATE SERVER " + q;
    if (!r.get(i, 3).empty()) d += " TYPE " + quote_literal(r.get(i, 3));
    if (!r.get(i, 4).empty()) d += " VERSION " + quote_literal(r.get(i, 4));
    d += " FOREIGN DATA WRAPPER " + ctx.ident(r.get(i, 5)) + options_clause(r.get(i, 6)) + ";\n";
    std::string acl = r.str(i, 8), base = r.str(i, 9);
    bool acl_null = r.flag(i, 7);
    std::vector<Toc> mappings = user_mappings(ctx, oid, name, owner);
    DumpObject o;
    o.priority = Priority::foreign_server;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, q, d, acl, acl_null, base, mappings](Output& out) {
      out.entry({name, "SERVER", "", owner, d, "ALTER SERVER " + q, {}, {}});
      ctx.comment(out, catalog::kPgForeignServer, oid, 0, "SERVER " + q, "SERVER " + q, "", owner);
      out.acl("FOREIGN SERVER " + q, "FOREIGN SERVER", q, "", "", owner, acl, acl_null, base);
      for (const Toc& mapping : mappings) out.entry(mapping);
    };
    ctx.graph.map({catalog::kPgForeignServer, oid}, ctx.graph.add(std::move(o)));
  }
}

}  // namespace dbsnap::pg
