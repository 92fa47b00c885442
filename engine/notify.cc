#include "engine/notify.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/error.h"
#include "engine/http_url.h"

namespace dbsnap {
namespace {

using std::chrono::milliseconds;
using Json = nlohmann::ordered_json;

// What healthchecks.io keeps of a ping's body.
constexpr std::size_t kMaxPingBody = 100'000;

std::string rfc3339(NotifyClock::time_point t) {
  std::time_t seconds = NotifyClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::int64_t millis(NotifyClock::time_point from, NotifyClock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from).count();
}

Json text_or_null(const std::string& text, const std::vector<std::string>& secrets) {
  return text.empty() ? Json(nullptr) : Json(redact(text, secrets));
}

std::uint64_t total_size(const RunReport& report) {
  std::uint64_t size = 0;
  for (const DatabaseOutcome& d : report.databases) size += d.size_bytes;
  return size;
}

}  // namespace

NotifyOn parse_notify_on(std::string_view word) {
  if (word == "failure") return NotifyOn::failure;
  if (word == "always") return NotifyOn::always;
  throw Error(ExitCode::usage,
              fmt::format("notify on \"{}\" is neither \"failure\" nor \"always\"", word));
}

NotifyServer notify_server(const ServerUrl& url, std::string name) {
  return {std::move(name), url.kind_name(), url.host, url.port};
}

bool RunReport::failed() const {
  if (!error.empty()) return true;
  for (const DatabaseOutcome& d : databases)
    if (!d.completed) return true;
  return false;
}

std::string RunReport::summary() const {
  std::vector<const DatabaseOutcome*> failures;
  for (const DatabaseOutcome& d : databases)
    if (!d.completed) failures.push_back(&d);
  if (!failed())
    return fmt::format("job {} completed: {} database{}, {} bytes in {:.1f} s", job,
                       databases.size(), databases.size() == 1 ? "" : "s", total_size(*this),
                       millis(started, finished) / 1000.0);
  std::string line = fmt::format("job {} failed: ", job);
  if (!error.empty()) line += error;
  if (!failures.empty())
    line += fmt::format("{}{} of {} database{} failed: {}: {}", error.empty() ? "" : "; ",
                        failures.size(), databases.size(), databases.size() == 1 ? "" : "s",
                        failures.front()->database, failures.front()->error);
  return line;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 3))
      text.replace(at, secret.size(), "***");
  }
  return text;
}

std::string webhook_body(const RunReport& report, const std::vector<std::string>& secrets) {
  Json databases = Json::array();
  for (const DatabaseOutcome& d : report.databases)
    databases.push_back({{"database", redact(d.database, secrets)},
                         {"status", d.completed ? "completed" : "failed"},
                         {"error", text_or_null(d.error, secrets)},
                         {"size_bytes", d.size_bytes},
                         {"rows", d.rows},
                         {"verified", d.verified ? Json(*d.verified) : Json(nullptr)},
                         {"duration_ms", millis(d.started, d.finished)},
                         {"snapshot", redact(d.snapshot, secrets)},
                         {"started_at", rfc3339(d.started)},
                         {"finished_at", rfc3339(d.finished)}});
  Json body = {
      {"format", "dbsnap-notification"},
      {"format_version", 1},
      {"job", redact(report.job, secrets)},
      {"status", report.failed() ? "failed" : "completed"},
      {"error", report.failed() ? Json(redact(report.summary(), secrets)) : Json(nullptr)},
      {"server",
       {{"name", redact(report.server.name, secrets)},
        {"kind", report.server.kind},
        {"host", redact(report.server.host, secrets)},
        {"port", report.server.port}}},
      {"started_at", rfc3339(report.started)},
      {"finished_at", rfc3339(report.finished)},
      {"duration_ms", millis(report.started, report.finished)},
      {"size_bytes", total_size(report)},
      {"databases", std::move(databases)},
  };
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string healthcheck_body(const RunReport& report, const std::vector<std::string>& secrets) {
  std::string text = report.summary() + "\n";
  for (const DatabaseOutcome& d : report.databases)
    if (!d.completed) text += fmt::format("{}: {}\n", d.database, d.error);
  text = redact(std::move(text), secrets);
  if (text.size() > kMaxPingBody) text.resize(kMaxPingBody);
  return text;
}

std::string healthcheck_url(std::string_view base, std::string_view suffix, std::string_view rid) {
  std::size_t q = base.find('?');
  std::string_view path = base.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : base.substr(q + 1);
  while (path.ends_with('/')) path.remove_suffix(1);
  std::string url(path);
  if (!suffix.empty()) url += fmt::format("/{}", suffix);
  url += query.empty() ? "?" : fmt::format("?{}&", query);
  return url + fmt::format("rid={}", rid);
}

std::vector<NotifyRequest> start_requests(const NotifyConfig& config, std::string_view rid) {
  if (config.healthcheck.empty()) return {};
  return {{"healthcheck", "POST", healthcheck_url(config.healthcheck, "start", rid), "", ""}};
}

std::vector<NotifyRequest> finish_requests(const NotifyConfig& config, const RunReport& report,
                                           std::string_view rid) {
  std::vector<NotifyRequest> requests;
  bool failed = report.failed();
  if (failed || config.on == NotifyOn::always) {
    std::string body = webhook_body(report, config.secrets);
    for (const std::string& url : config.webhooks)
      requests.push_back({"webhook", "POST", url, "application/json", body});
  }
  if (!config.healthcheck.empty())
    requests.push_back({"healthcheck", "POST",
                        healthcheck_url(config.healthcheck, failed ? "fail" : "", rid),
                        "text/plain; charset=utf-8", healthcheck_body(report, config.secrets)});
  return requests;
}

bool notify_retryable(unsigned status) { return status == 408 || status == 429 || status >= 500; }

bool notify_retryable(ExitCode transport_failure) {
  return transport_failure == ExitCode::connection_refused ||
         transport_failure == ExitCode::timeout || transport_failure == ExitCode::io_error;
}

milliseconds notify_retry_delay(int failures, milliseconds first) {
  return first * (1LL << std::min(failures - 1, 20));
}

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t high = rng();
  std::uint64_t low = rng();
  high = (high & ~0xF000ULL) | 0x4000ULL;      // version 4
  low = (low & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFULL);
}

Notifier::Notifier(NotifyConfig config, NotifyTransport& transport, Warn warn)
    : config_(std::move(config)),
      transport_(transport),
      warn_(std::move(warn)),
      rid_(random_uuid()) {
  if (!warn_) warn_ = [](const std::string& line) { fmt::print(stderr, "warning: {}\n", line); };
  if (config_.max_attempts < 1)
    throw Error(ExitCode::usage, "notification max_attempts must be at least 1");
  for (const std::string& url : config_.webhooks) HttpUrl::parse(url, "notify url");
  if (!config_.healthcheck.empty()) HttpUrl::parse(config_.healthcheck, "healthcheck url");
}

Notifier::~Notifier() {
  if (starting_.joinable()) starting_.join();
}

void Notifier::run_started(const std::string& job) {
  if (starting_.joinable()) starting_.join();
  starting_ = std::thread(
      [this, job, requests = start_requests(config_, rid_)] { send_all(requests, job); });
}

void Notifier::run_finished(const RunReport& report) noexcept {
  if (starting_.joinable()) starting_.join();
  send_all(finish_requests(config_, report, rid_), report.job);
}

void Notifier::send_all(const std::vector<NotifyRequest>& requests,
                        const std::string& job) noexcept {
  std::vector<std::thread> threads;
  for (const NotifyRequest& request : requests) {
    try {
      threads.emplace_back([this, &request, &job] { deliver(request, job); });
    } catch (const std::exception&) {  // no thread to be had: send it from here
      deliver(request, job);
    }
  }
  for (std::thread& t : threads) t.join();
}

void Notifier::deliver(const NotifyRequest& request, const std::string& job) noexcept {
  std::string line;
  try {
    line = try_deliver(request, job);
  } catch (const std::exception& e) {
    line = fmt::format("{} was not notified of job {}: {}", request.receiver, job, e.what());
  }
  if (!line.empty()) warn_(redact(std::move(line), config_.secrets));
}

std::string Notifier::try_deliver(const NotifyRequest& request, const std::string& job) {
  std::string receiver = fmt::format("{} {}", request.receiver,
                                     HttpUrl::parse(request.url, request.receiver).authority());
  std::string reason;
  int tries = 0;
  for (;;) {
    ++tries;
    bool retry = true;
    try {
      unsigned status = transport_.send(request, config_.timeout);
      if (status / 100 == 2) return "";
      reason = fmt::format("answered {}", status);
      retry = notify_retryable(status);
    } catch (const Error& e) {
      reason = e.what();
      retry = notify_retryable(e.code());
    }
    if (!retry || tries >= config_.max_attempts) break;
    std::this_thread::sleep_for(notify_retry_delay(tries, config_.first_retry_delay));
  }
  return fmt::format("{} was not notified of job {}: {} ({} tr{})", receiver, job, reason, tries,
                     tries == 1 ? "y" : "ies");
}

}  // namespace dbsnap
