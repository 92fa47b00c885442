// Server addresses: postgres://, postgresql://, mysql://, mariadb:// URLs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dbsnap {

enum class ServerKind { postgres, mysql, mariadb };

// "postgres", "mysql" or "mariadb": the URL scheme and the manifest's server.kind.
std::string_view kind_name(ServerKind kind);

// The kind named by text (as kind_name() spells it); nullopt for anything else.
std::optional<ServerKind> parse_kind(std::string_view text);

// A parsed server URL: scheme://[user[:password]@]host[:port][/database][?k=v&...]
//
// Percent-escapes in user, password and database are decoded. A missing port
// takes the kind's default (5432, 3306). A missing password stays empty so the
// client library can take it from PGPASSWORD/.pgpass or MYSQL_PWD/.my.cnf.
// Query parameters are passed through to the driver (e.g. sslmode=require).
struct ServerUrl {
  ServerKind kind = ServerKind::postgres;
  std::string user;
  std::string password;  // secret: never print; use masked()
  std::string host = "127.0.0.1";
  int port = 0;
  std::string database;  // empty: the driver's default / all databases
  std::map<std::string, std::string> params;

  // Throws dbsnap::Error(ExitCode::usage) with a one-line reason for a string
  // that is not a server URL.
  static ServerUrl parse(const std::string& text);

  // The URL with the password replaced by "***"; safe for logs and manifests.
  std::string masked() const;

  // "host-port", safe as a path component; names the server in volume keys.
  std::string volume_name() const;

  // "postgres", "mysql" or "mariadb".
  std::string kind_name() const;
};

}  // namespace dbsnap
