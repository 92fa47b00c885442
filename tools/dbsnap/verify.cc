// dbsnap verify SNAPSHOT [--restore-into SERVER]: a snapshot's checksums
// offline, and optionally a restore into a scratch database.
#include "tools/dbsnap/verify.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "engine/backup.h"
#include "engine/error.h"
#include "engine/restore.h"
#include "engine/snapshots.h"
#include "engine/verify.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"
#include "tools/dbsnap/drivers.h"
#include "tools/dbsnap/encryption.h"
#include "tools/dbsnap/output.h"
#include "tools/dbsnap/volumes.h"

namespace dbsnap::cli {
namespace {

struct VerifyArgs {
  std::string snapshot, restore_into, identity;
  int jobs = 4;
  bool quiet = false;
  VolumeOptions volume;
  Output output;
};

// "dbsnap_verify_3f9a1c0b": a database name nobody else uses.
std::string scratch_database_name() {
  std::random_device rd;
  return fmt::format("dbsnap_verify_{:08x}", rd());
}

int run_verify_cmd(const VerifyArgs& a) {
  LocatedSnapshot l = locate_snapshot(a.snapshot, a.volume);
  if (l.manifest.empty())
    throw Error(
        ExitCode::verify_failed,
        fmt::format("'{}' has no manifest beside it: verify checks dbsnap snapshots "
                    "(<stem>.manifest.json + <stem>.sql.gz); for a plain gzip or zstd file use "
                    "gzip -t or zstd -t",
                    a.snapshot));
  const std::string identity = a.identity.empty() ? l.identity : a.identity;
  std::unique_ptr<Volume> decrypting;
  Volume* decrypted = nullptr;
  if (!identity.empty() || has_identity_env()) {
    SnapshotKeys keys;
    Manifest m = load_manifest(*l.volume, l.manifest, keys);
    if (m.encryption.encrypted())
      decrypted = &chunk_reader(*l.volume, m, a.snapshot, identity, decrypting);
  }
  VerifyReport v = verify_snapshot(*l.volume, l.manifest, chunk_decompressors, decrypted);
  for (const auto& p : v.problems) fmt::print(stderr, "dbsnap: {}\n", p);
  if (!v.problems.empty())
    throw Error(ExitCode::verify_failed,
                fmt::format("snapshot '{}' is damaged: {} problem{} found", a.snapshot,
                            v.problems.size(), v.problems.size() == 1 ? "" : "s"));
  nlohmann::ordered_json j = {{"snapshot", a.snapshot},   {"ok", true},
                              {"chunks", v.chunks},       {"stored_bytes", v.stored_bytes},
                              {"raw_bytes", v.raw_bytes}, {"rows", v.rows}};
  const bool quiet = a.quiet || a.output.json;
  j["contents_checked"] = v.contents_checked;
  if (!quiet && v.contents_checked)
    fmt::print(
        "{}: ok: {} chunks, {} bytes stored, {} bytes of SQL, {} rows; sha256 and every "
        "chunk's crc32 match\n",
        a.snapshot, v.chunks, v.stored_bytes, v.raw_bytes, v.rows);
  if (!quiet && !v.contents_checked)
    fmt::print(
        "{}: ok: {} chunks, {} bytes stored (encrypted), {} bytes of SQL, {} rows; size and "
        "sha256 of the stored bytes match; chunk contents not checked: give --identity FILE "
        "or DBSNAP_AGE_IDENTITY\n",
        a.snapshot, v.chunks, v.stored_bytes, v.raw_bytes, v.rows);
  if (a.restore_into.empty()) {
    if (a.output.json) print_json(j);
    return 0;
  }

  auto start = std::chrono::steady_clock::now();
  ScratchCheck c =
      restore_into_scratch(*l.volume, l.manifest, resolve_server(a.restore_into), a.jobs, identity);
  if (!quiet)
    fmt::print(
        "{}: restored into scratch database {} and dropped it: {} tables, {} content checksums "
        "compared in {:.1f}s\n",
        a.snapshot, c.scratch, c.restore.counts.size(), c.checksums, seconds_since(start));
  report_scratch(c, quiet);  // a difference: exit 40, no document
  if (a.output.json) {
    j["restore_into"] = {{"scratch", c.scratch},
                         {"tables", counts_json(c.restore)},
                         {"checksums_compared", c.checksums},
                         {"seconds", seconds_since(start)}};
    print_json(j);
  }
  return 0;
}

}  // namespace

ScratchCheck restore_into_scratch(Volume& volume, const std::string& manifest_key,
                                  const ServerUrl& url, int jobs,
                                  const std::string& identity_file) {
  SnapshotKeys keys;
  Manifest m = load_manifest(volume, manifest_key, keys);
  check_kind(m, url);
  std::unique_ptr<Volume> decrypting;
  Volume& reader = chunk_reader(volume, m, manifest_key, identity_file, decrypting);
  reader.read(keys.data, 0, 0);  // a wrong identity fails before the scratch database exists
  if (is_globals(m))
    throw Error(ExitCode::usage,
                "a globals snapshot cannot be restored into a scratch database: it would change "
                "the server's roles; verify without --restore-into checks it offline");
  BackupRequest content;
  content.url = url;
  content.url.database = scratch_database_name();
  content.jobs = jobs;
  content.dump.no_large_objects = m.options["no_large_objects"] == "true";
  auto target = make_target(url, content.url.database);
  ScratchCheck c;
  c.scratch = target->describe();
  RestoreRequest req;
  req.jobs = jobs;
  try {
    c.restore =
        restore_snapshot(*target, reader, keys, m, chunk_decompressors(m.codec), req, nullptr);
    if (!m.checksums.empty()) {
      c.mismatches = content_mismatches(m, dump_content(*driver_for(url), content));
      c.checksums = m.checksums.size();
    }
  } catch (...) {
    target->drop_database();
    throw;
  }
  target->drop_database();
  return c;
}

void report_scratch(const ScratchCheck& c, bool quiet) {
  report_counts(c.restore, quiet);
  for (const auto& m : c.mismatches) fmt::print(stderr, "  {}\n", m);
  if (!c.mismatches.empty())
    throw Error(
        ExitCode::verify_failed,
        fmt::format("content differs from the snapshot for {} table{}: {}", c.mismatches.size(),
                    c.mismatches.size() == 1 ? "" : "s", fmt::join(c.mismatches, "; ")));
}

void add_verify_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<VerifyArgs>();
  auto& v = *a;
  auto* verify = app.add_subcommand(
      "verify",
      "check a snapshot's sha256, chunk crc32s and gzip members (zstd frames) without a server");
  verify->add_option("snapshot", v.snapshot, "<stem>.manifest.json, <stem>.sql.gz or the stem")
      ->required();
  verify->add_option("--restore-into", v.restore_into,
                     "also restore into a scratch database on this server (URL or config "
                     "name), compare row counts and content checksums, and drop it");
  verify->add_option("--jobs,-j", v.jobs, "parallel connections for --restore-into")
      ->check(CLI::Range(1, 256));
  add_identity_option(verify, v.identity);
  verify->add_flag("--quiet,-q", v.quiet, "print nothing but errors");
  add_output_options(verify, v.output);
  add_volume_options(verify, v.volume);
  commands.emplace_back(verify, [a] { return run_verify_cmd(*a); });
}

}  // namespace dbsnap::cli
