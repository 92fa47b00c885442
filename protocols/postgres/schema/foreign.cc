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

// pg_user_mappings shows the options only to whom may see them, as for
// pg_dump.
struct UserMappingRow {
  std::string user, options;

  static UserMappingRow read(const Row& r) { return {r.str("usename"), r.str("options")}; }
};

// pg_dump.c dumpUserMappings: the CREATE USER MAPPING entries of the server.
std::vector<Entry> user_mappings(const Context& ctx, std::uint32_t server, const std::string& name,
                                 const std::string& owner) {
  auto rows =
      read_rows<UserMappingRow>(ctx.conn, fmt::format(R"(
SELECT usename, {} AS options
  FROM pg_catalog.pg_user_mappings WHERE srvid = {} ORDER BY usename)",
                                                      fdw_options_sql("umoptions"), server));
  std::vector<Entry> out;
  for (const auto& m : rows) {
    Entry e(ctx, "USER MAPPING", fmt::format("USER MAPPING {} SERVER {}", m.user, name));
    e.owner(owner).sql(fmt::format("CREATE USER MAPPING FOR {} SERVER {}{};\n", ctx.ident(m.user),
                                   ctx.ident(name), options_clause(m.options)));
    out.push_back(std::move(e));
  }
  return out;
}

struct WrapperRow {
  std::uint32_t oid;
  std::string name, owner, handler, validator, options;  // regproc "-" for none
  Acl acl;

  static WrapperRow read(const Row& r) {
    return {r.oid("oid"),       r.str("name"),    r.str("owner"), r.str("handler"),
            r.str("validator"), r.str("options"), Acl::read(r)};
  }
};

}  // namespace

// pg_dump.c dumpForeignDataWrapper.
void add_foreign_data_wrappers(Context& ctx) {
  auto rows = read_rows<WrapperRow>(
      ctx.conn, fmt::format(R"(
SELECT f.oid, f.fdwname AS name, pg_catalog.pg_get_userbyid(f.fdwowner) AS owner,
       f.fdwhandler::pg_catalog.regproc AS handler,
       f.fdwvalidator::pg_catalog.regproc AS validator, {} AS options, {}
  FROM pg_catalog.pg_foreign_data_wrapper f
 WHERE {})",
                            fdw_options_sql("f.fdwoptions"),
                            catalog::acl_columns("f.fdwacl", 'F', "f.fdwowner"),
                            not_in_extension("pg_foreign_data_wrapper", "f.oid")));
  for (const auto& f : rows) {
    std::string q = ctx.ident(f.name);
    std::string d = "CREATE FOREIGN DATA WRAPPER " + q;
    if (f.handler != "-") d += " HANDLER " + f.handler;
    if (f.validator != "-") d += " VALIDATOR " + f.validator;
    d += options_clause(f.options) + ";\n";
    ctx.add_object(Priority::fdw, catalog::kPgForeignDataWrapper, f.oid, "", f.name,
                   [&ctx, f, q, d](Output& out) {
                     std::string target = "FOREIGN DATA WRAPPER " + q;
                     Entry(ctx, "FOREIGN DATA WRAPPER", f.name)
                         .owner(f.owner)
                         .sql(d)
                         .alter_owner("ALTER FOREIGN DATA WRAPPER " + q)
                         .comment(catalog::kPgForeignDataWrapper, f.oid, target, target)
                         .acl(target, "FOREIGN DATA WRAPPER", q, f.acl)
                         .write(out);
                   });
  }
}

namespace {

struct ServerRow {
  std::uint32_t oid;
  std::string name, owner, type, version, wrapper, options;
  Acl acl;

  static ServerRow read(const Row& r) {
    return read_fields<ServerRow>(
        r, {"oid", "name", "owner", "type", "version", "wrapper", "options", "acl"});
  }
};

}  // namespace

// pg_dump.c dumpForeignServer, with its user mappings.
void add_foreign_servers(Context& ctx) {
  auto rows = read_rows<ServerRow>(ctx.conn,
                                   fmt::format(R"(
SELECT s.oid, s.srvname AS name, pg_catalog.pg_get_userbyid(s.srvowner) AS owner,
       coalesce(s.srvtype, '') AS type, coalesce(s.srvversion, '') AS version,
       f.fdwname AS wrapper, {} AS options, {}
  FROM pg_catalog.pg_foreign_server s
  JOIN pg_catalog.pg_foreign_data_wrapper f ON f.oid = s.srvfdw
 WHERE {})",
                                               fdw_options_sql("s.srvoptions"),
                                               catalog::acl_columns("s.srvacl", 'S', "s.srvowner"),
                                               not_in_extension("pg_foreign_server", "s.oid")));
  for (const auto& s : rows) {
    std::string q = ctx.ident(s.name);
    std::string d = "CREATE SERVER " + q;
    if (!s.type.empty()) d += " TYPE " + quote_literal(s.type);
    if (!s.version.empty()) d += " VERSION " + quote_literal(s.version);
    d += " FOREIGN DATA WRAPPER " + ctx.ident(s.wrapper) + options_clause(s.options) + ";\n";
    ctx.add_object(
        Priority::foreign_server, catalog::kPgForeignServer, s.oid, "", s.name,
        [&ctx, s, q, d, mappings = user_mappings(ctx, s.oid, s.name, s.owner)](Output& out) {
          Entry(ctx, "SERVER", s.name)
              .owner(s.owner)
              .sql(d)
              .alter_owner("ALTER SERVER " + q)
              .comment(catalog::kPgForeignServer, s.oid, "SERVER " + q, "SERVER " + q)
              .acl("FOREIGN SERVER " + q, "FOREIGN SERVER", q, s.acl)
              .write(out);
          for (const Entry& mapping : mappings) mapping.write(out);
        });
  }
}

}  // namespace dbsnap::pg
