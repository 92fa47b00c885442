#include "protocols/postgres/dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "engine/error.h"
#include "protocols/postgres/connection.h"
#include "protocols/postgres/copy.h"
#include "protocols/postgres/large_objects.h"
#include "protocols/postgres/schema.h"

namespace dbsnap::pg {
namespace {

// Tables per LOCK TABLE statement: one round trip per batch, statements of a
// few tens of KiB.
constexpr std::size_t kLockBatch = 500;

// Settings of every dump connection (leader and workers), after BEGIN:
// rows hidden by row-level security must fail the dump, never be skipped
// silently (pg_dump's default); bytea in the hex form that copy.h writes
// for the values it reads in pieces.
std::string transaction_settings(const DumpOptions& options) {
  return fmt::format("SET row_security = off; SET bytea_output = hex; SET LOCAL lock_timeout = {}",
                     std::max(options.lock_wait_timeout_s, 0) * 1000);
}

// After a lock wait on conn timed out: rolls the failed transaction back and
// names the session holding or awaiting an ACCESS EXCLUSIVE lock (the only
// mode that conflicts with ACCESS SHARE) on one of oids.
Error lock_timeout_error(const PgConnection& conn, const std::vector<std::uint32_t>& oids,
                         int seconds) {
  std::string array = "{";
  for (std::uint32_t oid : oids) array += fmt::format("{}{}", array.size() > 1 ? "," : "", oid);
  array += "}";
  conn.exec("ROLLBACK");
  PgResult r = conn.exec_params(R"(
SELECT l.relation::pg_catalog.regclass::text, l.granted, a.pid, coalesce(a.usename, ''),
       coalesce(a.application_name, ''), coalesce(a.state, ''),
       pg_catalog.left(pg_catalog.regexp_replace(coalesce(a.query, ''), '\s+', ' ', 'g'), 100)
  FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
   AND l.pid <> pg_catalog.pg_backend_pid() AND l.relation = ANY ($1::pg_catalog.oid[])
   AND l.database = (SELECT oid FROM pg_catalog.pg_database
                      WHERE datname = pg_catalog.current_database())
 ORDER BY l.granted DESC
 LIMIT 1)",
                                {array});
  if (r.rows() == 0)
    return Error(ExitCode::timeout,
                 fmt::format("could not lock the tables to dump within {} s: another session "
                             "holds or waits for an ACCESS EXCLUSIVE lock (ALTER, DROP, "
                             "TRUNCATE, VACUUM FULL, LOCK); retry later or raise the lock wait "
                             "timeout",
                             seconds));
  return Error(ExitCode::timeout,
               fmt::format("table {} is locked by another session: pid {} (user '{}', "
                           "application '{}', {}, running '{}') {} an ACCESS EXCLUSIVE lock on "
                           "it; no ACCESS SHARE lock within {} s: end that session, retry later "
                           "or raise the lock wait timeout",
                           r.get(0, 0), r.get(0, 2), r.get(0, 3), r.get(0, 4), r.get(0, 5),
                           r.get(0, 6), r.flag(0, 1) ? "holds" : "waits for", seconds));
}

// Locks tables (qualified name, oid) IN ACCESS SHARE MODE in batches; a lock
// timeout becomes lock_timeout_error for the batch.
void lock_tables(const PgConnection& conn,
                 const std::vector<std::pair<std::string, std::uint32_t>>& tables, int seconds) {
  for (std::size_t begin = 0; begin < tables.size(); begin += kLockBatch) {
    std::size_t end = std::min(tables.size(), begin + kLockBatch);
    std::string sql = "LOCK TABLE ";
    std::vector<std::uint32_t> oids;
    for (std::size_t i = begin; i < end; ++i) {
      sql += fmt::format("{}{}", i > begin ? ", " : "", tables[i].first);
      oids.push_back(tables[i].second);
    }
    sql += " IN ACCESS SHARE MODE";
    try {
      conn.exec(sql);
    } catch (const LockTimeout&) {
      throw lock_timeout_error(conn, oids, seconds);
    }
  }
}

// What every worker needs of the leader; immutable once the snapshot is taken.
struct SharedDump {
  ServerUrl url;
  DumpOptions options;
  std::string snapshot_id;
  std::map<std::string, PgTable, std::less<>> tables;  // by PgTable::qualified
};

class PgSnapshotSession final : public SnapshotSession {
 public:
  explicit PgSnapshotSession(std::shared_ptr<const SharedDump> dump)
      : dump_(std::move(dump)), conn_(PgConnection::connect(dump_->url)) {
    conn_.exec(fmt::format(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT {}; {}",
        quote_literal(dump_->snapshot_id), transaction_settings(dump_->options)));
  }

  void dump(const DataItem& item, ChunkSink& out) override {
    if (item.table == kLargeObjectsTable) {
      dump_large_objects(conn_, parse_oid_range(item.slice), buffer_, out);
      return;
    }
    auto it = dump_->tables.find(item.table);
    if (it == dump_->tables.end())
      throw Error(ExitCode::failure, fmt::format("table {} is not part of this dump", item.table));
    const PgTable& table = it->second;
    std::optional<PageRange> range;
    if (!item.slice.empty()) range = parse_slice(item.slice);
    try {
      dump_copy(conn_, table, range, dump_->options.no_owner, buffer_, out);
    } catch (const LockTimeout&) {
      // Only COPY's start waits for a lock: an ACCESS EXCLUSIVE request queued
      // behind the leader's lock blocks workers (pg_dump's lockTableForWorker).
      throw lock_timeout_error(conn_, {table.oid}, dump_->options.lock_wait_timeout_s);
    }
  }

 private:
  std::shared_ptr<const SharedDump> dump_;
  PgConnection conn_;
  std::string buffer_;  // one chunk's text, reused for every chunk
};

class PgDump final : public DatabaseDump {
 public:
  PgDump(PgConnection leader, std::shared_ptr<const SharedDump> shared, PgSchema schema,
         ServerInfo server, std::map<std::string, std::string> position, std::uint64_t block_size,
         std::uint64_t slice_bytes)
      : leader_(std::move(leader)),
        shared_(std::move(shared)),
        schema_(std::move(schema)),
        server_(std::move(server)),
        position_(std::move(position)),
        block_size_(block_size),
        slice_bytes_(slice_bytes) {}

  ServerInfo server() const override { return server_; }
  std::map<std::string, std::string> position() const override { return position_; }

  void pre_data(ChunkSink& out) override {
    out.emit(Section::pre_data, "", schema_.pre_data, 0, 0);
  }

  std::vector<DataItem> plan(std::uint64_t chunk_bytes) override {
    std::vector<DataItem> items =
        plan_copy_items(schema_.tables, block_size_, std::max(slice_bytes_, chunk_bytes));
    // pg_dump -t leaves large objects out (it has -b to keep them; dbsnap
    // has no such option).
    if (shared_->options.no_large_objects || !shared_->options.tables.include.empty()) return items;
    std::vector<DataItem> objects = plan_large_objects(leader_);
    items.insert(items.end(), objects.begin(), objects.end());
    std::stable_sort(items.begin(), items.end(), [](const DataItem& a, const DataItem& b) {
      return a.estimated_bytes > b.estimated_bytes;
    });
    return items;
  }

  // The ACCESS SHARE locks stay with the leader until the end, as pg_dump's.
  std::vector<std::unique_ptr<SnapshotSession>> share(std::size_t n) override {
    std::vector<std::unique_ptr<SnapshotSession>> sessions;
    for (std::size_t i = 0; i < n; ++i)
      sessions.push_back(std::make_unique<PgSnapshotSession>(shared_));
    return sessions;
  }

  void post_data(ChunkSink& out) override {
    out.emit(Section::post_data, "", schema_.post_data, 0, 0);
  }

 private:
  PgConnection leader_;  // holds the exported snapshot and the locks
  std::shared_ptr<const SharedDump> shared_;
  PgSchema schema_;
  ServerInfo server_;
  std::map<std::string, std::string> position_;
  std::uint64_t block_size_;
  std::uint64_t slice_bytes_;
};

}  // namespace

ServerInfo server_info(const PgConnection& conn) {
  const char* version = PQparameterStatus(conn.get(), "server_version");
  return {"postgres", version != nullptr ? version : ""};
}

std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url, const DumpOptions& options,
                                        std::uint64_t slice_bytes) {
  PgConnection conn = PgConnection::connect(url);
  // Listed outside the transaction and locked before its snapshot is taken
  // (LOCK needs none), so a locked table's definition cannot change between
  // the snapshot and the lock. Partitioned and inheritance parents are locked
  // as pg_dump locks them; their data lives in the children.
  // With a table filter only the selected tables are locked, as pg_dump -t/-T.
  PgResult listed = conn.exec(R"(
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.oid, n.nspname, c.relname
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1)");
  std::vector<std::pair<std::string, std::uint32_t>> to_lock;
  std::set<std::uint32_t> locked;
  for (int i = 0; i < listed.rows(); ++i) {
    if (!options.tables.selects(listed.str(i, 2), listed.str(i, 3))) continue;
    to_lock.emplace_back(listed.str(i, 0), static_cast<std::uint32_t>(listed.num(i, 1)));
    locked.insert(to_lock.back().second);
  }

  conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; " + transaction_settings(options));
  lock_tables(conn, to_lock, options.lock_wait_timeout_s);
  PgResult taken = conn.exec(R"(
SELECT pg_catalog.pg_export_snapshot(),
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN coalesce(pg_catalog.pg_last_wal_receive_lsn(),
                          pg_catalog.pg_last_wal_replay_lsn())::text
            ELSE pg_catalog.pg_current_wal_lsn()::text END,
       pg_catalog.current_setting('block_size'))");
  auto shared = std::make_shared<SharedDump>();
  shared->url = url;
  shared->options = options;
  shared->snapshot_id = taken.str(0, 0);
  std::map<std::string, std::string> position = {{"snapshot", taken.str(0, 0)},
                                                 {"lsn", taken.str(0, 1)}};
  auto block_size = static_cast<std::uint64_t>(taken.num(0, 2));

  PgSchema schema = read_schema(conn.get(), options);
  // Tables created between the listing and the snapshot: locked now, as
  // pg_dump locks every table (after its snapshot).
  std::vector<std::pair<std::string, std::uint32_t>> late;
  for (const auto& t : schema.tables)
    if (!locked.count(t.oid)) late.emplace_back(t.qualified, t.oid);
  lock_tables(conn, late, options.lock_wait_timeout_s);
  for (const auto& t : schema.tables) shared->tables.emplace(t.qualified, t);

  ServerInfo server = server_info(conn);
  return std::make_unique<PgDump>(std::move(conn), std::move(shared), std::move(schema),
                                  std::move(server), std::move(position), block_size, slice_bytes);
}

}  // namespace dbsnap::pg
