#include "tools/dbsnap/drivers.h"

#include <fmt/format.h>

#include "compress/gunzip.h"
#include "engine/error.h"
#include "protocols/mysql/driver.h"
#include "protocols/mysql/restore.h"
#include "protocols/postgres/driver.h"
#include "protocols/postgres/restore.h"

namespace dbsnap::cli {

std::unique_ptr<Driver> driver_for(const ServerUrl& url) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_driver();
  return mysql::make_mysql_driver();
}

std::unique_ptr<RestoreTarget> make_target(const ServerUrl& url, const std::string& database) {
  if (url.kind == ServerKind::postgres) return pg::make_pg_restore_target(url, database);
  return mysql::make_my_restore_target(url, database);
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
