// Readers of object kinds that pg_dump prints as entries of their own:
// collations, extended statistics, event triggers, casts, transforms, access
// methods, large objects, conversions and procedural languages.
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// pg_collation (getCollations). The ICU locale is colliculocale in
// PostgreSQL 15-16 and colllocale from 17 (catalog docs, pg_collation);
// before 15 it is collcollate, and locale reads NULL.
struct CollationRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  char provider;
  bool deterministic;
  std::string collate, ctype;
  std::optional<std::string> locale;

  static CollationRow read(const Row& r) {
    return read_fields<CollationRow>(r, {"oid", "schema", "name", "owner", "provider",
                                         "deterministic", "collate", "ctype", "locale"});
  }
};

// pg_dump.c dumpCollation: provider, determinism, then one locale when
// collate and ctype agree (or the ICU locale), else both.
std::string collation_definition(const std::string& qualified, const CollationRow& c) {
  std::string d = fmt::format("CREATE COLLATION {} (provider = {}", qualified,
                              c.provider == 'i'   ? "icu"
                              : c.provider == 'c' ? "libc"
                                                  : "default");
  if (!c.deterministic) d += ", deterministic = false";
  if (c.locale) {
    d += ", locale = " + quote_literal(*c.locale);
  } else if (c.collate == c.ctype) {
    d += ", locale = " + quote_literal(c.collate);
  } else {
    d += ", lc_collate = " + quote_literal(c.collate) + ", lc_ctype = " + quote_literal(c.ctype);
  }
  return d + ");\n";
}

}  // namespace

// pg_dump.c getCollations/dumpCollation.
void add_collations(Context& ctx) {
  int v = PQserverVersion(ctx.conn);
  std::string locale = v >= 170000 ? "c.colllocale" : v >= 150000 ? "c.colliculocale" : "NULL";
  auto rows = read_rows<CollationRow>(
      ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.collname AS name,
       pg_catalog.pg_get_userbyid(c.collowner) AS owner, c.collprovider AS provider,
       c.collisdeterministic AS deterministic, c.collcollate AS collate, c.collctype AS ctype,
       {} AS locale
  FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
 WHERE {} AND {})",
                            locale, kUserSchema, not_in_extension("pg_collation", "c.oid")));
  for (auto& c : rows) {
    std::string defn = collation_definition(ctx.qualified(c.schema, c.name), c);
    add_owned_object(ctx, Priority::collation, catalog::kPgCollation, "COLLATION", c.oid, c.schema,
                     c.name, c.owner, defn);
  }
}

namespace {

// pg_statistic_ext (getExtendedStatistics); target "-1" is the default.
// stxstattarget: PostgreSQL 13; NULL for the default from 17 (catalog docs,
// pg_statistic_ext).
struct StatisticsRow {
  std::uint32_t oid, relid;
  std::string schema, name, owner, definition, target;

  static StatisticsRow read(const Row& r) {
    return read_fields<StatisticsRow>(
        r, {"oid", "relid", "schema", "name", "owner", "definition", "target"});
  }
};

}  // namespace

// pg_dump.c dumpStatisticsExt: the server's own definition, and SET
// STATISTICS when the target is not the default.
void add_statistics(Context& ctx) {
  int v = PQserverVersion(ctx.conn);
  std::string target = v >= 170000   ? "COALESCE(s.stxstattarget, -1)::pg_catalog.text"
                       : v >= 130000 ? "s.stxstattarget::pg_catalog.text"
                                     : "'-1'";
  auto rows = read_rows<StatisticsRow>(
      ctx.conn, fmt::format(R"(
SELECT s.oid, s.stxrelid AS relid, n.nspname AS schema, s.stxname AS name,
       pg_catalog.pg_get_userbyid(s.stxowner) AS owner,
       pg_catalog.pg_get_statisticsobjdef(s.oid) AS definition,
       {} AS target
  FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
 WHERE {} AND {})",
                            target, kUserSchema, not_in_extension("pg_statistic_ext", "s.oid")));
  for (auto& s : rows) {
    std::string d = s.definition + ";\n";
    if (s.target != "-1")
      d += fmt::format("ALTER STATISTICS {} SET STATISTICS {};\n", ctx.qualified(s.schema, s.name),
                       s.target);
    std::size_t id = add_owned_object(ctx, Priority::statsext, catalog::kPgStatisticExt,
                                      "STATISTICS", s.oid, s.schema, s.name, s.owner, d);
    ctx.graph[id].relation = s.relid;
  }
}

namespace {

// pg_event_trigger (getEventTriggers); tags: quoted literals joined by ", ".
struct EventTriggerRow {
  std::uint32_t oid;
  std::string name, owner, event;
  char enabled;
  std::string tags, function;

  static EventTriggerRow read(const Row& r) {
    return read_fields<EventTriggerRow>(
        r, {"oid", "name", "owner", "event", "enabled", "tags", "function"});
  }
};

// pg_dump.c dumpEventTrigger: created enabled, then ALTER EVENT TRIGGER for
// any other firing state.
std::string event_trigger_definition(const Context& ctx, const EventTriggerRow& e) {
  std::string q = ctx.ident(e.name);
  std::string d = fmt::format("CREATE EVENT TRIGGER {} ON {}", q, ctx.ident(e.event));
  if (!e.tags.empty()) d += "\n         WHEN TAG IN (" + e.tags + ")";
  d += "\n   EXECUTE FUNCTION " + e.function + "();\n";
  if (e.enabled != 'O') {
    d += fmt::format("\nALTER EVENT TRIGGER {} {};\n", q,
                     e.enabled == 'D'   ? "DISABLE"
                     : e.enabled == 'A' ? "ENABLE ALWAYS"
                     : e.enabled == 'R' ? "ENABLE REPLICA"
                                        : "ENABLE");
  }
  return d;
}

}  // namespace

// pg_dump.c getEventTriggers/dumpEventTrigger.
void add_event_triggers(Context& ctx) {
  auto rows = read_rows<EventTriggerRow>(
      ctx.conn, fmt::format(R"(
SELECT e.oid, e.evtname AS name, pg_catalog.pg_get_userbyid(e.evtowner) AS owner,
       e.evtevent AS event, e.evtenabled AS enabled,
       pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_literal(x)
                                          FROM pg_catalog.unnest(e.evttags) AS t(x)), ', ') AS tags,
       e.evtfoid::pg_catalog.regproc AS function
  FROM pg_catalog.pg_event_trigger e
 WHERE {})",
                            not_in_extension("pg_event_trigger", "e.oid")));
  for (auto& e : rows) {
    ctx.add_object(Priority::event_trigger, catalog::kPgEventTrigger, e.oid, "", e.name,
                   [&ctx, e](Output& out) {
                     std::string q = ctx.ident(e.name);
                     Entry(ctx, "EVENT TRIGGER", e.name)
                         .owner(e.owner)
                         .sql(event_trigger_definition(ctx, e))
                         .alter_owner("ALTER EVENT TRIGGER " + q)
                         .comment(catalog::kPgEventTrigger, e.oid, "EVENT TRIGGER " + q,
                                  "EVENT TRIGGER " + q)
                         .write(out);
                   });
  }
}

namespace {

// An object pg_dump prints without owner or schema (casts, transforms,
// access methods): its entry, then its comment and labels tagged comment_tag.
void add_ownerless(Context& ctx, Priority priority, std::uint32_t classoid, std::uint32_t oid,
                   const std::string& name, std::string type, std::string defn,
                   std::string comment_tag) {
  ctx.add_object(priority, classoid, oid, "", name,
                 [&ctx, classoid, oid, name, type = std::move(type), defn = std::move(defn),
                  comment_tag = std::move(comment_tag)](Output& out) {
                   Entry(ctx, type, name)
                       .sql(defn)
                       .comment(classoid, oid, comment_tag, comment_tag)
                       .write(out);
                 });
}

// pg_cast: source and target as format_type prints them, the function as
// regprocedure.
struct CastRow {
  std::uint32_t oid;
  std::string source, target;
  char method, context;
  std::string function;

  static CastRow read(const Row& r) {
    return read_fields<CastRow>(r, {"oid", "source", "target", "method", "context", "function"});
  }
};

}  // namespace

// pg_dump.c dumpCast: user casts (OID from FirstNormalObjectId, 16384); not
// the range-to-multirange casts CREATE TYPE ... AS RANGE makes (internal
// dependency on the type).
void add_casts(Context& ctx) {
  auto rows = read_rows<CastRow>(ctx.conn, fmt::format(R"(
SELECT c.oid, pg_catalog.format_type(c.castsource, NULL) AS source,
       pg_catalog.format_type(c.casttarget, NULL) AS target, c.castmethod AS method,
       c.castcontext AS context, c.castfunc::pg_catalog.regprocedure AS function
  FROM pg_catalog.pg_cast c
 WHERE c.oid >= 16384 AND {}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'i'))",
                                                       not_in_extension("pg_cast", "c.oid")));
  for (const auto& c : rows) {
    std::string name = fmt::format("CAST ({} AS {})", c.source, c.target);
    std::string d = "CREATE " + name +
                    (c.method == 'b'   ? " WITHOUT FUNCTION"
                     : c.method == 'i' ? " WITH INOUT"
                                       : " WITH FUNCTION " + c.function);
    d += c.context == 'a' ? " AS ASSIGNMENT;\n" : c.context == 'i' ? " AS IMPLICIT;\n" : ";\n";
    add_ownerless(ctx, Priority::cast, catalog::kPgCast, c.oid, name, "CAST", d, name);
  }
}

namespace {

// pg_transform; the functions schema-qualified with their argument types,
// "" for none.
struct TransformRow {
  std::uint32_t oid;
  std::string type, language, from_sql, to_sql;

  static TransformRow read(const Row& r) {
    return read_fields<TransformRow>(r, {"oid", "type", "language", "from_sql", "to_sql"});
  }
};

std::string function_signature_sql(std::string_view column) {
  return fmt::format(R"((SELECT pg_catalog.quote_ident(pn.nspname) || '.' ||
               pg_catalog.quote_ident(p.proname) || '(' ||
               pg_catalog.array_to_string(ARRAY(
                 SELECT pg_catalog.format_type(u.t, NULL)
                   FROM pg_catalog.unnest(p.proargtypes) WITH ORDINALITY u(t, i)
                  ORDER BY u.i), ', ') || ')'
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
         WHERE p.oid = {}))",
                     column);
}

}  // namespace

// pg_dump.c dumpTransform: FROM SQL and TO SQL functions.
void add_transforms(Context& ctx) {
  auto rows =
      read_rows<TransformRow>(ctx.conn, fmt::format(R"(
SELECT t.oid, pg_catalog.format_type(t.trftype, NULL) AS type, l.lanname AS language,
       {} AS from_sql, {} AS to_sql
  FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
 WHERE t.oid >= 16384 AND {})",
                                                    function_signature_sql("t.trffromsql"),
                                                    function_signature_sql("t.trftosql"),
                                                    not_in_extension("pg_transform", "t.oid")));
  for (const auto& t : rows) {
    std::string name = fmt::format("TRANSFORM FOR {} LANGUAGE {}", t.type, ctx.ident(t.language));
    std::string d = "CREATE " + name + " (";
    if (!t.from_sql.empty()) d += "FROM SQL WITH FUNCTION " + t.from_sql;
    if (!t.to_sql.empty())
      d += (t.from_sql.empty() ? "" : ", ") + std::string("TO SQL WITH FUNCTION ") + t.to_sql;
    d += ");\n";
    add_ownerless(ctx, Priority::transform, catalog::kPgTransform, t.oid, name, "TRANSFORM", d,
                  name);
  }
}

namespace {

struct AccessMethodRow {
  std::uint32_t oid;
  std::string name;
  char type;
  std::string handler;

  static AccessMethodRow read(const Row& r) {
    return read_fields<AccessMethodRow>(r, {"oid", "name", "type", "handler"});
  }
};

}  // namespace

// pg_dump.c dumpAccessMethod: user access methods (OID from 16384).
void add_access_methods(Context& ctx) {
  auto rows = read_rows<AccessMethodRow>(ctx.conn, fmt::format(R"(
SELECT a.oid, a.amname AS name, a.amtype AS type, a.amhandler::pg_catalog.regproc AS handler
  FROM pg_catalog.pg_am a
 WHERE a.oid >= 16384 AND {})",
                                                               not_in_extension("pg_am", "a.oid")));
  for (const auto& a : rows) {
    std::string d = fmt::format("CREATE ACCESS METHOD {} TYPE {} HANDLER {};\n", ctx.ident(a.name),
                                a.type == 't' ? "TABLE" : "INDEX", a.handler);
    add_ownerless(ctx, Priority::access_method, catalog::kPgAm, a.oid, a.name, "ACCESS METHOD", d,
                  "ACCESS METHOD " + ctx.ident(a.name));
  }
}

namespace {

struct LargeObjectRow {
  std::uint32_t oid;
  std::string owner;
  Acl acl;

  static LargeObjectRow read(const Row& r) { return {r.oid("oid"), r.str("owner"), Acl::read(r)}; }
};

}  // namespace

// pg_dump.c getBlobs and dumpBlob (pg_dump 15: one BLOB entry per large
// object, in the pre-data): lo_create, owner, comment and ACL. The data is
// dumped by the workers (large_objects.h). One graph object prints them all:
// they depend on nothing but roles.
void add_large_objects(Context& ctx) {
  if (ctx.options.no_large_objects) return;
  auto rows = read_rows<LargeObjectRow>(
      ctx.conn, fmt::format(R"(
SELECT l.oid, pg_catalog.pg_get_userbyid(l.lomowner) AS owner, {}
  FROM pg_catalog.pg_largeobject_metadata l
 ORDER BY l.oid)",
                            catalog::acl_columns("l.lomacl", 'L', "l.lomowner")));
  if (rows.empty()) return;
  ctx.add_object(Priority::large_object, 0, 0, "", "large objects",
                 [&ctx, rows = std::move(rows)](Output& out) {
                   for (const auto& lo : rows) {
                     std::string oid = std::to_string(lo.oid), target = "LARGE OBJECT " + oid;
                     Entry(ctx, "BLOB", oid)
                         .owner(lo.owner)
                         .sql(fmt::format("SELECT pg_catalog.lo_create('{}');\n", oid))
                         .alter_owner("ALTER LARGE OBJECT " + oid)
                         .comment(catalog::kPgLargeObject, lo.oid, target, target)
                         .acl(target, "LARGE OBJECT", oid, lo.acl)
                         .write(out);
                   }
                 });
}

namespace {

struct ConversionRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  bool is_default;
  std::string from_encoding, to_encoding, function;

  static ConversionRow read(const Row& r) {
    return {r.oid("oid"),         r.str("schema"),        r.str("name"),        r.str("owner"),
            r.flag("is_default"), r.str("from_encoding"), r.str("to_encoding"), r.str("function")};
  }
};

}  // namespace

// pg_dump.c dumpConversion.
void add_conversions(Context& ctx) {
  auto rows = read_rows<ConversionRow>(
      ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.conname AS name,
       pg_catalog.pg_get_userbyid(c.conowner) AS owner, c.condefault AS is_default,
       pg_catalog.pg_encoding_to_char(c.conforencoding) AS from_encoding,
       pg_catalog.pg_encoding_to_char(c.contoencoding) AS to_encoding,
       c.conproc::pg_catalog.regproc AS function
  FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_conversion", "c.oid")));
  for (const auto& c : rows) {
    std::string d =
        fmt::format("CREATE {}CONVERSION {} FOR {} TO {} FROM {};\n",
                    c.is_default ? "DEFAULT " : "", ctx.qualified(c.schema, c.name),
                    quote_literal(c.from_encoding), quote_literal(c.to_encoding), c.function);
    add_owned_object(ctx, Priority::conversion, catalog::kPgConversion, "CONVERSION", c.oid,
                     c.schema, c.name, c.owner, d);
  }
}

namespace {

// pg_language with its handler, inline and validator functions as
// schema.name (NULL: none).
struct LanguageRow {
  std::uint32_t oid;
  std::string name, owner;
  bool trusted;
  std::string handler;
  std::optional<std::string> inline_handler, validator;
  Acl acl;

  static LanguageRow read(const Row& r) {
    return read_fields<LanguageRow>(
        r, {"oid", "name", "owner", "trusted", "handler", "inline_handler", "validator", "acl"});
  }
};

}  // namespace

// pg_dump.c dumpProcLang: user languages (OID from 16384, not an
// extension's).
void add_languages(Context& ctx) {
  auto rows = read_rows<LanguageRow>(
      ctx.conn, fmt::format(R"(
SELECT l.oid, l.lanname AS name, pg_catalog.pg_get_userbyid(l.lanowner) AS owner,
       l.lanpltrusted AS trusted, pg_catalog.format('%I.%I', hn.nspname, h.proname) AS handler,
       (SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE p.oid = l.laninline) AS inline_handler,
       (SELECT pg_catalog.format('%I.%I', n.nspname, p.proname) FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE p.oid = l.lanvalidator) AS validator,
       {}
  FROM pg_catalog.pg_language l JOIN pg_catalog.pg_proc h ON h.oid = l.lanplcallfoid
  JOIN pg_catalog.pg_namespace hn ON hn.oid = h.pronamespace
 WHERE l.oid >= 16384 AND {})",
                            catalog::acl_columns("l.lanacl", 'l', "l.lanowner"),
                            not_in_extension("pg_language", "l.oid")));
  for (const auto& l : rows) {
    std::string q = ctx.ident(l.name);
    std::string d = fmt::format("CREATE {}PROCEDURAL LANGUAGE {} HANDLER {}",
                                l.trusted ? "TRUSTED " : "", q, l.handler);
    if (l.inline_handler) d += " INLINE " + *l.inline_handler;
    if (l.validator) d += " VALIDATOR " + *l.validator;
    d += ";\n";
    ctx.add_object(Priority::proclang, catalog::kPgLanguage, l.oid, "", l.name,
                   [&ctx, l, q, d](Output& out) {
                     Entry(ctx, "PROCEDURAL LANGUAGE", l.name)
                         .owner(l.owner)
                         .sql(d)
                         .alter_owner("ALTER PROCEDURAL LANGUAGE " + q)
                         .comment(catalog::kPgLanguage, l.oid, "LANGUAGE " + q, "LANGUAGE " + q)
                         .acl("LANGUAGE " + q, "LANGUAGE", q, l.acl)
                         .write(out);
                   });
  }
}

}  // namespace dbsnap::pg
