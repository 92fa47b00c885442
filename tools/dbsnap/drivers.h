// Which protocol and codec implementation a command plugs into the engine for
// a server: the only place that maps a ServerKind to protocols/.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compressor.h"
#include "engine/dialect.h"
#include "engine/manifest.h"
#include "engine/restore_target.h"
#include "engine/url.h"

namespace dbsnap::cli {

// The backup driver for url's kind (PostgreSQL, or MySQL for MySQL and MariaDB).
std::unique_ptr<Driver> driver_for(const ServerUrl& url);

// The databases a backup of url takes: url.database when set, else every
// user database of the server that matches no pattern of exclude
// (engine/name_pattern.h, in url's dialect). Throws dbsnap::Error: usage for
// a bad pattern, database_missing when none is left, the driver's errors.
std::vector<std::string> select_databases(Driver& driver, const ServerUrl& url,
                                          const std::vector<std::string>& exclude);

// A restore target on url's server for database (empty: the URL's).
// binlog false (restore --no-binlog): the restore is not written to the
// MySQL/MariaDB binary log (mysql::MyRestoreOptions); PostgreSQL has none.
std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database,
                                           bool binlog = true);

// The target of a globals snapshot: url's server (protocols/postgres/restore.h
// make_pg_globals_target); connects to database, else the URL's.
std::unique_ptr<RestoreTarget> make_globals_target(const ServerUrl& url,
                                                   const std::string& database);

// A snapshot of one server kind restores into the same kind (MySQL and
// MariaDB count as one); throws dbsnap::Error(ExitCode::usage) otherwise.
void check_kind(const Manifest& m, const ServerUrl& url);

// A compression setting (backup --compress, a job's compress).
struct Compression {
  Codec codec = Codec::gzip;
  int level = 7;  // the codec's level: gzip 0..12 (compress/gzip.h), zstd 1..19 (zstd.h)
};

// "[gzip:]LEVEL" or "zstd[:LEVEL]", LEVEL a number in the codec's range or
// fast, default or best; a bare codec name is its default level. Throws
// dbsnap::Error(ExitCode::usage) "'x' is not ..." naming the accepted forms.
Compression parse_compression(std::string_view text);

// The compressor of c, one per backup worker.
CompressorFactory compressors_for(const Compression& c);

// The decompressor of a snapshot's chunks in codec (Manifest::codec), one per
// restore session or verify.
DecompressorFactory chunk_decompressors(Codec codec);

// What decompresses a foreign script named name whose first bytes are head
// (at least 4 when the file has them): GunzipStream for gzip's magic,
// ZstdStream for zstd's, null for plain SQL. Throws dbsnap::Error
// (ExitCode::verify_failed) for a .gz or .zst name without its magic.
std::unique_ptr<StreamDecompressor> script_decompressor(std::string_view name,
                                                        std::span<const std::byte> head);

}  // namespace dbsnap::cli
