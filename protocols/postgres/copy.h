// Table data as pg_dump's COPY blocks: slicing big tables into ctid page
// ranges, and streaming `COPY ... TO STDOUT` into self-contained data chunks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "engine/row_checksum.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/schema.h"

namespace dbsnap::pg {

// Data bytes (heap + TOAST) per slice of a big table when the driver is not told otherwise.
inline constexpr std::uint64_t kDefaultSliceBytes = std::uint64_t{64} << 20;
// A table is sliced only when its data exceeds this many slices' worth.
inline constexpr std::uint64_t kSliceThreshold = 4;
// Upper bound on the slices of one plan: slices grow beyond the requested size
// rather than exceed it, so a plan has at most tables + kMaxSlices items.
inline constexpr std::uint64_t kMaxSlices = 4000;

// Heap pages [first, end) of a table; no end means "to the end of the table",
// so rows on pages added after the page count was read are never missed.
struct PageRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> end;
  bool operator==(const PageRange&) const = default;
};

// DataItem::slice text of a range: "(first,end)" or "(first,)".
std::string format_slice(const PageRange& range);
// Inverse of format_slice. Throws dbsnap::Error(ExitCode::failure) for other text.
PageRange parse_slice(std::string_view slice);

// One DataItem per table, except that a table with more than one page whose
// data (PgTable::data_bytes: heap + TOAST) exceeds kSliceThreshold x
// slice_bytes becomes page ranges holding about slice_bytes of data each
// (slice_bytes grown so the plan holds at most kMaxSlices slices; at least
// one page per slice), the last one open-ended. estimated_bytes is the
// table's data_bytes, prorated by pages for a slice. Sorted biggest first;
// ties keep the order of tables, slices in page order.
std::vector<DataItem> plan_copy_items(const std::vector<PgTable>& tables, std::uint64_t block_size,
                                      std::uint64_t slice_bytes);

// A bytea, text or varchar value longer than this many bytes, or than a
// chunk when chunks are longer, is not read with its row: see dump_copy.
inline constexpr std::uint64_t kLongValueBytes = std::uint64_t{4} << 20;

// Whether table's rows are read with their values over long_bytes apart
// (dump_copy): it has bytea, text or varchar columns and its TOAST table could
// hold such a value. A value is stored there once compressed, and compression
// keeps more than 1/256 of it (LZ4's bound; pglz's is lower), so a TOAST table
// under long_bytes / 256 holds none; long_bytes >= kLongValueBytes is too long
// for a compressed value kept in the row (a page).
bool reads_long_values_apart(const PgTable& table, std::uint64_t long_bytes);

// The statement that reads a table's rows: `COPY t (cols) TO stdout;`, or for
// a slice `COPY (SELECT cols FROM ONLY t WHERE ctid >= '(first,0)'::tid AND
// ctid < '(end,0)'::tid) TO stdout;` (a TID range scan on PostgreSQL 14+,
// correct on 12 and 13 too). With long_bytes (reads_long_values_apart), always
// the SELECT form, each bytea/text/varchar column c as `CASE WHEN
// octet_length(c) > long_bytes THEN NULL ELSE c END` (octet_length reads the
// TOAST pointer's length, not the value), after one first column: the ctid of
// a row with such a value, else NULL (the rest of the line is then the row's
// COPY line as it is).
std::string copy_query(const PgTable& table, const std::optional<PageRange>& range,
                       std::optional<std::uint64_t> long_bytes = std::nullopt);

// The head of a data chunk, as pg_dump --format=plain prints a TABLE DATA
// entry (pg_backup_archiver.c _printTocEntry, pg_dump.c dumpTableData_copy):
//   --\n-- Data for Name: film; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\n
//   COPY public.film (film_id, title) FROM stdin;\n
// Names are unquoted with newlines turned into spaces; the owner is "-" with
// no_owner.
std::string copy_block_header(const PgTable& table, bool no_owner);
// The end of every data chunk: the COPY terminator and pg_dump's blank lines.
inline constexpr std::string_view kCopyBlockTrailer = "\\.\n\n\n";

// Packs COPY rows into data chunks, the server-free half of dump_copy: each
// chunk is header + whole rows + trailer (kCopyBlockTrailer for COPY), so it
// restores alone with psql; a chunk is emitted before the row that would
// append to a buffer already holding out.chunk_bytes() (and more than the
// header); a COPY line longer than out.chunk_bytes(), given whole (add_line)
// or in parts (open_row), becomes a chain of its own. The large objects' data
// (large_objects.h) is packed alike, its "rows" being lo_put statements.
// buffer is the caller's memory, reused for every chunk (no allocation of ours per row or per
// chunk); after a chunk that a row close to chunk_bytes grew beyond twice its usual size, the
// memory is given back. Checks for cancellation once per chunk.
class CopyChunker {
 public:
  CopyChunker(std::string header, std::string_view table, std::string& buffer, ChunkSink& out,
              std::string_view trailer = kCopyBlockTrailer);

  // One row's text, including its final '\n'; rows: what it counts in the
  // manifest (0 for a piece continuing an earlier row). Every piece counts in
  // the chunk's checksum (engine/row_checksum.h). A row longer than
  // chunk_bytes stays whole (a large object's lo_put statement must).
  void add(std::string_view row, std::uint64_t rows = 1) {
    if (buffer_.size() > header_.size() && buffer_.size() >= chunk_bytes_) cut();
    if (buffer_.capacity() - buffer_.size() < row.size() + trailer_.size()) grow(row.size());
    buffer_.append(row);
    chunk_checksum_ += xxh64(row);
    chunk_rows_ += rows;
    rows_ += rows;
  }
  // As add() for one COPY line, except that a line longer than chunk_bytes
  // becomes a chain as a row given in parts.
  void add_line(std::string_view line) {
    if (line.size() <= chunk_bytes_) return add(line);
    open_row();
    append_to_row(line);
    close_row();
  }
  // One COPY line given in parts (a value read in pieces), after the rows
  // before it went out: open_row(), append_to_row() with each part in order,
  // close_row(). A line longer than chunk_bytes is cut into a chain
  // (engine/dialect.h ChainLink) of chunks of chunk_bytes: header + start of
  // the line, further pieces, last piece + trailer; so the buffer never holds
  // more than a chunk, whatever the line's length. A shorter one is a chunk of
  // its own. Its checksum is the XXH64 of the whole line.
  void open_row();
  void append_to_row(std::string_view part);
  void close_row();
  std::size_t chunk_bytes() const { return chunk_bytes_; }
  // Emits the last chunk, if rows are left after the last row in parts: zero
  // rows for an empty table, as pg_dump prints it.
  // Returns the rows added in all.
  std::uint64_t finish();

 private:
  void emit();
  void cut();
  void grow(std::size_t row_bytes);
  std::string header_;
  std::string_view table_, trailer_;
  std::string& buffer_;
  ChunkSink& out_;
  std::size_t chunk_bytes_;
  std::uint64_t chunk_rows_ = 0;
  std::uint64_t chunk_checksum_ = 0;
  std::uint64_t rows_ = 0;
  ChainLink link_ = ChainLink::none;  // of the open row: the link its next chunk is
  Xxh64Stream row_checksum_;          // of the open row
};

// Streams the rows of table (or of range of it) through conn into out as
// CopyChunker chunks, in a plain loop over PgCopyOut (libpq's PQgetCopyData
// still allocates each row it returns). Returns the rows dumped. Throws like
// PgCopyOut and ChunkSink::emit; after an exception conn is unusable.
//
// libpq holds a COPY row whole, twice (its input buffer and the copy it
// returns): a 256 MiB bytea, 512 MiB of COPY text, would cost 1 GiB. So a
// bytea, text or varchar value longer than max(kLongValueBytes, chunk_bytes)
// is not read with its row (copy_query with long_bytes). After the table's
// other rows, each such row is read again by ctid in the same snapshot: its
// COPY line with the long values left NULL, then each long value in pieces of
// chunk_bytes / 2 bytes from one query in single-row mode (PgRowStream), over
// the value detoasted once in the server (for text, as UTF-8 bytes, the COPY's
// client encoding), escaped as COPY escapes it (copy.c CopyAttributeOutText;
// bytea in its hex output, "\\x" + hex digits) and written as one line in
// parts (CopyChunker::open_row): the same line COPY would have sent, with a
// bounded memory.
std::uint64_t dump_copy(const PgConnection& conn, const PgTable& table,
                        const std::optional<PageRange>& range, bool no_owner, std::string& buffer,
                        ChunkSink& out);

}  // namespace dbsnap::pg
