// The real-restore check that dbsnap verify --restore-into and a job's
// verify share.
#pragma once

#include <string>
#include <vector>

#include "engine/restore.h"
#include "engine/url.h"
#include "engine/volume.h"

namespace dbsnap::cli {

// What a restore into a scratch database found.
struct ScratchCheck {
  std::string scratch;    // the scratch database's description (dropped since)
  RestoreReport restore;  // row counts after the restore (report_counts())
  // Tables whose rows or content checksum, recomputed on the scratch copy by
  // the backup's own dump path (dump_content), differ from the manifest's
  // (content_mismatches, engine/backup.h).
  std::vector<std::string> mismatches;
  std::size_t checksums = 0;  // tables whose content checksum was compared
};

// Restores the snapshot whose manifest is manifest_key in volume into a new
// scratch database "dbsnap_verify_<random>" on url's server with jobs
// sessions, recomputes the content checksums there when the manifest has
// them, then drops it (also when anything throws, Ctrl-C included). Throws
// the restore's and target's errors; usage when the snapshot's kind does not
// restore into url's, or when it is encrypted and no identity is given
// (identity_file, else $DBSNAP_AGE_IDENTITY: encryption.h).
ScratchCheck restore_into_scratch(Volume& volume, const std::string& manifest_key,
                                  const ServerUrl& url, int jobs,
                                  const std::string& identity_file = "");

// Prints the row counts (report_counts) and every mismatch; throws
// Error(ExitCode::verify_failed) naming the tables when counts or content
// differ.
void report_scratch(const ScratchCheck& c, bool quiet);

}  // namespace dbsnap::cli
