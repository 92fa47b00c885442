// dbsnap verify SNAPSHOT [--restore-into SERVER]: a snapshot's checksums
// offline, and optionally a restore into a scratch database.
#include "tools/dbsnap/verify.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "compress/gunzip.h"
#include "engine/error.h"
#include "engine/restore.h"
#include "engine/snapshots.h"
#include "engine/verify.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct VerifyArgs {
  std::string snapshot, restore_into;
  int jobs = 4;
  bool quiet = false;
  VolumeOptions volume;
};

// "dbsnap_verify_3f9a1c0b": a database name nobody else uses.
std::string scratch_database_name() {
  std::random_device rd;
  return fmt::format("dbsnap_verify_{:08x}", rd());
}

int run_verify_cmd(const VerifyArgs& a) {
  LocatedSnapshot l = locate_snapshot(a.snapshot, a.volume);
  if (l.manifest.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("'{}' has no manifest beside it: verify checks dbsnap snapshots "
                            "(<stem>.manifest.json + <stem>.sql.gz); for a plain gzip file use "
                            "gzip -t",
                            a.snapshot));
  GzipChunkDecompressor decompressor;
  VerifyReport v = verify_snapshot(*l.volume, l.manifest, decompressor);
  for (const auto& p : v.problems) fmt::print(stderr, "dbsnap: {}\n", p);
  if (!v.problems.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' is damaged: {} problem{} found", a.snapshot,
                            v.problems.size(), v.problems.size() == 1 ? "" : "s"));
  if (!a.quiet)
    fmt::print(
        "{}: ok: {} chunks, {} bytes stored, {} bytes of SQL, {} rows; sha256 and every "
        "chunk's crc32 match\n",
        a.snapshot, v.chunks, v.stored_bytes, v.raw_bytes, v.rows);
  if (a.restore_into.empty()) return 0;

  auto start = std::chrono::steady_clock::now();
  std::string scratch;
  RestoreReport r =
      restore_into_scratch(*l.volume, l.manifest, resolve_server(a.restore_into), a.jobs, &scratch);
  if (!a.quiet)
    fmt::print("{}: restored into scratch database {} and dropped it: {} tables in {:.1f}s\n",
               a.snapshot, scratch, r.counts.size(), seconds_since(start));
  report_counts(r, a.quiet);
  return 0;
}

}  // namespace

RestoreReport restore_into_scratch(Volume& volume, const std::string& manifest_key,
                                   const ServerUrl& url, int jobs, std::string* scratch_name) {
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, manifest_key, keys);
  check_kind(m, url);
  if (is_globals(m))
    throw Error(ExitCode::usage,
                "a globals snapshot cannot be restored into a scratch database: it would change "
                "the server's roles; verify without --restore-into checks it offline");
  auto target = make_target(url, scratch_database_name());
  if (scratch_name) *scratch_name = target->describe();
  RestoreRequest req;
  req.jobs = jobs;
  RestoreReport r;
  try {
    r = restore_snapshot(*target, volume, keys, m, gzip_chunks(), req, nullptr);
  } catch (...) {
    target->drop_database();
    throw;
  }
  target->drop_database();
  return r;
}

void add_verify_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<VerifyArgs>();
  auto& v = *a;
  auto* verify = app.add_subcommand(
      "verify", "check a snapshot's sha256, chunk crc32s and gzip members without a server");
  verify->add_option("snapshot", v.snapshot, "<stem>.manifest.json, <stem>.sql.gz or the stem")
      ->required();
  verify->add_option("--restore-into", v.restore_into,
                     "also restore into a scratch database on this server (URL or config "
                     "name), compare row counts and drop it");
  verify->add_option("--jobs,-j", v.jobs, "parallel connections for --restore-into")
      ->check(CLI::Range(1, 256));
  verify->add_flag("--quiet,-q", v.quiet, "print nothing but errors");
  add_volume_options(verify, v.volume);
  commands.emplace_back(verify, [a] { return run_verify_cmd(*a); });
}

}  // namespace dbsnap::cli
