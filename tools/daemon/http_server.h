// The daemon's HTTP server (Boost.Beast): HTTP/1.1 over TCP, or over TLS
// (OpenSSL) when a certificate is given. It parses requests, enforces the
// limits and the token, and hands each request to one HttpHandler.
//
// Security rules (issue 12; README "Daemon"):
//   - A listen address other than loopback (127.0.0.0/8, ::1, "localhost")
//     needs a token, and TLS (cert_file + key_file) or insecure_http.
//   - With a token, every request but GET /healthz needs
//     "Authorization: Bearer <token>" (RFC 6750 section 2.1), compared in
//     constant time (CRYPTO_memcmp over equal lengths); otherwise 401 with
//     "WWW-Authenticate: Bearer" and a JSON error body.
//   - Bounded: at most max_connections open at once (more are accepted and
//     closed at once), a request header of max_header_bytes, a body of
//     max_body_bytes (413), each request read within request_timeout (a client
//     that sends too slowly is dropped), keep-alive for at most
//     max_requests_per_connection. A slow or malicious client therefore holds
//     at most one connection slot for request_timeout and never a thread.
//   - Handlers run on handler_threads threads of their own, never on the
//     network thread, so a handler that blocks (a ping of a server) delays
//     only its own response; at most max_pending_requests wait for a handler
//     thread (more get 503).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dbsnap::daemon {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query, percent-decoded: "/api/v1/jobs/nightly/run"
  std::map<std::string, std::string> query;  // decoded query parameters ("job" -> "nightly")
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Location, ...)
};

// Called once per request on a handler thread; may block. Must not throw
// (an exception becomes a 500 with a generic body, its text logged).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // IPv4/IPv6 literal or "localhost"
  int port = 8417;                    // 0: any free port (see HttpServer::port())
  std::string token;                  // secret; "" = no token (loopback only)
  std::string cert_file, key_file;    // PEM; both or neither
  bool insecure_http = false;         // allow plain HTTP on a non-loopback address
  std::size_t max_connections = 64;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_requests_per_connection = 100;
  std::size_t max_pending_requests = 64;
  std::chrono::milliseconds request_timeout{10'000};
  int handler_threads = 4;
};

class HttpServer {
 public:
  // Checks the security rules, loads the certificate and binds the socket.
  // Throws dbsnap::Error(ExitCode::usage) for a broken rule, e.g.
  //   "daemon listen 0.0.0.0:8417 is not loopback: set token = \"...\" in [daemon]"
  //   "daemon listen 0.0.0.0:8417 needs TLS (cert, key) or insecure_http = true"
  // or an unreadable certificate/key (naming the file, never its content), and
  // Error(ExitCode::io_error) when the address cannot be bound ("daemon listen
  // 127.0.0.1:8417: Address already in use").
  HttpServer(HttpServerOptions options, HttpHandler handler);
  // Stops and joins every thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the one chosen when options.port was 0).
  int port() const;
  // Whether it serves TLS.
  bool tls() const;

  // Starts serving on background threads; returns at once. Call once.
  void start();
  // Stops accepting, closes every connection, waits for running handlers.
  // Idempotent; thread-safe, but not from a handler (it would wait for itself).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbsnap::daemon
