// What the engine needs from a database protocol (implemented in protocols/).
//
// A backup runs as:
//   auto dump = driver.open_dump(url, options);     // leader connection, schema read, the
//                                                    // tables guarded against DDL
//   items = dump->plan(chunk_bytes);                 // work items, biggest first
//   sessions = dump->share(workers);                 // worker connections in one snapshot
//   dump->pre_data(out);                             // header (with position) + schema
//   workers: session->dump(item, out) for item in items
//   dump->post_data(out);                            // sequences set, constraints, indexes, ...,
//   footer
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/manifest.h"
#include "engine/name_pattern.h"
#include "engine/url.h"

namespace dbsnap {

// Where a data chunk stands in a chain: a row too long for one chunk (a
// 1 GiB LONGBLOB, a 500 MiB bytea) is written as several chunks whose text,
// concatenated in order (first, next..., last), is one self-contained chunk,
// cut anywhere (mid-row for a COPY line, between the statements that build a
// MySQL value in session variables). They run as one script on one session.
// A chunk of its own is `none`.
enum class ChainLink { none, first, next, last };

// Receives finished chunks of SQL text. Each emit() is one self-contained
// chunk (DESIGN.md section 1): a whole COPY block or a run of complete INSERT
// statements, or a part of the pre-data/post-data script made of complete
// statements; the emit_link() calls of one chain together make one. The text is compressed and
// appended before emit() returns, so the caller may reuse its buffer. Not thread-safe: one per
// worker thread. Throws dbsnap::Error on storage failure or cancellation.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // table: qualified name as in DataItem::table for data chunks, "" otherwise.
  // rows: the rows the chunk holds; checksum: the sum (mod 2^64) of their
  // xxh64 (engine/row_checksum.h), 0 for a chunk without rows.
  virtual void emit(Section section, std::string_view table, std::string_view sql,
                    std::uint64_t rows, std::uint64_t checksum) = 0;
  // Emits a data chunk as a link of a chain (see ChainLink): the chain's chunks
  // come from one sink, in order, with no other chunk of the sink between
  // them. Sinks that keep every chunk in order on one session (a plain
  // script) need not override it.
  virtual void emit_link(ChainLink /*link*/, std::string_view table, std::string_view sql,
                         std::uint64_t rows, std::uint64_t checksum) {
    emit(Section::data, table, sql, rows, checksum);
  }
  // Target size of a chunk's SQL text in bytes; data dumpers close the current
  // statement and emit once their buffer reaches it.
  virtual std::size_t chunk_bytes() const = 0;
};

// Options shared by the dialects; each ignores what does not apply to it.
struct DumpOptions {
  bool no_owner = false;                    // pg_dump --no-owner
  bool no_privileges = false;               // pg_dump --no-privileges
  int lock_wait_timeout_s = 60;             // bounded wait for locks before a clear error
  std::size_t net_buffer_length = 1 << 20;  // mysqldump --net-buffer-length (bytes per INSERT)
  bool no_sandbox = false;        // MariaDB: no mariadb-dump sandbox line at the top of the script
  bool no_large_objects = false;  // PostgreSQL: pg_dump --no-blobs (-B)
  // PostgreSQL: pg_dump --create (-C): the script creates the database
  // (encoding, locale, comment, settings, ACL) and connects to it first.
  bool create = false;
  // PostgreSQL: pg_dumpall --globals-only: the server's roles and tablespaces
  // instead of a database (url.database is only where to connect).
  // MySQL/MariaDB refuse it (ExitCode::unsupported).
  bool globals = false;
  // backup --tables/--exclude-table (engine/name_pattern.h); empty: every
  // table. MySQL/MariaDB: only selected tables, views and sequences, and the
  // triggers of selected tables, are dumped (routines and events stay, as
  // mysqldump with a table list). PostgreSQL: as pg_dump -t/-T, the selected
  // relations with their parts, owned sequences and data; with include
  // patterns nothing else (no schemas, types, functions, large objects).
  TableFilter tables;
};

// One unit of data work: a whole table or a slice of one.
struct DataItem {
  std::string table;                  // qualified name, recorded in the manifest
  std::string slice;                  // dialect-specific bounds; empty = whole table
  std::uint64_t estimated_bytes = 0;  // for scheduling biggest first
};

// A worker's connection inside the shared snapshot. One per worker thread;
// not thread-safe. Throws dbsnap::Error on connection or query failure.
class SnapshotSession {
 public:
  virtual ~SnapshotSession() = default;
  // Streams the rows of item as one or more data chunks into out.
  virtual void dump(const DataItem& item, ChunkSink& out) = 0;
};

struct ServerInfo {
  std::string kind;     // "postgres", "mysql", "mariadb" (as detected)
  std::string version;  // server version string
};

// The leader of one database's backup: owns the snapshot for its lifetime.
// Called from the coordinating thread only, except join() results which are
// handed to workers.
class DatabaseDump {
 public:
  virtual ~DatabaseDump() = default;
  virtual ServerInfo server() const = 0;
  // Snapshot position for the manifest (e.g. {"lsn": ..} or {"binlog_file": ..});
  // complete once share() returned.
  virtual std::map<std::string, std::string> position() const = 0;
  virtual void pre_data(ChunkSink& out) = 0;
  // Work items for all tables with data, biggest first. chunk_bytes is a hint for slicing.
  virtual std::vector<DataItem> plan(std::uint64_t chunk_bytes) = 0;
  // n >= 1 new connections that all see one snapshot, consistent with the
  // schema of pre_data(). Call once. MySQL/MariaDB hold their global lock only
  // inside this call, for starting the snapshots and reading the position,
  // each statement bounded by DumpOptions::lock_wait_timeout_s; connections
  // are opened before the lock. Throws dbsnap::Error (ExitCode::timeout naming
  // the blocker when the lock is not granted in time).
  virtual std::vector<std::unique_ptr<SnapshotSession>> share(std::size_t n) = 0;
  virtual void post_data(ChunkSink& out) = 0;
};

// Result of `dbsnap ping`.
struct PingReport {
  ServerInfo server;
  std::string user;
  bool can_backup = false;         // may read every table of the database
  bool can_restore = false;        // may create databases (or owns the database)
  std::vector<std::string> notes;  // one line each, e.g. which table is not readable
};

// Entry point of a dialect. Stateless; thread-safe.
class Driver {
 public:
  virtual ~Driver() = default;
  // Connects and classifies failures (ExitCode::connection_refused, unknown_host,
  // timeout, access_denied, tls_required, database_missing).
  virtual PingReport ping(const ServerUrl& url) = 0;
  // User databases on the server (for a backup of every database).
  virtual std::vector<std::string> databases(const ServerUrl& url) = 0;
  // Opens the leader connection to url.database and takes the snapshot.
  virtual std::unique_ptr<DatabaseDump> open_dump(const ServerUrl& url,
                                                  const DumpOptions& options) = 0;
};

}  // namespace dbsnap
