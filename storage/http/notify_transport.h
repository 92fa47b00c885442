// The notifier's transport (engine/notify.h) on HttpClient: one client, with
// its keep-alive pool, per receiver origin.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/notify.h"
#include "storage/http/client.h"

namespace dbsnap {

// Thread-safe.
class HttpNotifyTransport : public NotifyTransport {
 public:
  // ca_file: a PEM file of certificates trusted besides the system's
  // (NotifyConfig::ca_file); empty: the system's only. A bad file makes
  // send() throw Error(usage).
  explicit HttpNotifyTransport(std::string ca_file = {});
  ~HttpNotifyTransport() override;

  // One try of request within timeout; returns the status. Throws
  // HttpTransportError naming the receiver as "<receiver> host:port".
  unsigned send(const NotifyRequest& request, std::chrono::milliseconds timeout) override;

 private:
  HttpClient& client(const HttpUrl& url, const std::string& receiver,
                     std::chrono::milliseconds timeout);

  std::string ca_file_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;  // by scheme + authority
};

}  // namespace dbsnap
