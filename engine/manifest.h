// The snapshot manifest: the index and the record of one backup.
// Format (version 1), written as <ts>-<id>.manifest.json beside <ts>-<id>.sql.gz:
//
//   { "format": "dbsnap-manifest", "format_version": 1 | 2, "tool_version": "0.1.0",
//     "status": "running" | "completed" | "failed", "failure": "reason",
//     "job": "nightly",   (absent for a backup outside a job)
//     "server": { "kind": "postgres", "version": "15.5", "name": "127.0.0.1-5432",
//                 "url": "postgres://u:***@127.0.0.1:5432/app" },
//     "database": "app", "data_object": "<ts>-<id>.sql.gz", "codec": "gzip",
//     "position": { "lsn": "0/1A2B3C", "snapshot": "00000003-0000001B-1" },
//     "started_at": "2026-11-21T22:00:00Z", "finished_at": "...",
//     "host": "backup-1", "pid": 4242, "heartbeat_at": "2026-11-21T22:00:30Z",
//     "options": { "jobs": 4, "compress": 6, "chunk_bytes": 4194304, ... },
//     "chunks": [ { "section": "pre-data", "table": "", "offset": 0, "length": 812,
//                   "raw_bytes": 4096, "rows": 0, "crc32": 305419896 },
//                 { ..., "after": 7 }, ... ],
//     "tables": { "public.film": 1000, ... },
//     "checksums": { "public.film": "9c1f0e2a7b3d4c55", ... },
//     "size": 123456, "sha256": "hex",
//     "encryption": { "format": "age-v1", "header_length": 200, "chunk_size": 65536 } }
//
// codec: how each chunk is stored: "gzip" (gzip members, RFC 1952; data
// object <stem>.sql.gz) or "zstd" (zstd frames, RFC 8878; <stem>.sql.zst);
// manifests written before zstd lack it (gzip). Below, ".sql.gz" stands for
// either.
// chunks are listed in file order; offset/length are bytes of the .sql.gz;
// raw_bytes is the decompressed SQL text; crc32 covers the stored (compressed)
// bytes of the chunk; sha256 covers the whole .sql.gz. "after" (format 2
// only) makes the chunk the next link of a chain: it runs after chunk number
// "after" (of the same table), on the same session.
// checksums: per table, the content checksum of engine/row_checksum.h (the
// sum mod 2^64 of the XXH64 of each row's dumped text) as 16 lowercase
// hex digits, taken inside the backup's snapshot; manifests written before
// it lack the field (an empty map).
// encryption (absent for a plaintext snapshot): the data object is one age
// v1 file of the whole .sql.gz (data_object "<stem>.sql.gz.age"). Chunk
// offsets, lengths and CRC-32s stay in .sql.gz (plaintext) coordinates;
// header_length (the age header's bytes, before the 16-byte nonce) and
// chunk_size (plaintext bytes per STREAM chunk) map them to ciphertext.
// size and sha256 then describe the stored (encrypted) bytes. No key or
// other secret is ever recorded.
// host, pid and heartbeat_at name the process that writes the snapshot; while
// it runs it rewrites the manifest with a fresh heartbeat_at (ManifestHeartbeat,
// engine/heartbeat.h). Manifests of older versions lack them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compressor.h"
#include "engine/url.h"

namespace dbsnap {

// A snapshot's state. The manifest holds running, completed or failed;
// interrupted (effective_status()) and data_missing (list_snapshots(),
// engine/snapshots.h) are only ever derived.
enum class SnapshotStatus { running, completed, failed, interrupted, data_missing };

// "running", "completed", "failed", "interrupted", "data-missing": the
// manifest's text (and the listings').
std::string_view status_name(SnapshotStatus s);

// Where a chunk sits in the script (pg_dump's sections, plus the data).
enum class Section { pre_data, data, post_data };

std::string_view section_name(Section s);  // "pre-data", "data", "post-data"

struct ChunkEntry {
  Section section = Section::data;
  std::string table;            // qualified table name for data chunks, empty otherwise
  std::uint64_t offset = 0;     // bytes into the .sql.gz
  std::uint64_t length = 0;     // compressed bytes
  std::uint64_t raw_bytes = 0;  // decompressed bytes
  std::uint64_t rows = 0;
  std::uint32_t crc32 = 0;  // of the compressed bytes
  // The chunk this one continues (an index into Manifest::chunks, always
  // smaller): it must run after that one, on the same session. nullopt for
  // a chunk that stands alone or begins a chain (engine/dialect.h ChainLink).
  std::optional<std::size_t> after;
};

// How the data object is encrypted; format "" = not encrypted.
struct Encryption {
  std::string format;  // "age-v1"
  std::uint64_t header_length = 0;
  std::uint64_t chunk_size = 0;
  bool encrypted() const { return !format.empty(); }
  bool operator==(const Encryption&) const = default;
};

inline constexpr std::string_view kAgeFormat = "age-v1";

struct Manifest {
  // Written as 2 when some chunk has "after" (so that a dbsnap that predates
  // chains refuses it instead of running the links apart), else 1; both read.
  static constexpr int kFormatVersion = 2;
  SnapshotStatus status = SnapshotStatus::running;
  std::string failure;  // reason when failed
  std::string job;      // the job that made it; empty for a backup outside a job
  ServerKind server_kind = ServerKind::postgres;
  std::string server_version, server_name, server_url;  // url is masked
  std::string database;
  std::string data_object;  // file name of the .sql.gz, relative to the manifest
  Codec codec = Codec::gzip;
  std::map<std::string, std::string> position;
  std::string started_at, finished_at;  // ISO 8601 UTC
  std::string host;                     // gethostname() of the writing process
  std::uint64_t pid = 0;                // its process id; 0 = unknown
  std::string heartbeat_at;             // ISO 8601 UTC, last sign of life while running
  std::map<std::string, std::string> options;
  std::vector<ChunkEntry> chunks;
  std::map<std::string, std::uint64_t> tables;     // rows per table
  std::map<std::string, std::uint64_t> checksums;  // content checksum per table
  std::uint64_t size = 0;                          // of the stored data object
  std::string sha256;                              // of the stored data object
  Encryption encryption;
};

// Serialises as the format above (pretty-printed JSON).
std::string to_json(const Manifest& m);

// Parses a manifest; throws dbsnap::Error(ExitCode::verify_failed) naming what
// is missing or malformed (an unknown status, server kind or codec among them).
Manifest parse_manifest(std::string_view json);

// A running backup older than this without a heartbeat is taken as gone.
inline constexpr int kHeartbeatStaleSeconds = 300;

// m.status, except that a running manifest whose process is gone reads
// interrupted: its host is this_host and no process m.pid exists here, or
// its last heartbeat (started_at when it has none) is more than
// kHeartbeatStaleSeconds before now_unix (seconds since the epoch).
SnapshotStatus effective_status(const Manifest& m, std::string_view this_host,
                                std::int64_t now_unix);

// Whether a process pid exists on this host (kill(pid, 0)); true for a pid
// that cannot be checked (0, or beyond pid_t).
bool process_alive(std::uint64_t pid);

// This machine's host name (gethostname), "" if it has none.
std::string this_host_name();

// Seconds since the epoch of an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ"
// (fractions ignored); -1 when text is not of that form.
std::int64_t parse_utc_iso(std::string_view text);

}  // namespace dbsnap
