// A consistent backup of one MySQL/MariaDB database (engine/dialect.h's
// DatabaseDump), the way mydumper and mysqldump --single-transaction
// --master-data take it, with commits blocked only for the snapshot starts:
//
//   open_dump: leader START TRANSACTION; opens every table (SELECT ... LIMIT 0)
//              so its transaction holds their metadata locks until the end:
//              DDL on them waits for the backup; then the schema is read.
//   share(n):  n workers connect; a locker connection takes the global lock
//              (BACKUP STAGE START + BLOCK_COMMIT on MariaDB >= 10.5, else
//              FLUSH TABLES WITH READ LOCK); each worker START TRANSACTION WITH
//              CONSISTENT SNAPSHOT; binlog position, GTID; BACKUP STAGE END /
//              UNLOCK TABLES. Rows then stream.
//
// Every statement sent under a lock is bounded by options.lock_wait_timeout_s
// (lock_wait_timeout, and max_statement_time on MariaDB / max_execution_time
// on MySQL); on expiry the lock is dropped at once and the backup fails with
// ExitCode::timeout naming the longest running other statement
// (information_schema.PROCESSLIST). A DDL statement issued during the backup
// waits behind the leader's metadata locks; a worker that then cannot read
// that table fails with ExitCode::timeout naming the table (never a silent
// mismatch of schema and data). A user without RELOAD gets a one-line warning
// on stderr and per-connection snapshots, consistent per table only;
// position() then says "snapshot": "per-connection". On MariaDB the binlog
// position is the first worker snapshot's own (Binlog_snapshot_file/position,
// BINLOG_GTID_POS) and needs no privilege.
#pragma once

#include <memory>

#include "engine/dialect.h"

namespace dbsnap::mysql {

// Connects to url.database, guards its tables and reads the schema as above. Throws
// dbsnap::Error: the connect classes of MyConnection::connect, timeout for a
// metadata lock, server_error or access_denied when reading the schema fails.
std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url, const DumpOptions& options);

}  // namespace dbsnap::mysql
