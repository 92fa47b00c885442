#include "protocols/postgres/copy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "engine/cancel.h"
#include "engine/error.h"

namespace dbsnap::pg {
namespace {

// Room for the header, the trailer and a typical last row beyond chunk_bytes.
constexpr std::size_t kBufferSlack = 64 << 10;

// pg_backup_archiver.c sanitize_line: newlines would break the comment.
std::string sanitize_line(std::string_view s, bool want_hyphen) {
  if (s.empty() && want_hyphen) return "-";
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return out;
}

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
  std::uint64_t slice_pages = std::max<std::uint64_t>(slice_bytes / block_size, 1);
  auto sliced = [&](const PgTable& t) { return t.pages > kSliceThreshold * slice_pages; };
  std::uint64_t sliced_pages = 0;
  for (const auto& t : tables)
    if (sliced(t)) sliced_pages += t.pages;
  slice_pages = std::max(slice_pages, (sliced_pages + kMaxSlices - 1) / kMaxSlices);

  std::vector<DataItem> items;
  for (const auto& t : tables) {
    if (!sliced(t)) {
      items.push_back({t.qualified, "", t.total_bytes});
      continue;
    }
    for (std::uint64_t first = 0; first < t.pages; first += slice_pages) {
      PageRange range{first, first + slice_pages};
      if (*range.end >= t.pages) range.end.reset();
      std::uint64_t pages = std::min(first + slice_pages, t.pages) - first;
      items.push_back({t.qualified, format_slice(range), t.total_bytes / t.pages * pages});
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
      sanitize_line(table.name, false), sanitize_line(table.schema, true),
      sanitize_line(no_owner ? "" : table.owner, true), table.qualified, table.columns);
}

std::uint64_t dump_copy(const PgConnection& conn, const PgTable& table,
                        const std::optional<PageRange>& range, bool no_owner, std::string& buffer,
                        ChunkSink& out) {
  throw_if_cancelled();
  const std::string header = copy_block_header(table, no_owner);
  const std::size_t chunk_bytes = out.chunk_bytes();
  buffer.reserve(chunk_bytes + kBufferSlack);
  buffer.assign(header);
  std::uint64_t chunk_rows = 0;
  auto emit = [&] {
    buffer += kCopyBlockTrailer;
    out.emit(Section::data, table.qualified, buffer, chunk_rows);
  };
  std::uint64_t rows = conn.copy_out(copy_query(table, range), [&](std::string_view row) {
    if (chunk_rows > 0 && buffer.size() >= chunk_bytes) {
      emit();
      throw_if_cancelled();
      buffer.assign(header);
      chunk_rows = 0;
    }
    buffer += row;
    ++chunk_rows;
  });
  emit();
  return rows;
}

}  // namespace dbsnap::pg
