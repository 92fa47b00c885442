// Readers of object kinds that pg_dump prints as entries of their own:
// collations, extended statistics, event triggers, base types and their shells,
// standalone shell types, casts, transforms, operators, access methods, large
// objects, conversions and procedural languages.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// pg_dump.c dumpCollation: provider, determinism, then one locale when
// collate and ctype agree (or the ICU locale), else both.
std::string collation_definition(const std::string& qualified, const PgResult& r, int i) {
  char provider = r.get(i, 4)[0];
  std::string d = fmt::format("CREATE COLLATION {} (provider = {}", qualified,
                              provider == 'i'   ? "icu"
                              : provider == 'c' ? "libc"
                                                : "default");
  if (!r.flag(i, 5)) d += ", deterministic = false";
  std::string collate = r.str(i, 6), ctype = r.str(i, 7);
  if (!r.is_null(i, 8)) {
    d += ", locale = " + quote_literal(r.get(i, 8));
  } else if (collate == ctype) {
    d += ", locale = " + quote_literal(collate);
  } else {
    d += ", lc_collate = " + quote_literal(collate) + ", lc_ctype = " + quote_literal(ctype);
  }
  return d + ");\n";
}

}  // namespace

// pg_dump.c getCollations/dumpCollation. The ICU locale is colliculocale in
// PostgreSQL 15-16 and colllocale from 17; before 15 it is collcollate (read
// through to_jsonb so that one query serves 12-17).
void add_collations(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.collname, pg_catalog.pg_get_userbyid(c.collowner), c.collprovider,
       c.collisdeterministic, c.collcollate, c.collctype,
       COALESCE(pg_catalog.to_jsonb(c) ->> 'colllocale', pg_catalog.to_jsonb(c) ->> 'colliculocale')
  FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_collation", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string defn = collation_definition(ctx.qualified(schema, name), r, i);
    DumpObject o;
    o.priority = Priority::collation;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, defn](Output& out) {
      std::string q = ctx.qualified(schema, name);
      out.entry({name, "COLLATION", schema, owner, defn, "ALTER COLLATION " + q, {}, {}});
      ctx.comment(out, catalog::kPgCollation, oid, 0, "COLLATION " + ctx.ident(name),
                  "COLLATION " + q, schema, owner);
    };
    ctx.graph.map({catalog::kPgCollation, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c getExtendedStatistics/dumpStatisticsExt: the server's own
// definition, and SET STATISTICS when the target is not the default (-1;
// NULL from PostgreSQL 17).
void add_statistics(Context& ctx) {
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT s.oid, n.nspname, s.stxname, pg_catalog.pg_get_userbyid(s.stxowner),
       pg_catalog.pg_get_statisticsobjdef(s.oid),
       COALESCE(pg_catalog.to_jsonb(s) ->> 'stxstattarget', '-1')
  FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
 WHERE {} AND {})",
                                  kUserSchema, not_in_extension("pg_statistic_ext", "s.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string defn = r.str(i, 4) + ";\n", target = r.str(i, 5);
    DumpObject o;
    o.priority = Priority::statsext;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, defn, target](Output& out) {
      std::string q = ctx.qualified(schema, name), d = defn;
      if (target != "-1") d += fmt::format("ALTER STATISTICS {} SET STATISTICS {};\n", q, target);
      out.entry({name, "STATISTICS", schema, owner, d, "ALTER STATISTICS " + q, {}, {}});
      ctx.comment(out, catalog::kPgStatisticExt, oid, 0, "STATISTICS " + ctx.ident(name),
                  "STATISTICS " + q, schema, owner);
    };
    ctx.graph.map({catalog::kPgStatisticExt, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c getEventTriggers/dumpEventTrigger: created enabled, then
// ALTER EVENT TRIGGER for any other firing state.
void add_event_triggers(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT e.oid, e.evtname, pg_catalog.pg_get_userbyid(e.evtowner), e.evtevent, e.evtenabled,
       pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(x)
                                          FROM pg_catalog.unnest(e.evttags) AS t(x)), ', '),
       e.evtfoid::pg_catalog.regproc
  FROM pg_catalog.pg_event_trigger e
 WHERE {})",
                                           not_in_extension("pg_event_trigger", "e.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), event = r.str(i, 3);
    char enabled = r.get(i, 4)[0];
    std::string tags = r.str(i, 5), function = r.str(i, 6);
    DumpObject o;
    o.priority = Priority::event_trigger;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, event, enabled, tags, function](Output& out) {
      std::string q = ctx.ident(name);
      std::string d = fmt::format("CREATE EVENT TRIGGER {} ON {}", q, ctx.ident(event));
      if (!tags.empty()) d += "\n         WHEN TAG IN (" + tags + ")";
      d += "\n   EXECUTE FUNCTION " + function + "();\n";
      if (enabled != 'O') {
        d += fmt::format("\nALTER EVENT TRIGGER {} {};\n", q,
                         enabled == 'D'   ? "DISABLE"
                         : enabled == 'A' ? "ENABLE ALWAYS"
                         : enabled == 'R' ? "ENABLE REPLICA"
                                          : "ENABLE");
      }
      out.entry({name, "EVENT TRIGGER", "", owner, d, "ALTER EVENT TRIGGER " + q, {}, {}});
      ctx.comment(out, catalog::kPgEventTrigger, oid, 0, "EVENT TRIGGER " + q, "EVENT TRIGGER " + q,
                  "", owner);
    };
    ctx.graph.map({catalog::kPgEventTrigger, oid}, ctx.graph.add(std::move(o)));
  }
}

namespace {

const char* alignment_word(char a) {
  return a == 'c' ? "char" : a == 's' ? "int2" : a == 'i' ? "int4" : "double";
}
const char* storage_word(char s) {
  return s == 'p' ? "plain" : s == 'e' ? "external" : s == 'm' ? "main" : "extended";
}

// pg_dump.c dumpBaseType: CREATE TYPE with every property that is not the default.
std::string base_type_definition(const std::string& qualified, const PgResult& r, int i) {
  std::string len = r.str(i, 4);
  std::string d = fmt::format("CREATE TYPE {} (\n    INTERNALLENGTH = {}", qualified,
                              len == "-1" ? "variable" : len);
  d += ",\n    INPUT = " + r.str(i, 5) + ",\n    OUTPUT = " + r.str(i, 6);
  const char* optional[] = {"RECEIVE", "SEND", "TYPMOD_IN", "TYPMOD_OUT", "ANALYZE"};
  for (int k = 0; k < 5; ++k)
    if (r.get(i, 7 + k) != "-") d += fmt::format(",\n    {} = {}", optional[k], r.get(i, 7 + k));
  if (r.flag(i, 12)) d += ",\n    COLLATABLE = true";
  if (!r.is_null(i, 13)) d += ",\n    DEFAULT = " + r.str(i, 13);
  if (!r.is_null(i, 14)) d += ",\n    DEFAULT = " + quote_literal(r.get(i, 14));
  if (r.get(i, 15) != "-") d += ",\n    SUBSCRIPT = " + r.str(i, 15);
  if (!r.is_null(i, 16)) d += ",\n    ELEMENT = " + r.str(i, 16);
  if (r.get(i, 17) != "U") d += ",\n    CATEGORY = " + quote_literal(r.get(i, 17));
  if (r.flag(i, 18)) d += ",\n    PREFERRED = true";
  if (r.get(i, 19) != ",") d += ",\n    DELIMITER = " + quote_literal(r.get(i, 19));
  d += fmt::format(",\n    ALIGNMENT = {},\n    STORAGE = {}", alignment_word(r.get(i, 20)[0]),
                   storage_word(r.get(i, 21)[0]));
  if (r.flag(i, 22)) d += ",\n    PASSEDBYVALUE";
  return d + "\n);\n";
}

}  // namespace

// pg_dump.c getTypes/dumpBaseType/dumpShellType. Auto-generated array types
// (typname "_x" whose element's typarray is this type) go with their element.
// The shell is printed only when repair_type_function_loops gives it a function.
void add_base_types(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner), t.typlen,
       t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout, t.typanalyze,
       t.typcollation <> 0,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0),
       CASE WHEN t.typdefaultbin IS NULL THEN t.typdefault END,
       t.typsubscript,
       CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END,
       t.typcategory, t.typispreferred, t.typdelim, t.typalign, t.typstorage, t.typbyval,
       t.typacl, t.typacl IS NULL, pg_catalog.acldefault('T', t.typowner), t.typarray
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'b' AND t.typisdefined AND {} AND {}
   AND NOT (t.typname LIKE '\_%' AND t.typelem <> 0 AND
            (SELECT e.typarray FROM pg_catalog.pg_type e WHERE e.oid = t.typelem) = t.oid))",
                                           kUserSchema, not_in_extension("pg_type", "t.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string defn = base_type_definition(ctx.qualified(schema, name), r, i);
    std::string acl = r.str(i, 23), base = r.str(i, 25);
    bool acl_null = r.flag(i, 24);
    auto needed = std::make_shared<bool>(false);
    DumpObject shell;
    shell.priority = Priority::type;
    shell.schema = schema;
    shell.name = name;
    shell.oid = oid;
    shell.render = [&ctx, schema, name, owner, needed](Output& out) {
      if (!*needed) return;
      out.entry({name,
                 "SHELL TYPE",
                 schema,
                 owner,
                 fmt::format("CREATE TYPE {};\n", ctx.qualified(schema, name)),
                 "",
                 {},
                 {}});
    };
    DumpObject type;
    type.priority = Priority::type;
    type.schema = schema;
    type.name = name;
    type.oid = oid;
    type.render = [&ctx, oid, schema, name, owner, defn, acl, acl_null, base](Output& out) {
      std::string q = ctx.qualified(schema, name), tag = "TYPE " + ctx.ident(name);
      out.entry({name, "TYPE", schema, owner, defn, "ALTER TYPE " + q, {}, {}});
      ctx.comment(out, catalog::kPgType, oid, 0, tag, "TYPE " + q, schema, owner);
      out.acl(tag, "TYPE", ctx.ident(name), "", schema, owner, acl, acl_null, base);
    };
    std::size_t shell_id = ctx.graph.add(std::move(shell));
    std::size_t id = ctx.graph.add(std::move(type));
    ctx.graph.map({catalog::kPgType, oid}, id);
    if (r.oid(i, 26) != 0) ctx.graph.map({catalog::kPgType, r.oid(i, 26)}, id);
    ctx.shell_types.push_back({id, shell_id, needed});
  }
}

// pg_dump.c dumpUndefinedType: a shell type nothing defined (CREATE TYPE
// name; alone), with its owner, comment and privileges.
void add_shell_types(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner), t.typacl,
       t.typacl IS NULL, pg_catalog.acldefault('T', t.typowner)
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'p' AND NOT t.typisdefined AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_type", "t.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string acl = r.str(i, 4), base = r.str(i, 6);
    bool acl_null = r.flag(i, 5);
    DumpObject o;
    o.priority = Priority::type;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, acl, acl_null, base](Output& out) {
      std::string q = ctx.qualified(schema, name), tag = "TYPE " + ctx.ident(name);
      out.entry({name,
                 "TYPE",
                 schema,
                 owner,
                 fmt::format("CREATE TYPE {};\n", q),
                 "ALTER TYPE " + q,
                 {},
                 {}});
      ctx.comment(out, catalog::kPgType, oid, 0, tag, "TYPE " + q, schema, owner);
      out.acl(tag, "TYPE", ctx.ident(name), "", schema, owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgType, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump_sort.c repairTypeFuncLoop: a base type needs its I/O functions and
// they name the type; each such function follows the shell type instead.
void repair_type_function_loops(Context& ctx) {
  for (const auto& shell : ctx.shell_types) {
    for (std::size_t f : ctx.graph[shell.type].deps) {
      auto& deps = ctx.graph[f].deps;
      if (std::find(deps.begin(), deps.end(), shell.type) == deps.end()) continue;
      std::erase(deps, shell.type);
      deps.push_back(shell.shell);
      *shell.needed = true;
    }
  }
}

// pg_dump.c dumpCast: user casts (OID from FirstNormalObjectId, 16384); not
// the range-to-multirange casts CREATE TYPE ... AS RANGE makes (internal
// dependency on the type).
void add_casts(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, pg_catalog.format_type(c.castsource, NULL),
       pg_catalog.format_type(c.casttarget, NULL), c.castmethod, c.castcontext,
       c.castfunc::pg_catalog.regprocedure
  FROM pg_catalog.pg_cast c
 WHERE c.oid >= 16384 AND {}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'i'))",
                                           not_in_extension("pg_cast", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = fmt::format("CAST ({} AS {})", r.get(i, 1), r.get(i, 2));
    char method = r.get(i, 3)[0], context = r.get(i, 4)[0];
    std::string d = "CREATE " + name +
                    (method == 'b'   ? " WITHOUT FUNCTION"
                     : method == 'i' ? " WITH INOUT"
                                     : " WITH FUNCTION " + r.str(i, 5));
    d += context == 'a' ? " AS ASSIGNMENT;\n" : context == 'i' ? " AS IMPLICIT;\n" : ";\n";
    DumpObject o;
    o.priority = Priority::cast;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, d](Output& out) {
      out.entry({name, "CAST", "", "", d, "", {}, {}});
      ctx.comment(out, catalog::kPgCast, oid, 0, name, name, "", "");
    };
    ctx.graph.map({catalog::kPgCast, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c dumpTransform: FROM SQL and TO SQL functions, schema-qualified
// with their argument types.
void add_transforms(Context& ctx) {
  auto signature = [](std::string_view column) {
    return fmt::format(R"((SELECT pg_catalog.quote_ident(pn.nspname) || '.' ||
               pg_catalog.quote_ident(p.proname) || '(' ||
               pg_catalog.array_to_string(ARRAY(
                 SELECT pg_catalog.format_type(u.t, NULL)
                   FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY u(t, i)
                  ORDER BY u.i), ', ') || ')'
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
         WHERE p.oid = {}))",
                       column);
  };
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT t.oid, pg_catalog.format_type(t.trftype, NULL), l.lanname, {}, {}
  FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
 WHERE t.oid >= 16384 AND {})",
                                           signature("t.trffromsql"), signature("t.trftosql"),
                                           not_in_extension("pg_transform", "t.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string type = r.str(i, 1), language = r.str(i, 2);
    std::string from_sql = r.str(i, 3), to_sql = r.str(i, 4);  // "" for none
    std::string name = fmt::format("TRANSFORM FOR {} LANGUAGE {}", type, ctx.ident(language));
    std::string d = "CREATE " + name + " (";
    if (!from_sql.empty()) d += "FROM SQL WITH FUNCTION " + from_sql;
    if (!to_sql.empty())
      d += (from_sql.empty() ? "" : ", ") + std::string("TO SQL WITH FUNCTION ") + to_sql;
    d += ");\n";
    DumpObject o;
    o.priority = Priority::transform;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, d](Output& out) {
      out.entry({name, "TRANSFORM", "", "", d, "", {}, {}});
      ctx.comment(out, catalog::kPgTransform, oid, 0, name, name, "", "");
    };
    ctx.graph.map({catalog::kPgTransform, oid}, ctx.graph.add(std::move(o)));
  }
}

namespace {

// regprocedure text without its argument list; "-" (none) is empty
// (pg_dump.c convertRegProcReference).
std::string proc_name(std::string_view regprocedure) {
  if (regprocedure == "-") return "";
  return std::string(regprocedure.substr(0, regprocedure.find('(')));
}

// pg_dump.c dumpOpr: the properties in its order.
std::string operator_details(const PgResult& r, int i) {
  std::string d = "    FUNCTION = " + proc_name(r.get(i, 5));
  char kind = r.get(i, 4)[0];
  if (kind == 'b' || kind == 'r') d += ",\n    LEFTARG = " + r.str(i, 6);
  if (kind == 'b' || kind == 'l') d += ",\n    RIGHTARG = " + r.str(i, 7);
  if (!r.is_null(i, 8)) d += ",\n    COMMUTATOR = " + r.str(i, 8);
  if (!r.is_null(i, 9)) d += ",\n    NEGATOR = " + r.str(i, 9);
  if (r.flag(i, 10)) d += ",\n    MERGES";
  if (r.flag(i, 11)) d += ",\n    HASHES";
  if (std::string p = proc_name(r.get(i, 12)); !p.empty()) d += ",\n    RESTRICT = " + p;
  if (std::string p = proc_name(r.get(i, 13)); !p.empty()) d += ",\n    JOIN = " + p;
  return d;
}

}  // namespace

// pg_dump.c getOperators/dumpOpr; shell operators (no function, made by a
// COMMUTATOR or NEGATOR reference) are not printed.
void add_operators(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT o.oid, n.nspname, o.oprname, pg_catalog.pg_get_userbyid(o.oprowner), o.oprkind,
       o.oprcode::pg_catalog.regprocedure,
       o.oprleft::pg_catalog.regtype, o.oprright::pg_catalog.regtype,
       (SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || c.oprname || ')'
          FROM pg_catalog.pg_operator c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace
         WHERE c.oid = o.oprcom),
       (SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || c.oprname || ')'
          FROM pg_catalog.pg_operator c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.oprnamespace
         WHERE c.oid = o.oprnegate),
       o.oprcanmerge, o.oprcanhash, o.oprrest::pg_catalog.regprocedure,
       o.oprjoin::pg_catalog.regprocedure
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
 WHERE o.oprcode <> 0 AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_operator", "o.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    char kind = r.get(i, 4)[0];
    std::string args = fmt::format("({}, {})", kind == 'l' ? "NONE" : r.get(i, 6),
                                   kind == 'r' ? "NONE" : r.get(i, 7));
    std::string details = operator_details(r, i);
    DumpObject o;
    o.priority = Priority::operator_;
    o.schema = schema;
    o.name = name;
    o.tiebreak = args;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, args, details](Output& out) {
      std::string q = ctx.ident(schema) + "." + name;
      out.entry({name + " " + args,
                 "OPERATOR",
                 schema,
                 owner,
                 fmt::format("CREATE OPERATOR {} (\n{}\n);\n", q, details),
                 fmt::format("ALTER OPERATOR {} {}", q, args),
                 {},
                 {}});
      ctx.comment(out, catalog::kPgOperator, oid, 0, "OPERATOR " + name + " " + args,
                  "OPERATOR " + q + " " + args, schema, owner);
    };
    ctx.graph.map({catalog::kPgOperator, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c dumpAccessMethod: user access methods (OID from 16384).
void add_access_methods(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT a.oid, a.amname, a.amtype, a.amhandler::pg_catalog.regproc
  FROM pg_catalog.pg_am a
 WHERE a.oid >= 16384 AND {})",
                                           not_in_extension("pg_am", "a.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1);
    std::string d = fmt::format("CREATE ACCESS METHOD {} TYPE {} HANDLER {};\n", ctx.ident(name),
                                r.get(i, 2) == "t" ? "TABLE" : "INDEX", r.get(i, 3));
    DumpObject o;
    o.priority = Priority::access_method;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, d](Output& out) {
      out.entry({name, "ACCESS METHOD", "", "", d, "", {}, {}});
      std::string target = "ACCESS METHOD " + ctx.ident(name);
      ctx.comment(out, catalog::kPgAm, oid, 0, target, target, "", "");
    };
    ctx.graph.map({catalog::kPgAm, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c getBlobs and dumpBlob (pg_dump 15: one BLOB entry per large
// object, in the pre-data): lo_create, owner, comment and ACL. The data is
// dumped by the workers (large_objects.h). One graph object prints them all:
// they depend on nothing but roles.
void add_large_objects(Context& ctx) {
  if (ctx.options.no_large_objects) return;
  PgResult r = query(ctx.conn, R"(
SELECT l.oid, pg_catalog.pg_get_userbyid(l.lomowner), l.lomacl IS NULL, l.lomacl,
       pg_catalog.acldefault('L', l.lomowner)
  FROM pg_catalog.pg_largeobject_metadata l
 ORDER BY l.oid)");
  if (r.rows() == 0) return;
  DumpObject o;
  o.priority = Priority::large_object;
  o.name = "large objects";
  o.render = [&ctx, r = std::make_shared<PgResult>(std::move(r))](Output& out) {
    for (int i = 0; i < r->rows(); ++i) {
      std::string oid = r->str(i, 0), owner = r->str(i, 1), target = "LARGE OBJECT " + oid;
      out.entry({oid,
                 "BLOB",
                 "",
                 owner,
                 fmt::format("SELECT pg_catalog.lo_create('{}');\n", oid),
                 "ALTER LARGE OBJECT " + oid,
                 {},
                 {}});
      ctx.comment(out, catalog::kPgLargeObject, r->oid(i, 0), 0, target, target, "", owner);
      out.acl(target, "LARGE OBJECT", oid, "", "", owner, r->get(i, 3), r->flag(i, 2),
              r->get(i, 4));
    }
  };
  ctx.graph.add(std::move(o));
}

// pg_dump.c dumpConversion.
void add_conversions(Context& ctx) {
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.conname, pg_catalog.pg_get_userbyid(c.conowner), c.condefault,
       pg_catalog.pg_encoding_to_char(c.conforencoding),
       pg_catalog.pg_encoding_to_char(c.contoencoding), c.conproc::pg_catalog.regproc
  FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
 WHERE {} AND {})",
                                  kUserSchema, not_in_extension("pg_conversion", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string d =
        fmt::format("CREATE {}CONVERSION {} FOR {} TO {} FROM {};\n",
                    r.flag(i, 4) ? "DEFAULT " : "", ctx.qualified(schema, name),
                    quote_literal(r.get(i, 5)), quote_literal(r.get(i, 6)), r.get(i, 7));
    DumpObject o;
    o.priority = Priority::conversion;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, d](Output& out) {
      std::string q = ctx.qualified(schema, name);
      out.entry({name, "CONVERSION", schema, owner, d, "ALTER CONVERSION " + q, {}, {}});
      ctx.comment(out, catalog::kPgConversion, oid, 0, "CONVERSION " + ctx.ident(name),
                  "CONVERSION " + q, schema, owner);
    };
    ctx.graph.map({catalog::kPgConversion, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c dumpProcLang: user languages (OID from 16384, not an
// extension's), with their handler, inline and validator functions.
void add_languages(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT l.oid, l.lanname, pg_catalog.pg_get_userbyid(l.lanowner), l.lanpltrusted,
       pg_catalog.format('%I.%I', hn.nspname, h.proname),
       (SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = l.laninline),
       (SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = l.lanvalidator),
       l.lanacl IS NULL, l.lanacl, pg_catalog.acldefault('l', l.lanowner)
  FROM pg_catalog.pg_language l JOIN pg_catalog.pg_proc h ON h.oid = l.lanplcallfoid
  JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace
 WHERE l.oid >= 16384 AND {})",
                                           not_in_extension("pg_language", "l.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), q = ctx.ident(name);
    std::string d = fmt::format("CREATE {}PROCEDURAL LANGUAGE {} HANDLER {}",
                                r.flag(i, 3) ? "TRUSTED " : "", q, r.get(i, 4));
    if (!r.is_null(i, 5)) d += " INLINE " + r.str(i, 5);
    if (!r.is_null(i, 6)) d += " VALIDATOR " + r.str(i, 6);
    d += ";\n";
    std::string acl = r.str(i, 8), base = r.str(i, 9);
    bool acl_null = r.flag(i, 7);
    DumpObject o;
    o.priority = Priority::proclang;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, q, d, acl, acl_null, base](Output& out) {
      out.entry(
          {name, "PROCEDURAL LANGUAGE", "", owner, d, "ALTER PROCEDURAL LANGUAGE " + q, {}, {}});
      ctx.comment(out, catalog::kPgLanguage, oid, 0, "LANGUAGE " + q, "LANGUAGE " + q, "", owner);
      out.acl("LANGUAGE " + q, "LANGUAGE", q, "", "", owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgLanguage, oid}, ctx.graph.add(std::move(o)));
  }
}

}  // namespace dbsnap::pg
