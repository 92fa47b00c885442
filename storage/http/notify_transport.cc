#include "storage/http/notify_transport.h"

#include <fmt/format.h>

namespace dbsnap {

HttpNotifyTransport::HttpNotifyTransport(std::string ca_file) : ca_file_(std::move(ca_file)) {}

HttpNotifyTransport::~HttpNotifyTransport() = default;

HttpClient& HttpNotifyTransport::client(const HttpUrl& url, const std::string& receiver,
                                        std::chrono::milliseconds timeout) {
  std::string key = fmt::format("{}://{}", url.tls ? "https" : "http", url.authority());
  std::lock_guard lock(mutex_);
  std::unique_ptr<HttpClient>& client = clients_[key];
  if (!client) {
    HttpClientOptions options;
    options.label = receiver;
    options.ca_file = ca_file_;
    options.tls_hint = " (trust its certificate with the notification ca_file)";
    options.connect_timeout = timeout;
    client = std::make_unique<HttpClient>(url, std::move(options));
  }
  return *client;
}

unsigned HttpNotifyTransport::send(const NotifyRequest& request,
                                   std::chrono::milliseconds timeout) {
  HttpUrl url = HttpUrl::parse(request.url, request.receiver);
  HttpRequest http;
  http.method = request.method;
  http.target = url.target;
  if (!request.content_type.empty())
    http.headers.emplace_back("Content-Type", request.content_type);
  http.body = std::as_bytes(std::span(request.body.data(), request.body.size()));
  http.timeout = timeout;
  return client(url, request.receiver, timeout).send(http).status;
}

}  // namespace dbsnap
