// Readers of operators (pg_dump.c dumpOpr), operator families and operator
// classes (dumpOpfamily, dumpOpclass): a family with its loose members, a class with
// its storage type, operators and support functions. Each member (a pg_amop
// or pg_amproc row) is mapped to the family or class that holds it, so its
// dependencies on operators and functions order that object (as pg_dump's
// getDependencies does for loose members).
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {
namespace {

constexpr std::uint32_t kPgOpclass = 2616, kPgOpfamily = 2753;

// One operator or support function of a family or class (holder).
struct Member {
  std::uint32_t holder = 0;
  bool function = false;
  std::string number;       // strategy or support number
  std::string what;         // regoperator / regprocedure text
  std::string sort_family;  // operators: FOR ORDER BY family, "" for search
  std::string left, right;  // functions: regtype texts
  CatalogKey key;           // (pg_amop or pg_amproc, oid)

  static Member read(const Row& r) {
    return {r.oid("holder"),      r.flag("function"),
            r.str("number"),      r.str("what"),
            r.str("sort_family"), r.str("left_type"),
            r.str("right_type"),  {r.oid("classid"), r.oid("objid")}};
  }
};

// The members of every user family (holder kPgOpfamily: its loose members)
// or class (kPgOpclass), by holder OID, operators by strategy then functions
// by number.
std::map<std::uint32_t, std::vector<Member>> read_members(const Context& ctx,
                                                          std::uint32_t holder) {
  auto rows = read_rows<Member>(ctx.conn, fmt::format(R"(
SELECT d.refobjid AS holder, false AS function, o.amopstrategy AS number,
       o.amopopr::pg_catalog.regoperator::text AS what,
       CASE WHEN f.oid IS NULL THEN '' ELSE pg_catalog.format('%I.%I', fn.nspname, f.opfname) END
         AS sort_family,
       '' AS left_type, '' AS right_type, d.classid, d.objid
  FROM pg_catalog.pg_amop o
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass
                              AND d.objid = o.oid AND d.refclassid = {0}
  LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = o.amopsortfamily
  LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
 WHERE d.refobjid >= 16384
UNION ALL
SELECT d.refobjid, true, p.amprocnum, p.amproc::pg_catalog.regprocedure::text, '',
       p.amproclefttype::pg_catalog.regtype::text, p.amprocrighttype::pg_catalog.regtype::text,
       d.classid, d.objid
  FROM pg_catalog.pg_amproc p
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass
                              AND d.objid = p.oid AND d.refclassid = {0}
 WHERE d.refobjid >= 16384
 ORDER BY 1, 2, 3)",
                                                      holder));
  std::map<std::uint32_t, std::vector<Member>> out;
  for (auto& m : rows) out[m.holder].push_back(std::move(m));
  return out;
}

std::string operator_text(const Member& m) {
  std::string text = fmt::format("OPERATOR {} {}", m.number, m.what);
  if (!m.sort_family.empty()) text += " FOR ORDER BY " + m.sort_family;
  return text;
}

// An operator family or class: schema, name, owner and access method.
struct GroupRow {
  std::uint32_t oid;
  std::string schema, name, owner, method;
  // Classes only.
  bool is_default = false;
  std::string input_type, storage;  // regtype; storage "-" for none
  std::optional<std::string> family;

  static GroupRow read_family(const Row& r) {
    return {
        r.oid("oid"), r.str("schema"), r.str("name"), r.str("owner"), r.str("method"), false, "",
        "",           std::nullopt};
  }
  static GroupRow read(const Row& r) {
    return {r.oid("oid"),        r.str("schema"),  r.str("name"),
            r.str("owner"),      r.str("method"),  r.flag("is_default"),
            r.str("input_type"), r.str("storage"), r.opt("family")};
  }
};

struct FamilyRow : GroupRow {
  static FamilyRow read(const Row& r) { return {GroupRow::read_family(r)}; }
};

// The object of a family or class (kind "OPERATOR FAMILY" or "OPERATOR
// CLASS", catalog classoid) printing defn; its members are mapped to it.
void add_group(Context& ctx, Priority priority, std::uint32_t classoid, const char* kind,
               const GroupRow& g, std::string defn, std::string tiebreak,
               const std::vector<Member>& members) {
  std::size_t id = ctx.add_object(
      priority, classoid, g.oid, g.schema, g.name,
      [&ctx, classoid, kind, g, defn = std::move(defn)](Output& out) {
        std::string using_am = " USING " + ctx.ident(g.method), q = ctx.qualified(g.schema, g.name);
        Entry(ctx, kind, g.name)
            .schema(g.schema)
            .owner(g.owner)
            .sql(defn)
            .alter_owner(fmt::format("ALTER {} {}{}", kind, q, using_am))
            .comment(classoid, g.oid, fmt::format("{} {}{}", kind, ctx.ident(g.name), using_am),
                     fmt::format("{} {}{}", kind, q, using_am))
            .write(out);
      },
      std::move(tiebreak));
  for (const auto& m : members) ctx.graph.map(m.key, id);
}

// pg_dump.c dumpOpfamily: CREATE, then ALTER ... ADD for the loose members.
std::string family_definition(const std::string& q, const std::string& am,
                              const std::vector<Member>& members) {
  std::string d = fmt::format("CREATE OPERATOR FAMILY {} USING {};\n", q, am);
  if (members.empty()) return d;
  d += fmt::format("ALTER OPERATOR FAMILY {} USING {} ADD\n    ", q, am);
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    if (i > 0) d += " ,\n    ";
    d += m.function ? fmt::format("FUNCTION {} ({}, {}) {}", m.number, m.left, m.right, m.what)
                    : operator_text(m);
  }
  return d + ";\n";
}

// pg_dump.c dumpOpclass; am: the access method's name as it is.
std::string class_definition(const std::string& q, const std::string& am, const GroupRow& c,
                             const std::vector<Member>& members) {
  const std::string& input_type = c.input_type;
  std::string d = fmt::format("CREATE OPERATOR CLASS {}\n    {}FOR TYPE {} USING {}", q,
                              c.is_default ? "DEFAULT " : "", input_type, am);
  if (c.family) d += " FAMILY " + *c.family;
  d += " AS\n    ";
  std::vector<std::string> items;
  if (c.storage != "-") items.push_back("STORAGE " + c.storage);
  for (const auto& m : members) {
    if (!m.function) {
      items.push_back(operator_text(m));
      continue;
    }
    std::string item = "FUNCTION " + m.number;
    if (m.left != input_type || m.right != input_type)
      item += fmt::format(" ({}, {})", m.left, m.right);
    items.push_back(item + " " + m.what);
  }
  if (items.empty()) items.push_back("STORAGE " + input_type);  // at least one member
  return d + fmt::format("{};\n", fmt::join(items, ",\n    "));
}

}  // namespace

// pg_dump.c dumpOpfamily.
void add_operator_families(Context& ctx) {
  auto rows = read_rows<FamilyRow>(
      ctx.conn, fmt::format(R"(
SELECT f.oid, n.nspname AS schema, f.opfname AS name,
       pg_catalog.pg_get_userbyid(f.opfowner) AS owner, a.amname AS method
  FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
  JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_opfamily", "f.oid")));
  auto members = read_members(ctx, kPgOpfamily);
  for (const auto& f : rows) {
    std::string d =
        family_definition(ctx.qualified(f.schema, f.name), ctx.ident(f.method), members[f.oid]);
    add_group(ctx, Priority::opfamily, kPgOpfamily, "OPERATOR FAMILY", f, d, "", members[f.oid]);
  }
}

// pg_dump.c dumpOpclass.
void add_operator_classes(Context& ctx) {
  auto rows = read_rows<GroupRow>(
      ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname AS schema, c.opcname AS name,
       pg_catalog.pg_get_userbyid(c.opcowner) AS owner, c.opcdefault AS is_default,
       c.opcintype::pg_catalog.regtype AS input_type,
       c.opckeytype::pg_catalog.regtype AS storage, a.amname AS method,
       (SELECT pg_catalog.format('%I.%I', fn.nspname, f.opfname) FROM pg_catalog.pg_opfamily f
          JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
         WHERE f.oid = c.opcfamily) AS family
  FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
  JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
 WHERE {} AND {})",
                            kUserSchema, not_in_extension("pg_opclass", "c.oid")));
  auto members = read_members(ctx, kPgOpclass);
  for (const auto& c : rows) {
    std::string d = class_definition(ctx.qualified(c.schema, c.name), c.method, c, members[c.oid]);
    // "class": after a family of the same name (its implicit one).
    add_group(ctx, Priority::opfamily, kPgOpclass, "OPERATOR CLASS", c, d, "class", members[c.oid]);
  }
}

namespace {

// pg_operator; functions as regprocedure ("-" for none), the commutator and
// negator as OPERATOR(schema.name), NULL for none.
struct OperatorRow {
  std::uint32_t oid;
  std::string schema, name, owner;
  char kind;  // oprkind: b (infix), l (prefix), r (postfix, before 14)
  std::string function, left, right;
  std::optional<std::string> commutator, negator;
  bool merges, hashes;
  std::string restriction, join;

  static OperatorRow read(const Row& r) {
    return read_fields<OperatorRow>(
        r, {"oid", "schema", "name", "owner", "kind", "function", "left_type", "right_type",
            "commutator", "negator", "merges", "hashes", "restrict", "join"});
  }
};

std::string operators_query() {
  constexpr std::string_view kOperatorName =
      "(SELECT 'OPERATOR(' || pg_catalog.quote_ident(cn.nspname) || '.' || c.oprname || ')'\n"
      "          FROM pg_catalog.pg_operator c JOIN pg_catalog.pg_namespace cn\n"
      "            ON cn.oid = c.oprnamespace WHERE c.oid = {})";
  return fmt::format(R"(
SELECT o.oid, n.nspname AS schema, o.oprname AS name,
       pg_catalog.pg_get_userbyid(o.oprowner) AS owner, o.oprkind AS kind,
       o.oprcode::pg_catalog.regprocedure AS function,
       o.oprleft::pg_catalog.regtype AS left_type, o.oprright::pg_catalog.regtype AS right_type,
       {} AS commutator, {} AS negator, o.oprcanmerge AS merges, o.oprcanhash AS hashes,
       o.oprrest::pg_catalog.regprocedure AS restrict, o.oprjoin::pg_catalog.regprocedure AS join
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
 WHERE o.oprcode <> 0 AND {} AND {})",
                     fmt::format(fmt::runtime(kOperatorName), "o.oprcom"),
                     fmt::format(fmt::runtime(kOperatorName), "o.oprnegate"), kUserSchema,
                     not_in_extension("pg_operator", "o.oid"));
}

// regprocedure text without its argument list; "-" (none) is empty
// (pg_dump.c convertRegProcReference).
std::string proc_name(std::string_view regprocedure) {
  if (regprocedure == "-") return "";
  return std::string(regprocedure.substr(0, regprocedure.find('(')));
}

// pg_dump.c dumpOpr: the properties in its order.
std::string operator_details(const OperatorRow& o) {
  std::string d = "    FUNCTION = " + proc_name(o.function);
  if (o.kind == 'b' || o.kind == 'r') d += ",\n    LEFTARG = " + o.left;
  if (o.kind == 'b' || o.kind == 'l') d += ",\n    RIGHTARG = " + o.right;
  if (o.commutator) d += ",\n    COMMUTATOR = " + *o.commutator;
  if (o.negator) d += ",\n    NEGATOR = " + *o.negator;
  if (o.merges) d += ",\n    MERGES";
  if (o.hashes) d += ",\n    HASHES";
  if (std::string p = proc_name(o.restriction); !p.empty()) d += ",\n    RESTRICT = " + p;
  if (std::string p = proc_name(o.join); !p.empty()) d += ",\n    JOIN = " + p;
  return d;
}

}  // namespace

// pg_dump.c getOperators/dumpOpr; shell operators (no function, made by a
// COMMUTATOR or NEGATOR reference) are not printed.
void add_operators(Context& ctx) {
  for (auto& o : read_rows<OperatorRow>(ctx.conn, operators_query())) {
    std::string args =
        fmt::format("({}, {})", o.kind == 'l' ? "NONE" : o.left, o.kind == 'r' ? "NONE" : o.right);
    std::string details = operator_details(o);
    ctx.add_object(
        Priority::operator_, catalog::kPgOperator, o.oid, o.schema, o.name,
        [&ctx, o, args, details](Output& out) {
          std::string q = ctx.ident(o.schema) + "." + o.name;
          Entry(ctx, "OPERATOR", o.name + " " + args)
              .schema(o.schema)
              .owner(o.owner)
              .sql(fmt::format("CREATE OPERATOR {} (\n{}\n);\n", q, details))
              .alter_owner(fmt::format("ALTER OPERATOR {} {}", q, args))
              .comment(catalog::kPgOperator, o.oid, fmt::format("OPERATOR {} {}", o.name, args),
                       fmt::format("OPERATOR {} {}", q, args))
              .write(out);
        },
        args);
  }
}

}  // namespace dbsnap::pg
