// Objects of the post-data section: primary key, unique, exclusion and
// foreign key constraints, indexes, index attachments, triggers and rules.
// Forms: pg_dump.c dumpConstraint, dumpIndex, dumpIndexAttach, dumpTrigger,
// dumpRule.
#include <fmt/format.h>

#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// Dependencies every post-data object has on the relation it belongs to,
// which a table filter keeps or leaves out with it.
void depend_on_relation(Context& ctx, std::size_t object, std::uint32_t relation) {
  ctx.graph[object].relation = relation;
  if (auto rel = ctx.graph.find({catalog::kPgClass, relation})) ctx.graph.depend(object, *rel);
}

// A primary key, unique, exclusion or foreign key constraint with its table
// and, for the index-backed kinds, the index's tablespace and CLUSTER mark.
struct ConstraintRow {
  std::uint32_t oid;
  std::string name;
  char type;
  std::string definition;
  std::uint32_t relid;
  std::string schema, table, owner;
  char table_kind;
  std::uint32_t index;
  bool clustered;
  std::string tablespace;
  std::uint32_t parent;

  static ConstraintRow read(const Row& r) {
    return read_fields<ConstraintRow>(
        r, {"oid", "name", "type", "definition", "relid", "schema", "table_name", "owner",
            "table_kind", "index_oid", "clustered", "tablespace", "parent"});
  }
};

void render_constraint(const Context& ctx, Output& out, const ConstraintRow& k) {
  bool fk = k.type == 'f';
  std::string q = ctx.qualified(k.schema, k.table);
  Toc toc;
  toc.tag = k.table + " " + k.name;
  toc.type = fk ? "FK CONSTRAINT" : "CONSTRAINT";
  toc.schema = k.schema;
  toc.owner = k.owner;
  toc.defn =
      fmt::format("ALTER TABLE {}{}\n    ADD CONSTRAINT {} {};\n",
                  fk && k.table_kind == 'p' ? "" : "ONLY ", q, ctx.ident(k.name), k.definition);
  if (k.clustered)
    toc.defn += fmt::format("\nALTER TABLE {} CLUSTER ON {};\n", q, ctx.ident(k.name));
  if (!fk) toc.tablespace = k.tablespace;
  out.entry(toc);
  ctx.comment(out, catalog::kPgConstraint, k.oid, 0,
              fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), ctx.ident(k.table)),
              fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), q), k.schema, k.owner);
}

void add_constraints(Context& ctx) {
  auto rows = read_rows<ConstraintRow>(
      ctx.conn, fmt::format(R"(
SELECT k.oid, k.conname AS name, k.contype AS type,
       pg_catalog.pg_get_constraintdef(k.oid) AS definition, c.oid AS relid,
       n.nspname AS schema, c.relname AS table_name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relkind AS table_kind,
       k.conindid AS index_oid, COALESCE(ix.indisclustered, false) AS clustered,
       COALESCE(ts.spcname, '') AS tablespace, k.conparentid AS parent
  FROM pg_catalog.pg_constraint k
  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = k.conindid
  LEFT JOIN pg_catalog.pg_class ic ON ic.oid = k.conindid
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
 WHERE k.contype IN ('p', 'u', 'x', 'f') AND c.relkind IN ('r', 'p', 'm') AND {} AND {})",
                            kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (const auto& k : rows) {
    bool fk = k.type == 'f';
    if (fk && k.parent != 0) continue;  // cloned onto a partition by its parent's key
    std::size_t id = ctx.add_object(
        fk ? Priority::fk_constraint : Priority::constraint, catalog::kPgConstraint, k.oid,
        k.schema, k.name, [&ctx, k](Output& out) { render_constraint(ctx, out, k); }, k.table);
    if (!fk && k.index != 0) ctx.graph.map({catalog::kPgClass, k.index}, id);
    depend_on_relation(ctx, id, k.relid);
  }
}

// An index with its table; statistics: "attnum target" pairs joined by ",".
struct IndexRow {
  std::uint32_t oid;
  std::string schema, name, definition, owner;
  bool clustered, replica_identity;
  std::string tablespace, table_schema, table_name;
  std::uint32_t relid;
  std::optional<std::uint32_t> parent;
  bool of_constraint;
  std::string statistics, parent_name;

  static IndexRow read(const Row& r) {
    return read_fields<IndexRow>(
        r, {"oid", "schema", "name", "definition", "owner", "clustered", "replica_identity",
            "tablespace", "table_schema", "table_name", "relid", "parent", "of_constraint",
            "statistics", "parent_name"});
  }
};

std::string indexes_query() {
  return fmt::format(R"(
SELECT ic.oid, n.nspname AS schema, ic.relname AS name,
       pg_catalog.pg_get_indexdef(ic.oid) AS definition,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner, x.indisclustered AS clustered,
       x.indisreplident AS replica_identity, COALESCE(ts.spcname, '') AS tablespace,
       tn.nspname AS table_schema, c.relname AS table_name, c.oid AS relid,
       (SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = ic.oid) AS parent,
       EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                WHERE k.conindid = ic.oid AND k.contype IN ('p', 'u', 'x')) AS of_constraint,
       (SELECT pg_catalog.string_agg(a.attnum || ' ' || a.attstattarget, ',' ORDER BY a.attnum)
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = ic.oid AND a.attstattarget >= 0) AS statistics,
       (SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname)
          FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE h.inhrelid = ic.oid) AS parent_name
  FROM pg_catalog.pg_index x
  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
  JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = ic.reltablespace
 WHERE c.relkind IN ('r', 'p', 'm') AND {} AND {})",
                     "tn.nspname !~ '^pg_' AND tn.nspname <> 'information_schema'",
                     not_in_extension("pg_class", "c.oid"));
}

// pg_dump.c dumpIndex of an index that a constraint prints: its comment
// and security labels alone, after the constraint.
void add_constraint_index_comment(Context& ctx, const IndexRow& x) {
  std::size_t id =
      ctx.add_object(Priority::index, 0, x.oid, x.schema, x.name, [&ctx, x](Output& out) {
        ctx.comment(out, catalog::kPgClass, x.oid, 0, "INDEX " + ctx.ident(x.name),
                    "INDEX " + ctx.qualified(x.schema, x.name), x.schema, x.owner);
      });
  ctx.graph[id].relation = x.relid;
  if (auto constraint = ctx.graph.find({catalog::kPgClass, x.oid}))
    ctx.graph.depend(id, *constraint);
}

// CREATE INDEX, column statistics targets, CLUSTER ON, REPLICA IDENTITY.
std::string index_definition(const Context& ctx, const IndexRow& x) {
  std::string q = ctx.qualified(x.schema, x.name);
  std::string table = ctx.qualified(x.table_schema, x.table_name);
  std::string d = x.definition + ";\n";
  for (const auto& item : catalog::parse_array("{" + x.statistics + "}")) {
    std::size_t sp = item.find(' ');
    d += fmt::format("ALTER INDEX {} ALTER COLUMN {} SET STATISTICS {};\n", q, item.substr(0, sp),
                     item.substr(sp + 1));
  }
  if (x.clustered) d += fmt::format("\nALTER TABLE {} CLUSTER ON {};\n", table, ctx.ident(x.name));
  if (x.replica_identity)
    d += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY USING INDEX {};\n", table,
                     ctx.ident(x.name));
  return d;
}

void add_index(Context& ctx, const IndexRow& x) {
  std::size_t id =
      ctx.add_object(Priority::index, catalog::kPgClass, x.oid, x.schema, x.name,
                     [&ctx, x, defn = index_definition(ctx, x)](Output& out) {
                       Toc toc;
                       toc.tag = x.name;
                       toc.type = "INDEX";
                       toc.schema = x.schema;
                       toc.owner = x.owner;
                       toc.tablespace = x.tablespace;
                       toc.defn = defn;
                       out.entry(toc);
                       std::string tag = "INDEX " + ctx.ident(x.name);
                       ctx.comment(out, catalog::kPgClass, x.oid, 0, tag,
                                   "INDEX " + ctx.qualified(x.schema, x.name), x.schema, x.owner);
                     });
  depend_on_relation(ctx, id, x.relid);
}

// pg_dump.c dumpIndexAttach: a partition's index attached to its parent's.
void add_index_attachment(Context& ctx, const IndexRow& x) {
  auto child_obj = ctx.graph.find({catalog::kPgClass, x.oid});
  auto parent_obj = ctx.graph.find({catalog::kPgClass, *x.parent});
  if (!child_obj || !parent_obj) return;
  std::size_t id =
      ctx.add_object(Priority::index_attach, 0, x.oid, x.schema, x.name, [&ctx, x](Output& out) {
        Entry(ctx, "INDEX ATTACH", x.name)
            .schema(x.schema)
            .owner(x.owner)
            .sql(fmt::format("ALTER INDEX {} ATTACH PARTITION {};\n", x.parent_name,
                             ctx.qualified(x.schema, x.name)))
            .write(out);
      });
  ctx.graph[id].relation = ctx.graph[*child_obj].relation;
  ctx.graph.depend(id, *child_obj);
  ctx.graph.depend(id, *parent_obj);
}

void add_indexes(Context& ctx) {
  auto rows = read_rows<IndexRow>(ctx.conn, indexes_query());
  for (const auto& x : rows) {
    if (x.of_constraint)  // printed by its constraint: only the comment here
      add_constraint_index_comment(ctx, x);
    else
      add_index(ctx, x);
  }
  for (const auto& x : rows)
    if (x.parent) add_index_attachment(ctx, x);
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

// A trigger or rule with its table and enable state.
struct TableObjectRow {
  std::uint32_t oid;
  std::string name, definition;
  char state;
  std::string schema, table, owner;
  std::uint32_t relid;

  static TableObjectRow read(const Row& r) {
    return read_fields<TableObjectRow>(
        r, {"oid", "name", "definition", "state", "schema", "table_name", "owner", "relid"});
  }
};

// The columns every trigger and rule query selects after its own.
constexpr std::string_view kTableColumns =
    "n.nspname AS schema, c.relname AS table_name, pg_catalog.pg_get_userbyid(c.relowner) AS "
    "owner, c.oid AS relid";

// One trigger or rule: its entry tagged "<table> <name>", its comment and
// its dependency on the table. defn makes the entry's SQL from the
// definition and the ALTER TABLE that sets a non-default enable state (""
// for the default).
void add_table_object(Context& ctx, const TableObjectRow& t, Priority priority, const char* type,
                      std::uint32_t classoid,
                      std::string (*defn)(const std::string& def, const std::string& enable)) {
  std::size_t id = ctx.add_object(
      priority, classoid, t.oid, t.schema, t.name,
      [&ctx, t, type, classoid, defn](Output& out) {
        std::string q = ctx.qualified(t.schema, t.table);
        Entry(ctx, type, t.table + " " + t.name)
            .schema(t.schema)
            .owner(t.owner)
            .sql(defn(t.definition, enable_state(t.state, q, type, ctx.ident(t.name))))
            .comment(classoid, t.oid,
                     fmt::format("{} {} ON {}", type, ctx.ident(t.name), ctx.ident(t.table)),
                     fmt::format("{} {} ON {}", type, ctx.ident(t.name), q))
            .write(out);
      },
      t.table);
  depend_on_relation(ctx, id, t.relid);
}

// pg_dump.c dumpTrigger of a partition's clone of its parent's trigger
// whose enable state differs from the parent's: only the ALTER TABLE that
// sets it ('E': ENABLE). PostgreSQL 13 and later (tgparentid).
void add_partition_trigger_states(Context& ctx) {
  auto rows = read_rows<TableObjectRow>(
      ctx.conn, fmt::format(R"(
SELECT t.oid, t.tgname AS name, '' AS definition,
       CASE WHEN t.tgenabled = 'O' THEN 'E' ELSE t.tgenabled END AS state, {}
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_trigger pt ON pt.oid = t.tgparentid
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE t.tgenabled <> pt.tgenabled AND {} AND {})",
                            kTableColumns, kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (const auto& t : rows)
    add_table_object(ctx, t, Priority::trigger, "TRIGGER", catalog::kPgTrigger,
                     [](const std::string&, const std::string& enable) { return "\n" + enable; });
}

// pg_trigger.tgparentid: PostgreSQL 13 (catalog docs, pg_trigger); before,
// a partition's clone of a trigger is not told apart here.
void add_triggers(Context& ctx) {
  bool has_parent = PQserverVersion(ctx.conn) >= 130000;
  auto rows = read_rows<TableObjectRow>(
      ctx.conn, fmt::format(R"(
SELECT t.oid, t.tgname AS name, pg_catalog.pg_get_triggerdef(t.oid, false) AS definition,
       t.tgenabled AS state, {}
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT t.tgisinternal AND {} AND {} AND {})",
                            kTableColumns, has_parent ? "t.tgparentid = 0" : "true", kUserSchema,
                            not_in_extension("pg_class", "c.oid")));
  for (const auto& t : rows)
    add_table_object(ctx, t, Priority::trigger, "TRIGGER", catalog::kPgTrigger,
                     [](const std::string& def, const std::string& enable) {
                       return enable.empty() ? def + ";\n" : fmt::format("{};\n\n{}", def, enable);
                     });
  if (has_parent) add_partition_trigger_states(ctx);
}

void add_rules(Context& ctx) {
  auto rows = read_rows<TableObjectRow>(
      ctx.conn, fmt::format(R"(
SELECT r.oid, r.rulename AS name, pg_catalog.pg_get_ruledef(r.oid) AS definition,
       r.ev_enabled AS state, {}
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN' AND {} AND {})",
                            kTableColumns, kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (const auto& r : rows)
    add_table_object(ctx, r, Priority::rule, "RULE", catalog::kPgRewrite,
                     [](const std::string& def, const std::string& enable) {
                       return fmt::format("{}\n{}", def, enable);
                     });
}

// A table with row level security enabled.
struct RowSecurityRow {
  std::uint32_t oid;
  std::string schema, table, owner;

  static RowSecurityRow read(const Row& r) {
    return read_fields<RowSecurityRow>(r, {"oid", "schema", "table_name", "owner"});
  }
};

// pg_dump.c dumpPolicy of a table's ENABLE ROW LEVEL SECURITY, an entry
// named after the table.
void add_row_security(Context& ctx) {
  auto rows = read_rows<RowSecurityRow>(
      ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.relname AS table_name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relrowsecurity AND c.relkind IN ('r', 'p') AND {} AND {})",
                            kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (const auto& t : rows) {
    depend_on_relation(
        ctx,
        ctx.add_object(Priority::policy, 0, t.oid, t.schema, t.table,
                       [&ctx, t](Output& out) {
                         // pg_dump prints this one statement without its final newline.
                         Entry(ctx, "ROW SECURITY", t.table)
                             .schema(t.schema)
                             .owner(t.owner)
                             .sql(fmt::format("ALTER TABLE {} ENABLE ROW LEVEL SECURITY;",
                                              ctx.qualified(t.schema, t.table)))
                             .write(out);
                       }),
        t.oid);
  }
}

// pg_policy; roles NULL for PUBLIC.
struct PolicyRow {
  std::uint32_t oid;
  std::string name, schema, table, owner;
  std::uint32_t relid;
  bool permissive;
  char command;
  std::optional<std::string> roles, qual, with_check;

  static PolicyRow read(const Row& r) {
    return read_fields<PolicyRow>(r, {"oid", "name", "schema", "table_name", "owner", "relid",
                                      "permissive", "command", "roles", "qual", "with_check"});
  }
};

std::string policy_definition(const Context& ctx, const PolicyRow& p) {
  std::string def =
      fmt::format("CREATE POLICY {} ON {}", ctx.ident(p.name), ctx.qualified(p.schema, p.table));
  if (!p.permissive) def += " AS RESTRICTIVE";
  if (p.command != '*')
    def += p.command == 'r'   ? " FOR SELECT"
           : p.command == 'a' ? " FOR INSERT"
           : p.command == 'w' ? " FOR UPDATE"
                              : " FOR DELETE";
  if (p.roles) def += " TO " + *p.roles;
  if (p.qual) def += " USING (" + *p.qual + ")";
  if (p.with_check) def += " WITH CHECK (" + *p.with_check + ")";
  return def + ";\n";
}

// pg_dump.c dumpPolicy: CREATE POLICY.
void add_policies(Context& ctx) {
  add_row_security(ctx);
  auto rows = read_rows<PolicyRow>(ctx.conn,
                                   fmt::format(R"(
SELECT p.oid, p.polname AS name, n.nspname AS schema, c.relname AS table_name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.oid AS relid,
       p.polpermissive AS permissive, p.polcmd AS command,
       CASE WHEN p.polroles = '{{0}}' THEN NULL ELSE pg_catalog.array_to_string(ARRAY(
         SELECT pg_catalog.quote_ident(rolname) FROM pg_catalog.pg_roles
          WHERE oid = ANY(p.polroles) ORDER BY rolname), ', ') END AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS qual,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
  FROM pg_catalog.pg_policy p
  JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE {} AND {})",
                                               kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (const auto& p : rows) {
    std::size_t id = ctx.add_object(
        Priority::policy, catalog::kPgPolicy, p.oid, p.schema, p.name,
        [&ctx, p, def = policy_definition(ctx, p)](Output& out) {
          Entry(ctx, "POLICY", p.table + " " + p.name)
              .schema(p.schema)
              .owner(p.owner)
              .sql(def)
              .comment(catalog::kPgPolicy, p.oid,
                       fmt::format("POLICY {} ON {}", ctx.ident(p.name), ctx.ident(p.table)),
                       fmt::format("POLICY {} ON {}", ctx.ident(p.name),
                                   ctx.qualified(p.schema, p.table)))
              .write(out);
        },
        p.table);
    depend_on_relation(ctx, id, p.relid);
  }
}

}  // namespace

void add_post_data(Context& ctx) {
  add_constraints(ctx);
  add_indexes(ctx);
  add_triggers(ctx);
  add_rules(ctx);
  add_policies(ctx);
}

}  // namespace dbsnap::pg
