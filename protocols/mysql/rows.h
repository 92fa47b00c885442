// Rows to mysqldump-format data chunks: SQL literals for text-protocol values
// and extended INSERT statements cut into self-contained chunks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "protocols/mysql/connection.h"
#include "protocols/mysql/schema.h"

namespace dbsnap::mysql {

// How a column's text-protocol value is written (mysqldump --hex-blob rules,
// client/mysqldump.c dump_table): numbers bare, binary strings, BLOB, BIT and
// GEOMETRY as 0x hex, everything else (text, dates, times, ENUM, SET, JSON)
// as an escaped string; NULL as NULL.
enum class Literal { number, hex, string };

// The literal kind of each column of a result.
std::vector<Literal> literal_kinds(const MyResult& result);

// Appends the current row of result as "(v1,v2,...)".
void append_row(std::string& out, const MyResult& result, const std::vector<Literal>& kinds);

// Writes the rows of one DataItem as data chunks. Each chunk is self-contained:
//   -- Dumping data for table `t`
//   <chunk_session()>  [history: system_versioning_insert_history=1]
//   [MyTable::lock_tables: LOCK TABLES `t` WRITE;]
//   INSERT INTO `t` VALUES (...),(...);      one or more
//   [UNLOCK TABLES;]                          [history: restored]
// An INSERT grows while it stays shorter than net_buffer_length bytes (a single
// longer row gets a statement of its own); a chunk is emitted once its text
// reaches out.chunk_bytes(). Chunks of one table can run one after another, in
// any order, or on parallel connections. Borrows table and out; one thread.
class InsertWriter {
 public:
  InsertWriter(const MyTable& table, std::size_t net_buffer_length, ChunkSink& out);
  InsertWriter(const InsertWriter&) = delete;
  InsertWriter& operator=(const InsertWriter&) = delete;

  // Adds one row given as "(v1,v2,...)".
  void add(std::string_view tuple);
  // Emits the last chunk; a DataItem without rows still gets one (with no
  // INSERT) so the manifest records the table.
  void finish();

 private:
  void open_chunk();
  void emit_chunk();

  const MyTable& table_;
  std::size_t net_buffer_length_;
  ChunkSink& out_;
  std::string buf_;
  std::size_t statement_start_ = 0;  // offset of the open INSERT in buf_; npos when none
  std::uint64_t rows_ = 0;           // rows in buf_
  bool emitted_ = false;
};

}  // namespace dbsnap::mysql
