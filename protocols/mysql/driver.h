// The MySQL/MariaDB dialect: dbsnap::Driver over libmariadb (never mysqldump
// or the mysql client). Consistency and the snapshot: dump.h. Script format:
// script.h, schema.h, rows.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/dialect.h"

namespace dbsnap::mysql {

// Stateless; thread-safe. Every method connects anew and throws dbsnap::Error
// as MyConnection::connect classifies it.
class MyDriver final : public Driver {
 public:
  // user: CURRENT_USER(). can_backup: SELECT, SHOW VIEW, TRIGGER and EVENT on
  // the database (hidden triggers and events would silently be missing);
  // can_restore: CREATE. Privileges are the user's own grants, global or on
  // the database (information_schema USER_PRIVILEGES, SCHEMA_PRIVILEGES);
  // roles are not followed. Each missing privilege, and a missing RELOAD (no
  // global lock: per-connection snapshots), is a note.
  PingReport ping(const ServerUrl& url) override;
  // SHOW DATABASES without information_schema, performance_schema, mysql, sys.
  std::vector<std::string> databases(const ServerUrl& url) override;
  // dump.h open_dump; options.globals: ExitCode::unsupported, before connecting.
  std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url,
                                          const DumpOptions& options) override;
};

std::unique_ptr<Driver> make_mysql_driver();

}  // namespace dbsnap::mysql
