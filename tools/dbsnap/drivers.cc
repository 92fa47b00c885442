#include "tools/dbsnap/drivers.h"

#include <fmt/format.h>

#include "compress/gunzip.h"
#include "engine/error.h"
#include "engine/name_pattern.h"
#include "protocols/mysql/driver.h"
#include "protocols/mysql/restore.h"
#include "protocols/postgres/driver.h"
#include "protocols/postgres/restore.h"

namespace dbsnap::cli {

std::unique_ptr<Driver> driver_for(const ServerUrl& url) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_driver();
  return mysql::make_mysql_driver();
}

std::vector<std::string> select_databases(Driver& driver, const ServerUrl& url,
                                          const std::vector<std::string>& exclude) {
  if (!url.database.empty()) return {url.database};
  PatternDialect dialect =
      url.kind == ServerKind::postgres ? PatternDialect::postgres : PatternDialect::mysql;
  std::vector<NamePattern> patterns;
  patterns.reserve(exclude.size());
  for (const auto& text : exclude) patterns.push_back(NamePattern::database(text, dialect));
  std::vector<std::string> databases = exclude_databases(driver.databases(url), patterns);
  if (databases.empty())
    throw Error(ExitCode::database_missing,
                fmt::format("{} has no user databases to back up{}", url.masked(),
                            exclude.empty() ? "" : " that no exclude pattern matches"));
  return databases;
}

std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_restore_target(url, database);
  return mysql::make_my_restore_target(url, database);
}

std::unique_ptr<RestoreTarget> make_globals_target(const ServerUrl& url,
                                                   const std::string& database) {
  ServerUrl server = url;
  if (!database.empty()) server.database = database;
  return pg::make_pg_globals_target(server);
}

void check_kind(const Manifest& m, const ServerUrl& url) {
  bool source_pg = m.server_kind == ServerKind::postgres;
  if (source_pg != (url.kind == ServerKind::postgres))
    throw Error(ExitCode::usage,
                fmt::format("a {} snapshot cannot be restored into {} ({})",
                            kind_name(m.server_kind), url.kind_name(), url.masked()));
}

DecompressorFactory gzip_chunks() {
  return [] { return std::make_unique<GzipChunkDecompressor>(); };
}

}  // namespace dbsnap::cli
