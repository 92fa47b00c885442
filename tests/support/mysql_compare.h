// What a MySQL/MariaDB round trip must preserve, read from the server with
// plain SQL: every object's definition and every table's content.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace dbsnap::test {

// Every object of db by kind and name ("table `t`", "view `v`", "trigger `x`",
// "function `f`", "procedure `p`", "event `e`", "sequence `s`") -> its SHOW
// CREATE row: the statement and the session columns stored with it (sql_mode,
// character_set_client, collation_connection, time_zone), the trigger's
// ACTION_ORDER and a sequence's next value; volatile columns (Created) left out.
std::map<std::string, std::string> my_object_definitions(const std::string& db);

// The content of one table: row count and an order-independent checksum of
// every row: the sums of both halves of MD5(CONCAT_WS over HEX of each column,
// 'N' for NULL), so duplicate rows count and no column escapes. Every column
// takes part (invisible and generated ones too); FLOAT as its exact double;
// system-versioned tables with every history row and their period columns.
struct MyTableFingerprint {
  std::uint64_t rows = 0;
  std::string checksum;
  bool operator==(const MyTableFingerprint&) const = default;
};
std::ostream& operator<<(std::ostream& os, const MyTableFingerprint& f);

// Every base and system-versioned table of db by name.
std::map<std::string, MyTableFingerprint> my_table_fingerprints(const std::string& db);

// "" when source and target have the same object definitions and table
// contents; else one paragraph per difference, naming the object and showing
// both sides.
std::string my_compare_databases(const std::string& source, const std::string& target);

// Records gtest failures unless source has tables and my_compare_databases()
// finds no difference.
void expect_same_my_database(const std::string& source, const std::string& target);

}  // namespace dbsnap::test
