#include "protocols/postgres/connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "engine/cancel.h"
#include "engine/error.h"

namespace dbsnap::pg {
namespace {

// libpq connect_timeout unless the URL sets one.
constexpr const char* kConnectTimeoutSeconds = "10";

// libpq's multi-line messages as one line: newlines and tabs become spaces,
// no final period (our message style).
std::string one_line(std::string s) {
  for (auto& ch : s)
    if (ch == '\n' || ch == '\t') ch = ' ';
  while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
  return s;
}

// The first line of a libpq message: for a lost connection the server's reason
// ("FATAL:  terminating connection due to administrator command"), without
// libpq's generic "This probably means..." explanation.
std::string first_line(const std::string& s) { return one_line(s.substr(0, s.find('\n'))); }

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Maps libpq's connection failure text onto the troubleshooting classes users
// expect (see README "Exit codes"). libpq gives no SQLSTATE for most of these.
Error classify(const ServerUrl& url, const std::string& database, const std::string& raw) {
  std::string message = one_line(raw);
  std::string where = url.masked();
  if (contains(message, "Connection refused"))
    return Error(ExitCode::connection_refused,
                 fmt::format("connection refused by {}: is the server running and listening "
                             "on {}:{}?",
                             where, url.host, url.port));
  if (contains(message, "could not translate host name") ||
      contains(message, "Name or service not known"))
    return Error(ExitCode::unknown_host,
                 fmt::format("unknown host '{}' in {}: check the host name", url.host, where));
  if (contains(message, "timeout expired") || contains(message, "timed out"))
    return Error(
        ExitCode::timeout,
        fmt::format("connection to {} timed out: check the host, port and firewall", where));
  if (contains(message, "password authentication failed") ||
      contains(message, "no password supplied") || contains(message, "role \"") ||
      contains(message, "authentication failed") || contains(message, "pg_hba.conf"))
    return Error(ExitCode::access_denied,
                 fmt::format("access denied for {}: {}; check the user and password "
                             "(URL, PGPASSWORD or ~/.pgpass)",
                             where, message));
  if (contains(message, "SSL") || contains(message, "ssl"))
    return Error(
        ExitCode::tls_required,
        fmt::format("tls problem connecting to {}: {}; try ?sslmode=require", where, message));
  if (contains(message, "database \"") && contains(message, "does not exist"))
    return Error(ExitCode::database_missing,
                 fmt::format("database '{}' does not exist on {}: check the name or create it",
                             database, where));
  return Error(ExitCode::failure, fmt::format("cannot connect to {}: {}", where, message));
}

}  // namespace

long long PgResult::num(int row, int col) const {
  if (is_null(row, col)) return 0;
  return std::stoll(std::string(get(row, col)));
}

PgConnection PgConnection::connect(const ServerUrl& url, const std::string& database) {
  const std::string db = !database.empty()       ? database
                         : !url.database.empty() ? url.database
                                                 : std::string("postgres");
  const std::string port = std::to_string(url.port);
  // Every value must outlive PQconnectdbParams: named strings and literals only.
  std::vector<const char*> keys, values;
  auto add = [&](const char* k, const char* v) {
    if (*v == '\0') return;
    keys.push_back(k);
    values.push_back(v);
  };
  add("host", url.host.c_str());
  add("port", port.c_str());
  add("user", url.user.c_str());
  add("password", url.password.c_str());
  add("dbname", db.c_str());
  add("application_name", "dbsnap");
  if (!url.params.count("connect_timeout")) add("connect_timeout", kConnectTimeoutSeconds);
  for (const auto& [k, v] : url.params) add(k.c_str(), v.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), 0);
  PgConnection conn(raw);
  if (raw == nullptr) throw std::bad_alloc();
  if (PQstatus(raw) != CONNECTION_OK) throw classify(url, db, PQerrorMessage(raw));
  // Every session dumps and restores in the same, predictable settings.
  conn.exec(
      "SET client_encoding = 'UTF8'; SET standard_conforming_strings = on; "
      "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; "
      "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
      "SELECT pg_catalog.set_config('search_path', '', false)");
  return conn;
}

static PgResult check(PGconn* c, PGresult* r, std::string_view sql) {
  PgResult res(r);
  auto status = PQresultStatus(r);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_COPY_OUT ||
      status == PGRES_COPY_IN)
    return res;
  std::string msg = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string head = one_line(std::string(sql.substr(0, 120)));
  if (PQstatus(c) == CONNECTION_BAD)
    throw Error(ExitCode::connection_lost,
                fmt::format("lost the connection to the server: {} (while running: {})",
                            first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c)), head));
  if (state && std::string_view(state) == "55P03")
    throw LockTimeout(fmt::format("lock wait timed out: {} (while running: {})", msg, head));
  if (state && std::string_view(state) == "42501")
    throw Error(ExitCode::access_denied, fmt::format("{} (while running: {})", msg, head));
  throw Error(ExitCode::server_error, fmt::format("{} (while running: {})", msg, head));
}

namespace {

// Blocks until conn's socket is readable, waking every 200 ms to look for
// Ctrl-C: then asks the server to cancel the running statement (a lock wait,
// a long query) and throws Error(ExitCode::interrupted).
void wait_readable(PGconn* conn) {
  constexpr int kPollMs = 200;
  pollfd fd{PQsocket(conn), POLLIN, 0};
  while (fd.fd >= 0) {
    int n = poll(&fd, 1, kPollMs);
    if (n > 0 || (n < 0 && errno != EINTR)) break;
    if (!cancel_requested()) continue;
    if (PGcancel* cancel = PQgetCancel(conn)) {
      char err[256];
      PQcancel(cancel, err, sizeof err);
      PQfreeCancel(cancel);
    }
    throw_if_cancelled();
  }
  if (fd.fd < 0 || PQconsumeInput(conn) == 0) {
    throw Error(ExitCode::connection_lost, fmt::format("lost the connection to the server: {}",
                                                       first_line(PQerrorMessage(conn))));
  }
}

// Collects the results of a sent query as PQexec would: the first error, or
// else the last result; stops at COPY, whose data the caller then moves.
// kept is freed if wait_readable throws (a lost connection; LeakSanitizer).
PGresult* collect(PGconn* conn) {
  std::unique_ptr<PGresult, decltype(&PQclear)> kept(nullptr, &PQclear);
  for (;;) {
    while (PQisBusy(conn)) wait_readable(conn);
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) return kept.release();
    auto status = PQresultStatus(r);
    if (status == PGRES_COPY_OUT || status == PGRES_COPY_IN) return r;
    if (kept != nullptr && PQresultStatus(kept.get()) == PGRES_FATAL_ERROR) {
      PQclear(r);
      continue;
    }
    kept.reset(r);
  }
}

}  // namespace

PgResult PgConnection::exec(std::string_view sql) const {
  std::string s(sql);
  if (PQsendQuery(c_.get(), s.c_str()) == 0) return check(c_.get(), nullptr, sql);
  return check(c_.get(), collect(c_.get()), sql);
}

// Sends sql with text parameters, results in text (0) or binary (1) format;
// false if libpq could not send it.
static bool send_params(PGconn* conn, std::string_view sql,
                        std::initializer_list<std::string_view> params, int result_format) {
  std::string s(sql);
  std::vector<std::string> owned(params.begin(), params.end());
  std::vector<const char*> values;
  values.reserve(owned.size());
  for (const auto& p : owned) values.push_back(p.c_str());
  return PQsendQueryParams(conn, s.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                           nullptr, nullptr, result_format) != 0;
}

PgResult PgConnection::exec_params(std::string_view sql,
                                   std::initializer_list<std::string_view> params) const {
  if (!send_params(c_.get(), sql, params, 0)) return check(c_.get(), nullptr, sql);
  return check(c_.get(), collect(c_.get()), sql);
}

PgRowStream::PgRowStream(const PgConnection& conn, std::string_view sql,
                         std::initializer_list<std::string_view> params)
    : conn_(conn.get()), sql_(sql.substr(0, 120)) {
  if (!send_params(conn_, sql, params, 1) || PQsetSingleRowMode(conn_) == 0)
    check(conn_, nullptr, sql_);
}

std::optional<PgResult> PgRowStream::next() {
  while (PQisBusy(conn_)) wait_readable(conn_);
  PGresult* r = PQgetResult(conn_);
  if (r != nullptr && PQresultStatus(r) == PGRES_SINGLE_TUPLE) return PgResult(r);
  check(conn_, r, sql_);  // the final status: TUPLES_OK, or the error
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  return std::nullopt;
}

PgCopyOut::PgCopyOut(const PgConnection& conn, std::string_view sql)
    : conn_(conn.get()), sql_(sql.substr(0, 120)) {
  PgResult started = conn.exec(sql);
  if (PQresultStatus(started.raw()) != PGRES_COPY_OUT)
    throw Error(ExitCode::failure, fmt::format("not a COPY TO STDOUT statement: {}", sql_));
}

bool PgCopyOut::next_slow(std::string_view& row, int length) {
  for (;;) {
    if (length > 0) {
      row = {row_, static_cast<std::size_t>(length)};
      return true;
    }
    if (length < 0) break;  // -1: end of data; -2: error, reported by PQgetResult
    wait_readable(conn_);   // 0: nothing buffered: wait for the server (or Ctrl-C)
    length = PQgetCopyData(conn_, &row_, /*async=*/1);
  }
  check(conn_, collect(conn_), sql_);  // the COPY's final status
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  return false;
}

std::string quote_ident(PGconn* conn, std::string_view name) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> keywords;
  {
    std::lock_guard lock(mu);
    if (keywords.empty()) {
      PgResult r(
          PQexec(conn, "SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'"));
      if (PQresultStatus(r.raw()) != PGRES_TUPLES_OK)
        throw Error(ExitCode::server_error, "cannot read pg_get_keywords()");
      for (int i = 0; i < r.rows(); ++i) keywords.insert(r.str(i, 0));
    }
  }
  bool safe = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
  if (safe) {
    std::lock_guard lock(mu);
    if (keywords.find(name) == keywords.end()) return std::string(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quote_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace dbsnap::pg
