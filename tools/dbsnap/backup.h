// One database's backup as the CLI runs it (dbsnap backup, dbsnap run): a
// progress line on a terminal, then one summary line.
#pragma once

#include "engine/backup.h"
#include "engine/dialect.h"
#include "engine/volume.h"

namespace dbsnap::cli {

// run_backup() of request (request.url.database names the database) with
// request.codec's compressor at request.compress_level; unless quiet, shows progress and
// prints "<volume>/<data key>: N tables, N rows, ... in 1.2s" on stdout.
// Throws what run_backup throws.
BackupResult backup_database(Driver& driver, Volume& volume, const BackupRequest& request,
                             bool quiet);

}  // namespace dbsnap::cli
