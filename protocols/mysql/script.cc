#include "protocols/mysql/script.h"

#include <fmt/format.h>

#include "engine/comment_line.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {

std::string script_header(const ScriptHeader& h) {
  std::string out;
  if (h.product == "MariaDB" && h.sandbox) out = kSandboxLine;
  out += fmt::format(
      "-- {} dump by dbsnap {}\n"
      "--\n"
      "-- Host: {}    Database: {}\n"
      "-- ------------------------------------------------------\n"
      "-- Server version\t{}\n\n",
      sanitize_comment(h.product), DBSNAP_VERSION, sanitize_comment(h.host),
      sanitize_comment(h.database), sanitize_comment(h.server_version));
  out +=
      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
      "/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;\n"
      "/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;\n"
      "/*!40101 SET NAMES utf8mb4 */;\n"
      "/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n"
      "/*!40103 SET TIME_ZONE='+00:00' */;\n"
      "/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n"
      "/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n"
      "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n"
      "/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n";
  auto file = h.position.find("binlog_file");
  auto pos = h.position.find("binlog_position");
  auto gtid = h.position.find("gtid");
  if (file == h.position.end() && gtid == h.position.end()) return out;
  out +=
      "\n--\n"
      "-- Position to start replication or point-in-time recovery from\n"
      "--\n\n";
  if (file != h.position.end() && pos != h.position.end())
    out += fmt::format("-- CHANGE MASTER TO MASTER_LOG_FILE={}, MASTER_LOG_POS={};\n",
                       sanitize_comment(quote_string(file->second)), sanitize_comment(pos->second));
  if (gtid != h.position.end() && !gtid->second.empty())
    out += h.product == "MariaDB" ? fmt::format("-- SET GLOBAL gtid_slave_pos={};\n",
                                                sanitize_comment(quote_string(gtid->second)))
                                  : fmt::format("-- SET @@GLOBAL.GTID_PURGED={};\n",
                                                sanitize_comment(quote_string(gtid->second)));
  return out;
}

std::string_view chunk_session() {
  return "/*!40101 SET NAMES utf8mb4, TIME_ZONE='+00:00', UNIQUE_CHECKS=0, "
         "FOREIGN_KEY_CHECKS=0, SQL_MODE='NO_AUTO_VALUE_ON_ZERO', SQL_NOTES=0 */;\n";
}

std::string script_footer(std::string_view completed_at) {
  return fmt::format(
      "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n"
      "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n"
      "/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n"
      "/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;\n"
      "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n"
      "/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;\n"
      "/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;\n"
      "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n"
      "-- Dump completed on {}\n",
      sanitize_comment(completed_at));
}

void append_stored_object(std::string& out, const StoredObject& o) {
  bool body = o.sql_mode.has_value();
  auto set = [&](std::string_view name, std::string_view value) {
    out += fmt::format("/*!{} SET {:<21} = {} */ ;\n", o.version, name, value);
  };
  if (!o.drop.empty()) out += fmt::format("/*!{} {} */;\n", o.version, o.drop);
  set("@saved_cs_client", "@@character_set_client");
  set("@saved_cs_results", "@@character_set_results");
  set("@saved_col_connection", "@@collation_connection");
  set("character_set_client", o.charset_client);
  set("character_set_results", o.charset_client);
  set("collation_connection", o.collation_connection);
  if (body) {
    set("@saved_sql_mode", "@@sql_mode");
    set("sql_mode", quote_string(*o.sql_mode));
  }
  if (o.time_zone) {
    set("@saved_time_zone", "@@time_zone");
    set("time_zone", quote_string(*o.time_zone));
  }
  if (body)
    out += fmt::format("DELIMITER ;;\n{} ;;\nDELIMITER ;\n", o.create);
  else
    out += fmt::format("{};\n", o.create);
  if (o.time_zone) set("time_zone", "@saved_time_zone");
  if (body) set("sql_mode", "@saved_sql_mode");
  set("character_set_client", "@saved_cs_client");
  set("character_set_results", "@saved_cs_results");
  set("collation_connection", "@saved_col_connection");
}

}  // namespace dbsnap::mysql
