#include "tests/support/http_receiver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <mutex>
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
  std::optional<ssl::context> tls;
  mutable std::mutex mutex;
  std::vector<ReceivedRequest> requests;
  int fail = 0;
  unsigned fail_status = 500;
  int drop = 0;
};

HttpReceiver::HttpReceiver(std::optional<SelfSigned> tls)
    : state_(std::make_unique<State>()), listener_([this](tcp::socket& socket) { serve(socket); }) {
  if (tls) {
    auto& context = state_->tls.emplace(ssl::context::tls_server);
    context.use_certificate_chain_file(tls->cert_file);
    context.use_private_key_file(tls->key_file, ssl::context::pem);
  }
}

HttpReceiver::~HttpReceiver() = default;

std::string HttpReceiver::url(const std::string& path) const {
  return (state_->tls ? "https://127.0.0.1:" : "http://127.0.0.1:") +
         std::to_string(listener_.port()) + path;
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

void HttpReceiver::serve(tcp::socket& socket) {
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
