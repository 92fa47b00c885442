// The MySQL dialect's text without a server: literals, INSERT statements and
// chunks, the script's fixed parts.
#include <gtest/gtest.h>
#include <mysql.h>

#include <string>
#include <vector>

#include "protocols/mysql/rows.h"
#include "protocols/mysql/script.h"
#include "protocols/mysql/sql_text.h"
#include "tests/support/mysql_dump.h"

namespace dbsnap::mysql {
namespace {

// libmariadb's own escaper, with its default (single-byte) character set: the
// same escapes as utf8mb4, whose multi-byte sequences never hold ASCII bytes.
std::string reference_escape(const std::string& s) {
  static const int init = mysql_library_init(0, nullptr, nullptr);
  EXPECT_EQ(init, 0);
  std::string out(2 * s.size() + 1, '\0');
  out.resize(mysql_escape_string(out.data(), s.data(), s.size()));
  return "'" + out + "'";
}

TEST(SqlText, EscapesEveryByteAsLibmariadbDoes) {
  std::string all;
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    EXPECT_EQ(quote_string(one), reference_escape(one)) << "byte " << b;
    all += one;
  }
  EXPECT_EQ(quote_string(all), reference_escape(all));
  std::string text = "it's \"x\" \\ 😀\n\r\x1a";
  text += '\0';
  EXPECT_EQ(quote_string(text), reference_escape(text));
  EXPECT_EQ(quote_string(""), "''");
}

TEST(SqlText, QuotesIdentifiersByDoublingBackquotes) {
  EXPECT_EQ(quote_ident("order"), "`order`");
  EXPECT_EQ(quote_ident("a`b``"), "`a``b`````");
}

TEST(SqlText, HexLiteralsAreUppercaseAndEmptyIsAnEmptyString) {
  std::string out;
  append_hex(out, std::string("\x00\xff\x10", 3));
  EXPECT_EQ(out, "0x00FF10");
  out.clear();
  append_hex(out, "");
  EXPECT_EQ(out, "''");
}

MyTable table(bool history = false, bool lock_tables = false) {
  MyTable t;
  t.name = "t";
  t.quoted = "`t`";
  t.insert = "INSERT INTO `t` VALUES ";
  t.history = history;
  t.lock_tables = lock_tables;
  return t;
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
    at = end + 1;
  }
  return out;
}

TEST(InsertWriter, StatementsStayShorterThanNetBufferLengthAndChunksNearChunkBytes) {
  MyTable t = table();
  test::CollectingSink sink(1000);
  InsertWriter writer(t, 200, sink);
  std::string tuple = "(1,'" + std::string(24, 'x') + "')";  // 30 bytes
  for (int i = 0; i < 100; ++i) writer.add(tuple);
  writer.finish();
  std::uint64_t rows = 0;
  for (const auto& c : sink.chunks) {
    EXPECT_EQ(c.section, Section::data);
    EXPECT_EQ(c.table, "t");
    EXPECT_LT(c.sql.size(), 1000u + 200u) << c.sql;
    rows += c.rows;
    auto inserts = lines_starting(c.sql, "INSERT INTO `t` VALUES ");
    std::uint64_t tuples = 0;
    for (const auto& line : inserts) {
      EXPECT_LT(line.size() - 1, 200u) << line;  // without its ';'
      EXPECT_EQ(line.back(), ';');
      tuples += (line.size() - std::string("INSERT INTO `t` VALUES ").size()) / 31;
    }
    EXPECT_EQ(tuples, c.rows);
  }
  EXPECT_EQ(rows, 100u);
  EXPECT_GT(sink.chunks.size(), 2u);
}

TEST(InsertWriter, RowLongerThanNetBufferLengthGetsAStatementOfItsOwn) {
  MyTable t = table();
  test::CollectingSink sink(1 << 20);
  InsertWriter writer(t, 100, sink);
  writer.add("(1)");
  writer.add("('" + std::string(300, 'y') + "')");
  writer.add("(2)");
  writer.finish();
  ASSERT_EQ(sink.chunks.size(), 1u);
  auto inserts = lines_starting(sink.chunks[0].sql, "INSERT");
  ASSERT_EQ(inserts.size(), 3u) << sink.chunks[0].sql;
  EXPECT_EQ(inserts[0], "INSERT INTO `t` VALUES (1);");
  EXPECT_EQ(inserts[2], "INSERT INTO `t` VALUES (2);");
  EXPECT_EQ(sink.chunks[0].rows, 3u);
}

TEST(InsertWriter, ItemWithoutRowsStillEmitsOneChunk) {
  MyTable t = table();
  test::CollectingSink sink(1 << 20);
  InsertWriter writer(t, 1000, sink);
  writer.finish();
  ASSERT_EQ(sink.chunks.size(), 1u);
  EXPECT_EQ(sink.chunks[0].rows, 0u);
  EXPECT_EQ(sink.chunks[0].sql.find("INSERT"), std::string::npos);
}

TEST(InsertWriter, ChunksCarryTheirSessionLocksAndHistorySwitch) {
  MyTable t = table(/*history=*/true, /*lock_tables=*/true);
  test::CollectingSink sink(1 << 20);
  InsertWriter writer(t, 1000, sink);
  writer.add("(1)");
  writer.finish();
  ASSERT_EQ(sink.chunks.size(), 1u);
  const std::string& sql = sink.chunks[0].sql;
  std::vector<std::string> order = {std::string(chunk_session()),
                                    "system_versioning_insert_history=1",
                                    "LOCK TABLES `t` WRITE;",
                                    "INSERT INTO `t` VALUES (1);",
                                    "UNLOCK TABLES;",
                                    "system_versioning_insert_history=@old"};
  std::size_t at = 0;
  for (const auto& part : order) {
    std::size_t found = sql.find(part, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << part << "\n" << sql;
    at = found + part.size();
  }
}

TEST(Script, StoredObjectBodyRunsUnderDelimiterWithItsSession) {
  std::string out;
  append_stored_object(out, StoredObject{"50003",
                                         "DROP PROCEDURE IF EXISTS `p`",
                                         "CREATE PROCEDURE `p`() BEGIN SELECT 1; END",
                                         "latin1",
                                         "latin1_swedish_ci",
                                         "ANSI_QUOTES",
                                         {}});
  EXPECT_NE(out.find("/*!50003 DROP PROCEDURE IF EXISTS `p` */;\n"), std::string::npos) << out;
  EXPECT_NE(out.find("SET character_set_client  = latin1 */ ;"), std::string::npos) << out;
  EXPECT_NE(out.find("SET sql_mode              = 'ANSI_QUOTES' */ ;"), std::string::npos) << out;
  EXPECT_NE(out.find("DELIMITER ;;\nCREATE PROCEDURE `p`() BEGIN SELECT 1; END ;;\nDELIMITER ;\n"),
            std::string::npos)
      << out;
  EXPECT_LT(out.find("SET sql_mode              = @saved_sql_mode"),
            out.find("SET character_set_client  = @saved_cs_client"));
}

TEST(Script, ViewsHaveNoDelimiterAndHeaderPrintsThePositionAsComments) {
  std::string out;
  append_stored_object(
      out,
      StoredObject{
          "50001", "", "CREATE VIEW `v` AS select 1", "utf8mb4", "utf8mb4_general_ci", {}, {}});
  EXPECT_EQ(out.find("DELIMITER"), std::string::npos);
  EXPECT_NE(out.find("\nCREATE VIEW `v` AS select 1;\n"), std::string::npos) << out;

  std::string header = script_header(ScriptHeader{
      "MariaDB",
      "db.example",
      "app",
      "10.11.5-MariaDB",
      {{"binlog_file", "bin.000002"}, {"binlog_position", "1234"}, {"gtid", "0-1-5"}}});
  EXPECT_EQ(header.rfind("/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump", 0), 0u)
      << header;
  EXPECT_NE(header.find("-- CHANGE MASTER TO MASTER_LOG_FILE='bin.000002', MASTER_LOG_POS=1234;"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("-- SET GLOBAL gtid_slave_pos='0-1-5';"), std::string::npos) << header;
  EXPECT_NE(header.find("SQL_MODE='NO_AUTO_VALUE_ON_ZERO'"), std::string::npos);
  std::string footer = script_footer("2026-01-02 03:04:05");
  EXPECT_NE(footer.find("SET TIME_ZONE=@OLD_TIME_ZONE"), std::string::npos);
  EXPECT_NE(footer.find("-- Dump completed on 2026-01-02 03:04:05\n"), std::string::npos);
}

// mariadb-dump 10.11's first line, byte for byte (`mariadb-dump db | head -1`);
// MySQL servers' dumps and --no-sandbox go without it.
TEST(Script, SandboxLineOnlyForMariadbUnlessTurnedOff) {
  ScriptHeader h{"MariaDB", "h", "d", "10.11.5-MariaDB", {}};
  EXPECT_EQ(script_header(h).rfind("/*M!999999\\- enable the sandbox mode */ \n--", 0), 0u);
  h.sandbox = false;
  EXPECT_EQ(script_header(h).rfind("-- MariaDB dump", 0), 0u) << script_header(h);
  ScriptHeader my{"MySQL", "h", "d", "8.0.36", {}};
  EXPECT_EQ(script_header(my).rfind("-- MySQL dump", 0), 0u) << script_header(my);
  EXPECT_EQ(script_header(my).find("sandbox"), std::string::npos);
}

// Host, database and server version stay on their comment lines.
TEST(Script, HeaderCommentLinesAreSanitised) {
  std::string header = script_header(
      ScriptHeader{"MariaDB", "h\n\\! touch /tmp/x", "d\r\n\\! touch /tmp/x", "10\n\\! v", {}});
  EXPECT_EQ(header.find("\n\\!"), std::string::npos) << header;
  EXPECT_NE(header.find("-- Host: h \\! touch /tmp/x    Database: d  \\! touch /tmp/x\n"),
            std::string::npos)
      << header;
  EXPECT_EQ(script_footer("x\n\\! y").find("\n\\!"), std::string::npos);
}

}  // namespace
}  // namespace dbsnap::mysql
