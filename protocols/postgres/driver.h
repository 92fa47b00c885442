// The PostgreSQL dialect: dbsnap::Driver over libpq (never pg_dump).
// Consistency and the snapshot: dump.h. Script format: schema.h, copy.h,
// large_objects.h; backup --globals: globals.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/dialect.h"
#include "protocols/postgres/copy.h"

namespace dbsnap::pg {

// Stateless apart from its configuration; thread-safe. Every method connects
// anew and throws dbsnap::Error as PgConnection::connect and exec classify;
// a lock wait that exceeds lock_wait_timeout_s (0: no limit) is
// ExitCode::timeout naming the table and, when visible in pg_locks, the
// session that blocks it.
class PgDriver final : public Driver {
 public:
  // slice_bytes: heap bytes per ctid slice of a big table (copy.h
  // plan_copy_items); plan() uses max(slice_bytes, its chunk_bytes hint).
  explicit PgDriver(std::uint64_t slice_bytes = kDefaultSliceBytes) : slice_bytes_(slice_bytes) {}

  // can_backup: USAGE on every user schema, SELECT on every table, partitioned
  // table, materialized view and sequence, and no row-level security that
  // would hide rows (dumps run with row_security = off, as pg_dump's); each
  // failing relation is a note. can_restore: superuser, CREATEDB or member of
  // the database's owner role.
  PingReport ping(const ServerUrl& url) override;
  // Every database that allows connections and is not a template, by name
  // (pg_dumpall's set: template0 and template1 excluded, postgres included).
  std::vector<std::string> databases(const ServerUrl& url) override;
  // dump.h open_dump with slice_bytes; options.globals: globals.h
  // open_globals_dump.
  std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url,
                                          const DumpOptions& options) override;

 private:
  std::uint64_t slice_bytes_;
};

std::unique_ptr<Driver> make_pg_driver();

}  // namespace dbsnap::pg
