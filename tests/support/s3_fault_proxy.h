// A loopback HTTP proxy in front of an S3 endpoint that injects failures per
// request type: an error answer, or a connection reset in the middle of the
// request body. Everything else is forwarded unchanged (the Host header too,
// so SigV4 signatures made for the proxy's address stay valid upstream).
//
// Request types follow the S3 API reference's method + query conventions
// (?uploads, ?uploadId, ?partNumber, ?list-type=2).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/loopback_listener.h"

namespace dbsnap::test {

enum class S3Call {
  put_object,
  get_object,
  head_object,
  delete_object,
  list_objects,
  create_upload,
  upload_part,
  complete_upload,
  abort_upload,
  list_uploads,
  other,
};

// What the proxy does to a matching request.
struct S3Fault {
  enum class Kind {
    answer,  // answer status + body instead of forwarding (keeps the connection)
    reset,   // read the header and part of the body (if any), then reset the connection
  };
  Kind kind = Kind::answer;
  unsigned status = 500;
  std::string body;  // an S3 error document, or anything

  // 500 with an InternalError document.
  static S3Fault internal_error();
  static S3Fault answer(unsigned status, std::string body);
  static S3Fault reset();
};

// Listens on 127.0.0.1 (a free port) and forwards to upstream_endpoint
// ("http://127.0.0.1:PORT"). Thread-safe: tests configure faults and read
// counts while requests run. Stops and joins its threads when destroyed.
class S3FaultProxy {
 public:
  explicit S3FaultProxy(const std::string& upstream_endpoint);
  ~S3FaultProxy();
  S3FaultProxy(const S3FaultProxy&) = delete;
  S3FaultProxy& operator=(const S3FaultProxy&) = delete;

  // "http://127.0.0.1:PORT": use as S3Options::endpoint.
  std::string endpoint() const;

  // Applies fault to requests of type call number first .. first+count-1
  // (1-based, counting every request of that type the proxy has seen).
  void inject(S3Call call, int first, int count, S3Fault fault);

  // Requests of type call seen so far (failed ones included).
  int count(S3Call call) const;

 private:
  struct Rule {
    S3Call call;
    int first;
    int count;
    S3Fault fault;
  };
  struct State;

  void serve(boost::asio::ip::tcp::socket& client);

  std::unique_ptr<State> state_;
  std::string upstream_host_;
  std::string upstream_port_;
  LoopbackListener listener_;  // last: its threads stop before the rest goes
};

}  // namespace dbsnap::test
