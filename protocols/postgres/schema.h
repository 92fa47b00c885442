// PostgreSQL catalog reading and the pg_dump --format=plain schema script.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/dialect.h"

namespace dbsnap::pg {

// A table whose rows are dumped as one or more COPY blocks.
struct PgTable {
  std::uint32_t oid = 0;
  std::string schema, name;       // unquoted
  std::string owner;              // role name
  std::string qualified;          // quoted as pg_dump prints it: public.film, "My"."Tbl"
  std::string columns;            // COPY column list "(a, b)"; generated columns excluded;
                                  // "" for a table without columns
  std::uint64_t data_bytes = 0;   // pg_table_size: heap + TOAST (+ maps), what COPY reads
  std::uint64_t pages = 0;        // pg_relation_size / block size: ctid slicing bound
  std::uint64_t toast_bytes = 0;  // pg_relation_size of its TOAST table; 0 for none
  // The copied columns, quoted, in the order of columns.
  std::vector<std::string> column_names;
  // The bytea, text and varchar columns, whose values copy.h can read in
  // pieces: position in column_names, and whether the column is bytea.
  std::vector<std::pair<unsigned, bool>> long_columns;
};

// The whole schema of a database as pg_dump --format=plain --schema-only
// would print it, split where the data goes.
struct PgSchema {
  std::string pre_data;         // header SETs + every pre-data object, in pg_dump's order
  std::string post_data;        // sequence setval, constraints, indexes, triggers, rules,
                                // foreign keys, matview refresh, privileges as pg_dump orders
                                // them, then the footer
  std::vector<PgTable> tables;  // tables with data (plain, partitions, inheritance children)
                                // by schema then name; never views, partitioned parents,
                                // foreign tables or extension members
};

// Reads the catalogs through conn, which must be inside the backup's
// REPEATABLE READ snapshot (every query sees the same state as the data).
// Object forms and order follow pg_dump 15 (src/bin/pg_dump/pg_dump.c,
// pg_dump_sort.c, pg_backup_archiver.c, dumputils.c): objects sorted by type
// priority and name, then reordered only as pg_depend requires; post_data
// holds, in order, the setval calls, the post-data objects, the ACL entries
// (pg_dump's ACL pass) and the REFRESH MATERIALIZED VIEW entries (its
// post-ACL pass). options.no_owner drops ALTER ... OWNER TO and prints
// "Owner: -"; options.no_privileges drops ACL entries. The \restrict line of
// pg_dump >= 15.14 is not printed (older psql rejects it). Written against
// PostgreSQL 15; queries adapt to 12..17 where columns differ.
// Not thread-safe (uses conn). Throws dbsnap::Error(ExitCode::server_error)
// if a catalog query fails.
PgSchema read_schema(PGconn* conn, const DumpOptions& options);

}  // namespace dbsnap::pg
