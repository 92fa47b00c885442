// Readers of schemas (pg_dump.c dumpNamespace), extensions (dumpExtension)
// and default privileges (dumpDefaultACL).
#include <fmt/format.h>

#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

namespace {

// pg_namespace with initdb's privileges (pg_init_privs, NULL for schemas
// initdb did not make). default_owner: owned as initdb leaves the public
// schema.
struct NamespaceRow {
  std::uint32_t oid;
  std::string name, owner;
  bool default_owner;
  Acl acl;
  std::optional<std::string> init_privileges;

  static NamespaceRow read(const Row& r) {
    return read_fields<NamespaceRow>(
        r, {"oid", "name", "owner", "default_owner", "acl", "init_privileges"});
  }
};

// The public schema's default owner: pg_database_owner from PostgreSQL 15,
// the bootstrap superuser (OID 10) before (release notes 15, "public schema").
std::string namespaces_query(PGconn* conn) {
  std::string default_owner =
      PQserverVersion(conn) >= 150000
          ? "pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner'"
          : "(pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner' OR n.nspowner = 10)";
  return fmt::format(R"(
SELECT n.oid, n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
       {} AS default_owner, {}, pip.initprivs AS init_privileges
  FROM pg_catalog.pg_namespace n
  LEFT JOIN pg_catalog.pg_init_privs pip
    ON pip.objoid = n.oid AND pip.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
   AND pip.objsubid = 0
 WHERE {} AND {})",
                     default_owner, catalog::acl_columns("n.nspacl", 'n', "n.nspowner"),
                     kUserSchema, not_in_extension("pg_namespace", "n.oid"));
}

// The public schema's comment is printed when it is not initdb's, and an
// empty one when it was removed (dumpCommentExtended).
void namespace_comment(const Context& ctx, Output& out, const NamespaceRow& n) {
  std::string target = "SCHEMA " + ctx.ident(n.name);
  if (n.name != "public") {
    ctx.comment(out, catalog::kPgNamespace, n.oid, 0, target, target, "", n.owner);
    return;
  }
  auto it = ctx.comments.find({catalog::kPgNamespace, n.oid, 0});
  if (it == ctx.comments.end())
    out.comment(target, target, "", n.owner, "");
  else if (it->second != "standard public schema")
    out.comment(target, target, "", n.owner, it->second);
}

}  // namespace

// pg_dump.c dumpNamespace; the public schema as selectDumpableNamespace and
// dumpCommentExtended treat it (not created, owner and comment only when not
// the defaults).
void add_namespaces(Context& ctx) {
  for (auto& n : read_rows<NamespaceRow>(ctx.conn, namespaces_query(ctx.conn))) {
    if (n.init_privileges) {
      n.acl.base = *n.init_privileges;
      if (!n.default_owner) {
        // initdb's privileges name pg_database_owner; an owner change moved them.
        std::string role = ctx.ident(n.owner);
        for (std::size_t p; (p = n.acl.base.find("pg_database_owner")) != std::string::npos;)
          n.acl.base.replace(p, 17, role);
      }
    }
    ctx.add_object(Priority::namespace_, catalog::kPgNamespace, n.oid, "", n.name,
                   [&ctx, n](Output& out) {
                     std::string q = ctx.ident(n.name);
                     bool is_public = n.name == "public";
                     if (!is_public || !n.default_owner)
                       Entry(ctx, "SCHEMA", n.name)
                           .owner(n.owner)
                           .sql(is_public ? "-- *not* creating schema, since initdb creates it\n"
                                          : fmt::format("CREATE SCHEMA {};\n", q))
                           .alter_owner("ALTER SCHEMA " + q)
                           .write(out);
                     namespace_comment(ctx, out, n);
                     out.acl("SCHEMA " + q, "SCHEMA", q, "", "", n.owner, n.acl.acl, n.acl.is_null,
                             n.acl.base);
                   });
  }
}

namespace {

struct ExtensionRow {
  std::uint32_t oid;
  std::string name, schema;

  static ExtensionRow read(const Row& r) { return {r.oid("oid"), r.str("name"), r.str("schema")}; }
};

// A pg_depend edge (classid, objid) -> refobjid.
struct MemberRow {
  std::uint32_t classid, objid, extension;

  static MemberRow read(const Row& r) {
    return {r.oid("classid"), r.oid("objid"), r.oid("refobjid")};
  }
};

}  // namespace

// pg_dump.c dumpExtension. plpgsql and other objects created by initdb
// (OID below FirstNormalObjectId) are not dumped. Extensions have no owner
// in the archive.
void add_extensions(Context& ctx) {
  auto rows = read_rows<ExtensionRow>(ctx.conn, R"(
SELECT x.oid, x.extname AS name, n.nspname AS schema
  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
 WHERE x.oid >= 16384)");
  for (const auto& x : rows) {
    ctx.add_object(Priority::extension, catalog::kPgExtension, x.oid, "", x.name,
                   [&ctx, x](Output& out) {
                     std::string tag = "EXTENSION " + ctx.ident(x.name);
                     Entry(ctx, "EXTENSION", x.name)
                         .sql(fmt::format("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};\n",
                                          ctx.ident(x.name), ctx.ident(x.schema)))
                         .comment(catalog::kPgExtension, x.oid, tag, tag)
                         .write(out);
                   });
  }
  // Dependencies on an extension's members are dependencies on the extension.
  auto members = read_rows<MemberRow>(ctx.conn, R"(
SELECT classid, objid, refobjid FROM pg_catalog.pg_depend
 WHERE deptype = 'e' AND refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass)");
  for (const auto& m : members)
    if (auto ext = ctx.graph.find({catalog::kPgExtension, m.extension}))
      ctx.graph.map({m.classid, m.objid}, *ext);
}

namespace {

// pg_default_acl; schema "" for global entries, whose base is the built-in
// default (per-schema entries start from nothing).
struct DefaultAclRow {
  std::uint32_t oid;
  std::string role, schema;
  char kind;
  std::string acl, base;

  static DefaultAclRow read(const Row& r) {
    return read_fields<DefaultAclRow>(r, {"oid", "role", "schema", "kind", "acl", "acl_default"});
  }
};

}  // namespace

// pg_dump.c dumpDefaultACL: ALTER DEFAULT PRIVILEGES.
void add_default_acls(Context& ctx) {
  auto rows = read_rows<DefaultAclRow>(ctx.conn, R"(
SELECT d.oid, pg_catalog.pg_get_userbyid(d.defaclrole) AS role, n.nspname AS schema,
       d.defaclobjtype AS kind, d.defaclacl AS acl,
       CASE WHEN d.defaclnamespace = 0
            THEN pg_catalog.acldefault(CASE WHEN d.defaclobjtype = 'S' THEN 's'::"char"
                                            ELSE d.defaclobjtype END, d.defaclrole)
            ELSE '{}' END AS acl_default
  FROM pg_catalog.pg_default_acl d
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace)");
  for (const auto& d : rows) {
    std::string type = d.kind == 'r'   ? "TABLES"
                       : d.kind == 'S' ? "SEQUENCES"
                       : d.kind == 'f' ? "FUNCTIONS"
                       : d.kind == 'T' ? "TYPES"
                                       : "SCHEMAS";
    ctx.add_object(
        Priority::default_acl, 0, d.oid, d.schema, d.role,
        [&ctx, d, type](Output& out) {
          std::string prefix = "ALTER DEFAULT PRIVILEGES FOR ROLE " + ctx.ident(d.role) + " ";
          if (!d.schema.empty()) prefix += "IN SCHEMA " + ctx.ident(d.schema) + " ";
          out.default_acl("DEFAULT PRIVILEGES FOR " + type, prefix, type, d.schema, d.role, d.acl,
                          d.base);
        },
        type);
  }
}

}  // namespace dbsnap::pg
