#include "tests/support/http_receiver.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace dbsnap::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

}  // namespace

SelfSigned SelfSigned::make(const std::string& dir) {
  std::filesystem::create_directories(dir);
  SelfSigned made{dir + "/cert.pem", dir + "/key.pem"};
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
      made.key_file + "' -out '" + made.cert_file + "' 2>/dev/null";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("unable to make a self-signed certificate with: " + command);
  return made;
}

struct HttpReceiver::State {
  asio::io_context ioc;  // never run: sockets are used synchronously
  std::optional<tcp::acceptor> acceptor;
  std::optional<ssl::context> tls;
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> requests;
  int fail = 0;
  unsigned fail_status = 500;
  int drop = 0;
  std::set<int> client_fds;  // open connections, to shut down on stop
  std::vector<std::thread> connections;
};

HttpReceiver::HttpReceiver(std::optional<SelfSigned> tls)
    : state_(std::make_unique<State>()), tls_(tls.has_value()) {
  if (tls) {
    auto& context = state_->tls.emplace(ssl::context::tls_server);
    context.use_certificate_chain_file(tls->cert_file);
    context.use_private_key_file(tls->key_file, ssl::context::pem);
  }
  auto& acceptor = state_->acceptor.emplace(state_->ioc);
  tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(local.protocol());
  acceptor.bind(local);
  acceptor.listen();
  listen_fd_ = acceptor.native_handle();
  port_ = acceptor.local_endpoint().port();
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpReceiver::~HttpReceiver() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes the blocking accept
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(state_->mutex);
    for (int fd : state_->client_fds) ::shutdown(fd, SHUT_RDWR);
    connections.swap(state_->connections);
  }
  for (std::thread& t : connections) t.join();
}

std::string HttpReceiver::url(const std::string& path) const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
}

void HttpReceiver::fail_next(int n, unsigned status) {
  std::lock_guard lock(state_->mutex);
  state_->fail = n;
  state_->fail_status = status;
}

void HttpReceiver::drop_next(int n) {
  std::lock_guard lock(state_->mutex);
  state_->drop = n;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

void HttpReceiver::accept_loop() {
  while (!stop_) {
    beast::error_code ec;
    tcp::socket socket = state_->acceptor->accept(ec);
    if (ec) continue;  // stop_ is set when the listener was shut down
    std::lock_guard lock(state_->mutex);
    int fd = socket.release(ec);
    if (ec) continue;
    state_->client_fds.insert(fd);
    state_->connections.emplace_back([this, fd] { serve(fd); });
  }
}

void HttpReceiver::serve(int fd) {
  tcp::socket socket(state_->ioc, tcp::v4(), fd);
  // Unregisters the fd before the socket closes it, so shutdown on stop never
  // hits a reused descriptor.
  struct Unregister {
    State& state;
    int fd;
    ~Unregister() {
      std::lock_guard lock(state.mutex);
      state.client_fds.erase(fd);
    }
  } unregister{*state_, fd};
  auto exchange = [&](auto& stream) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    http::request<http::string_body> request;
    http::read(stream, buffer, request, ec);
    if (ec) return;
    http::status status = http::status::ok;
    {
      std::lock_guard lock(state_->mutex);
      state_->requests.push_back({std::string(request.method_string()),
                                  std::string(request.target()),
                                  std::string(request[http::field::content_type]), request.body()});
      if (state_->drop > 0) {
        --state_->drop;
        return;
      }
      if (state_->fail > 0) {
        --state_->fail;
        status = static_cast<http::status>(state_->fail_status);
      }
    }
    http::response<http::string_body> answer{status, request.version()};
    answer.set(http::field::content_type, "text/plain");
    answer.body() = status == http::status::ok ? "OK" : "injected failure";
    answer.keep_alive(false);
    answer.prepare_payload();
    http::write(stream, answer, ec);
  };
  if (!state_->tls) return exchange(socket);
  ssl::stream<tcp::socket&> stream(socket, *state_->tls);
  beast::error_code ec;
  stream.handshake(ssl::stream_base::server, ec);
  if (!ec) exchange(stream);
}

}  // namespace dbsnap::test
