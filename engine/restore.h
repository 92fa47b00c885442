// Restore orchestration: a snapshot (or a foreign script) into a RestoreTarget,
// then row counts compared with the manifest.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compressor.h"
#include "engine/restore_target.h"
#include "engine/verify.h"
#include "engine/volume.h"

namespace dbsnap {

struct RestoreRequest {
  PrepareMode mode = PrepareMode::create;
  int jobs = 4;                     // connections running data chunks and index builds
  std::vector<std::string> tables;  // names as given to --tables; empty: every table
};

// Progress counters, updated by workers; read by a reporter thread.
struct RestoreProgress {
  std::atomic<std::uint64_t> raw_bytes{0}, rows{0};
  std::atomic<std::uint32_t> chunks_done{0}, chunks_total{0};
};

struct TableCount {
  std::string table;           // as the manifest names it
  std::uint64_t expected = 0;  // manifest rows
  std::uint64_t actual = 0;    // SELECT count(*) after the restore
};

struct RestoreReport {
  std::size_t chunks = 0;          // chunks run
  std::uint64_t raw_bytes = 0;     // SQL text run
  std::vector<TableCount> counts;  // the restored tables, in manifest order
  bool counts_match() const;
};

// Runs post-data scripts in the steps target.split_post_data makes of them:
// sequential steps on leader (the session that ran the pre-data), parallel
// ones (index builds) on leader and up to jobs - 1 helper sessions opened
// with options and the leader's settings(), kept from one step to the next
// while those settings stay the same; each step finishes before the next.
// The first error of a parallel step stops its other pieces after their
// current one and is rethrown once every thread joined. Coordinating thread
// only; close() (or the destructor) ends the helpers.
class PostDataRunner {
 public:
  PostDataRunner(RestoreTarget& target, RestoreSession& leader, const SessionOptions& options,
                 int jobs);
  ~PostDataRunner();
  PostDataRunner(const PostDataRunner&) = delete;
  PostDataRunner& operator=(const PostDataRunner&) = delete;

  // label names the script in errors (a chunk, "post-data").
  void run(std::string_view script, const std::string& label);
  void close();

 private:
  void run_parallel_step(const PostDataStep& step, const std::string& label);

  RestoreTarget& target_;
  RestoreSession& leader_;
  SessionOptions options_;
  int jobs_;
  std::vector<std::string> helper_settings_;
  std::vector<std::unique_ptr<RestoreSession>> helpers_;
};

// Makes target's database ready for a script, the one policy of every
// dialect: a missing database is created; with PrepareMode::drop an existing
// one is dropped and created anew; with clean its user objects are dropped;
// with create an existing database that holds user objects is refused with
// ExitCode::usage naming them and --drop / --clean. Throws what the target's
// calls throw.
void prepare_target(RestoreTarget& target, PrepareMode mode);

// Restores the snapshot at keys (load_manifest): prepare_target(target, mode); the
// pre-data on one session; the data chunks of the chosen tables on
// min(jobs, chunks) sessions, each fetched by a ranged read, checked
// (read_chunk) and run whole; the post-data in the steps
// target.split_post_data makes of it: sequential ones on the first session,
// parallel ones (index builds) on it and up to jobs - 1 more sessions with
// its settings, each step finished before the next; then count(*) of every
// restored table. Chunks of other tables are never read.
//
// Throws dbsnap::Error: usage for a --tables name that matches no table of
// the manifest (or more than one); what read_chunk throws for a damaged
// chunk; what the target and its sessions throw (server_error naming the
// chunk, the line and the statement). On an error the other workers finish
// their current chunk and stop; the first error is rethrown. Counts that
// differ are reported, not thrown. progress may be null.
RestoreReport restore_snapshot(RestoreTarget& target, Volume& volume, const SnapshotKeys& keys,
                               const Manifest& manifest, const DecompressorFactory& decompressors,
                               const RestoreRequest& request, RestoreProgress* progress);

// Restores a script without a manifest (pg_dump or mysqldump output, any
// .sql or .sql.gz) from volume key: prepare_target(target, mode), then one session
// runs it as it streams in (memory bounded by the longest statement).
// decompressor: null for plain text. label names the file in errors. Returns
// the SQL bytes run. Throws like restore_snapshot.
std::uint64_t restore_script(RestoreTarget& target, Volume& volume, const std::string& key,
                             std::unique_ptr<StreamDecompressor> decompressor, PrepareMode mode,
                             RestoreProgress* progress);

}  // namespace dbsnap
