// dbsnap backup --globals (pg_dumpall --globals-only): roles with their
// attributes, passwords, comments, settings (also in one database) and
// memberships, and a tablespace, round-trip through `gunzip -c | psql` and
// `dbsnap restore --to SERVER`; a role named with a quote, a newline + "\!"
// and a backslash runs nothing; the script has pg_dumpall's statements; a user that cannot read
// pg_authid gets the roles without passwords and a warning; MySQL refuses --globals.
//
// Roles are global to the cluster: every role and the tablespace of a test
// start with its unique prefix, only they are compared, and they are dropped
// at the end even when the test fails. The restoring tests load the whole
// server's globals back and run alone (tests/run_serial.cmake).
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/common.h"
#include "tests/support/pg.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

using Rows = std::vector<std::vector<std::string>>;

// Roles and one tablespace named after a unique prefix, made in the
// constructor and dropped in the destructor (also after a failure).
class GlobalsFixture {
 public:
  GlobalsFixture() : prefix_(unique_name("g")) {}
  ~GlobalsFixture() {
    try {
      drop();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "could not drop the test's roles: " << e.what();
    }
  }

  std::string owner() const { return prefix_ + "_owner"; }
  std::string group() const { return prefix_ + "_group"; }
  // A quote, a newline followed by a psql meta-command, a backslash.
  std::string hostile() const { return prefix_ + "'q\n\\! touch pwned\n\\"; }
  std::string tablespace() const { return prefix_ + "_ts"; }
  const std::string& prefix() const { return prefix_; }

  void create_roles() {
    pg_exec("postgres",
            "CREATE ROLE " + ident(owner()) +
                " LOGIN CREATEDB PASSWORD 'pw-secret' CONNECTION LIMIT 5 "
                "VALID UNTIL '2031-02-03 04:05:06+00';"
                "CREATE ROLE " +
                ident(group()) + " NOINHERIT;" + "CREATE ROLE " + ident(hostile()) +
                " LOGIN;"
                "GRANT " +
                ident(group()) + " TO " + ident(owner()) + " WITH ADMIN OPTION;" + "GRANT " +
                ident(group()) + " TO " + ident(hostile()) + " GRANTED BY " + ident(owner()) +
                ";"
                "ALTER ROLE " +
                ident(owner()) + " SET work_mem = '8MB';" + "ALTER ROLE " + ident(owner()) +
                " SET search_path = a, \"B c\";" + "ALTER ROLE " + ident(hostile()) +
                " IN DATABASE postgres SET statement_timeout = '5s';" + "COMMENT ON ROLE " +
                ident(hostile()) + " IS " + literal("line one\n\\! touch pwned\nit's") + ";" +
                "GRANT SET ON PARAMETER " + ident(prefix_ + ".opt") + " TO " + ident(owner()));
  }

  // A tablespace in dir (made writable by the server's OS user).
  void create_tablespace(const fs::path& dir) {
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    if (geteuid() == 0) {  // as root, tools/pg-local.sh runs the server as postgres
      const passwd* pw = getpwnam("postgres");
      ASSERT_NE(pw, nullptr);
      ASSERT_EQ(chown(dir.c_str(), pw->pw_uid, pw->pw_gid), 0);
    }
    pg_exec("postgres", "CREATE TABLESPACE " + ident(tablespace()) + " OWNER " + ident(owner()) +
                            " LOCATION " + literal(dir.string()) + " WITH (random_page_cost = 2)");
    pg_exec("postgres", "GRANT CREATE ON TABLESPACE " + ident(tablespace()) + " TO " +
                            ident(group()) + "; COMMENT ON TABLESPACE " + ident(tablespace()) +
                            " IS 'fast disk'");
  }

  // DROP OWNED BY: also the privileges on parameters, which DROP ROLE refuses.
  void drop() {
    pg_exec("postgres", "DROP TABLESPACE IF EXISTS " + ident(tablespace()));
    for (const auto& role : {hostile(), owner(), group()})
      if (!pg_query("postgres", "SELECT 1 FROM pg_roles WHERE rolname = " + literal(role)).empty())
        pg_exec("postgres", "DROP OWNED BY " + ident(role) + "; DROP ROLE " + ident(role));
  }

  // Everything the globals hold of the test's roles and tablespace.
  Rows state() const {
    std::string mine =
        "pg_catalog.left({0}, " + std::to_string(prefix_.size()) + ") = " + literal(prefix_);
    auto of = [&](const std::string& column) {
      std::string s = mine;
      return s.replace(s.find("{0}"), 3, column);
    };
    Rows out;
    for (const std::string& sql :
         {"SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
          "rolreplication, rolbypassrls, rolconnlimit, coalesce(rolpassword, '<none>'), "
          "coalesce(rolvaliduntil::text, '<none>'), "
          "coalesce(pg_catalog.shobj_description(oid, 'pg_authid'), '<none>') "
          "FROM pg_catalog.pg_authid WHERE " +
              of("rolname") + " ORDER BY 1",
          "SELECT r.rolname, m.rolname, a.admin_option, g.rolname "
          "FROM pg_catalog.pg_auth_members a JOIN pg_catalog.pg_roles r ON r.oid = a.roleid "
          "JOIN pg_catalog.pg_roles m ON m.oid = a.member "
          "JOIN pg_catalog.pg_roles g ON g.oid = a.grantor WHERE " +
              of("m.rolname") + " ORDER BY 1, 2",
          "SELECT r.rolname, coalesce(d.datname, '<none>'), s.setconfig::text "
          "FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = "
          "s.setrole LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase WHERE " +
              of("r.rolname") + " ORDER BY 1, 2",
          "SELECT spcname, pg_catalog.pg_get_userbyid(spcowner), "
          "pg_catalog.pg_tablespace_location(oid), spcoptions::text, spcacl::text, "
          "pg_catalog.shobj_description(oid, 'pg_tablespace') FROM pg_catalog.pg_tablespace "
          "WHERE " +
              of("spcname"),
          "SELECT parname, paracl::text FROM pg_catalog.pg_parameter_acl WHERE " + of("parname")}) {
      Rows rows = pg_query("postgres", sql);
      out.insert(out.end(), rows.begin(), rows.end());
      out.push_back({"--"});
    }
    return out;
  }

 private:
  std::string prefix_;
};

// The one snapshot under volume: its manifest path without the suffix.
std::string only_snapshot(const fs::path& volume) {
  auto manifests = find_files(volume, ".manifest.json");
  EXPECT_EQ(manifests.size(), 1u);
  if (manifests.empty()) return "";
  std::string s = manifests[0].string();
  return s.substr(0, s.size() - std::string(".manifest.json").size());
}

// "postgres://user:password@host..." with another user and password.
std::string url_as(const std::string& url, const std::string& user, const std::string& password) {
  auto scheme = url.find("://") + 3;
  auto at = url.find('@', scheme);
  return url.substr(0, scheme) + user + ":" + password + url.substr(at);
}

TEST(PgGlobals, BackupRestoresRolesAndTablespaceWithPsqlAndDbsnapRestore) {
  ScratchDir volume, work, location;
  GlobalsFixture g;
  g.create_roles();
  g.create_tablespace(location.path());
  Rows before = g.state();
  // 3 roles, 2 memberships, 2 settings rows, 1 tablespace, 1 parameter ACL,
  // each list ended by "--".
  ASSERT_EQ(before.size(), 4u + 3u + 3u + 2u + 2u) << "fixture rows";

  auto r = run_dbsnap({"backup", pg_url(), "--globals", "--to", volume.path().string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::string stem = only_snapshot(volume.path());
  ASSERT_NE(stem.find("/globals/"), std::string::npos) << stem;
  std::string manifest = read_file(stem + ".manifest.json");
  EXPECT_NE(manifest.find("\"globals\": \"true\""), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("pw-secret"), std::string::npos);
  auto script = run_shell("gunzip -c " + shell_quote(stem + ".sql.gz"));
  ASSERT_EQ(script.exit_code, 0) << script.describe();
  EXPECT_NE(script.out.find("CREATE ROLE " + g.owner() + ";\nALTER ROLE " + g.owner() +
                            " WITH NOSUPERUSER INHERIT NOCREATEROLE CREATEDB LOGIN "
                            "NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD "
                            "'SCRAM-SHA-256$"),
            std::string::npos)
      << script.out;
  EXPECT_NE(script.out.find("-- Role memberships"), std::string::npos);
  EXPECT_NE(script.out.find("-- Tablespaces"), std::string::npos);

  // gunzip -c | psql, as pg_dumpall's script is run: errors (CREATE ROLE of
  // roles that exist) do not stop it.
  g.drop();
  auto psql = run_shell("cd " + shell_quote(work.path().string()) + " && gunzip -c " +
                        shell_quote(stem + ".sql.gz") + " | psql -X -q -v ON_ERROR_STOP=0 " +
                        shell_quote(pg_url()));
  EXPECT_EQ(psql.exit_code, 0) << psql.describe();
  EXPECT_FALSE(fs::exists(work.path() / "pwned")) << "a command from a role name ran";
  EXPECT_EQ(g.state(), before);

  g.drop();
  r = run_dbsnap({"restore", stem, "--to", pg_url()});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("restored the roles and tablespaces"), std::string::npos) << r.out;
  EXPECT_EQ(g.state(), before);

  // Again, onto the roles that now exist: they are kept and updated.
  pg_exec("postgres", "ALTER ROLE " + ident(g.owner()) + " NOLOGIN CONNECTION LIMIT 1");
  r = run_dbsnap({"restore", stem, "--to", pg_url(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(g.state(), before);

  r = run_dbsnap({"snapshots", volume.path().string()});
  EXPECT_NE(r.out.find("(globals)"), std::string::npos) << r.out;
  r = run_dbsnap({"verify", stem});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  r = run_dbsnap({"verify", stem, "--restore-into", pg_url()});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  r = run_dbsnap({"restore", stem, "--to", pg_url(), "--drop"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
}

// text without its comment lines, blank lines and \restrict/\unrestrict keys.
std::string statements(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && !line.starts_with("--") && !line.starts_with("\\restrict") &&
        !line.starts_with("\\unrestrict"))
      out += std::string(line) + "\n";
    start = end + 1;
  }
  return out;
}

// pg_dumpall's literals with a backslash (E'a\\b', appendStringLiteralConn)
// as dbsnap writes them ('a\b', standard_conforming_strings on): the same
// value. Only the fixture's comment has one.
std::string standard_literals(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, " E'") == 0) {
      out += " '";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "\\\\") == 0) ++i;  // a doubled backslash: one
    out += text[i];
  }
  return out;
}

// Statement for statement what pg_dumpall --globals-only prints, but for the
// per-database role settings that dbsnap adds at the end.
TEST(PgGlobals, ScriptHasTheStatementsOfPgDumpallGlobalsOnly) {
  ScratchDir volume, location;
  GlobalsFixture g;
  g.create_roles();
  g.create_tablespace(location.path());
  auto r = run_dbsnap({"backup", pg_url(), "--globals", "--to", volume.path().string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  auto mine = run_shell("gunzip -c " + shell_quote(only_snapshot(volume.path()) + ".sql.gz"));
  auto theirs = run({"pg_dumpall", "--globals-only", "--dbname", pg_url()});
  ASSERT_EQ(mine.exit_code, 0) << mine.describe();
  ASSERT_EQ(theirs.exit_code, 0) << theirs.describe();
  std::size_t extra = mine.out.find("--\n-- Per-Database Role Settings\n");
  ASSERT_NE(extra, std::string::npos) << mine.out;
  std::string added = statements(mine.out.substr(extra));
  EXPECT_EQ(statements(mine.out.substr(0, extra)), standard_literals(statements(theirs.out)));
  EXPECT_NE(added.find("ALTER ROLE " + ident(g.hostile()) +
                       " IN DATABASE postgres SET statement_timeout TO '5s';"),
            std::string::npos)
      << added;
}

TEST(PgGlobals, UserWithoutPgAuthidGetsRolesWithoutPasswordsAndAWarning) {
  ScratchDir volume;
  GlobalsFixture g;
  g.create_roles();
  pg_exec("postgres", "ALTER ROLE " + ident(g.owner()) + " PASSWORD 'pw-owner'");
  auto r = run_dbsnap({"backup", url_as(pg_url(), g.owner(), "pw-owner"), "--globals", "--to",
                       volume.path().string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("warning: user '" + g.owner() + "' cannot read pg_authid"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  std::string stem = only_snapshot(volume.path());
  auto script = run_shell("gunzip -c " + shell_quote(stem + ".sql.gz"));
  ASSERT_EQ(script.exit_code, 0) << script.describe();
  EXPECT_NE(script.out.find("CREATE ROLE " + g.group() + ";"), std::string::npos);
  EXPECT_NE(script.out.find("ALTER ROLE " + g.owner() + " SET work_mem TO '8MB';"),
            std::string::npos)
      << script.out;
  EXPECT_EQ(script.out.find(" PASSWORD "), std::string::npos) << script.out;
}

TEST(PgGlobals, MysqlRefusesGlobalsWithItsOwnExitCode) {
  ScratchDir volume;
  auto r = run_dbsnap({"backup", my_url(), "--globals", "--to", volume.path().string()});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("--globals is for PostgreSQL only"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(find_files(volume.path(), ".manifest.json").empty());
}

}  // namespace
}  // namespace dbsnap::test
