#include "protocols/postgres/schema.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/comment_line.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

using catalog::CatalogKey;

std::string not_in_extension(std::string_view catalog, std::string_view oid_expr) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = "
      "'pg_catalog.{}'::pg_catalog.regclass AND x.objid = {} AND x.deptype = 'e')",
      catalog, oid_expr);
}

void Context::comment(Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
                      const std::string& tag, const std::string& target, const std::string& schema,
                      const std::string& owner) const {
  comment_only(out, classoid, oid, subid, tag, target, schema, owner);
  if (subid == 0)
    security_labels(out, classoid, oid, tag, schema, owner,
                    [&](int sub) { return sub == 0 ? target : ""; });
}

void Context::comment_only(Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
                           const std::string& tag, const std::string& target,
                           const std::string& schema, const std::string& owner) const {
  auto it = comments.find({classoid, oid, subid});
  if (it != comments.end()) out.comment(tag, target, schema, owner, it->second);
}

void Context::security_labels(Output& out, std::uint32_t classoid, std::uint32_t oid,
                              const std::string& tag, const std::string& schema,
                              const std::string& owner,
                              const std::function<std::string(int)>& target) const {
  auto it = labels.find({classoid, oid});
  if (it == labels.end()) return;
  Toc toc;
  for (const auto& l : it->second) {
    std::string name = target(l.subid);
    if (!name.empty())
      toc.defn += fmt::format("SECURITY LABEL FOR {} ON {} IS {};\n", ident(l.provider), name,
                              quote_literal(l.label));
  }
  if (toc.defn.empty()) return;
  toc.tag = tag;
  toc.type = "SECURITY LABEL";
  toc.schema = schema;
  toc.owner = owner;
  out.entry(toc);
}

namespace {

// pg_description, and pg_seclabels read as pg_dump 15 reads it (its order
// among the labels of one object is the order pg_dump prints).
void read_comments(Context& ctx) {
  PgResult r = query(
      ctx.conn, "SELECT classoid, objoid, objsubid, description FROM pg_catalog.pg_description");
  for (int i = 0; i < r.rows(); ++i)
    ctx.comments[{r.oid(i, 0), r.oid(i, 1), static_cast<int>(r.num(i, 2))}] = r.str(i, 3);
  PgResult l = query(ctx.conn, R"(
SELECT classoid, objoid, objsubid, provider, label FROM pg_catalog.pg_seclabels
 ORDER BY classoid, objoid, objsubid)");
  for (int i = 0; i < l.rows(); ++i)
    ctx.labels[{l.oid(i, 0), l.oid(i, 1)}].push_back(
        {static_cast<int>(l.num(i, 2)), l.str(i, 3), l.str(i, 4)});
}

}  // namespace

// pg_dump.c dumpNamespace; the public schema as selectDumpableNamespace and
// dumpCommentExtended treat it (not created, owner and comment only when not
// the defaults).
void add_namespaces(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner),
       (pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner' OR
        (pg_catalog.current_setting('server_version_num')::pg_catalog.int4 < 150000 AND
         n.nspowner = 10)),
       n.nspacl, n.nspacl IS NULL, pg_catalog.acldefault('n', n.nspowner), pip.initprivs
  FROM pg_catalog.pg_namespace n
  LEFT JOIN pg_catalog.pg_init_privs pip
    ON pip.objoid = n.oid AND pip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
   AND pip.objsubid = 0
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_namespace", "n.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2);
    bool is_public = name == "public", default_owner = r.flag(i, 3);
    std::string acl = r.str(i, 4), base = r.is_null(i, 7) ? r.str(i, 6) : r.str(i, 7);
    bool acl_null = r.is_null(i, 5) ? true : r.flag(i, 5);
    if (!r.is_null(i, 7) && !default_owner) {
      // initdb's privileges name pg_database_owner; an owner change moved them.
      std::string role = ctx.ident(owner);
      for (std::size_t p; (p = base.find("pg_database_owner")) != std::string::npos;)
        base.replace(p, 17, role);
    }
    DumpObject o;
    o.priority = Priority::namespace_;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, is_public, default_owner, acl, acl_null,
                base](Output& out) {
      std::string q = ctx.ident(name);
      if (!is_public || !default_owner) {
        Toc toc;
        toc.tag = name;
        toc.type = "SCHEMA";
        toc.owner = owner;
        toc.defn = is_public ? "-- *not* creating schema, since initdb creates it\n"
                             : fmt::format("CREATE SCHEMA {};\n", q);
        toc.alter_owner = "ALTER SCHEMA " + q;
        out.entry(toc);
      }
      auto it = ctx.comments.find({catalog::kPgNamespace, oid, 0});
      if (is_public) {
        if (it == ctx.comments.end())
          out.comment("SCHEMA " + q, "SCHEMA " + q, "", owner, "");
        else if (it->second != "standard public schema")
          out.comment("SCHEMA " + q, "SCHEMA " + q, "", owner, it->second);
      } else {
        ctx.comment(out, catalog::kPgNamespace, oid, 0, "SCHEMA " + q, "SCHEMA " + q, "", owner);
      }
      out.acl("SCHEMA " + q, "SCHEMA", q, "", "", owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgNamespace, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c dumpExtension. plpgsql and other objects created by initdb
// (OID below FirstNormalObjectId) are not dumped.
void add_extensions(Context& ctx) {
  PgResult r = query(ctx.conn, R"(
SELECT x.oid, x.extname, n.nspname
  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
 WHERE x.oid >= 16384)");
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), schema = r.str(i, 2);
    DumpObject o;
    o.priority = Priority::extension;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, schema](Output& out) {
      Toc toc;
      toc.tag = name;
      toc.type = "EXTENSION";
      toc.owner = "-";
      toc.defn = fmt::format("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};\n", ctx.ident(name),
                             ctx.ident(schema));
      out.entry(toc);
      std::string tag = "EXTENSION " + ctx.ident(name);
      ctx.comment(out, catalog::kPgExtension, oid, 0, tag, tag, "", "");
    };
    ctx.graph.map({catalog::kPgExtension, oid}, ctx.graph.add(std::move(o)));
  }
  // Dependencies on an extension's members are dependencies on the extension.
  PgResult m = query(ctx.conn, R"(
SELECT classid, objid, refobjid FROM pg_catalog.pg_depend
 WHERE deptype = 'e' AND refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass)");
  for (int i = 0; i < m.rows(); ++i)
    if (auto ext = ctx.graph.find({catalog::kPgExtension, m.oid(i, 2)}))
      ctx.graph.map({m.oid(i, 0), m.oid(i, 1)}, *ext);
}

// pg_dump.c dumpEnumType, dumpDomain, dumpCompositeType, dumpRangeType.
void add_types(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname, t.typname, pg_catalog.pg_get_userbyid(t.typowner), t.typtype,
       t.typacl, t.typacl IS NULL, pg_catalog.acldefault('T', t.typowner), t.typarray, t.typrelid,
       pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,
       COALESCE(pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass),
                t.typdefault),
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = t.typcollation AND t.typcollation <> bt.typcollation),
       pg_catalog.format_type(r.rngsubtype, NULL), r.rngmultitypid,
       pg_catalog.format_type(r.rngmultitypid, NULL),
       (SELECT pg_catalog.quote_ident(on_.nspname) || '.' || pg_catalog.quote_ident(opc.opcname)
          FROM pg_catalog.pg_opclass opc JOIN pg_catalog.pg_namespace on_ ON on_.oid = opc.opcnamespace
         WHERE opc.oid = r.rngsubopc AND NOT opc.opcdefault),
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = r.rngcollation),
       r.rngcanonical::pg_catalog.regproc, r.rngsubdiff::pg_catalog.regproc,
       (SELECT mt.typarray FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid)
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
 WHERE {} AND {}
   AND (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c
                                  WHERE c.oid = t.typrelid) = 'c')))",
                                           kUserSchema, not_in_extension("pg_type", "t.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0), relid = r.oid(i, 9);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    char kind = r.get(i, 4)[0];
    std::string q = ctx.qualified(schema, name);
    std::string defn;
    std::vector<std::pair<std::uint32_t, std::string>> domain_checks;
    if (kind == 'e') {
      PgResult labels = query(
          ctx.conn, fmt::format("SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = {} "
                                "ORDER BY enumsortorder",
                                oid));
      defn = fmt::format("CREATE TYPE {} AS ENUM (", q);
      for (int l = 0; l < labels.rows(); ++l)
        defn += (l ? ",\n    " : "\n    ") + quote_literal(labels.get(l, 0));
      defn += "\n);\n";
    } else if (kind == 'd') {
      defn = fmt::format("CREATE DOMAIN {} AS {}", q, r.get(i, 10));
      if (!r.is_null(i, 13)) defn += " COLLATE " + r.str(i, 13);
      if (r.flag(i, 11)) defn += " NOT NULL";
      if (!r.is_null(i, 12)) defn += " DEFAULT " + r.str(i, 12);
      PgResult checks =
          query(ctx.conn, fmt::format("SELECT oid, conname, pg_catalog.pg_get_constraintdef(oid) "
                                      "FROM pg_catalog.pg_constraint WHERE contypid = {} AND "
                                      "contype = 'c' ORDER BY conname",
                                      oid));
      for (int c = 0; c < checks.rows(); ++c) {
        defn += fmt::format("\n\tCONSTRAINT {} {}", ctx.ident(checks.get(c, 1)), checks.get(c, 2));
        domain_checks.emplace_back(checks.oid(c, 0), checks.str(c, 1));
      }
      defn += ";\n";
    } else if (kind == 'c') {
      PgResult atts = query(ctx.conn, fmt::format(R"(
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = a.attcollation AND a.attcollation <> at.typcollation)
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
 WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)",
                                                  relid));
      defn = fmt::format("CREATE TYPE {} AS (", q);
      for (int a = 0; a < atts.rows(); ++a) {
        defn += fmt::format("{}\n\t{} {}", a ? "," : "", ctx.ident(atts.get(a, 0)), atts.get(a, 1));
        if (!atts.is_null(a, 2)) defn += " COLLATE " + atts.str(a, 2);
      }
      defn += "\n);\n";
    } else {
      defn = fmt::format("CREATE TYPE {} AS RANGE (\n    subtype = {}", q, r.get(i, 14));
      if (!r.is_null(i, 16)) defn += ",\n    multirange_type_name = " + r.str(i, 16);
      if (!r.is_null(i, 17)) defn += ",\n    subtype_opclass = " + r.str(i, 17);
      if (!r.is_null(i, 18)) defn += ",\n    collation = " + r.str(i, 18);
      if (r.get(i, 19) != "-") defn += ",\n    canonical = " + r.str(i, 19);
      if (r.get(i, 20) != "-") defn += ",\n    subtype_diff = " + r.str(i, 20);
      defn += "\n);\n";
    }
    bool domain = kind == 'd';
    std::string acl = r.str(i, 5), base = r.str(i, 7);
    bool acl_null = r.flag(i, 6);
    DumpObject o;
    o.priority = Priority::type;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, relid, schema, name, owner, domain, defn, domain_checks, acl, acl_null,
                base](Output& out) {
      std::string q = ctx.qualified(schema, name), word = domain ? "DOMAIN" : "TYPE";
      Toc toc;
      toc.tag = name;
      toc.type = domain ? "DOMAIN" : "TYPE";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = defn;
      toc.alter_owner = fmt::format("ALTER {} {}", word, q);
      out.entry(toc);
      std::string tag = word + " " + ctx.ident(name);
      ctx.comment(out, catalog::kPgType, oid, 0, tag, word + " " + q, schema, owner);
      for (const auto& [con_oid, con_name] : domain_checks) {
        std::string target = fmt::format("CONSTRAINT {} ON DOMAIN {}", ctx.ident(con_name), q);
        ctx.comment(out, catalog::kPgConstraint, con_oid, 0,
                    fmt::format("CONSTRAINT {} ON DOMAIN {}", ctx.ident(con_name), ctx.ident(name)),
                    target, schema, owner);
      }
      if (relid != 0) {
        PgResult cols = query(ctx.conn, fmt::format("SELECT attnum, attname FROM pg_catalog."
                                                    "pg_attribute WHERE attrelid = {} AND attnum > "
                                                    "0 AND NOT attisdropped ORDER BY attnum",
                                                    relid));
        for (int c = 0; c < cols.rows(); ++c) {
          std::string col = ctx.ident(cols.get(c, 1));
          ctx.comment(out, catalog::kPgClass, relid, static_cast<int>(cols.num(c, 0)),
                      fmt::format("COLUMN {}.{}", ctx.ident(name), col),
                      fmt::format("COLUMN {}.{}", q, col), schema, owner);
        }
      }
      out.acl(tag, word, ctx.ident(name), "", schema, owner, acl, acl_null, base);
    };
    std::size_t id = ctx.graph.add(std::move(o));
    ctx.graph.map({catalog::kPgType, oid}, id);
    if (r.oid(i, 8) != 0) ctx.graph.map({catalog::kPgType, r.oid(i, 8)}, id);
    if (relid != 0) ctx.graph.map({catalog::kPgClass, relid}, id);
    if (!r.is_null(i, 15)) ctx.graph.map({catalog::kPgType, r.oid(i, 15)}, id);
    if (!r.is_null(i, 21)) ctx.graph.map({catalog::kPgType, r.oid(i, 21)}, id);
    for (const auto& check : domain_checks)
      ctx.graph.map({catalog::kPgConstraint, check.first}, id);
  }
}

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

const char* modify_word(char c) {
  return c == 's' ? "SHAREABLE" : c == 'w' ? "READ_WRITE" : "READ_ONLY";
}

}  // namespace

// pg_dump.c dumpFunc and dumpAgg.
void add_routines(Context& ctx) {
  bool sql_body = PQserverVersion(ctx.conn) >= 140000;
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner), p.prokind,
       pg_catalog.pg_get_function_arguments(p.oid),
       pg_catalog.pg_get_function_identity_arguments(p.oid),
       pg_catalog.pg_get_function_result(p.oid), l.lanname, p.provolatile, p.proisstrict,
       p.prosecdef, p.proleakproof, p.procost, p.prorows, p.prosupport::pg_catalog.regproc,
       p.proparallel, p.proconfig, p.prosrc, p.probin, {},
       p.proacl, p.proacl IS NULL, pg_catalog.acldefault('f', p.proowner),
       pg_catalog.array_to_string(ARRAY(
         SELECT pg_catalog.format_type(u.t, NULL)
           FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY u(t, i) ORDER BY u.i), ', '),
       p.pronargs
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.prokind IN ('f', 'p', 'w') AND {} AND {}
   -- range and multirange constructors come with their type
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i
                    WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                      AND i.objid = p.oid AND i.deptype = 'i'))",
                                  sql_body ? "pg_catalog.pg_get_function_sqlbody(p.oid)" : "NULL",
                                  kUserSchema, not_in_extension("pg_proc", "p.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    bool procedure = r.get(i, 4) == "p";
    std::string word = procedure ? "PROCEDURE" : "FUNCTION";
    std::string q = ctx.qualified(schema, name);
    std::string defn = fmt::format("CREATE {} {}({})", word, q, r.get(i, 5));
    if (!procedure) defn += " RETURNS " + r.str(i, 7);
    std::string lang = r.str(i, 8);
    defn += "\n    LANGUAGE " + ctx.ident(lang);
    if (r.get(i, 4) == "w") defn += " WINDOW";
    if (r.get(i, 9) == "i") defn += " IMMUTABLE";
    if (r.get(i, 9) == "s") defn += " STABLE";
    if (r.flag(i, 10)) defn += " STRICT";
    if (r.flag(i, 11)) defn += " SECURITY DEFINER";
    if (r.flag(i, 12)) defn += " LEAKPROOF";
    std::string cost = r.str(i, 13), rows = r.str(i, 14);
    bool builtin_lang = lang == "internal" || lang == "c";
    if (cost != "0" && cost != (builtin_lang ? "1" : "100")) defn += " COST " + cost;
    if (rows != "0" && rows != "1000") defn += " ROWS " + rows;
    if (r.get(i, 15) != "-") defn += " SUPPORT " + r.str(i, 15);
    if (r.get(i, 16) == "s") defn += " PARALLEL SAFE";
    if (r.get(i, 16) == "r") defn += " PARALLEL RESTRICTED";
    for (const auto& item : catalog::parse_array(r.get(i, 17)))
      defn += "\n    SET " + config_setting(ctx, item);
    if (!r.is_null(i, 20))
      defn += "\n    " + r.str(i, 20);
    else if (!r.is_null(i, 19) && !r.get(i, 19).empty())
      defn +=
          fmt::format("\n    AS {}, {}", quote_literal(r.get(i, 19)), quote_literal(r.get(i, 18)));
    else
      defn += "\n    AS " + catalog::dollar_quote(r.get(i, 18));
    defn += ";\n";
    std::string identity = r.str(i, 6), types = r.str(i, 24);
    std::string acl = r.str(i, 21), base = r.str(i, 23);
    bool acl_null = r.flag(i, 22);
    DumpObject o;
    o.priority = Priority::func;
    o.schema = schema;
    o.name = name;
    o.tiebreak = fmt::format("{:04}", r.num(i, 25)) + types;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, word, defn, identity, types, acl, acl_null,
                base](Output& out) {
      std::string q = ctx.qualified(schema, name);
      Toc toc;
      toc.tag = fmt::format("{}({})", name, types);
      toc.type = word;
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = defn;
      toc.alter_owner = fmt::format("ALTER {} {}({})", word, q, identity);
      out.entry(toc);
      std::string sig = fmt::format("{}({})", ctx.ident(name), identity);
      ctx.comment(out, catalog::kPgProc, oid, 0, word + " " + sig,
                  fmt::format("{} {}({})", word, q, identity), schema, owner);
      out.acl(word + " " + sig, word, sig, "", schema, owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgProc, oid}, ctx.graph.add(std::move(o)));
  }

  PgResult a = query(ctx.conn, fmt::format(R"(
SELECT p.oid, n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner),
       pg_catalog.pg_get_function_arguments(p.oid),
       pg_catalog.array_to_string(ARRAY(
         SELECT pg_catalog.format_type(u.t, NULL)
           FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY u(t, i) ORDER BY u.i), ', '),
       p.pronargs, a.aggkind, a.aggtransfn::pg_catalog.regproc,
       pg_catalog.format_type(a.aggtranstype, NULL), a.aggtransspace, a.agginitval,
       a.aggfinalfn::pg_catalog.regproc, a.aggfinalextra, a.aggfinalmodify,
       a.aggcombinefn::pg_catalog.regproc, a.aggserialfn::pg_catalog.regproc,
       a.aggdeserialfn::pg_catalog.regproc, a.aggmtransfn::pg_catalog.regproc,
       a.aggminvtransfn::pg_catalog.regproc, pg_catalog.format_type(a.aggmtranstype, NULL),
       a.aggmtransspace, a.aggminitval, a.aggmfinalfn::pg_catalog.regproc, a.aggmfinalextra,
       a.aggmfinalmodify,
       (SELECT 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')'
          FROM pg_catalog.pg_operator op JOIN pg_catalog.pg_namespace opn
            ON opn.oid = op.oprnamespace WHERE op.oid = a.aggsortop),
       p.proparallel, p.proacl, p.proacl IS NULL, pg_catalog.acldefault('f', p.proowner)
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_proc", "p.oid")));
  for (int i = 0; i < a.rows(); ++i) {
    std::uint32_t oid = a.oid(i, 0);
    std::string schema = a.str(i, 1), name = a.str(i, 2), owner = a.str(i, 3);
    std::string args = a.str(i, 4), types = a.str(i, 5);
    if (a.num(i, 6) == 0) {
      args = "*";
      types = "*";
    }
    char default_modify = a.get(i, 7) == "n" ? 'r' : 'w';
    std::string d = fmt::format("    SFUNC = {},\n    STYPE = {}", a.get(i, 8), a.get(i, 9));
    if (a.get(i, 10) != "0") d += ",\n    SSPACE = " + a.str(i, 10);
    if (!a.is_null(i, 11)) d += ",\n    INITCOND = " + quote_literal(a.get(i, 11));
    if (a.get(i, 12) != "-") {
      d += ",\n    FINALFUNC = " + a.str(i, 12);
      if (a.flag(i, 13)) d += ",\n    FINALFUNC_EXTRA";
      if (a.get(i, 14)[0] != default_modify)
        d += std::string(",\n    FINALFUNC_MODIFY = ") + modify_word(a.get(i, 14)[0]);
    }
    if (a.get(i, 15) != "-") d += ",\n    COMBINEFUNC = " + a.str(i, 15);
    if (a.get(i, 16) != "-") d += ",\n    SERIALFUNC = " + a.str(i, 16);
    if (a.get(i, 17) != "-") d += ",\n    DESERIALFUNC = " + a.str(i, 17);
    if (a.get(i, 18) != "-")
      d += fmt::format(",\n    MSFUNC = {},\n    MINVFUNC = {},\n    MSTYPE = {}", a.get(i, 18),
                       a.get(i, 19), a.get(i, 20));
    if (a.get(i, 21) != "0") d += ",\n    MSSPACE = " + a.str(i, 21);
    if (!a.is_null(i, 22)) d += ",\n    MINITCOND = " + quote_literal(a.get(i, 22));
    if (a.get(i, 23) != "-") {
      d += ",\n    MFINALFUNC = " + a.str(i, 23);
      if (a.flag(i, 24)) d += ",\n    MFINALFUNC_EXTRA";
      if (a.get(i, 25)[0] != default_modify)
        d += std::string(",\n    MFINALFUNC_MODIFY = ") + modify_word(a.get(i, 25)[0]);
    }
    if (!a.is_null(i, 26)) d += ",\n    SORTOP = " + a.str(i, 26);
    if (a.get(i, 7) == "h") d += ",\n    HYPOTHETICAL";
    if (a.get(i, 27) == "s") d += ",\n    PARALLEL = safe";
    if (a.get(i, 27) == "r") d += ",\n    PARALLEL = restricted";
    std::string defn =
        fmt::format("CREATE AGGREGATE {}({}) (\n{}\n);\n", ctx.qualified(schema, name), args, d);
    std::string acl = a.str(i, 28), base = a.str(i, 30);
    bool acl_null = a.flag(i, 29);
    DumpObject o;
    o.priority = Priority::agg;
    o.schema = schema;
    o.name = name;
    o.tiebreak = fmt::format("{:04}", a.num(i, 6)) + types;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, defn, types, acl, acl_null, base](Output& out) {
      std::string sig = fmt::format("{}({})", ctx.ident(name), types);
      std::string qsig = ctx.ident(schema) + "." + sig;
      Toc toc;
      toc.tag = fmt::format("{}({})", name, types);
      toc.type = "AGGREGATE";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = defn;
      toc.alter_owner = "ALTER AGGREGATE " + qsig;
      out.entry(toc);
      ctx.comment(out, catalog::kPgProc, oid, 0, "AGGREGATE " + sig, "AGGREGATE " + qsig, schema,
                  owner);
      out.acl("FUNCTION " + sig, "FUNCTION", sig, "", schema, owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgProc, oid}, ctx.graph.add(std::move(o)));
  }
}

// pg_dump.c dumpDefaultACL: ALTER DEFAULT PRIVILEGES, against the built-in
// defaults (global entries) or nothing (per-schema entries).
void add_default_acls(Context& ctx) {
  PgResult r = query(ctx.conn, R"(
SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype, d.defaclacl,
       CASE WHEN d.defaclnamespace = 0
            THEN pg_catalog.acldefault(CASE WHEN d.defaclobjtype = 'S' THEN 's'::"char"
                                            ELSE d.defaclobjtype END, d.defaclrole)
            ELSE '{}' END
  FROM pg_catalog.pg_default_acl d
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace)");
  for (int i = 0; i < r.rows(); ++i) {
    std::string role = r.str(i, 1), schema = r.str(i, 2), acl = r.str(i, 4), base = r.str(i, 5);
    char kind = r.get(i, 3)[0];
    std::string type = kind == 'r'   ? "TABLES"
                       : kind == 'S' ? "SEQUENCES"
                       : kind == 'f' ? "FUNCTIONS"
                       : kind == 'T' ? "TYPES"
                                     : "SCHEMAS";
    DumpObject o;
    o.priority = Priority::default_acl;
    o.schema = schema;
    o.name = role;
    o.tiebreak = type;
    o.oid = r.oid(i, 0);
    o.render = [&ctx, role, schema, type, acl, base](Output& out) {
      std::string prefix = "ALTER DEFAULT PRIVILEGES FOR ROLE " + ctx.ident(role) + " ";
      if (!schema.empty()) prefix += "IN SCHEMA " + ctx.ident(schema) + " ";
      out.default_acl("DEFAULT PRIVILEGES FOR " + type, prefix, type, schema, role, acl, base);
    };
    ctx.graph.add(std::move(o));
  }
}

namespace {

// pg_dump.c getDependencies: every pg_depend edge between two dumped objects,
// except internal/extension/pin ones that only tie an object to its parts.
// The refresh of a materialized view follows the refreshes of the
// materialized views it reads, directly or through views
// (pg_dump.c buildMatViewRefreshDependencies).
void link_refresh(Context& ctx, std::size_t from, std::size_t refresh) {
  std::vector<std::size_t> todo = ctx.graph[from].deps;
  std::vector<bool> seen(ctx.graph.size());
  while (!todo.empty()) {
    std::size_t d = todo.back();
    todo.pop_back();
    if (seen[d]) continue;
    seen[d] = true;
    if (auto it = ctx.refreshes.find(d); it != ctx.refreshes.end()) {
      ctx.graph.depend(refresh, it->second);
    } else if (ctx.graph[d].dummy) {  // a view: what it reads
      todo.insert(todo.end(), ctx.graph[d].deps.begin(), ctx.graph[d].deps.end());
    }
  }
}

void add_dependencies(Context& ctx) {
  PgResult r = query(ctx.conn, R"(
SELECT classid, objid, refclassid, refobjid FROM pg_catalog.pg_depend
 WHERE deptype NOT IN ('p', 'e') AND (objid >= 16384 OR refobjid >= 16384))");
  for (int i = 0; i < r.rows(); ++i) {
    auto from = ctx.graph.find({r.oid(i, 0), r.oid(i, 1)});
    auto to = ctx.graph.find({r.oid(i, 2), r.oid(i, 3)});
    if (!from || !to || *from == *to) continue;
    // An inline default is part of its table: no edge back to the table.
    if (ctx.graph[*from].default_of == *to) continue;
    ctx.graph.depend(*from, *to);
    if (r.oid(i, 0) == catalog::kPgRewrite && ctx.graph[*from].dummy)
      ctx.graph[*from].definition_deps.push_back(*to);
  }
  for (auto [matview, refresh] : ctx.refreshes) link_refresh(ctx, matview, refresh);
}

// pg_dump's addBoundaryDependencies: pre-data before data before post-data.
void add_boundaries(Context& ctx, std::size_t pre, std::size_t post) {
  ctx.graph.depend(post, pre);
  for (std::size_t i = 0; i < ctx.graph.size(); ++i) {
    if (i == pre || i == post) continue;
    Priority p = ctx.graph[i].priority;
    if (p < Priority::pre_data_boundary) {
      ctx.graph.depend(pre, i);
    } else if (p < Priority::post_data_boundary) {
      ctx.graph.depend(i, pre);
      ctx.graph.depend(post, i);
    } else {
      // A pre-data object cannot wait for post-data; such edges are dropped.
      ctx.graph.depend(i, post);
    }
  }
  std::size_t count = ctx.graph.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (ctx.graph[i].priority >= Priority::pre_data_boundary) continue;
    auto is_late = [&](std::size_t d) {
      return ctx.graph[d].priority > Priority::post_data_boundary;
    };
    auto& deps = ctx.graph[i].deps;
    if (std::none_of(deps.begin(), deps.end(), is_late)) continue;
    // A view's query moves after what it needs, with all the query's
    // dependencies; other objects lose the edge (pg_dump cannot order them
    // either).
    if (!ctx.graph[i].dummy) {
      std::erase_if(deps, is_late);
      continue;
    }
    std::vector<std::size_t> late = ctx.graph[i].definition_deps;
    std::erase_if(deps, [&](std::size_t d) {
      return is_late(d) || std::find(late.begin(), late.end(), d) != late.end();
    });
    *ctx.graph[i].dummy = true;
    DumpObject rule;
    rule.priority = Priority::rule;
    rule.schema = ctx.graph[i].schema;
    rule.name = "_RETURN";
    rule.tiebreak = ctx.graph[i].name;
    rule.oid = ctx.graph[i].oid;
    rule.render = ctx.graph[i].render_definition;
    rule.deps = late;
    rule.deps.push_back(i);
    rule.deps.push_back(post);
    ctx.graph.add(std::move(rule));
  }
}

// pg_backup_archiver.c _doSetFixedOutputState: the settings a script (and
// each \connect of --create) starts with.
std::string fixed_state(PGconn* conn) {
  return fmt::format(
      "SET statement_timeout = 0;\n"
      "SET lock_timeout = 0;\n"
      "SET idle_in_transaction_session_timeout = 0;\n"
      "SET client_encoding = '{}';\n"
      "SET standard_conforming_strings = on;\n"
      "SELECT pg_catalog.set_config('search_path', '', false);\n"
      "SET check_function_bodies = false;\n"
      "SET xmloption = content;\n"
      "SET client_min_messages = warning;\n"
      "SET row_security = off;\n\n",
      pg_encoding_to_char(PQclientEncoding(conn)));
}

// pg_backup_archiver.c RestoreArchive's header.
std::string header(PGconn* conn) {
  PgResult v = query(conn, "SELECT pg_catalog.current_setting('server_version')");
  return fmt::format(
      "--\n-- PostgreSQL database dump\n--\n\n"
      "-- Dumped from database version {}\n"
      "-- Dumped by dbsnap version {}\n\n",
      sanitize_comment(v.get(0, 0)), DBSNAP_VERSION);
}

}  // namespace

PgSchema read_schema(PGconn* conn, const DumpOptions& options) {
  Context ctx{conn, options, {}, {}, {}, {}, {}};
  read_comments(ctx);
  add_namespaces(ctx);
  add_extensions(ctx);
  add_collations(ctx);
  add_types(ctx);
  add_base_types(ctx);
  add_shell_types(ctx);
  add_routines(ctx);
  add_casts(ctx);
  add_transforms(ctx);
  add_operators(ctx);
  add_operator_families(ctx);
  add_operator_classes(ctx);
  add_access_methods(ctx);
  add_text_search(ctx);
  add_conversions(ctx);
  add_languages(ctx);
  add_foreign_data_wrappers(ctx);
  add_foreign_servers(ctx);
  PgSchema schema;
  add_relations(ctx, schema.tables);
  add_catalog_acls(ctx);
  add_post_data(ctx);
  add_statistics(ctx);
  add_default_acls(ctx);
  add_event_triggers(ctx);
  add_publications(ctx);
  add_subscriptions(ctx);
  add_large_objects(ctx);
  add_dependencies(ctx);
  repair_type_function_loops(ctx);
  DumpObject pre_boundary, post_boundary;
  pre_boundary.priority = Priority::pre_data_boundary;
  post_boundary.priority = Priority::post_data_boundary;
  std::size_t pre = ctx.graph.add(std::move(pre_boundary));
  std::size_t post = ctx.graph.add(std::move(post_boundary));
  add_boundaries(ctx, pre, post);

  Output out(conn, options);
  for (std::size_t i : ctx.graph.sort()) {
    if (i == pre) out.start_post_data();
    if (ctx.graph[i].render) ctx.graph[i].render(out);
  }
  schema.pre_data = header(conn) + fixed_state(conn);
  if (options.create) schema.pre_data += database_entries(ctx, fixed_state(conn));
  schema.pre_data += out.pre();
  schema.post_data =
      out.post() + out.acls() + out.post_acl() + "--\n-- PostgreSQL database dump complete\n--\n\n";
  return schema;
}

}  // namespace dbsnap::pg
