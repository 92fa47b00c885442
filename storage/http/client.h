// An HTTP/1.1 client for one origin (scheme, host, port) on Boost.Beast, with
// OpenSSL TLS (certificate and host name checks unless turned off). The one
// transport under the S3 client (storage/s3/client.h) and the notifier's
// webhooks and pings (storage/http/notify_transport.h).
//
// Sources: RFC 9110 (semantics, Host, Content-Length), RFC 9112 (HTTP/1.1
// message syntax, keep-alive), RFC 6125 via Asio's host_name_verification.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "engine/http_url.h"

namespace dbsnap {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientOptions {
  // Names the peer in messages: "s3 endpoint", "webhook".
  std::string label = "http server";
  // Check the server's certificate chain and host name (https only).
  bool verify = true;
  // A PEM file of certificates trusted besides the system's (a private CA or
  // a self-signed receiver); empty: the system's only.
  std::string ca_file;
  // Appended to a failed TLS handshake's message when verify is on.
  std::string tls_hint;
  std::chrono::milliseconds connect_timeout{30'000};
};

struct HttpRequest {
  std::string method = "GET";       // "GET", "PUT", "POST", "HEAD", "DELETE"
  std::string target = "/";         // path and query, already encoded
  HttpHeaders headers;              // sent as given; Host, Content-Length and User-Agent are added
  std::span<const std::byte> body;  // borrowed until send() returns
  // The whole exchange (sending and receiving) must end within this.
  std::chrono::milliseconds timeout{30'000};
};

struct HttpResponse {
  unsigned status = 0;
  HttpHeaders headers;
  std::string body;  // empty for HEAD
  // The first header of that name (case-insensitive), "" if none.
  std::string header(std::string_view name) const;
};

// A failure below HTTP: no complete answer was received. code is
// unknown_host, connection_refused, timeout, tls_required or io_error;
// retryable is false for a name that does not resolve and a TLS failure.
// The message names the peer as "<label> host:port", never a path or query.
class HttpTransportError : public Error {
 public:
  HttpTransportError(ExitCode code, bool retryable, const std::string& message)
      : Error(code, message), retryable_(retryable) {}
  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

// Thread-safe: requests from many threads share a pool of keep-alive
// connections (one per request in flight; idle ones are reused).
class HttpClient {
 public:
  // origin.target is ignored. Connects lazily. Throws Error(usage) when
  // options.ca_file cannot be loaded.
  HttpClient(HttpUrl origin, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpUrl& origin() const { return origin_; }
  // The Host header sent with every request (RFC 9110 section 7.2).
  std::string host_header() const { return origin_.host_header(); }

  // One exchange; any status is returned. A request that fails on a reused
  // keep-alive connection before any answer arrived (the server closed it
  // meanwhile) is sent once more on a new connection. Throws
  // HttpTransportError when no complete answer arrives.
  HttpResponse send(const HttpRequest& request);

 private:
  class Connection;
  class Pool;

  HttpUrl origin_;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace dbsnap
