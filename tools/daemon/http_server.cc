#include "tools/daemon/http_server.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_set>

#include "engine/error.h"
#include "engine/sha256.h"

namespace dbsnap::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// How long a connection closed by the server waits for the client's end
// (discarding what it still sends), so that the last response is not lost
// to a reset.
constexpr milliseconds kMaxLinger{2'000};
// The pause before accepting again after accept() failed (out of files).
constexpr milliseconds kAcceptRetry{100};

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec)
    throw Error(
        ExitCode::usage,
        fmt::format("daemon listen address '{}' is not an IP address or localhost", address));
  return ip.is_loopback();
}

// "127.0.0.1:8417", "[::1]:8417": the listen address in messages.
std::string listen_name(const std::string& address, int port) {
  if (address.find(':') != std::string::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

void check_rules(const HttpServerOptions& o) {
  const std::string name = listen_name(o.address, o.port);
  if (o.cert_file.empty() != o.key_file.empty())
    throw Error(ExitCode::usage, fmt::format("daemon listen {} needs both cert and key", name));
  if (is_loopback(o.address)) return;
  if (o.token.empty())
    throw Error(
        ExitCode::usage,
        fmt::format("daemon listen {} is not loopback: set token = \"...\" in [daemon]", name));
  if (o.cert_file.empty() && !o.insecure_http)
    throw Error(
        ExitCode::usage,
        fmt::format("daemon listen {} needs TLS (cert, key) or insecure_http = true", name));
}

std::unique_ptr<ssl::context> make_tls(const HttpServerOptions& o) {
  if (o.cert_file.empty()) return nullptr;
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls->use_certificate_chain_file(o.cert_file, ec);
  if (ec)
    throw Error(ExitCode::usage, fmt::format("unable to load the daemon certificate '{}': {}",
                                             o.cert_file, ec.message()));
  tls->use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec)
    throw Error(ExitCode::usage, fmt::format("unable to load the daemon private key '{}': {}",
                                             o.key_file, ec.message()));
  return tls;
}

// "localhost" listens on 127.0.0.1 only.
tcp::endpoint endpoint_of(const HttpServerOptions& o) {
  auto ip = o.address == "localhost" ? asio::ip::address(asio::ip::address_v4::loopback())
                                     : asio::ip::make_address(o.address);
  return {ip, static_cast<unsigned short>(o.port)};
}

void bind(tcp::acceptor& acceptor, const HttpServerOptions& o) {
  const tcp::endpoint endpoint = endpoint_of(o);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw Error(ExitCode::io_error,
                fmt::format("daemon listen {}: {}", listen_name(o.address, o.port), ec.message()));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// s with %XX decoded (and '+' as a space in a query); nullopt for a broken escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] != '%') {
      out += s[i];
    } else {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

// Fills request.path and request.query from an origin-form target; false
// when it is not one or holds a broken escape.
bool parse_target(std::string_view target, HttpRequest& request) {
  if (target.empty() || target.front() != '/') return false;
  const std::size_t q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path) return false;
  request.path = std::move(*path);
  std::string_view rest = q == std::string_view::npos ? "" : target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    request.query[std::move(*key)] = std::move(*value);
  }
  return true;
}

std::string sha256_hex(std::string_view s) {
  Sha256 hash;
  hash.update(std::as_bytes(std::span(s.data(), s.size())));
  return hash.hex_digest();
}

HttpResponse json_error(int status, std::string_view message) {
  return {.status = status, .body = nlohmann::json{{"error", message}}.dump(), .headers = {}};
}

// The response on the wire: the handler's with the headers every answer has.
Response to_wire(HttpResponse r, const Request& request, bool keep_alive) {
  Response res;
  res.version(request.version());
  res.result(static_cast<unsigned>(r.status));
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  if (request.method() == http::verb::head) res.body().clear();
  return res;
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

// What a failed read answers: 413, 431, 400, or nothing (the client left or
// was too slow).
std::optional<HttpResponse> read_error_response(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return json_error(413, "request body too large");
  if (ec == http::error::header_limit) return json_error(431, "request header too large");
  if (!is_http_error(ec) || ec == http::error::end_of_stream || ec == http::error::partial_message)
    return std::nullopt;
  return json_error(400, "bad request");
}

class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the socket: every pending operation ends. Network thread only.
  virtual void close() = 0;
};

// The listening socket, the network thread running every connection, and the
// handler threads. Connections read options() and call admit() and submit()
// from the network thread.
class Server {
 public:
  Server(HttpServerOptions options, HttpHandler handler);

  int port() const { return port_; }
  bool tls() const { return tls_ != nullptr; }
  void start();
  void stop();

  const HttpServerOptions& options() const { return options_; }
  // Network thread only: the open connections.
  void add(Connection* c) { connections_.insert(c); }
  void remove(Connection* c) { connections_.erase(c); }
  // Fills parsed's path and query from request; returns the answer when the
  // request may not reach the handler (400, 401).
  std::optional<HttpResponse> admit(const Request& request, HttpRequest& parsed) const;
  // Runs the handler on a handler thread and calls done(response) from
  // there; false when too many requests wait already or it is stopping.
  bool submit(HttpRequest request, std::function<void(HttpResponse)> done);

 private:
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void open(tcp::socket socket);
  bool authorized(const Request& request) const;
  void close_all();
  HttpResponse call_handler(const HttpRequest& request) const;

  HttpServerOptions options_;
  HttpHandler handler_;
  std::string token_digest_;  // SHA-256 of the token (hex), "" without one
  std::unique_ptr<ssl::context> tls_;
  std::unordered_set<Connection*> connections_;
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  asio::steady_timer accept_retry_{ioc_};
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> waiting_{0};  // requests posted to pool_ not yet started
  asio::thread_pool pool_;
  int port_ = 0;
  std::thread network_;
  std::once_flag stop_once_;
};

// One client connection: reads requests one after another, hands each to
// the server's handler threads and writes the answer. Runs on the network
// thread; kept alive by the operations it has pending.
template <class Stream>
class StreamConnection : public Connection,
                         public std::enable_shared_from_this<StreamConnection<Stream>> {
 public:
  template <class... Args>
  StreamConnection(Server& server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...) {
    server_.add(this);
  }
  ~StreamConnection() override { server_.remove(this); }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      socket().expires_after(server_.options().request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    }
  }

  void close() override {
    beast::error_code ignored;
    socket().socket().close(ignored);
  }

 private:
  beast::tcp_stream& socket() { return beast::get_lowest_layer(stream_); }

  // Reads the header, then (after "100 Continue" when the client asks for
  // it) the body: the whole request within request_timeout.
  void read() {
    parser_.emplace();
    parser_->header_limit(server_.options().max_header_bytes);
    parser_->body_limit(server_.options().max_body_bytes);
    socket().expires_after(server_.options().request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  // Refuses a request that may not reach the handler before its body is read.
  void on_header(beast::error_code ec) {
    if (ec) return on_error(ec);
    ++requests_;
    request_ = {};
    request_.method = parser_->get().method_string();
    if (auto refusal = server_.admit(parser_->get(), request_))
      return reply(std::move(*refusal), false);
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return read_body();
    continue_ = {http::status::continue_, parser_->get().version()};
    http::async_write(stream_, continue_,
                      [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                        if (!e) self->read_body();
                      });
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->on_error(ec);
                       self->request_.body = std::move(self->parser_->get().body());
                       self->dispatch();
                     });
  }

  void on_error(beast::error_code ec) {
    if (auto response = read_error_response(ec)) reply(std::move(*response), false);
  }

  // Hands request_ to a handler thread; its response comes back to this
  // connection's strand.
  void dispatch() {
    const bool keep =
        parser_->get().keep_alive() && requests_ < server_.options().max_requests_per_connection;
    auto executor = stream_.get_executor();
    bool queued = server_.submit(std::move(request_), [self = this->shared_from_this(), executor,
                                                       keep](HttpResponse r) mutable {
      asio::post(executor, [self = std::move(self), r = std::move(r), keep]() mutable {
        self->reply(std::move(r), keep);
      });
    });
    if (!queued) reply(json_error(503, "too many requests waiting"), false);
  }

  void reply(HttpResponse response, bool keep_alive) {
    response_ = to_wire(std::move(response), parser_->get(), keep_alive);
    socket().expires_after(server_.options().request_timeout);
    http::async_write(
        stream_, response_,
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (ec) return;
          if (keep_alive) return self->read();
          self->linger();
        });
  }

  // Ends the connection after its last response: TLS close_notify, or a
  // half-close, then waits (briefly) for the client to close its end.
  void linger() {
    socket().expires_after(std::min(server_.options().request_timeout, kMaxLinger));
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ignored;
      socket().socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    } else {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  void drain() {
    socket().async_read_some(asio::buffer(discard_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               if (!ec) self->drain();
                             });
  }

  Server& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpRequest request_;  // the one being read
  http::response<http::empty_body> continue_;
  Response response_;
  std::size_t requests_ = 0;
  std::array<char, 4096> discard_;
};

Server::Server(HttpServerOptions options, HttpHandler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      pool_(static_cast<std::size_t>(std::max(options_.handler_threads, 1))) {
  check_rules(options_);
  if (!options_.token.empty()) token_digest_ = sha256_hex(options_.token);
  tls_ = make_tls(options_);
  bind(acceptor_, options_);
  port_ = acceptor_.local_endpoint().port();
}

void Server::start() {
  accept();
  network_ = std::thread([this] { ioc_.run(); });
}

void Server::stop() {
  std::call_once(stop_once_, [this] {
    stopping_ = true;
    if (!network_.joinable()) {
      close_all();
      return pool_.join();
    }
    std::promise<void> closed;
    asio::post(ioc_, [&] {
      close_all();
      closed.set_value();
    });
    closed.get_future().wait();
    pool_.join();
    work_.reset();
    network_.join();
  });
}

void Server::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    on_accept(ec, std::move(s));
  });
}

void Server::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;
  if (ec) {
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([this](beast::error_code e) {
      if (!e) accept();
    });
    return;
  }
  // Past max_connections, socket is closed when it goes out of scope.
  if (connections_.size() < options_.max_connections) open(std::move(socket));
  accept();
}

void Server::open(tcp::socket socket) {
  if (tls_) {
    using Tls = StreamConnection<beast::ssl_stream<beast::tcp_stream>>;
    std::make_shared<Tls>(*this, std::move(socket), *tls_)->start();
  } else {
    std::make_shared<StreamConnection<beast::tcp_stream>>(*this, std::move(socket))->start();
  }
}

void Server::close_all() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (Connection* c : connections_) c->close();
}

std::optional<HttpResponse> Server::admit(const Request& request, HttpRequest& parsed) const {
  if (!parse_target(request.target(), parsed)) return json_error(400, "bad request target");
  if (token_digest_.empty() || (parsed.method == "GET" && parsed.path == "/healthz"))
    return std::nullopt;
  if (authorized(request)) return std::nullopt;
  HttpResponse refusal = json_error(401, "missing or wrong bearer token");
  refusal.headers.emplace_back("WWW-Authenticate", "Bearer");
  return refusal;
}

// Compares SHA-256 digests, so that neither the length nor the content of
// the token leaks through the time taken.
bool Server::authorized(const Request& request) const {
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view header = request[http::field::authorization];
  if (header.size() <= kScheme.size() || !beast::iequals(header.substr(0, kScheme.size()), kScheme))
    return false;
  const std::string digest = sha256_hex(header.substr(kScheme.size()));
  return CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

bool Server::submit(HttpRequest request, std::function<void(HttpResponse)> done) {
  if (stopping_ || waiting_ >= options_.max_pending_requests) return false;
  ++waiting_;
  asio::post(pool_, [this, request = std::move(request), done = std::move(done)] {
    --waiting_;
    done(stopping_ ? json_error(503, "server stopping") : call_handler(request));
  });
  return true;
}

HttpResponse Server::call_handler(const HttpRequest& request) const {
  try {
    HttpResponse response = handler_(request);
    if (response.status >= 100 && response.status <= 599) return response;
    fmt::print(stderr, "dbsnap: daemon handler answered {} {:?} with status {}\n", request.method,
               request.path, response.status);
  } catch (const std::exception& e) {
    fmt::print(stderr, "dbsnap: daemon handler failed on {} {:?}: {}\n", request.method,
               request.path, e.what());
  } catch (...) {
    fmt::print(stderr, "dbsnap: daemon handler failed on {} {:?}: not a std::exception\n",
               request.method, request.path);
  }
  return json_error(500, "internal error");
}

}  // namespace

struct HttpServer::Impl : Server {
  using Server::Server;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  try {
    impl_->stop();
  } catch (const std::exception& e) {  // a thread that cannot be joined: said, not thrown
    std::fprintf(stderr, "dbsnap: stopping the HTTP server: %s\n", e.what());
  }
}

int HttpServer::port() const { return impl_->port(); }

bool HttpServer::tls() const { return impl_->tls(); }

void HttpServer::start() { impl_->start(); }

void HttpServer::stop() { impl_->stop(); }

}  // namespace dbsnap::daemon
