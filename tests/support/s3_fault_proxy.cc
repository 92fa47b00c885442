#include "tests/support/s3_fault_proxy.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>

namespace dbsnap::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The names of the query parameters of a request target.
std::set<std::string, std::less<>> query_names(std::string_view target) {
  std::set<std::string, std::less<>> names;
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return names;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    names.emplace(param.substr(0, param.find('=')));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return names;
}

S3Call classify(http::verb method, std::string_view target) {
  auto names = query_names(target);
  auto has = [&](std::string_view name) { return names.contains(name); };
  switch (method) {
    case http::verb::post:
      if (has("uploads")) return S3Call::create_upload;
      if (has("uploadId")) return S3Call::complete_upload;
      return S3Call::other;
    case http::verb::put:
      return has("partNumber") && has("uploadId") ? S3Call::upload_part : S3Call::put_object;
    case http::verb::delete_:
      return has("uploadId") ? S3Call::abort_upload : S3Call::delete_object;
    case http::verb::head:
      return S3Call::head_object;
    case http::verb::get:
      if (has("uploads")) return S3Call::list_uploads;
      if (has("list-type")) return S3Call::list_objects;
      return S3Call::get_object;
    default:
      return S3Call::other;
  }
}

// "http://HOST[:PORT]" -> {HOST, PORT (default 80)}.
std::pair<std::string, std::string> http_host_port(const std::string& endpoint) {
  std::string_view rest = endpoint;
  if (!rest.starts_with("http://"))
    throw std::invalid_argument("s3_fault_proxy needs an http:// upstream: " + endpoint);
  rest.remove_prefix(7);
  std::size_t colon = rest.rfind(':');
  return {std::string(rest.substr(0, colon)),
          colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1))};
}

}  // namespace

S3Fault S3Fault::internal_error() {
  return answer(500,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
                "<Message>injected by s3_fault_proxy</Message></Error>");
}

S3Fault S3Fault::answer(unsigned status, std::string body) {
  return {Kind::answer, status, std::move(body)};
}

S3Fault S3Fault::reset() { return {Kind::reset, 0, ""}; }

struct S3FaultProxy::State {
  mutable std::mutex mutex;
  std::vector<Rule> rules;
  std::map<S3Call, int> counts;
};

S3FaultProxy::S3FaultProxy(const std::string& upstream_endpoint)
    : state_(std::make_unique<State>()),
      upstream_host_(http_host_port(upstream_endpoint).first),
      upstream_port_(http_host_port(upstream_endpoint).second),
      listener_([this](tcp::socket& client) { serve(client); }) {}

S3FaultProxy::~S3FaultProxy() = default;

std::string S3FaultProxy::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(listener_.port());
}

void S3FaultProxy::inject(S3Call call, int first, int count, S3Fault fault) {
  std::lock_guard lock(state_->mutex);
  state_->rules.push_back({call, first, count, std::move(fault)});
}

int S3FaultProxy::count(S3Call call) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->counts.find(call);
  return it == state_->counts.end() ? 0 : it->second;
}

void S3FaultProxy::serve(tcp::socket& client) {
  tcp::socket upstream(listener_.context());
  beast::flat_buffer client_buffer;
  beast::flat_buffer upstream_buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read_header(client, client_buffer, parser, ec);
    if (ec) return;
    S3Call call = classify(parser.get().method(), parser.get().target());
    std::optional<S3Fault> fault;
    {
      std::lock_guard lock(state_->mutex);
      int n = ++state_->counts[call];
      for (const Rule& rule : state_->rules)
        if (rule.call == call && n >= rule.first && n < rule.first + rule.count) fault = rule.fault;
    }
    if (fault && fault->kind == S3Fault::Kind::reset) {
      // Part of the body, if there is one (a GET has none: waiting would hang).
      bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
      char some[64 << 10];
      if (has_body) client.read_some(asio::buffer(some), ec);
      client.set_option(asio::socket_base::linger(true, 0), ec);
      return;  // the socket closes with RST
    }
    http::read(client, client_buffer, parser, ec);
    if (ec) return;
    http::request<http::string_body> request = parser.release();
    if (fault) {
      http::response<http::string_body> answer{static_cast<http::status>(fault->status),
                                               request.version()};
      answer.set(http::field::content_type, "application/xml");
      answer.body() = fault->body;
      answer.keep_alive(request.keep_alive());
      answer.prepare_payload();
      // An answer to HEAD has the length of the body it would have, not the body.
      if (request.method() == http::verb::head) answer.body().clear();
      http::write(client, answer, ec);
      if (ec || !request.keep_alive()) return;
      continue;
    }
    if (!upstream.is_open()) {
      tcp::resolver resolver(listener_.context());
      asio::connect(upstream, resolver.resolve(upstream_host_, upstream_port_, ec), ec);
      if (ec) return;
    }
    http::write(upstream, request, ec);
    if (ec) return;
    http::response_parser<http::string_body> answer;
    answer.body_limit(boost::none);
    answer.skip(request.method() == http::verb::head);
    http::read(upstream, upstream_buffer, answer, ec);
    if (ec) return;
    bool keep_alive = answer.get().keep_alive() && request.keep_alive();
    http::write(client, answer.get(), ec);
    if (ec || !keep_alive) return;
  }
}

}  // namespace dbsnap::test
