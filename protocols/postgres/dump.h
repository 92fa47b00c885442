// A consistent backup of one PostgreSQL database (engine/dialect.h's
// DatabaseDump), the way pg_dump -j takes it (pg_dump.c setup_connection,
// getTables, lockTableForWorker): the leader lists the tables, opens
// `REPEATABLE READ, READ ONLY`, takes ACCESS SHARE locks with
// lock_timeout = DumpOptions::lock_wait_timeout_s (before the snapshot, so no
// DDL lands between snapshot and lock), exports its snapshot and reads the
// schema in it; workers `SET TRANSACTION SNAPSHOT` to it and COPY tables or
// ctid page ranges of them (copy.h). The leader holds its locks and
// transaction until it is destroyed.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/dialect.h"

namespace dbsnap::pg {

class PgConnection;

// Connects to url.database, locks its tables, exports the snapshot and reads
// the schema as above. slice_bytes: heap bytes per ctid slice of a big table
// (copy.h plan_copy_items); plan() uses max(slice_bytes, its chunk_bytes
// hint). The returned dump's position() is {"snapshot": exported snapshot id,
// "lsn": pg_current_wal_lsn(), or on a standby the last received (else
// replayed) LSN}. The dump and each of its sessions (share()) hold one
// connection: not thread-safe, one thread each, as engine/dialect.h has them
// called. Throws dbsnap::Error as PgConnection::connect and exec classify;
// a lock wait that exceeds lock_wait_timeout_s (0: no limit), here or when a
// session starts a table's COPY, is ExitCode::timeout naming the table and,
// when visible in pg_locks, the session that blocks it.
std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url, const DumpOptions& options,
                                        std::uint64_t slice_bytes);

// "postgres" and the server_version conn reported at connect (PgDriver::ping,
// the dump's server()).
ServerInfo server_info(const PgConnection& conn);

}  // namespace dbsnap::pg
