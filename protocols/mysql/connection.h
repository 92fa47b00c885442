// libmariadb (MariaDB Connector/C) connection and result handles with
// dbsnap's error classification. Serves MySQL 5.7+/8.x and MariaDB 10.3+.
#pragma once

#include <mysql.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/url.h"

namespace dbsnap::mysql {

// Server error numbers dbsnap reacts to (include/mysqld_error.h).
inline constexpr unsigned kErrLockWaitTimeout = 1205;       // ER_LOCK_WAIT_TIMEOUT
inline constexpr unsigned kErrSpecificAccessDenied = 1227;  // ER_SPECIFIC_ACCESS_DENIED_ERROR

// A result set, buffered (MyConnection::query) or streaming row by row from
// the server (MyConnection::stream). Move-only; not thread-safe. A streaming
// result must be read to the end or destroyed before the connection runs
// another statement.
class MyResult {
 public:
  MyResult(MYSQL* conn, MYSQL_RES* res) : conn_(conn), res_(res, &mysql_free_result) {}

  unsigned columns() const { return mysql_num_fields(res_.get()); }
  const MYSQL_FIELD& field(unsigned col) const { return mysql_fetch_fields(res_.get())[col]; }

  // Moves to the next row; false after the last one. Throws dbsnap::Error
  // if a streaming result broke off: connection_lost when the server closed
  // the connection (killed, shut down, network), server_error otherwise.
  bool next();
  bool is_null(unsigned col) const { return row_[col] == nullptr; }
  // Bytes of a field of the current row; "" for NULL.
  std::string_view get(unsigned col) const {
    return row_[col] ? std::string_view(row_[col], lengths_[col]) : std::string_view();
  }
  std::string str(unsigned col) const { return std::string(get(col)); }

 private:
  MYSQL* conn_;
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> res_;
  MYSQL_ROW row_ = nullptr;
  unsigned long* lengths_ = nullptr;
};

// An owned libmariadb connection whose character set is utf8mb4. One thread
// at a time.
class MyConnection {
 public:
  // Connects to url; database, when not empty, overrides url.database.
  // Password: the URL's, else the [client] group of the option files
  // (~/.my.cnf) read by libmariadb, else MYSQL_PWD. URL parameters: socket,
  // ssl-mode (disabled, required, verify-ca, verify-identity), ssl-ca,
  // connect-timeout (seconds, default 10). Throws dbsnap::Error classified as
  // connection_refused, unknown_host, timeout, access_denied, tls_required or
  // database_missing (usage for an unknown parameter), with the masked URL and
  // the fix in the message.
  static MyConnection connect(const ServerUrl& url, const std::string& database = {});

  MyConnection(MyConnection&&) noexcept = default;
  MyConnection& operator=(MyConnection&&) noexcept = default;

  MYSQL* get() const { return c_.get(); }

  // Runs sql (one statement) and discards any result. Returns 0, or the
  // server's error number for a caller that expects some failures; the text
  // is then in error_message().
  unsigned try_exec(std::string_view sql) const;
  // As try_exec, but throws dbsnap::Error: timeout for a lock wait timeout,
  // access_denied for a missing privilege, connection_lost when the server
  // closed the connection, server_error otherwise; the message names the
  // statement.
  void exec(std::string_view sql) const;
  // Runs a query and buffers its whole result (catalog queries).
  MyResult query(std::string_view sql) const;
  // As query, but returns nothing on failure (see error_number()).
  std::optional<MyResult> try_query(std::string_view sql) const;
  // Runs a query whose rows arrive as they are read (mysql_use_result): memory
  // stays bounded whatever the table size.
  MyResult stream(std::string_view sql) const;

  unsigned error_number() const { return mysql_errno(c_.get()); }
  std::string error_message() const { return mysql_error(c_.get()); }
  // The error of the last failed statement as dbsnap::Error, classified as exec does.
  [[noreturn]] void throw_error(std::string_view sql) const;

  std::string server_version() const { return mysql_get_server_info(c_.get()); }
  // e.g. 101105 for 10.11.5
  unsigned long version_number() const { return mysql_get_server_version(c_.get()); }
  bool is_mariadb() const;

  // Aborts a running statement by shutting the socket down, so that freeing a
  // half-read streaming result does not read the rest of a big table. The
  // connection is unusable afterwards.
  void cancel() noexcept { mariadb_cancel(c_.get()); }

 private:
  explicit MyConnection(MYSQL* c) : c_(c, &mysql_close) {}
  std::unique_ptr<MYSQL, decltype(&mysql_close)> c_;
};

}  // namespace dbsnap::mysql
