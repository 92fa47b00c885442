// The psql script splitter: statements, COPY data and meta-commands as psql
// would run them, whatever the sizes of the pieces the script arrives in.
#include "protocols/postgres/splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/error.h"

namespace dbsnap::pg {
namespace {

// The items of script fed in pieces of piece bytes, as "S@line:text",
// "D:data", "E" (copy end), "M@line:text". A statement starting with COPY and
// ending in "FROM stdin" switches to COPY data, as the server's COPY IN answer would.
std::vector<std::string> split(std::string_view script, std::size_t piece,
                               std::size_t copy_piece = kCopyPieceBytes) {
  ScriptSplitter s(copy_piece);
  std::vector<std::string> items;
  std::string data;  // COPY data pieces joined, so piece sizes do not show
  auto drain = [&] {
    while (auto item = s.next()) {
      switch (item->kind) {
        case ScriptItem::Kind::statement: {
          std::string text(item->text);
          items.push_back("S@" + std::to_string(item->line) + ":" + text);
          if (text.starts_with("COPY") && text.ends_with("FROM stdin")) s.start_copy_data();
          break;
        }
        case ScriptItem::Kind::copy_data:
          data += item->text;
          break;
        case ScriptItem::Kind::copy_end:
          items.push_back("D:" + data);
          data.clear();
          items.push_back("E");
          break;
        case ScriptItem::Kind::meta_command:
          items.push_back("M@" + std::to_string(item->line) + ":" + std::string(item->text));
          break;
      }
    }
  };
  for (std::size_t at = 0; at < script.size(); at += piece) {
    s.feed(script.substr(at, piece));
    drain();
  }
  s.finish();
  drain();
  return items;
}

// Every piece size gives the same items.
std::vector<std::string> split_all_ways(std::string_view script) {
  auto whole = split(script, script.size() + 1);
  for (std::size_t piece : {1, 2, 3, 5, 8, 13, 64}) {
    EXPECT_EQ(split(script, piece), whole) << "fed in pieces of " << piece << " bytes";
  }
  return whole;
}

using Items = std::vector<std::string>;

TEST(PgScriptSplitter, SplitsAtSemicolonsOutsideQuotesAndComments) {
  EXPECT_EQ(split_all_ways("SELECT 1;\nSELECT 'a;b' AS \"x;y\"; -- c;d\nSELECT 2 /* e; */ + 3;\n"),
            (Items{"S@1:SELECT 1", "S@2:SELECT 'a;b' AS \"x;y\"", "S@3:SELECT 2 /* e; */ + 3"}));
}

TEST(PgScriptSplitter, SkipsLeadingCommentsAndBlankStatements) {
  EXPECT_EQ(
      split_all_ways("--\n-- Name: film; Type: TABLE\n--\n\n;;\n/* x */ CREATE TABLE t (a int);\n"),
      (Items{"S@6:CREATE TABLE t (a int)"}));
}

TEST(PgScriptSplitter, DoubledQuotesAndEscapeStrings) {
  EXPECT_EQ(split_all_ways("SELECT 'it''s;'; SELECT E'it\\'s;\\\\'; SELECT e'\\\\';"
                           "SELECT some'x;'; SELECT E'a''b;';"),
            (Items{"S@1:SELECT 'it''s;'", "S@1:SELECT E'it\\'s;\\\\'", "S@1:SELECT e'\\\\'",
                   "S@1:SELECT some'x;'", "S@1:SELECT E'a''b;'"}));
}

TEST(PgScriptSplitter, BackslashIsLiteralInStandardStrings) {
  // With standard_conforming_strings on, 'a\' is a whole string.
  EXPECT_EQ(split_all_ways("SELECT 'a\\'; SELECT 2;"), (Items{"S@1:SELECT 'a\\'", "S@1:SELECT 2"}));
}

TEST(PgScriptSplitter, BackslashEscapesWhenStandardConformingStringsIsOff) {
  ScriptSplitter s;
  s.set_standard_conforming_strings(false);
  s.feed("SELECT 'a\\'; b'; SELECT 2;");
  s.finish();
  auto first = s.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text, "SELECT 'a\\'; b'");
}

TEST(PgScriptSplitter, DollarQuotesWithAndWithoutTags) {
  std::string fn =
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  PERFORM 'x;';"
      " RETURN $$;$$::text; -- $body\nEND;\n$body$";
  EXPECT_EQ(split_all_ways(fn + ";\nSELECT $$a;b$$, $q$ $$; $q$;\n"),
            (Items{"S@1:" + fn, "S@6:SELECT $$a;b$$, $q$ $$; $q$"}));
}

TEST(PgScriptSplitter, DollarInIdentifiersAndParametersIsNoQuote) {
  EXPECT_EQ(split_all_ways("SELECT a$b$c FROM t$1; PREPARE p AS SELECT $1;"),
            (Items{"S@1:SELECT a$b$c FROM t$1", "S@1:PREPARE p AS SELECT $1"}));
}

TEST(PgScriptSplitter, NestedBlockComments) {
  EXPECT_EQ(split_all_ways("/* a /* b; */ c; */ SELECT 1 /* x /* y */ ; */;SELECT 2;"),
            (Items{"S@1:SELECT 1 /* x /* y */ ; */", "S@1:SELECT 2"}));
}

TEST(PgScriptSplitter, SemicolonsInParenthesesDoNotEnd) {
  EXPECT_EQ(split_all_ways("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);"),
            (Items{"S@1:CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)"}));
}

TEST(PgScriptSplitter, SqlStandardFunctionBodyKeepsItsSemicolons) {
  std::string fn =
      "CREATE FUNCTION public.f(a integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n"
      " SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n SELECT a;\nEND";
  std::string proc = "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END";
  EXPECT_EQ(split_all_ways(fn + ";\n" + proc + ";\nSELECT 'begin';"),
            (Items{"S@1:" + fn, "S@7:" + proc, "S@8:SELECT 'begin'"}));
  // BEGIN in other statements is an ordinary word.
  EXPECT_EQ(split_all_ways("BEGIN; SELECT 1; END;"),
            (Items{"S@1:BEGIN", "S@1:SELECT 1", "S@1:END"}));
}

TEST(PgScriptSplitter, CopyDataUpToBackslashDot) {
  std::string script =
      "COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n3\t'\n\\.\n\nSELECT 1;\n"
      "COPY public.e (a) FROM stdin;\n\\.\nSELECT 2";
  EXPECT_EQ(
      split_all_ways(script),
      (Items{"S@1:COPY public.t (a, b) FROM stdin", "D:1\tx;y\n2\t\\N\n3\t'\n", "E", "S@7:SELECT 1",
             "S@8:COPY public.e (a) FROM stdin", "D:", "E", "S@10:SELECT 2"}));
}

TEST(PgScriptSplitter, CopyDataWithCrLfLines) {
  EXPECT_EQ(split_all_ways("COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 1;"),
            (Items{"S@1:COPY t FROM stdin", "D:1\r\n", "E", "S@4:SELECT 1"}));
}

// Lines longer than the piece size come out in pieces, as they arrive; the
// data joined is the same, lines are counted alike, and the rest of a cut
// line is never taken for the "\." terminator (here "xxxx\\." cut after "xxxx\").
TEST(PgScriptSplitter, LongCopyLinesComeOutInPieces) {
  const std::string script =
      "COPY t FROM stdin;\n" + std::string(40, 'a') + "\nxxxx\\\\.\n\\.\nSELECT 1;";
  const Items want{"S@1:COPY t FROM stdin", "D:" + std::string(40, 'a') + "\nxxxx\\\\.\n", "E",
                   "S@5:SELECT 1"};
  ASSERT_EQ(split(script, script.size() + 1), want);
  for (std::size_t copy_piece : {1, 2, 4, 16})
    for (std::size_t piece : {1, 2, 3, 5, 8, 64})
      EXPECT_EQ(split(script, piece, copy_piece), want)
          << "fed in pieces of " << piece << ", lines cut from " << copy_piece << " bytes";
  ScriptSplitter s(4);
  s.feed("COPY t FROM stdin;\n");
  ASSERT_TRUE(s.next());
  s.start_copy_data();
  s.feed(std::string(10, 'b'));
  auto item = s.next();
  ASSERT_TRUE(item) << "10 bytes of a line without its end, over 4: a piece";
  EXPECT_EQ(item->text, std::string(10, 'b'));
  s.feed("\\.");
  EXPECT_FALSE(s.next()) << "the rest of the line: wait for its end";
}

TEST(PgScriptSplitter, MetaCommandsOnTheirOwnLines) {
  EXPECT_EQ(
      split_all_ways("\\restrict abc\nSET x = 1;\n  \\connect -reuse-previous=on \"dbname='a b'\"\n"
                     "SELECT '\\x';\n\\unrestrict abc"),
      (Items{"M@1:restrict abc", "S@2:SET x = 1", "M@3:connect -reuse-previous=on \"dbname='a b'\"",
             "S@4:SELECT '\\x'", "M@5:unrestrict abc"}));
}

TEST(PgScriptSplitter, LastStatementWithoutSemicolonRuns) {
  EXPECT_EQ(split_all_ways("SELECT 1;\nSELECT 2 -- end\n"),
            (Items{"S@1:SELECT 1", "S@2:SELECT 2 -- end"}));
}

TEST(PgScriptSplitter, UnterminatedQuoteIsAnErrorNamingItsLine) {
  for (std::string script : {"SELECT 1;\nSELECT 'abc;\n", "SELECT $x$ abc", "/* a /* b */",
                             "COPY t FROM stdin;\n1\n2\n"}) {
    SCOPED_TRACE(script);
    try {
      split(script, 4);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::verify_failed);
      EXPECT_NE(std::string(e.what()).find("ends inside"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dbsnap::pg
