// Backup orchestration: snapshot, parallel workers, ordered append, manifest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/compressor.h"
#include "engine/dialect.h"
#include "engine/manifest.h"
#include "engine/volume.h"

namespace dbsnap {

constexpr std::size_t kDefaultChunkBytes = 4 << 20;

// A sink that encrypts what is written to it into the sink it wraps
// (storage/age/ implements it); encryption() is what the manifest records.
class EncryptingSink : public Sink {
 public:
  virtual Encryption encryption() const = 0;
};

// Wraps a data object's sink in an encrypting one; the result owns next.
using SinkEncrypter = std::function<std::unique_ptr<EncryptingSink>(std::unique_ptr<Sink> next)>;

struct BackupRequest {
  ServerUrl url;            // url.database names the database to dump
  std::string server_name;  // volume path component; default url.volume_name()
  std::string job;          // recorded in the manifest; empty for a backup outside a job
  DumpOptions dump;
  int jobs = 4;                                  // worker connections
  Codec codec = Codec::gzip;                     // recorded; the compressors are the caller's
  int compress_level = 7;                        // the codec's level (compress/gzip.h, zstd.h)
  std::size_t chunk_bytes = kDefaultChunkBytes;  // SQL text per data chunk
  SinkEncrypter encrypt;                         // empty: the data object is plaintext
};

// Progress counters, updated by workers; read by a reporter thread.
struct BackupProgress {
  std::atomic<std::uint64_t> raw_bytes{0}, stored_bytes{0}, rows{0};
  std::atomic<std::uint32_t> items_done{0}, items_total{0};
};

struct BackupResult {
  std::string manifest_key;  // volume key of the completed manifest
  std::string data_key;      // volume key of the .sql.gz (or .sql.gz.age)
  Manifest manifest;
};

// Runs one database's backup into volume under
// <server_name>/<database>/<UTC timestamp>-<id>.{sql.gz,manifest.json}
// (with request.encrypt the data object is <...>.sql.gz.age, written through
// the encrypting sink, and the manifest's encryption, size and sha256
// describe the stored bytes; request.dump.globals: the server's globals, under
// <server_name>/globals/, engine/snapshots.h). The manifest is put with status "running" first and
// "completed" only after the data object's sink finished; on any error it is put "failed" with the
// reason, the data sink is aborted (and, when the error came while or after
// it finished, the data object removed: none stays beside a manifest that
// does not say completed), and the error is rethrown.
// progress may be null.
BackupResult run_backup(Driver& driver, Volume& volume, const CompressorFactory& compressors,
                        const BackupRequest& request, BackupProgress* progress);

// What a table holds, as a backup records it: rows and content checksum
// (engine/row_checksum.h).
struct TableContent {
  std::uint64_t rows = 0;
  std::uint64_t checksum = 0;
  bool operator==(const TableContent&) const = default;
};

// The rows and content checksum of every table of request.url's database,
// taken by the backup's own data path (plan, share, SnapshotSession::dump on
// request.jobs sessions) into sinks that keep only those sums: each row is
// formatted exactly as a backup with request.dump formats it, then dropped.
// Nothing is written anywhere. Throws what the dialect throws.
std::map<std::string, TableContent> dump_content(Driver& driver, const BackupRequest& request);

// One line per table of m.checksums whose content in found differs (a table
// missing from found has none): "table public.t differs: 42 rows, checksum
// 0123456789abcdef in the snapshot; 41 rows, checksum fedcba9876543210
// restored". Tables without a recorded checksum (manifests older than
// checksums) are not compared. Pure.
std::vector<std::string> content_mismatches(const Manifest& m,
                                            const std::map<std::string, TableContent>& found);

}  // namespace dbsnap
