// dbsnap daemon: the config's jobs on their schedules, with an HTTP API,
// metrics and a status page (tools/daemon/daemon.h); --once runs what is due
// and exits.
#include "tools/daemon/daemon.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/error.h"
#include "tools/dbsnap/commands.h"
#include "tools/dbsnap/config.h"

namespace dbsnap::cli {
namespace {

namespace fs = std::filesystem;

struct DaemonArgs {
  bool once = false;
  std::string log_format = "text";
  std::string state_dir;
};

extern "C" void on_hangup(int) { daemon::Daemon::request_reload(); }

// "host:port" or "[v6]:port" -> address and port.
void parse_listen(const std::string& listen, daemon::HttpServerOptions& http) {
  const auto colon = listen.rfind(':');
  const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long n = port.empty() ? -1 : std::strtol(port.c_str(), &end, 10);
  if (host.empty() || n < 0 || n > 65535 || *end != '\0')
    throw Error(
        ExitCode::usage,
        fmt::format("daemon listen '{}' is not host:port (e.g. \"127.0.0.1:8417\")", listen));
  http.address = host;
  http.port = static_cast<int>(n);
}

// The server of a job as the daemon shows it: its [servers] name, or
// "host-port" for a URL (never the URL, which may hold a password).
std::string shown_server(const std::string& spec) {
  return spec.find("://") == std::string::npos ? spec : resolve_server(spec).volume_name();
}

// The config as read now -> the daemon's settings. Throws Error(usage).
daemon::DaemonSettings read_settings() {
  auto [path, text] = read_config_file();
  if (!text)
    throw Error(ExitCode::usage,
                fmt::format("dbsnap daemon needs a config file with [jobs]: none at {} (use "
                            "--config FILE or DBSNAP_CONFIG)",
                            path));
  Config c = parse_config(*text, path);
  daemon::DaemonSettings s;
  s.config_text = *text;
  for (const auto& [name, job] : c.jobs)
    s.jobs.push_back({name, shown_server(job.server), job.schedule, job.catch_up});
  for (const auto& [name, server] : c.servers) s.servers.push_back(name);
  s.max_concurrent = static_cast<std::size_t>(c.daemon.max_concurrent);
  s.grace = std::chrono::seconds(c.daemon.grace_seconds);
  parse_listen(c.daemon.listen, s.http);
  s.http.token = c.daemon.token;
  s.http.cert_file = c.daemon.cert;
  s.http.key_file = c.daemon.key;
  s.http.insecure_http = c.daemon.insecure_http;
  return s;
}

// --state-dir, else [daemon] state_dir, else $XDG_STATE_HOME/dbsnap, else
// ~/.local/state/dbsnap.
fs::path state_dir(const DaemonArgs& a) {
  if (!a.state_dir.empty()) return a.state_dir;
  if (!config().daemon.state_dir.empty()) return config().daemon.state_dir;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return fs::path(xdg) / "dbsnap";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    throw Error(ExitCode::usage, "dbsnap daemon: no state directory: set state_dir in [daemon]");
  return fs::path(home) / ".local/state/dbsnap";
}

int run_daemon(const DaemonArgs& a) {
  daemon::DaemonOptions o;
  o.state_dir = state_dir(a);
  o.binary = fs::read_symlink("/proc/self/exe").string();
  o.json_log = a.log_format == "json";
  o.reload = read_settings;
  struct sigaction sa {};  // before anything else: SIGHUP's default would end the process
  sa.sa_handler = on_hangup;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, nullptr);
  daemon::Daemon d(read_settings(), o);
  return a.once ? d.run_once() : d.run();
}

}  // namespace

void add_daemon_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<DaemonArgs>();
  auto* cmd = app.add_subcommand(
      "daemon", "run the config's jobs on their schedules; HTTP API, metrics and status page");
  cmd->add_flag("--once", a->once, "run the jobs that are due now, then exit (for cron)");
  cmd->add_option("--log-format", a->log_format, "text (default) or json: one JSON object per line")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--state-dir", a->state_dir,
                  "where the run history is kept (default: [daemon] state_dir, else "
                  "~/.local/state/dbsnap)");
  commands.emplace_back(cmd, [a] { return run_daemon(*a); });
}

}  // namespace dbsnap::cli
