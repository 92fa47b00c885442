// Rows to mysqldump-format data chunks: SQL literals for text-protocol values
// and extended INSERT statements cut into self-contained chunks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "protocols/mysql/connection.h"
#include "protocols/mysql/schema.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {

// How a column's text-protocol value is written (mysqldump --hex-blob rules,
// client/mysqldump.c dump_table): numbers bare, binary strings, BLOB, BIT and
// GEOMETRY as 0x hex, everything else (text, dates, times, ENUM, SET, JSON)
// as an escaped string; NULL as NULL.
enum class Literal { number, hex, string };

// The literal kind of each column of a result.
std::vector<Literal> literal_kinds(const MyResult& result);

// Appends one value as its literal; the caller handles NULL.
inline void append_value(std::string& out, std::string_view value, Literal kind) {
  switch (kind) {
    case Literal::number:  // the text protocol's digits, as they are
      out.append(value);
      break;
    case Literal::hex:
      append_hex(out, value);
      break;
    case Literal::string:
      append_quoted(out, value);
      break;
  }
}

// Appends the current row as "(v1,v2,...)". Row is MyResult or anything with
// is_null(unsigned) and get(unsigned) -> std::string_view (the benchmark's
// synthetic rows). Appends in place: no per-value temporaries.
template <class Row>
void append_row(std::string& out, const Row& row, const std::vector<Literal>& kinds) {
  out += '(';
  for (unsigned i = 0; i < kinds.size(); ++i) {
    if (i > 0) out += ',';
    if (row.is_null(i))
      out.append("NULL", 4);
    else
      append_value(out, row.get(i), kinds[i]);
  }
  out += ')';
}

// Values longer than this many bytes are not written as one literal: see
// InsertWriter. 4 MiB as hex stays below the mysql client's default
// max_allowed_packet (16 MiB) with room for the statement around it.
inline constexpr std::size_t kBigValueBytes = std::size_t{4} << 20;
// Bytes of a chained value (InsertWriter::add_chain) built in one variable.
inline constexpr std::size_t kSegmentBytes = std::size_t{64} << 20;

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
//
// A row holding a value longer than kBigValueBytes (a 200 MiB LONGBLOB would
// be a 400 MiB INSERT, over any server's 256 MiB max_allowed_packet, and
// mysqldump output of it does not restore) is written as pieces assembled in
// a session variable, each statement far below max_allowed_packet:
//   SET @dbsnap_v2 = 0x<4 MiB>;
//   SET @dbsnap_v2 = CONCAT(@dbsnap_v2, 0x<4 MiB>);   ...
//   INSERT INTO `t` VALUES (1,@dbsnap_v2);          text: CONVERT(@dbsnap_v2 USING utf8mb4)
//   SET @dbsnap_v2 = NULL;
// all in the same chunk (chunks stay self-contained). The value itself must
// still fit the restoring server's max_allowed_packet (a CONCAT result larger
// than it becomes NULL), as it had to when it was stored.
class InsertWriter {
 public:
  InsertWriter(const MyTable& table, std::size_t net_buffer_length, ChunkSink& out);
  InsertWriter(const InsertWriter&) = delete;
  InsertWriter& operator=(const InsertWriter&) = delete;

  // Adds one row given as "(v1,v2,...)".
  void add(std::string_view tuple);
  // Adds the current row of row (see append_row), formatted straight into the
  // chunk buffer.
  template <class Row>
  void add(const Row& row, const std::vector<Literal>& kinds) {
    for (unsigned i = 0; i < kinds.size(); ++i)
      if (!row.is_null(i) && row.get(i).size() > kBigValueBytes) return add_big(row, kinds);
    std::size_t comma = open_tuple();
    append_row(buf_, row, kinds);
    close_tuple(comma);
  }
  // Reads the pieces of one column's value, in order, into take.
  using PieceReader =
      std::function<void(unsigned column, const std::function<void(std::string_view piece)>& take)>;
  // Adds the current row of row, whose columns marked in huge are not in row
  // (read NULL there) but read by read, as a chain of chunks (engine/dialect.h
  // ChainLink) that builds every value longer than kBigValueBytes in a
  // session variable per kSegmentBytes of it, kBigValueBytes per statement,
  // then inserts the row:
  //   SET @dbsnap_<id>_2_0 = 0x<4 MiB>;                             first link
  //   SET @dbsnap_<id>_2_0 = CONCAT(@dbsnap_<id>_2_0, 0x<4 MiB>); ... next links
  //   SET @dbsnap_<id>_2_1 = 0x<4 MiB>; ...                         (64 MiB on)
  //   INSERT INTO `t` VALUES (1,CONCAT(@dbsnap_<id>_2_0, @dbsnap_<id>_2_1));
  //   SET @dbsnap_<id>_2_0 = NULL; SET @dbsnap_<id>_2_1 = NULL;     last link
  // Each link is a chunk of about chunk_bytes, so memory stays bounded by a
  // piece whatever the value's length; the server copies each byte about
  // kSegmentBytes / kBigValueBytes / 2 times (each CONCAT copies its
  // segment so far), not value / kBigValueBytes / 2 times. The row's
  // checksum is the sum of the XXH64 of each SET statement and of the
  // INSERT statement (each without its ";"). id (16 hex digits) names the row:
  // chains of other rows, interleaved in the file, use other variables.
  // Throws dbsnap::Error(failure) for a huge column that read nothing.
  void add_chain(const MyResult& row, const std::vector<Literal>& kinds,
                 const std::vector<bool>& huge, std::uint64_t id, const PieceReader& read);
  // Emits the last chunk; a DataItem without rows still gets one (with no
  // INSERT) so the manifest records the table.
  void finish();

 private:
  void open_chunk();
  void emit_chunk(ChainLink link = ChainLink::none);
  // Starts a tuple at the end of buf_: after a ',' in the open INSERT (returns
  // the comma's offset), or in a new INSERT (returns npos).
  std::size_t open_tuple();
  // Ends the tuple started by open_tuple: if it made the open INSERT reach
  // net_buffer_length, it moves to a new INSERT of its own. Then counts the
  // row and emits the chunk once it is full.
  void close_tuple(std::size_t comma);
  template <class Row>
  void add_big(const Row& row, const std::vector<Literal>& kinds) {
    big_.clear();
    for (unsigned i = 0; i < kinds.size(); ++i)
      big_.push_back(row.is_null(i) ? std::optional<std::string_view>()
                                    : std::optional<std::string_view>(row.get(i)));
    add_big_values(kinds);
  }
  void add_big_values(const std::vector<Literal>& kinds);
  // Appends "SET var = 0x<bytes>;" (first) or "SET var = CONCAT(var, 0x<bytes>);",
  // adding its XXH64 (without the ';') to the chunk's checksum.
  void append_piece(const std::string& var, std::string_view bytes, bool first);

  const MyTable& table_;
  std::size_t net_buffer_length_;
  ChunkSink& out_;
  std::string buf_;
  std::string next_insert_;                           // ";\n" + table_.insert
  std::vector<std::optional<std::string_view>> big_;  // the row add_big writes
  std::size_t statement_start_ = 0;  // offset of the open INSERT in buf_; npos when none
  std::uint64_t rows_ = 0;           // rows in buf_
  std::uint64_t checksum_ = 0;       // of the rows in buf_ (engine/row_checksum.h)
  bool emitted_ = false;
};

}  // namespace dbsnap::mysql
