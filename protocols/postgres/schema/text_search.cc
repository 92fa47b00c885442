// Readers of the text search objects pg_dump prints (pg_dump.c dumpTSParser,
// dumpTSTemplate, dumpTSDictionary, dumpTSConfig): parsers and templates
// (no owner), dictionaries and configurations with their token mappings.
#include <fmt/format.h>

#include <optional>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {
namespace {

// pg_ts_parser; functions as regproc.
struct ParserRow {
  std::uint32_t oid;
  std::string schema, name, start, token, end;
  std::optional<std::string> headline;
  std::string lextypes;

  static ParserRow read(const Row& r) {
    return read_fields<ParserRow>(
        r, {"oid", "schema", "name", "start", "gettoken", "end_function", "headline", "lextypes"});
  }
};

void add_parsers(Context& ctx) {
  auto rows = read_rows<ParserRow>(
      ctx.conn, fmt::format(R"(
SELECT p.oid, n.nspname AS schema, p.prsname AS name, p.prsstart::pg_catalog.regproc AS start,
       p.prstoken::pg_catalog.regproc AS gettoken, p.prsend::pg_catalog.regproc AS end_function,
       CASE WHEN p.prsheadline <> 0 THEN p.prsheadline::pg_catalog.regproc::text END AS headline,
       p.prslextype::pg_catalog.regproc AS lextypes
  FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_ts_parser", "p.oid")));
  for (const auto& p : rows) {
    std::string d = fmt::format(
        "CREATE TEXT SEARCH PARSER {} (\n    START = {},\n    GETTOKEN = {},\n    END = {},\n",
        ctx.qualified(p.schema, p.name), p.start, p.token, p.end);
    if (p.headline) d += fmt::format("    HEADLINE = {},\n", *p.headline);
    d += fmt::format("    LEXTYPES = {} );\n", p.lextypes);
    add_owned_object(ctx, Priority::tsparser, catalog::kPgTsParser, "TEXT SEARCH PARSER", p.oid,
                     p.schema, p.name, std::nullopt, d);
  }
}

struct TemplateRow {
  std::uint32_t oid;
  std::string schema, name;
  std::optional<std::string> init;
  std::string lexize;

  static TemplateRow read(const Row& r) {
    return read_fields<TemplateRow>(r, {"oid", "schema", "name", "init", "lexize"});
  }
};

void add_templates(Context& ctx) {
  auto rows = read_rows<TemplateRow>(
      ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname AS schema, t.tmplname AS name,
       CASE WHEN t.tmplinit <> 0 THEN t.tmplinit::pg_catalog.regproc::text END AS init,
       t.tmpllexize::pg_catalog.regproc AS lexize
  FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_ts_template", "t.oid")));
  for (const auto& t : rows) {
    std::string d =
        fmt::format("CREATE TEXT SEARCH TEMPLATE {} (\n", ctx.qualified(t.schema, t.name));
    if (t.init) d += fmt::format("    INIT = {},\n", *t.init);
    d += fmt::format("    LEXIZE = {} );\n", t.lexize);
    add_owned_object(ctx, Priority::tstemplate, catalog::kPgTsTemplate, "TEXT SEARCH TEMPLATE",
                     t.oid, t.schema, t.name, std::nullopt, d);
  }
}

struct DictionaryRow {
  std::uint32_t oid;
  std::string schema, name, owner, template_schema, template_name;
  std::optional<std::string> options;

  static DictionaryRow read(const Row& r) {
    return read_fields<DictionaryRow>(
        r, {"oid", "schema", "name", "owner", "template_schema", "template_name", "options"});
  }
};

void add_dictionaries(Context& ctx) {
  auto rows = read_rows<DictionaryRow>(
      ctx.conn, fmt::format(R"(
SELECT d.oid, n.nspname AS schema, d.dictname AS name,
       pg_catalog.pg_get_userbyid(d.dictowner) AS owner, tn.nspname AS template_schema,
       t.tmplname AS template_name, d.dictinitoption AS options
  FROM pg_catalog.pg_ts_dict d JOIN pg_catalog.pg_namespace n ON n.oid = d.dictnamespace
  JOIN pg_catalog.pg_ts_template t ON t.oid = d.dicttemplate
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_ts_dict", "d.oid")));
  for (const auto& t : rows) {
    std::string d = fmt::format("CREATE TEXT SEARCH DICTIONARY {} (\n    TEMPLATE = {}",
                                ctx.qualified(t.schema, t.name),
                                ctx.qualified(t.template_schema, t.template_name));
    if (t.options) d += ",\n    " + *t.options;
    d += " );\n";
    add_owned_object(ctx, Priority::tsdict, catalog::kPgTsDict, "TEXT SEARCH DICTIONARY", t.oid,
                     t.schema, t.name, t.owner, d);
  }
}

struct ConfigurationRow {
  std::uint32_t oid;
  std::string schema, name, owner, parser_schema, parser_name;

  static ConfigurationRow read(const Row& r) {
    return read_fields<ConfigurationRow>(
        r, {"oid", "schema", "name", "owner", "parser_schema", "parser_name"});
  }
};

// pg_ts_config_map: the token type's alias and the dictionary.
struct MappingRow {
  std::uint32_t configuration;
  std::string token, dictionary;

  static MappingRow read(const Row& r) {
    return read_fields<MappingRow>(r, {"configuration", "token", "dictionary"});
  }
};

// "\nALTER TEXT SEARCH CONFIGURATION q\n    ADD MAPPING FOR token WITH d1, d2;\n" per
// token type, as dumpTSConfig groups pg_ts_config_map rows (ordered by token, seqno).
std::string config_mappings(const Context& ctx, const std::string& qualified,
                            const std::vector<MappingRow>& m, std::size_t begin, std::size_t end) {
  std::string d;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin && m[i].token == m[i - 1].token) {
      d += ", " + m[i].dictionary;
      continue;
    }
    if (i > begin) d += ";\n";
    d += fmt::format("\nALTER TEXT SEARCH CONFIGURATION {}\n    ADD MAPPING FOR {} WITH {}",
                     qualified, ctx.ident(m[i].token), m[i].dictionary);
  }
  if (end > begin) d += ";\n";
  return d;
}

void add_configurations(Context& ctx) {
  auto rows = read_rows<ConfigurationRow>(
      ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.cfgname AS name,
       pg_catalog.pg_get_userbyid(c.cfgowner) AS owner, pn.nspname AS parser_schema,
       p.prsname AS parser_name
  FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
  JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser
  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
 WHERE {} AND {}
 ORDER BY c.oid)",
                            kUserSchema, not_in_extension("pg_ts_config", "c.oid")));
  // Every mapping of those configurations, by configuration then token and order.
  auto m = read_rows<MappingRow>(ctx.conn, fmt::format(R"(
SELECT m.mapcfg AS configuration,
       (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t
         WHERE t.tokid = m.maptokentype) AS token,
       m.mapdict::pg_catalog.regdictionary AS dictionary
  FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg
  JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
 WHERE {}
 ORDER BY m.mapcfg, m.maptokentype, m.mapseqno)",
                                                       kUserSchema));
  std::size_t row = 0;
  for (const auto& c : rows) {
    std::string q = ctx.qualified(c.schema, c.name);
    while (row < m.size() && m[row].configuration < c.oid) ++row;
    std::size_t end = row;
    while (end < m.size() && m[end].configuration == c.oid) ++end;
    std::string d = fmt::format("CREATE TEXT SEARCH CONFIGURATION {} (\n    PARSER = {} );\n", q,
                                ctx.qualified(c.parser_schema, c.parser_name));
    d += config_mappings(ctx, q, m, row, end);
    add_owned_object(ctx, Priority::tsconfig, catalog::kPgTsConfig, "TEXT SEARCH CONFIGURATION",
                     c.oid, c.schema, c.name, c.owner, d);
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
