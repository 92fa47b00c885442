#include "storage/http/client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <mutex>

namespace dbsnap {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

using Request = http::request<http::span_body<const char>>;

// Idle keep-alive connections kept per client.
constexpr std::size_t kMaxIdleConnections = 16;

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// Thrown by Connection::exchange when a reused connection failed before any
// answer byte: worth one immediate retry on a new connection.
struct StaleConnection {
  HttpTransportError error;
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequal(key, name)) return value;
  return "";
}

// One HTTP(S) connection with its own io_context: every operation is started
// asynchronously (so Beast's timeouts apply) and run to completion at once.
// Used by one thread at a time.
class HttpClient::Connection {
 public:
  Connection(const HttpUrl& origin, ssl::context* tls, const HttpClientOptions& options)
      : label_(options.label), name_(origin.authority()) {
    const std::string& host = origin.host;
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, origin.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    run();
    if (ec)
      throw HttpTransportError(
          ExitCode::unknown_host, false,
          fmt::format("unable to resolve {} host '{}': {}", label_, host, ec.message()));
    if (tls != nullptr) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls);
      if (!is_ip_address(host)) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
      if (options.verify) {
        tls_->set_verify_mode(ssl::verify_peer);
        tls_->set_verify_callback(ssl::host_name_verification(host));
      }
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
    with_stream([&](auto& stream) {
      auto& socket = beast::get_lowest_layer(stream);
      socket.expires_after(options.connect_timeout);
      socket.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
      run();
    });
    if (ec == asio::error::connection_refused)
      throw HttpTransportError(ExitCode::connection_refused, true,
                               fmt::format("nothing accepts connections at {} {}", label_, name_));
    if (ec) throw failure(fmt::format("unable to connect to {} {}", label_, name_), ec);
    if (!tls_) return;
    beast::get_lowest_layer(*tls_).expires_after(options.connect_timeout);
    tls_->async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
    run();
    if (ec == beast::error::timeout) throw failure("tls handshake timed out", ec);
    if (ec)
      throw HttpTransportError(ExitCode::tls_required, false,
                               fmt::format("tls handshake with {} {} failed: {}{}", label_, name_,
                                           ec.message(), options.verify ? options.tls_hint : ""));
  }

  // Sends request and reads the answer (without body when head). If sending
  // fails, an answer the server already sent (an early error) still counts.
  HttpResponse exchange(Request& request, bool head, milliseconds timeout) {
    ++uses_;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    beast::error_code write_ec;
    beast::error_code read_ec;
    with_stream([&](auto& stream) {
      beast::get_lowest_layer(stream).expires_after(timeout);
      http::async_write(stream, request, [&](beast::error_code e, std::size_t) { write_ec = e; });
      run();
      beast::get_lowest_layer(stream).expires_after(write_ec ? milliseconds(1000) : timeout);
      http::async_read(stream, buffer_, parser,
                       [&](beast::error_code e, std::size_t) { read_ec = e; });
      run();
    });
    if (read_ec) {
      HttpTransportError error = failure(
          fmt::format("{} {} {}", write_ec ? "sending to" : "receiving from", label_, name_),
          write_ec ? write_ec : read_ec);
      if (uses_ > 1 && !parser.got_some()) throw StaleConnection{error};
      throw error;
    }
    keep_alive_ = !write_ec && parser.get().keep_alive();
    auto message = parser.release();
    HttpResponse response{message.result_int(), {}, std::move(message.body())};
    for (const auto& field : message)
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    return response;
  }

  // False once the server or a failure ended the connection.
  bool reusable() const { return keep_alive_; }

 private:
  static HttpTransportError failure(const std::string& what, beast::error_code ec) {
    if (ec == beast::error::timeout)
      return HttpTransportError(ExitCode::timeout, true, what + ": timed out");
    return HttpTransportError(ExitCode::io_error, true, fmt::format("{}: {}", what, ec.message()));
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }

  void run() {
    ioc_.restart();
    ioc_.run();
  }

  std::string label_;
  std::string name_;  // host:port for messages
  asio::io_context ioc_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::unique_ptr<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
  int uses_ = 0;
  bool keep_alive_ = true;
};

// Idle connections, shared by all threads of a client.
class HttpClient::Pool {
 public:
  Pool(bool tls, const std::string& ca_file) {
    if (!tls) return;
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    tls_->set_default_verify_paths();
    if (ca_file.empty()) return;
    beast::error_code ec;
    tls_->load_verify_file(ca_file, ec);
    if (ec)
      throw Error(ExitCode::usage, fmt::format("unable to load trusted certificates from '{}': {}",
                                               ca_file, ec.message()));
  }

  ssl::context* tls() { return tls_.get(); }

  std::unique_ptr<Connection> take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  void give(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
  }

 private:
  std::unique_ptr<ssl::context> tls_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

HttpClient::HttpClient(HttpUrl origin, HttpClientOptions options)
    : origin_(std::move(origin)),
      options_(std::move(options)),
      pool_(std::make_unique<Pool>(origin_.tls, options_.ca_file)) {}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& call) {
  Request request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, host_header());
  for (const auto& [name, value] : call.headers) request.set(name, value);
  if (request.find(http::field::user_agent) == request.end())
    request.set(http::field::user_agent, "dbsnap/" DBSNAP_VERSION);
  request.body() = {reinterpret_cast<const char*>(call.body.data()), call.body.size()};
  request.keep_alive(true);
  request.prepare_payload();
  bool head = request.method() == http::verb::head;
  for (bool retried = false;; retried = true) {
    std::unique_ptr<Connection> connection = pool_->take();
    bool reused = connection != nullptr;
    if (!connection) connection = std::make_unique<Connection>(origin_, pool_->tls(), options_);
    try {
      HttpResponse response = connection->exchange(request, head, call.timeout);
      if (connection->reusable()) pool_->give(std::move(connection));
      return response;
    } catch (const StaleConnection& stale) {
      if (retried || !reused) throw stale.error;
    }
  }
}

}  // namespace dbsnap
