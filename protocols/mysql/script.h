// The fixed parts of a mysqldump-format script: header, footer, the session
// settings a chunk carries, and the wrapper around stored objects.
//
// Forms follow mysqldump/mariadb-dump 10.x output (client/mysqldump.c:
// write_header, write_footer, switch_cs_variables, switch_sql_mode,
// dump_triggers_for_table, dump_routines_for_db, dump_events_for_db). One
// deliberate difference: CREATE statements of views, triggers, routines and
// events are printed as SHOW CREATE returns them, not split into /*!50013 */
// version comments, so a body containing "*/" stays intact.
// All functions are pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dbsnap::mysql {

struct ScriptHeader {
  std::string product;  // "MariaDB" or "MySQL"
  std::string host;     // as the user named it
  std::string database;
  std::string server_version;  // SELECT VERSION()
  // Snapshot position, printed as mysqldump --master-data=2 comments:
  // binlog_file, binlog_position, gtid (any may be absent).
  std::map<std::string, std::string> position;
  // MariaDB only: begin with mariadb-dump's sandbox line (CVE-2024-21096),
  // after which the mariadb client refuses backslash commands such as \!.
  bool sandbox = true;
};

// The first line of a MariaDB dump, byte for byte as mariadb-dump 10.11
// writes it (with its trailing space), '\n' included.
inline constexpr std::string_view kSandboxLine = "/*M!999999\\- enable the sandbox mode */ \n";

// The sandbox line (MariaDB with header.sandbox), the comment block (names
// sanitised with sanitize_comment), then the session variables saved in @OLD_* and set to the
// values every statement of the script assumes (utf8mb4, UTC, no unique or
// foreign key checks, SQL_MODE NO_AUTO_VALUE_ON_ZERO, no notes).
std::string script_header(const ScriptHeader& header);

// The same settings as script_header without saving the old values: prefixes
// every data and post-data chunk so that each one also runs correctly on a
// connection of its own. One line ending in '\n'.
std::string_view chunk_session();

// Restores the @OLD_* variables of script_header (same connection as the
// header), then "-- Dump completed on <completed_at>".
std::string script_footer(std::string_view completed_at);

// A view, trigger, routine or event with the session it was created in.
struct StoredObject {
  std::string_view version;    // version comment tag: "50001" views, "50003" the rest
  std::string drop;            // "DROP ... IF EXISTS `x`" or "" (triggers go with their table)
  std::string create;          // SHOW CREATE text, without a final ';'
  std::string charset_client;  // character_set_client column of SHOW CREATE
  std::string collation_connection;  // collation_connection column of SHOW CREATE
  // Triggers, routines and events: sql_mode column of SHOW CREATE; the body is
  // then run under DELIMITER ;; as it may hold ';'. Views: none.
  std::optional<std::string> sql_mode;
  std::optional<std::string> time_zone;  // events: time_zone column of SHOW CREATE EVENT
};

// Appends o as mysqldump does: the drop, the client character set, collation
// (and sql_mode, time_zone) saved and set to o's, the create, the saved values
// restored.
void append_stored_object(std::string& out, const StoredObject& o);

}  // namespace dbsnap::mysql
