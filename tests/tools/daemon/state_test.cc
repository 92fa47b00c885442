// The daemon's state store on real SQLite files: runs with their databases
// round-trip, survive a reopen (unfinished ones then read interrupted), and
// give the per-database figures and per-job counters /metrics exports.
#include "tools/daemon/state.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "tests/support/common.h"

namespace dbsnap::daemon {
namespace {

DatabaseRun database(std::string name, bool completed, std::int64_t duration_ms,
                     std::optional<bool> verified = std::nullopt) {
  return {.database = std::move(name),
          .completed = completed,
          .error = completed ? "" : "connection lost",
          .bytes = static_cast<std::uint64_t>(duration_ms) * 10,
          .rows = static_cast<std::uint64_t>(duration_ms) * 2,
          .duration_ms = duration_ms,
          .snapshot = completed ? "prod/app/x.json" : "",
          .verified = verified};
}

// Adds a run of job and finishes it at finished_at with status and databases.
RunRecord finished_run(StateStore& store, const std::string& job, RunStatus status,
                       std::int64_t finished_at, std::vector<DatabaseRun> databases) {
  RunRecord r = store.add_run(job, "prod", RunTrigger::schedule, finished_at - 100);
  store.mark_running(r.id, finished_at - 90);
  r.status = status;
  r.started_at = finished_at - 90;
  r.finished_at = finished_at;
  r.error = status == RunStatus::completed ? "" : "1 of 1 databases failed";
  r.databases = std::move(databases);
  store.mark_finished(r);
  return r;
}

TEST(StateStore, FinishedRunRoundTripsWithItsDatabases) {
  test::ScratchDir dir;
  StateStore store(dir.path() / "state.sqlite3");
  RunRecord added = store.add_run("nightly", "prod", RunTrigger::api, 1000);
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.status, RunStatus::pending);
  ASSERT_EQ(store.run(added.id)->status, RunStatus::pending);

  store.mark_running(added.id, 1010);
  std::optional<RunRecord> running = store.run(added.id);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->status, RunStatus::running);
  EXPECT_EQ(running->started_at, 1010);

  RunRecord done = *running;
  done.status = RunStatus::failed;
  done.finished_at = 1100;
  done.error = "1 of 2 databases failed: billing: connection lost";
  done.databases = {database("app", true, 500, true), database("billing", false, 20)};
  store.mark_finished(done);

  std::optional<RunRecord> got = store.run(added.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->job, "nightly");
  EXPECT_EQ(got->server, "prod");
  EXPECT_EQ(got->trigger, RunTrigger::api);
  EXPECT_EQ(got->status, RunStatus::failed);
  EXPECT_EQ(got->queued_at, 1000);
  EXPECT_EQ(got->started_at, 1010);
  EXPECT_EQ(got->finished_at, 1100);
  EXPECT_EQ(got->error, done.error);
  ASSERT_EQ(got->databases.size(), 2u);
  const DatabaseRun& app = got->databases[0];
  EXPECT_EQ(app.database, "app");
  EXPECT_TRUE(app.completed);
  EXPECT_EQ(app.error, "");
  EXPECT_EQ(app.bytes, 5000u);
  EXPECT_EQ(app.rows, 1000u);
  EXPECT_EQ(app.duration_ms, 500);
  EXPECT_EQ(app.snapshot, "prod/app/x.json");
  EXPECT_EQ(app.verified, std::optional<bool>(true));
  const DatabaseRun& billing = got->databases[1];
  EXPECT_EQ(billing.database, "billing");
  EXPECT_FALSE(billing.completed);
  EXPECT_EQ(billing.error, "connection lost");
  EXPECT_EQ(billing.verified, std::nullopt);

  EXPECT_FALSE(store.run(added.id + 1));
}

TEST(StateStore, RunsFilterByJobAndStatusNewestFirstWithinLimit) {
  test::ScratchDir dir;
  StateStore store(dir.path() / "state.sqlite3");
  RunRecord a1 = finished_run(store, "a", RunStatus::completed, 100, {database("x", true, 1)});
  RunRecord b1 = finished_run(store, "b", RunStatus::failed, 200, {database("y", false, 1)});
  RunRecord a2 = finished_run(store, "a", RunStatus::failed, 300, {database("x", false, 1)});
  RunRecord a3 = store.add_run("a", "prod", RunTrigger::catch_up, 400);

  auto ids = [](const std::vector<RunRecord>& runs) {
    std::vector<std::int64_t> out;
    for (const RunRecord& r : runs) out.push_back(r.id);
    return out;
  };
  using Ids = std::vector<std::int64_t>;
  auto filter = [](std::string job, std::optional<RunStatus> status, std::size_t limit = 100) {
    RunFilter f;
    f.job = std::move(job);
    f.status = status;
    f.limit = limit;
    return f;
  };
  EXPECT_EQ(ids(store.runs({})), (Ids{a3.id, a2.id, b1.id, a1.id}));
  EXPECT_EQ(ids(store.runs(filter("a", std::nullopt))), (Ids{a3.id, a2.id, a1.id}));
  EXPECT_EQ(ids(store.runs(filter("", RunStatus::failed))), (Ids{a2.id, b1.id}));
  EXPECT_EQ(ids(store.runs(filter("a", RunStatus::failed))), (Ids{a2.id}));
  EXPECT_EQ(ids(store.runs(filter("a", std::nullopt, 2))), (Ids{a3.id, a2.id}));
  EXPECT_EQ(ids(store.runs(filter("nope", std::nullopt))), Ids{});

  std::vector<RunRecord> b = store.runs(filter("b", std::nullopt));
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(b[0].databases.size(), 1u);
  EXPECT_EQ(b[0].databases[0].database, "y");
}

TEST(StateStore, ReopenKeepsHistoryAndInterruptsUnfinishedRuns) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "state.sqlite3";
  std::int64_t finished_id = 0, running_id = 0, pending_id = 0;
  {
    StateStore store(path);
    finished_id = finished_run(store, "a", RunStatus::completed, 100, {database("x", true, 5)}).id;
    running_id = store.add_run("a", "prod", RunTrigger::schedule, 200).id;
    store.mark_running(running_id, 210);
    pending_id = store.add_run("b", "prod", RunTrigger::api, 220).id;
    store.set_last_due("a", 1'800'000'000);
  }
  std::int64_t before = std::time(nullptr);
  StateStore store(path);

  std::optional<RunRecord> finished = store.run(finished_id);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, RunStatus::completed);
  EXPECT_EQ(finished->error, "");
  ASSERT_EQ(finished->databases.size(), 1u);
  for (std::int64_t id : {running_id, pending_id}) {
    std::optional<RunRecord> r = store.run(id);
    ASSERT_TRUE(r) << id;
    EXPECT_EQ(r->status, RunStatus::interrupted) << id;
    EXPECT_EQ(r->error, "the daemon stopped before the run finished") << id;
    EXPECT_GE(r->finished_at, before) << id;
  }
  EXPECT_EQ(store.run(running_id)->started_at, 210);
  EXPECT_EQ(store.last_due("a"), std::optional<std::int64_t>(1'800'000'000));

  // Ids are never reused, even after a reopen.
  EXPECT_GT(store.add_run("c", "prod", RunTrigger::once, 300).id, pending_id);
}

TEST(StateStore, LastDueIsNoneUntilSetThenTheNewestValue) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "state.sqlite3";
  {
    StateStore store(path);
    EXPECT_EQ(store.last_due("a"), std::nullopt);
    store.set_last_due("a", 60);
    store.set_last_due("a", 120);
    store.set_last_due("b", 7);
  }
  StateStore store(path);
  EXPECT_EQ(store.last_due("a"), std::optional<std::int64_t>(120));
  EXPECT_EQ(store.last_due("b"), std::optional<std::int64_t>(7));
  EXPECT_EQ(store.last_due("c"), std::nullopt);
}

TEST(StateStore, DatabaseStatsComeFromTheNewestRunsOfEachDatabase) {
  test::ScratchDir dir;
  StateStore store(dir.path() / "state.sqlite3");
  // app: completed and verified ok at 100, failed at 200 (verify not due).
  // billing: failed at 100, completed at 200 with a failed verify.
  // Job b's app is separate from job a's.
  finished_run(store, "a", RunStatus::failed, 100,
               {database("app", true, 40, true), database("billing", false, 10)});
  finished_run(store, "a", RunStatus::failed, 200,
               {database("app", false, 30), database("billing", true, 70, false)});
  finished_run(store, "b", RunStatus::completed, 150, {database("app", true, 90)});
  store.add_run("a", "prod", RunTrigger::api, 300);  // unfinished: no databases yet

  std::vector<DatabaseStats> stats = store.database_stats();
  ASSERT_EQ(stats.size(), 3u);
  const DatabaseStats &a_app = stats[0], &a_billing = stats[1], &b_app = stats[2];
  EXPECT_EQ(a_app.job, "a");
  EXPECT_EQ(a_app.database, "app");
  EXPECT_EQ(a_app.last_success_at, 100);
  EXPECT_EQ(a_app.last_duration_ms, 30);
  EXPECT_EQ(a_app.last_bytes, 300u);
  EXPECT_EQ(a_app.last_rows, 60u);
  EXPECT_FALSE(a_app.last_ok);
  EXPECT_EQ(a_app.last_verified, std::optional<bool>(true));

  EXPECT_EQ(a_billing.job, "a");
  EXPECT_EQ(a_billing.database, "billing");
  EXPECT_EQ(a_billing.last_success_at, 200);
  EXPECT_EQ(a_billing.last_duration_ms, 70);
  EXPECT_TRUE(a_billing.last_ok);
  EXPECT_EQ(a_billing.last_verified, std::optional<bool>(false));

  EXPECT_EQ(b_app.job, "b");
  EXPECT_EQ(b_app.database, "app");
  EXPECT_EQ(b_app.last_success_at, 150);
  EXPECT_TRUE(b_app.last_ok);
  EXPECT_EQ(b_app.last_verified, std::nullopt);
}

TEST(StateStore, DatabaseNeverCompletedHasNoSuccessTime) {
  test::ScratchDir dir;
  StateStore store(dir.path() / "state.sqlite3");
  finished_run(store, "a", RunStatus::failed, 100, {database("app", false, 10)});
  std::vector<DatabaseStats> stats = store.database_stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].last_success_at, 0);
  EXPECT_FALSE(stats[0].last_ok);
}

TEST(StateStore, CountersCountFinishedRunsAndFailuresPerJob) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "state.sqlite3";
  {
    StateStore store(path);
    finished_run(store, "a", RunStatus::failed, 100, {});
    finished_run(store, "a", RunStatus::completed, 200, {});
    finished_run(store, "a", RunStatus::interrupted, 300, {});
    finished_run(store, "b", RunStatus::completed, 100, {});
    store.add_run("b", "prod", RunTrigger::api, 400);  // pending: not counted yet
    store.add_run("c", "prod", RunTrigger::api, 400);
  }
  {
    StateStore store(path);  // b's and c's pending runs become interrupted failures
    std::map<std::string, JobCounters> counters = store.counters();
    ASSERT_EQ(counters.size(), 3u);
    EXPECT_EQ(counters["a"].runs, 3u);
    EXPECT_EQ(counters["a"].failures, 2u);
    EXPECT_EQ(counters["b"].runs, 2u);
    EXPECT_EQ(counters["b"].failures, 1u);
    EXPECT_EQ(counters["c"].runs, 1u);
    EXPECT_EQ(counters["c"].failures, 1u);
  }
  test::ScratchDir fresh;
  StateStore store(fresh.path() / "state.sqlite3");
  store.add_run("a", "prod", RunTrigger::api, 1);
  EXPECT_TRUE(store.counters().empty());
}

TEST(StateStore, ConcurrentWritersFromThreadsAllLand) {
  test::ScratchDir dir;
  StateStore store(dir.path() / "state.sqlite3");
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kRuns; ++i)
        finished_run(store, fmt::format("job{}", t), RunStatus::completed, 100 + i, {});
    });
  for (std::thread& t : threads) t.join();
  std::map<std::string, JobCounters> counters = store.counters();
  ASSERT_EQ(counters.size(), static_cast<std::size_t>(kThreads));
  for (const auto& [job, c] : counters) EXPECT_EQ(c.runs, static_cast<std::uint64_t>(kRuns)) << job;
}

// What open() throws for path, or "" when it opens.
std::string open_error(const std::filesystem::path& path, ExitCode* code) {
  try {
    StateStore store(path);
  } catch (const Error& e) {
    *code = e.code();
    return e.what();
  }
  return "";
}

TEST(StateStore, TextFileIsRefusedNamingThePath) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "notes.txt";
  std::string text(4096, 'x');
  std::ofstream(path) << "these are not the runs you are looking for\n" << text;
  ExitCode code = ExitCode::ok;
  std::string error = open_error(path, &code);
  EXPECT_EQ(code, ExitCode::io_error);
  EXPECT_EQ(error, "daemon state " + path.string() + ": file is not a database");
  EXPECT_EQ(test::read_file(path).substr(0, 10), "these are ");  // left as it was
}

TEST(StateStore, OtherSqliteDatabaseIsRefusedAndLeftAlone) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "other.sqlite3";
  test::CommandResult made =
      test::run({"sqlite3", path.string(), "CREATE TABLE t (x); PRAGMA user_version = 1;"});
  ASSERT_EQ(made.exit_code, 0) << made.describe();
  ExitCode code = ExitCode::ok;
  EXPECT_EQ(open_error(path, &code),
            "daemon state " + path.string() + ": not a dbsnap state database");
  EXPECT_EQ(code, ExitCode::io_error);
  test::CommandResult mode = test::run({"sqlite3", path.string(), "PRAGMA journal_mode"});
  EXPECT_EQ(mode.out, "delete\n") << "the journal mode of a foreign file was changed";
}

TEST(StateStore, MissingDirectoryIsAnIoErrorNamingThePath) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "absent" / "state.sqlite3";
  ExitCode code = ExitCode::ok;
  std::string error = open_error(path, &code);
  EXPECT_EQ(code, ExitCode::io_error);
  EXPECT_EQ(error.rfind("daemon state " + path.string() + ": ", 0), 0u) << error;
}

TEST(StateStore, NewFileIsVersionOneInWalMode) {
  test::ScratchDir dir;
  std::filesystem::path path = dir.path() / "state.sqlite3";
  { StateStore store(path); }
  test::CommandResult r =
      test::run({"sqlite3", path.string(), "PRAGMA user_version; PRAGMA journal_mode;"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "1\nwal\n");
}

}  // namespace
}  // namespace dbsnap::daemon
