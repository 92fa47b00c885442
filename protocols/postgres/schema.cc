#include "protocols/postgres/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "engine/comment_line.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

using catalog::CatalogKey;

std::string not_in_extension(std::string_view catalog, std::string_view oid_expr) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x WHERE x.classid = "
      "'pg_catalog.{}'::pg_catalog.regclass AND x.objid = {} AND x.deptype = 'e')",
      catalog, oid_expr);
}

std::size_t Context::add_object(Priority priority, std::uint32_t classoid, std::uint32_t oid,
                                std::string schema, std::string name,
                                std::function<void(Output&)> render, std::string tiebreak) {
  DumpObject o;
  o.priority = priority;
  o.schema = std::move(schema);
  o.name = std::move(name);
  o.tiebreak = std::move(tiebreak);
  o.oid = oid;
  o.render = std::move(render);
  std::size_t id = graph.add(std::move(o));
  if (classoid != 0) graph.map({classoid, oid}, id);
  return id;
}

void Context::comment(Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
                      const std::string& tag, const std::string& target, const std::string& schema,
                      const std::string& owner) const {
  comment_only(out, classoid, oid, subid, tag, target, schema, owner);
  if (subid == 0)
    security_labels(out, classoid, oid, tag, schema, owner,
                    [&](int sub) { return sub == 0 ? target : ""; });
}

void Context::comment_only(Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
                           const std::string& tag, const std::string& target,
                           const std::string& schema, const std::string& owner) const {
  auto it = comments.find({classoid, oid, subid});
  if (it != comments.end()) out.comment(tag, target, schema, owner, it->second);
}

void Context::security_labels(Output& out, std::uint32_t classoid, std::uint32_t oid,
                              const std::string& tag, const std::string& schema,
                              const std::string& owner,
                              const std::function<std::string(int)>& target) const {
  auto it = labels.find({classoid, oid});
  if (it == labels.end()) return;
  Toc toc;
  for (const auto& l : it->second) {
    std::string name = target(l.subid);
    if (!name.empty())
      toc.defn += fmt::format("SECURITY LABEL FOR {} ON {} IS {};\n", ident(l.provider), name,
                              quote_literal(l.label));
  }
  if (toc.defn.empty()) return;
  toc.tag = tag;
  toc.type = "SECURITY LABEL";
  toc.schema = schema;
  toc.owner = owner;
  out.entry(toc);
}

namespace {

struct CommentRow {
  std::uint32_t classoid, objoid;
  int objsubid;
  std::string text;

  static CommentRow read(const Row& r) {
    return {r.oid("classoid"), r.oid("objoid"), static_cast<int>(r.num("objsubid")),
            r.str("description")};
  }
};

struct LabelRow {
  std::uint32_t classoid, objoid;
  Context::SecurityLabel label;

  static LabelRow read(const Row& r) {
    return {r.oid("classoid"),
            r.oid("objoid"),
            {static_cast<int>(r.num("objsubid")), r.str("provider"), r.str("label")}};
  }
};

// pg_description, and pg_seclabels read as pg_dump 15 reads it (its order
// among the labels of one object is the order pg_dump prints).
void read_comments(Context& ctx) {
  for (auto& c : read_rows<CommentRow>(
           ctx.conn,
           "SELECT classoid, objoid, objsubid, description FROM pg_catalog.pg_description"))
    ctx.comments[{c.classoid, c.objoid, c.objsubid}] = std::move(c.text);
  for (auto& l : read_rows<LabelRow>(ctx.conn, R"(
SELECT classoid, objoid, objsubid, provider, label FROM pg_catalog.pg_seclabels
 ORDER BY classoid, objoid, objsubid)"))
    ctx.labels[{l.classoid, l.objoid}].push_back(std::move(l.label));
}

}  // namespace

namespace {

// pg_dump.c getDependencies: every pg_depend edge between two dumped objects,
// except internal/extension/pin ones that only tie an object to its parts.
// The refresh of a materialized view follows the refreshes of the
// materialized views it reads, directly or through views
// (pg_dump.c buildMatViewRefreshDependencies).
void link_refresh(Context& ctx, std::size_t from, std::size_t refresh) {
  std::vector<std::size_t> todo = ctx.graph[from].deps;
  std::vector<bool> seen(ctx.graph.size());
  while (!todo.empty()) {
    std::size_t d = todo.back();
    todo.pop_back();
    if (seen[d]) continue;
    seen[d] = true;
    if (auto it = ctx.refreshes.find(d); it != ctx.refreshes.end()) {
      ctx.graph.depend(refresh, it->second);
    } else if (ctx.graph[d].is_view) {  // a view: what it reads
      todo.insert(todo.end(), ctx.graph[d].deps.begin(), ctx.graph[d].deps.end());
    }
  }
}

struct DependRow {
  CatalogKey from, to;

  static DependRow read(const Row& r) {
    return {{r.oid("classid"), r.oid("objid")}, {r.oid("refclassid"), r.oid("refobjid")}};
  }
};

void add_dependencies(Context& ctx) {
  auto edges = read_rows<DependRow>(ctx.conn, R"(
SELECT classid, objid, refclassid, refobjid FROM pg_catalog.pg_depend
 WHERE deptype NOT IN ('p', 'e') AND (objid >= 16384 OR refobjid >= 16384))");
  for (const auto& e : edges) {
    auto from = ctx.graph.find(e.from);
    auto to = ctx.graph.find(e.to);
    if (!from || !to || *from == *to) continue;
    // An inline default is part of its table: no edge back to the table.
    if (ctx.graph[*from].default_of == *to) continue;
    ctx.graph.depend(*from, *to);
    if (e.from.first == catalog::kPgRewrite && ctx.graph[*from].is_view)
      ctx.graph[*from].definition_deps.push_back(*to);
  }
  for (auto [matview, refresh] : ctx.refreshes) link_refresh(ctx, matview, refresh);
}

// pg_dump's addBoundaryDependencies: pre-data before data before post-data.
void add_boundaries(Context& ctx, std::size_t pre, std::size_t post) {
  ctx.graph.depend(post, pre);
  for (std::size_t i = 0; i < ctx.graph.size(); ++i) {
    if (i == pre || i == post) continue;
    Priority p = ctx.graph[i].priority;
    if (p < Priority::pre_data_boundary) {
      ctx.graph.depend(pre, i);
    } else if (p < Priority::post_data_boundary) {
      ctx.graph.depend(i, pre);
      ctx.graph.depend(post, i);
    } else {
      // A pre-data object cannot wait for post-data; such edges are dropped.
      ctx.graph.depend(i, post);
    }
  }
  std::size_t count = ctx.graph.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (ctx.graph[i].priority >= Priority::pre_data_boundary) continue;
    auto is_late = [&](std::size_t d) {
      return ctx.graph[d].priority > Priority::post_data_boundary;
    };
    auto& deps = ctx.graph[i].deps;
    if (std::none_of(deps.begin(), deps.end(), is_late)) continue;
    // A view's query moves after what it needs, with all the query's
    // dependencies; other objects lose the edge (pg_dump cannot order them
    // either).
    if (!ctx.graph[i].is_view) {
      std::erase_if(deps, is_late);
      continue;
    }
    std::vector<std::size_t> late = ctx.graph[i].definition_deps;
    std::erase_if(deps, [&](std::size_t d) {
      return is_late(d) || std::find(late.begin(), late.end(), d) != late.end();
    });
    ctx.graph[i].dummy = true;
    DumpObject rule;
    rule.priority = Priority::rule;
    rule.schema = ctx.graph[i].schema;
    rule.name = "_RETURN";
    rule.tiebreak = ctx.graph[i].name;
    rule.oid = ctx.graph[i].oid;
    rule.render = ctx.graph[i].render_definition;
    rule.deps = late;
    rule.deps.push_back(i);
    rule.deps.push_back(post);
    ctx.graph.add(std::move(rule));
  }
}

// pg_dump -t/-T (pg_dump.c selectDumpableTable, getOwnedSeqs, and the
// include_everything switch): with a filter, a relation is selected when
// filter.selects its schema and name; a sequence owned by a column also when
// its table is, an identity sequence only then. Every object belonging to
// an unselected relation is left out; with include patterns, so is every
// object belonging to no relation (schemas, types, functions, extensions,
// large objects...) and the extended statistics and publication members of
// selected ones. Left-out objects stay in the graph, unprinted, so the
// order of the others is the one pg_dump's sort gives them. Only the
// selected tables keep their data.
void apply_table_filter(Context& ctx, std::vector<PgTable>& tables) {
  const TableFilter& filter = ctx.options.tables;
  if (filter.empty()) return;
  std::set<std::uint32_t> selected;
  for (std::size_t i = 0; i < ctx.graph.size(); ++i) {
    const DumpObject& o = ctx.graph[i];
    if (o.relation != 0 && o.relation == o.oid && o.priority == Priority::table &&
        filter.selects(o.schema, o.name))
      selected.insert(o.relation);
  }
  for (const auto& [sequence, owner] : ctx.owned_sequences) {
    auto [table, identity] = owner;
    if (identity && !selected.count(table)) selected.erase(sequence);
    if (selected.count(table)) selected.insert(sequence);
  }
  for (std::size_t i = 0; i < ctx.graph.size(); ++i) {
    DumpObject& o = ctx.graph[i];
    // Extended statistics and publication members go with their schema or
    // publication as well as their table (selectDumpableStatisticsObject,
    // selectDumpablePublicationObject): never with include patterns.
    bool schema_wide = o.priority == Priority::statsext || o.priority == Priority::publication_rel;
    bool keep = o.relation != 0 ? selected.count(o.relation) > 0 : filter.include.empty();
    if (schema_wide && !filter.include.empty()) keep = false;
    if (keep) continue;
    o.render = nullptr;
    o.render_definition = nullptr;
  }
  std::erase_if(tables, [&](const PgTable& t) { return !selected.count(t.oid); });
  ctx.selected_relations = std::move(selected);
}

// pg_backup_archiver.c _doSetFixedOutputState: the settings a script (and
// each \connect of --create) starts with.
std::string fixed_state(PGconn* conn) {
  return fmt::format(
      "SET statement_timeout = 0;\n"
      "SET lock_timeout = 0;\n"
      "SET idle_in_transaction_session_timeout = 0;\n"
      "SET client_encoding = '{}';\n"
      "SET standard_conforming_strings = on;\n"
      "SELECT pg_catalog.set_config('search_path', '', false);\n"
      "SET check_function_bodies = false;\n"
      "SET xmloption = content;\n"
      "SET client_min_messages = warning;\n"
      "SET row_security = off;\n\n",
      pg_encoding_to_char(PQclientEncoding(conn)));
}

// pg_backup_archiver.c RestoreArchive's header.
std::string header(PGconn* conn) {
  PgResult v = query(conn, "SELECT pg_catalog.current_setting('server_version') AS server_version");
  return fmt::format(
      "--\n-- PostgreSQL database dump\n--\n\n"
      "-- Dumped from database version {}\n"
      "-- Dumped by dbsnap version {}\n\n",
      sanitize_comment(catalog::Row(v, 0).get("server_version")), DBSNAP_VERSION);
}

}  // namespace

PgSchema read_schema(PGconn* conn, const DumpOptions& options) {
  Context ctx{conn, options, {}, {}, {}, {}, {}, {}, {}};
  read_comments(ctx);
  add_namespaces(ctx);
  add_extensions(ctx);
  add_collations(ctx);
  add_types(ctx);
  add_base_types(ctx);
  add_shell_types(ctx);
  add_routines(ctx);
  add_aggregates(ctx);
  add_casts(ctx);
  add_transforms(ctx);
  add_operators(ctx);
  add_operator_families(ctx);
  add_operator_classes(ctx);
  add_access_methods(ctx);
  add_text_search(ctx);
  add_conversions(ctx);
  add_languages(ctx);
  add_foreign_data_wrappers(ctx);
  add_foreign_servers(ctx);
  PgSchema schema;
  add_relations(ctx, schema.tables);
  add_catalog_acls(ctx);
  add_post_data(ctx);
  add_statistics(ctx);
  add_default_acls(ctx);
  add_event_triggers(ctx);
  add_publications(ctx);
  add_subscriptions(ctx);
  add_large_objects(ctx);
  apply_table_filter(ctx, schema.tables);
  add_dependencies(ctx);
  repair_type_function_loops(ctx);
  DumpObject pre_boundary, post_boundary;
  pre_boundary.priority = Priority::pre_data_boundary;
  post_boundary.priority = Priority::post_data_boundary;
  std::size_t pre = ctx.graph.add(std::move(pre_boundary));
  std::size_t post = ctx.graph.add(std::move(post_boundary));
  add_boundaries(ctx, pre, post);

  Output out(conn, options);
  for (std::size_t i : ctx.graph.sort()) {
    if (i == pre) out.start_post_data();
    if (ctx.graph[i].render) ctx.graph[i].render(out);
  }
  schema.pre_data = header(conn) + fixed_state(conn);
  if (options.create) schema.pre_data += database_entries(ctx, fixed_state(conn));
  schema.pre_data += out.pre();
  schema.post_data =
      out.post() + out.acls() + out.post_acl() + "--\n-- PostgreSQL database dump complete\n--\n\n";
  return schema;
}

}  // namespace dbsnap::pg
