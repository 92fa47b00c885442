// The mysql-client script splitter: the statements the mysql client would
// send, whatever the sizes of the pieces the script arrives in.
#include "protocols/mysql/splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/error.h"

namespace dbsnap::mysql {
namespace {

using Items = std::vector<std::string>;

// "line:text" of each statement of script fed in pieces of piece bytes.
Items split(std::string_view script, std::size_t piece) {
  ScriptSplitter s;
  Items items;
  auto drain = [&] {
    while (auto st = s.next())
      items.push_back(std::to_string(st->line) + ":" + std::string(st->text));
  };
  for (std::size_t at = 0; at < script.size(); at += piece) {
    s.feed(script.substr(at, piece));
    drain();
  }
  s.finish();
  drain();
  return items;
}

Items split_all_ways(std::string_view script) {
  auto whole = split(script, script.size() + 1);
  for (std::size_t piece : {1, 2, 3, 5, 8, 13, 64})
    EXPECT_EQ(split(script, piece), whole) << "fed in pieces of " << piece << " bytes";
  return whole;
}

TEST(MyScriptSplitter, SemicolonsInStringsIdentifiersAndComments) {
  EXPECT_EQ(split_all_ways("INSERT INTO `a;b` VALUES ('x;y','it''s;','a\\';b',\"q\\\";\");\n"
                           "# c;d\nSELECT 1 -- e;f\n;\nSELECT 2 /* g; */ + 3;"),
            (Items{"1:INSERT INTO `a;b` VALUES ('x;y','it''s;','a\\';b',\"q\\\";\")",
                   "3:SELECT 1 -- e;f", "5:SELECT 2 /* g; */ + 3"}));
}

TEST(MyScriptSplitter, DoubleDashNeedsASpaceToBeAComment) {
  EXPECT_EQ(split_all_ways("SELECT 1--1;\nSELECT 2;--\nSELECT 3;"),
            (Items{"1:SELECT 1--1", "2:SELECT 2", "3:SELECT 3"}));
}

TEST(MyScriptSplitter, BackquotedIdentifiersHaveNoBackslashEscapes) {
  EXPECT_EQ(split_all_ways("SELECT `a\\`; SELECT `b``;c`;"),
            (Items{"1:SELECT `a\\`", "1:SELECT `b``;c`"}));
}

// mariadb-dump's first line is a client command: not sent, in any piece size.
TEST(MyScriptSplitter, SandboxLineIsAClientCommandNotAStatement) {
  EXPECT_EQ(split_all_ways("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n"
                           "/*!40101 SET NAMES utf8mb4 */;\nSELECT 1;\n"),
            (Items{"3:/*!40101 SET NAMES utf8mb4 */", "4:SELECT 1"}));
  // Only at the start of a statement, and only the exact command.
  EXPECT_EQ(split_all_ways("SELECT 1 /*M!999999\\- x */;\n/*M!999998 SET y=1 */;\n"),
            (Items{"1:SELECT 1 /*M!999999\\- x */", "2:/*M!999998 SET y=1 */"}));
}

TEST(MyScriptSplitter, VersionedCommentsAreSentToTheServer) {
  EXPECT_EQ(split_all_ways("-- MySQL dump\n/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */;\n"
                           "/* plain */ /*!50003 SET x = ';' */;\n/*M!100100 SET y=1 */;\n"
                           "/*!40000 ALTER TABLE `t` DISABLE KEYS */;"),
            (Items{"2:/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */", "3:/*!50003 SET x = ';' */",
                   "4:/*M!100100 SET y=1 */", "5:/*!40000 ALTER TABLE `t` DISABLE KEYS */"}));
}

TEST(MyScriptSplitter, DelimiterBlocksKeepRoutineBodiesWhole) {
  std::string trigger =
      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER ins BEFORE INSERT "
      "ON t FOR EACH ROW BEGIN\n  SET NEW.a = ';';\n  SET NEW.b = 2;\nEND */";
  EXPECT_EQ(split_all_ways("SET NAMES utf8mb4;\nDELIMITER ;;\n" + trigger +
                           ";;\ndelimiter ;\nSELECT 1;\nDELIMITER //\nCREATE PROCEDURE p() "
                           "BEGIN SELECT 1; END//\nDELIMITER ;\n"),
            (Items{"1:SET NAMES utf8mb4", "3:" + trigger, "8:SELECT 1",
                   "10:CREATE PROCEDURE p() BEGIN SELECT 1; END"}));
}

TEST(MyScriptSplitter, DelimiterOnlyAtTheStartOfAStatement) {
  EXPECT_EQ(split_all_ways("SELECT delimiter FROM t;\nSELECT 1\nDELIMITER ;;\n"),
            (Items{"1:SELECT delimiter FROM t", "2:SELECT 1\nDELIMITER"}));
}

TEST(MyScriptSplitter, CommentOnlyStatementsAreSkipped) {
  EXPECT_EQ(split_all_ways("-- a\n/* b */;\n;\n# c\n"), Items{});
}

TEST(MyScriptSplitter, LastStatementWithoutDelimiterIsSent) {
  EXPECT_EQ(split_all_ways("SELECT 1;\nSELECT 2\n"), (Items{"1:SELECT 1", "2:SELECT 2"}));
}

TEST(MyScriptSplitter, UnterminatedStringIsAnErrorNamingItsLine) {
  for (std::string script : {"SELECT 1;\nSELECT 'abc;\n", "SELECT `a", "/* x"}) {
    SCOPED_TRACE(script);
    try {
      split(script, 3);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::verify_failed);
      EXPECT_NE(std::string(e.what()).find("ends inside"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dbsnap::mysql
