// The real-restore check that dbsnap verify --restore-into and a job's
// verify_into share.
#pragma once

#include <string>

#include "engine/restore.h"
#include "engine/url.h"
#include "engine/volume.h"

namespace dbsnap::cli {

// Restores the snapshot whose manifest is manifest_key in volume into a new
// scratch database "dbsnap_verify_<random>" on url's server with jobs
// sessions, then drops it (also when the restore throws). Returns the report
// (row counts: report_counts()); scratch_name, when given, receives the
// target's description. Throws the restore's and target's errors;
// usage when the snapshot's kind does not restore into url's.
RestoreReport restore_into_scratch(Volume& volume, const std::string& manifest_key,
                                   const ServerUrl& url, int jobs, std::string* scratch_name);

}  // namespace dbsnap::cli
