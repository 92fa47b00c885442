// End-to-end tests of `dbsnap daemon`, started as a user starts it (the
// DBSNAP_BIN binary with a config file) against the PostgreSQL server and the
// S3 endpoint (Ceph RGW) tools/test.sh started, and talked to with a real
// HTTP client (curl) and a real browser (headless Chromium):
//  - an on-demand run goes pending -> running -> completed and its snapshot
//    is listed; a job whose server has a wrong password fails and shows why
//    in the API, the page and the metrics (promtool checks them); a server
//    test is `ping`'s result; no password appears anywhere;
//  - a job runs at its cron time; a run missed while the daemon was down
//    runs once at start-up when the job says catch_up;
//  - SIGHUP with a bad config keeps the old one, with a good one applies it;
//  - SIGTERM lets a running backup finish within the grace period, and
//    cancels one that outlasts it (the run says interrupted);
//  - --once runs what is due, then nothing until the next time; --log-format
//    json logs one JSON object per line;
//  - a token is required when set, and a non-loopback listen without one is refused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/url.h"
#include "storage/s3/volume.h"
#include "tests/support/cli.h"
#include "tests/support/common.h"
#include "tests/support/pg.h"
#include "tests/support/s3_env.h"
#include "tools/daemon/state.h"

namespace dbsnap::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr auto kStartTimeout = 60s;
constexpr auto kRunTimeout = 180s;

struct HttpResult {
  int status = 0;
  std::string body;
};

// One request with curl (a real HTTP client); headers are "Name: value".
HttpResult http(const std::string& method, const std::string& url,
                const std::vector<std::string>& headers = {}) {
  std::vector<std::string> argv{"curl", "-sS", "-m", "60", "-X", method, "-w", "\n%{http_code}"};
  for (const auto& h : headers) argv.insert(argv.end(), {"-H", h});
  argv.push_back(url);
  CommandResult r = run(argv);
  HttpResult out;
  const auto nl = r.out.rfind('\n');
  if (r.exit_code != 0 || nl == std::string::npos) {
    ADD_FAILURE() << method << " " << url << ": " << r.describe();
    return out;
  }
  out.status = std::atoi(r.out.c_str() + nl + 1);
  out.body = r.out.substr(0, nl);
  return out;
}

// The config of these tests: servers prod (the test server) and bad (a
// wrong password), volumes s3 (RGW, a prefix of its own) and local, then
// jobs and [daemon] lines given by each test.
class DaemonConfig {
 public:
  DaemonConfig() {
    ServerUrl url = ServerUrl::parse(pg_url());
    password_ = url.password;
    base_ = fmt::format("postgres://{}@{}:{}/postgres", url.user, url.host, url.port);
    S3Options s3 = s3_options();
    s3_volume_ = fmt::format(
        "[volumes.s3]\nurl = {}\nendpoint = {}\nregion = {}\naccess_key = {}\nsecret_key = {}\n",
        toml_string(fmt::format("s3://{}/{}", s3_base_url().bucket, s3_unique_prefix("daemon"))),
        toml_string(s3.endpoint), toml_string(s3.region), toml_string(s3.access_key),
        toml_string(s3.secret_key));
    secrets_ = {password_, s3.secret_key};
  }

  // Writes the file: the servers and volumes, then body.
  void write(const std::string& body) const {
    std::ofstream out(path());
    out << "[servers.prod]\nurl = " << toml_string(base_)
        << "\npassword = " << toml_string(password_)
        << "\n[servers.bad]\nurl = " << toml_string(base_) << "\npassword = \"not-the-password\"\n"
        << s3_volume_
        << "[volumes.local]\nurl = " << toml_string((dir_.path() / "backups").string()) << "\n"
        << body;
  }

  // A job's table: server, one database, volume, then extra lines.
  static std::string job(const std::string& name, const std::string& server,
                         const std::string& database, const std::string& volume,
                         const std::string& extra = "") {
    return fmt::format("[jobs.{}]\nserver = \"{}\"\ndatabases = [{}]\nvolume = \"{}\"\n{}\n", name,
                       server, toml_string(database), volume, extra);
  }

  fs::path path() const { return dir_.path() / "config.toml"; }
  fs::path state() const { return dir_.path() / "state"; }
  fs::path artefacts() const {
    const char* env = std::getenv("DBSNAP_TEST_ARTEFACTS");
    fs::path dir = env && *env ? fs::path(env) : fs::current_path() / "artefacts";
    fs::create_directories(dir);
    return dir;
  }
  // No secret of the config in text.
  void expect_no_secret(const std::string& text, const std::string& where) const {
    for (const auto& s : secrets_) EXPECT_FALSE(contains(text, s)) << "a secret in " << where;
  }

 private:
  ScratchDir dir_;
  std::string password_, base_, s3_volume_;
  std::vector<std::string> secrets_;
};

// `dbsnap daemon` in the background on a free loopback port (listen =
// "127.0.0.1:0"; the port is read from its "listening on" line).
class RunningDaemon {
 public:
  explicit RunningDaemon(const DaemonConfig& config, std::vector<std::string> extra = {})
      : config_(config), process_([&] {
          std::vector<std::string> argv{
              dbsnap_bin().string(),  "daemon",      "--config",
              config.path().string(), "--state-dir", config.state().string()};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    const bool up = wait_until(
        [&] { return contains(process_.err_so_far(), "listening on") || !process_.running(); },
        kStartTimeout);
    const std::string err = process_.err_so_far();
    if (!up || !process_.running()) throw std::runtime_error("the daemon did not start: " + err);
    const auto at = err.find("127.0.0.1:", err.find("listening on")) + 10;
    port_ = std::atoi(err.c_str() + at);
  }

  std::string url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }
  HttpResult get(const std::string& path) const { return http("GET", url(path)); }
  HttpResult post(const std::string& path) const { return http("POST", url(path)); }

  // The run with this id once it has finished (completed, failed or interrupted).
  json finished_run(std::int64_t id) const {
    json run;
    const bool done = wait_until(
        [&] {
          HttpResult r = get(fmt::format("/api/v1/runs/{}", id));
          if (r.status != 200) return false;
          run = json::parse(r.body);
          return run["finished_at"].is_string();
        },
        kRunTimeout, 200ms);
    EXPECT_TRUE(done) << "run " << id << " did not finish: " << run.dump();
    return run;
  }

  // Starts a run of job through the API; returns its id.
  std::int64_t start(const std::string& job) const {
    HttpResult r = post("/api/v1/jobs/" + job + "/run");
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body).value("id", std::int64_t{0});
  }

  BackgroundProcess& process() { return process_; }

  // SIGTERM, then the exit within timeout.
  CommandResult stop(std::chrono::milliseconds timeout = 60s) {
    process_.signal(SIGTERM);
    auto r = process_.wait_for(timeout);
    if (!r) throw std::runtime_error("the daemon did not stop after SIGTERM");
    config_.expect_no_secret(r->err, "the daemon's log");
    return *r;
  }

 private:
  const DaemonConfig& config_;
  BackgroundProcess process_;
  int port_ = 0;
};

// A database with one table of rows rows.
struct SampleDatabase {
  explicit SampleDatabase(const std::string& tag, int rows = 1000) : db(tag) {
    pg_exec(db.name(), fmt::format("CREATE TABLE items AS SELECT g AS id, md5(g::text) AS v "
                                   "FROM generate_series(1, {}) g",
                                   rows));
  }
  ScratchPgDatabase db;
};

// Loads url in headless Chromium; returns the DOM it built, and saves a
// screenshot as png.
std::string chromium_dom(const std::string& url, const fs::path& png, const fs::path& profile) {
  const std::string flags =
      fmt::format("--headless --disable-gpu --no-sandbox --user-data-dir={} --window-size=1280,900",
                  shell_quote(profile.string()));
  CommandResult shot = run_shell(fmt::format("timeout 60 chromium {} --screenshot={} {} 2>&1",
                                             flags, shell_quote(png.string()), shell_quote(url)));
  EXPECT_EQ(shot.exit_code, 0) << shot.describe();
  CommandResult dom = run_shell(
      fmt::format("timeout 60 chromium {} --dump-dom {} 2>/dev/null", flags, shell_quote(url)));
  EXPECT_EQ(dom.exit_code, 0) << dom.describe();
  return dom.out;
}

TEST(DaemonApi, OnDemandRunsFailuresPageMetricsAndServerTests) {
  SampleDatabase sample("daemon_api");
  DaemonConfig config;
  config.write(
      DaemonConfig::job("nightly", "prod", sample.db.name(), "s3", "schedule = \"0 3 * * *\"") +
      DaemonConfig::job("broken", "bad", sample.db.name(), "local") +
      "[daemon]\nlisten = \"127.0.0.1:0\"\n");
  RunningDaemon daemon(config);

  json ok = daemon.finished_run(daemon.start("nightly"));
  EXPECT_EQ(ok["status"], "completed") << ok.dump();
  ASSERT_EQ(ok["databases"].size(), 1u) << ok.dump();
  EXPECT_EQ(ok["databases"][0]["rows"], 1000) << ok.dump();
  EXPECT_EQ(ok["trigger"], "api");
  const std::string snapshot = ok["databases"][0]["snapshot"];
  EXPECT_FALSE(snapshot.empty());

  json failed = daemon.finished_run(daemon.start("broken"));
  EXPECT_EQ(failed["status"], "failed") << failed.dump();
  const std::string reason = failed["error"].is_string() ? failed["error"].get<std::string>() : "";
  EXPECT_TRUE(contains(reason, "password")) << failed.dump();

  // The snapshot is found in the S3 volume (rescanned after the run).
  json snaps;
  EXPECT_TRUE(wait_until(
      [&] {
        snaps = json::parse(daemon.get("/api/v1/snapshots?job=nightly").body);
        return !snaps.empty();
      },
      60s, 200ms))
      << snaps.dump();
  ASSERT_FALSE(snaps.empty());
  EXPECT_TRUE(contains(snapshot, snaps[0]["snapshot"].get<std::string>())) << snaps.dump();

  json jobs = json::parse(daemon.get("/api/v1/jobs").body);
  ASSERT_EQ(jobs.size(), 2u) << jobs.dump();
  EXPECT_EQ(jobs[0]["name"], "broken");
  EXPECT_EQ(jobs[0]["last_run"]["status"], "failed");
  EXPECT_TRUE(jobs[1]["next_run"].is_string()) << jobs.dump();
  json runs = json::parse(daemon.get("/api/v1/runs?status=failed").body);
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["job"], "broken");

  HttpResult metrics = daemon.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  ScratchDir work;
  std::ofstream(work.path() / "metrics.txt") << metrics.body;
  CommandResult lint = run_shell("promtool check metrics < " +
                                 shell_quote((work.path() / "metrics.txt").string()) + " 2>&1");
  EXPECT_EQ(lint.exit_code, 0) << lint.describe() << "\n" << metrics.body;
  EXPECT_TRUE(contains(metrics.body, "dbsnap_job_failures_total{job=\"broken\"} 1"))
      << metrics.body;
  EXPECT_TRUE(contains(metrics.body, "dbsnap_job_runs_total{job=\"nightly\"} 1")) << metrics.body;
  EXPECT_TRUE(contains(metrics.body,
                       fmt::format("dbsnap_last_run_rows{{job=\"nightly\",database=\"{}\"}} 1000",
                                   sample.db.name())))
      << metrics.body;

  const std::string dom = chromium_dom(daemon.url("/"), config.artefacts() / "daemon-status.png",
                                       work.path() / "chromium");
  EXPECT_TRUE(contains(dom, "nightly") && contains(dom, "broken")) << dom;
  EXPECT_TRUE(contains(dom, "password authentication failed")) << dom;
  EXPECT_GT(fs::file_size(config.artefacts() / "daemon-status.png"), 1000u);

  HttpResult ping = daemon.post("/api/v1/servers/prod/test");
  EXPECT_EQ(ping.status, 200) << ping.body;
  HttpResult bad_ping = daemon.post("/api/v1/servers/bad/test");
  EXPECT_EQ(bad_ping.status, 502) << bad_ping.body;
  EXPECT_EQ(daemon.post("/api/v1/servers/nope/test").status, 404);
  EXPECT_EQ(daemon.post("/api/v1/jobs/nope/run").status, 404);

  for (const auto& [what, text] : {std::pair{"jobs", jobs.dump()},
                                   {"runs", runs.dump()},
                                   {"metrics", metrics.body},
                                   {"page", dom},
                                   {"ping", ping.body + bad_ping.body}})
    config.expect_no_secret(text, what);
  CommandResult end = daemon.stop();
  EXPECT_EQ(end.exit_code, 0) << end.describe();
}

TEST(DaemonSchedule, RunsAJobAtItsCronTimeAndCatchesUpAMissedRunAtStart) {
  SampleDatabase sample("daemon_cron", 10);
  DaemonConfig config;
  config.write(
      DaemonConfig::job("minutely", "prod", sample.db.name(), "local", "schedule = \"* * * * *\"") +
      DaemonConfig::job("yearly", "prod", sample.db.name(), "local",
                        "schedule = \"0 0 1 1 *\"\ncatch_up = true") +
      "[daemon]\nlisten = \"127.0.0.1:0\"\nmax_concurrent = 2\n");
  {
    // As if the daemon had last handled yearly's run of a year ago: the one
    // of this January 1st was missed.
    fs::create_directories(config.state());
    daemon::StateStore state(config.state() / "state.sqlite3");
    state.set_last_due("yearly", std::time(nullptr) - 400 * 86400);
  }
  RunningDaemon daemon(config);
  json runs;
  auto finished_with = [&](const std::string& job, const std::string& trigger) {
    runs = json::parse(daemon.get("/api/v1/runs?job=" + job).body);
    for (const auto& r : runs)
      if (r["trigger"] == trigger && r["status"] == "completed") return true;
    return false;
  };
  EXPECT_TRUE(wait_until([&] { return finished_with("yearly", "catch_up"); }, kRunTimeout, 500ms))
      << runs.dump();
  // The next minute comes within 60 s.
  EXPECT_TRUE(wait_until([&] { return finished_with("minutely", "schedule"); }, 150s, 500ms))
      << runs.dump();
  EXPECT_EQ(daemon.stop().exit_code, 0);
}

TEST(DaemonSignals, SighupWithABadConfigKeepsTheOldOneAndAGoodOneApplies) {
  DaemonConfig config;
  const std::string first = DaemonConfig::job("first", "prod", "postgres", "local") +
                            "[daemon]\nlisten = \"127.0.0.1:0\"\n";
  config.write(first);
  RunningDaemon daemon(config);

  config.write(first + "[jobs.second]\nserver = \"nowhere\"\n");  // no such server, no volume
  daemon.process().signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return contains(daemon.process().err_so_far(), "refused"); }, 30s))
      << daemon.process().err_so_far();
  EXPECT_EQ(json::parse(daemon.get("/api/v1/jobs").body).size(), 1u);

  config.write(first + DaemonConfig::job("second", "prod", "postgres", "local"));
  daemon.process().signal(SIGHUP);
  json jobs;
  EXPECT_TRUE(wait_until(
      [&] {
        jobs = json::parse(daemon.get("/api/v1/jobs").body);
        return jobs.size() == 2;
      },
      30s, 100ms))
      << jobs.dump();
  EXPECT_EQ(daemon.stop().exit_code, 0);
}

// A backup that waits on a table another session holds ACCESS EXCLUSIVE,
// until release() ends that session.
class LockedTable {
 public:
  explicit LockedTable(const ScratchPgDatabase& db)
      : db_(db),
        app_(unique_name("daemon_lock")),
        holder_({"psql", "-X", "-q", "-d", db.url() + "?application_name=" + app_, "-c",
                 "BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600)"}) {
    const bool held = wait_until([&] { return sessions(app_, "state = 'active'") > 0; }, 60s);
    if (!held) throw std::runtime_error("the lock holder did not start");
  }
  ~LockedTable() { release(); }

  // dbsnap sessions of the database waiting for a lock.
  bool backup_waits() const { return sessions("dbsnap", "wait_event_type = 'Lock'") > 0; }
  void release() {
    pg_exec("postgres",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            "application_name = '" +
                app_ + "'");
  }

 private:
  int sessions(const std::string& app, const std::string& condition) const {
    return std::stoi(pg_query("postgres",
                              "SELECT count(*) FROM pg_stat_activity WHERE "
                              "application_name = '" +
                                  app + "' AND datname = '" + db_.name() + "' AND " + condition)
                         .at(0)
                         .at(0));
  }

  const ScratchPgDatabase& db_;
  std::string app_;
  BackgroundProcess holder_;
};

// The finished run id, read from the state store after the daemon exited.
std::optional<daemon::RunRecord> recorded_run(const DaemonConfig& config, std::int64_t id) {
  daemon::StateStore state(config.state() / "state.sqlite3");
  return state.run(id);
}

// A daemon with job "nightly" and grace_seconds, and a run of it it started,
// blocked on a table the test holds locked.
struct BlockedRun {
  BlockedRun(const std::string& tag, int grace_seconds) : sample(tag) {
    config.write(DaemonConfig::job("nightly", "prod", sample.db.name(), "s3") +
                 "[daemon]\nlisten = \"127.0.0.1:0\"\ngrace_seconds = " +
                 std::to_string(grace_seconds) + "\n");
    daemon.emplace(config);
    lock.emplace(sample.db);
    id = daemon->start("nightly");
  }

  SampleDatabase sample;
  DaemonConfig config;
  std::optional<RunningDaemon> daemon;
  std::optional<LockedTable> lock;  // after daemon: released before it stops
  std::int64_t id = 0;
};

TEST(DaemonSignals, SigtermLetsARunningBackupFinishWithinTheGracePeriod) {
  BlockedRun b("daemon_grace", 120);
  ASSERT_TRUE(wait_until([&] { return b.lock->backup_waits(); }, 60s));
  b.daemon->process().signal(SIGTERM);
  ASSERT_TRUE(
      wait_until([&] { return contains(b.daemon->process().err_so_far(), "stopping"); }, 30s));
  b.lock->release();
  CommandResult end = b.daemon->stop(150s);
  EXPECT_EQ(end.exit_code, 0) << end.describe();
  auto run = recorded_run(b.config, b.id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, daemon::RunStatus::completed) << run->error << "\n" << end.err;
}

TEST(DaemonSignals, SigtermCancelsARunThatOutlastsTheGracePeriod) {
  BlockedRun b("daemon_cancel", 1);
  ASSERT_TRUE(wait_until([&] { return b.lock->backup_waits(); }, 60s));
  CommandResult end = b.daemon->stop(150s);
  EXPECT_EQ(end.exit_code, 0) << end.describe();
  EXPECT_TRUE(contains(end.err, "grace period over")) << end.err;
  auto run = recorded_run(b.config, b.id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, daemon::RunStatus::interrupted) << run->error;
  EXPECT_FALSE(run->error.empty());
}

TEST(DaemonOnce, RunsWhatIsDueThenNothingUntilItsNextTime) {
  SampleDatabase sample("daemon_once", 10);
  DaemonConfig config;
  config.write(
      DaemonConfig::job("yearly", "prod", sample.db.name(), "local", "schedule = \"0 0 1 1 *\"") +
      DaemonConfig::job("manual", "prod", sample.db.name(), "local"));
  auto once = [&] {
    return run_dbsnap({"daemon", "--once", "--log-format", "json", "--config",
                       config.path().string(), "--state-dir", config.state().string()});
  };
  CommandResult first = once();
  EXPECT_EQ(first.exit_code, 0) << first.describe();
  std::istringstream log(first.err);
  int events = 0;
  for (std::string line; std::getline(log, line); ++events) {
    json event = json::parse(line, nullptr, false);
    EXPECT_TRUE(event.is_object() && event.contains("time") && event.contains("event")) << line;
  }
  EXPECT_GE(events, 3) << "queued, started, finished: " << first.err;
  CommandResult second = once();
  EXPECT_EQ(second.exit_code, 0) << second.describe();
  daemon::StateStore state(config.state() / "state.sqlite3");
  auto runs = state.runs({});
  ASSERT_EQ(runs.size(), 1u) << "a job without schedule never runs; yearly once: " << second.err;
  EXPECT_EQ(runs[0].job, "yearly");
  EXPECT_EQ(runs[0].status, daemon::RunStatus::completed) << runs[0].error;
  EXPECT_EQ(runs[0].trigger, daemon::RunTrigger::once);
}

TEST(DaemonAuth, ATokenIsRequiredWhenSetAndANonLoopbackListenNeedsOne) {
  DaemonConfig config;
  const std::string job = DaemonConfig::job("first", "prod", "postgres", "local");
  config.write(job + "[daemon]\nlisten = \"0.0.0.0:0\"\n");
  CommandResult refused = run_dbsnap(
      {"daemon", "--config", config.path().string(), "--state-dir", config.state().string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.describe();
  EXPECT_TRUE(contains(refused.err, "token")) << refused.err;

  config.write(job + "[daemon]\nlisten = \"127.0.0.1:0\"\ntoken = \"s3cr3t-t0ken\"\n");
  RunningDaemon daemon(config);
  EXPECT_EQ(daemon.get("/api/v1/jobs").status, 401);
  EXPECT_EQ(daemon.get("/healthz").status, 200);
  EXPECT_EQ(http("GET", daemon.url("/api/v1/jobs"), {"Authorization: Bearer wrong"}).status, 401);
  HttpResult jobs = http("GET", daemon.url("/api/v1/jobs"), {"Authorization: Bearer s3cr3t-t0ken"});
  EXPECT_EQ(jobs.status, 200) << jobs.body;
  CommandResult end = daemon.stop();
  EXPECT_FALSE(contains(end.err, "s3cr3t-t0ken"));
}

}  // namespace
}  // namespace dbsnap::test
