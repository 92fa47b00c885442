// The MySQL/MariaDB restore target: runs mysql-client scripts over
// libmariadb (never the mysql client).
//
// Sessions split the script with ScriptSplitter (splitter.h) and send each
// statement with mysql_real_query, as the mysql client does: executable
// comments go to the server as written; the first failing statement ends the
// script. Server warnings are not fetched.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/restore_target.h"
#include "engine/url.h"

namespace dbsnap::mysql {

// The database `database` (or url.database when empty) on url's server.
// Its existence is checked, and it is created and dropped, over a connection
// without a default database; creating needs CREATE.
// Drop: DROP DATABASE then CREATE DATABASE (server default character set; the
// script's tables carry their own). Clean: drops every table, view, routine
// and event of the database (FOREIGN_KEY_CHECKS=0). A database counts as
// non-empty when it has a table, view, routine or event.
//
// Manifest tables are unquoted names ("film"); a user name matches one
// exactly or as "<database>.film" with any database.
//
// options.binlog false: every connection of the target (sessions, create,
// drop, clean) runs SET SESSION sql_log_bin = 0 first, as myloader does by
// default (its --enable-binlog): the restore is not written to the binary
// log, so replicas do not get it and the server writes half as much (ROW
// format logs every row again). Needs SUPER or BINLOG ADMIN (MariaDB
// "sql_log_bin"); without it the first connection throws access_denied
// naming the privilege.
struct MyRestoreOptions {
  bool binlog = true;
};
std::unique_ptr<RestoreTarget> make_my_restore_target(const ServerUrl& url,
                                                      const std::string& database,
                                                      const MyRestoreOptions& options = {});

}  // namespace dbsnap::mysql
