// Relations of the pre-data section: sequences, tables, views, materialized
// views, separate column defaults, partition attachments; plus the sequence
// values and materialized view refreshes that follow the data.
// Forms: pg_dump.c dumpSequence, dumpSequenceData, dumpTableSchema,
// dumpAttrDef, dumpTableAttach, refreshMatViewData.
#include <fmt/format.h>

#include <map>
#include <optional>

#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

const char* storage_word(char c) {
  switch (c) {
    case 'p':
      return "PLAIN";
    case 'e':
      return "EXTERNAL";
    case 'm':
      return "MAIN";
    default:
      return "EXTENDED";
  }
}

// pg_attribute of a relation's user column, with what pg_dump's
// flagInhAttrs learns from the parents.
struct Column {
  std::uint32_t relid = 0;
  int num = 0;
  std::string name, type, collation, storage_change, compression, options;
  std::string fdw_options;  // foreign tables: "name 'value'" pairs, one per line
  bool not_null = false, inherited_not_null = false, local = true;
  bool default_dropped = false;  // a parent has a default, this column none
  // A parent's column is generated too: an inheritance child takes its
  // expression and may not state one (pg_dump common.c flagInhAttrs).
  bool generation_inherited = false;
  char identity = 0, generated = 0;
  int statistics = -1;
  std::string acl;
  bool acl_null = true;

  static Column read(const Row& r) {
    Column c;
    c.relid = r.oid("attrelid");
    c.num = static_cast<int>(r.num("attnum"));
    c.name = r.str("name");
    c.type = r.str("type");
    c.not_null = r.flag("not_null");
    c.identity = r.kind("identity");
    c.generated = r.kind("generated");
    c.local = r.flag("local");
    c.collation = r.str("collation");
    c.statistics = static_cast<int>(r.num("statistics"));
    if (r.get("storage") != r.get("type_storage"))
      c.storage_change = storage_word(r.kind("storage"));
    std::string_view comp = r.get("compression");
    c.compression = comp == "p" ? "pglz" : comp == "l" ? "lz4" : "";
    c.options = r.str("options");
    c.acl = r.str("acl");
    c.acl_null = r.flag("acl_is_null");
    c.inherited_not_null = r.flag("inherited_not_null");
    c.default_dropped = r.flag("default_dropped");
    c.generation_inherited = r.flag("generation_inherited");
    c.fdw_options = r.str("fdw_options");
    return c;
  }
};

// pg_attribute.attcompression: PostgreSQL 14 (release notes 14, "TOAST
// compression"); before, every column has the default.
// pg_attver is set by this server build on every column, not by users; its
// pg_dump leaves it out of the column options too.
std::string columns_query(PGconn* conn) {
  return fmt::format(
      R"(
SELECT a.attrelid, a.attnum, a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       a.attidentity AS identity, a.attgenerated AS generated, a.attislocal AS local,
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
          FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation) AS collation,
       COALESCE(a.attstattarget, -1) AS statistics, a.attstorage AS storage,
       t.typstorage AS type_storage, {} AS compression,
       pg_catalog.array_to_string(ARRAY(
         SELECT o FROM pg_catalog.unnest(a.attoptions) o WHERE o NOT LIKE 'pg\_attver=%'), ', ')
         AS options,
       a.attacl AS acl, a.attacl IS NULL AS acl_is_null,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                 JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
                WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.attnotnull)
         AS inherited_not_null,
       NOT a.atthasdef AND a.attgenerated = '' AND EXISTS (
         SELECT 1 FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
          WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.atthasdef)
         AS default_dropped,
       a.attgenerated <> '' AND EXISTS (
         SELECT 1 FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
          WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.attgenerated <> '')
         AS generation_inherited,
       {} AS fdw_options
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {}
 ORDER BY a.attrelid, a.attnum)",
      PQserverVersion(conn) >= 140000 ? "a.attcompression" : "''::pg_catalog.\"char\"",
      fdw_options_sql("a.attfdwoptions"), kUserSchema);
}

// A column default (pg_attrdef; oid 0 for the DEFAULT NULL of a column whose
// parent has a default) and the graph object that prints it separately
// (none for generated columns: their expression is always inline).
struct Default {
  std::uint32_t oid = 0, relid = 0;
  int num = 0;
  std::string expr;
  std::optional<std::size_t> object;

  static Default read(const Row& r) {
    return {r.oid("oid"), r.oid("adrelid"), static_cast<int>(r.num("adnum")), r.str("expr"),
            std::nullopt};
  }
};

// A CHECK constraint of a table. inline_ok: validated and not calling a
// function that takes the table's row type (else it would close a loop
// table -> function -> row type and is added after the data, as pg_dump's
// repairTableConstraintLoop does, like a NOT VALID one).
struct Check {
  std::uint32_t oid, relid;
  std::string name, def;
  bool local, inline_ok;

  static Check read(const Row& r) {
    return read_fields<Check>(r, {"oid", "conrelid", "name", "definition", "local", "inline_ok"});
  }
};

constexpr std::string_view kChecksQuery = R"(
SELECT k.oid, k.conrelid, k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition,
       k.conislocal AS local,
       k.convalidated AND NOT EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend d
           JOIN pg_catalog.pg_depend f
             ON f.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND f.objid = d.refobjid
          WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid
            AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
            AND ((f.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND f.refobjid =
                    (SELECT c.reltype FROM pg_catalog.pg_class c WHERE c.oid = k.conrelid))
                 OR (f.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                     AND f.refobjid = k.conrelid))) AS inline_ok
  FROM pg_catalog.pg_constraint k WHERE k.contype = 'c' AND k.conrelid <> 0
 ORDER BY k.conrelid, k.conname)";

// A privilege on a column: system columns (tableoid, ctid...), which
// pg_dump's column ACL query includes, ordered by attnum before the user
// columns.
struct ColumnAcl {
  std::uint32_t relid;
  std::string column, acl;

  static ColumnAcl read(const Row& r) {
    return read_fields<ColumnAcl>(r, {"attrelid", "attname", "attacl"});
  }
};

// pg_class of a table, partitioned table, view, materialized view or foreign
// table; "" for what it does not have.
struct RelationRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  char kind, persistence;
  std::string options, toast_options;
  bool partition;
  std::string partition_bound, partition_key, parents;
  std::optional<std::uint32_t> first_parent;
  bool populated;
  std::string tablespace, access_method;
  Acl acl;
  std::string viewdef;
  std::optional<std::uint32_t> row_type, row_array_type;
  std::string replica_identity;
  long long table_size, pages, toast_size;
  std::optional<std::uint32_t> return_rule;
  bool force_rls;
  std::string server, server_options, of_type;

  static RelationRow read(const Row& r) {
    return read_fields<RelationRow>(r, {"oid",
                                        "schema",
                                        "name",
                                        "owner",
                                        "kind",
                                        "persistence",
                                        "options",
                                        "toast_options",
                                        "partition",
                                        "partition_bound",
                                        "partition_key",
                                        "parents",
                                        "first_parent",
                                        "populated",
                                        "tablespace",
                                        "access_method",
                                        "acl",
                                        "viewdef",
                                        "row_type",
                                        "row_array_type",
                                        "replica_identity",
                                        "table_size",
                                        "pages",
                                        "toast_size",
                                        "return_rule",
                                        "force_rls",
                                        "server",
                                        "server_options",
                                        "of_type"});
  }
};

std::string relations_query() {
  return fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.relname AS name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.relkind AS kind,
       c.relpersistence AS persistence, c.reloptions AS options, tc.reloptions AS toast_options,
       c.relispartition AS partition,
       pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS partition_bound,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pn.nspname) || '.' ||
                                     pg_catalog.quote_ident(pc.relname), ', ' ORDER BY i.inhseqno)
          FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid) AS parents,
       (SELECT i.inhparent FROM pg_catalog.pg_inherits i
         WHERE i.inhrelid = c.oid LIMIT 1) AS first_parent,
       c.relispopulated AS populated, COALESCE(ts.spcname, '') AS tablespace,
       am.amname AS access_method, {},
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef,
       c.reltype AS row_type,
       (SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = c.reltype) AS row_array_type,
       c.relreplident AS replica_identity, pg_catalog.pg_table_size(c.oid) AS table_size,
       pg_catalog.pg_relation_size(c.oid) /
         pg_catalog.current_setting('block_size')::pg_catalog.int8 AS pages,
       CASE WHEN c.reltoastrelid <> 0 THEN pg_catalog.pg_relation_size(c.reltoastrelid)
            ELSE 0 END AS toast_size,
       (SELECT rw.oid FROM pg_catalog.pg_rewrite rw
         WHERE rw.ev_class = c.oid AND rw.rulename = '_RETURN') AS return_rule,
       c.relforcerowsecurity AS force_rls, fs.srvname AS server, {} AS server_options,
       CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS of_type
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
  LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
  LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid
  LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {} AND {}
 ORDER BY n.nspname, c.relname)",
                     catalog::acl_columns("c.relacl", 'r', "c.relowner"),
                     fdw_options_sql("ft.ftoptions"), kUserSchema,
                     not_in_extension("pg_class", "c.oid"));
}

// fmtReloptions: name='value' pairs, prefixed for the TOAST table.
std::string reloptions(std::string_view options, const std::string& prefix) {
  std::string out;
  for (const auto& item : catalog::parse_array(options)) {
    std::size_t eq = item.find('=');
    std::string name = item.substr(0, eq);
    if (prefix.empty() && name == "check_option") continue;
    out += fmt::format("{}{}{}={}", out.empty() ? "" : ", ", prefix, name,
                       quote_literal(eq == std::string::npos ? "" : item.substr(eq + 1)));
  }
  return out;
}

std::string check_option(std::string_view options) {
  for (const auto& item : catalog::parse_array(options))
    if (item.rfind("check_option=", 0) == 0) {
      std::string v = item.substr(13);
      for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return v;
    }
  return {};
}

// Everything a relation's entries print, gathered from the catalog rows.
struct Relation {
  RelationRow row;
  std::vector<Column> cols;
  std::map<int, Default> defaults;                               // by column number
  std::vector<Check> checks;                                     // printed inline
  std::vector<std::pair<std::string, std::string>> column_acls;  // (column, aclitem[])
  std::string options;     // WITH (...) text, TOAST options included
  std::string check_opt;   // views: LOCAL or CASCADED, "" for none
  std::string viewdef;     // without its final ';'
  std::size_t object = 0;  // the graph object
};

// The rows of the per-relation queries, by relation OID.
struct RelationParts {
  std::map<std::uint32_t, std::vector<Column>> columns;
  std::map<std::uint32_t, std::vector<std::pair<std::string, std::string>>> system_acls;
  std::map<std::uint32_t, std::vector<Default>> defaults;
  std::map<std::uint32_t, std::vector<Check>> checks;
  std::vector<Check> separate_checks;  // added after the data
};

RelationParts read_relation_parts(const Context& ctx) {
  RelationParts parts;
  for (auto& c : read_rows<Column>(ctx.conn, columns_query(ctx.conn)))
    parts.columns[c.relid].push_back(std::move(c));
  for (auto& a : read_rows<ColumnAcl>(ctx.conn, R"(
SELECT a.attrelid, a.attname, a.attacl FROM pg_catalog.pg_attribute a
 WHERE a.attnum < 0 AND a.attacl IS NOT NULL ORDER BY a.attrelid, a.attnum)"))
    parts.system_acls[a.relid].emplace_back(std::move(a.column), std::move(a.acl));
  for (auto& d : read_rows<Default>(ctx.conn, R"(
SELECT d.oid, d.adrelid, d.adnum, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expr
  FROM pg_catalog.pg_attrdef d ORDER BY d.adrelid, d.adnum)"))
    parts.defaults[d.relid].push_back(std::move(d));
  for (auto& k : read_rows<Check>(ctx.conn, kChecksQuery)) {
    if (k.inline_ok)
      parts.checks[k.relid].push_back(std::move(k));
    else if (k.local)  // inherited: the parent's ALTER TABLE adds it
      parts.separate_checks.push_back(std::move(k));
  }
  return parts;
}

}  // namespace

namespace {

// pg_sequence with the column that owns it (deptype 'a', or 'i' for an
// identity column); "" when none.
struct SequenceRow {
  std::uint32_t oid;
  std::string schema, name, owner, type, start, increment, max, min, cache;
  bool cycle;
  char persistence;
  std::optional<std::string> owned;  // pg_depend.deptype of the owning column
  std::string table_schema, table_name, column;
  std::uint32_t table_oid;  // the owning table, 0 for none
  Acl acl;
  char identity;  // attidentity of the owning column

  static SequenceRow read(const Row& r) {
    return {r.oid("oid"),       r.str("schema"),       r.str("name"),       r.str("owner"),
            r.str("type"),      r.str("start"),        r.str("increment"),  r.str("max"),
            r.str("min"),       r.str("cache"),        r.flag("cycle"),     r.kind("persistence"),
            r.opt("deptype"),   r.str("table_schema"), r.str("table_name"), r.str("column_name"),
            r.oid("table_oid"), Acl::read(r),          r.kind("identity")};
  }
};

std::string sequences_query() {
  return fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.relname AS name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       pg_catalog.format_type(s.seqtypid, NULL) AS type, s.seqstart AS start,
       s.seqincrement AS increment, s.seqmax AS max, s.seqmin AS min, s.seqcache AS cache,
       s.seqcycle AS cycle, c.relpersistence AS persistence, d.deptype,
       tn.nspname AS table_schema, tc.relname AS table_name, a.attname AS column_name, {},
       a.attidentity AS identity, COALESCE(d.refobjid, 0) AS table_oid
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
  LEFT JOIN pg_catalog.pg_depend d
    ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjsubid > 0
   AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE c.relkind = 'S' AND {} AND {})",
                     catalog::acl_columns("c.relacl", 's', "c.relowner"), kUserSchema,
                     not_in_extension("pg_class", "c.oid"));
}

// pg_dump.c dumpSequence: the options that differ from the defaults of the
// sequence's type and direction.
std::string sequence_body(const SequenceRow& s) {
  bool ascending = s.increment[0] != '-';
  std::string type_min = s.type == "smallint"  ? "-32768"
                         : s.type == "integer" ? "-2147483648"
                                               : "-9223372036854775808";
  std::string type_max = s.type == "smallint"  ? "32767"
                         : s.type == "integer" ? "2147483647"
                                               : "9223372036854775807";
  std::string body;
  if (s.owned != "i" && s.type != "bigint") body += "    AS " + s.type + "\n";
  body += fmt::format("    START WITH {}\n    INCREMENT BY {}\n", s.start, s.increment);
  body +=
      s.min == (ascending ? "1" : type_min) ? "    NO MINVALUE\n" : "    MINVALUE " + s.min + "\n";
  body +=
      s.max == (ascending ? type_max : "-1") ? "    NO MAXVALUE\n" : "    MAXVALUE " + s.max + "\n";
  body += "    CACHE " + s.cache;
  if (s.cycle) body += "\n    CYCLE";
  return body;
}

// The sequence's entry, OWNED BY entry, comment, labels and privileges.
void render_sequence(const Context& ctx, Output& out, const SequenceRow& s,
                     const std::string& defn) {
  std::string q = ctx.qualified(s.schema, s.name), tag = "SEQUENCE " + ctx.ident(s.name);
  bool identity = s.owned == "i";
  Entry e(ctx, "SEQUENCE", s.name);
  e.schema(s.schema).owner(s.owner).sql(defn);
  if (!identity) e.alter_owner("ALTER TABLE " + q);
  e.write(out);
  // Not when a table filter leaves the table out (pg_dump dumpSequence).
  if (s.owned && !identity && ctx.selected(s.table_oid))
    Entry(ctx, "SEQUENCE OWNED BY", s.name)
        .schema(s.schema)
        .owner(s.owner)
        .sql(fmt::format("ALTER SEQUENCE {} OWNED BY {}.{};\n", q,
                         ctx.qualified(s.table_schema, s.table_name), ctx.ident(s.column)))
        .write(out);
  ctx.comment(out, catalog::kPgClass, s.oid, 0, tag, "SEQUENCE " + q, s.schema, s.owner);
  out.acl(tag, "SEQUENCE", ctx.ident(s.name), "", s.schema, s.owner, s.acl.acl, s.acl.is_null,
          s.acl.base);
}

// pg_dump.c dumpSequenceData: setval with the current state.
void render_sequence_set(const Context& ctx, Output& out, const SequenceRow& s) {
  std::string q = ctx.qualified(s.schema, s.name);
  PgResult v = query(ctx.conn, fmt::format("SELECT last_value, is_called FROM {}", q));
  catalog::Row state(v, 0);
  Entry(ctx, "SEQUENCE SET", s.name)
      .schema(s.schema)
      .owner(s.owner)
      .sql(fmt::format("SELECT pg_catalog.setval({}, {}, {});\n", quote_literal(q),
                       state.get("last_value"), state.flag("is_called") ? "true" : "false"))
      .write(out);
}

void add_sequences(Context& ctx) {
  for (auto& s : read_rows<SequenceRow>(ctx.conn, sequences_query())) {
    std::string q = ctx.qualified(s.schema, s.name), body = sequence_body(s), defn;
    if (s.owned == "i")
      defn = fmt::format(
          "ALTER TABLE {} ALTER COLUMN {} ADD GENERATED {} AS IDENTITY (\n"
          "    SEQUENCE NAME {}\n{}\n);\n",
          ctx.qualified(s.table_schema, s.table_name), ctx.ident(s.column),
          s.identity == 'a' ? "ALWAYS" : "BY DEFAULT", q, body);
    else
      defn = fmt::format("CREATE {}SEQUENCE {}\n{};\n", s.persistence == 'u' ? "UNLOGGED " : "", q,
                         body);
    std::size_t id =
        ctx.add_object(Priority::table, catalog::kPgClass, s.oid, s.schema, s.name,
                       [&ctx, s, defn](Output& out) { render_sequence(ctx, out, s, defn); });
    std::size_t set = ctx.add_object(Priority::sequence_set, 0, s.oid, s.schema, s.name,
                                     [&ctx, s](Output& out) { render_sequence_set(ctx, out, s); });
    ctx.graph.depend(set, id);
    ctx.graph[id].relation = ctx.graph[set].relation = s.oid;
    if (s.owned) ctx.owned_sequences[s.oid] = {s.table_oid, s.owned == "i"};
  }
}

// The text after a column's name in CREATE TABLE (type, generation or
// default, NOT NULL, collation), or nullopt when the column is left out: a
// typed table's column with nothing beyond its type (pg_dump dumpTableSchema).
std::optional<std::string> column_definition(const Context& ctx, const Column& c,
                                             const Relation& rel) {
  bool partition = rel.row.partition, typed = !rel.row.of_type.empty();
  std::string d = typed ? "" : " " + c.type;
  auto def = rel.defaults.find(c.num);
  if (def != rel.defaults.end() && c.generated) {
    if (!c.generation_inherited || partition)
      d += " GENERATED ALWAYS AS (" + def->second.expr + ") STORED";
  } else if (def != rel.defaults.end() && !ctx.graph[*def->second.object].separate) {
    d += " DEFAULT " + def->second.expr;
  }
  if (c.not_null && (!c.inherited_not_null || partition)) d += " NOT NULL";
  if (typed && d.empty()) return std::nullopt;
  if (!c.collation.empty()) d += " COLLATE " + c.collation;
  return d;
}

// ALTER [FOREIGN] TABLE ONLY ... ALTER COLUMN statements for what CREATE
// does not say: inherited NOT NULL made local, statistics target, storage,
// compression, options, foreign table column options.
std::string column_settings(const Context& ctx, const std::string& q, const Relation& rel) {
  std::string d, alter_table = rel.row.kind == 'f' ? "ALTER FOREIGN TABLE" : "ALTER TABLE";
  for (const auto& c : rel.cols) {
    std::string alter =
        fmt::format("{} ONLY {} ALTER COLUMN {}", alter_table, q, ctx.ident(c.name));
    if (!c.local && !rel.row.partition && c.not_null && !c.inherited_not_null)
      d += alter + " SET NOT NULL;\n";
    if (c.statistics >= 0) d += fmt::format("{} SET STATISTICS {};\n", alter, c.statistics);
    if (!c.storage_change.empty()) d += alter + " SET STORAGE " + c.storage_change + ";\n";
    if (!c.compression.empty()) d += alter + " SET COMPRESSION " + c.compression + ";\n";
    if (!c.options.empty()) d += alter + " SET (" + c.options + ");\n";
    if (!c.fdw_options.empty())
      d += fmt::format("ALTER FOREIGN TABLE {} ALTER COLUMN {} OPTIONS (\n    {}\n);\n", q,
                       ctx.ident(c.name), c.fdw_options);
  }
  return d;
}

// CREATE [UNLOGGED|FOREIGN] TABLE with its columns, inline checks and
// clauses, then the column settings and table-level ALTERs.
std::string table_definition(const Context& ctx, const Relation& rel, const std::string& word) {
  const RelationRow& r = rel.row;
  std::string q = ctx.qualified(r.schema, r.name);
  std::string d = fmt::format("CREATE {}{} {}", r.persistence == 'u' ? "UNLOGGED " : "", word, q);
  if (!r.of_type.empty()) d += " OF " + r.of_type;
  int printed = 0;
  for (const auto& c : rel.cols) {
    if (!c.local && !r.partition) continue;
    auto def = column_definition(ctx, c, rel);
    if (!def) continue;
    d += printed++ ? ",\n    " : " (\n    ";
    d += ctx.ident(c.name) + *def;
  }
  for (const auto& k : rel.checks) {
    if (!k.local && !r.partition) continue;
    d += printed++ ? ",\n    " : " (\n    ";
    d += fmt::format("CONSTRAINT {} {}", ctx.ident(k.name), k.def);
  }
  if (printed)
    d += "\n)";
  else if (r.of_type.empty())
    d += " (\n)";
  if (!r.parents.empty() && !r.partition) d += "\nINHERITS (" + r.parents + ")";
  if (r.kind == 'p') d += "\nPARTITION BY " + r.partition_key;
  if (r.kind == 'f') d += "\nSERVER " + ctx.ident(r.server);
  if (!rel.options.empty()) d += "\nWITH (" + rel.options + ")";
  if (!r.server_options.empty()) d += "\nOPTIONS (\n    " + r.server_options + "\n)";
  d += ";\n" + column_settings(ctx, q, rel);
  // A foreign table has no replica identity.
  if (r.kind != 'f' && r.replica_identity == "n")
    d += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY NOTHING;\n", q);
  if (r.kind != 'f' && r.replica_identity == "f")
    d += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY FULL;\n", q);
  if (r.force_rls) d += fmt::format("\nALTER TABLE ONLY {} FORCE ROW LEVEL SECURITY;\n", q);
  return d;
}

// The relation's own entry; returns its type word (TABLE, VIEW...).
std::string relation_entry(const Context& ctx, Output& out, const Relation& rel) {
  const RelationRow& r = rel.row;
  std::string q = ctx.qualified(r.schema, r.name);
  Toc toc;
  toc.tag = r.name;
  toc.schema = r.schema;
  toc.owner = r.owner;
  toc.alter_owner = "ALTER TABLE " + q;
  std::string with = rel.options.empty() ? "" : " WITH (" + rel.options + ")";
  if (r.kind == 'v' && ctx.graph[rel.object].dummy) {
    toc.type = "VIEW";
    toc.defn = fmt::format("CREATE VIEW {}{} AS\nSELECT", q, with);
    for (std::size_t c = 0; c < rel.cols.size(); ++c)
      toc.defn += fmt::format("{}\n    NULL::{} AS {}", c ? "," : "", rel.cols[c].type,
                              ctx.ident(rel.cols[c].name));
    toc.defn += ";\n";
  } else if (r.kind == 'v') {
    toc.type = "VIEW";
    toc.defn = fmt::format("CREATE VIEW {}{} AS\n{}", q, with, rel.viewdef);
    if (!rel.check_opt.empty()) toc.defn += "\n  WITH " + rel.check_opt + " CHECK OPTION";
    toc.defn += ";\n";
  } else if (r.kind == 'm') {
    toc.type = "MATERIALIZED VIEW";
    toc.defn = fmt::format("CREATE MATERIALIZED VIEW {}{} AS\n{}\n  WITH NO DATA;\n", q, with,
                           rel.viewdef) +
               column_settings(ctx, q, rel);
    toc.tablespace = r.tablespace;
    toc.table_am = r.access_method;
  } else {
    toc.type = r.kind == 'f' ? "FOREIGN TABLE" : "TABLE";
    toc.alter_owner = fmt::format("ALTER {} {}", toc.type, q);
    toc.tablespace = r.tablespace;
    if (!r.access_method.empty()) toc.table_am = r.access_method;
    toc.defn = table_definition(ctx, rel, toc.type);
  }
  out.entry(toc);
  return toc.type;
}

// The comments of the relation and its columns, then its security labels
// (pg_dump dumpTableComment, dumpTableSecLabel), the comments of its inline
// checks, and its table and column privileges.
void relation_followups(const Context& ctx, Output& out, const Relation& rel,
                        const std::string& word) {
  const RelationRow& r = rel.row;
  std::string q = ctx.qualified(r.schema, r.name), name = ctx.ident(r.name);
  std::string tag = word + " " + name;
  ctx.comment_only(out, catalog::kPgClass, r.oid, 0, tag, word + " " + q, r.schema, r.owner);
  for (const auto& c : rel.cols) {
    std::string col = ctx.ident(c.name);
    ctx.comment_only(out, catalog::kPgClass, r.oid, c.num, fmt::format("COLUMN {}.{}", name, col),
                     fmt::format("COLUMN {}.{}", q, col), r.schema, r.owner);
  }
  ctx.security_labels(out, catalog::kPgClass, r.oid, tag, r.schema, r.owner, [&](int sub) {
    if (sub == 0) return word + " " + q;
    for (const auto& c : rel.cols)
      if (c.num == sub) return fmt::format("COLUMN {}.{}", q, ctx.ident(c.name));
    return std::string();
  });
  for (const auto& k : rel.checks)
    if (k.local || r.partition)
      ctx.comment(out, catalog::kPgConstraint, k.oid, 0,
                  fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), name),
                  fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), q), r.schema, r.owner);
  out.acl("TABLE " + name, "TABLE", name, "", r.schema, r.owner, r.acl.acl, r.acl.is_null,
          r.acl.base);
  for (const auto& [column, column_acl] : rel.column_acls)
    out.acl(fmt::format("COLUMN {}.{}", name, ctx.ident(column)), "TABLE", name, ctx.ident(column),
            r.schema, r.owner, column_acl, false, "{}");
}

// pg_dump.c dumpAttrDef: a default printed by ALTER TABLE when it is not
// inline (inherited, on a view, or moved out of a loop by Graph::sort).
void add_default(Context& ctx, Relation& rel, Default d, const Column& col) {
  const RelationRow& r = rel.row;
  if (col.generated) {
    ctx.graph.map({catalog::kPgAttrdef, d.oid}, rel.object);
    rel.defaults[d.num] = std::move(d);
    return;
  }
  bool printed = (col.local || r.partition) && r.kind != 'v';
  DumpObject o;
  o.priority = Priority::attrdef;
  o.schema = r.schema;
  o.name = r.name;
  o.tiebreak = fmt::format("{:05}", d.num);
  o.oid = d.oid;
  o.default_of = rel.object;
  o.relation = r.oid;
  o.separate = !printed;
  std::size_t self = ctx.graph.size();
  o.render = [&ctx, self, schema = r.schema, name = r.name, owner = r.owner, column = col.name,
              expr = d.expr](Output& out) {
    if (!ctx.graph[self].separate) return;
    Entry(ctx, "DEFAULT", name + " " + column)
        .schema(schema)
        .owner(owner)
        .sql(fmt::format("ALTER TABLE ONLY {} ALTER COLUMN {} SET DEFAULT {};\n",
                         ctx.qualified(schema, name), ctx.ident(column), expr))
        .write(out);
  };
  ctx.graph.add(std::move(o));
  if (d.oid != 0) ctx.graph.map({catalog::kPgAttrdef, d.oid}, self);
  if (printed)
    ctx.graph.depend(rel.object, self);
  else
    ctx.graph.depend(self, rel.object);
  d.object = self;
  rel.defaults[d.num] = std::move(d);
}

// A default a parent has and this column dropped prints as DEFAULT NULL
// (flagInhAttrs); it has no pg_attrdef row.
void add_defaults(Context& ctx, Relation& rel, std::vector<Default> own) {
  for (const auto& c : rel.cols)
    if (c.default_dropped) own.push_back({0, rel.row.oid, c.num, "NULL", std::nullopt});
  for (auto& d : own) {
    const Column* col = nullptr;
    for (const auto& c : rel.cols)
      if (c.num == d.num) col = &c;
    if (col != nullptr) add_default(ctx, rel, std::move(d), *col);
  }
}

// A view also prints as CREATE OR REPLACE VIEW in a post-data _RETURN rule
// when add_boundaries makes it a dummy.
void add_view_definition(Context& ctx, const Relation& rel) {
  DumpObject& o = ctx.graph[rel.object];
  o.is_view = true;
  o.render_definition = [&ctx, rel](Output& out) {
    const RelationRow& r = rel.row;
    std::string d =
        fmt::format("CREATE OR REPLACE VIEW {}{} AS\n{}", ctx.qualified(r.schema, r.name),
                    rel.options.empty() ? "" : " WITH (" + rel.options + ")", rel.viewdef);
    if (!rel.check_opt.empty()) d += "\n  WITH " + rel.check_opt + " CHECK OPTION";
    Entry(ctx, "RULE", r.name + " _RETURN")
        .schema(r.schema)
        .owner(r.owner)
        .sql(d + ";\n")
        .write(out);
  };
}

// pg_dump.c refreshMatViewData, after the ACLs.
void add_refresh(Context& ctx, const Relation& rel) {
  const RelationRow& r = rel.row;
  std::size_t id = ctx.add_object(
      Priority::refresh_matview, 0, r.oid, r.schema, r.name,
      [&ctx, schema = r.schema, name = r.name, owner = r.owner](Output& out) {
        Toc toc;
        toc.tag = name;
        toc.type = "MATERIALIZED VIEW DATA";
        toc.schema = schema;
        toc.owner = owner;
        toc.defn = fmt::format("REFRESH MATERIALIZED VIEW {};\n", ctx.qualified(schema, name));
        out.refresh(toc);
      });
  ctx.graph[id].relation = r.oid;
  ctx.graph.depend(id, rel.object);
  ctx.refreshes[rel.object] = id;
}

// A table whose rows the workers copy; generated columns are not copied.
PgTable copied_table(const Context& ctx, const Relation& rel) {
  const RelationRow& r = rel.row;
  PgTable t;
  t.oid = r.oid;
  t.schema = r.schema;
  t.name = r.name;
  t.owner = r.owner;
  t.qualified = ctx.qualified(r.schema, r.name);
  for (const auto& c : rel.cols) {
    if (c.generated) continue;
    // format_type() names pg_catalog's types bare, any other schema's
    // qualified; "character varying(10)[]" is an array.
    bool text =
        c.type == "text" || (c.type.rfind("character varying", 0) == 0 && c.type.back() != ']');
    if (c.type == "bytea" || text)
      t.long_columns.emplace_back(static_cast<unsigned>(t.column_names.size()), !text);
    t.column_names.push_back(ctx.ident(c.name));
    t.columns += t.columns.empty() ? "(" : ", ";
    t.columns += t.column_names.back();
  }
  if (!t.columns.empty()) t.columns += ")";  // none: "COPY t  FROM stdin;" as pg_dump
  t.data_bytes = static_cast<std::uint64_t>(r.table_size);
  t.pages = static_cast<std::uint64_t>(r.pages);
  t.toast_bytes = static_cast<std::uint64_t>(r.toast_size);
  return t;
}

// The relation's graph object, its defaults and, for a view, its
// definition; maps its row type, array type and _RETURN rule to it.
Relation add_relation(Context& ctx, RelationParts& parts, RelationRow row) {
  Relation rel;
  rel.row = std::move(row);
  const RelationRow& r = rel.row;
  rel.cols = parts.columns[r.oid];
  rel.object = ctx.add_object(Priority::table, catalog::kPgClass, r.oid, r.schema, r.name, {});
  ctx.graph[rel.object].relation = r.oid;
  if (r.row_type) ctx.graph.map({catalog::kPgType, *r.row_type}, rel.object);
  if (r.row_array_type) ctx.graph.map({catalog::kPgType, *r.row_array_type}, rel.object);
  if (r.return_rule) ctx.graph.map({catalog::kPgRewrite, *r.return_rule}, rel.object);
  add_defaults(ctx, rel, parts.defaults[r.oid]);
  rel.checks = parts.checks[r.oid];
  for (const auto& k : rel.checks) ctx.graph.map({catalog::kPgConstraint, k.oid}, rel.object);
  rel.options = reloptions(r.options, "");
  std::string toast = reloptions(r.toast_options, "toast.");
  if (!toast.empty()) rel.options += (rel.options.empty() ? "" : ", ") + toast;
  rel.viewdef = r.viewdef;
  if (!rel.viewdef.empty() && rel.viewdef.back() == ';') rel.viewdef.pop_back();
  rel.check_opt = check_option(r.options);
  rel.column_acls = parts.system_acls[r.oid];
  for (const auto& c : rel.cols)
    if (!c.acl_null) rel.column_acls.emplace_back(c.name, c.acl);
  if (r.kind == 'v') add_view_definition(ctx, rel);
  ctx.graph[rel.object].render = [&ctx, rel](Output& out) {
    relation_followups(ctx, out, rel, relation_entry(ctx, out, rel));
  };
  return rel;
}

// pg_dump.c dumpTableAttach: a partition's ATTACH PARTITION once both tables
// exist.
void add_attachment(Context& ctx, const Relation& rel, std::size_t parent) {
  const RelationRow& r = rel.row;
  std::size_t id =
      ctx.add_object(Priority::table_attach, 0, r.oid, r.schema, r.name, [&ctx, r](Output& out) {
        Entry(ctx, "TABLE ATTACH", r.name)
            .schema(r.schema)
            .owner(r.owner)
            .sql(fmt::format("ALTER TABLE ONLY {} ATTACH PARTITION {} {};\n", r.parents,
                             ctx.qualified(r.schema, r.name), r.partition_bound))
            .write(out);
      });
  ctx.graph[id].relation = r.oid;
  ctx.graph.depend(id, rel.object);
  ctx.graph.depend(id, parent);
}

// pg_dump.c dumpConstraint: a CHECK constraint added after the data.
void add_separate_check(Context& ctx, const Check& k, const Relation& rel) {
  const RelationRow& r = rel.row;
  std::size_t id = ctx.add_object(
      Priority::constraint, 0, k.oid, r.schema, k.name,
      [&ctx, k, schema = r.schema, name = r.name, owner = r.owner](Output& out) {
        Entry(ctx, "CHECK CONSTRAINT", name + " " + k.name)
            .schema(schema)
            .owner(owner)
            .sql(fmt::format("ALTER TABLE {}\n    ADD CONSTRAINT {} {};\n",
                             ctx.qualified(schema, name), ctx.ident(k.name), k.def))
            .write(out);
      },
      r.name);
  ctx.graph.map({catalog::kPgConstraint, k.oid}, id);
  ctx.graph[id].relation = r.oid;
  ctx.graph.depend(id, rel.object);
}

}  // namespace

void add_relations(Context& ctx, std::vector<PgTable>& tables) {
  add_sequences(ctx);
  auto rows = read_rows<RelationRow>(ctx.conn, relations_query());
  RelationParts parts = read_relation_parts(ctx);
  std::map<std::uint32_t, Relation> relations;
  std::vector<std::uint32_t> order;  // the query's: by schema, then name
  for (auto& row : rows) {
    Relation rel = add_relation(ctx, parts, std::move(row));
    if (rel.row.kind == 'm' && rel.row.populated) add_refresh(ctx, rel);
    if (rel.row.kind == 'r') tables.push_back(copied_table(ctx, rel));
    order.push_back(rel.row.oid);
    relations.emplace(rel.row.oid, std::move(rel));
  }
  for (std::uint32_t oid : order) {
    const Relation& rel = relations.at(oid);
    if (!rel.row.partition || !rel.row.first_parent) continue;
    auto parent = relations.find(*rel.row.first_parent);
    if (parent != relations.end()) add_attachment(ctx, rel, parent->second.object);
  }
  for (const auto& k : parts.separate_checks)
    if (auto rel = relations.find(k.relid); rel != relations.end())
      add_separate_check(ctx, k, rel->second);
}

// pg_dump dumps only the privileges of pg_catalog's objects, where they
// differ from initdb's (pg_init_privs). Relations and their columns here.
namespace {

// A pg_catalog relation whose privileges, or one of whose columns', differ
// from initdb's; one row per such column (column NULL when none).
struct CatalogAclRow {
  std::uint32_t oid;
  std::string name, owner;
  Acl acl;
  std::optional<std::string> column;
  std::string column_acl, column_base;

  static CatalogAclRow read(const Row& r) {
    return read_fields<CatalogAclRow>(
        r, {"oid", "name", "owner", "acl", "column_name", "column_acl", "column_base"});
  }
};

constexpr std::string_view kCatalogAclsQuery = R"(
SELECT c.oid, c.relname AS name, pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       c.relacl AS acl, c.relacl IS NULL AS acl_is_null,
       COALESCE(pip.initprivs, pg_catalog.acldefault('r', c.relowner)) AS acl_default,
       a.attname AS column_name, a.attacl AS column_acl,
       COALESCE(apip.initprivs, '{}') AS column_base
  FROM pg_catalog.pg_class c
  LEFT JOIN pg_catalog.pg_init_privs pip
    ON pip.objoid = c.oid AND pip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND pip.objsubid = 0
  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attacl IS NOT NULL
  LEFT JOIN pg_catalog.pg_init_privs apip
    ON apip.objoid = c.oid AND apip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND apip.objsubid = a.attnum
 WHERE c.relnamespace = 'pg_catalog'::pg_catalog.regnamespace
   AND (c.relacl IS DISTINCT FROM pip.initprivs OR
        (a.attname IS NOT NULL AND a.attacl IS DISTINCT FROM apip.initprivs))
 ORDER BY c.oid, a.attnum)";

}  // namespace

// pg_dump dumps only the privileges of pg_catalog's objects, where they
// differ from initdb's (pg_init_privs). Relations and their columns here.
void add_catalog_acls(Context& ctx) {
  auto rows = read_rows<CatalogAclRow>(ctx.conn, kCatalogAclsQuery);
  struct ColumnAcl {
    std::string name, acl, base;
  };
  for (std::size_t i = 0; i < rows.size();) {
    const CatalogAclRow& rel = rows[i];
    std::vector<ColumnAcl> columns;
    for (; i < rows.size() && rows[i].oid == rel.oid; ++i)
      if (rows[i].column)
        columns.push_back({*rows[i].column, rows[i].column_acl, rows[i].column_base});
    std::size_t id = ctx.add_object(
        Priority::table, 0, rel.oid, "pg_catalog", rel.name,
        [&ctx, name = rel.name, owner = rel.owner, acl = rel.acl, columns](Output& out) {
          std::string q = ctx.ident(name);
          out.acl("TABLE " + q, "TABLE", q, "", "pg_catalog", owner, acl.acl, acl.is_null,
                  acl.base);
          for (const auto& c : columns)
            out.acl(fmt::format("COLUMN {}.{}", q, ctx.ident(c.name)), "TABLE", q,
                    ctx.ident(c.name), "pg_catalog", owner, c.acl, false, c.base);
        });
    ctx.graph[id].relation = rel.oid;
  }
}

}  // namespace dbsnap::pg
