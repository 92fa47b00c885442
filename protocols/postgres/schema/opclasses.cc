// Readers of operator families and operator classes (pg_dump.c
// dumpOpfamily, dumpOpclass): a family with its loose members, a class with
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

// One operator or support function of a family or class.
struct Member {
  bool function = false;
  std::string number;       // strategy or support number
  std::string what;         // regoperator / regprocedure text
  std::string sort_family;  // operators: FOR ORDER BY family, "" for search
  std::string left, right;  // functions: regtype texts
  CatalogKey key;           // (pg_amop or pg_amproc, oid)
};

// The members of every user family (holder kPgOpfamily: its loose members)
// or class (kPgOpclass), by holder OID, operators by strategy then functions
// by number.
std::map<std::uint32_t, std::vector<Member>> read_members(const Context& ctx,
                                                          std::uint32_t holder) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT d.refobjid, false, o.amopstrategy, o.amopopr::pg_catalog.regoperator::text,
       CASE WHEN f.oid IS NULL THEN '' ELSE pg_catalog.format('%I.%I', fn.nspname, f.opfname) END,
       '', '', d.classid, d.objid
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
  for (int i = 0; i < r.rows(); ++i)
    out[r.oid(i, 0)].push_back({r.flag(i, 1),
                                r.str(i, 2),
                                r.str(i, 3),
                                r.str(i, 4),
                                r.str(i, 5),
                                r.str(i, 6),
                                {r.oid(i, 7), r.oid(i, 8)}});
  return out;
}

std::string operator_text(const Member& m) {
  std::string text = fmt::format("OPERATOR {} {}", m.number, m.what);
  if (!m.sort_family.empty()) text += " FOR ORDER BY " + m.sort_family;
  return text;
}

// Adds the object for (catalog, oid) and maps its members to it.
void add_object(Context& ctx, DumpObject o, std::uint32_t catalog_oid,
                const std::vector<Member>& members) {
  std::uint32_t oid = o.oid;
  std::size_t id = ctx.graph.add(std::move(o));
  ctx.graph.map({catalog_oid, oid}, id);
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

// pg_dump.c dumpOpclass; input_type is the class's regtype text.
std::string class_definition(const std::string& q, const PgResult& r, int i,
                             const std::vector<Member>& members) {
  std::string input_type = r.str(i, 5);
  std::string d = fmt::format("CREATE OPERATOR CLASS {}\n    {}FOR TYPE {} USING {}", q,
                              r.flag(i, 4) ? "DEFAULT " : "", input_type, r.get(i, 7));
  if (!r.is_null(i, 8)) d += " FAMILY " + r.str(i, 8);
  d += " AS\n    ";
  std::vector<std::string> items;
  if (r.get(i, 6) != "-") items.push_back("STORAGE " + r.str(i, 6));
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

void add_operator_families(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT f.oid, n.nspname, f.opfname, pg_catalog.pg_get_userbyid(f.opfowner), a.amname
  FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace
  JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_opfamily", "f.oid")));
  auto members = read_members(ctx, kPgOpfamily);
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string am = ctx.ident(r.get(i, 4)), q = ctx.qualified(schema, name);
    std::string d = family_definition(q, am, members[oid]);
    DumpObject o;
    o.priority = Priority::opfamily;
    o.schema = schema;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, am, q, d](Output& out) {
      std::string using_am = " USING " + am;
      out.entry({name,
                 "OPERATOR FAMILY",
                 schema,
                 owner,
                 d,
                 "ALTER OPERATOR FAMILY " + q + using_am,
                 {},
                 {}});
      ctx.comment(out, kPgOpfamily, oid, 0, "OPERATOR FAMILY " + ctx.ident(name) + using_am,
                  "OPERATOR FAMILY " + q + using_am, schema, owner);
    };
    add_object(ctx, std::move(o), kPgOpfamily, members[oid]);
  }
}

void add_operator_classes(Context& ctx) {
  PgResult r = query(ctx.conn, fmt::format(R"(
SELECT c.oid, n.nspname, c.opcname, pg_catalog.pg_get_userbyid(c.opcowner), c.opcdefault,
       c.opcintype::pg_catalog.regtype, c.opckeytype::pg_catalog.regtype, a.amname,
       (SELECT pg_catalog.format('%I.%I', fn.nspname, f.opfname) FROM pg_catalog.pg_opfamily f
          JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace WHERE f.oid = c.opcfamily)
  FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace
  JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
 WHERE {} AND {})",
                                           kUserSchema, not_in_extension("pg_opclass", "c.oid")));
  auto members = read_members(ctx, kPgOpclass);
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string schema = r.str(i, 1), name = r.str(i, 2), owner = r.str(i, 3);
    std::string am = ctx.ident(r.get(i, 7)), q = ctx.qualified(schema, name);
    std::string d = class_definition(q, r, i, members[oid]);
    DumpObject o;
    o.priority = Priority::opfamily;
    o.schema = schema;
    o.name = name;
    o.tiebreak = "class";  // after a family of the same name (its implicit one)
    o.oid = oid;
    o.render = [&ctx, oid, schema, name, owner, am, q, d](Output& out) {
      std::string using_am = " USING " + am;
      out.entry({name,
                 "OPERATOR CLASS",
                 schema,
                 owner,
                 d,
                 "ALTER OPERATOR CLASS " + q + using_am,
                 {},
                 {}});
      ctx.comment(out, kPgOpclass, oid, 0, "OPERATOR CLASS " + ctx.ident(name) + using_am,
                  "OPERATOR CLASS " + q + using_am, schema, owner);
    };
    add_object(ctx, std::move(o), kPgOpclass, members[oid]);
  }
}

}  // namespace dbsnap::pg
