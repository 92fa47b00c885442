// Unit tests of the pg_dump ordering, quoting and entry helpers behind
// read_schema (protocols/postgres/schema/catalog.h, rows.h); no server needed.
#include "protocols/postgres/schema/catalog.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/error.h"
#include "protocols/postgres/schema/rows.h"

namespace dbsnap::pg::catalog {
namespace {

DumpObject object(Priority p, std::string schema, std::string name) {
  DumpObject o;
  o.priority = p;
  o.schema = std::move(schema);
  o.name = std::move(name);
  return o;
}

TEST(DollarQuote, UsesPlainDelimiterWhenBodyHasNoDollar) {
  EXPECT_EQ(dollar_quote("SELECT 1"), "$$SELECT 1$$");
}

TEST(DollarQuote, GrowsDelimiterUntilAbsentFromBody) {
  EXPECT_EQ(dollar_quote("SELECT $1"), "$_$SELECT $1$_$");
  EXPECT_EQ(dollar_quote("a $_ b $$"), "$_X$a $_ b $$$_X$");
}

TEST(ParseArray, ReadsQuotedElementsAndDropsNulls) {
  EXPECT_EQ(parse_array("{a,\"b c\",NULL,\"x\\\"y\"}"),
            (std::vector<std::string>{"a", "b c", "x\"y"}));
  EXPECT_TRUE(parse_array("").empty());
  EXPECT_TRUE(parse_array("{}").empty());
}

TEST(GraphSort, OrdersByPriorityThenSchemaThenName) {
  Graph g;
  std::size_t table = g.add(object(Priority::table, "public", "a"));
  std::size_t func = g.add(object(Priority::func, "public", "z"));
  std::size_t type_b = g.add(object(Priority::type, "public", "b"));
  std::size_t type_a = g.add(object(Priority::type, "alpha", "y"));
  EXPECT_EQ(g.sort(), (std::vector<std::size_t>{type_a, type_b, func, table}));
}

TEST(GraphSort, MovesAnObjectOnlyAsFarAsItsDependencyNeeds) {
  Graph g;
  std::size_t f1 = g.add(object(Priority::func, "public", "f1"));
  std::size_t f2 = g.add(object(Priority::func, "public", "f2"));
  std::size_t t1 = g.add(object(Priority::table, "public", "t1"));
  std::size_t t2 = g.add(object(Priority::table, "public", "t2"));
  g.depend(f2, t1);  // f2 returns SETOF t1
  EXPECT_EQ(g.sort(), (std::vector<std::size_t>{f1, t1, f2, t2}));
}

TEST(GraphSort, LoopThroughInlineDefaultPrintsTheDefaultSeparately) {
  Graph g;
  std::size_t table = g.add(object(Priority::table, "public", "t"));
  std::size_t seq = g.add(object(Priority::table, "public", "t_id_seq"));
  DumpObject def = object(Priority::attrdef, "public", "t");
  def.default_of = table;
  std::size_t d = g.add(std::move(def));
  g.depend(table, d);    // the table prints its default inline
  g.depend(d, seq);      // DEFAULT nextval('t_id_seq')
  g.depend(seq, table);  // OWNED BY t.id
  EXPECT_EQ(g.sort(), (std::vector<std::size_t>{table, seq, d}));
  EXPECT_TRUE(g[d].separate);
}

// A result built on the client (PQsetResultAttrs/PQsetvalue), no server.
PgResult result(const std::vector<std::string>& columns,
                const std::vector<std::vector<const char*>>& rows) {
  PgResult r(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK));
  std::vector<PGresAttDesc> attrs(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    attrs[c] = {};
    attrs[c].name = const_cast<char*>(columns[c].c_str());
    attrs[c].format = 0;
  }
  PQsetResultAttrs(r.raw(), static_cast<int>(attrs.size()), attrs.data());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t c = 0; c < rows[i].size(); ++c)
      PQsetvalue(r.raw(), static_cast<int>(i), static_cast<int>(c), const_cast<char*>(rows[i][c]),
                 rows[i][c] ? static_cast<int>(std::strlen(rows[i][c])) : -1);
  return r;
}

TEST(Row, ReadsColumnsByNameWhateverTheirOrder) {
  PgResult r = result({"oid", "name", "flag", "kind"}, {{"16384", "t", "t", "v"}});
  Row row(r, 0);
  EXPECT_EQ(row.oid("oid"), 16384u);
  EXPECT_EQ(row.str("name"), "t");
  EXPECT_TRUE(row.flag("flag"));
  EXPECT_EQ(row.kind("kind"), 'v');
  EXPECT_EQ(row.opt("name"), std::optional<std::string>("t"));
}

TEST(Row, NullReadsAsNulloptAndEmpty) {
  PgResult r = result({"locale", "parent"}, {{nullptr, nullptr}});
  Row row(r, 0);
  EXPECT_TRUE(row.is_null("locale"));
  EXPECT_EQ(row.opt("locale"), std::nullopt);
  EXPECT_EQ(row.opt_oid("parent"), std::nullopt);
  EXPECT_EQ(row.str("locale"), "");
  EXPECT_EQ(row.kind("locale"), '\0');
}

TEST(Row, MissingColumnThrowsNamingIt) {
  PgResult r = result({"oid"}, {{"1"}});
  Row row(r, 0);
  try {
    (void)row.str("owner");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"owner\""), std::string::npos) << e.what();
  }
}

// pg_backup_archiver.c _printTocEntry: "-" for a NULL owner, the owner as it
// is otherwise (so "" for the comment of an object without owner).
TEST(Output, OwnerlessEntryPrintsHyphenAndItsCommentPrintsEmpty) {
  DumpOptions options;
  Output out(nullptr, options);
  Toc cast;
  cast.tag = "CAST (integer AS text)";
  cast.type = "CAST";
  cast.defn = "CREATE CAST (integer AS text) WITH INOUT;\n";
  out.entry(cast);
  out.comment(cast.tag, cast.tag, "", "", "c");
  EXPECT_EQ(out.pre(),
            "--\n-- Name: CAST (integer AS text); Type: CAST; Schema: -; Owner: -\n--\n\n"
            "CREATE CAST (integer AS text) WITH INOUT;\n\n\n"
            "--\n-- Name: CAST (integer AS text); Type: COMMENT; Schema: -; Owner: \n--\n\n"
            "COMMENT ON CAST (integer AS text) IS 'c';\n\n\n");
}

TEST(Output, NoOwnerOptionPrintsHyphenForEveryEntry) {
  DumpOptions options;
  options.no_owner = true;
  Output out(nullptr, options);
  out.comment("CAST (integer AS text)", "CAST (integer AS text)", "", "", "c");
  EXPECT_NE(out.pre().find("Type: COMMENT; Schema: -; Owner: -\n"), std::string::npos);
}

}  // namespace
}  // namespace dbsnap::pg::catalog
