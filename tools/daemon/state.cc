#include "tools/daemon/state.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cassert>
#include <ctime>
#include <mutex>
#include <string_view>

#include "engine/error.h"

namespace dbsnap::daemon {
namespace {

// What PRAGMA user_version and application_id ("dbsn") hold in our files.
constexpr int kSchemaVersion = 1;
constexpr int kApplicationId = 0x6462736e;
constexpr int kBusyTimeoutMs = 10'000;
constexpr std::string_view kInterruptedError = "the daemon stopped before the run finished";

constexpr const char* kSchema = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job TEXT NOT NULL,
  server TEXT NOT NULL,
  run_trigger TEXT NOT NULL,
  status TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_job ON runs (job, id);
CREATE TABLE run_databases (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  database TEXT NOT NULL,
  completed INTEGER NOT NULL,
  error TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  verified INTEGER,
  PRIMARY KEY (run_id, position)
);
CREATE TABLE jobs (
  name TEXT PRIMARY KEY,
  last_due INTEGER NOT NULL
);
)sql";

constexpr const char* kRunColumns =
    "SELECT id, job, server, run_trigger, status, queued_at, started_at, finished_at, error "
    "FROM runs ";

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

[[noreturn]] void fail(const std::filesystem::path& path, sqlite3* db) {
  throw Error(ExitCode::io_error,
              fmt::format("daemon state {}: {}", path.string(), sqlite3_errmsg(db)));
}

// One prepared statement; binds are 1-based, columns 0-based.
class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& path, std::string_view sql)
      : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK)
      fail(path_, db_);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, std::string_view v) {
    return check(
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind(int i, std::optional<bool> v) {
    return v ? bind(i, std::int64_t{*v}) : check(sqlite3_bind_null(stmt_, i));
  }

  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(path_, db_);
    return rc == SQLITE_ROW;
  }
  void run() {
    while (step()) {
    }
  }

  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  std::string text(int i) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string(p, sqlite3_column_bytes(stmt_, i)) : std::string();
  }
  std::optional<bool> maybe_bool(int i) const {
    if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return std::nullopt;
    return integer(i) != 0;
  }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) fail(path_, db_);
    return *this;
  }

  sqlite3* db_;
  const std::filesystem::path& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN ... COMMIT; rolled back unless commit() was reached.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::filesystem::path& path, bool write) : db_(db), path_(path) {
    Statement(db, path, write ? "BEGIN IMMEDIATE" : "BEGIN").run();
  }
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit() {
    Statement(db_, path_, "COMMIT").run();
    open_ = false;
  }

 private:
  sqlite3* db_;
  const std::filesystem::path& path_;
  bool open_ = true;
};

std::int64_t pragma(sqlite3* db, const std::filesystem::path& path, std::string_view name) {
  Statement s(db, path, fmt::format("PRAGMA {}", name));
  return s.step() ? s.integer(0) : 0;
}

RunRecord read_run(const Statement& s) {
  RunRecord r;
  r.id = s.integer(0);
  r.job = s.text(1);
  r.server = s.text(2);
  r.trigger = parse_trigger(s.text(3)).value_or(RunTrigger::schedule);
  r.status = parse_status(s.text(4)).value_or(RunStatus::interrupted);
  r.queued_at = s.integer(5);
  r.started_at = s.integer(6);
  r.finished_at = s.integer(7);
  r.error = s.text(8);
  return r;
}

}  // namespace

struct StateStore::Impl {
  std::filesystem::path path;
  Db db;
  std::mutex mutex;

  Statement statement(std::string_view sql) { return Statement(db.get(), path, sql); }
  Transaction transaction(bool write) { return Transaction(db.get(), path, write); }

  void open();
  void create_or_check_schema();
  void interrupt_unfinished();
  std::vector<DatabaseRun> databases_of(std::int64_t run_id);
  void store_databases(const RunRecord& run);
};

void StateStore::Impl::open() {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  db.reset(raw);
  if (rc != SQLITE_OK) fail(path, raw);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  create_or_check_schema();
  Statement wal = statement("PRAGMA journal_mode = WAL");
  if (!wal.step() || wal.text(0) != "wal")
    throw Error(ExitCode::io_error,
                fmt::format("daemon state {}: cannot use a WAL journal", path.string()));
  statement("PRAGMA foreign_keys = ON").run();
  interrupt_unfinished();
}

// A new (empty) file gets the schema; any other must be a version 1 state file.
void StateStore::Impl::create_or_check_schema() {
  Transaction t = transaction(true);
  std::int64_t version = pragma(db.get(), path, "user_version");
  std::int64_t application = pragma(db.get(), path, "application_id");
  Statement tables = statement("SELECT count(*) FROM sqlite_schema");
  tables.step();
  if (version == 0 && application == 0 && tables.integer(0) == 0) {
    if (sqlite3_exec(db.get(), kSchema, nullptr, nullptr, nullptr) != SQLITE_OK)
      fail(path, db.get());
    statement(fmt::format("PRAGMA application_id = {}", kApplicationId)).run();
    statement(fmt::format("PRAGMA user_version = {}", kSchemaVersion)).run();
  } else if (application != kApplicationId) {
    throw Error(ExitCode::io_error,
                fmt::format("daemon state {}: not a dbsnap state database", path.string()));
  } else if (version != kSchemaVersion) {
    throw Error(ExitCode::io_error,
                fmt::format("daemon state {}: schema version {} is not {}: written by another "
                            "dbsnap version",
                            path.string(), version, kSchemaVersion));
  }
  t.commit();
}

void StateStore::Impl::interrupt_unfinished() {
  statement(
      "UPDATE runs SET status = 'interrupted', error = ?1, finished_at = ?2 "
      "WHERE status IN ('pending', 'running')")
      .bind(1, kInterruptedError)
      .bind(2, std::int64_t{std::time(nullptr)})
      .run();
}

std::vector<DatabaseRun> StateStore::Impl::databases_of(std::int64_t run_id) {
  Statement s = statement(
      "SELECT database, completed, error, bytes, rows, duration_ms, snapshot, verified "
      "FROM run_databases WHERE run_id = ?1 ORDER BY position");
  s.bind(1, run_id);
  std::vector<DatabaseRun> out;
  while (s.step())
    out.push_back({.database = s.text(0),
                   .completed = s.integer(1) != 0,
                   .error = s.text(2),
                   .bytes = static_cast<std::uint64_t>(s.integer(3)),
                   .rows = static_cast<std::uint64_t>(s.integer(4)),
                   .duration_ms = s.integer(5),
                   .snapshot = s.text(6),
                   .verified = s.maybe_bool(7)});
  return out;
}

void StateStore::Impl::store_databases(const RunRecord& run) {
  statement("DELETE FROM run_databases WHERE run_id = ?1").bind(1, run.id).run();
  std::int64_t position = 0;
  for (const DatabaseRun& d : run.databases)
    statement(
        "INSERT INTO run_databases (run_id, position, database, completed, error, bytes, rows, "
        "duration_ms, snapshot, verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        .bind(1, run.id)
        .bind(2, position++)
        .bind(3, d.database)
        .bind(4, std::int64_t{d.completed})
        .bind(5, d.error)
        .bind(6, static_cast<std::int64_t>(d.bytes))
        .bind(7, static_cast<std::int64_t>(d.rows))
        .bind(8, d.duration_ms)
        .bind(9, d.snapshot)
        .bind(10, d.verified)
        .run();
}

StateStore::StateStore(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->open();
}

StateStore::~StateStore() = default;

RunRecord StateStore::add_run(const std::string& job, const std::string& server, RunTrigger trigger,
                              std::int64_t queued_at) {
  std::lock_guard lock(impl_->mutex);
  impl_
      ->statement(
          "INSERT INTO runs (job, server, run_trigger, status, queued_at) "
          "VALUES (?1, ?2, ?3, 'pending', ?4)")
      .bind(1, job)
      .bind(2, server)
      .bind(3, trigger_name(trigger))
      .bind(4, queued_at)
      .run();
  RunRecord r;
  r.id = sqlite3_last_insert_rowid(impl_->db.get());
  r.job = job;
  r.server = server;
  r.trigger = trigger;
  r.queued_at = queued_at;
  return r;
}

void StateStore::mark_running(std::int64_t id, std::int64_t started_at) {
  std::lock_guard lock(impl_->mutex);
  impl_->statement("UPDATE runs SET status = 'running', started_at = ?2 WHERE id = ?1")
      .bind(1, id)
      .bind(2, started_at)
      .run();
}

void StateStore::mark_finished(const RunRecord& finished) {
  assert(finished.status != RunStatus::pending && finished.status != RunStatus::running);
  std::lock_guard lock(impl_->mutex);
  Transaction t = impl_->transaction(true);
  impl_->statement("UPDATE runs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1")
      .bind(1, finished.id)
      .bind(2, status_name(finished.status))
      .bind(3, finished.error)
      .bind(4, finished.finished_at)
      .run();
  impl_->store_databases(finished);
  t.commit();
}

std::optional<RunRecord> StateStore::run(std::int64_t id) {
  std::lock_guard lock(impl_->mutex);
  Transaction t = impl_->transaction(false);
  Statement s = impl_->statement(std::string(kRunColumns) + "WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  RunRecord r = read_run(s);
  r.databases = impl_->databases_of(r.id);
  t.commit();
  return r;
}

std::vector<RunRecord> StateStore::runs(const RunFilter& filter) {
  std::lock_guard lock(impl_->mutex);
  Transaction t = impl_->transaction(false);
  Statement s = impl_->statement(std::string(kRunColumns) +
                                 "WHERE (?1 = '' OR job = ?1) AND (?2 IS NULL OR status = ?2) "
                                 "ORDER BY id DESC LIMIT ?3");
  s.bind(1, filter.job).bind(3, static_cast<std::int64_t>(filter.limit));
  if (filter.status) s.bind(2, status_name(*filter.status));
  std::vector<RunRecord> out;
  while (s.step()) {
    out.push_back(read_run(s));
    out.back().databases = impl_->databases_of(out.back().id);
  }
  t.commit();
  return out;
}

std::optional<std::int64_t> StateStore::last_due(const std::string& job) {
  std::lock_guard lock(impl_->mutex);
  Statement s = impl_->statement("SELECT last_due FROM jobs WHERE name = ?1");
  s.bind(1, job);
  if (!s.step()) return std::nullopt;
  return s.integer(0);
}

void StateStore::set_last_due(const std::string& job, std::int64_t due) {
  std::lock_guard lock(impl_->mutex);
  impl_
      ->statement(
          "INSERT INTO jobs (name, last_due) VALUES (?1, ?2) "
          "ON CONFLICT (name) DO UPDATE SET last_due = excluded.last_due")
      .bind(1, job)
      .bind(2, due)
      .run();
}

// One pass over every (job, database) row, newest run first within each pair:
// the pair's first row gives the last run's figures, the first completed row
// the last success, the first row with a verify result the last verify.
std::vector<DatabaseStats> StateStore::database_stats() {
  std::lock_guard lock(impl_->mutex);
  Statement s = impl_->statement(
      "SELECT r.job, d.database, r.finished_at, d.completed, d.duration_ms, d.bytes, d.rows, "
      "d.verified FROM run_databases d JOIN runs r ON r.id = d.run_id "
      "ORDER BY r.job, d.database, r.finished_at DESC, r.id DESC");
  std::vector<DatabaseStats> out;
  while (s.step()) {
    std::string job = s.text(0), database = s.text(1);
    bool completed = s.integer(3) != 0;
    if (out.empty() || out.back().job != job || out.back().database != database)
      out.push_back({.job = job,
                     .database = database,
                     .last_duration_ms = s.integer(4),
                     .last_bytes = static_cast<std::uint64_t>(s.integer(5)),
                     .last_rows = static_cast<std::uint64_t>(s.integer(6)),
                     .last_ok = completed,
                     .last_verified = std::nullopt});
    DatabaseStats& stats = out.back();
    if (completed && stats.last_success_at == 0) stats.last_success_at = s.integer(2);
    if (!stats.last_verified) stats.last_verified = s.maybe_bool(7);
  }
  return out;
}

std::map<std::string, JobCounters> StateStore::counters() {
  std::lock_guard lock(impl_->mutex);
  Statement s = impl_->statement(
      "SELECT job, count(*), sum(status IN ('failed', 'interrupted')) FROM runs "
      "WHERE status IN ('completed', 'failed', 'interrupted') GROUP BY job");
  std::map<std::string, JobCounters> out;
  while (s.step())
    out[s.text(0)] = {.runs = static_cast<std::uint64_t>(s.integer(1)),
                      .failures = static_cast<std::uint64_t>(s.integer(2))};
  return out;
}

}  // namespace dbsnap::daemon
