#include "protocols/postgres/copy.h"

#include <fmt/format.h>

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

std::string copy_query(const PgTable& table, const std::optional<PageRange>& range) {
  if (!range) return fmt::format("COPY {} {} TO stdout;", table.qualified, table.columns);
  std::string where = fmt::format("ctid >= '({},0)'::tid", range->first);
  if (range->end) where += fmt::format(" AND ctid < '({},0)'::tid", *range->end);
  return fmt::format("COPY (SELECT {} FROM ONLY {} WHERE {}) TO stdout;",
                     select_list(table.columns), table.qualified, where);
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

void CopyChunker::add_chain(std::string_view row) {
  if (buffer_.size() > header_.size()) cut();
  const std::uint64_t checksum = xxh64(row);
  ChainLink link = ChainLink::first;
  for (; row.size() > chunk_bytes_; row.remove_prefix(chunk_bytes_)) {
    buffer_.append(row.substr(0, chunk_bytes_));
    out_.emit_link(link, table_, buffer_, 0, 0);
    link = ChainLink::next;
    buffer_.clear();
    throw_if_cancelled();
  }
  buffer_.append(row);
  buffer_ += trailer_;
  out_.emit_link(ChainLink::last, table_, buffer_, 1, checksum);
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
  emit();
  return rows_;
}

std::uint64_t dump_copy(const PgConnection& conn, const PgTable& table,
                        const std::optional<PageRange>& range, bool no_owner, std::string& buffer,
                        ChunkSink& out) {
  CopyChunker chunker(copy_block_header(table, no_owner), table.qualified, buffer, out);
  PgCopyOut copy(conn, copy_query(table, range));
  for (std::string_view row; copy.next(row);) chunker.add_line(row);
  return chunker.finish();
}

}  // namespace dbsnap::pg
