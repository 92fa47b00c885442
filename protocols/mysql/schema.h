// MySQL/MariaDB catalog reading and the mysqldump-format schema script.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/name_pattern.h"
#include "protocols/mysql/connection.h"

namespace dbsnap::mysql {

// Values longer than this many bytes are not read with their row (which
// libmariadb holds whole, so a 1 GiB LONGBLOB would cost 1 GiB of memory):
// see MyTable::huge.
inline constexpr std::uint64_t kHugeValueBytes = std::uint64_t{32} << 20;

// A LONGBLOB or LONGTEXT column (MariaDB's JSON is a LONGTEXT) whose values
// may exceed kHugeValueBytes.
struct HugeColumn {
  unsigned index = 0;  // position in MyTable::select
  // The value as bytes, qualified by table: `t`.`c`, or CAST(`t`.`c` AS BINARY)
  // for text, whose SUBSTRING would count characters.
  std::string bytes;
};

// A table whose rows are dumped as extended INSERT statements.
struct MyTable {
  std::string name;    // unquoted, as in information_schema; the manifest's table name
  std::string quoted;  // `name`
  // SELECT of the dumped columns, FLOAT columns as exact doubles; a slice
  // appends " WHERE <DataItem::slice>". With huge columns, each of them reads
  // NULL when longer than kHugeValueBytes, and LENGTH() of each follows the
  // dumped columns (in the order of huge).
  std::string select;
  // Columns that may hold huge values, in a table with a primary key (not
  // system-versioned, no FLOAT or DOUBLE in the key) whose rows can then be
  // found again: empty otherwise, and such rows are read whole.
  std::vector<HugeColumn> huge;
  // The primary key: position in select and qualified name (`t`.`c`) of each
  // column; set when huge is.
  std::vector<std::pair<unsigned, std::string>> key;
  // "INSERT INTO `t` VALUES " or, when some columns are generated, invisible or
  // history periods, "INSERT INTO `t` (`a`, `b`) VALUES ".
  std::string insert;
  bool history = false;  // system-versioned: every row version, row_start/row_end included
  // MyISAM/Aria: chunks hold LOCK TABLES so the server writes keys once per
  // chunk. InnoDB gains nothing from it, and it would serialise a parallel
  // restore and fail on tables whose DEFAULT draws NEXTVAL() from a sequence.
  bool lock_tables = false;
  std::string slice_key;         // quoted single integer primary-key column; "" when none
  std::uint64_t data_bytes = 0;  // information_schema.TABLES.DATA_LENGTH (an estimate)
};

// The schema of one database as mysqldump --no-data --triggers --routines
// --events would print it, split where the data goes.
struct MySchema {
  // Sequences (CREATE SEQUENCE + SETVAL), every table (DROP TABLE IF EXISTS,
  // CREATE TABLE, DISABLE KEYS for MyISAM/Aria), placeholder views.
  std::string pre_data;
  // ENABLE KEYS, triggers by table, events, routines (functions, then
  // procedures), final views: each can then refer to any table or view.
  std::string post_data;
  std::map<std::string, MyTable> tables;  // tables with data, by name
};

// Reads the schema of database through conn, which should be inside the
// backup's consistent snapshot while DDL is blocked so that every definition
// matches the data. History of system-versioned tables is dumped from MariaDB
// 10.11 on (system_versioning_insert_history restores it); older servers give
// the current rows. Throws dbsnap::Error: server_error if a catalog query
// fails, access_denied if a definition is hidden for lack of privilege.
MySchema read_schema(const MyConnection& conn, const std::string& database,
                     const TableFilter& filter);

}  // namespace dbsnap::mysql
