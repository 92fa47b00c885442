// Relations of the pre-data section: sequences, tables, views, materialized
// views, separate column defaults, partition attachments; plus the sequence
// values and materialized view refreshes that follow the data.
// Forms: pg_dump.c dumpSequence, dumpSequenceData, dumpTableSchema,
// dumpAttrDef, dumpTableAttach, refreshMatViewData.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>

#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

struct Column {
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
};

struct Default {
  std::string expr;
  std::shared_ptr<bool> separate;
};

struct Check {
  std::uint32_t oid;
  std::string name, def;
  bool local;
};

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

// The text after a column's name in CREATE TABLE (type, generation or
// default, NOT NULL, collation), or nullopt when the column is left out: a
// typed table's column with nothing beyond its type (pg_dump dumpTableSchema).
std::optional<std::string> column_definition(const Column& c,
                                             const std::map<int, Default>& defaults, bool partition,
                                             bool typed) {
  std::string d = typed ? "" : " " + c.type;
  auto def = defaults.find(c.num);
  if (def != defaults.end() && c.generated) {
    if (!c.generation_inherited || partition)
      d += " GENERATED ALWAYS AS (" + def->second.expr + ") STORED";
  } else if (def != defaults.end() && !*def->second.separate) {
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
std::string column_settings(const Context& ctx, const std::string& q, char kind,
                            const std::vector<Column>& cols, bool partition) {
  std::string d, alter_table = kind == 'f' ? "ALTER FOREIGN TABLE" : "ALTER TABLE";
  for (const auto& c : cols) {
    std::string alter =
        fmt::format("{} ONLY {} ALTER COLUMN {}", alter_table, q, ctx.ident(c.name));
    if (!c.local && !partition && c.not_null && !c.inherited_not_null)
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

void add_sequences(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner),
       pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmax, s.seqmin,
       s.seqcache, s.seqcycle, c.relpersistence, d.deptype, tn.nspname, tc.relname, a.attname,
       c.relacl, c.relacl IS NULL, pg_catalog.acldefault('s', c.relowner), a.attidentity
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
                                           kUserSchema, not_in_extension("pg_class", "c.oid")));
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string q = ctx.qualified(schema, name), type = r.str(i, 4);
    std::string incr = r.str(i, 6), max = r.str(i, 7), min = r.str(i, 8);
    bool identity = r.get(i, 12) == "i", owned = !r.is_null(i, 12);
    // Default bounds for the sequence's type and direction (dumpSequence).
    bool ascending = incr[0] != '-';
    std::string type_min = type == "smallint"  ? "-32768"
                           : type == "integer" ? "-2147483648"
                                               : "-9223372036854775808";
    std::string type_max = type == "smallint"  ? "32767"
                           : type == "integer" ? "2147483647"
                                               : "9223372036854775807";
    std::string body;
    if (!identity && type != "bigint") body += "    AS " + type + "\n";
    body += fmt::format("    START WITH {}\n    INCREMENT BY {}\n", r.get(i, 5), incr);
    body +=
        min == (ascending ? "1" : type_min) ? "    NO MINVALUE\n" : "    MINVALUE " + min + "\n";
    body +=
        max == (ascending ? type_max : "-1") ? "    NO MAXVALUE\n" : "    MAXVALUE " + max + "\n";
    body += "    CACHE " + r.str(i, 9);
    if (r.flag(i, 10)) body += "\n    CYCLE";
    std::string table = owned ? ctx.qualified(r.get(i, 13), r.get(i, 14)) : "";
    std::string column = owned ? ctx.ident(r.get(i, 15)) : "";
    std::string defn;
    if (identity)
      defn = fmt::format(
          "ALTER TABLE {} ALTER COLUMN {} ADD GENERATED {} AS IDENTITY (\n"
          "    SEQUENCE NAME {}\n{}\n);\n",
          table, column, r.get(i, 19) == "a" ? "ALWAYS" : "BY DEFAULT", q, body);
    else
      defn = fmt::format("CREATE {}SEQUENCE {}\n{};\n", r.get(i, 11) == "u" ? "UNLOGGED " : "", q,
                         body);
    std::string acl = r.str(i, 16), base = r.str(i, 18);
    bool acl_null = r.flag(i, 17);
    DumpObject o;
    o.priority = Priority::table;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, identity, owned, defn, table, column, acl, acl_null,
                base](Output& out) {
      std::string q = ctx.qualified(schema, name);
      Toc toc;
      toc.tag = name;
      toc.type = "SEQUENCE";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = defn;
      if (!identity) toc.alter_owner = "ALTER TABLE " + q;
      out.entry(toc);
      if (owned && !identity) {
        Toc by;
        by.tag = name;
        by.type = "SEQUENCE OWNED BY";
        by.schema = schema;
        by.owner = owner;
        by.defn = fmt::format("ALTER SEQUENCE {} OWNED BY {}.{};\n", q, table, column);
        out.entry(by);
      }
      std::string tag = "SEQUENCE " + ctx.ident(name);
      ctx.comment(out, catalog::kPgClass, oid, 0, tag, "SEQUENCE " + q, schema, owner);
      out.acl(tag, "SEQUENCE", ctx.ident(name), "", schema, owner, acl, acl_null, base);
    };
    ctx.graph.map({catalog::kPgClass, oid}, ctx.graph.add(std::move(o)));

    DumpObject set;
    set.priority = Priority::sequence_set;
    set.schema = schema;
    set.name = name;
    set.oid = oid;
    set.render = [&ctx, schema, name, owner](Output& out) {
      std::string q = ctx.qualified(schema, name);
      PgResult v = query(ctx.conn, fmt::format("SELECT last_value, is_called FROM {}", q));
      Toc toc;
      toc.tag = name;
      toc.type = "SEQUENCE SET";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = fmt::format("SELECT pg_catalog.setval({}, {}, {});\n", quote_literal(q),
                             v.get(0, 0), v.flag(0, 1) ? "true" : "false");
      out.entry(toc);
    };
    std::size_t set_id = ctx.graph.add(std::move(set));
    ctx.graph.depend(set_id, *ctx.graph.find({catalog::kPgClass, oid}));
  }
}

}  // namespace

void add_relations(Context& ctx, std::vector<PgTable>& tables) {
  add_sequences(ctx);

  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relkind,
       c.relpersistence, c.reloptions, tc.reloptions, c.relispartition,
       pg_catalog.pg_get_expr(c.relpartbound, c.oid),
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(pn.nspname) || '.' ||
                                     pg_catalog.quote_ident(pc.relname), ', ' ORDER BY i.inhseqno)
          FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
          JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid),
       (SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1),
       c.relispopulated, COALESCE(ts.spcname, ''), am.amname,
       c.relacl, c.relacl IS NULL, pg_catalog.acldefault('r', c.relowner),
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
       c.reltype, (SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.oid = c.reltype),
       c.relreplident, pg_catalog.pg_table_size(c.oid),
       pg_catalog.pg_relation_size(c.oid) /
         pg_catalog.current_setting('block_size')::pg_catalog.int8,
       (SELECT rw.oid FROM pg_catalog.pg_rewrite rw
         WHERE rw.ev_class = c.oid AND rw.rulename = '_RETURN'),
       c.relforcerowsecurity, fs.srvname, {},
       CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
  LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace
  LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
  LEFT JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = c.oid
  LEFT JOIN pg_catalog.pg_foreign_server fs ON fs.oid = ft.ftserver
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {} AND {}
 ORDER BY n.nspname, c.relname)",
                                           fdw_options_sql("ft.ftoptions"), kUserSchema,
                                           not_in_extension("pg_class", "c.oid")));

  PgResult cr =
      query(ctx.conn, fmt::format(R"(
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull, a.attidentity, a.attgenerated, a.attislocal,
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
          FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation),
       COALESCE(a.attstattarget, -1), a.attstorage, t.typstorage, {},
       pg_catalog.array_to_string(ARRAY(
         SELECT o FROM pg_catalog.unnest(a.attoptions) o WHERE o NOT LIKE 'pg\_attver=%'), ', '),
       a.attacl, a.attacl IS NULL,
       EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                 JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
                WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.attnotnull),
       NOT a.atthasdef AND a.attgenerated = '' AND EXISTS (
         SELECT 1 FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
          WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.atthasdef),
       a.attgenerated <> '' AND EXISTS (
         SELECT 1 FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent
          WHERE i.inhrelid = a.attrelid AND pa.attname = a.attname AND pa.attgenerated <> ''),
       {}
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {}
 ORDER BY a.attrelid, a.attnum)",
                                  PQserverVersion(ctx.conn) >= 140000 ? "a.attcompression"
                                                                      : "''::pg_catalog.\"char\"",
                                  fdw_options_sql("a.attfdwoptions"), kUserSchema));
  // pg_attver is set by this server build on every column, not by users; its
  // pg_dump leaves it out of the column options too.
  std::map<std::uint32_t, std::vector<Column>> columns;
  for (int i = 0; i < cr.rows(); ++i) {
    Column c;
    c.num = static_cast<int>(cr.num(i, 1));
    c.name = cr.str(i, 2);
    c.type = cr.str(i, 3);
    c.not_null = cr.flag(i, 4);
    c.identity = cr.get(i, 5).empty() ? 0 : cr.get(i, 5)[0];
    c.generated = cr.get(i, 6).empty() ? 0 : cr.get(i, 6)[0];
    c.local = cr.flag(i, 7);
    c.collation = cr.str(i, 8);
    c.statistics = static_cast<int>(cr.num(i, 9));
    if (cr.get(i, 10) != cr.get(i, 11)) c.storage_change = storage_word(cr.get(i, 10)[0]);
    std::string_view comp = cr.get(i, 12);
    c.compression = comp == "p" ? "pglz" : comp == "l" ? "lz4" : "";
    c.options = cr.str(i, 13);
    c.acl = cr.str(i, 14);
    c.acl_null = cr.flag(i, 15);
    c.inherited_not_null = cr.flag(i, 16);
    c.default_dropped = cr.flag(i, 17);
    c.generation_inherited = cr.flag(i, 18);
    c.fdw_options = cr.str(i, 19);
    columns[cr.oid(i, 0)].push_back(std::move(c));
  }

  // Privileges on system columns (tableoid, ctid...), which pg_dump's column
  // ACL query includes, ordered by attnum before the user columns.
  PgResult sr = query(ctx.conn, R"(
SELECT a.attrelid, a.attname, a.attacl FROM pg_catalog.pg_attribute a
 WHERE a.attnum < 0 AND a.attacl IS NOT NULL ORDER BY a.attrelid, a.attnum)");
  std::map<std::uint32_t, std::vector<std::pair<std::string, std::string>>> system_acls;
  for (int i = 0; i < sr.rows(); ++i)
    system_acls[sr.oid(i, 0)].emplace_back(sr.str(i, 1), sr.str(i, 2));

  PgResult dr = query(ctx.conn, R"(
SELECT d.oid, d.adrelid, d.adnum, pg_catalog.pg_get_expr(d.adbin, d.adrelid)
  FROM pg_catalog.pg_attrdef d ORDER BY d.adrelid, d.adnum)");
  std::map<std::uint32_t, std::vector<std::tuple<std::uint32_t, int, std::string>>> defaults_of;
  for (int i = 0; i < dr.rows(); ++i)
    defaults_of[dr.oid(i, 1)].emplace_back(dr.oid(i, 0), static_cast<int>(dr.num(i, 2)),
                                           dr.str(i, 3));

  // A check that calls a function taking the table's row type would close a
  // loop (table -> function -> row type): it is added after the data, as
  // pg_dump's repairTableConstraintLoop does, like a NOT VALID one.
  PgResult kr = query(ctx.conn, R"(
SELECT k.oid, k.conrelid, k.conname, pg_catalog.pg_get_constraintdef(k.oid), k.conislocal,
       k.convalidated AND NOT EXISTS (
         SELECT 1 FROM pg_catalog.pg_depend d
           JOIN pg_catalog.pg_depend f
             ON f.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND f.objid = d.refobjid
          WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid
            AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
            AND ((f.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND f.refobjid =
                    (SELECT c.reltype FROM pg_catalog.pg_class c WHERE c.oid = k.conrelid))
                 OR (f.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                     AND f.refobjid = k.conrelid)))
  FROM pg_catalog.pg_constraint k WHERE k.contype = 'c' AND k.conrelid <> 0
 ORDER BY k.conrelid, k.conname)");
  std::map<std::uint32_t, std::vector<Check>> checks_of;
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string, std::string>> separate_checks;
  for (int i = 0; i < kr.rows(); ++i) {
    if (!kr.flag(i, 5)) {
      if (!kr.flag(i, 4)) continue;  // inherited: the parent's ALTER TABLE adds it
      separate_checks.emplace_back(kr.oid(i, 0), kr.oid(i, 1), kr.str(i, 2), kr.str(i, 3));
      continue;
    }
    checks_of[kr.oid(i, 1)].push_back({kr.oid(i, 0), kr.str(i, 2), kr.str(i, 3), kr.flag(i, 4)});
  }

  std::map<std::uint32_t, std::size_t> object_of;
  std::map<std::uint32_t, std::string> owner_of;
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    char kind = r.get(i, 4)[0];
    bool partition = r.flag(i, 8);
    std::vector<Column> cols = columns[oid];
    std::map<int, Default> defaults;
    std::vector<std::pair<std::uint32_t, int>> default_ids;

    DumpObject o;
    o.priority = Priority::table;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    std::size_t id = ctx.graph.add(std::move(o));
    object_of[oid] = id;
    owner_of[oid] = owner;
    ctx.graph.map({catalog::kPgClass, oid}, id);
    if (!r.is_null(i, 20)) ctx.graph.map({catalog::kPgType, r.oid(i, 20)}, id);
    if (!r.is_null(i, 21)) ctx.graph.map({catalog::kPgType, r.oid(i, 21)}, id);
    if (!r.is_null(i, 25)) ctx.graph.map({catalog::kPgRewrite, r.oid(i, 25)}, id);

    // A default a parent has and this column dropped prints as DEFAULT NULL
    // (flagInhAttrs); it has no pg_attrdef row.
    auto own_defaults = defaults_of[oid];
    for (const auto& c : cols)
      if (c.default_dropped) own_defaults.emplace_back(0, c.num, "NULL");
    for (const auto& [def_oid, num, expr] : own_defaults) {
      const Column* col = nullptr;
      for (const auto& c : cols)
        if (c.num == num) col = &c;
      if (col == nullptr) continue;
      if (col->generated) {
        defaults[num] = {expr, std::make_shared<bool>(false)};
        ctx.graph.map({catalog::kPgAttrdef, def_oid}, id);
        continue;
      }
      bool printed = (col->local || partition) && kind != 'v';
      auto separate = std::make_shared<bool>(!printed);
      defaults[num] = {expr, separate};
      DumpObject d;
      d.priority = Priority::attrdef;
      d.schema = schema;
      d.name = name;
      d.tiebreak = fmt::format("{:05}", num);
      d.oid = def_oid;
      d.default_of = id;
      d.separate = separate;
      std::string colname = col->name;
      d.render = [&ctx, schema, name, owner, colname, expr, separate](Output& out) {
        if (!*separate) return;
        Toc toc;
        toc.tag = name + " " + colname;
        toc.type = "DEFAULT";
        toc.schema = schema;
        toc.owner = owner;
        toc.defn = fmt::format("ALTER TABLE ONLY {} ALTER COLUMN {} SET DEFAULT {};\n",
                               ctx.qualified(schema, name), ctx.ident(colname), expr);
        out.entry(toc);
      };
      std::size_t did = ctx.graph.add(std::move(d));
      if (def_oid != 0) ctx.graph.map({catalog::kPgAttrdef, def_oid}, did);
      if (printed)
        ctx.graph.depend(id, did);
      else
        ctx.graph.depend(did, id);
    }

    std::vector<Check> checks = checks_of[oid];
    for (const auto& k : checks) ctx.graph.map({catalog::kPgConstraint, k.oid}, id);
    std::string options = reloptions(r.get(i, 6), ""), toast = reloptions(r.get(i, 7), "toast.");
    if (!toast.empty()) options += (options.empty() ? "" : ", ") + toast;
    std::string parents = r.str(i, 11), partbound = r.str(i, 9), partkey = r.str(i, 10);
    std::string viewdef = r.str(i, 19), check_opt = check_option(r.get(i, 6));
    if (!viewdef.empty() && viewdef.back() == ';') viewdef.pop_back();
    std::string tablespace = r.str(i, 14), am = r.str(i, 15), replident = r.str(i, 22);
    bool unlogged = r.get(i, 5) == "u", force_rls = r.flag(i, 26);
    std::string server = r.str(i, 27), server_options = r.str(i, 28), of_type = r.str(i, 29);
    if (kind == 'f') replident.clear();  // a foreign table has no replica identity
    std::string acl = r.str(i, 16), base = r.str(i, 18);
    bool acl_null = r.flag(i, 17);
    auto column_acls = system_acls[oid];
    for (const auto& c : cols)
      if (!c.acl_null) column_acls.emplace_back(c.name, c.acl);

    auto dummy = std::make_shared<bool>(false);
    if (kind == 'v') {
      ctx.graph[id].dummy = dummy;
      ctx.graph[id].render_definition = [&ctx, schema, name, owner, options, viewdef,
                                         check_opt](Output& out) {
        Toc toc;
        toc.tag = name + " _RETURN";
        toc.type = "RULE";
        toc.schema = schema;
        toc.owner = owner;
        toc.defn = fmt::format("CREATE OR REPLACE VIEW {}{} AS\n{}", ctx.qualified(schema, name),
                               options.empty() ? "" : " WITH (" + options + ")", viewdef);
        if (!check_opt.empty()) toc.defn += "\n  WITH " + check_opt + " CHECK OPTION";
        toc.defn += ";\n";
        out.entry(toc);
      };
    }
    ctx.graph[id].render = [&ctx, oid, schema, name, owner, kind, partition, cols, defaults, checks,
                            options, parents, partkey, viewdef, check_opt, tablespace, am,
                            replident, unlogged, force_rls, server, server_options, of_type, acl,
                            acl_null, base, column_acls, dummy](Output& out) {
      std::string q = ctx.qualified(schema, name);
      Toc toc;
      toc.tag = name;
      toc.schema = schema;
      toc.owner = owner;
      toc.alter_owner = "ALTER TABLE " + q;
      std::string with = options.empty() ? "" : " WITH (" + options + ")";
      std::string word;
      if (kind == 'v' && *dummy) {
        word = "VIEW";
        toc.defn = fmt::format("CREATE VIEW {}{} AS\nSELECT", q, with);
        for (std::size_t c = 0; c < cols.size(); ++c)
          toc.defn += fmt::format("{}\n    NULL::{} AS {}", c ? "," : "", cols[c].type,
                                  ctx.ident(cols[c].name));
        toc.defn += ";\n";
      } else if (kind == 'v') {
        word = "VIEW";
        toc.defn = fmt::format("CREATE VIEW {}{} AS\n{}", q, with, viewdef);
        if (!check_opt.empty()) toc.defn += "\n  WITH " + check_opt + " CHECK OPTION";
        toc.defn += ";\n";
      } else if (kind == 'm') {
        word = "MATERIALIZED VIEW";
        toc.defn = fmt::format("CREATE MATERIALIZED VIEW {}{} AS\n{}\n  WITH NO DATA;\n", q, with,
                               viewdef) +
                   column_settings(ctx, q, kind, cols, partition);
        toc.tablespace = tablespace;
        toc.table_am = am;
      } else {
        word = kind == 'f' ? "FOREIGN TABLE" : "TABLE";
        toc.alter_owner = fmt::format("ALTER {} {}", word, q);
        toc.tablespace = tablespace;
        if (!am.empty()) toc.table_am = am;
        std::string d = fmt::format("CREATE {}{} {}", unlogged ? "UNLOGGED " : "", word, q);
        if (!of_type.empty()) d += " OF " + of_type;
        int printed = 0;
        for (const auto& c : cols) {
          if (!c.local && !partition) continue;
          auto def = column_definition(c, defaults, partition, !of_type.empty());
          if (!def) continue;
          d += printed++ ? ",\n    " : " (\n    ";
          d += ctx.ident(c.name) + *def;
        }
        for (const auto& k : checks) {
          if (!k.local && !partition) continue;
          d += printed++ ? ",\n    " : " (\n    ";
          d += fmt::format("CONSTRAINT {} {}", ctx.ident(k.name), k.def);
        }
        if (printed)
          d += "\n)";
        else if (of_type.empty())
          d += " (\n)";
        if (!parents.empty() && !partition) d += "\nINHERITS (" + parents + ")";
        if (kind == 'p') d += "\nPARTITION BY " + partkey;
        if (kind == 'f') d += "\nSERVER " + ctx.ident(server);
        if (!options.empty()) d += "\nWITH (" + options + ")";
        if (!server_options.empty()) d += "\nOPTIONS (\n    " + server_options + "\n)";
        d += ";\n" + column_settings(ctx, q, kind, cols, partition);
        if (replident == "n")
          d += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY NOTHING;\n", q);
        if (replident == "f") d += fmt::format("\nALTER TABLE ONLY {} REPLICA IDENTITY FULL;\n", q);
        if (force_rls) d += fmt::format("\nALTER TABLE ONLY {} FORCE ROW LEVEL SECURITY;\n", q);
        toc.defn = d;
      }
      toc.type = word;
      out.entry(toc);
      std::string tag = word + " " + ctx.ident(name);
      ctx.comment_only(out, catalog::kPgClass, oid, 0, tag, word + " " + q, schema, owner);
      for (const auto& c : cols) {
        std::string col = ctx.ident(c.name);
        ctx.comment_only(out, catalog::kPgClass, oid, c.num,
                         fmt::format("COLUMN {}.{}", ctx.ident(name), col),
                         fmt::format("COLUMN {}.{}", q, col), schema, owner);
      }
      ctx.security_labels(out, catalog::kPgClass, oid, tag, schema, owner, [&](int sub) {
        if (sub == 0) return word + " " + q;
        for (const auto& c : cols)
          if (c.num == sub) return fmt::format("COLUMN {}.{}", q, ctx.ident(c.name));
        return std::string();
      });
      for (const auto& k : checks)
        if (k.local || partition)
          ctx.comment(out, catalog::kPgConstraint, k.oid, 0,
                      fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), ctx.ident(name)),
                      fmt::format("CONSTRAINT {} ON {}", ctx.ident(k.name), q), schema, owner);
      out.acl("TABLE " + ctx.ident(name), "TABLE", ctx.ident(name), "", schema, owner, acl,
              acl_null, base);
      for (const auto& [column, column_acl] : column_acls)
        out.acl(fmt::format("COLUMN {}.{}", ctx.ident(name), ctx.ident(column)), "TABLE",
                ctx.ident(name), ctx.ident(column), schema, owner, column_acl, false, "{}");
    };

    if (kind == 'm' && r.flag(i, 13)) {
      DumpObject refresh;
      refresh.priority = Priority::refresh_matview;
      refresh.schema = schema;
      refresh.name = name;
      refresh.oid = oid;
      refresh.render = [&ctx, schema, name, owner](Output& out) {
        Toc toc;
        toc.tag = name;
        toc.type = "MATERIALIZED VIEW DATA";
        toc.schema = schema;
        toc.owner = owner;
        toc.defn = fmt::format("REFRESH MATERIALIZED VIEW {};\n", ctx.qualified(schema, name));
        out.refresh(toc);
      };
      std::size_t rid = ctx.graph.add(std::move(refresh));
      ctx.graph.depend(rid, id);
      ctx.refreshes[id] = rid;
    }

    if (kind == 'r') {
      PgTable t;
      t.oid = oid;
      t.schema = schema;
      t.name = name;
      t.owner = owner;
      t.qualified = ctx.qualified(schema, name);
      for (const auto& c : cols) {
        if (c.generated) continue;
        t.columns += t.columns.empty() ? "(" : ", ";
        t.columns += ctx.ident(c.name);
      }
      if (!t.columns.empty()) t.columns += ")";  // none: "COPY t  FROM stdin;" as pg_dump
      t.data_bytes = static_cast<std::uint64_t>(r.num(i, 23));
      t.pages = static_cast<std::uint64_t>(r.num(i, 24));
      tables.push_back(std::move(t));
    }
  }

  // Partition attachments (dumpTableAttach) once every table exists.
  for (int i = 0; i < r.rows(); ++i) {
    if (!r.flag(i, 8) || r.is_null(i, 12)) continue;
    std::uint32_t oid = r.oid(i, 0), parent = r.oid(i, 12);
    auto parent_obj = object_of.find(parent);
    if (parent_obj == object_of.end()) continue;
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string bound = r.str(i, 9), parent_name = r.str(i, 11);
    DumpObject a;
    a.priority = Priority::table_attach;
    a.schema = schema;
    a.name = name;
    a.oid = oid;
    a.render = [&ctx, schema, name, owner, bound, parent_name](Output& out) {
      Toc toc;
      toc.tag = name;
      toc.type = "TABLE ATTACH";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = fmt::format("ALTER TABLE ONLY {} ATTACH PARTITION {} {};\n", parent_name,
                             ctx.qualified(schema, name), bound);
      out.entry(toc);
    };
    std::size_t aid = ctx.graph.add(std::move(a));
    ctx.graph.depend(aid, object_of[oid]);
    ctx.graph.depend(aid, parent_obj->second);
  }

  // CHECK constraints added NOT VALID print after the data (dumpConstraint).
  for (const auto& [con_oid, rel, con_name, def] : separate_checks) {
    auto table = object_of.find(rel);
    if (table == object_of.end()) continue;
    std::string schema = ctx.graph[table->second].schema, name = ctx.graph[table->second].name;
    std::string owner = owner_of[rel];
    DumpObject k;
    k.priority = Priority::constraint;
    k.schema = schema;
    k.name = con_name;
    k.tiebreak = name;
    k.oid = con_oid;
    k.render = [&ctx, schema, name, owner, con_name, def](Output& out) {
      Toc toc;
      toc.tag = name + " " + con_name;
      toc.type = "CHECK CONSTRAINT";
      toc.schema = schema;
      toc.owner = owner;
      toc.defn = fmt::format("ALTER TABLE {}\n    ADD CONSTRAINT {} {};\n",
                             ctx.qualified(schema, name), ctx.ident(con_name), def);
      out.entry(toc);
    };
    std::size_t kid = ctx.graph.add(std::move(k));
    ctx.graph.map({catalog::kPgConstraint, con_oid}, kid);
    ctx.graph.depend(kid, table->second);
  }
}

// pg_dump dumps only the privileges of pg_catalog's objects, where they
// differ from initdb's (pg_init_privs). Relations and their columns here.
void add_catalog_acls(Context& ctx) {
  PgResult r = query(ctx.conn, R"(
SELECT c.oid, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relacl, c.relacl IS NULL,
       COALESCE(pip.initprivs, pg_catalog.acldefault('r', c.relowner)), a.attname, a.attacl,
       COALESCE(apip.initprivs, '{}')
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
 ORDER BY c.oid, a.attnum)");
  struct ColumnAcl {
    std::string name, acl, base;
  };
  for (int i = 0; i < r.rows();) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), acl = r.str(i, 3), base = r.str(i, 5);
    bool acl_null = r.flag(i, 4);
    std::vector<ColumnAcl> columns;
    for (; i < r.rows() && r.oid(i, 0) == oid; ++i)
      if (!r.is_null(i, 6)) columns.push_back({r.str(i, 6), r.str(i, 7), r.str(i, 8)});
    DumpObject o;
    o.priority = Priority::table;
    o.schema = "pg_catalog";
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, name, owner, acl, acl_null, base, columns](Output& out) {
      std::string q = ctx.ident(name);
      out.acl("TABLE " + q, "TABLE", q, "", "pg_catalog", owner, acl, acl_null, base);
      for (const auto& c : columns)
        out.acl(fmt::format("COLUMN {}.{}", q, ctx.ident(c.name)), "TABLE", q, ctx.ident(c.name),
                "pg_catalog", owner, c.acl, false, c.base);
    };
    ctx.graph.add(std::move(o));
  }
}

}  // namespace dbsnap::pg
