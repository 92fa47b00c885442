// The snapshot layout of a volume, in one place: how snapshots are named,
// found, listed and deleted.
//
//   <server>/<database>/<stem>.manifest.json   the manifest (engine/manifest.h)
//   <server>/<database>/<stem>.sql.gz          its data object (Manifest::data_object)
//   <server>/<database>/<stem>.sql.zst         or that, compressed with zstd (Manifest::codec)
//   <server>/<database>/<stem>.sql.gz.age      or, encrypted, either as one age file
//
// A globals snapshot (backup --globals: the server's roles and tablespaces,
// no database) has Manifest::database "" and options "globals": "true", and
// is filed under <server>/globals/.
//
// <server> is BackupRequest::server_name (by default "host-port"), <stem> is
// "20261121T220000Z-3f9a1c": the UTC start time, then a random id that tells
// apart two backups of one second. A snapshot exists while its manifest does:
// the data object is written before the manifest says completed, and
// deleted before the manifest is.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/manifest.h"
#include "engine/verify_record.h"
#include "engine/volume.h"

namespace dbsnap {

inline constexpr std::string_view kManifestSuffix = ".manifest.json";
// The data object's suffix for each codec: ".sql.gz", ".sql.zst".
std::string_view data_suffix(Codec codec);
// Appended to the data suffix for an encrypted data object (Manifest::encryption).
inline constexpr std::string_view kEncryptedSuffix = ".age";

// A snapshot in a volume: its manifest and data object keys.
struct SnapshotKeys {
  std::string manifest;  // "<dir>/<stem>.manifest.json"
  std::string data;      // "<dir>/" + Manifest::data_object
};

// A new stem for a backup starting at now_unix (seconds since the epoch),
// with a random id.
std::string new_snapshot_stem(std::int64_t now_unix);

// The directory of globals snapshots under a server's.
inline constexpr std::string_view kGlobalsDirectory = "globals";

// The keys of snapshot stem of server_name's database, its data compressed
// with codec; database "" names the server's globals (kGlobalsDirectory).
SnapshotKeys snapshot_keys(std::string_view server_name, std::string_view database,
                           std::string_view stem, Codec codec);

// name without a data suffix of either codec at its end, or nullopt if it has none.
std::optional<std::string_view> strip_data_suffix(std::string_view name);

// Whether m is a globals snapshot's manifest.
bool is_globals(const Manifest& m);

// "<server>/<database>/<stem>" of a manifest key: a snapshot's name in listings.
std::string snapshot_name(std::string_view manifest_key);

// The manifest key of the snapshot that name points to in volume: name is a
// key of a manifest or of a data object with one beside it, or a key without
// suffix ("<dir>/<stem>"). nullopt when no such manifest exists.
std::optional<std::string> find_manifest(Volume& volume, std::string_view name);

// One snapshot as list_snapshots() found it.
struct SnapshotEntry {
  std::string name;  // "<server>/<database>/<stem>"
  SnapshotKeys keys;
  Manifest manifest;
  // effective_status(), except that a completed manifest without its data
  // object (a half-deleted snapshot) reads data_missing.
  SnapshotStatus status = SnapshotStatus::running;
  std::int64_t started_unix = -1;  // manifest.started_at, -1 if unreadable
  // The job's restore check recorded beside it ("<name>.verify.json",
  // engine/verify_record.h); none when unchecked or the record is unreadable.
  std::optional<VerifyRecord> verification;
};

struct SnapshotListing {
  std::vector<SnapshotEntry> snapshots;  // newest first
  std::vector<std::string> skipped;      // "<key>: <reason>" for unreadable manifests
};

// Every snapshot in volume (one listing, then one read per manifest and per
// verification record); now_unix
// dates heartbeats (effective_status()). Throws dbsnap::Error when the
// listing fails; a manifest that cannot be read or parsed is skipped.
SnapshotListing list_snapshots(Volume& volume, std::int64_t now_unix);

// Which snapshots a command considers; an empty field matches all.
struct SnapshotFilter {
  std::string job, server, database;  // server: Manifest::server_name
  bool matches(const Manifest& m) const;
};

// Deletes snapshots: every data object (and verification record,
// engine/verify_record.h) first, then the manifests, so an
// interruption leaves manifests without data (listed as data_missing, and
// deleted by the next prune), never data without a manifest. Throws
// dbsnap::Error naming the key that could not be deleted.
void delete_snapshots(Volume& volume, std::span<const SnapshotEntry> snapshots);

}  // namespace dbsnap
