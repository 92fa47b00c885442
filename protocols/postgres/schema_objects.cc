// Readers of the object kinds that stand alone in pg_dump's output:
// collations, extended statistics and event triggers.
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema_readers.h"

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

}  // namespace dbsnap::pg
