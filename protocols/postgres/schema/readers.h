// Internal to protocols/postgres/schema*.cc: the readers that turn catalog
// rows into dumpable objects (catalog.h) with pg_dump 15's statement forms.
// Each reader runs a few catalog queries on ctx.conn and adds objects to
// ctx.graph; they throw dbsnap::Error(ExitCode::server_error) when a query
// fails. Not thread-safe.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/dialect.h"
#include "protocols/postgres/schema.h"
#include "protocols/postgres/schema/catalog.h"
#include "protocols/postgres/schema/rows.h"

namespace dbsnap::pg {

// The catalog.h names every reader uses.
using catalog::Acl;
using catalog::CatalogKey;
using catalog::DumpObject;
using catalog::Output;
using catalog::Priority;
using catalog::query;
using catalog::read_rows;
using catalog::Row;
using catalog::Toc;

// Catalog filters shared by the readers: objects of user schemas only, never
// members of an extension (pg_dump checkExtensionMembership).
inline constexpr std::string_view kUserSchema =
    "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";
std::string not_in_extension(std::string_view catalog, std::string_view oid_expr);

struct Context {
  PGconn* conn;
  const DumpOptions& options;
  catalog::Graph graph;
  // pg_description by (classoid, objoid, objsubid).
  std::map<std::tuple<std::uint32_t, std::uint32_t, int>, std::string> comments;
  // pg_seclabel by (classoid, objoid), by objsubid (pg_dump's order).
  struct SecurityLabel {
    int subid;
    std::string provider, label;
  };
  std::map<CatalogKey, std::vector<SecurityLabel>> labels;
  // Materialized view object -> its REFRESH object; a refresh follows the
  // refreshes of the materialized views it reads (buildMatViewRefreshDependencies).
  std::map<std::size_t, std::size_t> refreshes;
  // Base types and their shells; a shell is printed once `needed` is set.
  struct ShellType {
    std::size_t type, shell;
    bool needed = false;
  };
  std::vector<ShellType> shell_types;
  // Sequences owned by a column: sequence OID -> (table OID, identity), for
  // the table filter (pg_dump getOwnedSeqs).
  std::map<std::uint32_t, std::pair<std::uint32_t, bool>> owned_sequences;
  // The relations a table filter (options.tables) selects; nullopt without
  // a filter (every relation). Set before the objects are printed.
  std::optional<std::set<std::uint32_t>> selected_relations;
  bool selected(std::uint32_t relation) const {
    return !selected_relations || selected_relations->count(relation) > 0;
  }

  // Adds the object (priority, schema, name, tiebreak, oid) that render
  // prints to the graph, maps (classoid, oid) to it (not when classoid is 0)
  // and returns its index.
  std::size_t add_object(Priority priority, std::uint32_t classoid, std::uint32_t oid,
                         std::string schema, std::string name, std::function<void(Output&)> render,
                         std::string tiebreak = {});

  std::string ident(std::string_view name) const { return quote_ident(conn, name); }
  std::string qualified(std::string_view schema, std::string_view name) const {
    return ident(schema) + "." + ident(name);
  }
  // The comment entry of (classoid, oid, subid) if it has one (pg_dump
  // dumpComment), then for subid 0 the object's SECURITY LABEL entry
  // (dumpSecLabel: same tag and target).
  void comment(catalog::Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
               const std::string& tag, const std::string& target, const std::string& schema,
               const std::string& owner) const;
  // Only the comment entry: relations print their labels after the comments
  // of their columns.
  void comment_only(catalog::Output& out, std::uint32_t classoid, std::uint32_t oid, int subid,
                    const std::string& tag, const std::string& target, const std::string& schema,
                    const std::string& owner) const;
  // One SECURITY LABEL entry tagged tag holding every label of (classoid,
  // oid) whose subid target() names ("" leaves it out): pg_dump dumpSecLabel
  // and, with column subids, dumpTableSecLabel.
  void security_labels(catalog::Output& out, std::uint32_t classoid, std::uint32_t oid,
                       const std::string& tag, const std::string& schema, const std::string& owner,
                       const std::function<std::string(int)>& target) const;
};

// One archive entry and the entries that follow it, as pg_dump's dump*
// functions call ArchiveEntry, then dumpComment and dumpSecLabel, then
// dumpACL (the ACL goes to Output's ACL pass, so its place among the calls
// does not matter):
//
//   Entry(ctx, "COLLATION", name).schema(schema).owner(owner).sql(defn)
//       .alter_owner("ALTER COLLATION " + q)
//       .comment(catalog::kPgCollation, oid, "COLLATION " + ctx.ident(name), "COLLATION " + q)
//       .write(out);
//
// Without owner() the entry is ownerless as pg_dump's casts, transforms,
// access methods, extensions and text search parsers and templates: its
// header says "Owner: -" and its comment and labels "Owner: " (empty).
// Borrows ctx. Not thread-safe.
class Entry {
 public:
  Entry(const Context& ctx, std::string type, std::string tag);
  Entry& schema(std::string schema);
  Entry& owner(std::string owner);
  Entry& sql(std::string defn);
  // "ALTER <KIND> <target>": printed with " OWNER TO <owner>;" after the entry.
  Entry& alter_owner(std::string target);
  // The COMMENT entry of (classoid, oid) tagged tag (COMMENT ON target) and
  // its SECURITY LABEL entry (Context::comment).
  Entry& comment(std::uint32_t classoid, std::uint32_t oid, std::string tag, std::string target);
  // GRANT/REVOKE entry tagged tag: Output::acl(tag, type, name, "", schema,
  // owner, ...).
  Entry& acl(std::string tag, std::string type, std::string name, Acl acl);
  void write(Output& out) const;

 private:
  const Context& ctx_;
  Toc toc_;
  struct Comment {
    std::uint32_t classoid, oid;
    std::string tag, target;
  };
  std::optional<Comment> comment_;
  struct Privileges {
    std::string tag, type, name;
    Acl acl;
  };
  std::optional<Privileges> acl_;
};

// The common case of the above: ctx.add_object of an object rendered as its
// entry (type kind, tag name), "ALTER <kind> <q> OWNER TO ..." and COMMENT /
// SECURITY LABEL ON "<kind> <q>" (tagged "<kind> <name quoted>"), where q is
// schema.name, or the name alone for a database-wide object (schema "").
// owner nullopt: ownerless (no ALTER ... OWNER TO). Returns add_object's id.
// Collations, conversions, statistics, text search objects, publications,
// subscriptions.
std::size_t add_owned_object(Context& ctx, Priority priority, std::uint32_t classoid,
                             const std::string& kind, std::uint32_t oid, std::string schema,
                             std::string name, std::optional<std::string> owner, std::string defn);

// schema.cc
void add_namespaces(Context& ctx);
void add_extensions(Context& ctx);
void add_default_acls(Context& ctx);
// schema/functions.cc
// A "name=value" item of proconfig or pg_db_role_setting as pg_dump prints it
// after SET: "name TO 'value'", list-valued settings (GUC_LIST_QUOTE) as one
// literal per element.
std::string config_setting(const Context& ctx, const std::string& item);
void add_routines(Context& ctx);
void add_aggregates(Context& ctx);
// schema/types.cc: enums, domains, composite and range types; base types
// and their shells; standalone shell types.
void add_types(Context& ctx);
void add_base_types(Context& ctx);
void add_shell_types(Context& ctx);
// After add_dependencies: I/O functions of a base type follow its shell.
void repair_type_function_loops(Context& ctx);
// schema/objects.cc
void add_collations(Context& ctx);
void add_statistics(Context& ctx);
void add_event_triggers(Context& ctx);
void add_casts(Context& ctx);
void add_transforms(Context& ctx);
void add_operators(Context& ctx);
void add_access_methods(Context& ctx);
// schema/text_search.cc: parsers, templates, dictionaries, configurations.
void add_text_search(Context& ctx);
// schema/foreign.cc: foreign data wrappers, servers and their user mappings.
// fdw_options_sql: an SQL expression turning column (a text[] of generic
// options) into pg_dump's OPTIONS text, "name 'value'" pairs sorted by name
// and joined by ",\n    ".
std::string fdw_options_sql(std::string_view column);
void add_foreign_data_wrappers(Context& ctx);
void add_foreign_servers(Context& ctx);
// schema/publications.cc: publications, their tables and schemas, and
// subscriptions (post-data). add_subscriptions prints nothing but a warning
// on stderr when the user is not a superuser (as pg_dump).
void add_publications(Context& ctx);
void add_subscriptions(Context& ctx);
// schema/opclasses.cc: operator families (with loose members) and classes.
void add_operator_families(Context& ctx);
void add_operator_classes(Context& ctx);
// Skipped with options.no_large_objects.
void add_large_objects(Context& ctx);
void add_conversions(Context& ctx);
void add_languages(Context& ctx);
// schema/database.cc: pg_dump --create's entries (CREATE DATABASE, owner,
// \connect, comment, security labels, DATABASE PROPERTIES, ACL) for the
// current database; fixed_state is the SET block repeated after each
// \connect. Throws dbsnap::Error for a name psql's \connect cannot carry.
std::string database_entries(Context& ctx, const std::string& fixed_state);
// schema/relations.cc: sequences, tables, views, materialized views,
// defaults, partition attachments, refreshes; fills tables.
void add_relations(Context& ctx, std::vector<PgTable>& tables);
// The privileges of pg_catalog's relations and their columns where they
// differ from initdb's (pg_dump's ACL-only dump of pg_catalog).
void add_catalog_acls(Context& ctx);
// schema/post_data.cc: constraints, indexes, index attachments, triggers,
// rules, row security and policies.
void add_post_data(Context& ctx);

}  // namespace dbsnap::pg
