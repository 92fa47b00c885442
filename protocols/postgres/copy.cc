#include "protocols/postgres/copy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "engine/cancel.h"
#include "engine/comment_line.h"
#include "engine/error.h"

namespace dbsnap::pg {
namespace {

// Room for the header, the trailer and a typical last row beyond chunk_bytes.
constexpr std::size_t kBufferSlack = 64 << 10;

// "(a, b)" -> "a, b": the column list as a SELECT list.
std::string_view select_list(std::string_view columns) {
  if (columns.size() >= 2 && columns.front() == '(' && columns.back() == ')')
    return columns.substr(1, columns.size() - 2);
  return columns;
}

// "octet_length(a)<sep>octet_length(b)" over table's long columns.
std::string octet_lengths(const PgTable& table, std::string_view separator) {
  std::string out;
  for (const auto& [at, bytea] : table.long_columns)
    out += fmt::format("{}pg_catalog.octet_length({})", out.empty() ? "" : separator,
                       table.column_names[at]);
  return out;
}

// The SELECT list of table's columns, each long column read NULL when its
// value is longer than long_bytes.
std::string long_values_left_null(const PgTable& table, std::uint64_t long_bytes) {
  std::vector<std::string> list = table.column_names;
  for (const auto& [at, bytea] : table.long_columns)
    list[at] = fmt::format("CASE WHEN pg_catalog.octet_length({0}) > {1} THEN NULL ELSE {0} END",
                           list[at], long_bytes);
  return fmt::format("{}", fmt::join(list, ", "));
}

bool parse_number(std::string_view text, std::uint64_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string format_slice(const PageRange& range) {
  if (range.end) return fmt::format("({},{})", range.first, *range.end);
  return fmt::format("({},)", range.first);
}

PageRange parse_slice(std::string_view slice) {
  auto malformed = [&] {
    return Error(ExitCode::failure, fmt::format("malformed postgres slice '{}'", slice));
  };
  if (slice.size() < 3 || slice.front() != '(' || slice.back() != ')') throw malformed();
  std::string_view inner = slice.substr(1, slice.size() - 2);
  std::size_t comma = inner.find(',');
  if (comma == std::string_view::npos) throw malformed();
  PageRange range;
  if (!parse_number(inner.substr(0, comma), range.first)) throw malformed();
  std::string_view end = inner.substr(comma + 1);
  if (!end.empty()) {
    std::uint64_t value = 0;
    if (!parse_number(end, value) || value <= range.first) throw malformed();
    range.end = value;
  }
  return range;
}

std::vector<DataItem> plan_copy_items(const std::vector<PgTable>& tables, std::uint64_t block_size,
                                      std::uint64_t slice_bytes) {
  slice_bytes = std::max(slice_bytes, block_size);
  // Sized on data_bytes (heap + TOAST): a table whose big values live in TOAST
  // has few heap pages but as much to dump as its TOAST holds.
  auto sliced = [&](const PgTable& t) {
    return t.pages > 1 && t.data_bytes > kSliceThreshold * slice_bytes;
  };
  std::uint64_t sliced_bytes = 0;
  for (const auto& t : tables)
    if (sliced(t)) sliced_bytes += t.data_bytes;
  slice_bytes = std::max(slice_bytes, (sliced_bytes + kMaxSlices - 1) / kMaxSlices);

  std::vector<DataItem> items;
  for (const auto& t : tables) {
    if (!sliced(t)) {
      items.push_back({t.qualified, "", t.data_bytes});
      continue;
    }
    // Pages holding slice_bytes of the table's data, at least one.
    auto slice_pages =
        static_cast<std::uint64_t>(static_cast<double>(t.pages) * static_cast<double>(slice_bytes) /
                                   static_cast<double>(t.data_bytes));
    slice_pages = std::max<std::uint64_t>(slice_pages, 1);
    for (std::uint64_t first = 0; first < t.pages; first += slice_pages) {
      PageRange range{first, first + slice_pages};
      if (*range.end >= t.pages) range.end.reset();
      std::uint64_t pages = std::min(first + slice_pages, t.pages) - first;
      auto bytes =
          static_cast<std::uint64_t>(static_cast<double>(t.data_bytes) *
                                     static_cast<double>(pages) / static_cast<double>(t.pages));
      items.push_back({t.qualified, format_slice(range), bytes});
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const DataItem& a, const DataItem& b) {
    return a.estimated_bytes > b.estimated_bytes;
  });
  return items;
}

bool reads_long_values_apart(const PgTable& table, std::uint64_t long_bytes) {
  return !table.long_columns.empty() && table.toast_bytes >= long_bytes / 256;
}

std::string copy_query(const PgTable& table, const std::optional<PageRange>& range,
                       std::optional<std::uint64_t> long_bytes) {
  if (!range && !long_bytes)
    return fmt::format("COPY {} {} TO stdout;", table.qualified, table.columns);
  std::string where;
  if (range) {
    where = fmt::format(" WHERE ctid >= '({},0)'::tid", range->first);
    if (range->end) where += fmt::format(" AND ctid < '({},0)'::tid", *range->end);
  }
  std::string columns(select_list(table.columns));
  if (long_bytes)
    columns =
        fmt::format("CASE WHEN GREATEST({}) > {} THEN ctid END, {}", octet_lengths(table, ", "),
                    *long_bytes, long_values_left_null(table, *long_bytes));
  return fmt::format("COPY (SELECT {} FROM ONLY {}{}) TO stdout;", columns, table.qualified, where);
}

std::string copy_block_header(const PgTable& table, bool no_owner) {
  return fmt::format(
      "--\n-- Data for Name: {}; Type: TABLE DATA; Schema: {}; Owner: {}\n--\n\n"
      "COPY {} {} FROM stdin;\n",
      sanitize_comment(table.name, false), sanitize_comment(table.schema, true),
      sanitize_comment(no_owner ? "" : table.owner, true), table.qualified, table.columns);
}

CopyChunker::CopyChunker(std::string header, std::string_view table, std::string& buffer,
                         ChunkSink& out, std::string_view trailer)
    : header_(std::move(header)),
      table_(table),
      trailer_(trailer),
      buffer_(buffer),
      out_(out),
      chunk_bytes_(out.chunk_bytes()) {
  throw_if_cancelled();
  buffer_.reserve(chunk_bytes_ + kBufferSlack);
  buffer_.assign(header_);
}

void CopyChunker::open_row() {
  if (buffer_.size() > header_.size()) cut();
  link_ = ChainLink::first;
  row_checksum_.reset();
}

void CopyChunker::append_to_row(std::string_view part) {
  row_checksum_.update(part);
  while (buffer_.size() + part.size() > chunk_bytes_) {
    std::size_t room = chunk_bytes_ - std::min(chunk_bytes_, buffer_.size());
    buffer_.append(part.substr(0, room));
    part.remove_prefix(room);
    out_.emit_link(link_, table_, buffer_, 0, 0);
    link_ = ChainLink::next;
    buffer_.clear();
    throw_if_cancelled();
  }
  buffer_.append(part);
}

void CopyChunker::close_row() {
  buffer_ += trailer_;
  if (link_ == ChainLink::first)
    out_.emit(Section::data, table_, buffer_, 1, row_checksum_.digest());
  else
    out_.emit_link(ChainLink::last, table_, buffer_, 1, row_checksum_.digest());
  link_ = ChainLink::none;
  ++rows_;
  throw_if_cancelled();
  buffer_.assign(header_);
}

void CopyChunker::emit() {
  buffer_ += trailer_;
  out_.emit(Section::data, table_, buffer_, chunk_rows_, chunk_checksum_);
  if (buffer_.capacity() > 2 * (chunk_bytes_ + kBufferSlack)) {
    std::string().swap(buffer_);  // an oversized row passed: give its memory back
    buffer_.reserve(chunk_bytes_ + kBufferSlack);
  }
}

// A row bigger than the slack (a big bytea): room for exactly it and the
// trailer, so the buffer does not double beyond it (and copy it twice).
void CopyChunker::grow(std::size_t row_bytes) {
  buffer_.reserve(buffer_.size() + row_bytes + trailer_.size());
}

void CopyChunker::cut() {
  emit();
  throw_if_cancelled();
  buffer_.assign(header_);
  chunk_rows_ = 0;
  chunk_checksum_ = 0;
}

std::uint64_t CopyChunker::finish() {
  if (buffer_.size() > header_.size() || rows_ == 0) emit();
  return rows_;
}

namespace {

// Appends bytes as COPY's text format writes a value (copy.c
// CopyAttributeOutText, tab delimiter): '\\' and the control characters
// \b \f \n \r \t \v escaped, every other byte as it is. Per byte, so a
// value can be escaped in pieces cut anywhere (UTF-8 never holds these
// bytes inside a character).
void append_copy_text(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        out += c;
    }
  }
}

// Appends bytes as bytea's hex output writes them, without the "\\x".
void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::size_t at = out.size();
  out.resize(at + 2 * bytes.size());
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out[at++] = kDigits[b >> 4];
    out[at++] = kDigits[b & 15];
  }
}

// The row at ctid (where: "ctid = '(p,i)'::tid"), whose long column at
// (position in column_names) holds a value longer than long_bytes: appends
// that value's COPY text to the open row, read in pieces (dump_copy).
void append_value_in_pieces(const PgConnection& conn, const PgTable& table,
                            std::pair<unsigned, bool> column, const std::string& where,
                            std::size_t piece_bytes, CopyChunker& chunker) {
  const auto& [at, bytea] = column;
  const std::string& name = table.column_names[at];
  // Detoasted once: a substring of a compressed TOAST value would decompress
  // it from the start for every piece. Text in COPY's client encoding, UTF-8,
  // except that a SQL_ASCII database's bytes go out unconverted.
  std::string value = bytea ? fmt::format("({} || ''::pg_catalog.bytea)", name)
                            : fmt::format(
                                  "pg_catalog.convert_to({}, CASE pg_catalog.getdatabaseencoding() "
                                  "WHEN 'SQL_ASCII' THEN 'SQL_ASCII' ELSE 'UTF8' END)",
                                  name);
  PgRowStream pieces(
      conn,
      fmt::format("SELECT g.i::pg_catalog.text, pg_catalog.substring(v.b, g.i * {0} + 1, {0}) "
                  "FROM (SELECT {1} AS b FROM ONLY {2} WHERE {3} OFFSET 0) AS v, "
                  "LATERAL pg_catalog.generate_series(0, (pg_catalog.length(v.b) - 1) / {0}) "
                  "AS g(i)",
                  piece_bytes, value, table.qualified, where),
      {});
  if (bytea) chunker.append_to_row("\\\\x");
  std::string text;
  std::uint64_t next = 0;
  while (std::optional<PgResult> piece = pieces.next()) {
    if (piece->get(0, 0) != std::to_string(next++))
      throw Error(ExitCode::failure,
                  fmt::format("the pieces of column {} of table {} came out of order", name,
                              table.qualified));
    text.clear();
    if (bytea)
      append_hex(text, piece->get(0, 1));
    else
      append_copy_text(text, piece->get(0, 1));
    chunker.append_to_row(text);
  }
  if (next == 0)
    throw Error(ExitCode::failure, fmt::format("column {} of table {} read no value at {}", name,
                                               table.qualified, where));
}

// Adds the row at ctid, which has a value longer than long_bytes, to
// chunker as one line in parts (dump_copy).
void add_row_in_pieces(const PgConnection& conn, const PgTable& table, std::string_view ctid,
                       std::uint64_t long_bytes, CopyChunker& chunker) {
  const std::string where = fmt::format("ctid = {}::pg_catalog.tid", quote_literal(ctid));
  std::vector<bool> apart(table.column_names.size(), false);
  PgResult lengths = conn.exec(fmt::format("SELECT {} FROM ONLY {} WHERE {}",
                                           octet_lengths(table, ", "), table.qualified, where));
  if (lengths.rows() != 1)
    throw Error(ExitCode::failure,
                fmt::format("row {} of table {} is gone from the snapshot", ctid, table.qualified));
  for (std::size_t k = 0; k < table.long_columns.size(); ++k)
    apart[table.long_columns[k].first] =
        static_cast<std::uint64_t>(lengths.num(0, static_cast<int>(k))) > long_bytes;
  std::string line;
  {
    PgCopyOut copy(conn,
                   fmt::format("COPY (SELECT {} FROM ONLY {} WHERE {}) TO stdout;",
                               long_values_left_null(table, long_bytes), table.qualified, where));
    for (std::string_view row; copy.next(row);) line = row;
  }
  chunker.open_row();
  std::size_t start = 0;
  for (unsigned i = 0; i < apart.size(); ++i) {
    std::size_t end = line.find_first_of("\t\n", start);
    if (end == std::string::npos)
      throw Error(ExitCode::failure,
                  fmt::format("row {} of table {} read short", ctid, table.qualified));
    if (apart[i]) {
      auto long_column = std::find_if(table.long_columns.begin(), table.long_columns.end(),
                                      [&](const auto& c) { return c.first == i; });
      append_value_in_pieces(conn, table, *long_column, where, chunker.chunk_bytes() / 2, chunker);
      chunker.append_to_row(std::string_view(line).substr(end, 1));
    } else {
      chunker.append_to_row(std::string_view(line).substr(start, end + 1 - start));
    }
    start = end + 1;
  }
  chunker.close_row();
}

}  // namespace

std::uint64_t dump_copy(const PgConnection& conn, const PgTable& table,
                        const std::optional<PageRange>& range, bool no_owner, std::string& buffer,
                        ChunkSink& out) {
  CopyChunker chunker(copy_block_header(table, no_owner), table.qualified, buffer, out);
  const std::uint64_t long_bytes = std::max<std::uint64_t>(kLongValueBytes, out.chunk_bytes());
  if (!reads_long_values_apart(table, long_bytes)) {
    PgCopyOut copy(conn, copy_query(table, range));
    for (std::string_view row; copy.next(row);) chunker.add_line(row);
    return chunker.finish();
  }
  std::vector<std::string> apart;  // ctids of the rows with a value over long_bytes
  {
    PgCopyOut copy(conn, copy_query(table, range, long_bytes));
    for (std::string_view row; copy.next(row);) {
      // "\\N\t<the row's line>", or "(page,item)\t..." for a row read apart
      std::size_t tab = row.find('\t');
      if (row.substr(0, tab) == "\\N")
        chunker.add_line(row.substr(tab + 1));
      else
        apart.emplace_back(row.substr(0, tab));
    }
  }
  for (const auto& ctid : apart) add_row_in_pieces(conn, table, ctid, long_bytes, chunker);
  return chunker.finish();
}

}  // namespace dbsnap::pg
