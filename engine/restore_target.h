// What the engine needs from a database protocol to restore a script
// (implemented in protocols/). The restore side of dialect.h.
//
// A restore runs as:
//   prepare_target(target, mode);                 // create / drop / clean / refuse (restore.h)
//   auto leader = target.open_session({});        // pre-data, in script order
//   leader->run(pre_data, "pre-data");
//   workers: target.open_session(leader->settings())->run(chunk, label)
//   for each step of target.split_post_data(post_data): its pieces in order
//     on the leader, or (a parallel step) at once on the leader and up to
//     jobs - 1 sessions opened with leader->settings()
//   target.count_rows(table) for each table
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dbsnap {

// What prepare_target() (engine/restore.h) does with the target database.
enum class PrepareMode {
  // Create it when missing; refuse (ExitCode::usage) when it holds any user
  // object, naming --drop and --clean.
  create,
  // Drop it (PostgreSQL: after terminating its other sessions) and create it anew.
  drop,
  // Keep the database (owner, settings, grants); drop every user object in it.
  clean,
};

// One connection to the target database running script text: statements in
// order, COPY data, the client commands dump scripts use. Stops at the first
// error: throws dbsnap::Error(ExitCode::server_error) whose message names the
// script (the label), the line, the server's message and the first ~200
// characters of the statement; the session is then unusable. Cancellation
// (engine/cancel.h) is checked between statements. One thread at a time.
class RestoreSession {
 public:
  virtual ~RestoreSession() = default;

  // Starts a script; label names it in errors ("pre-data", "data chunk 7
  // (public.film)"); the script's first line is line first_line of what label
  // names (1 unless it is a piece cut from a longer script), as errors count.
  virtual void begin(std::string_view label, std::uint64_t first_line) = 0;
  // The next bytes of the script, cut anywhere; complete statements run now.
  virtual void feed(std::string_view text) = 0;
  // The script ended: runs what remains; throws if it ends inside a
  // statement, a quoted string or COPY data.
  virtual void end() = 0;

  // The whole script at once.
  void run(std::string_view script, std::string_view label, std::uint64_t first_line = 1) {
    begin(label, first_line);
    feed(script);
    end();
  }

  // The session-level settings the scripts run so far established (SET
  // statements and their like), in order; a new session that replays them
  // (open_session) sees the script's session state, as one psql/mysql
  // session would.
  virtual std::vector<std::string> settings() const = 0;
};

// Options of the sessions of one restore.
struct SessionOptions {
  // Statements run first, from RestoreSession::settings() of the session that
  // ran the pre-data.
  std::vector<std::string> settings;
  // Restore of a subset: the tables (as named in the manifest) whose data is
  // restored. A dialect skips statements that would fail without the other
  // tables' data (PostgreSQL: foreign keys to or from other tables). Empty:
  // every table.
  std::optional<std::set<std::string>> tables;
};

// Part of a post-data script: whole statements (and client commands), run
// with RestoreSession::run(text, label, first_line).
struct ScriptPiece {
  std::string text;
  std::uint64_t first_line = 1;  // line of the script where text starts
};

// A step of the post-data (RestoreTarget::split_post_data). Steps run in
// order, each finished before the next starts.
struct PostDataStep {
  // false: the pieces run in order on the session that ran the pre-data.
  // true: the pieces are independent of each other (index builds) and run at
  // once, on that session and up to jobs - 1 others opened with its settings().
  bool parallel = false;
  std::vector<ScriptPiece> pieces;
};

// The target database on a server. Methods are called from the coordinating
// thread, except that sessions are handed to workers. Throws dbsnap::Error
// classified as connections and statements are (see dialect.h Driver::ping).
class RestoreTarget {
 public:
  virtual ~RestoreTarget() = default;

  // "postgres://u:***@host:5432/db" style, for messages.
  virtual std::string describe() const = 0;
  virtual const std::string& database() const = 0;

  // The database itself, for prepare_target() (engine/restore.h), which
  // decides what --drop, --clean and a non-empty target mean.
  // Whether the database exists on the server.
  virtual bool database_exists() = 0;
  // Creates the database, which does not exist.
  virtual void create_database() = 0;
  // Drops every user object of the existing database and keeps the database
  // (owner, settings, grants).
  virtual void clean_database() = 0;
  // What user objects the existing database holds, in words ("3 relations,
  // 1 extension"); "" when it holds none.
  virtual std::string database_contents() = 0;

  // A new connection to the database, with options.settings applied.
  virtual std::unique_ptr<RestoreSession> open_session(const SessionOptions& options) = 0;

  // The post-data script as ordered steps, the pieces of all of them
  // together the whole script in its order. By default one sequential step.
  virtual std::vector<PostDataStep> split_post_data(std::string_view script) const {
    return {PostDataStep{false, {ScriptPiece{std::string(script), 1}}}};
  }

  // Whether user_name (as given to --tables) names manifest_table: the
  // qualified name as the manifest has it, or the dialect's short forms
  // ("film" or "public.film" for PostgreSQL's public.film).
  virtual bool table_matches(std::string_view manifest_table, std::string_view user_name) const = 0;

  // SELECT count(*) of a table named as in the manifest.
  virtual std::uint64_t count_rows(const std::string& manifest_table) = 0;

  // Drops the database if it exists, ending its other sessions where the
  // dialect must (also how verify --restore-into removes its scratch database).
  virtual void drop_database() = 0;
};

}  // namespace dbsnap
