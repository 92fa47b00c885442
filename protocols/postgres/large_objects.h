// Large objects' data (pg_dump's BLOBS entry), dumped by the workers inside
// the snapshot in bounded pieces. Their BLOB entries (lo_create, owner,
// comment, ACL) are pre-data, printed by the schema (schema/objects.cc).
//
// A data chunk of large objects, restorable alone and in any order after the
// pre-data, as pg_dump --format=plain prints the BLOBS entry
// (pg_backup_archiver.c StartRestoreLOs) except that each piece is written at
// its offset with lo_put (PostgreSQL 9.4+) instead of through an open
// descriptor, so one object may span chunks:
//   --\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n--\n\n
//   BEGIN;\n\n
//   SELECT pg_catalog.lo_put('16385', 0, '\x4142...');\n      (at most kLargeObjectPiece bytes)
//   ...
//   \nCOMMIT;\n\n\n
// The hex literal relies on standard_conforming_strings = on, which the
// script's header sets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dialect.h"
#include "protocols/postgres/connection.h"

namespace dbsnap::pg {

// The manifest's "table" of the large objects' data chunks; its rows are
// objects, counted in a restored database as count(*) of this catalog.
inline constexpr std::string_view kLargeObjectsTable = "pg_catalog.pg_largeobject_metadata";
// Bytes of one object per lo_put statement (a statement of twice as many
// characters): the most of an object ever held in memory.
inline constexpr std::uint64_t kLargeObjectPiece = 128 << 10;
// Objects per work item.
inline constexpr std::size_t kLargeObjectsPerItem = 1000;

// Large objects with OIDs first..last (inclusive).
struct OidRange {
  std::uint32_t first = 0, last = 0;
  bool operator==(const OidRange&) const = default;
};
// DataItem::slice text of a range: "oids first-last".
std::string format_oid_range(const OidRange& range);
// Inverse of format_oid_range. Throws dbsnap::Error(ExitCode::failure) for other text.
OidRange parse_oid_range(std::string_view slice);

// Work items for the large objects oids (ascending), kLargeObjectsPerItem
// objects each, their estimated_bytes total_bytes (of pg_largeobject)
// prorated by count. Empty for no objects.
std::vector<DataItem> plan_large_object_items(const std::vector<std::uint32_t>& oids,
                                              std::uint64_t total_bytes);

// Reads the OIDs and pg_largeobject's size through conn (inside the snapshot)
// and plans them as plan_large_object_items. Throws dbsnap::Error(ExitCode::server_error).
std::vector<DataItem> plan_large_objects(const PgConnection& conn);

// Streams the data of the objects in range through conn (inside the
// snapshot, in a transaction) into out as chunks of the form above, reading
// kLargeObjectPiece bytes at a time (lo_get; SELECT privilege on each object
// needed, as for pg_dump). buffer is reused for every chunk. Returns the
// objects dumped. Throws dbsnap::Error(ExitCode::server_error) when a query
// fails, and like ChunkSink::emit.
std::uint64_t dump_large_objects(const PgConnection& conn, const OidRange& range,
                                 std::string& buffer, ChunkSink& out);

}  // namespace dbsnap::pg
