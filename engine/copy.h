// dbsnap copy: one database straight into another database or server,
// inside one consistent snapshot of the source, with no file in between.
#pragma once

#include <cstddef>

#include "engine/backup.h"
#include "engine/dialect.h"
#include "engine/restore.h"
#include "engine/restore_target.h"

namespace dbsnap {

struct CopyRequest {
  ServerUrl source;  // source.database names the database to copy
  DumpOptions dump;  // what to copy (tables, owners, privileges) as for a backup
  int jobs = 4;      // dump sessions sharing the snapshot, and as many target sessions
  std::size_t chunk_bytes = kDefaultChunkBytes;  // SQL text per data chunk
  PrepareMode mode = PrepareMode::create;        // a non-empty target: refuse, drop or clean
};

// Copies the source database into target: connects and takes the snapshot
// (DatabaseDump, as run_backup), prepare_target(target, mode), runs the
// pre-data on one target session, then the data: `jobs` dump sessions emit
// chunks into a queue of at most 2 x jobs chunks (memory: about that many
// times chunk_bytes, beside the largest row) from which `jobs` target
// sessions, opened with the pre-data's settings, run them as they come; then
// the post-data (PostDataRunner: index builds in parallel); then count(*) of
// every copied table against the rows the dump sent. progress counts items
// dumped (items_done/items_total), and rows and SQL bytes run on the target
// (stored_bytes stays 0); it may be null.
//
// Throws dbsnap::Error: what the driver throws for the source (connection,
// locks), what prepare_target and the target's sessions throw (server_error
// naming the table, the line and the statement). On an error both sides stop
// after their current chunk and the first error is rethrown; the target is
// left as far as it got (the caller says so). Counts that differ are
// reported, not thrown.
RestoreReport run_copy(Driver& source, RestoreTarget& target, const CopyRequest& request,
                       BackupProgress* progress);

}  // namespace dbsnap
