// A consistent backup of one MySQL/MariaDB database (engine/dialect.h's
// DatabaseDump), the way mydumper and mysqldump --single-transaction
// --master-data take it:
//
//   leader:  SET SESSION lock_wait_timeout = options.lock_wait_timeout_s
//            BACKUP STAGE START; BACKUP STAGE BLOCK_COMMIT     (MariaDB >= 10.5)
//            or FLUSH TABLES WITH READ LOCK                    (MySQL, older MariaDB)
//            START TRANSACTION WITH CONSISTENT SNAPSHOT; binlog position, GTID; schema
//   join():  each worker START TRANSACTION WITH CONSISTENT SNAPSHOT while writes wait
//   snapshot_shared(): BACKUP STAGE END / UNLOCK TABLES; rows then stream.
//
// Writes wait only between open_dump and snapshot_shared. If the lock is not
// granted in time, open fails with ExitCode::timeout naming the longest running
// other statement (information_schema.PROCESSLIST). A user without RELOAD gets
// a one-line warning on stderr and per-connection snapshots, consistent per
// table only; position() then says "snapshot": "per-connection".
// On MariaDB the binlog position is the leader snapshot's own
// (Binlog_snapshot_file/position, BINLOG_GTID_POS) and needs no privilege.
#pragma once

#include <memory>

#include "engine/dialect.h"

namespace dbsnap::mysql {

// Connects to url.database and takes the snapshot as above. Throws
// dbsnap::Error: the connect classes of MyConnection::connect, timeout for the
// lock, server_error or access_denied when reading the schema fails.
std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url, const DumpOptions& options);

}  // namespace dbsnap::mysql
