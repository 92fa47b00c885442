// Objects of the post-data section: primary key, unique, exclusion and
// foreign key constraints, indexes, index attachments, triggers and rules.
// Forms: pg_dump.c dumpConstraint, dumpIndex, dumpIndexAttach, dumpTrigger,
// dumpRule.
#include <fmt/format.h>

#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// Dependencies every post-data object has on the relation it belongs to.
void depend_on_relation(Context& ctx, std::size_t object, std::uint32_t relation) {
  if (auto rel = ctx.graph.find({catalog::kPgClass, relation})) ctx.graph.depend(object, *rel);
}

void add_constraints(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT k.oid, k.conname, k.contype, pg_catalog.pg_get_constraintdef(k.oid), c.oid, n.nspname,
       c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relkind, k.conindid,
       COALESCE(ix.indisclustered, false), COALESCE(ts.spcname, ''), k.conparentid
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = k.conindid
  LEFT JOIN pg_catalog.pg_class ic ON ic.oid = k.conindid
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
 WHERE k.contype IN ('p', 'u', 'x', 'f') AND c.relkind IN ('r', 'p', 'm') AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    bool fk = r.get(i, 2) == "f";
    if (fk && r.num(i, 12) != 0) continue;  // cloned onto a partition by its parent's key
    std::uint32_t oid = r.oid(i, 0), rel = r.oid(i, 4), index = r.oid(i, 9);
    std::string name = r.str(i, 1), def = r.str(i, 3), schema = r.str(i, 5);
    std::string table = r.str(i, 6), owner = r.str(i, 7), tablespace = r.str(i, 11);
    bool partitioned = r.get(i, 8) == "p", clustered = r.flag(i, 10);
    DumpObject o;
    o.priority = fk ? Priority::fk_constraint : Priority::constraint;
    o.schema = schema;
    o.name = name;
    o.tiebreak = table;
    o.oid = oid;
    o.render = [&ctx, oid, name, def, schema, table, owner, tablespace, fk, partitioned,
                clustered](Output& out) {
      std::string q = ctx.qualified(schema, table);
      Toc toc;
      toc.tag = table + " " + name;
      toc.type = fk ? "FK CONSTRAINT" : "CONSTRAINT";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = fmt::format("ALTER TABLE {}{}\n    ADD CONSTRAINT {} {};\n",
                             fk && partitioned ? "" : "ONLY ", q, ctx.ident(name), def);
      if (clustered)
        toc.defn += fmt::format("\nALTER TABLE {} CLUSTER ON {};\n", q, ctx.ident(name));
      if (!fk) toc.tablespace = tablespace;
      out.entry(toc);
      ctx.comment(out, catalog::kPgConstraint, oid, 0,
                  fmt::format("CONSTRAINT {} ON {}", ctx.ident(name), ctx.ident(table)),
                  fmt::format("CONSTRAINT {} ON {}", ctx.ident(name), q), schema, owner);
    };
    std::size_t id = ctx.graph.add(std::move(o));
    ctx.graph.map({catalog::kPgConstraint, oid}, id);
    if (!fk && index != 0) ctx.graph.map({catalog::kPgClass, index}, id);
    depend_on_relation(ctx, id, rel);
  }
}

// pg_dump.c dumpIndex of an index that a constraint prints: its comment
// and security labels alone, after the constraint.
void add_constraint_index_comment(Context& ctx, const PgResult& r, int i) {
  std::uint32_t oid = r.oid(i, 0);
  std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 4);
  DumpObject o;
  o.priority = Priority::index;
  o.schema = schema;
  o.name = name;
  o.oid = oid;
  o.render = [&ctx, oid, schema, name, owner](Output& out) {
    ctx.comment(out, catalog::kPgClass, oid, 0, "INDEX " + ctx.ident(name),
                "INDEX " + ctx.qualified(schema, name), schema, owner);
  };
  std::size_t id = ctx.graph.add(std::move(o));
  if (auto constraint = ctx.graph.find({catalog::kPgClass, oid})) ctx.graph.depend(id, *constraint);
}

void add_indexes(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT ic.oid, n.nspname, ic.relname, pg_catalog.pg_get_indexdef(ic.oid),
       pg_catalog.pg_get_userbyid(c.relowner), x.indisclustered, x.indisreplident,
       COALESCE(ts.spcname, ''), tn.nspname, c.relname, c.oid,
       (SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = ic.oid),
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                WHERE k.conindid = ic.oid AND k.contype IN ('p', 'u', 'x')),
       (SELECT pg_catalog.string_agg(a.attnum || ' ' || a.attstattarget, ',' ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = ic.oid AND a.attstattarget >= 0),
       (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname)
          FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE h.inhrelid = ic.oid)
  FROM pg_catalog.pg_index x
  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
  JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
 WHERE c.relkind IN ('r', 'p', 'm') AND {} AND {})",
                                           "tn.nspname !~ '^pg_' AND tn.nspname <> "
                                           "'information_schema'",
                                           not_in_extension("pg_class", "c.oid")));
  std::vector<int> attached;
  for (int i = 0; i < r.rows(); ++i) {
    if (!r.is_null(i, 11)) attached.push_back(i);
    if (r.flag(i, 12)) {  // printed by its constraint: only the comment here
      add_constraint_index_comment(ctx, r, i);
      continue;
    }
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), def = r.str(i, 3), owner = r.str(i, 4);
    bool clustered = r.flag(i, 5), replident = r.flag(i, 6);
    std::string tablespace = r.str(i, 7);
    std::string table = ctx.qualified(r.get(i, 8), r.get(i, 9)), stats = r.str(i, 13);
    DumpObject o;
    o.priority = Priority::index;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, def, owner, clustered, replident, tablespace, table,
                stats](Output& out) {
      std::string q = ctx.qualified(schema, name);
      Toc toc;
      toc.tag = name;
      toc.type = "INDEX";
      toc.schema = schema;
      toc.owner = owner;
      toc.tablespace = tablespace;
      toc.defn = def + ";\n";
      for (const auto& item : catalog::parse_array("{" + stats + "}")) {
        std::size_t sp = item.find(' ');
        toc.defn += fmt::format("ALTER INDEX {} ALTER COLUMN {} SET STATISTICS {};\n", q,
                                item.substr(0, sp), item.substr(sp + 1));
      }
      if (clustered)
        toc.defn += fmt::format("\nALTER TABLE {} CLUSTER ON {};\n", table, ctx.ident(name));
      if (replident)
        toc.defn += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY USING INDEX {};\n", table,
                                ctx.ident(name));
      out.entry(toc);
      std::string tag = "INDEX " + ctx.ident(name);
      ctx.comment(out, catalog::kPgClass, oid, 0, tag, "INDEX " + q, schema, owner);
    };
    std::size_t id = ctx.graph.add(std::move(o));
    ctx.graph.map({catalog::kPgClass, oid}, id);
    depend_on_relation(ctx, id, r.oid(i, 10));
  }
  for (int i : attached) {
    std::uint32_t oid = r.oid(i, 0), parent = r.oid(i, 11);
    auto child_obj = ctx.graph.find({catalog::kPgClass, oid});
    auto parent_obj = ctx.graph.find({catalog::kPgClass, parent});
    if (!child_obj || !parent_obj) continue;
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 4);
    std::string parent_name = r.str(i, 14);
    DumpObject o;
    o.priority = Priority::index_attach;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, schema, name, owner, parent_name](Output& out) {
      Toc toc;
      toc.tag = name;
      toc.type = "INDEX ATTACH";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = fmt::format("ALTER INDEX {} ATTACH PARTITION {};\n", parent_name,
                             ctx.qualified(schema, name));
      out.entry(toc);
    };
    std::size_t id = ctx.graph.add(std::move(o));
    ctx.graph.depend(id, *child_obj);
    ctx.graph.depend(id, *parent_obj);
  }
}

// ENABLE/DISABLE state other than the default 'O', as an ALTER TABLE.
std::string enable_state(char state, const std::string& table, const std::string& what,
                         const std::string& name) {
  const char* word = state == 'D'   ? "DISABLE"
                     : state == 'A' ? "ENABLE ALWAYS"
                     : state == 'R' ? "ENABLE REPLICA"
                     : state == 'E' ? "ENABLE"
                                    : nullptr;
  if (word == nullptr) return {};
  return fmt::format("ALTER TABLE {} {} {} {};\n", table, word, what, name);
}

// One trigger or rule, row i of the queries below (oid, name, definition,
// enable state, schema, table, owner, table oid): its entry tagged
// "<table> <name>", its comment and its dependency on the table. defn makes
// the entry's SQL from the definition and the ALTER TABLE that sets a
// non-default enable state ("" for the default).
void add_table_object(Context& ctx, const PgResult& r, int i, Priority priority, const char* type,
                      std::uint32_t classoid,
                      std::string (*defn)(const std::string& def, const std::string& enable)) {
  std::uint32_t oid = r.oid(i, 0);
  std::string name = r.str(i, 1), def = r.str(i, 2), schema = r.str(i, 4);
  std::string table = r.str(i, 5), owner = r.str(i, 6);
  char state = r.get(i, 3)[0];
  DumpObject o;
  o.priority = priority;
  o.schema = schema;
  o.name = name;
  o.tiebreak = table;
  o.oid = oid;
  o.render = [&ctx, oid, name, def, state, schema, table, owner, type, classoid,
              defn](Output& out) {
    std::string q = ctx.qualified(schema, table);
    Toc toc;
    toc.tag = table + " " + name;
    toc.type = type;
    toc.schema = schema;
    toc.owner = owner;
    toc.defn = defn(def, enable_state(state, q, type, ctx.ident(name)));
    out.entry(toc);
    ctx.comment(out, classoid, oid, 0,
                fmt::format("{} {} ON {}", type, ctx.ident(name), ctx.ident(table)),
                fmt::format("{} {} ON {}", type, ctx.ident(name), q), schema, owner);
  };
  std::size_t id = ctx.graph.add(std::move(o));
  ctx.graph.map({classoid, oid}, id);
  depend_on_relation(ctx, id, r.oid(i, 7));
}

// pg_dump.c dumpTrigger of a partition's clone of its parent's trigger
// whose enable state differs from the parent's: only the ALTER TABLE that
// sets it ('E': ENABLE). PostgreSQL 13 and later (tgparentid).
void add_partition_trigger_states(Context& ctx) {
  PgResult t = query(ctx.conn, fmt::format(R"(
SELECT t.oid, t.tgname, '', CASE WHEN t.tgenabled = 'O' THEN 'E' ELSE t.tgenabled END,
       n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.oid
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_trigger pt ON pt.oid = t.tgparentid
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE t.tgenabled <> pt.tgenabled AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < t.rows(); ++i)
    add_table_object(ctx, t, i, Priority::trigger, "TRIGGER", catalog::kPgTrigger,
                     [](const std::string&, const std::string& enable) { return "\n" + enable; });
}

void add_triggers_and_rules(Context& ctx) {
  bool has_parent = PQserverVersion(ctx.conn) >= 130000;
  PgResult t = query(ctx.conn, fmt::format(R"(
SELECT t.oid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false), t.tgenabled, n.nspname,
       c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.oid
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND {} AND {} AND {})",
                                           has_parent ? "t.tgparentid = 0" : "true", kUserSchema,
                                           not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < t.rows(); ++i) {
    add_table_object(ctx, t, i, Priority::trigger, "TRIGGER", catalog::kPgTrigger,
                     [](const std::string& def, const std::string& enable) {
                       return enable.empty() ? def + ";\n" : def + ";\n\n" + enable;
                     });
  }
  if (has_parent) add_partition_trigger_states(ctx);

  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT r.oid, r.rulename, pg_catalog.pg_get_ruledef(r.oid), r.ev_enabled, n.nspname,
       c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.oid
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN' AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    add_table_object(
        ctx, r, i, Priority::rule, "RULE", catalog::kPgRewrite,
        [](const std::string& def, const std::string& enable) { return def + "\n" + enable; });
  }
}

// pg_dump.c dumpPolicy: ENABLE ROW LEVEL SECURITY (an entry named after the
// table) and CREATE POLICY.
void add_policies(Context& ctx) {
  PgResult t = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND {} AND {})",
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < t.rows(); ++i) {
    std::string schema = t.str(i, 1), table = t.str(i, 2), owner = t.str(i, 3);
    DumpObject o;
    o.priority = Priority::policy;
    o.schema = schema;
    o.name = table;
    o.oid = t.oid(i, 0);
    o.render = [&ctx, schema, table, owner](Output& out) {
      Toc toc;
      toc.tag = table;
      toc.type = "ROW SECURITY";
      toc.schema = schema;
      toc.owner = owner;
      // pg_dump prints this one statement without its final newline.
      toc.defn =
          fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;", ctx.qualified(schema, table));
      out.entry(toc);
    };
    depend_on_relation(ctx, ctx.graph.add(std::move(o)), t.oid(i, 0));
  }
  PgResult p = query(ctx.conn, fmt::format(R"(
SELECT p.oid, p.polname, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.oid,
       p.polpermissive, p.polcmd,
       CASE WHEN p.polroles = '{{0}}' THEN NULL ELSE pg_catalog.array_to_string(ARRAY(
         SELECT pg_catalog.quote_ident(rolname) FROM pg_catalog.pg_roles
          WHERE oid = ANY(p.polroles) ORDER BY rolname), ', ') END,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < p.rows(); ++i) {
    std::uint32_t oid = p.oid(i, 0);
    std::string name = p.str(i, 1), schema = p.str(i, 2), table = p.str(i, 3);
    std::string owner = p.str(i, 4);
    std::string_view cmd = p.get(i, 7);
    std::string def =
        fmt::format("CREATE POLICY {} ON {}", ctx.ident(name), ctx.qualified(schema, table));
    if (!p.flag(i, 6)) def += " AS RESTRICTIVE";
    if (cmd != "*")
      def += cmd == "r"   ? " FOR SELECT"
             : cmd == "a" ? " FOR INSERT"
             : cmd == "w" ? " FOR UPDATE"
                          : " FOR DELETE";
    if (!p.is_null(i, 8)) def += " TO " + p.str(i, 8);
    if (!p.is_null(i, 9)) def += " USING (" + p.str(i, 9) + ")";
    if (!p.is_null(i, 10)) def += " WITH CHECK (" + p.str(i, 10) + ")";
    def += ";\n";
    DumpObject o;
    o.priority = Priority::policy;
    o.schema = schema;
    o.name = name;
    o.tiebreak = table;
    o.oid = oid;
    o.render = [&ctx, oid, name, schema, table, owner, def](Output& out) {
      Toc toc;
      toc.tag = table + " " + name;
      toc.type = "POLICY";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = def;
      out.entry(toc);
      ctx.comment(out, catalog::kPgPolicy, oid, 0,
                  fmt::format("POLICY {} ON {}", ctx.ident(name), ctx.ident(table)),
                  fmt::format("POLICY {} ON {}", ctx.ident(name), ctx.qualified(schema, table)),
                  schema, owner);
    };
    std::size_t id = ctx.graph.add(std::move(o));
    ctx.graph.map({catalog::kPgPolicy, oid}, id);
    depend_on_relation(ctx, id, p.oid(i, 5));
  }
}

}  // namespace

void add_post_data(Context& ctx) {
  add_constraints(ctx);
  add_indexes(ctx);
  add_triggers_and_rules(ctx);
  add_policies(ctx);
}

}  // namespace dbsnap::pg
