#include "protocols/mysql/connection.h"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include <mutex>

#include "engine/error.h"
#include "protocols/mysql/sql_text.h"

namespace dbsnap::mysql {
namespace {

constexpr unsigned kConnectTimeoutS = 10;
// MySQL ER_SECURE_TRANSPORT_REQUIRED; MariaDB words it the same way.
constexpr unsigned kErrSecureTransportRequired = 3159;

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

// Maps a failed mysql_real_connect onto the troubleshooting classes of
// engine/error.h from the client (CR_*) and server (ER_*) error numbers.
Error classify(const ServerUrl& url, const std::string& database, unsigned code,
               const std::string& raw) {
  std::string message = one_line(raw);
  std::string where = url.masked();
  // libmariadb reports a silent server (no greeting within connect-timeout) as
  // CR_SERVER_LOST "... reading initial communication packet', system error: 110".
  bool timed_out = contains(message, "(110)") || contains(message, "system error: 110") ||
                   contains(message, "timed out") || contains(message, "Timeout") ||
                   contains(message, "timeout");
  if (code == CR_CONN_HOST_ERROR && timed_out)
    return Error(
        ExitCode::timeout,
        fmt::format("connection to {} timed out: check the host, port and firewall", where));
  if (code == CR_CONN_HOST_ERROR || code == CR_CONNECTION_ERROR)
    return Error(ExitCode::connection_refused,
                 fmt::format("connection refused by {}: is the server running and listening "
                             "on {}:{}? ({})",
                             where, url.host, url.port, message));
  if (code == CR_UNKNOWN_HOST)
    return Error(ExitCode::unknown_host,
                 fmt::format("unknown host '{}' in {}: check the host name", url.host, where));
  if (code == CR_SERVER_LOST && timed_out)
    return Error(
        ExitCode::timeout,
        fmt::format("connection to {} timed out during the handshake: {}", where, message));
  if (code == CR_SSL_CONNECTION_ERROR || code == kErrSecureTransportRequired ||
      contains(message, "insecure transport") || contains(message, "SSL") ||
      contains(message, "TLS"))
    return Error(
        ExitCode::tls_required,
        fmt::format("tls problem connecting to {}: {}; try ?ssl-mode=required", where, message));
  if (code == ER_ACCESS_DENIED_ERROR || code == ER_DBACCESS_DENIED_ERROR ||
      code == ER_ACCESS_DENIED_NO_PASSWORD_ERROR)
    return Error(ExitCode::access_denied,
                 fmt::format("access denied for {}: {}; check the user and password "
                             "(URL, ~/.my.cnf or MYSQL_PWD)",
                             where, message));
  if (code == ER_BAD_DB_ERROR)
    return Error(ExitCode::database_missing,
                 fmt::format("database '{}' does not exist on {}: check the name or create it",
                             database, where));
  return Error(ExitCode::failure, fmt::format("cannot connect to {}: {}", where, message));
}

void set_option(MYSQL* m, mysql_option option, const void* value) {
  if (mysql_optionsv(m, option, value) != 0)
    throw Error(ExitCode::failure, fmt::format("libmariadb rejected option {}: {}",
                                               static_cast<int>(option), mysql_error(m)));
}

// Applies the URL's query parameters as connection options, except socket
// (a mysql_real_connect argument). Returns whether ssl-mode requires TLS.
bool apply_params(MYSQL* m, const ServerUrl& url) {
  unsigned timeout = kConnectTimeoutS;
  bool tls_required = false;
  for (const auto& [key, value] : url.params) {
    if (key == "connect-timeout" || key == "connect_timeout") {
      if (value.empty() || value.size() > 6 ||
          value.find_first_not_of("0123456789") != std::string::npos)
        throw Error(ExitCode::usage, fmt::format("connect-timeout '{}' in {} is not a number of "
                                                 "seconds",
                                                 value, url.masked()));
      timeout = static_cast<unsigned>(std::stoul(value));
    } else if (key == "socket") {
      continue;
    } else if (key == "ssl-ca" || key == "ssl_ca") {
      set_option(m, MYSQL_OPT_SSL_CA, value.c_str());
    } else if (key == "ssl-mode" || key == "ssl_mode" || key == "sslmode") {
      std::string mode;
      for (char c : value) mode += c == '_' ? '-' : static_cast<char>(std::tolower(c));
      my_bool on = 1;
      if (mode == "required" || mode == "require") {
        set_option(m, MYSQL_OPT_SSL_ENFORCE, &on);
        tls_required = true;
      } else if (mode == "verify-ca" || mode == "verify-identity" || mode == "verify-full") {
        set_option(m, MYSQL_OPT_SSL_ENFORCE, &on);
        set_option(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        tls_required = true;
      } else if (mode != "disabled" && mode != "disable" && mode != "preferred") {
        throw Error(ExitCode::usage,
                    fmt::format("unknown ssl-mode '{}' in {}: use disabled, preferred, "
                                "required, verify-ca or verify-identity",
                                value, url.masked()));
      }
    } else {
      throw Error(ExitCode::usage,
                  fmt::format("unknown parameter '{}' in {}: supported are socket, ssl-mode, "
                              "ssl-ca and connect-timeout",
                              key, url.masked()));
    }
  }
  set_option(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  return tls_required;
}

}  // namespace

namespace {

// The server closed the connection (killed, shut down, network gone): the
// CLI's exit 21, not a statement the server rejected.
ExitCode code_of_failure(unsigned code) {
  bool lost = code == CR_SERVER_LOST || code == CR_SERVER_GONE_ERROR ||
              code == ER_CONNECTION_KILLED || code == ER_SERVER_SHUTDOWN;
  return lost ? ExitCode::connection_lost : ExitCode::server_error;
}

}  // namespace

bool MyResult::next() {
  row_ = mysql_fetch_row(res_.get());
  if (row_ == nullptr) {
    if (unsigned code = mysql_errno(conn_); code != 0)
      throw Error(code_of_failure(code),
                  fmt::format("reading rows failed: {}", one_line(mysql_error(conn_))));
    return false;
  }
  lengths_ = mysql_fetch_lengths(res_.get());
  return true;
}

MyConnection MyConnection::connect(const ServerUrl& url, const std::string& database) {
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });
  MYSQL* raw = mysql_init(nullptr);
  if (raw == nullptr) throw std::bad_alloc();
  MyConnection conn(raw);
  set_option(raw, MYSQL_READ_DEFAULT_GROUP, "client");
  bool tls_required = apply_params(raw, url);
  std::string db = database.empty() ? url.database : database;
  // nullptr, not "", lets libmariadb fall back to the option files and MYSQL_PWD.
  auto or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  auto socket = url.params.find("socket");
  if (mysql_real_connect(raw, or_null(url.host), or_null(url.user), or_null(url.password),
                         or_null(db), static_cast<unsigned>(url.port),
                         socket == url.params.end() ? nullptr : socket->second.c_str(),
                         CLIENT_MULTI_RESULTS) == nullptr)
    throw classify(url, db, mysql_errno(raw), mysql_error(raw));
  // libmariadb 3.3 with MYSQL_OPT_SSL_ENFORCE alone falls back to plain text
  // when the server offers no TLS: refuse such a connection here.
  if (tls_required && mysql_get_ssl_cipher(raw) == nullptr)
    throw Error(ExitCode::tls_required,
                fmt::format("tls problem connecting to {}: ssl-mode requires TLS and the server "
                            "does not offer it; enable TLS on the server or drop ssl-mode",
                            url.masked()));
  if (mysql_set_character_set(raw, "utf8mb4") != 0)
    throw Error(ExitCode::server_error, fmt::format("cannot use character set utf8mb4 on {}: {}",
                                                    url.masked(), mysql_error(raw)));
  return conn;
}

unsigned MyConnection::try_exec(std::string_view sql) const {
  if (mysql_real_query(c_.get(), sql.data(), sql.size()) != 0) return mysql_errno(c_.get());
  MYSQL_RES* res = mysql_store_result(c_.get());
  if (res != nullptr) mysql_free_result(res);
  return mysql_errno(c_.get());
}

void MyConnection::throw_error(std::string_view sql) const {
  unsigned code = mysql_errno(c_.get());
  std::string msg =
      code == 0 ? "the statement returned no result set" : one_line(mysql_error(c_.get()));
  std::string head = one_line(std::string(sql.substr(0, 120)));
  if (code == kErrLockWaitTimeout)
    throw Error(ExitCode::timeout,
                fmt::format("lock wait timed out: {} (while running: {})", msg, head));
  if (code == kErrSpecificAccessDenied || code == ER_TABLEACCESS_DENIED_ERROR ||
      code == ER_DBACCESS_DENIED_ERROR || code == ER_PROCACCESS_DENIED_ERROR)
    throw Error(ExitCode::access_denied, fmt::format("{} (while running: {})", msg, head));
  throw Error(code_of_failure(code), fmt::format("{} (while running: {})", msg, head));
}

void MyConnection::exec(std::string_view sql) const {
  if (try_exec(sql) != 0) throw_error(sql);
}

std::optional<MyResult> MyConnection::try_query(std::string_view sql) const {
  if (mysql_real_query(c_.get(), sql.data(), sql.size()) != 0) return std::nullopt;
  MYSQL_RES* res = mysql_store_result(c_.get());
  if (res == nullptr) return std::nullopt;
  return MyResult(c_.get(), res);
}

MyResult MyConnection::query(std::string_view sql) const {
  auto result = try_query(sql);
  if (!result) throw_error(sql);
  return std::move(*result);
}

MyResult MyConnection::stream(std::string_view sql) const {
  if (mysql_real_query(c_.get(), sql.data(), sql.size()) != 0) throw_error(sql);
  MYSQL_RES* res = mysql_use_result(c_.get());
  if (res == nullptr) throw_error(sql);
  return MyResult(c_.get(), res);
}

bool MyConnection::is_mariadb() const { return contains(server_version(), "MariaDB"); }

}  // namespace dbsnap::mysql
