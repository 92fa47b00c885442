// Readers of types: enums, domains, composite and range types
// (pg_dump.c dumpEnumType, dumpDomain, dumpCompositeType, dumpRangeType),
// base types with their shells (dumpBaseType, dumpShellType) and standalone
// shell types (dumpUndefinedType).
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// pg_type of an enum, domain, composite or range type; the collations and
// the operator class quoted and qualified, NULL where pg_dump omits them.
struct TypeRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  char kind;  // typtype: e, d, c, r
  Acl acl;
  std::uint32_t array_type, relid;
  // Domains.
  std::string base_type;
  bool not_null;
  std::optional<std::string> default_expr, collation;
  // Ranges.
  std::string subtype;
  std::optional<std::uint32_t> multirange, multirange_array;
  std::optional<std::string> multirange_name, subtype_opclass, range_collation;
  std::string canonical, subtype_diff;  // regproc, "-" for none

  static TypeRow read(const Row& r) {
    return read_fields<TypeRow>(r, {"oid",
                                    "schema",
                                    "name",
                                    "owner",
                                    "kind",
                                    "acl",
                                    "array_type",
                                    "relid",
                                    "base_type",
                                    "not_null",
                                    "default_expr",
                                    "collation",
                                    "subtype",
                                    "multirange",
                                    "multirange_array",
                                    "multirange_name",
                                    "subtype_opclass",
                                    "range_collation",
                                    "canonical",
                                    "subtype_diff"});
  }
};

std::string types_query() {
  return fmt::format(R"(
SELECT t.oid, n.nspname AS schema, t.typname AS name,
       pg_catalog.pg_get_userbyid(t.typowner) AS owner, t.typtype AS kind, {},
       t.typarray AS array_type, t.typrelid AS relid,
       pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base_type, t.typnotnull AS not_null,
       COALESCE(pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass),
                t.typdefault) AS default_expr,
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = t.typcollation AND t.typcollation <> bt.typcollation) AS collation,
       pg_catalog.format_type(r.rngsubtype, NULL) AS subtype, r.rngmultitypid AS multirange,
       pg_catalog.format_type(r.rngmultitypid, NULL) AS multirange_name,
       (SELECT pg_catalog.quote_ident(on_.nspname) || '.' || pg_catalog.quote_ident(opc.opcname)
          FROM pg_catalog.pg_opclass opc JOIN pg_catalog.pg_namespace on_ ON on_.oid = opc.opcnamespace
         WHERE opc.oid = r.rngsubopc AND NOT opc.opcdefault) AS subtype_opclass,
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = r.rngcollation) AS range_collation,
       r.rngcanonical::pg_catalog.regproc AS canonical,
       r.rngsubdiff::pg_catalog.regproc AS subtype_diff,
       (SELECT mt.typarray FROM pg_catalog.pg_type mt
         WHERE mt.oid = r.rngmultitypid) AS multirange_array
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
 WHERE {} AND {}
   AND (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c
                                  WHERE c.oid = t.typrelid) = 'c')))",
                     catalog::acl_columns("t.typacl", 'T', "t.typowner"), kUserSchema,
                     not_in_extension("pg_type", "t.oid"));
}

std::string enum_definition(const Context& ctx, const std::string& q, std::uint32_t oid) {
  PgResult labels = query(ctx.conn, fmt::format("SELECT enumlabel FROM pg_catalog.pg_enum WHERE "
                                                "enumtypid = {} ORDER BY enumsortorder",
                                                oid));
  std::string defn = fmt::format("CREATE TYPE {} AS ENUM (", q);
  for (int l = 0; l < labels.rows(); ++l)
    defn += (l ? ",\n    " : "\n    ") + quote_literal(catalog::Row(labels, l).get("enumlabel"));
  return defn + "\n);\n";
}

// A domain's CHECK constraint (pg_constraint contype 'c').
struct DomainCheckRow {
  std::uint32_t oid;
  std::string name, definition;

  static DomainCheckRow read(const Row& r) {
    return read_fields<DomainCheckRow>(r, {"oid", "name", "definition"});
  }
};

std::string domain_definition(const Context& ctx, const std::string& q, const TypeRow& t,
                              const std::vector<DomainCheckRow>& checks) {
  std::string defn = fmt::format("CREATE DOMAIN {} AS {}", q, t.base_type);
  if (t.collation) defn += " COLLATE " + *t.collation;
  if (t.not_null) defn += " NOT NULL";
  if (t.default_expr) defn += " DEFAULT " + *t.default_expr;
  for (const auto& c : checks)
    defn += fmt::format("\n\tCONSTRAINT {} {}", ctx.ident(c.name), c.definition);
  return defn + ";\n";
}

// An attribute of a composite type; collation NULL when it is its type's.
struct AttributeRow {
  std::string name, type;
  std::optional<std::string> collation;

  static AttributeRow read(const Row& r) {
    return read_fields<AttributeRow>(r, {"name", "type", "collation"});
  }
};

std::string composite_definition(const Context& ctx, const std::string& q, std::uint32_t relid) {
  auto atts = read_rows<AttributeRow>(ctx.conn, fmt::format(R"(
SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(c.collname)
          FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace cn ON cn.oid = c.collnamespace
         WHERE c.oid = a.attcollation AND a.attcollation <> at.typcollation) AS collation
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
 WHERE a.attrelid = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)",
                                                            relid));
  std::string defn = fmt::format("CREATE TYPE {} AS (", q);
  for (std::size_t a = 0; a < atts.size(); ++a) {
    defn += fmt::format("{}\n\t{} {}", a ? "," : "", ctx.ident(atts[a].name), atts[a].type);
    if (atts[a].collation) defn += " COLLATE " + *atts[a].collation;
  }
  return defn + "\n);\n";
}

std::string range_definition(const std::string& q, const TypeRow& t) {
  std::string defn = fmt::format("CREATE TYPE {} AS RANGE (\n    subtype = {}", q, t.subtype);
  if (t.multirange_name) defn += ",\n    multirange_type_name = " + *t.multirange_name;
  if (t.subtype_opclass) defn += ",\n    subtype_opclass = " + *t.subtype_opclass;
  if (t.range_collation) defn += ",\n    collation = " + *t.range_collation;
  if (t.canonical != "-") defn += ",\n    canonical = " + t.canonical;
  if (t.subtype_diff != "-") defn += ",\n    subtype_diff = " + t.subtype_diff;
  return defn + "\n);\n";
}

// The comments of a domain's constraints and of a composite type's columns,
// after the type's own.
void type_part_comments(const Context& ctx, Output& out, const TypeRow& t,
                        const std::vector<DomainCheckRow>& checks) {
  std::string q = ctx.qualified(t.schema, t.name);
  for (const auto& c : checks) {
    std::string target = fmt::format("CONSTRAINT {} ON DOMAIN {}", ctx.ident(c.name), q);
    ctx.comment(out, catalog::kPgConstraint, c.oid, 0,
                fmt::format("CONSTRAINT {} ON DOMAIN {}", ctx.ident(c.name), ctx.ident(t.name)),
                target, t.schema, t.owner);
  }
  if (t.relid == 0) return;
  PgResult cols = query(ctx.conn, fmt::format("SELECT attnum, attname FROM pg_catalog."
                                              "pg_attribute WHERE attrelid = {} AND attnum > "
                                              "0 AND NOT attisdropped ORDER BY attnum",
                                              t.relid));
  for (int c = 0; c < cols.rows(); ++c) {
    catalog::Row col(cols, c);
    std::string name = ctx.ident(col.get("attname"));
    ctx.comment(out, catalog::kPgClass, t.relid, static_cast<int>(col.num("attnum")),
                fmt::format("COLUMN {}.{}", ctx.ident(t.name), name),
                fmt::format("COLUMN {}.{}", q, name), t.schema, t.owner);
  }
}

}  // namespace

// pg_dump.c dumpEnumType, dumpDomain, dumpCompositeType, dumpRangeType.
void add_types(Context& ctx) {
  for (auto& t : read_rows<TypeRow>(ctx.conn, types_query())) {
    std::string q = ctx.qualified(t.schema, t.name), defn;
    std::vector<DomainCheckRow> checks;
    if (t.kind == 'e') {
      defn = enum_definition(ctx, q, t.oid);
    } else if (t.kind == 'd') {
      checks = read_rows<DomainCheckRow>(
          ctx.conn, fmt::format("SELECT oid, conname AS name, pg_catalog.pg_get_constraintdef(oid) "
                                "AS definition FROM pg_catalog.pg_constraint WHERE contypid = {} "
                                "AND contype = 'c' ORDER BY conname",
                                t.oid));
      defn = domain_definition(ctx, q, t, checks);
    } else if (t.kind == 'c') {
      defn = composite_definition(ctx, q, t.relid);
    } else {
      defn = range_definition(q, t);
    }
    std::size_t id = ctx.add_object(Priority::type, catalog::kPgType, t.oid, t.schema, t.name,
                                    [&ctx, t, defn, checks](Output& out) {
                                      std::string q = ctx.qualified(t.schema, t.name);
                                      std::string word = t.kind == 'd' ? "DOMAIN" : "TYPE";
                                      std::string tag = word + " " + ctx.ident(t.name);
                                      std::string target = fmt::format("{} {}", word, q);
                                      Entry(ctx, word, t.name)
                                          .schema(t.schema)
                                          .owner(t.owner)
                                          .sql(defn)
                                          .alter_owner(fmt::format("ALTER {} {}", word, q))
                                          .comment(catalog::kPgType, t.oid, tag, target)
                                          .acl(tag, word, ctx.ident(t.name), t.acl)
                                          .write(out);
                                      type_part_comments(ctx, out, t, checks);
                                    });
    if (t.array_type != 0) ctx.graph.map({catalog::kPgType, t.array_type}, id);
    if (t.relid != 0) ctx.graph.map({catalog::kPgClass, t.relid}, id);
    if (t.multirange) ctx.graph.map({catalog::kPgType, *t.multirange}, id);
    if (t.multirange_array) ctx.graph.map({catalog::kPgType, *t.multirange_array}, id);
    for (const auto& check : checks) ctx.graph.map({catalog::kPgConstraint, check.oid}, id);
  }
}

namespace {

const char* alignment_word(char a) {
  return a == 'c' ? "char" : a == 's' ? "int2" : a == 'i' ? "int4" : "double";
}
const char* storage_word(char s) {
  return s == 'p' ? "plain" : s == 'e' ? "external" : s == 'm' ? "main" : "extended";
}

// pg_type of a base type; functions as regproc ("-" for none).
struct BaseTypeRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  std::string length, input, output, receive, send, typmod_in, typmod_out, analyze;
  bool collatable;
  std::optional<std::string> default_expr, default_text;
  std::string subscript;
  std::optional<std::string> element;
  std::string category;
  bool preferred;
  std::string delimiter;
  char alignment, storage;
  bool by_value;
  Acl acl;
  std::uint32_t array_type;

  static BaseTypeRow read(const Row& r) {
    return read_fields<BaseTypeRow>(
        r, {"oid",        "schema",  "name",       "owner",        "length",
            "input",      "output",  "receive",    "send",         "typmod_in",
            "typmod_out", "analyze", "collatable", "default_expr", "default_text",
            "subscript",  "element", "category",   "preferred",    "delimiter",
            "alignment",  "storage", "by_value",   "acl",          "array_type"});
  }
};

// pg_dump.c dumpBaseType: CREATE TYPE with every property that is not the default.
std::string base_type_definition(const std::string& qualified, const BaseTypeRow& t) {
  std::string d = fmt::format("CREATE TYPE {} (\n    INTERNALLENGTH = {}", qualified,
                              t.length == "-1" ? "variable" : t.length);
  d += ",\n    INPUT = " + t.input + ",\n    OUTPUT = " + t.output;
  const std::pair<const char*, const std::string*> optional[] = {{"RECEIVE", &t.receive},
                                                                 {"SEND", &t.send},
                                                                 {"TYPMOD_IN", &t.typmod_in},
                                                                 {"TYPMOD_OUT", &t.typmod_out},
                                                                 {"ANALYZE", &t.analyze}};
  for (const auto& [word, value] : optional)
    if (*value != "-") d += fmt::format(",\n    {} = {}", word, *value);
  if (t.collatable) d += ",\n    COLLATABLE = true";
  if (t.default_expr) d += ",\n    DEFAULT = " + *t.default_expr;
  if (t.default_text) d += ",\n    DEFAULT = " + quote_literal(*t.default_text);
  if (t.subscript != "-") d += ",\n    SUBSCRIPT = " + t.subscript;
  if (t.element) d += ",\n    ELEMENT = " + *t.element;
  if (t.category != "U") d += ",\n    CATEGORY = " + quote_literal(t.category);
  if (t.preferred) d += ",\n    PREFERRED = true";
  if (t.delimiter != ",") d += ",\n    DELIMITER = " + quote_literal(t.delimiter);
  d += fmt::format(",\n    ALIGNMENT = {},\n    STORAGE = {}", alignment_word(t.alignment),
                   storage_word(t.storage));
  if (t.by_value) d += ",\n    PASSEDBYVALUE";
  return d + "\n);\n";
}

// Auto-generated array types (typname "_x" whose element's typarray is this
// type) go with their element.
std::string base_types_query() {
  return fmt::format(R"(
SELECT t.oid, n.nspname AS schema, t.typname AS name,
       pg_catalog.pg_get_userbyid(t.typowner) AS owner, t.typlen AS length, t.typinput AS input,
       t.typoutput AS output, t.typreceive AS receive, t.typsend AS send,
       t.typmodin AS typmod_in, t.typmodout AS typmod_out, t.typanalyze AS analyze,
       t.typcollation <> 0 AS collatable,
       pg_catalog.pg_get_expr(t.typdefaultbin, 0) AS default_expr,
       CASE WHEN t.typdefaultbin IS NULL THEN t.typdefault END AS default_text,
       t.typsubscript AS subscript,
       CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END AS element,
       t.typcategory AS category, t.typispreferred AS preferred, t.typdelim AS delimiter,
       t.typalign AS alignment, t.typstorage AS storage, t.typbyval AS by_value, {},
       t.typarray AS array_type
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'b' AND t.typisdefined AND {} AND {}
   AND NOT (t.typname LIKE '\_%' AND t.typelem <> 0 AND
            (SELECT e.typarray FROM pg_catalog.pg_type e WHERE e.oid = t.typelem) = t.oid))",
                     catalog::acl_columns("t.typacl", 'T', "t.typowner"), kUserSchema,
                     not_in_extension("pg_type", "t.oid"));
}

// CREATE TYPE name; alone, as dumpShellType and dumpUndefinedType print it.
Entry shell_entry(const Context& ctx, const std::string& schema, const std::string& name,
                  const std::string& owner) {
  Entry e(ctx, "SHELL TYPE", name);
  e.schema(schema).owner(owner).sql(fmt::format("CREATE TYPE {};\n", ctx.qualified(schema, name)));
  return e;
}

}  // namespace

// pg_dump.c getTypes/dumpBaseType/dumpShellType. The shell is printed only
// when repair_type_function_loops gives it a function.
void add_base_types(Context& ctx) {
  for (auto& t : read_rows<BaseTypeRow>(ctx.conn, base_types_query())) {
    std::string defn = base_type_definition(ctx.qualified(t.schema, t.name), t);
    std::size_t shell_id =
        ctx.add_object(Priority::type, 0, t.oid, t.schema, t.name,
                       [&ctx, t, k = ctx.shell_types.size()](Output& out) {
                         if (ctx.shell_types[k].needed)
                           shell_entry(ctx, t.schema, t.name, t.owner).write(out);
                       });
    std::size_t id = ctx.add_object(
        Priority::type, catalog::kPgType, t.oid, t.schema, t.name, [&ctx, t, defn](Output& out) {
          std::string q = ctx.qualified(t.schema, t.name), tag = "TYPE " + ctx.ident(t.name);
          Entry(ctx, "TYPE", t.name)
              .schema(t.schema)
              .owner(t.owner)
              .sql(defn)
              .alter_owner("ALTER TYPE " + q)
              .comment(catalog::kPgType, t.oid, tag, "TYPE " + q)
              .acl(tag, "TYPE", ctx.ident(t.name), t.acl)
              .write(out);
        });
    if (t.array_type != 0) ctx.graph.map({catalog::kPgType, t.array_type}, id);
    ctx.shell_types.push_back({id, shell_id, false});
  }
}

namespace {

struct ShellTypeRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  Acl acl;

  static ShellTypeRow read(const Row& r) {
    return read_fields<ShellTypeRow>(r, {"oid", "schema", "name", "owner", "acl"});
  }
};

}  // namespace

// pg_dump.c dumpUndefinedType: a shell type nothing defined (CREATE TYPE
// name; alone), with its owner, comment and privileges.
void add_shell_types(Context& ctx) {
  auto rows = read_rows<ShellTypeRow>(
      ctx.conn, fmt::format(R"(
SELECT t.oid, n.nspname AS schema, t.typname AS name,
       pg_catalog.pg_get_userbyid(t.typowner) AS owner, {}
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'p' AND NOT t.typisdefined AND {} AND {})",
                            catalog::acl_columns("t.typacl", 'T', "t.typowner"), kUserSchema,
                            not_in_extension("pg_type", "t.oid")));
  for (const auto& t : rows) {
    ctx.add_object(Priority::type, catalog::kPgType, t.oid, t.schema, t.name,
                   [&ctx, t](Output& out) {
                     std::string q = ctx.qualified(t.schema, t.name);
                     std::string tag = "TYPE " + ctx.ident(t.name);
                     Entry(ctx, "TYPE", t.name)
                         .schema(t.schema)
                         .owner(t.owner)
                         .sql(fmt::format("CREATE TYPE {};\n", q))
                         .alter_owner("ALTER TYPE " + q)
                         .comment(catalog::kPgType, t.oid, tag, "TYPE " + q)
                         .acl(tag, "TYPE", ctx.ident(t.name), t.acl)
                         .write(out);
                   });
  }
}

// pg_dump_sort.c repairTypeFuncLoop: a base type needs its I/O functions and
// they name the type; each such function follows the shell type instead.
void repair_type_function_loops(Context& ctx) {
  for (auto& shell : ctx.shell_types) {
    for (std::size_t f : ctx.graph[shell.type].deps) {
      auto& deps = ctx.graph[f].deps;
      if (std::find(deps.begin(), deps.end(), shell.type) == deps.end()) continue;
      std::erase(deps, shell.type);
      deps.push_back(shell.shell);
      shell.needed = true;
    }
  }
}

}  // namespace dbsnap::pg
