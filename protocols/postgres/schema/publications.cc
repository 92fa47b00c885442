// Readers of publications with their tables and schemas (pg_dump.c
// dumpPublication, dumpPublicationTable, dumpPublicationNamespace) and of
// subscriptions (dumpSubscription): post-data entries, after the tables they
// name exist. Row filters, column lists and schemas are PostgreSQL 15's;
// older servers have neither.
#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

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

namespace {

// pg_subscription's columns by server version, as pg_dump 15 reads them
// (binary and streaming from 14, two_phase and disable_on_error from 15)
// plus the options later servers added, so that nothing set is lost:
// streaming = parallel, origin, password_required, run_as_owner (16),
// failover (17). Absent columns read as their defaults.
struct SubscriptionColumns {
  std::string binary = "false", stream = "'f'", two_phase = "'d'", disable_on_error = "false";
  std::string origin = "'any'", password_required = "true", run_as_owner = "false";
  std::string failover = "false";
};

SubscriptionColumns subscription_columns(int version) {
  SubscriptionColumns c;
  if (version >= 140000) {
    c.binary = "s.subbinary";
    c.stream = "CASE WHEN s.substream THEN 't' ELSE 'f' END";
  }
  if (version >= 150000) {
    c.two_phase = "s.subtwophasestate";
    c.disable_on_error = "s.subdisableonerr";
  }
  if (version >= 160000) {
    c.stream = "s.substream";
    c.origin = "s.suborigin";
    c.password_required = "s.subpasswordrequired";
    c.run_as_owner = "s.subrunasowner";
  }
  if (version >= 170000) c.failover = "s.subfailover";
  return c;
}

// One pg_subscription row, in the order of the query in add_subscriptions.
struct SubscriptionRow {
  std::uint32_t oid;
  std::string name, owner, conninfo;
  std::optional<std::string> slot;  // nullopt: NONE
  std::string publications;         // text[]
  bool binary;
  char stream, two_phase;  // 'f'/'t'/'p'; 'd' = disabled
  bool disable_on_error;
  std::string origin;
  bool password_required, run_as_owner, failover;
  std::string synchronous_commit;
};

SubscriptionRow subscription_row(const PgResult& r, int i) {
  return {r.oid(i, 0),
          r.str(i, 1),
          r.str(i, 2),
          r.str(i, 3),
          r.is_null(i, 4) ? std::nullopt : std::optional<std::string>(r.str(i, 4)),
          r.str(i, 5),
          r.flag(i, 6),
          r.get(i, 7)[0],
          r.get(i, 8)[0],
          r.flag(i, 9),
          r.str(i, 10),
          r.flag(i, 11),
          r.flag(i, 12),
          r.flag(i, 13),
          r.str(i, 14)};
}

// pg_dump.c dumpSubscription's CREATE SUBSCRIPTION, created disconnected.
std::string create_subscription(const Context& ctx, const SubscriptionRow& s) {
  std::string publications;
  for (const auto& p : catalog::parse_array(s.publications))
    publications += (publications.empty() ? "" : ", ") + ctx.ident(p);
  std::string d = fmt::format(
      "CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {} WITH (connect = false, slot_name = {}",
      ctx.ident(s.name), quote_literal(s.conninfo), publications,
      s.slot ? quote_literal(*s.slot) : "NONE");
  if (s.binary) d += ", binary = true";
  if (s.stream == 't') d += ", streaming = on";
  if (s.stream == 'p') d += ", streaming = parallel";
  if (s.two_phase != 'd') d += ", two_phase = on";
  if (s.disable_on_error) d += ", disable_on_error = true";
  if (s.origin != "any") d += ", origin = " + quote_literal(s.origin);
  if (!s.password_required) d += ", password_required = false";
  if (s.run_as_owner) d += ", run_as_owner = true";
  if (s.failover) d += ", failover = true";
  if (s.synchronous_commit != "off")
    d += ", synchronous_commit = " + ctx.ident(s.synchronous_commit);
  return d + ");\n";
}

// pg_dump.c getSubscriptions: only a superuser reads subconninfo; anyone
// else gets a warning when the database has subscriptions.
bool may_read_subscriptions(PGconn* conn) {
  const char* super = PQparameterStatus(conn, "is_superuser");
  if (super != nullptr && std::string_view(super) == "on") return true;
  PgResult n = query(conn, R"(
SELECT pg_catalog.count(*) FROM pg_catalog.pg_subscription
 WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))");
  if (n.num(0, 0) > 0)
    std::fputs("warning: subscriptions not dumped because current user is not a superuser\n",
               stderr);
  return false;
}

}  // namespace

void add_subscriptions(Context& ctx) {
  if (!may_read_subscriptions(ctx.conn)) return;
  SubscriptionColumns c = subscription_columns(PQserverVersion(ctx.conn));
  PgResult r =
      query(ctx.conn, fmt::format(R"(
SELECT s.oid, s.subname, pg_catalog.pg_get_userbyid(s.subowner), s.subconninfo, s.subslotname,
       s.subpublications, {}, {}, {}, {}, {}, {}, {}, {}, s.subsynccommit
  FROM pg_catalog.pg_subscription s
 WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database
                     WHERE datname = pg_catalog.current_database()))",
                                  c.binary, c.stream, c.two_phase, c.disable_on_error, c.origin,
                                  c.password_required, c.run_as_owner, c.failover));
  for (int i = 0; i < r.rows(); ++i) {
    SubscriptionRow row = subscription_row(r, i);
    std::uint32_t oid = row.oid;
    std::string name = row.name, owner = row.owner, q = ctx.ident(name);
    std::string d = create_subscription(ctx, row);
    DumpObject o;
    o.priority = Priority::subscription;
    o.name = name;
    o.oid = oid;
    o.render = [&ctx, oid, name, owner, q, d](Output& out) {
      out.entry({name, "SUBSCRIPTION", "", owner, d, "ALTER SUBSCRIPTION " + q, {}, {}});
      ctx.comment(out, catalog::kPgSubscription, oid, 0, "SUBSCRIPTION " + q, "SUBSCRIPTION " + q,
                  "", owner);
    };
    ctx.graph.map({catalog::kPgSubscription, oid}, ctx.graph.add(std::move(o)));
  }
}

}  // namespace dbsnap::pg
