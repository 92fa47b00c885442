#include "tools/daemon/daemon.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/cancel.h"
#include "engine/error.h"
#include "engine/manifest.h"
#include "engine/scheduler.h"
#include "tools/daemon/child.h"
#include "tools/daemon/render.h"
#include "tools/daemon/state.h"

namespace dbsnap::daemon {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

volatile std::sig_atomic_t g_reload = 0;

constexpr auto kTick = std::chrono::milliseconds(250);
constexpr auto kPingTimeout = std::chrono::seconds(60);
constexpr auto kScanTimeout = std::chrono::seconds(120);
// After the grace period and SIGTERM, how long the runs may take to stop cleanly.
constexpr auto kStopTimeout = std::chrono::seconds(120);
// The tail of a run's log served by /api/v1/runs/ID/log.
constexpr std::size_t kLogTail = 1 << 20;

UnixSeconds now_unix() { return static_cast<UnixSeconds>(std::time(nullptr)); }

std::string iso(UnixSeconds t) {
  if (t <= 0) return "";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(t)));
}

Json time_or_null(UnixSeconds t) { return t > 0 ? Json(iso(t)) : Json(nullptr); }

Json to_json(const DatabaseRun& d) {
  return {{"database", d.database},
          {"status", d.completed ? "completed" : "failed"},
          {"error", d.error.empty() ? Json(nullptr) : Json(d.error)},
          {"size_bytes", d.bytes},
          {"rows", d.rows},
          {"duration_ms", d.duration_ms},
          {"snapshot", d.snapshot},
          {"verified", d.verified ? Json(*d.verified) : Json(nullptr)}};
}

Json to_json(const RunRecord& r) {
  Json dbs = Json::array();
  for (const auto& d : r.databases) dbs.push_back(to_json(d));
  return {{"id", r.id},
          {"job", r.job},
          {"server", r.server},
          {"trigger", trigger_name(r.trigger)},
          {"status", status_name(r.status)},
          {"queued_at", time_or_null(r.queued_at)},
          {"started_at", time_or_null(r.started_at)},
          {"finished_at", time_or_null(r.finished_at)},
          {"error", r.error.empty() ? Json(nullptr) : Json(r.error)},
          {"databases", dbs}};
}

Json to_json(const JobView& j) {
  return {{"name", j.name},
          {"server", j.server},
          {"schedule", j.schedule.empty() ? Json(nullptr) : Json(j.schedule)},
          {"next_run", time_or_null(j.next_run)},
          {"running", j.running},
          {"last_run", j.last_run ? to_json(*j.last_run) : Json(nullptr)}};
}

Json to_json(const SnapshotView& s) {
  return {{"job", s.job},
          {"snapshot", s.name},
          {"database", s.database},
          {"status", s.status},
          {"started_at", time_or_null(s.started_at)},
          {"size_bytes", s.bytes},
          {"rows", s.rows},
          {"tables", s.tables},
          {"verified", s.verified ? Json(*s.verified) : Json(nullptr)},
          {"verified_at", time_or_null(s.verified_at)},
          {"verify_error", s.verify_error.empty() ? Json(nullptr) : Json(s.verify_error)}};
}

// JSON text; invalid UTF-8 (a server message in Latin-1) becomes U+FFFD.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpResponse json_response(int status, const Json& body) {
  return {status, "application/json", dump(body) + "\n", {}};
}

HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, Json{{"error", message}});
}

// The databases of a run's report (`dbsnap run --json`, engine/notify.h).
std::vector<DatabaseRun> databases_of(const Json& report) {
  std::vector<DatabaseRun> out;
  if (!report.is_object() || !report.contains("databases")) return out;
  for (const auto& d : report["databases"]) {
    DatabaseRun r;
    r.database = d.value("database", "");
    r.completed = d.value("status", "") == "completed";
    if (d.contains("error") && d["error"].is_string()) r.error = d["error"];
    r.bytes = d.value("size_bytes", std::uint64_t{0});
    r.rows = d.value("rows", std::uint64_t{0});
    r.duration_ms = d.value("duration_ms", std::int64_t{0});
    r.snapshot = d.value("snapshot", "");
    if (d.contains("verified") && d["verified"].is_boolean())
      r.verified = d["verified"].get<bool>();
    out.push_back(std::move(r));
  }
  return out;
}

// The snapshots of `dbsnap snapshots --job J --json`.
std::vector<SnapshotView> snapshots_of(const std::string& job, const Json& listing) {
  std::vector<SnapshotView> out;
  if (!listing.is_array()) return out;
  for (const auto& s : listing) {
    SnapshotView v;
    v.job = job;
    v.name = s.value("snapshot", "");
    v.database = s.value("database", "");
    v.status = s.value("status", "");
    v.started_at = std::max<std::int64_t>(0, parse_utc_iso(s.value("started_at", "")));
    v.bytes = s.value("size", std::uint64_t{0});
    v.rows = s.value("rows", std::uint64_t{0});
    v.tables = s.value("tables", std::uint64_t{0});
    const std::string verified = s.value("verified", "-");
    if (verified != "-") v.verified = verified == "ok";
    v.verified_at = std::max<std::int64_t>(0, parse_utc_iso(s.value("verified_at", "")));
    v.verify_error = s.value("verify_error", "");
    out.push_back(std::move(v));
  }
  return out;
}

RunStatus status_of_exit(int code) {
  if (code == 0) return RunStatus::completed;
  if (code == static_cast<int>(ExitCode::interrupted) || code == 128 + SIGTERM)
    return RunStatus::interrupted;
  return RunStatus::failed;
}

Json parse_or_null(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? Json(nullptr) : j;
}

}  // namespace

void Daemon::request_reload() noexcept { g_reload = 1; }

struct Daemon::Impl {
  struct Running {
    RunRecord record;
    std::unique_ptr<Child> child;
  };

  // <state_dir>/lock, flock(2)ed for the daemon's life: one daemon (or
  // --once) per state directory.
  struct StateDirLock {
    int fd = -1;
    explicit StateDirLock(const fs::path& dir) {
      prepare_state_dir(dir);
      fd = ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0)
        throw Error(ExitCode::job_locked,
                    fmt::format("another dbsnap daemon uses the state directory {}; stop it, or "
                                "give this one --state-dir",
                                dir.string()));
    }
    ~StateDirLock() {
      if (fd >= 0) ::close(fd);
    }
  };

  DaemonOptions options;
  StateDirLock dir_lock;
  StateStore store;
  mutable std::mutex mu;  // guards everything below but running (the loop's alone)
  DaemonSettings settings;
  RunQueue queue;
  std::map<std::string, UnixSeconds> next_due;
  std::map<std::string, std::vector<SnapshotView>> snapshots;
  std::map<std::int64_t, Running> running;
  // The snapshot scanner: jobs whose volume to list again, on its own thread.
  std::deque<std::string> scans;
  std::condition_variable scan_cv;
  bool stopping = false;       // the scanner ends
  bool shutting_down = false;  // no run is queued or started any more
  std::thread scanner;
  std::atomic<std::uint64_t> child_files{0};

  Impl(DaemonSettings s, DaemonOptions o)
      : options(std::move(o)),
        dir_lock(options.state_dir),
        store(options.state_dir / "state.sqlite3"),
        settings(std::move(s)),
        queue(settings.max_concurrent) {}

  static void prepare_state_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir / "runs", ec);
    if (!ec) fs::create_directories(dir / "tmp", ec);
    if (ec)
      throw Error(ExitCode::io_error,
                  fmt::format("daemon state directory {}: {}; set state_dir in [daemon]",
                              dir.string(), ec.message()));
    ::chmod(dir.c_str(), 0700);
  }

  // --- logging ---------------------------------------------------------------

  void log(const std::string& event, const std::string& text,
           const Json& fields = Json::object()) const {
    const std::string time = iso(now_unix());
    if (options.json_log) {
      Json line{{"time", time}, {"event", event}};
      line.update(fields);
      line["message"] = text;
      fmt::print(stderr, "{}\n", dump(line));
    } else {
      fmt::print(stderr, "{} dbsnap daemon: {}\n", time, text);
    }
  }

  // --- runs ------------------------------------------------------------------

  const DaemonJob* find_job(const std::string& name) const {
    for (const auto& j : settings.jobs)
      if (j.name == name) return &j;
    return nullptr;
  }

  // Queues a run of job (mu held); returns its id, or the waiting run's.
  std::int64_t queue_run(const DaemonJob& job, RunTrigger trigger) {
    if (auto waiting = queue.waiting_for(job.name)) return *waiting;
    RunRecord r = store.add_run(job.name, job.server, trigger, now_unix());
    queue.enqueue({r.id, job.name, job.server});
    log("run_queued",
        fmt::format("run {} of job {} queued ({})", r.id, job.name, trigger_name(trigger)),
        {{"run", r.id}, {"job", job.name}, {"trigger", trigger_name(trigger)}});
    return r.id;
  }

  // Queues the jobs whose scheduled time has come (mu held).
  void fire_due(UnixSeconds now) {
    for (const auto& job : settings.jobs) {
      auto it = next_due.find(job.name);
      if (!job.schedule || it == next_due.end() || now < it->second) continue;
      store.set_last_due(job.name, it->second);
      queue_run(job, RunTrigger::schedule);
      it->second = next_run(*job.schedule, now);
    }
  }

  fs::path run_file(std::int64_t id, const char* ext) const {
    return options.state_dir / "runs" / fmt::format("{}.{}", id, ext);
  }

  // Starts the runs the queue lets start (mu held).
  void start_ready() {
    for (QueuedRun& q : queue.start_ready()) {
      auto r = store.run(q.id);
      if (!r) continue;
      r->status = RunStatus::running;
      r->started_at = now_unix();
      store.mark_running(r->id, r->started_at);
      Running run{*r, nullptr};
      try {
        run.child = std::make_unique<Child>(options.binary, settings.config_text,
                                            std::vector<std::string>{"run", q.job, "--json"},
                                            run_file(r->id, "json"), run_file(r->id, "log"));
      } catch (const Error& e) {
        finish(run, 1, e.what());
        continue;
      }
      log("run_started", fmt::format("run {} of job {} started", r->id, q.job),
          {{"run", r->id}, {"job", q.job}});
      running.emplace(r->id, std::move(run));
    }
  }

  // Records a run's end (mu held): status from its exit code, databases
  // from its report, error from its report or stderr.
  void finish(Running& run, int code, const std::string& error) {
    RunRecord& r = run.record;
    r.status = status_of_exit(code);
    r.finished_at = now_unix();
    Json report = parse_or_null(read_text(run_file(r.id, "json")));
    r.databases = databases_of(report);
    if (r.status != RunStatus::completed) {
      r.error = error.empty() ? last_error_line(run_file(r.id, "log")) : error;
      if (r.error.empty()) r.error = fmt::format("dbsnap run exited with code {}", code);
    }
    store.mark_finished(r);
    queue.finished(r.id);
    log("run_finished",
        fmt::format("run {} of job {} {}{}", r.id, r.job, status_name(r.status),
                    r.error.empty() ? "" : ": " + r.error),
        {{"run", r.id}, {"job", r.job}, {"status", status_name(r.status)}, {"error", r.error}});
    scan(r.job);
    for (const char* ext : {"json", "log"}) {
      std::error_code ec;
      fs::remove(run_file(r.id - kKeptRunLogs, ext), ec);
    }
  }

  // Records the runs whose process has exited (mu held).
  void reap() {
    for (auto it = running.begin(); it != running.end();) {
      if (auto code = it->second.child->poll()) {
        finish(it->second, *code, "");
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }

  void tick() {
    std::lock_guard lock(mu);
    reap();
    fire_due(now_unix());
    start_ready();
  }

  // One turn of the loop; a failure (the state's disk full, ...) is logged
  // and the loop goes on, so running backups are never abandoned.
  void turn() {
    try {
      if (g_reload) reload();
      tick();
    } catch (const std::exception& e) {
      log("error", fmt::format("error: {}", e.what()), {{"error", e.what()}});
    }
  }

  // --- start, reload, stop ---------------------------------------------------

  // next_due for every scheduled job, and its catch-up run when it missed one.
  void schedule_jobs(bool catch_up) {
    const UnixSeconds now = now_unix();
    std::map<std::string, UnixSeconds> due;
    for (const auto& job : settings.jobs) {
      if (!job.schedule) continue;
      auto last = store.last_due(job.name);
      if (catch_up && job.catch_up)
        if (auto missed = missed_run(*job.schedule, last, now)) {
          store.set_last_due(job.name, *missed);
          queue_run(job, RunTrigger::catch_up);
        }
      if (!last) store.set_last_due(job.name, now);
      due[job.name] = next_run(*job.schedule, now);
    }
    next_due = std::move(due);
  }

  void reload() {
    g_reload = 0;
    try {
      DaemonSettings fresh = options.reload();
      std::lock_guard lock(mu);
      const bool http_changed = fresh.http.address != settings.http.address ||
                                fresh.http.port != settings.http.port ||
                                fresh.http.token != settings.http.token ||
                                fresh.http.cert_file != settings.http.cert_file ||
                                fresh.http.key_file != settings.http.key_file;
      fire_due(now_unix());  // a time that came before the reload still runs
      settings = std::move(fresh);
      queue.set_max_concurrent(settings.max_concurrent);
      schedule_jobs(false);
      log("config_reloaded", fmt::format("config reloaded: {} jobs{}", settings.jobs.size(),
                                         http_changed ? "; listen, token and TLS changes take "
                                                        "effect at the next start"
                                                      : ""));
    } catch (const std::exception& e) {
      log("config_refused", fmt::format("config reload refused, keeping the old one: {}", e.what()),
          {{"error", e.what()}});
    }
  }

  // Waiting runs become interrupted; running ones get the grace period, then SIGTERM.
  void shut_down() {
    std::unique_lock lock(mu);
    shutting_down = true;
    log("stopping", fmt::format("stopping: {} runs running, grace {} s", running.size(),
                                settings.grace.count()));
    for (const QueuedRun& q : queue.drain_waiting()) {
      Running never{*store.run(q.id), nullptr};
      finish(never, static_cast<int>(ExitCode::interrupted),
             "the daemon stopped before the run started");
    }
    const auto grace_end = std::chrono::steady_clock::now() + settings.grace;
    while (!running.empty() && std::chrono::steady_clock::now() < grace_end) {
      reap();
      lock.unlock();
      std::this_thread::sleep_for(kTick);
      lock.lock();
    }
    for (auto& [id, run] : running) {
      log("run_cancelled",
          fmt::format("run {} of job {}: grace period over, cancelling", id, run.record.job),
          {{"run", id}, {"job", run.record.job}});
      run.child->signal(SIGTERM);
    }
    const auto stop_end = std::chrono::steady_clock::now() + kStopTimeout;
    for (auto& [id, run] : running) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          stop_end - std::chrono::steady_clock::now());
      finish(run, run.child->wait(std::max(left, std::chrono::milliseconds(0))), "");
    }
    running.clear();
  }

  // --- snapshots -------------------------------------------------------------

  void scan(const std::string& job) {
    if (shutting_down) return;
    scans.push_back(job);
    scan_cv.notify_one();
  }

  // One job's snapshots listed by a child `dbsnap snapshots --job J --json`.
  void scan_job(const std::string& job, const std::string& config_text) {
    const std::uint64_t n = ++child_files;
    const fs::path out = options.state_dir / "tmp" / fmt::format("scan-{}.json", n);
    const fs::path err = options.state_dir / "tmp" / fmt::format("scan-{}.log", n);
    int code = 1;
    try {
      Child child(options.binary, config_text, {"snapshots", "--job", job, "--json"}, out, err);
      code = child.wait(kScanTimeout);
    } catch (const Error& e) {
      log("scan_failed", fmt::format("listing the snapshots of job {}: {}", job, e.what()));
    }
    Json listing = parse_or_null(read_text(out));
    if (code != 0)
      log("scan_failed",
          fmt::format("listing the snapshots of job {} failed: {}", job, last_error_line(err)),
          {{"job", job}});
    std::error_code ec;
    fs::remove(out, ec);
    fs::remove(err, ec);
    if (code != 0) return;
    std::lock_guard lock(mu);
    snapshots[job] = snapshots_of(job, listing);
  }

  void scan_loop() {
    std::unique_lock lock(mu);
    while (true) {
      scan_cv.wait(lock, [&] { return stopping || !scans.empty(); });
      if (stopping) return;
      std::string job = scans.front();
      scans.pop_front();
      std::string text = settings.config_text;
      lock.unlock();
      try {
        scan_job(job, text);
      } catch (const std::exception& e) {
        log("scan_failed", fmt::format("listing the snapshots of job {}: {}", job, e.what()));
      }
      lock.lock();
    }
  }

  void start_scanner() {
    {
      std::lock_guard lock(mu);
      for (const auto& job : settings.jobs) scans.push_back(job.name);
    }
    scanner = std::thread([this] { scan_loop(); });
  }

  void stop_scanner() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    scan_cv.notify_all();
    if (scanner.joinable()) scanner.join();
  }

  // --- views -----------------------------------------------------------------

  // Every snapshot found, newest first, that keep() accepts (mu held).
  template <typename Keep>
  std::vector<SnapshotView> snapshots_where(Keep keep) const {
    std::vector<SnapshotView> out;
    for (const auto& [job, list] : snapshots)
      for (const auto& snap : list)
        if (keep(snap)) out.push_back(snap);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.started_at > b.started_at; });
    return out;
  }

  // The in-memory part is copied under mu; the store is read after, so a
  // page or a scrape never holds up the scheduling loop.
  StatusView view() {
    StatusView v;
    v.now = now_unix();
    v.version = DBSNAP_VERSION;
    {
      std::lock_guard lock(mu);
      for (const auto& job : settings.jobs) {
        auto due = next_due.find(job.name);
        v.jobs.push_back({job.name,
                          job.server,
                          job.schedule ? job.schedule->describe() : "",
                          due == next_due.end() ? 0 : due->second,
                          {},
                          queue.job_busy(job.name)});
      }
      v.snapshots = snapshots_where([](const SnapshotView&) { return true; });
    }
    if (v.snapshots.size() > 100) v.snapshots.resize(100);
    for (auto& j : v.jobs)
      for (auto& r : store.runs({j.name, std::nullopt, 20}))
        if (r.finished_at > 0) {
          j.last_run = std::move(r);
          break;
        }
    v.recent_runs = store.runs({"", std::nullopt, 50});
    v.databases = store.database_stats();
    v.counters = store.counters();
    return v;
  }

  // --- HTTP --------------------------------------------------------------------

  HttpResponse handle(const HttpRequest& req) {
    const std::string& p = req.path;
    if (p.starts_with("/api/v1/jobs/") && p.ends_with("/run"))
      return req.method == "POST" ? post_run(p.substr(13, p.size() - 17))
                                  : error_response(405, "use POST");
    if (p.starts_with("/api/v1/servers/") && p.ends_with("/test"))
      return req.method == "POST" ? post_test(p.substr(16, p.size() - 21))
                                  : error_response(405, "use POST");
    if (req.method != "GET") return error_response(405, "use GET");
    if (p == "/") return {200, "text/html; charset=utf-8", render_status_page(view()), {}};
    if (p == "/healthz") return json_response(200, Json{{"status", "ok"}});
    if (p == "/metrics")
      return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(view()), {}};
    if (p == "/api/v1/jobs") return get_jobs();
    if (p == "/api/v1/runs") return get_runs(req);
    if (p.starts_with("/api/v1/runs/")) return get_run(p.substr(13));
    if (p == "/api/v1/snapshots") return get_snapshots(req);
    return error_response(404, fmt::format("no such endpoint: {}", p.substr(0, 200)));
  }

  HttpResponse get_jobs() {
    Json out = Json::array();
    for (const auto& j : view().jobs) out.push_back(to_json(j));
    return json_response(200, out);
  }

  HttpResponse get_runs(const HttpRequest& req) {
    RunFilter f;
    if (auto it = req.query.find("job"); it != req.query.end()) f.job = it->second;
    if (auto it = req.query.find("status"); it != req.query.end()) {
      f.status = parse_status(it->second);
      if (!f.status)
        return error_response(400,
                              "status must be pending, running, completed, failed or interrupted");
    }
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      try {
        f.limit = std::clamp<std::size_t>(std::stoul(it->second), 1, 1000);
      } catch (const std::exception&) {
        return error_response(400, "limit must be a number from 1 to 1000");
      }
    }
    Json out = Json::array();
    for (const auto& r : store.runs(f)) out.push_back(to_json(r));
    return json_response(200, out);
  }

  HttpResponse get_run(const std::string& rest) {
    const bool want_log = rest.ends_with("/log");
    const std::string id_text = want_log ? rest.substr(0, rest.size() - 4) : rest;
    std::int64_t id = 0;
    try {
      std::size_t used = 0;
      id = std::stoll(id_text, &used);
      if (used != id_text.size()) id = 0;
    } catch (const std::exception&) {
    }
    auto r = id > 0 ? store.run(id) : std::nullopt;
    if (!r) return error_response(404, "no such run");
    if (want_log)
      return {200, "text/plain; charset=utf-8", read_tail(run_file(id, "log"), kLogTail), {}};
    return json_response(200, to_json(*r));
  }

  HttpResponse get_snapshots(const HttpRequest& req) {
    auto param = [&](const char* k) {
      auto it = req.query.find(k);
      return it == req.query.end() ? std::string() : it->second;
    };
    const std::string job = param("job"), server = param("server"), database = param("database");
    Json out = Json::array();
    std::lock_guard lock(mu);
    for (const auto& s : snapshots_where([&](const SnapshotView& s) {
           return (job.empty() || s.job == job) && (database.empty() || s.database == database) &&
                  (server.empty() || s.name.starts_with(server + "/"));
         }))
      out.push_back(to_json(s));
    return json_response(200, out);
  }

  HttpResponse post_run(const std::string& name) {
    std::lock_guard lock(mu);
    const DaemonJob* job = find_job(name);
    if (!job)
      return error_response(404, fmt::format("no job '{}' in the config", name.substr(0, 200)));
    if (shutting_down) return error_response(503, "the daemon is stopping");
    const std::int64_t id = queue_run(*job, RunTrigger::api);
    HttpResponse res = json_response(
        202, Json{{"id", id}, {"status", "pending"}, {"run", fmt::format("/api/v1/runs/{}", id)}});
    res.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", id));
    return res;
  }

  HttpResponse post_test(const std::string& server) {
    std::string text;
    {
      std::lock_guard lock(mu);
      if (std::find(settings.servers.begin(), settings.servers.end(), server) ==
          settings.servers.end())
        return error_response(404,
                              fmt::format("no server '{}' in [servers]", server.substr(0, 200)));
      text = settings.config_text;
    }
    const std::uint64_t n = ++child_files;
    const fs::path out = options.state_dir / "tmp" / fmt::format("ping-{}.json", n);
    const fs::path err = options.state_dir / "tmp" / fmt::format("ping-{}.log", n);
    int code = 1;
    try {
      Child child(options.binary, text, {"ping", server, "--json"}, out, err);
      code = child.wait(kPingTimeout);
    } catch (const Error& e) {
      return error_response(500, e.what());
    }
    Json result = parse_or_null(read_text(out));
    if (result.is_null()) result = Json{{"ok", false}, {"error", last_error_line(err)}};
    std::error_code ec;
    fs::remove(out, ec);
    fs::remove(err, ec);
    return json_response(code == 0 ? 200 : 502, result);
  }
};

Daemon::Daemon(DaemonSettings settings, DaemonOptions options)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(options))) {}

Daemon::~Daemon() { impl_->stop_scanner(); }

int Daemon::run() {
  HttpServer http(impl_->settings.http, [this](const HttpRequest& r) { return impl_->handle(r); });
  {
    std::lock_guard lock(impl_->mu);
    impl_->schedule_jobs(true);
  }
  impl_->start_scanner();
  http.start();
  impl_->log("started",
             fmt::format("listening on {}://{}:{}, {} jobs, state in {}",
                         http.tls() ? "https" : "http", impl_->settings.http.address, http.port(),
                         impl_->settings.jobs.size(), impl_->options.state_dir.string()),
             {{"port", http.port()}});
  while (!cancel_requested()) {
    impl_->turn();
    std::this_thread::sleep_for(kTick);
  }
  impl_->shut_down();
  http.stop();
  impl_->stop_scanner();
  impl_->log("stopped", "stopped");
  return 0;
}

int Daemon::run_once() {
  std::vector<std::int64_t> ids;
  {
    std::lock_guard lock(impl_->mu);
    const UnixSeconds now = now_unix();
    for (const auto& job : impl_->settings.jobs) {
      if (!job.schedule) continue;
      if (auto due = due_once(*job.schedule, impl_->store.last_due(job.name), now)) {
        impl_->store.set_last_due(job.name, *due);
        ids.push_back(impl_->queue_run(job, RunTrigger::once));
      }
    }
  }
  impl_->log("once", fmt::format("{} jobs due", ids.size()));
  while (!cancel_requested()) {
    impl_->turn();
    {
      std::lock_guard lock(impl_->mu);
      if (impl_->running.empty() && impl_->queue.waiting() == 0) break;
    }
    std::this_thread::sleep_for(kTick);
  }
  if (cancel_requested()) impl_->shut_down();
  int code = 0;
  for (std::int64_t id : ids)
    if (auto r = impl_->store.run(id); r && r->status == RunStatus::interrupted)
      return static_cast<int>(ExitCode::interrupted);
    else if (r && r->status != RunStatus::completed)
      code = static_cast<int>(ExitCode::databases_failed);
  return code;
}

}  // namespace dbsnap::daemon
