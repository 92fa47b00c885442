#include "protocols/postgres/large_objects.h"

#include <fmt/format.h>

#include <charconv>

#include "engine/error.h"
#include "protocols/postgres/copy.h"

namespace dbsnap::pg {
namespace {

constexpr std::string_view kHeader =
    "--\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n--\n\nBEGIN;\n\n";
constexpr std::string_view kTrailer = "\nCOMMIT;\n\n\n";
// Rows per FETCH: at most this many first pieces in memory at once.
constexpr int kFetchRows = 16;

bool parse_oid(std::string_view text, std::uint32_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::string put_statement(std::string_view oid, std::uint64_t offset, std::string_view hex) {
  return fmt::format("SELECT pg_catalog.lo_put('{}', {}, '\\x{}');\n", oid, offset, hex);
}

// The pieces of object oid after its first (of kLargeObjectPiece bytes), until a short one.
void add_rest(const PgConnection& conn, std::string_view oid, CopyChunker& chunker) {
  for (std::uint64_t offset = kLargeObjectPiece;; offset += kLargeObjectPiece) {
    PgResult piece = conn.exec_params(
        fmt::format("SELECT pg_catalog.encode(pg_catalog.lo_get($1::pg_catalog.oid, "
                    "$2::pg_catalog.int8, {}), 'hex')",
                    kLargeObjectPiece),
        {oid, std::to_string(offset)});
    std::string_view hex = piece.get(0, 0);
    if (hex.empty()) return;
    chunker.add(put_statement(oid, offset, hex), 0);
    if (hex.size() < 2 * kLargeObjectPiece) return;
  }
}

}  // namespace

std::string format_oid_range(const OidRange& range) {
  return fmt::format("oids {}-{}", range.first, range.last);
}

OidRange parse_oid_range(std::string_view slice) {
  constexpr std::string_view kPrefix = "oids ";
  std::size_t dash = slice.find('-');
  OidRange range;
  if (slice.substr(0, kPrefix.size()) != kPrefix || dash == std::string_view::npos ||
      !parse_oid(slice.substr(kPrefix.size(), dash - kPrefix.size()), range.first) ||
      !parse_oid(slice.substr(dash + 1), range.last) || range.last < range.first)
    throw Error(ExitCode::failure, fmt::format("malformed large object range '{}'", slice));
  return range;
}

std::vector<DataItem> plan_large_object_items(const std::vector<std::uint32_t>& oids,
                                              std::uint64_t total_bytes) {
  std::vector<DataItem> items;
  for (std::size_t begin = 0; begin < oids.size(); begin += kLargeObjectsPerItem) {
    std::size_t end = std::min(oids.size(), begin + kLargeObjectsPerItem);
    auto bytes = static_cast<std::uint64_t>(static_cast<double>(total_bytes) *
                                            static_cast<double>(end - begin) /
                                            static_cast<double>(oids.size()));
    items.push_back(
        {std::string(kLargeObjectsTable), format_oid_range({oids[begin], oids[end - 1]}), bytes});
  }
  return items;
}

std::vector<DataItem> plan_large_objects(const PgConnection& conn) {
  PgResult r = conn.exec(
      "SELECT l.oid, pg_catalog.pg_table_size('pg_catalog.pg_largeobject') "
      "FROM pg_catalog.pg_largeobject_metadata l ORDER BY l.oid");
  std::vector<std::uint32_t> oids;
  oids.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) oids.push_back(r.oid(i, 0));
  return plan_large_object_items(oids, r.rows() > 0 ? static_cast<std::uint64_t>(r.num(0, 1)) : 0);
}

std::uint64_t dump_large_objects(const PgConnection& conn, const OidRange& range,
                                 std::string& buffer, ChunkSink& out) {
  CopyChunker chunker(std::string(kHeader), kLargeObjectsTable, buffer, out, kTrailer);
  conn.exec(fmt::format(
      "DECLARE dbsnap_large_objects NO SCROLL CURSOR FOR "
      "SELECT l.oid, pg_catalog.encode(pg_catalog.lo_get(l.oid, 0, {}), 'hex') "
      "FROM pg_catalog.pg_largeobject_metadata l WHERE l.oid BETWEEN {} AND {} ORDER BY l.oid",
      kLargeObjectPiece, range.first, range.last));
  for (;;) {
    PgResult batch = conn.exec(fmt::format("FETCH {} FROM dbsnap_large_objects", kFetchRows));
    if (batch.rows() == 0) break;
    for (int i = 0; i < batch.rows(); ++i) {
      std::string_view oid = batch.get(i, 0), hex = batch.get(i, 1);
      chunker.add(put_statement(oid, 0, hex), 1);
      if (hex.size() == 2 * kLargeObjectPiece) add_rest(conn, oid, chunker);
    }
  }
  conn.exec("CLOSE dbsnap_large_objects");
  return chunker.finish();
}

}  // namespace dbsnap::pg
