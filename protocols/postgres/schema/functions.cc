// Readers of functions, procedures and aggregates (pg_dump.c dumpFunc,
// dumpAgg) and the SET clauses of their proconfig.
#include <fmt/format.h>

#include <algorithm>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

std::string config_setting(const Context& ctx, const std::string& item) {
  std::size_t eq = item.find('=');
  std::string name = item.substr(0, eq), value = item.substr(eq + 1);
  std::string out = ctx.ident(name) + " TO ";
  static const std::vector<std::string> kListSettings = {
      "search_path", "temp_tablespaces", "session_preload_libraries", "shared_preload_libraries",
      "local_preload_libraries"};
  if (std::find(kListSettings.begin(), kListSettings.end(), name) == kListSettings.end())
    return out + quote_literal(value);
  // SplitGUCList: comma-separated, whitespace-trimmed, "double-quoted" names.
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && value[i] == ' ') ++i;
    std::string part;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size(); ++i) {
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            part += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          part += value[i];
        }
      }
    } else {
      while (i < value.size() && value[i] != ',' && value[i] != ' ') part += value[i++];
    }
    while (i < value.size() && value[i] == ' ') ++i;
    if (i < value.size() && value[i] == ',') ++i;
    parts.push_back(part);
  }
  for (std::size_t p = 0; p < parts.size(); ++p) out += (p ? ", " : "") + quote_literal(parts[p]);
  return out;
}

namespace {

// pg_proc of a function, procedure or window function; regproc columns
// are "-" for none.
struct RoutineRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  char kind;  // prokind: f, p, w
  std::string arguments, identity, result, language;
  char volatility;
  bool strict, security_definer, leakproof;
  std::string cost, rows, support;
  char parallel;
  std::string config, source;
  std::optional<std::string> binary, sql_body;
  Acl acl;
  std::string argument_types;
  long long argument_count;

  static RoutineRow read(const Row& r) {
    return read_fields<RoutineRow>(
        r, {"oid",       "schema", "name",     "owner",      "kind",           "arguments",
            "identity",  "result", "language", "volatility", "strict",         "security_definer",
            "leakproof", "cost",   "rows",     "support",    "parallel",       "config",
            "source",    "binary", "sql_body", "acl",        "argument_types", "argument_count"});
  }
};

// "a, b" as format_type prints the input argument types (the tag and sort key).
constexpr std::string_view kArgumentTypes = R"(pg_catalog.array_to_string(ARRAY(
         SELECT pg_catalog.format_type(u.t, NULL)
           FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY u(t, i) ORDER BY u.i), ', '))";

// pg_get_function_sqlbody: PostgreSQL 14 (SQL-standard function bodies).
std::string routines_query(PGconn* conn) {
  bool sql_body = PQserverVersion(conn) >= 140000;
  return fmt::format(R"(
SELECT p.oid, n.nspname AS schema, p.proname AS name,
       pg_catalog.pg_get_userbyid(p.proowner) AS owner, p.prokind AS kind,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
       pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
       pg_catalog.pg_get_function_result(p.oid) AS result, l.lanname AS language,
       p.provolatile AS volatility, p.proisstrict AS strict, p.prosecdef AS security_definer,
       p.proleakproof AS leakproof, p.procost AS cost, p.prorows AS rows,
       p.prosupport::pg_catalog.regproc AS support, p.proparallel AS parallel,
       p.proconfig AS config, p.prosrc AS source, p.probin AS binary, {} AS sql_body, {},
       {} AS argument_types, p.pronargs AS argument_count
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.prokind IN ('f', 'p', 'w') AND {} AND {}
   -- range and multirange constructors come with their type
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i
                    WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                      AND i.objid = p.oid AND i.deptype = 'i'))",
                     sql_body ? "pg_catalog.pg_get_function_sqlbody(p.oid)" : "NULL",
                     catalog::acl_columns("p.proacl", 'f', "p.proowner"), kArgumentTypes,
                     kUserSchema, not_in_extension("pg_proc", "p.oid"));
}

// pg_dump.c dumpFunc: the attributes that differ from the defaults, in its order.
std::string routine_definition(const Context& ctx, const RoutineRow& f) {
  bool procedure = f.kind == 'p';
  std::string defn = fmt::format("CREATE {} {}({})", procedure ? "PROCEDURE" : "FUNCTION",
                                 ctx.qualified(f.schema, f.name), f.arguments);
  if (!procedure) defn += " RETURNS " + f.result;
  defn += "\n    LANGUAGE " + ctx.ident(f.language);
  if (f.kind == 'w') defn += " WINDOW";
  if (f.volatility == 'i') defn += " IMMUTABLE";
  if (f.volatility == 's') defn += " STABLE";
  if (f.strict) defn += " STRICT";
  if (f.security_definer) defn += " SECURITY DEFINER";
  if (f.leakproof) defn += " LEAKPROOF";
  bool builtin_lang = f.language == "internal" || f.language == "c";
  if (f.cost != "0" && f.cost != (builtin_lang ? "1" : "100")) defn += " COST " + f.cost;
  if (f.rows != "0" && f.rows != "1000") defn += " ROWS " + f.rows;
  if (f.support != "-") defn += " SUPPORT " + f.support;
  if (f.parallel == 's') defn += " PARALLEL SAFE";
  if (f.parallel == 'r') defn += " PARALLEL RESTRICTED";
  for (const auto& item : catalog::parse_array(f.config))
    defn += "\n    SET " + config_setting(ctx, item);
  if (f.sql_body)
    defn += "\n    " + *f.sql_body;
  else if (f.binary && !f.binary->empty())
    defn += fmt::format("\n    AS {}, {}", quote_literal(*f.binary), quote_literal(f.source));
  else
    defn += "\n    AS " + catalog::dollar_quote(f.source);
  return defn + ";\n";
}

}  // namespace

// pg_dump.c dumpFunc.
void add_routines(Context& ctx) {
  for (auto& f : read_rows<RoutineRow>(ctx.conn, routines_query(ctx.conn))) {
    std::string defn = routine_definition(ctx, f);
    ctx.add_object(
        Priority::func, catalog::kPgProc, f.oid, f.schema, f.name,
        [&ctx, f, defn](Output& out) {
          std::string word = f.kind == 'p' ? "PROCEDURE" : "FUNCTION";
          std::string q = ctx.qualified(f.schema, f.name);
          std::string sig = fmt::format("{}({})", ctx.ident(f.name), f.identity);
          Entry(ctx, word, fmt::format("{}({})", f.name, f.argument_types))
              .schema(f.schema)
              .owner(f.owner)
              .sql(defn)
              .alter_owner(fmt::format("ALTER {} {}({})", word, q, f.identity))
              .comment(catalog::kPgProc, f.oid, fmt::format("{} {}", word, sig),
                       fmt::format("{} {}({})", word, q, f.identity))
              .acl(fmt::format("{} {}", word, sig), word, sig, f.acl)
              .write(out);
        },
        fmt::format("{:04}", f.argument_count) + f.argument_types);
  }
}

namespace {

const char* modify_word(char c) {
  return c == 's' ? "SHAREABLE" : c == 'w' ? "READ_WRITE" : "READ_ONLY";
}

// pg_aggregate with its pg_proc; regproc columns are "-" for none.
struct AggregateRow {
  std::uint32_t oid;
  std::string schema, name, owner, arguments, argument_types;
  long long argument_count;
  char kind;  // aggkind: n (normal), o (ordered-set), h (hypothetical)
  std::string transition, state_type, state_space;
  std::optional<std::string> initial;
  std::string final;
  bool final_extra;
  char final_modify;
  std::string combine, serial, deserial;
  std::string moving_transition, moving_inverse, moving_state_type, moving_state_space;
  std::optional<std::string> moving_initial;
  std::string moving_final;
  bool moving_final_extra;
  char moving_final_modify;
  std::optional<std::string> sort_operator;
  char parallel;
  Acl acl;

  static AggregateRow read(const Row& r) {
    return read_fields<AggregateRow>(r, {"oid",
                                         "schema",
                                         "name",
                                         "owner",
                                         "arguments",
                                         "argument_types",
                                         "argument_count",
                                         "kind",
                                         "transition",
                                         "state_type",
                                         "state_space",
                                         "initial",
                                         "final",
                                         "final_extra",
                                         "final_modify",
                                         "combine",
                                         "serial",
                                         "deserial",
                                         "moving_transition",
                                         "moving_inverse",
                                         "moving_state_type",
                                         "moving_state_space",
                                         "moving_initial",
                                         "moving_final",
                                         "moving_final_extra",
                                         "moving_final_modify",
                                         "sort_operator",
                                         "parallel",
                                         "acl"});
  }
};

std::string aggregates_query() {
  return fmt::format(R"(
SELECT p.oid, n.nspname AS schema, p.proname AS name,
       pg_catalog.pg_get_userbyid(p.proowner) AS owner,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments, {} AS argument_types,
       p.pronargs AS argument_count, a.aggkind AS kind,
       a.aggtransfn::pg_catalog.regproc AS transition,
       pg_catalog.format_type(a.aggtranstype, NULL) AS state_type,
       a.aggtransspace AS state_space, a.agginitval AS initial,
       a.aggfinalfn::pg_catalog.regproc AS final, a.aggfinalextra AS final_extra,
       a.aggfinalmodify AS final_modify, a.aggcombinefn::pg_catalog.regproc AS combine,
       a.aggserialfn::pg_catalog.regproc AS serial,
       a.aggdeserialfn::pg_catalog.regproc AS deserial,
       a.aggmtransfn::pg_catalog.regproc AS moving_transition,
       a.aggminvtransfn::pg_catalog.regproc AS moving_inverse,
       pg_catalog.format_type(a.aggmtranstype, NULL) AS moving_state_type,
       a.aggmtransspace AS moving_state_space, a.aggminitval AS moving_initial,
       a.aggmfinalfn::pg_catalog.regproc AS moving_final,
       a.aggmfinalextra AS moving_final_extra, a.aggmfinalmodify AS moving_final_modify,
       (SELECT 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')'
          FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_namespace opn
            ON opn.oid = op.oprnamespace WHERE op.oid = a.aggsortop) AS sort_operator,
       p.proparallel AS parallel, {}
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
 WHERE {} AND {})",
                     kArgumentTypes, catalog::acl_columns("p.proacl", 'f', "p.proowner"),
                     kUserSchema, not_in_extension("pg_proc", "p.oid"));
}

// pg_dump.c dumpAgg: the body of CREATE AGGREGATE, options in its order.
std::string aggregate_body(const AggregateRow& a) {
  char default_modify = a.kind == 'n' ? 'r' : 'w';
  std::string d = fmt::format("    SFUNC = {},\n    STYPE = {}", a.transition, a.state_type);
  if (a.state_space != "0") d += ",\n    SSPACE = " + a.state_space;
  if (a.initial) d += ",\n    INITCOND = " + quote_literal(*a.initial);
  if (a.final != "-") {
    d += ",\n    FINALFUNC = " + a.final;
    if (a.final_extra) d += ",\n    FINALFUNC_EXTRA";
    if (a.final_modify != default_modify)
      d += std::string(",\n    FINALFUNC_MODIFY = ") + modify_word(a.final_modify);
  }
  if (a.combine != "-") d += ",\n    COMBINEFUNC = " + a.combine;
  if (a.serial != "-") d += ",\n    SERIALFUNC = " + a.serial;
  if (a.deserial != "-") d += ",\n    DESERIALFUNC = " + a.deserial;
  if (a.moving_transition != "-")
    d += fmt::format(",\n    MSFUNC = {},\n    MINVFUNC = {},\n    MSTYPE = {}",
                     a.moving_transition, a.moving_inverse, a.moving_state_type);
  if (a.moving_state_space != "0") d += ",\n    MSSPACE = " + a.moving_state_space;
  if (a.moving_initial) d += ",\n    MINITCOND = " + quote_literal(*a.moving_initial);
  if (a.moving_final != "-") {
    d += ",\n    MFINALFUNC = " + a.moving_final;
    if (a.moving_final_extra) d += ",\n    MFINALFUNC_EXTRA";
    if (a.moving_final_modify != default_modify)
      d += std::string(",\n    MFINALFUNC_MODIFY = ") + modify_word(a.moving_final_modify);
  }
  if (a.sort_operator) d += ",\n    SORTOP = " + *a.sort_operator;
  if (a.kind == 'h') d += ",\n    HYPOTHETICAL";
  if (a.parallel == 's') d += ",\n    PARALLEL = safe";
  if (a.parallel == 'r') d += ",\n    PARALLEL = restricted";
  return d;
}

}  // namespace

// pg_dump.c dumpAgg; an aggregate without arguments is name(*).
void add_aggregates(Context& ctx) {
  for (auto& a : read_rows<AggregateRow>(ctx.conn, aggregates_query())) {
    if (a.argument_count == 0) a.arguments = a.argument_types = "*";
    std::string defn = fmt::format("CREATE AGGREGATE {}({}) (\n{}\n);\n",
                                   ctx.qualified(a.schema, a.name), a.arguments, aggregate_body(a));
    ctx.add_object(
        Priority::agg, catalog::kPgProc, a.oid, a.schema, a.name,
        [&ctx, a, defn](Output& out) {
          std::string sig = fmt::format("{}({})", ctx.ident(a.name), a.argument_types);
          std::string qsig = ctx.ident(a.schema) + "." + sig;
          Entry(ctx, "AGGREGATE", fmt::format("{}({})", a.name, a.argument_types))
              .schema(a.schema)
              .owner(a.owner)
              .sql(defn)
              .alter_owner("ALTER AGGREGATE " + qsig)
              .comment(catalog::kPgProc, a.oid, "AGGREGATE " + sig, "AGGREGATE " + qsig)
              .acl("FUNCTION " + sig, "FUNCTION", sig, a.acl)
              .write(out);
        },
        fmt::format("{:04}", a.argument_count) + a.argument_types);
  }
}

}  // namespace dbsnap::pg
