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

// pg_publication; via_root is false before PostgreSQL 13.
struct PublicationRow {
  std::uint32_t oid;
  std::string name, owner;
  bool all_tables, insert, update, delete_, truncate, via_root;

  static PublicationRow read(const Row& r) {
    return read_fields<PublicationRow>(r, {"oid", "name", "owner", "all_tables", "pubinsert",
                                           "pubupdate", "pubdelete", "pubtruncate", "via_root"});
  }
};

// pg_publication.pubviaroot: PostgreSQL 13 (catalog docs, pg_publication).
std::string publications_query(PGconn* conn) {
  return fmt::format(R"(
SELECT p.oid, p.pubname AS name, pg_catalog.pg_get_userbyid(p.pubowner) AS owner,
       p.puballtables AS all_tables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
       {} AS via_root
  FROM pg_catalog.pg_publication p)",
                     PQserverVersion(conn) >= 130000 ? "p.pubviaroot" : "false");
}

// pg_dump.c dumpPublication.
std::string create_publication(const Context& ctx, const PublicationRow& p) {
  std::string publish;
  const std::pair<bool, const char*> actions[] = {
      {p.insert, "insert"}, {p.update, "update"}, {p.delete_, "delete"}, {p.truncate, "truncate"}};
  for (const auto& [on, word] : actions)
    if (on) publish += fmt::format("{}{}", publish.empty() ? "" : ", ", word);
  std::string d = "CREATE PUBLICATION " + ctx.ident(p.name);
  if (p.all_tables) d += " FOR ALL TABLES";
  d += " WITH (publish = '" + publish + "'";
  if (p.via_root) d += ", publish_via_partition_root = true";
  return d + ");\n";
}

// One post-data entry for a member of publication (a table or a schema),
// after both.
void add_member(Context& ctx, std::size_t publication, std::optional<std::size_t> member,
                Priority priority, Entry entry, const std::string& schema, const std::string& tag) {
  std::size_t id = ctx.add_object(priority, 0, 0, schema, tag,
                                  [entry = std::move(entry)](Output& out) { entry.write(out); });
  ctx.graph.depend(id, publication);
  if (member) {
    ctx.graph[id].relation = ctx.graph[*member].relation;  // a table's (a schema: none)
    ctx.graph.depend(id, *member);
  }
}

// A publication's publication object and owner, by its OID.
struct Publication {
  std::size_t object;
  std::string owner;
};

// pg_publication_rel; the row filter and the column list are PostgreSQL 15's.
struct PublicationTableRow {
  std::uint32_t publication;
  std::string name, schema, table;
  std::uint32_t relid;
  std::optional<std::string> row_filter, columns;

  static PublicationTableRow read(const Row& r) {
    return {r.oid("prpubid"), r.str("name"),       r.str("schema"),     r.str("table_name"),
            r.oid("relid"),   r.opt("row_filter"), r.opt("column_list")};
  }
};

// pg_dump.c dumpPublicationTable.
void add_publication_tables(Context& ctx, const std::map<std::uint32_t, Publication>& pubs,
                            bool v15) {
  auto rows = read_rows<PublicationTableRow>(
      ctx.conn, fmt::format(R"(
SELECT pr.prpubid, p.pubname AS name, n.nspname AS schema, c.relname AS table_name,
       c.oid AS relid, {} AS row_filter, {} AS column_list
  FROM pg_catalog.pg_publication_rel pr JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid
  JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)",
                            v15 ? "pg_catalog.pg_get_expr(pr.prqual, pr.prrelid)" : "NULL",
                            v15 ? R"((SELECT pg_catalog.string_agg(
                pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.i)
           FROM pg_catalog.unnest(pr.prattrs) WITH ORDINALITY AS k(attnum, i)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum))"
                                : "NULL"));
  for (const auto& t : rows) {
    auto pub = pubs.find(t.publication);
    if (pub == pubs.end()) continue;
    std::string d = fmt::format("ALTER PUBLICATION {} ADD TABLE ONLY {}", ctx.ident(t.name),
                                ctx.qualified(t.schema, t.table));
    if (t.columns) d += " (" + *t.columns + ")";
    if (t.row_filter) d += " WHERE (" + *t.row_filter + ")";
    std::string tag = t.name + " " + t.table;
    add_member(ctx, pub->second.object, ctx.graph.find({catalog::kPgClass, t.relid}),
               Priority::publication_rel,
               Entry(ctx, "PUBLICATION TABLE", tag)
                   .schema(t.schema)
                   .owner(pub->second.owner)
                   .sql(d + ";\n"),
               t.schema, tag);
  }
}

// pg_publication_namespace: PostgreSQL 15.
struct PublicationSchemaRow {
  std::uint32_t publication;
  std::string name, schema;
  std::uint32_t schema_oid;

  static PublicationSchemaRow read(const Row& r) {
    return read_fields<PublicationSchemaRow>(r, {"pnpubid", "name", "schema", "schema_oid"});
  }
};

// pg_dump.c dumpPublicationNamespace.
void add_publication_schemas(Context& ctx, const std::map<std::uint32_t, Publication>& pubs) {
  auto rows = read_rows<PublicationSchemaRow>(ctx.conn, R"(
SELECT pn.pnpubid, p.pubname AS name, n.nspname AS schema, n.oid AS schema_oid
  FROM pg_catalog.pg_publication_namespace pn
  JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid
  JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid)");
  for (const auto& s : rows) {
    auto pub = pubs.find(s.publication);
    if (pub == pubs.end()) continue;
    std::string tag = s.name + " " + s.schema;
    add_member(ctx, pub->second.object, ctx.graph.find({catalog::kPgNamespace, s.schema_oid}),
               Priority::publication_table_in_schema,
               Entry(ctx, "PUBLICATION TABLES IN SCHEMA", tag)
                   .schema(s.schema)
                   .owner(pub->second.owner)
                   .sql(fmt::format("ALTER PUBLICATION {} ADD TABLES IN SCHEMA {};\n",
                                    ctx.ident(s.name), ctx.ident(s.schema))),
               s.schema, tag);
  }
}

}  // namespace

void add_publications(Context& ctx) {
  std::map<std::uint32_t, Publication> pubs;
  for (const auto& p : read_rows<PublicationRow>(ctx.conn, publications_query(ctx.conn))) {
    std::size_t id =
        add_owned_object(ctx, Priority::publication, catalog::kPgPublication, "PUBLICATION", p.oid,
                         "", p.name, p.owner, create_publication(ctx, p));
    pubs[p.oid] = {id, p.owner};
  }
  bool v15 = PQserverVersion(ctx.conn) >= 150000;
  add_publication_tables(ctx, pubs, v15);
  if (v15) add_publication_schemas(ctx, pubs);
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

// One pg_subscription row (columns of subscription_columns).
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

  static SubscriptionRow read(const Row& r) {
    return {r.oid("oid"),
            r.str("name"),
            r.str("owner"),
            r.str("conninfo"),
            r.opt("slot"),
            r.str("publications"),
            r.flag("binary"),
            r.kind("stream"),
            r.kind("two_phase"),
            r.flag("disable_on_error"),
            r.str("origin"),
            r.flag("password_required"),
            r.flag("run_as_owner"),
            r.flag("failover"),
            r.str("synchronous_commit")};
  }
};

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
SELECT pg_catalog.count(*) AS subscriptions FROM pg_catalog.pg_subscription
 WHERE subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))");
  if (catalog::Row(n, 0).num("subscriptions") > 0)
    std::fputs("warning: subscriptions not dumped because current user is not a superuser\n",
               stderr);
  return false;
}

}  // namespace

void add_subscriptions(Context& ctx) {
  if (!may_read_subscriptions(ctx.conn)) return;
  SubscriptionColumns c = subscription_columns(PQserverVersion(ctx.conn));
  auto rows = read_rows<SubscriptionRow>(
      ctx.conn, fmt::format(R"(
SELECT s.oid, s.subname AS name, pg_catalog.pg_get_userbyid(s.subowner) AS owner,
       s.subconninfo AS conninfo, s.subslotname AS slot, s.subpublications AS publications,
       {} AS binary, {} AS stream, {} AS two_phase, {} AS disable_on_error, {} AS origin,
       {} AS password_required, {} AS run_as_owner, {} AS failover,
       s.subsynccommit AS synchronous_commit
  FROM pg_catalog.pg_subscription s
 WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database
                     WHERE datname = pg_catalog.current_database()))",
                            c.binary, c.stream, c.two_phase, c.disable_on_error, c.origin,
                            c.password_required, c.run_as_owner, c.failover));
  for (const auto& s : rows) {
    add_owned_object(ctx, Priority::subscription, catalog::kPgSubscription, "SUBSCRIPTION", s.oid,
                     "", s.name, s.owner, create_subscription(ctx, s));
  }
}

}  // namespace dbsnap::pg
