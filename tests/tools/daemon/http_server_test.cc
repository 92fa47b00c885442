// The daemon's HTTP server, spoken to by real clients: the curl command and
// raw sockets (for the slow and the surplus clients).
#include "tools/daemon/http_server.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "engine/error.h"
#include "tests/support/common.h"

namespace dbsnap::daemon {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Every curl call ends within this, whatever the server does.
constexpr int kCurlMaxSeconds = 20;

struct Reply {
  int status = 0;  // 0: curl failed (see body)
  std::string headers;
  std::string body;
};

// Runs curl with args (URLs and options) and splits its answer.
Reply curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "curl", "-sS", "-i", "--max-time", std::to_string(kCurlMaxSeconds), "-w", "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  test::CommandResult r = test::run(argv);
  if (r.exit_code != 0) return {.status = 0, .headers = "", .body = r.describe()};
  const std::size_t code = r.out.rfind('\n');
  const std::string message = r.out.substr(0, code);
  const std::size_t end = message.find("\r\n\r\n");
  return {.status = std::stoi(r.out.substr(code + 1)),
          .headers = message.substr(0, end),
          .body = message.substr(end + 4)};
}

// The handler of most tests: the request as JSON; /throw throws; /slow sleeps 2 s.
HttpResponse echo(const HttpRequest& request) {
  if (request.path == "/throw") throw std::runtime_error("handler broke");
  if (request.path == "/slow") std::this_thread::sleep_for(std::chrono::seconds(10));
  nlohmann::json j = {{"method", request.method},
                      {"path", request.path},
                      {"query", request.query},
                      {"body", request.body}};
  return {.status = 200, .content_type = "application/json", .body = j.dump(), .headers = {}};
}

std::unique_ptr<HttpServer> serve(HttpServerOptions options, HttpHandler handler = echo) {
  options.port = 0;
  auto server = std::make_unique<HttpServer>(std::move(options), std::move(handler));
  server->start();
  return server;
}

std::string url(const HttpServer& server, std::string_view target) {
  return fmt::format("http://127.0.0.1:{}{}", server.port(), target);
}

milliseconds since(steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

// A blocking TCP client that writes what it is told, byte for byte.
class RawClient {
 public:
  explicit RawClient(int port) : socket_(ioc_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Everything received until the server closed the connection; nullopt when
  // it is still open after timeout.
  std::optional<std::string> read_until_closed(milliseconds timeout) {
    std::string received;
    const auto deadline = steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      pollfd p{.fd = socket_.native_handle(), .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0)
        return std::nullopt;
      char buffer[4096];
      const ssize_t n = ::recv(socket_.native_handle(), buffer, sizeof buffer, 0);
      if (n <= 0) return received;
      received.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  asio::io_context ioc_;
  asio::ip::tcp::socket socket_;
};

template <class F>
void expect_error(F f, ExitCode code, std::string_view message_part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one with " << message_part;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
  }
}

TEST(HttpServer, GetReachesHandlerWithDecodedPathAndQuery) {
  auto server = serve(HttpServerOptions());
  Reply r = curl({url(*server, "/api/v1/jobs/night%20ly/run?job=a%2Fb&x=1+2&empty=")});
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/api/v1/jobs/night ly/run");
  EXPECT_EQ(j["query"], (nlohmann::json{{"job", "a/b"}, {"x", "1 2"}, {"empty", ""}}));
  EXPECT_NE(r.headers.find("Content-Type: application/json"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("Cache-Control: no-store"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("X-Content-Type-Options: nosniff"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find(fmt::format("Content-Length: {}", r.body.size())), std::string::npos);
}

TEST(HttpServer, BrokenPercentEscapeIs400) {
  auto server = serve(HttpServerOptions());
  EXPECT_EQ(curl({url(*server, "/a%2")}).status, 400);
  EXPECT_EQ(curl({url(*server, "/a?x=%zz")}).status, 400);
}

TEST(HttpServer, PostBodyReachesHandler) {
  auto server = serve(HttpServerOptions());
  Reply r = curl({"-X", "POST", "-H", "Expect:", "--data-binary", R"({"run":"now"})",
                  url(*server, "/api/v1/jobs/nightly/run")});
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["body"], R"({"run":"now"})");
}

// curl waits --expect100-timeout for the "100 Continue" before it sends the body.
TEST(HttpServer, ExpectContinueIsAnsweredBeforeTheBody) {
  auto server = serve(HttpServerOptions());
  const auto start = steady_clock::now();
  Reply r = curl({"-H", "Expect: 100-continue", "--expect100-timeout", "30", "--data-binary",
                  "hello", url(*server, "/")});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers, "HTTP/1.1 100 Continue");
  EXPECT_EQ(nlohmann::json::parse(r.body.substr(r.body.find('{')))["body"], "hello");
  EXPECT_LT(since(start), milliseconds(20'000));  // not curl's 30 s wait for the 100
}

TEST(HttpServer, TokenIsRequiredButNotForHealthz) {
  HttpServerOptions options;
  options.token = "s3cret-token";
  auto server = serve(options);
  Reply missing = curl({url(*server, "/api/v1/jobs")});
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.headers.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::parse(missing.body).contains("error")) << missing.body;
  EXPECT_EQ(curl({"-H", "Authorization: Bearer s3cret-tokeN", url(*server, "/api/v1/jobs")}).status,
            401);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer s3cret", url(*server, "/api/v1/jobs")}).status, 401);
  EXPECT_EQ(curl({"-H", "Authorization: Basic s3cret-token", url(*server, "/x")}).status, 401);
  EXPECT_EQ(curl({"-H", "Authorization: Bearer s3cret-token", url(*server, "/api/v1/jobs")}).status,
            200);
  EXPECT_EQ(curl({url(*server, "/healthz")}).status, 200);
  EXPECT_EQ(curl({"-X", "POST", url(*server, "/healthz")}).status, 401);
}

TEST(HttpServer, NonLoopbackWithoutTokenIsUsageError) {
  HttpServerOptions options;
  options.address = "0.0.0.0";
  options.port = 0;
  expect_error([&] { HttpServer s(options, echo); }, ExitCode::usage,
               "daemon listen 0.0.0.0:0 is not loopback: set token = \"...\" in [daemon]");
  options.address = "::";
  expect_error([&] { HttpServer s(options, echo); }, ExitCode::usage,
               "daemon listen [::]:0 is not loopback");
}

TEST(HttpServer, NonLoopbackWithTokenNeedsTlsOrInsecureHttp) {
  HttpServerOptions options;
  options.address = "0.0.0.0";
  options.port = 0;
  options.token = "t";
  expect_error([&] { HttpServer s(options, echo); }, ExitCode::usage,
               "daemon listen 0.0.0.0:0 needs TLS (cert, key) or insecure_http = true");
  options.insecure_http = true;
  HttpServer allowed(options, echo);
  EXPECT_GT(allowed.port(), 0);
  EXPECT_FALSE(allowed.tls());
}

TEST(HttpServer, LocalhostAndLoopbackNeedNoToken) {
  for (const char* address : {"localhost", "127.0.0.2", "::1"}) {
    HttpServerOptions options;
    options.address = address;
    options.port = 0;
    HttpServer server(options, echo);
    EXPECT_GT(server.port(), 0) << address;
  }
}

struct SelfSignedCert {
  test::ScratchDir dir;
  std::string cert = (dir.path() / "c.pem").string();
  std::string key = (dir.path() / "k.pem").string();
  SelfSignedCert() {
    auto r = test::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-days", "1",
                        "-keyout", key, "-out", cert});
    if (r.exit_code != 0) throw std::runtime_error("openssl req failed: " + r.describe());
  }
};

TEST(HttpServer, ServesTlsWithTheGivenCertificate) {
  SelfSignedCert pem;
  HttpServerOptions options;
  options.cert_file = pem.cert;
  options.key_file = pem.key;
  auto server = serve(options);
  EXPECT_TRUE(server->tls());
  const int port = server->port();
  Reply r = curl({"--cacert", pem.cert, "--resolve", fmt::format("localhost:{}:127.0.0.1", port),
                  fmt::format("https://localhost:{}/over/tls?a=1", port)});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["path"], "/over/tls");
  EXPECT_EQ(curl({url(*server, "/plain")}).status, 0);
}

TEST(HttpServer, UnreadableCertificateOrKeyIsUsageErrorNamingTheFile) {
  SelfSignedCert pem;
  HttpServerOptions options;
  options.port = 0;
  options.cert_file = (pem.dir.path() / "missing.pem").string();
  options.key_file = pem.key;
  expect_error([&] { HttpServer s(options, echo); }, ExitCode::usage, options.cert_file);
  const std::string garbage = (pem.dir.path() / "garbage.pem").string();
  std::ofstream(garbage) << "SECRET-KEY-MATERIAL\n";
  options.cert_file = pem.cert;
  options.key_file = garbage;
  try {
    HttpServer s(options, echo);
    ADD_FAILURE() << "a garbage key was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find(garbage), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("SECRET"), std::string::npos) << e.what();
  }
}

TEST(HttpServer, BodyOverLimitIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = serve(options);
  Reply r = curl({"-H", "Expect:", "--data-binary", std::string(100, 'x'), url(*server, "/")});
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(curl({"--data-binary", std::string(16, 'x'), url(*server, "/")}).status, 200);
}

TEST(HttpServer, HeaderOverLimitIs431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server = serve(options);
  Reply r = curl({"-H", "X-Big: " + std::string(2000, 'x'), url(*server, "/")});
  EXPECT_EQ(r.status, 431) << r.body;
}

TEST(HttpServer, SlowClientDoesNotDelayOthers) {
  HttpServerOptions options;
  options.request_timeout = milliseconds(30'000);
  auto server = serve(options);
  RawClient slow(server->port());
  slow.send("GET /slowly HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const auto start = steady_clock::now();
  EXPECT_EQ(curl({url(*server, "/other")}).status, 200);
  EXPECT_LT(since(start), milliseconds(20'000));
  EXPECT_EQ(slow.read_until_closed(milliseconds(1)), std::nullopt);
}

TEST(HttpServer, SlowClientIsDroppedAfterRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = milliseconds(300);
  auto server = serve(options);
  RawClient slow(server->port());
  const auto start = steady_clock::now();
  slow.send("GET /slowly HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  EXPECT_EQ(slow.read_until_closed(milliseconds(10'000)), "");
  EXPECT_GE(since(start), milliseconds(250));
}

TEST(HttpServer, ConnectionsPastMaxAreClosedWhileOthersWork) {
  HttpServerOptions options;
  options.max_connections = 2;
  auto server = serve(options);
  RawClient first(server->port()), second(server->port());
  RawClient third(server->port());
  EXPECT_EQ(third.read_until_closed(milliseconds(10'000)), "");
  first.send("GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  auto answer = first.read_until_closed(milliseconds(10'000));
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->starts_with("HTTP/1.1 200 OK\r\n")) << *answer;
  EXPECT_NE(answer->find(R"("path":"/first")"), std::string::npos) << *answer;
}

// Waits until one of the futures is ready, at most timeout.
template <class T>
void wait_for_either(std::future<T>& a, std::future<T>& b, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (a.wait_for(milliseconds(10)) != std::future_status::ready &&
         b.wait_for(milliseconds(10)) != std::future_status::ready &&
         steady_clock::now() < deadline) {
  }
}

TEST(HttpServer, BlockingHandlerDelaysOnlyItsOwnResponse) {
  HttpServerOptions options;
  options.handler_threads = 2;
  std::atomic<bool> entered{false};
  auto server = serve(options, [&](const HttpRequest& r) {
    if (r.path == "/slow") entered = true;
    return echo(r);
  });
  auto slow = std::async(std::launch::async, [&] { return curl({url(*server, "/slow")}); });
  const auto deadline = steady_clock::now() + milliseconds(60'000);
  while (!entered && steady_clock::now() < deadline) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(entered) << "the slow request never reached its handler";
  const auto start = steady_clock::now();
  EXPECT_EQ(curl({url(*server, "/fast")}).status, 200);
  EXPECT_LT(since(start), milliseconds(7'000));  // the slow handler sleeps 10 s
  EXPECT_EQ(slow.get().status, 200);
}

TEST(HttpServer, FullQueueIs503) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  HttpServerOptions options;
  options.max_pending_requests = 1;
  options.handler_threads = 1;
  auto server = serve(options, [&](const HttpRequest& r) {
    ++entered;
    released.wait();
    return echo(r);
  });
  auto first = std::async(std::launch::async, [&] { return curl({url(*server, "/1")}); });
  while (entered == 0) std::this_thread::sleep_for(milliseconds(10));
  // The one thread is busy: one of these waits, the other is refused at once.
  auto second = std::async(std::launch::async, [&] { return curl({url(*server, "/2")}); });
  auto third = std::async(std::launch::async, [&] { return curl({url(*server, "/3")}); });
  wait_for_either(second, third, milliseconds(15'000));
  release.set_value();
  std::vector<int> statuses = {first.get().status, second.get().status, third.get().status};
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 503}));
}

TEST(HttpServer, HandlerExceptionIs500WithGenericBody) {
  auto server = serve(HttpServerOptions());
  Reply r = curl({url(*server, "/throw")});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"internal error"})");
}

TEST(HttpServer, HandlerStatusOutOfRangeIs500) {
  auto server = serve(HttpServerOptions(), [](const HttpRequest&) {
    return HttpResponse{.status = 42, .content_type = "text/plain", .body = "x", .headers = {}};
  });
  EXPECT_EQ(curl({url(*server, "/")}).status, 500);
}

// Two HEAD requests on one connection: a body after the first would be read
// as the start of the second answer.
TEST(HttpServer, HeadAnswersHeadersWithoutBody) {
  auto server = serve(HttpServerOptions());
  auto r = test::run({"curl", "-sS", "-I", "--max-time", std::to_string(kCurlMaxSeconds),
                      url(*server, "/a"), url(*server, "/b")});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out.find("HTTP/1.1 200 OK\r\n"), 0u) << r.out;
  EXPECT_NE(r.out.find("\r\n\r\nHTTP/1.1 200 OK\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("path"), std::string::npos) << r.out;
}

TEST(HttpServer, KeepAliveUpToMaxRequestsPerConnection) {
  auto reused = [](const HttpServer& server) {
    auto r = test::run({"curl", "-sS", "--max-time", std::to_string(kCurlMaxSeconds), "-o",
                        "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}", url(server, "/a"),
                        url(server, "/b")});
    return r.out;
  };
  auto keep = serve(HttpServerOptions());
  EXPECT_EQ(reused(*keep), "10");
  HttpServerOptions options;
  options.max_requests_per_connection = 1;
  auto one = serve(options);
  EXPECT_EQ(reused(*one), "11");
}

TEST(HttpServer, AddressInUseIsIoError) {
  auto server = serve(HttpServerOptions());
  const int port = server->port();
  HttpServerOptions options;
  options.port = port;
  expect_error([&] { HttpServer s(options, echo); }, ExitCode::io_error,
               fmt::format("daemon listen 127.0.0.1:{}: Address already in use", port));
}

TEST(HttpServer, StopClosesConnectionsAndIsIdempotent) {
  auto server = serve(HttpServerOptions());
  RawClient idle(server->port());
  std::thread other([&] { server->stop(); });
  server->stop();
  other.join();
  EXPECT_EQ(idle.read_until_closed(milliseconds(10'000)), "");
  EXPECT_EQ(curl({url(*server, "/")}).status, 0);
}

}  // namespace
}  // namespace dbsnap::daemon
