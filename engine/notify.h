// Notifications about a job's run: webhook POSTs with a JSON body and pings in
// healthchecks.io's protocol. What is sent is decided here (pure functions,
// unit-tested alone); it goes out through a NotifyTransport, implemented on
// the HTTP client by storage/http/notify_transport.h. A notification never
// fails or holds up a backup for long: a receiver that stays down costs at
// most NotifyConfig::max_attempts x timeout plus the backoff delays, and is
// reported by one warning line.
//
// Webhook body (format_version 1), POSTed as application/json to each URL of
// NotifyConfig::webhooks after a run that failed (on = failure, the default)
// or after every run (on = always):
//
//   { "format": "dbsnap-notification", "format_version": 1,
//     "job": "nightly", "status": "completed" | "failed",
//     "error": "1 of 2 databases failed: billing: ..." | null,
//     "server": { "name": "prod", "kind": "postgres", "host": "db.example.com", "port": 5432 },
//     "started_at": "2026-12-04T02:30:00Z", "finished_at": "2026-12-04T02:31:02Z",
//     "duration_ms": 62004, "size_bytes": 123456,
//     "databases": [ { "database": "app", "status": "completed", "error": null,
//                      "size_bytes": 123456, "rows": 1000, "verified": true | false | null,
//                      "duration_ms": 60001, "snapshot": "...",
//                      "started_at": "...", "finished_at": "..." }, ... ] }
//
// Times are RFC 3339 UTC; size_bytes is the stored (compressed) size; the
// top-level size_bytes sums the databases'. rows counts the rows backed up;
// verified says whether this run's restore check passed (null: none was due).
// "snapshot" is what the caller put
// in DatabaseOutcome::snapshot ("" when no snapshot was completed). The body
// holds no URL, user name, password or key: each of NotifyConfig::secrets is
// replaced by "***" in every text it carries.
//
// Healthcheck pings (healthchecks.io docs, "Pinging API": /start, success,
// /fail, the rid parameter and the logged request body): POST <url>/start when
// the run starts, then POST <url> when it completed or POST <url>/fail when it
// failed, all with "?rid=<uuid>" (one UUID per run, so the service pairs start
// and end), the end ones with a text/plain body: the summary line, and for a
// failure one line per failed database (at most 100,000 bytes, what
// healthchecks.io keeps). A query already in the URL is kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "engine/url.h"

namespace dbsnap {

using NotifyClock = std::chrono::system_clock;

enum class NotifyOn { failure, always };

// "failure" or "always" (the config's `on`); throws Error(usage) for another word.
NotifyOn parse_notify_on(std::string_view word);

// The server as notifications name it: never its credentials.
struct NotifyServer {
  std::string name;  // the [servers] name, or ServerUrl::volume_name()
  std::string kind;  // "postgres", "mysql", "mariadb"
  std::string host;
  int port = 0;
};

// name, url.kind_name(), url.host, url.port.
NotifyServer notify_server(const ServerUrl& url, std::string name);

// One database of a run.
struct DatabaseOutcome {
  std::string database;
  bool completed = false;
  std::string error;             // the failure's message when !completed
  std::uint64_t size_bytes = 0;  // the .sql.gz (Manifest::size)
  std::string snapshot;          // the completed manifest's volume key (BackupResult::manifest_key)
  NotifyClock::time_point started, finished;
  std::uint64_t rows = 0;        // rows backed up (the sum of Manifest::tables)
  std::optional<bool> verified;  // this run's restore check; none when not due
};

// What one run did.
struct RunReport {
  std::string job;
  NotifyServer server;
  std::vector<DatabaseOutcome> databases;
  // A failure outside any database (listing the databases, retention, ...).
  std::string error;
  NotifyClock::time_point started, finished;

  // error is set or a database did not complete.
  bool failed() const;
  // One line: "job nightly completed: 2 databases, 1.2 MiB in 3.4 s" or
  // "job nightly failed: 1 of 2 databases failed: billing: <its error>".
  std::string summary() const;
};

struct NotifyConfig {
  std::vector<std::string> webhooks;  // http(s) URLs
  std::string healthcheck;            // ping URL; empty: none
  NotifyOn on = NotifyOn::failure;    // which runs the webhooks hear of; pings go every run
  // Texts never to send (server password, S3 keys, tokens): replaced by "***".
  std::vector<std::string> secrets;
  int max_attempts = 3;                               // tries per request (>= 1)
  std::chrono::milliseconds first_retry_delay{1000};  // then doubled: 1 s, 2 s, ...
  // Per try: connecting, then sending and receiving, each within this.
  std::chrono::milliseconds timeout{10'000};
  // A PEM file of certificates trusted besides the system's, for a receiver
  // with a private or self-signed certificate (used by the transport).
  std::string ca_file;
};

// One request to a receiver.
struct NotifyRequest {
  std::string receiver;  // "webhook" or "healthcheck": names it in warnings
  std::string method = "POST";
  std::string url;  // may hold a token: never printed (warnings name host:port)
  std::string content_type;
  std::string body;
};

// Sends requests; implemented by storage/http/notify_transport.h.
class NotifyTransport {
 public:
  virtual ~NotifyTransport() = default;
  // One try. Returns the answer's HTTP status; throws dbsnap::Error when no
  // answer arrived, naming the receiver by host:port only. Called from
  // several threads at once.
  virtual unsigned send(const NotifyRequest& request, std::chrono::milliseconds timeout) = 0;
};

// text with each non-empty secret replaced by "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);
// The webhook body above.
std::string webhook_body(const RunReport& report, const std::vector<std::string>& secrets);
// The text/plain body of the healthcheck's end ping.
std::string healthcheck_body(const RunReport& report, const std::vector<std::string>& secrets);
// base with "/<suffix>" before its query (none when suffix is empty) and
// rid=<rid> added to it: ("https://hc/ping/u?x=1", "fail", "R") ->
// "https://hc/ping/u/fail?x=1&rid=R".
std::string healthcheck_url(std::string_view base, std::string_view suffix, std::string_view rid);
// The requests sent when a run starts (the healthcheck's /start, if any).
std::vector<NotifyRequest> start_requests(const NotifyConfig& config, std::string_view rid);
// The requests sent when a run ends: webhooks as config.on says, the
// healthcheck's success or /fail ping.
std::vector<NotifyRequest> finish_requests(const NotifyConfig& config, const RunReport& report,
                                           std::string_view rid);
// Whether an answer with this status is worth another try: 408, 429, 5xx.
bool notify_retryable(unsigned status);
// Whether a transport failure is: connection_refused, timeout, io_error (a
// name that does not resolve or a refused certificate is final).
bool notify_retryable(ExitCode transport_failure);
// The wait before try failures+1 (failures >= 1): first * 2^(failures-1).
std::chrono::milliseconds notify_retry_delay(int failures, std::chrono::milliseconds first);
// A random RFC 9562 version-4 UUID, lowercase.
std::string random_uuid();

// Sends a run's notifications. Use from one thread:
//
//   HttpNotifyTransport transport(config.ca_file);      // storage/http/notify_transport.h
//   Notifier notifier(config, transport);
//   notifier.run_started("nightly");                    // returns at once
//   ... back up each database, filling a RunReport ...
//   notifier.run_finished(report);                      // waits, bounded; never throws
//
// A request is tried up to max_attempts times (notify_retryable statuses
// and transport failures), waiting notify_retry_delay between tries; one
// that still fails is reported to warn as one line, without its URL:
//   "webhook hooks.example.com:443 was not notified of job nightly: answered 500 (3 tries)".
class Notifier {
 public:
  using Warn = std::function<void(const std::string&)>;

  // Checks every URL (HttpUrl::parse): throws Error(usage) naming the bad
  // one. warn (which must not throw) defaults to printing "warning: <line>"
  // on stderr. transport must outlive this.
  Notifier(NotifyConfig config, NotifyTransport& transport, Warn warn = {});
  ~Notifier();  // waits for a start ping still in flight
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Sends the start requests on a thread of their own; returns at once.
  void run_started(const std::string& job);
  // Waits for the start requests, then sends the finish requests, all at
  // once, and waits for them. Never throws.
  void run_finished(const RunReport& report) noexcept;

 private:
  // Tries request as the config says; warns when it still failed.
  void deliver(const NotifyRequest& request, const std::string& job) noexcept;
  // The warning line for request, "" when it was delivered.
  std::string try_deliver(const NotifyRequest& request, const std::string& job);
  void send_all(const std::vector<NotifyRequest>& requests, const std::string& job) noexcept;

  NotifyConfig config_;
  NotifyTransport& transport_;
  Warn warn_;
  std::string rid_;  // this run's healthcheck run id
  std::thread starting_;
};

}  // namespace dbsnap
