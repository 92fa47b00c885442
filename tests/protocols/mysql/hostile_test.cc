// Hostile names (issue 9): a MariaDB database whose tables, columns, indexes,
// constraints, views, triggers, functions, procedures, events, sequences and
// comments carry newlines followed by client commands ("\! touch <sentinel>"),
// "\.", "*/", "--", ";", quotes, backticks, control characters and names of
// the 64-character limit (tests/protocols/mysql/hostile_schema.sql)
// round-trips through dbsnap backup and both `gunzip -c | mariadb` and
// `dbsnap restore`, and no command runs: the sentinel file is never created,
// with the sandbox line and without it (--no-sandbox: comment lines alone).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/common.h"
#include "tests/support/fixtures.h"
#include "tests/support/mysql_compare.h"
#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;

const fs::path kSentinel = "/tmp/dbsnap-hostile-my-pwned";
constexpr std::string_view kSandboxLine = "/*M!999999\\- enable the sandbox mode */ \n";

fs::path fixture_file() {
  return source_dir() / "tests" / "protocols" / "mysql" / "hostile_schema.sql";
}

std::string stem_of(const fs::path& manifest) {
  std::string s = manifest.string();
  return s.substr(0, s.size() - std::string(".manifest.json").size());
}

class MyHostile : public ::testing::Test {
 protected:
  void SetUp() override { fs::remove(kSentinel); }
  void TearDown() override {
    EXPECT_FALSE(fs::exists(kSentinel)) << "a command from the data ran: " << kSentinel;
    fs::remove(kSentinel);
  }
};

// The sentinel check can fail: the mariadb client does run "\!" at the start
// of a line, and the sandbox line stops it.
TEST_F(MyHostile, SentinelCheckSeesAClientCommandRun) {
  ScratchDir dir;
  fs::path script = dir.path() / "bang.sql";
  std::ofstream(script) << "SELECT 1;\n\\! touch " << kSentinel.string() << "\n";
  ScratchMyDatabase db("hostile_probe");
  my_load_sql_file(db.name(), script);
  EXPECT_TRUE(fs::exists(kSentinel));
  fs::remove(kSentinel);

  fs::path sandboxed = dir.path() / "sandboxed.sql";
  std::ofstream(sandboxed) << kSandboxLine << "SELECT 1;\n\\! touch " << kSentinel.string() << "\n";
  auto r = run_shell(my_client_command(db.name()) + " < " + shell_quote(sandboxed.string()));
  EXPECT_NE(r.exit_code, 0) << "the sandbox let \\! through: " << r.describe();
  EXPECT_FALSE(fs::exists(kSentinel)) << "the sandbox line did not stop \\!";
}

TEST_F(MyHostile, FixtureHasEveryObjectKind) {
  ScratchMyDatabase db("hostile_kinds");
  my_load_sql_file(db.name(), fixture_file());
  ASSERT_FALSE(fs::exists(kSentinel)) << "loading the fixture ran its commands";
  std::string in = "'" + db.name() + "'";

  auto count = [&](const std::string& table, const std::string& schema_col,
                   const std::string& name_col) {
    return std::stoi(my_query("", "SELECT count(*) FROM information_schema." + table + " WHERE " +
                                      schema_col + " = " + in + " AND LOCATE('\\n\\\\! touch ', " +
                                      name_col + ") > 0")[0][0]);
  };
  EXPECT_GE(count("TABLES", "TABLE_SCHEMA", "TABLE_NAME"), 4);  // tables, view, sequence
  EXPECT_GE(count("VIEWS", "TABLE_SCHEMA", "TABLE_NAME"), 1);
  EXPECT_GE(count("COLUMNS", "TABLE_SCHEMA", "COLUMN_NAME"), 3);
  EXPECT_GE(count("STATISTICS", "TABLE_SCHEMA", "INDEX_NAME"), 1);
  EXPECT_GE(count("TABLE_CONSTRAINTS", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME"), 2);
  EXPECT_GE(count("TRIGGERS", "TRIGGER_SCHEMA", "TRIGGER_NAME"), 1);
  EXPECT_GE(count("ROUTINES", "ROUTINE_SCHEMA", "ROUTINE_NAME"), 2);
  EXPECT_GE(count("EVENTS", "EVENT_SCHEMA", "EVENT_NAME"), 1);
  EXPECT_GE(count("TABLES", "TABLE_SCHEMA", "TABLE_COMMENT"), 1);
  EXPECT_GE(count("COLUMNS", "TABLE_SCHEMA", "COLUMN_COMMENT"), 1);
  EXPECT_GE(std::stoi(my_query("",
                               "SELECT count(*) FROM information_schema.TABLES WHERE "
                               "TABLE_SCHEMA = " +
                                   in + " AND CHAR_LENGTH(TABLE_NAME) = 64")[0][0]),
            1);
}

TEST_F(MyHostile, BackupRestoresWithMariadbAndDbsnapRestoreAndRunsNothing) {
  ScratchMyDatabase source("hostile_src");
  my_load_sql_file(source.name(), fixture_file());
  ASSERT_FALSE(fs::exists(kSentinel)) << "loading the fixture ran its commands";

  for (bool sandbox : {true, false}) {
    SCOPED_TRACE(sandbox ? "with the sandbox line" : "--no-sandbox");
    ScratchDir volume;
    std::vector<std::string> args = {"backup",       source.url(), "--to", volume.path().string(),
                                     "--chunk-size", "4KiB",       "-q"};
    if (!sandbox) args.push_back("--no-sandbox");
    auto b = run_dbsnap(args);
    ASSERT_EQ(b.exit_code, 0) << b.describe();
    auto data = find_files(volume.path(), ".sql.gz");
    auto manifests = find_files(volume.path(), ".manifest.json");
    ASSERT_EQ(data.size(), 1u);
    ASSERT_EQ(manifests.size(), 1u);
    auto head = run_shell("gunzip -c " + shell_quote(data[0].string()) + " | head -c 41");
    if (sandbox)
      EXPECT_EQ(head.out, kSandboxLine) << "the dump does not begin with the sandbox line";
    else
      EXPECT_EQ(head.out.find("sandbox"), std::string::npos) << head.out;

    {
      ScratchMyDatabase target("hostile_client");
      auto r = run_shell("gunzip -c " + shell_quote(data[0].string()) + " | " +
                         my_client_command(target.name()));
      ASSERT_EQ(r.exit_code, 0) << "mariadb failed on the dump: " << r.describe();
      EXPECT_FALSE(fs::exists(kSentinel)) << "mariadb ran a command from the dump";
      expect_same_my_database(source.name(), target.name());
    }
    for (const char* jobs : {"1", "4"}) {
      SCOPED_TRACE(std::string("dbsnap restore --jobs ") + jobs);
      ScratchMyDatabase target("hostile_dbsnap");
      auto r = run_dbsnap({"restore", stem_of(manifests[0]), "--to", target.url(), "--jobs", jobs});
      ASSERT_EQ(r.exit_code, 0) << r.describe();
      EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
      expect_same_my_database(source.name(), target.name());
    }
    {
      // The same .sql.gz as a foreign script: the splitter alone, sandbox line included.
      ScratchMyDatabase target("hostile_script");
      ScratchDir copy;
      fs::copy_file(data[0], copy.path() / "foreign.sql.gz");
      auto r = run_dbsnap(
          {"restore", (copy.path() / "foreign.sql.gz").string(), "--to", target.url(), "-q"});
      ASSERT_EQ(r.exit_code, 0) << r.describe();
      expect_same_my_database(source.name(), target.name());
    }
  }
}

}  // namespace
}  // namespace dbsnap::test
