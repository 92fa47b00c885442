// A loopback HTTP(S) server that records the requests it receives and can
// fail some of them: the receiving end of webhooks and healthcheck pings in
// tests (the only fake is at the HTTP boundary). Answers "200 OK" with body
// "OK" (as healthchecks.io does) and closes each connection after its answer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/loopback_listener.h"

namespace dbsnap::test {

struct ReceivedRequest {
  std::string method;
  std::string target;  // path and query
  std::string content_type;
  std::string body;
};

// A self-signed certificate for 127.0.0.1 (subjectAltName IP) made with the
// openssl command in dir: dir/cert.pem and dir/key.pem.
struct SelfSigned {
  std::string cert_file;
  std::string key_file;
  static SelfSigned make(const std::string& dir);
};

// Listens on 127.0.0.1 at a free port; TLS when given a certificate.
// Thread-safe. Stops and joins its threads when destroyed.
class HttpReceiver {
 public:
  explicit HttpReceiver(std::optional<SelfSigned> tls = std::nullopt);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // "http(s)://127.0.0.1:PORT" + path.
  std::string url(const std::string& path = "/") const;
  int port() const { return listener_.port(); }

  // The next n requests are answered with status (and recorded).
  void fail_next(int n, unsigned status = 500);
  // The next n requests are read, then their connection is closed unanswered.
  void drop_next(int n);
  // Every request received so far, in arrival order (failed ones included).
  std::vector<ReceivedRequest> requests() const;

 private:
  struct State;
  void serve(boost::asio::ip::tcp::socket& socket);

  std::unique_ptr<State> state_;
  LoopbackListener listener_;  // last: its threads stop before state_ goes
};

}  // namespace dbsnap::test
