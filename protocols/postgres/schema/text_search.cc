// Readers of the text search objects pg_dump prints (pg_dump.c dumpTSParser,
// dumpTSTemplate, dumpTSDictionary, dumpTSConfig): parsers and templates
// (no owner), dictionaries and configurations with their token mappings.
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {
namespace {

// One object of a text search kind: its entry (tag = name), its comment,
// mapped as (catalog, oid). alter_owner: "" for kinds without an owner.
void add_ts_object(Context& ctx, Priority priority, std::uint32_t catalog_oid, const char* kind,
                   bool owned, std::uint32_t oid, std::string schema, std::string name,
                   std::string owner, std::string defn) {
  DumpObject o;
  o.priority = priority;
  o.schema = schema;
  o.name = name;
  o.oid = oid;
  o.render = [&ctx, catalog_oid, kind, owned, oid, schema, name, owner, defn](Output& out) {
    std::string q = ctx.qualified(schema, name);
    out.entry({name,
               kind,
               schema,
               owner,
               defn,
               owned ? fmt::format("ALTER {} {}", kind, q) : "",
               {},
               {}});
    ctx.comment(out, catalog_oid, oid, 0, fmt::format("{} {}", kind, ctx.ident(name)),
                fmt::format("{} {}", kind, q), schema, owner);
  };
  ctx.graph.map({catalog_oid, oid}, ctx.graph.add(std::move(o)));
}

// "\nALTER TEXT SEARCH CONFIGURATION q\n    ADD MAPPING FOR token WITH d1, d2;\n" per
// token type, as dumpTSConfig groups pg_ts_config_map rows (ordered by token, seqno).
std::string config_mappings(const Context& ctx, const std::string& qualified, const PgResult& m,
                            int begin, int end) {
  std::string d;
  for (int i = begin; i < end; ++i) {
    if (i > begin && m.get(i, 1) == m.get(i - 1, 1)) {
      d += ", " + m.str(i, 2);
      continue;
    }
    if (i > begin) d += ";\n";
    d += fmt::format("\nALTER TEXT SEARCH CONFIGURATION {}\n    ADD MAPPING FOR {} WITH {}",
                     qualified, ctx.ident(m.get(i, 1)), m.get(i, 2));
  }
  if (end > begin) d += ";\n";
  return d;
}

void add_parsers(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT p.oid, n.nspname, p.prsname, p.prsstart::pg_catalog.regproc,
       p.prstoken::pg_catalog.regproc, p.prsend::pg_catalog.regproc, p.prsheadline <> 0,
       p.prsheadline::pg_catalog.regproc, p.prslextype::pg_catalog.regproc
  FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_ts_parser", "p.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::string schema = r.str(i, 1), name = r.str(i, 2);
    std::string d = fmt::format(
        "CREATE TEXT SEARCH PARSER {} (\n    START = {},\n    GETTOKEN = {},\n    END = {},\n",
        ctx.qualified(schema, name), r.get(i, 3), r.get(i, 4), r.get(i, 5));
    if (r.flag(i, 6)) d += fmt::format("    HEADLINE = {},\n", r.get(i, 7));
    d += fmt::format("    LEXTYPES = {} );\n", r.get(i, 8));
    add_ts_object(ctx, Priority::tsparser, catalog::kPgTsParser, "TEXT SEARCH PARSER", false,
                  r.oid(i, 0), schema, name, "", d);
  }
}

void add_templates(Context& ctx) {
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname, t.tmplname, t.tmplinit <> 0, t.tmplinit::pg_catalog.regproc,
       t.tmpllexize::pg_catalog.regproc
  FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
 WHERE {} AND {})",
                                  kUserSchema, not_in_extension("pg_ts_template", "t.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::string schema = r.str(i, 1), name = r.str(i, 2);
    std::string d = fmt::format("CREATE TEXT SEARCH TEMPLATE {} (\n", ctx.qualified(schema, name));
    if (r.flag(i, 3)) d += fmt::format("    INIT = {},\n", r.get(i, 4));
    d += fmt::format("    LEXIZE = {} );\n", r.get(i, 5));
    add_ts_object(ctx, Priority::tstemplate, catalog::kPgTsTemplate, "TEXT SEARCH TEMPLATE", false,
                  r.oid(i, 0), schema, name, "", d);
  }
}

void add_dictionaries(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT d.oid, n.nspname, d.dictname, pg_catalog.pg_get_userbyid(d.dictowner), tn.nspname,
       t.tmplname, d.dictinitoption
  FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
  JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_ts_dict", "d.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::string schema = r.str(i, 1), name = r.str(i, 2);
    std::string d =
        fmt::format("CREATE TEXT SEARCH DICTIONARY {} (\n    TEMPLATE = {}",
                    ctx.qualified(schema, name), ctx.qualified(r.get(i, 4), r.get(i, 5)));
    if (!r.is_null(i, 6)) d += ",\n    " + r.str(i, 6);
    d += " );\n";
    add_ts_object(ctx, Priority::tsdict, catalog::kPgTsDict, "TEXT SEARCH DICTIONARY", true,
                  r.oid(i, 0), schema, name, r.str(i, 3), d);
  }
}

void add_configurations(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.cfgname, pg_catalog.pg_get_userbyid(c.cfgowner), pn.nspname,
       p.prsname
  FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
  JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
 WHERE {} AND {}
 ORDER BY c.oid)",
                                           kUserSchema, not_in_extension("pg_ts_config", "c.oid")));
  // Every mapping of those configurations, by configuration then token and order.
  PgResult m = query(ctx.conn, fmt::format(R"(
SELECT m.mapcfg,
       (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t
         WHERE t.tokid = m.maptokentype),
       m.mapdict::pg_catalog.regdictionary
  FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg
  JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
 WHERE {}
 ORDER BY m.mapcfg, m.maptokentype, m.mapseqno)",
                                           kUserSchema));
  int row = 0;
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), q = ctx.qualified(schema, name);
    while (row < m.rows() && m.oid(row, 0) < oid) ++row;
    int end = row;
    while (end < m.rows() && m.oid(end, 0) == oid) ++end;
    std::string d = fmt::format("CREATE TEXT SEARCH CONFIGURATION {} (\n    PARSER = {} );\n", q,
                                ctx.qualified(r.get(i, 4), r.get(i, 5)));
    d += config_mappings(ctx, q, m, row, end);
    add_ts_object(ctx, Priority::tsconfig, catalog::kPgTsConfig, "TEXT SEARCH CONFIGURATION", true,
                  oid, schema, name, r.str(i, 3), d);
    row = end;
  }
}

}  // namespace

void add_text_search(Context& ctx) {
  add_parsers(ctx);
  add_templates(ctx);
  add_dictionaries(ctx);
  add_configurations(ctx);
}

}  // namespace dbsnap::pg
