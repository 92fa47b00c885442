#include "tests/support/mysql_compare.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/support/mysql_server.h"

namespace dbsnap::test {
namespace {

std::string ident(const std::string& name) {
  std::string out = "`";
  for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

std::string literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Columns first..last of the single row of a SHOW CREATE, one per line.
std::string show_create(const std::string& db, const std::string& what, const std::string& name,
                        std::size_t first, std::size_t last) {
  auto rows = my_query(db, "SHOW CREATE " + what + " " + ident(name));
  if (rows.size() != 1) throw std::runtime_error("SHOW CREATE " + what + " " + name + " failed");
  std::string out;
  for (std::size_t i = first; i <= last && i < rows[0].size(); ++i) out += rows[0][i] + "\n";
  return out;
}

template <typename Map>
std::string describe(const Map& source, const Map& target, const std::string& what) {
  std::set<std::string> keys;
  for (const auto& [k, v] : source) keys.insert(k);
  for (const auto& [k, v] : target) keys.insert(k);
  std::ostringstream out;
  for (const auto& key : keys) {
    auto s = source.find(key);
    auto t = target.find(key);
    if (t == target.end()) {
      out << what << " " << key << ": only in the source\n";
    } else if (s == source.end()) {
      out << what << " " << key << ": only in the copy\n";
    } else if (!(s->second == t->second)) {
      out << what << " " << key << " differs:\n--- source\n"
          << s->second << "\n+++ copy\n"
          << t->second << "\n";
    }
  }
  return out.str();
}

}  // namespace

std::map<std::string, std::string> my_object_definitions(const std::string& db) {
  std::map<std::string, std::string> out;
  std::string lit = literal(db);
  for (const auto& row : my_query(db,
                                  "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                                  "WHERE TABLE_SCHEMA = " +
                                      lit)) {
    const std::string& name = row[0];
    if (row[1] == "VIEW") {
      out["view " + ident(name)] = show_create(db, "VIEW", name, 1, 3);
    } else if (row[1] == "SEQUENCE") {
      auto next = my_query(db, "SELECT next_not_cached_value FROM " + ident(name));
      out["sequence " + ident(name)] =
          show_create(db, "SEQUENCE", name, 1, 1) + "next: " + next.at(0).at(0) + "\n";
    } else {
      out["table " + ident(name)] = show_create(db, "TABLE", name, 1, 1);
    }
  }
  for (const auto& row : my_query(db,
                                  "SELECT TRIGGER_NAME, ACTION_ORDER FROM "
                                  "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " +
                                      lit))
    out["trigger " + ident(row[0])] =
        show_create(db, "TRIGGER", row[0], 1, 5) + "action order: " + row[1] + "\n";
  for (const auto& row : my_query(db,
                                  "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM "
                                  "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = " +
                                      lit)) {
    std::string kind = row[0] == "FUNCTION" ? "function" : "procedure";
    out[kind + " " + ident(row[1])] = show_create(db, row[0], row[1], 1, 5);
  }
  for (const auto& row : my_query(db,
                                  "SELECT EVENT_NAME FROM information_schema.EVENTS "
                                  "WHERE EVENT_SCHEMA = " +
                                      lit))
    out["event " + ident(row[0])] = show_create(db, "EVENT", row[0], 1, 6);
  return out;
}

std::ostream& operator<<(std::ostream& os, const MyTableFingerprint& f) {
  return os << "{rows " << f.rows << ", checksum " << f.checksum << "}";
}

std::map<std::string, MyTableFingerprint> my_table_fingerprints(const std::string& db) {
  std::string lit = literal(db);
  struct Table {
    bool versioned = false;
    bool explicit_period = false;
    std::string columns;  // CONCAT_WS arguments
  };
  std::map<std::string, Table> tables;
  for (const auto& row :
       my_query(db,
                "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = " +
                    lit + " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')"))
    tables[row[0]].versioned = row[1] == "SYSTEM VERSIONED";
  auto add = [](Table& t, const std::string& expr) {
    t.columns += ", IFNULL(HEX(CAST(" + expr + " AS BINARY)), 'N')";
  };
  for (const auto& row : my_query(db,
                                  "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, "
                                  "IFNULL(GENERATION_EXPRESSION, '') FROM "
                                  "information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                                      lit + " ORDER BY TABLE_NAME, ORDINAL_POSITION")) {
    auto it = tables.find(row[0]);
    if (it == tables.end()) continue;
    it->second.explicit_period |= row[3] == "ROW START";
    add(it->second, row[2] == "float" ? ident(row[1]) + " + 0e0" : ident(row[1]));
  }
  std::map<std::string, MyTableFingerprint> out;
  for (auto& [name, t] : tables) {
    if (t.versioned && !t.explicit_period) {
      add(t, "ROW_START");
      add(t, "ROW_END");
    }
    auto rows = my_query(db,
                         "SELECT COUNT(*), "
                         "IFNULL(SUM(CAST(CONV(LEFT(m, 16), 16, 10) AS UNSIGNED)), 0), "
                         "IFNULL(SUM(CAST(CONV(RIGHT(m, 16), 16, 10) AS UNSIGNED)), 0) "
                         "FROM (SELECT MD5(CONCAT_WS(','" +
                             t.columns + ")) AS m FROM " + ident(name) +
                             (t.versioned ? " FOR SYSTEM_TIME ALL" : "") + ") AS x");
    out[name] = MyTableFingerprint{std::stoull(rows.at(0).at(0)), rows[0][1] + ":" + rows[0][2]};
  }
  return out;
}

std::string my_compare_databases(const std::string& source, const std::string& target) {
  return describe(my_object_definitions(source), my_object_definitions(target), "object") +
         describe(my_table_fingerprints(source), my_table_fingerprints(target), "rows of table");
}

void expect_same_my_database(const std::string& source, const std::string& target) {
  EXPECT_FALSE(my_table_fingerprints(source).empty()) << "the fixture has no tables";
  EXPECT_EQ(my_compare_databases(source, target), "") << "the copy differs from the source";
}

}  // namespace dbsnap::test
