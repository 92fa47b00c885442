// Which protocol and codec implementation a command plugs into the engine for
// a server: the only place that maps a ServerKind to protocols/.
#pragma once

#include <memory>
#include <string>
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
std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database);

// The target of a globals snapshot: url's server (protocols/postgres/restore.h
// make_pg_globals_target); connects to database, else the URL's.
std::unique_ptr<RestoreTarget> make_globals_target(const ServerUrl& url,
                                                   const std::string& database);

// A snapshot of one server kind restores into the same kind (MySQL and
// MariaDB count as one); throws dbsnap::Error(ExitCode::usage) otherwise.
void check_kind(const Manifest& m, const ServerUrl& url);

// The decompressor of a snapshot's gzip members, one per restore session.
DecompressorFactory gzip_chunks();

}  // namespace dbsnap::cli
