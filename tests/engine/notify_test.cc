// Notifications: the payloads and requests (pure), then the Notifier on the
// real HTTP transport against a local receiver that records requests and can
// fail some of them.
#include "engine/notify.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "engine/error.h"
#include "storage/http/notify_transport.h"
#include "tests/support/common.h"
#include "tests/support/http_receiver.h"

namespace dbsnap {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::HttpReceiver;

constexpr const char* kPassword = "pg-Secret-771";
constexpr const char* kAccessKey = "AKIAEXAMPLEKEY42";
constexpr const char* kSecretKey = "s3-secret-key-0d2a244c";

NotifyClock::time_point at(std::int64_t unix_seconds) {
  return NotifyClock::time_point(seconds(unix_seconds));
}

// A run of two databases on a server whose URL carries a password; billing
// failed with a message that (wrongly) quotes the password and the S3 key.
RunReport failed_run() {
  ServerUrl url =
      ServerUrl::parse(fmt::format("postgres://backup:{}@db.example.com:6432/app", kPassword));
  RunReport report;
  report.job = "nightly";
  report.server = notify_server(url, "prod");
  report.started = at(1'796'351'400);  // 2026-12-04T02:30:00Z
  report.finished = report.started + milliseconds(62'004);
  report.databases.push_back({"app", true, "", 123456,
                              "prod/app/20261204T023000Z-1a2b.manifest.json", report.started,
                              report.started + milliseconds(60'001), 1000, true});
  report.databases.push_back({"billing", false,
                              fmt::format("s3 PUT failed for key {} secret {} password {}",
                                          kAccessKey, kSecretKey, kPassword),
                              0, "", report.started + milliseconds(60'001), report.finished, 0,
                              std::nullopt});
  return report;
}

RunReport completed_run() {
  RunReport report = failed_run();
  report.databases.pop_back();
  return report;
}

NotifyConfig config_for(std::vector<std::string> webhooks, std::string healthcheck = "") {
  NotifyConfig config;
  config.webhooks = std::move(webhooks);
  config.healthcheck = std::move(healthcheck);
  config.secrets = {kPassword, kAccessKey, kSecretKey};
  config.first_retry_delay = milliseconds(10);
  config.timeout = milliseconds(5'000);
  return config;
}

void expect_no_secret(const std::string& text) {
  for (const char* secret : {kPassword, kAccessKey, kSecretKey})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in: " << text;
}

TEST(NotifyPayload, WebhookBodyHasEveryDocumentedField) {
  auto body = nlohmann::json::parse(webhook_body(failed_run(), {}));
  EXPECT_EQ(body["format"], "dbsnap-notification");
  EXPECT_EQ(body["format_version"], 1);
  EXPECT_EQ(body["job"], "nightly");
  EXPECT_EQ(body["status"], "failed");
  EXPECT_EQ(
      body["server"],
      (nlohmann::json{
          {"name", "prod"}, {"kind", "postgres"}, {"host", "db.example.com"}, {"port", 6432}}));
  EXPECT_EQ(body["started_at"], "2026-12-04T02:30:00Z");
  EXPECT_EQ(body["finished_at"], "2026-12-04T02:31:02Z");
  EXPECT_EQ(body["duration_ms"], 62'004);
  EXPECT_EQ(body["size_bytes"], 123456);
  EXPECT_NE(body["error"].get<std::string>().find("1 of 2 databases failed: billing: s3 PUT"),
            std::string::npos)
      << body["error"];
  ASSERT_EQ(body["databases"].size(), 2u);
  const auto& app = body["databases"][0];
  EXPECT_EQ(app["database"], "app");
  EXPECT_EQ(app["status"], "completed");
  EXPECT_TRUE(app["error"].is_null());
  EXPECT_EQ(app["size_bytes"], 123456);
  EXPECT_EQ(app["duration_ms"], 60'001);
  EXPECT_EQ(app["rows"], 1000);
  EXPECT_EQ(app["verified"], true);
  EXPECT_EQ(app["snapshot"], "prod/app/20261204T023000Z-1a2b.manifest.json");
  EXPECT_EQ(app["started_at"], "2026-12-04T02:30:00Z");
  EXPECT_EQ(app["finished_at"], "2026-12-04T02:31:00Z");
  const auto& billing = body["databases"][1];
  EXPECT_EQ(billing["status"], "failed");
  EXPECT_TRUE(billing["verified"].is_null());
  EXPECT_NE(billing["error"].get<std::string>().find("s3 PUT failed"), std::string::npos);
}

TEST(NotifyPayload, CompletedRunHasNullError) {
  auto body = nlohmann::json::parse(webhook_body(completed_run(), {}));
  EXPECT_EQ(body["status"], "completed");
  EXPECT_TRUE(body["error"].is_null());
}

TEST(NotifyPayload, NoSecretInAnyRequest) {
  NotifyConfig config =
      config_for({"https://hooks.example.com/x"}, "https://hc.example.com/ping/u");
  config.on = NotifyOn::always;
  for (const RunReport& report : {failed_run(), completed_run()})
    for (const NotifyRequest& request : finish_requests(config, report, "rid")) {
      expect_no_secret(request.body);
      expect_no_secret(request.url);
    }
  std::string body = webhook_body(failed_run(), config.secrets);
  EXPECT_NE(body.find("secret ***"), std::string::npos) << body;
  EXPECT_EQ(body.find("backup"), std::string::npos) << "the user name is not sent: " << body;
}

TEST(NotifyPayload, RunErrorOutsideDatabasesFailsTheRun) {
  RunReport report = completed_run();
  report.error = "retention failed: s3 DeleteObjects denied";
  EXPECT_TRUE(report.failed());
  EXPECT_EQ(report.summary(), "job nightly failed: retention failed: s3 DeleteObjects denied");
}

TEST(NotifyPlan, WebhooksHearOfFailuresOnlyUnlessAlways) {
  NotifyConfig config = config_for({"http://a/x", "http://b/y"});
  EXPECT_TRUE(finish_requests(config, completed_run(), "r").empty());
  auto failed = finish_requests(config, failed_run(), "r");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].url, "http://a/x");
  EXPECT_EQ(failed[0].method, "POST");
  EXPECT_EQ(failed[0].content_type, "application/json");
  config.on = parse_notify_on("always");
  EXPECT_EQ(finish_requests(config, completed_run(), "r").size(), 2u);
  EXPECT_TRUE(start_requests(config, "r").empty());
}

TEST(NotifyPlan, HealthcheckPingsStartSuccessAndFail) {
  NotifyConfig config = config_for({}, "https://hc-ping.com/uuid-1");
  auto start = start_requests(config, "R1");
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].url, "https://hc-ping.com/uuid-1/start?rid=R1");
  auto ok = finish_requests(config, completed_run(), "R1");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].url, "https://hc-ping.com/uuid-1?rid=R1");
  EXPECT_EQ(ok[0].body.rfind("job nightly completed: 1 database, 123456 bytes", 0), 0u)
      << ok[0].body;
  auto fail = finish_requests(config, failed_run(), "R1");
  ASSERT_EQ(fail.size(), 1u);
  EXPECT_EQ(fail[0].url, "https://hc-ping.com/uuid-1/fail?rid=R1");
  EXPECT_NE(fail[0].body.find("\nbilling: s3 PUT failed"), std::string::npos) << fail[0].body;
}

TEST(NotifyPlan, HealthcheckUrlKeepsItsQuery) {
  EXPECT_EQ(healthcheck_url("https://hc/ping/key/slug?create=1", "fail", "R"),
            "https://hc/ping/key/slug/fail?create=1&rid=R");
  EXPECT_EQ(healthcheck_url("https://hc/ping/u/", "", "R"), "https://hc/ping/u?rid=R");
}

TEST(NotifyPlan, RetryRules) {
  EXPECT_EQ(notify_retry_delay(1, milliseconds(1000)), milliseconds(1000));
  EXPECT_EQ(notify_retry_delay(2, milliseconds(1000)), milliseconds(2000));
  EXPECT_EQ(notify_retry_delay(3, milliseconds(1000)), milliseconds(4000));
  for (unsigned status : {408u, 429u, 500u, 502u, 503u}) EXPECT_TRUE(notify_retryable(status));
  for (unsigned status : {200u, 301u, 400u, 401u, 404u}) EXPECT_FALSE(notify_retryable(status));
}

TEST(NotifyPlan, OnIsFailureOrAlways) {
  EXPECT_EQ(parse_notify_on("failure"), NotifyOn::failure);
  try {
    parse_notify_on("sometimes");
    ADD_FAILURE() << "parsed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_STREQ(e.what(), "notify on \"sometimes\" is neither \"failure\" nor \"always\"");
  }
}

TEST(NotifyPlan, RunIdsAreVersion4Uuids) {
  std::string a = random_uuid();
  EXPECT_TRUE(std::regex_match(
      a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << a;
  EXPECT_NE(a, random_uuid());
}

TEST(Notifier, RefusesAUrlThatIsNotHttp) {
  HttpNotifyTransport transport;
  EXPECT_THROW(Notifier(config_for({"ftp://x/y"}), transport), Error);
  EXPECT_THROW(Notifier(config_for({}, "hc.example.com/ping"), transport), Error);
}

// Runs notifier calls and collects its warnings.
struct Warnings {
  std::vector<std::string> warnings;
  Notifier::Warn warn() {
    return [this](const std::string& line) { warnings.push_back(line); };
  }
};

TEST(Notifier, WebhookIsRetriedUntilDelivered) {
  HttpReceiver receiver;
  receiver.fail_next(2, 503);
  HttpNotifyTransport transport;
  Warnings run;
  Notifier(config_for({receiver.url("/hook/token-123")}), transport, run.warn())
      .run_finished(failed_run());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_TRUE(run.warnings.empty()) << run.warnings.front();
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].target, "/hook/token-123");
  EXPECT_EQ(requests[2].content_type, "application/json");
  auto body = nlohmann::json::parse(requests[2].body);
  EXPECT_EQ(body["job"], "nightly");
  EXPECT_EQ(body["status"], "failed");
  for (const auto& request : requests) expect_no_secret(request.body);
}

TEST(Notifier, RetriesAreBoundedAndEndInOneWarning) {
  HttpReceiver receiver;
  receiver.fail_next(100, 500);
  HttpNotifyTransport transport;
  Warnings run;
  NotifyConfig config = config_for({receiver.url("/hook/token-123")});
  Notifier(config, transport, run.warn()).run_finished(failed_run());
  EXPECT_EQ(receiver.requests().size(), 3u);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_EQ(run.warnings[0], fmt::format("webhook 127.0.0.1:{} was not notified of job nightly: "
                                         "answered 500 (3 tries)",
                                         receiver.port()));
}

TEST(Notifier, ClientErrorIsNotRetried) {
  HttpReceiver receiver;
  receiver.fail_next(1, 404);
  HttpNotifyTransport transport;
  Warnings run;
  Notifier(config_for({receiver.url("/gone")}), transport, run.warn()).run_finished(failed_run());
  EXPECT_EQ(receiver.requests().size(), 1u);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("answered 404 (1 try)"), std::string::npos) << run.warnings[0];
}

TEST(Notifier, DroppedConnectionIsRetried) {
  HttpReceiver receiver;
  receiver.drop_next(1);
  HttpNotifyTransport transport;
  Warnings run;
  Notifier(config_for({receiver.url("/hook")}), transport, run.warn()).run_finished(failed_run());
  EXPECT_EQ(receiver.requests().size(), 2u);
  EXPECT_TRUE(run.warnings.empty()) << run.warnings.front();
}

TEST(Notifier, DeadReceiverOnlyWarns) {
  int port = 0;
  {
    HttpReceiver gone;
    port = gone.port();
  }
  HttpReceiver alive;
  HttpNotifyTransport transport;
  Warnings run;
  NotifyConfig config =
      config_for({fmt::format("http://127.0.0.1:{}/hook/token-123", port), alive.url("/hook")});
  Notifier notifier(config, transport, run.warn());
  notifier.run_started("nightly");
  notifier.run_finished(failed_run());
  EXPECT_EQ(alive.requests().size(), 1u) << "the live receiver still hears of the run";
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_EQ(run.warnings[0],
            fmt::format("webhook 127.0.0.1:{0} was not notified of job nightly: nothing accepts "
                        "connections at webhook 127.0.0.1:{0} (3 tries)",
                        port));
}

TEST(Notifier, HealthcheckGetsStartThenFailWithOneRunId) {
  HttpReceiver receiver;
  HttpNotifyTransport transport;
  Warnings run;
  Notifier notifier(config_for({}, receiver.url("/ping/uuid-1")), transport, run.warn());
  notifier.run_started("nightly");
  notifier.run_finished(failed_run());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  std::smatch start;
  ASSERT_TRUE(
      std::regex_match(requests[0].target, start, std::regex("/ping/uuid-1/start\\?rid=(.+)")))
      << requests[0].target;
  EXPECT_EQ(requests[1].target, "/ping/uuid-1/fail?rid=" + start[1].str());
  EXPECT_EQ(requests[1].content_type, "text/plain; charset=utf-8");
  EXPECT_NE(requests[1].body.find("billing: s3 PUT failed for key *** secret *** password ***"),
            std::string::npos)
      << requests[1].body;
  EXPECT_TRUE(run.warnings.empty());
}

TEST(Notifier, HealthcheckSuccessPingHasNoSuffix) {
  HttpReceiver receiver;
  HttpNotifyTransport transport;
  Notifier notifier(config_for({}, receiver.url("/ping/uuid-2")), transport);
  notifier.run_finished(completed_run());
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].target.starts_with("/ping/uuid-2?rid=")) << requests[0].target;
}

TEST(Notifier, SelfSignedReceiverIsRefusedUnlessTrusted) {
  test::ScratchDir dir;
  auto certificate = test::SelfSigned::make(dir.path().string());
  HttpReceiver receiver(certificate);
  {
    HttpNotifyTransport transport;
    Warnings run;
    Notifier(config_for({receiver.url("/hook")}), transport, run.warn()).run_finished(failed_run());
    ASSERT_EQ(run.warnings.size(), 1u);
    EXPECT_NE(run.warnings[0].find(
                  fmt::format("tls handshake with webhook 127.0.0.1:{} failed", receiver.port())),
              std::string::npos)
        << run.warnings[0];
    EXPECT_NE(run.warnings[0].find("(1 try)"), std::string::npos) << "a TLS failure is final";
    EXPECT_TRUE(receiver.requests().empty());
  }
  HttpNotifyTransport trusting(certificate.cert_file);
  Warnings run;
  Notifier(config_for({receiver.url("/hook")}), trusting, run.warn()).run_finished(failed_run());
  EXPECT_TRUE(run.warnings.empty()) << run.warnings.front();
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].target, "/hook");
}

}  // namespace
}  // namespace dbsnap
