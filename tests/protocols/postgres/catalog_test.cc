// Unit tests of the pg_dump ordering and quoting helpers behind read_schema
// (protocols/postgres/schema/catalog.h); no server needed.
#include "protocols/postgres/schema/catalog.h"

#include <gtest/gtest.h>

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
  def.separate = std::make_shared<bool>(false);
  auto separate = def.separate;
  std::size_t d = g.add(std::move(def));
  g.depend(table, d);    // the table prints its default inline
  g.depend(d, seq);      // DEFAULT nextval('t_id_seq')
  g.depend(seq, table);  // OWNED BY t.id
  EXPECT_EQ(g.sort(), (std::vector<std::size_t>{table, seq, d}));
  EXPECT_TRUE(*separate);
}

}  // namespace
}  // namespace dbsnap::pg::catalog
