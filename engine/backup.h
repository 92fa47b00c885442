// Backup orchestration: snapshot, parallel workers, ordered append, manifest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/compressor.h"
#include "engine/dialect.h"
#include "engine/manifest.h"
#include "engine/volume.h"

namespace dbsnap {

constexpr std::size_t kDefaultChunkBytes = 4 << 20;

struct BackupRequest {
  ServerUrl url;            // url.database names the database to dump
  std::string server_name;  // volume path component; default url.volume_name()
  std::string job;          // recorded in the manifest; empty for a backup outside a job
  DumpOptions dump;
  int jobs = 4;                                  // worker connections
  int compress_level = 6;                        // 0..12 (libdeflate levels)
  std::size_t chunk_bytes = kDefaultChunkBytes;  // SQL text per data chunk
};

// Progress counters, updated by workers; read by a reporter thread.
struct BackupProgress {
  std::atomic<std::uint64_t> raw_bytes{0}, stored_bytes{0}, rows{0};
  std::atomic<std::uint32_t> items_done{0}, items_total{0};
};

struct BackupResult {
  std::string manifest_key;  // volume key of the completed manifest
  std::string data_key;      // volume key of the .sql.gz
  Manifest manifest;
};

// Runs one database's backup into volume under
// <server_name>/<database>/<UTC timestamp>-<id>.{sql.gz,manifest.json}
// (request.dump.globals: the server's globals, under <server_name>/globals/,
// engine/snapshots.h).
// The manifest is put with status "running" first and "completed" only after
// the data object's sink finished; on any error it is put "failed" with the
// reason, the data sink is aborted (and, when the error came while or after
// it finished, the data object removed: none stays beside a manifest that
// does not say completed), and the error is rethrown.
// progress may be null.
BackupResult run_backup(Driver& driver, Volume& volume, const CompressorFactory& compressors,
                        const BackupRequest& request, BackupProgress* progress);

}  // namespace dbsnap
