// Readers of publications with their tables and schemas (pg_dump.c
// dumpPublication, dumpPublicationTable, dumpPublicationNamespace): post-data
// entries, after the tables they name exist. Row filters, column lists and
// schemas are PostgreSQL 15's; older servers have neither.
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema_readers.h"

namespace dbsnap::pg {
namespace {

// "insert, update, delete, truncate" as the publication publishes.
std::string publish_list(const PgResult& r, int i) {
  std::string out;
  const char* words[] = {"insert", "update", "delete", "truncate"};
  for (int k = 0; k < 4; ++k)
    if (r.flag(i, 4 + k)) out += fmt::format("{}{}", out.empty() ? "" : ", ", words[k]);
  return out;
}

// One post-data entry for a member of publication (a table or a schema),
// after both.
void add_member(Context& ctx, std::size_t publication, std::optional<std::size_t> member,
                Priority priority, Toc toc) {
  DumpObject o;
  o.priority = priority;
  o.schema = toc.schema;
  o.name = toc.tag;
  o.render = [toc](Output& out) { out.entry(toc); };
  std::size_t id = ctx.graph.add(std::move(o));
  ctx.graph.depend(id, publication);
  if (member) ctx.graph.depend(id, *member);
}

void add_publication_tables(Context& ctx, const std::map<std::uint32_t, std::size_t>& objects,
                            const std::map<std::uint32_t, std::string>& owners) {
  bool v15 = PQserverVersion(ctx.conn) >= 150000;
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT pr.prpubid, p.pubname, n.nspname, c.relname, c.oid, {}, {}
  FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)",
                                  v15 ? "pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)" : "NULL",
                                  v15 ? R"((SELECT pg_catalog.string_agg(
                pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.i)
           FROM pg_catalog.unnest(pr.prattrs) WITH ORDINALITY AS k(attnum, i)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum))"
                                      : "NULL"));
  for (int i = 0; i < r.rows(); ++i) {
    auto pub = objects.find(r.oid(i, 0));
    if (pub == objects.end()) continue;
    std::string name = r.str(i, 1), schema = r.str(i, 2), table = r.str(i, 3);
    std::string d = fmt::format("ALTER PUBLICATION {} ADD TABLE ONLY {}", ctx.ident(name),
                                ctx.qualified(schema, table));
    if (!r.is_null(i, 6)) d += " (" + r.str(i, 6) + ")";
    if (!r.is_null(i, 5)) d += " WHERE (" + r.str(i, 5) + ")";
    add_member(ctx, pub->second, ctx.graph.find({catalog::kPgClass, r.oid(i, 4)}),
               Priority::publication_rel,
               {name + " " + table,
                "PUBLICATION TABLE",
                schema,
                owners.at(r.oid(i, 0)),
                d + ";\n",
                "",
                {},
                {}});
  }
  if (!v15) return;
  PgResult s = query(ctx.conn, R"(
SELECT pn.pnpubid, p.pubname, n.nspname, n.oid
  FROM pg_catalog.pg_publication_namespace pn
  JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid)");
  for (int i = 0; i < s.rows(); ++i) {
    auto pub = objects.find(s.oid(i, 0));
    if (pub == objects.end()) continue;
    std::string name = s.str(i, 1), schema = s.str(i, 2);
    add_member(ctx, pub->second, ctx.graph.find({catalog::kPgNamespace, s.oid(i, 3)}),
               Priority::publication_table_in_schema,
               {name + " " + schema,
                "PUBLICATION TABLES IN SCHEMA",
                schema,
                owners.at(s.oid(i, 0)),
                fmt::format("ALTER PUBLICATION {} ADD TABLES IN SCHEMA {};\n", ctx.ident(name),
                            ctx.ident(schema)),
                "",
                {},
                {}});
  }
}

}  // namespace

void add_publications(Context& ctx) {
  PgResult r = query(ctx.conn, R"(
SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner), p.puballtables, p.pubinsert,
       p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot
  FROM pg_catalog.pg_publication p)");
  std::map<std::uint32_t, std::size_t> objects;
  std::map<std::uint32_t, std::string> owners;
  for (int i = 0; i < r.rows(); ++i) {
    std::uint32_t oid = r.oid(i, 0);
    std::string name = r.str(i, 1), owner = r.str(i, 2), q = ctx.ident(name);
    std::string d = "CREATE PUBLICATION " + q;
    if (r.flag(i, 3)) d += " FOR ALL TABLES";
    d += " WITH (publish = '" + publish_list(r, i) + "'";
    if (r.flag(i, 8)) d += ", publish_via_partition_root = true";
    d += ");\n";
    DumpObject o;
    o.priority = Priority::publication;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, q, d](Output& out) {
      out.entry({name, "PUBLICATION", "", owner, d, "ALTER PUBLICATION " + q, {}, {}});
      ctx.comment(out, catalog::kPgPublication, oid, 0, "PUBLICATION " + q, "PUBLICATION " + q, "",
                  owner);
    };
    objects[oid] = ctx.graph.add(std::move(o));
    owners[oid] = owner;
    ctx.graph.map({catalog::kPgPublication, oid}, objects[oid]);
  }
  add_publication_tables(ctx, objects, owners);
}

}  // namespace dbsnap::pg
