// Internal to protocols/postgres/schema*.cc: the graph of dumpable catalog
// objects, pg_dump's sort of it, and the writer of archive (TOC) entries.
//
// The forms follow pg_dump 15: object priorities from pg_dump_sort.c
// (dbObjectTypePriorities), the ordering from sortDumpableObjectsByTypeName +
// TopoSort, entry headers from pg_backup_archiver.c (_printTocEntry), ACL
// commands from dumputils.c (buildACLCommands, parseAclItem).
// Nothing here is thread-safe: one graph per read_schema call.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/dialect.h"
#include "protocols/postgres/connection.h"

namespace dbsnap::pg::catalog {

// Runs a catalog query on conn; throws dbsnap::Error(ExitCode::server_error)
// naming the query when the server rejects it.
PgResult query(PGconn* conn, std::string_view sql);

// System catalog OIDs (fixed in every PostgreSQL release), the classid of
// pg_depend and pg_description rows.
inline constexpr std::uint32_t kPgType = 1247, kPgProc = 1255, kPgClass = 1259, kPgAm = 2601,
                               kPgAttrdef = 2604, kPgCast = 2605, kPgConstraint = 2606,
                               kPgOperator = 2617, kPgRewrite = 2618, kPgTrigger = 2620,
                               kPgNamespace = 2615, kPgExtension = 3079, kPgPolicy = 3256,
                               kPgStatisticExt = 3381, kPgLargeObject = 2613, kPgTsDict = 3600,
                               kPgTsParser = 3601, kPgTsConfig = 3602, kPgTsTemplate = 3764,
                               kPgConversion = 2607, kPgLanguage = 2612,
                               kPgForeignDataWrapper = 2328, kPgForeignServer = 1417,
                               kPgPublication = 6104, kPgCollation = 3456, kPgEventTrigger = 3466,
                               kPgTransform = 3576, kPgSubscription = 6100;

// pg_dump_sort.c dbObjectTypePriorities (PostgreSQL 15), the first sort key.
enum class Priority : int {
  namespace_ = 1,
  proclang,
  collation,
  transform,
  extension,
  type,
  cast,
  func,
  agg,
  access_method,
  operator_,
  opfamily,
  conversion,
  tsparser,
  tstemplate,
  tsdict,
  tsconfig,
  fdw,
  foreign_server,
  table,
  table_attach,
  dummy_type,
  attrdef,
  large_object,
  pre_data_boundary,
  table_data,
  sequence_set,
  large_object_data,
  post_data_boundary,
  constraint,
  index,
  index_attach,
  statsext,
  rule,
  trigger,
  fk_constraint,
  policy,
  publication,
  publication_rel,
  publication_table_in_schema,
  subscription,
  default_acl,
  event_trigger,
  refresh_matview,
};

// (catalog OID, object OID): how pg_depend names an object.
using CatalogKey = std::pair<std::uint32_t, std::uint32_t>;

// One archive entry as pg_dump prints it:
//   --
//   -- Name: <tag>; Type: <type>; Schema: <schema or ->; Owner: <owner or ->
//   --
//
//   <defn>
//
//
//   <alter_owner> OWNER TO <owner>;      (when alter_owner is set and owners are kept)
// owner is nullopt for pg_dump's NULL owner (casts, transforms, access
// methods, extensions: "Owner: -"); "" is printed as it is ("Owner: ", as
// pg_dump's comments and security labels of those objects). Source:
// pg_backup_archiver.c _printTocEntry and sanitize_line (a hyphen only for NULL).
struct Toc {
  std::string tag, type, schema;
  std::optional<std::string> owner;
  std::string defn;                       // complete statements, each ending "\n"
  std::string alter_owner;                // e.g. "ALTER TABLE public.t"; empty: no owner line
  std::optional<std::string> tablespace;  // set for relations and indexes ("" = default)
  std::optional<std::string> table_am;    // set for tables and materialized views
};

// Writes entries in the order the graph is sorted. Pre-data and post-data
// text go to the current section; ACL entries are held for pg_dump's ACL pass
// and matview refreshes for its post-ACL pass (pg_backup_archiver.c
// RestoreArchive: RESTORE_PASS_MAIN, _ACL, _POST_ACL).
class Output {
 public:
  Output(PGconn* conn, const DumpOptions& options) : conn_(conn), options_(options) {}
  PGconn* conn() const { return conn_; }
  const DumpOptions& options() const { return options_; }

  void entry(const Toc& toc) { write(*section_, toc); }
  // COMMENT ON <target> IS '<text>'; as an entry tagged "<kind_tag>".
  void comment(const std::string& tag, const std::string& target, const std::string& schema,
               const std::string& owner, const std::string& text);
  // GRANT/REVOKE turning base into acl (aclitem[] texts) for the ACL pass;
  // nothing when acl is NULL (is_null) or the options omit privileges.
  // type: TABLE, SEQUENCE, FUNCTION, PROCEDURE, SCHEMA, TYPE, ...; name: the
  // quoted unqualified name (with signature for routines); column: quoted
  // column name for column privileges, else empty.
  void acl(const std::string& tag, const std::string& type, const std::string& name,
           const std::string& column, const std::string& schema, const std::string& owner,
           std::string_view acl, bool is_null, std::string_view base);
  // ALTER DEFAULT PRIVILEGES entries (dumpDefaultACL): type TABLES,
  // SEQUENCES, FUNCTIONS, TYPES or SCHEMAS; prefix "ALTER DEFAULT PRIVILEGES
  // FOR ROLE r [IN SCHEMA s] ".
  void default_acl(const std::string& tag, const std::string& prefix, const std::string& type,
                   const std::string& schema, const std::string& owner, std::string_view acl,
                   std::string_view base);
  void refresh(const Toc& toc) { write(post_acl_, toc); }

  void start_post_data() { section_ = &post_; }
  std::string& pre() { return pre_; }
  std::string& post() { return post_; }
  std::string& acls() { return acl_; }
  std::string& post_acl() { return post_acl_; }

 private:
  void write(std::string& out, const Toc& toc);
  std::string acl_commands(const std::string& prefix, const std::string& type,
                           const std::string& target, const std::string& column,
                           const std::string& owner, std::string_view acl, std::string_view base);

  PGconn* conn_;
  const DumpOptions& options_;
  std::string pre_, post_, acl_, post_acl_;
  std::string* section_ = &pre_;
  std::optional<std::string> tablespace_, table_am_;
};

// A dumpable object: its sort keys (pg_dump_sort.c DOTypeNameCompare), the
// objects it must follow, and how to print it once the order is known.
struct DumpObject {
  Priority priority = Priority::table;
  std::string schema;    // namespace name; "" sorts after any schema
  std::string name;      // unquoted
  std::string tiebreak;  // argument types, table name, column number...
  std::uint32_t oid = 0;
  // The relation (pg_class OID) this object is or belongs to (a table and
  // its defaults, constraints, indexes, triggers, rules, policies, extended
  // statistics, publication memberships...), 0 for none: what a table
  // filter keeps or leaves out with it (schema.cc apply_table_filter).
  std::uint32_t relation = 0;
  std::function<void(Output&)> render;  // empty for objects printed inside others
  std::vector<std::size_t> deps;
  // Column defaults: the table they belong to, and whether they are printed
  // as a separate ALTER TABLE (set when inlining would close a loop).
  std::optional<std::size_t> default_of;
  bool separate = false;
  // Views: when the definition needs a post-data object (a primary key that
  // makes GROUP BY columns functionally dependent), the view is printed with
  // NULL columns (dummy) and render_definition prints CREATE OR REPLACE VIEW
  // as a post-data _RETURN rule (pg_dump_sort.c repairViewRuleMultiLoop).
  bool is_view = false, dummy = false;
  std::function<void(Output&)> render_definition;
  std::vector<std::size_t> definition_deps;  // dependencies of the view's query
};

class Graph {
 public:
  std::size_t add(DumpObject object);
  DumpObject& operator[](std::size_t i) { return objects_[i]; }
  const DumpObject& operator[](std::size_t i) const { return objects_[i]; }
  std::size_t size() const { return objects_.size(); }

  // pg_depend names objects by (classid, objid); several keys may name one
  // dumpable object (a view and its _RETURN rule, an index and its constraint).
  void map(CatalogKey key, std::size_t object);
  std::optional<std::size_t> find(CatalogKey key) const;
  void depend(std::size_t object, std::size_t on);

  // Sorts by (priority, schema, name, tiebreak, oid), then reorders as little
  // as needed to satisfy every dependency (TopoSort). A loop through a table
  // and one of its inline defaults is broken by printing the default
  // separately (pg_dump_sort.c repairTableAttrDefMultiLoop); any other loop
  // loses one dependency edge.
  std::vector<std::size_t> sort();

 private:
  std::vector<std::size_t> topo_sort(const std::vector<std::size_t>& items,
                                     std::vector<std::size_t>& out) const;
  std::vector<std::size_t> find_loop(const std::vector<std::size_t>& stuck) const;
  void repair(const std::vector<std::size_t>& loop);

  std::vector<DumpObject> objects_;
  std::map<CatalogKey, std::size_t> keys_;
};

// Elements of a one-dimensional array's text form ({a,"b c",NULL}); NULLs dropped.
std::vector<std::string> parse_array(std::string_view text);

// body quoted the way pg_dump's appendStringLiteralDQ does: $$...$$, or
// $_$, $_X$... when the delimiter occurs in body.
std::string dollar_quote(std::string_view body);

}  // namespace dbsnap::pg::catalog
